/**
 * Lightmap post-processing: the denoiser's position guide at each texel's own size, on a page whose charts differ
 * in density tenfold and more (as view-weighted layouts pack them).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { denoise, denoiseLightmap, localTexelSizes, type PageGuides } from '../../src/bake/post.js';
import { Rng } from '../../src/util/rng.js';

/**
 * A 24×8 page with three charts, all facing +Y: A (columns 0–7) and B (columns 10–17) are dense (1 cm texels) and
 * lie 20 cm apart in the world, lit 1.0 and 0.9 (close enough that the luminance stop alone would let them mix); C (columns 20–23) is sparse (1 m texels), lit 0.8.
 */
function page(): { img: { width: number; height: number; data: Float32Array }; g: PageGuides } {
  const W = 24,
    H = 8;
  const valid = new Uint8Array(W * H),
    position = new Float32Array(3 * W * H),
    normal = new Float32Array(3 * W * H),
    data = new Float32Array(4 * W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const chart = x < 8 ? 'A' : x >= 10 && x < 18 ? 'B' : x >= 20 ? 'C' : undefined;
      if (!chart) continue;
      valid[i] = 1;
      normal.set([0, 1, 0], 3 * i);
      const s = chart === 'C' ? 1 : 0.01;
      position.set([x * s, 0, y * s + (chart === 'B' ? 0.2 : chart === 'C' ? 10 : 0)], 3 * i);
      const v = chart === 'A' ? 1 : chart === 'B' ? 0.9 : 0.8;
      data.set([v, v, v, 1], 4 * i);
    }
  // The fallback a page-wide guide would use: the sparsest chart's texel.
  return { img: { width: W, height: H, data }, g: { valid, position, normal, texelSize: 1 } };
}

test('each texel measures its own world size from its neighbours on the same surface', () => {
  const { img, g } = page();
  const size = localTexelSizes(img.width, img.height, g);
  assert.ok(Math.abs(size[3 * 24 + 4] - 0.01) < 1e-6, `chart A: ${size[3 * 24 + 4]}`);
  assert.ok(Math.abs(size[3 * 24 + 12] - 0.01) < 1e-6, `chart B: ${size[3 * 24 + 12]}`);
  assert.ok(Math.abs(size[3 * 24 + 21] - 1) < 1e-6, `chart C: ${size[3 * 24 + 21]}`);
  assert.is(size[3 * 24 + 8], 0, 'an uncovered texel has no size');
});

test('the denoiser does not mix dense charts that lie apart in the world, though the page also holds a sparse one', () => {
  const { img, g } = page();
  denoise(img, g);
  // Column 7 of A is 3 texels from column 10 of B: within the second à-trous step's reach.
  for (let y = 0; y < 8; y++) {
    const a = img.data[4 * (y * 24 + 7)],
      b = img.data[4 * (y * 24 + 10)];
    assert.ok(Math.abs(a - 1) < 1e-3, `chart A's edge at row ${y}: ${a}`);
    assert.ok(Math.abs(b - 0.9) < 1e-3, `chart B's edge at row ${y}: ${b}`);
  }
});

test('a flat chart stays flat and noise on it is smoothed', () => {
  const { img, g } = page();
  // Seeded ±20% noise on chart A.
  const rng = new Rng(12345);
  const rnd = () => 2 * rng.next() - 1;
  const idx = (x: number, y: number) => 4 * (y * 24 + x);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) img.data.fill(1 + 0.2 * rnd(), idx(x, y), idx(x, y) + 3);
  const spread = () => {
    let m = 0,
      v = 0;
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) m += img.data[idx(x, y)] / 16;
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) v += (img.data[idx(x, y)] - m) ** 2 / 16;
    return Math.sqrt(v);
  };
  const before = spread();
  denoise(img, g);
  assert.ok(spread() < 0.5 * before, `spread ${before.toFixed(3)} → ${spread().toFixed(3)}`);
});

/**
 * One 32×16 chart of 1 cm texels: the sun lights its left half (direct 1.0) and not its right (0), and bounced light
 * of 0.2 everywhere carries ±50% seeded noise, as a path-traced texel's indirect part does at modest samples.
 */
function sunlitChart() {
  const W = 32,
    H = 16,
    n = W * H;
  const valid = new Uint8Array(n).fill(1),
    position = new Float32Array(3 * n),
    normal = new Float32Array(3 * n),
    data = new Float32Array(4 * n),
    direct = new Float32Array(3 * n),
    truth = new Float32Array(n);
  const rng = new Rng(777);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      position.set([0.01 * x, 0, 0.01 * y], 3 * i);
      normal.set([0, 1, 0], 3 * i);
      const d = x < W / 2 ? 1 : 0,
        b = 0.2 * (1 + (2 * rng.next() - 1) * 0.5);
      direct.fill(d, 3 * i, 3 * i + 3);
      data.set([d + b, d + b, d + b, 1], 4 * i);
      truth[i] = d + 0.2;
    }
  const g: PageGuides = { valid, position, normal, texelSize: 0.01 };
  const rmse = (img: { data: Float32Array }, x0: number, x1: number) => {
    let e = 0,
      k = 0;
    for (let y = 0; y < H; y++)
      for (let x = x0; x < x1; x++, k++) e += (img.data[4 * (y * W + x)] - truth[y * W + x]) ** 2;
    return Math.sqrt(e / k);
  };
  const column = (img: { data: Float32Array }, x: number) => {
    let m = 0;
    for (let y = 0; y < H; y++) m += img.data[4 * (y * W + x)] / H;
    return m;
  };
  return { img: { width: W, height: H, data }, direct, g, rmse, column };
}

test("direct and bounced light denoised apart: less noise in the shade than the sum filtered as one, and the sun's edge as sharp", () => {
  const whole = sunlitChart(),
    split = sunlitChart();
  denoiseLightmap(whole.img, undefined, whole.g);
  denoiseLightmap(split.img, split.direct, split.g);
  const shadeWhole = whole.rmse(whole.img, 16, 32),
    shadeSplit = split.rmse(split.img, 16, 32);
  assert.ok(
    shadeSplit < 0.8 * shadeWhole,
    `RMSE in the shade: split ${shadeSplit.toFixed(4)}, whole ${shadeWhole.toFixed(4)}`,
  );
  // In the sun the rest still stops on the sum's light, whose noise is small there: no worse than the sum.
  const sunWhole = whole.rmse(whole.img, 0, 16),
    sunSplit = split.rmse(split.img, 0, 16);
  assert.ok(sunSplit <= sunWhole, `RMSE in the sun: split ${sunSplit.toFixed(4)}, whole ${sunWhole.toFixed(4)}`);
  // The columns either side of the shadow's edge keep their light (1.2 and 0.2) within 0.05.
  for (const [x, want] of [
    [15, 1.2],
    [16, 0.2],
  ] as const)
    assert.ok(Math.abs(split.column(split.img, x) - want) < 0.05, `column ${x}: ${split.column(split.img, x)}`);
  // Alpha (AO) is untouched, and a direct array of the wrong size is refused by name.
  assert.is(split.img.data[3], 1);
  assert.throws(
    () => denoiseLightmap(split.img, new Float32Array(5), split.g),
    /denoiseLightmap: direct holds 5 floats/,
  );
});

test.run();
