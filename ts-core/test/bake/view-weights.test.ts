/**
 * View weights (bake/view-weights.ts): a part an eye sees near weighs more than one it sees far, and one no eye
 * sees keeps the least share (bake/budget.test.ts checks how the fit spreads a part's weight).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  VIEW_FLOOR_DEFAULTS,
  VIEW_WEIGHT_DEFAULTS,
  viewFloorScale,
  viewMeasures,
} from '../../src/bake/view-weights.js';

const viewWeights = async (...args: Parameters<typeof viewMeasures>) => (await viewMeasures(...args)).weights;

/** Axis-aligned unit quads (two triangles each) in the z = const plane at x offsets, one part each. */
function quads(zs: number[], size = 1) {
  const positions: number[] = [],
    indices: number[] = [];
  zs.forEach((z, i) => {
    const x = 3 * i,
      v = positions.length / 3;
    positions.push(x, 0, z, x + size, 0, z, x + size, size, z, x, size, z);
    indices.push(v, v + 1, v + 2, v, v + 2, v + 3);
  });
  return {
    positions: Float32Array.from(positions),
    indices: Uint32Array.from(indices),
    partFirstTriangle: Uint32Array.from(zs.map((_, i) => 2 * i).concat(2 * zs.length)),
    areas: zs.map(() => size * size),
  };
}

test('viewWeights: near parts weigh more than far ones, unseen ones the least, none without eyes', async () => {
  // Parts 2, 4 and 8 m in front of an eye.
  const parts = quads([-2, -4, -8]);
  const w = await viewWeights(parts, [[0.5, 0.5, 0]]);
  assert.equal(w.length, 3);
  assert.ok(w[0] > w[1] && w[1] > w[2], `by distance: ${w}`);
  // Solid angle ∝ 1 / d² (the offsets in x add a little), density ∝ its root: about 2× per doubling of the distance.
  assert.ok(w[0] / w[1] > 1.5 && w[0] / w[1] < 4, `near / mid ${w[0] / w[1]}`);
  assert.equal(await viewWeights(parts, []), [1, 1, 1]);
  // A part hidden behind a larger one keeps the least weight.
  const hidden = {
    positions: Float32Array.from([-5, -5, -2, 5, -5, -2, 5, 5, -2, -5, 5, -2, 0, 0, -3, 0.5, 0, -3, 0.5, 0.5, -3]),
    indices: Uint32Array.from([0, 1, 2, 0, 2, 3, 4, 5, 6]),
    partFirstTriangle: Uint32Array.of(0, 2, 3),
    areas: [100, 0.125],
  };
  const h = await viewWeights(hidden, [[0, 0, 0]]);
  assert.equal(h[1], VIEW_WEIGHT_DEFAULTS.min, `hidden part: ${h}`);
});

test('viewMeasures: the inverse distance of the nearer rays that see each part, 0 where none does', async () => {
  // Unit quads 2 and 4 m in front of the eye (the second 3 m aside), each seen at 1 / distance within its extent.
  const parts = quads([-2, -4]);
  const m = await viewMeasures(parts, [[0.5, 0.5, 0]]);
  m.inverseDistance.forEach((inv, i) => {
    const d = [2, 4][i];
    // The farthest ray reaches a corner, √(d² + 0.5²) away, or past x = 3i + 1 for the side quads.
    assert.ok(inv <= 1 / d && inv > 1 / Math.hypot(d, 3 * i + 1, 0.5), `part ${i}: 1 / ${1 / inv} at ${d} m`);
  });
  // The part behind the big quad: no ray sees it.
  const hidden = {
    positions: Float32Array.of(-10, -10, -1, 10, -10, -1, 10, 10, -1, -10, 10, -1, 0, 0, -2, 0.5, 0, -2, 0, 0.5, -2),
    indices: Uint32Array.of(0, 1, 2, 0, 2, 3, 4, 5, 6),
    partFirstTriangle: Uint32Array.of(0, 2, 3),
    areas: [400, 0.125],
  };
  const h = await viewMeasures(hidden, [[0, 0, 0]]);
  assert.is(h.inverseDistance[1], 0);
  assert.ok(Math.abs(h.inverseDistance[0] - 1) < 0.5, `${h.inverseDistance[0]}`);
});

test('viewMeasures: a ground seen at a slant is judged at its near pixels, not its mean', async () => {
  // A 40 m × 40 m ground (y = 0) from an eye 1.7 m above its middle: the rays that see it meet it from 1.7 m to far
  // away. Rays spread evenly over the lower hemisphere meet it at 1.7 / cos θ with cos θ uniform, so the nearest
  // tenth of them (cos θ above 0.9) within 1.9 m, and their mean 1 / d is about 0.5 / 1.7 (3.4 m).
  const ground = {
    positions: Float32Array.of(-20, 0, -20, 20, 0, -20, 20, 0, 20, -20, 0, 20),
    indices: Uint32Array.of(0, 2, 1, 0, 3, 2),
    partFirstTriangle: Uint32Array.of(0, 2),
    areas: [1600],
  };
  const [inv] = (await viewMeasures(ground, [[0, 1.7, 0]])).inverseDistance;
  assert.ok(inv > 0.5 && inv <= 1 / 1.7, `1 / ${1 / inv} m`);
});

test('viewFloorScale: raised until a texel spans the most pixels allowed, never lowered, at most maxRaise', () => {
  const pixel = 0.002; // radians
  // 10 texels per metre seen at 5 m: a texel spans 0.1 / 5 / 0.002 = 10 pixels, 2.5× the 4 allowed.
  assert.ok(Math.abs(viewFloorScale(10, 1 / 5, pixel, 4) - 2.5) < 1e-12);
  assert.is(viewFloorScale(10, 1 / 50, pixel, 4), 1, 'a texel under a pixel is left alone');
  assert.is(viewFloorScale(10, 1 / 0.1, pixel, 4), VIEW_FLOOR_DEFAULTS.maxRaise, 'an eye next to the wall');
  assert.is(viewFloorScale(10, 0, pixel, 4), 1, 'unseen');
  assert.is(viewFloorScale(10, 1 / 5, Number.POSITIVE_INFINITY), 1, 'no view pixel');
});

test('viewWeights: deterministic', async () => {
  const parts = quads([-2, -3, -5, -9]);
  const eyes: [number, number, number][] = [
    [0.5, 0.5, 0],
    [6, 0.5, 1],
  ];
  assert.equal(await viewWeights(parts, eyes), await viewWeights(parts, eyes));
});

test.run();
