/**
 * The native lightmap post-processing (ote/bake/lightmap_post.h, which finishBake runs) against its TypeScript
 * reference (bake/post.ts denoiseLightmap + dilate): float for float on real pages of a bake of the shared Cornell
 * box and on a synthetic page with creases, shadows, texel sizes that vary and partial coverage; the same
 * without a direct part; bad pages named by field; cancellation.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prepareBake, traceBake } from '../../src/bake/bake.js';
import { denoiseLightmap, dilate, LIGHTMAP_DENOISE_DEFAULTS, type PageGuides } from '../../src/bake/post.js';
import { OteError } from '../../src/errors.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { type NativeLightmapPage, postprocessLightmapPageNative } from '../../src/native/lightmap-post.js';
import { Rng } from '../../src/util/rng.js';
import { sharedScenesDir } from '../helpers.js';

/** The reference's result and the native one's on copies of the same page. */
async function both(page: NativeLightmapPage, rings = 4, denoise = true) {
  const g: PageGuides = {
    valid: page.valid,
    position: page.position!,
    normal: page.normal!,
    texelSize: page.texelSize,
  };
  const ref = { width: page.width, height: page.height, data: page.rgba.slice() };
  if (denoise) denoiseLightmap(ref, page.direct, g);
  dilate(ref, page.valid, rings);
  const rgba = page.rgba.slice();
  await postprocessLightmapPageNative({ ...page, rgba }, { ...LIGHTMAP_DENOISE_DEFAULTS, denoise, dilateRings: rings });
  return { ref: ref.data, native: rgba };
}

/** Differing floats compared as bits, with the first one for the message. */
function differing(a: Float32Array, b: Float32Array): { count: number; first: string } {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length),
    y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let count = 0,
    first = '';
  for (let i = 0; i < x.length; i++)
    if (x[i] !== y[i]) {
      if (!count) first = `at ${i}: ${a[i]} vs ${b[i]}`;
      count++;
    }
  return { count, first };
}

/** A page of two planes meeting at a crease, in 24-texel blocks of which a third are uncovered, with a sharp
 * shadow band, noisy light, a direct part, and texels twice as wide on the right half. */
function syntheticPage(W: number, H: number, seed: string): NativeLightmapPage {
  const rng = new Rng(seed);
  const n = W * H;
  const valid = new Uint8Array(n),
    position = new Float32Array(3 * n),
    normal = new Float32Array(3 * n),
    rgba = new Float32Array(4 * n),
    direct = new Float32Array(3 * n);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      valid[i] = (Math.floor(x / 24) + Math.floor(y / 24)) % 3 !== 0 ? 1 : 0;
      const fold = x > W / 2;
      const size = fold ? 0.02 : 0.01;
      position.set([x * size, fold ? (x - W / 2) * size : 0, y * 0.01], 3 * i);
      normal.set(fold ? [-Math.SQRT1_2, Math.SQRT1_2, 0] : [0, 1, 0], 3 * i);
      const lit = (x + 2 * y) % 61 < 25 ? 0.15 : 1;
      const d = [0.7, 0.6, 0.5].map((c) => c * lit * (0.6 + 0.8 * rng.next()));
      direct.set(d, 3 * i);
      rgba.set(
        [d[0] + 0.3 * rng.next(), d[1] + 0.3 * rng.next(), d[2] + 0.3 * rng.next(), 0.7 + 0.3 * rng.next()],
        4 * i,
      );
    }
  return { width: W, height: H, rgba, valid, position, normal, direct, texelSize: 0.01 };
}

test('native post equals the TypeScript reference float for float on a synthetic page, split and whole', async () => {
  const page = syntheticPage(200, 136, 'post-native');
  const split = await both(page);
  const d = differing(split.ref, split.native);
  assert.is(d.count, 0, `split: ${d.count} floats differ, first ${d.first}`);
  // It did something: the denoise moved covered texels and the dilation filled uncovered ones.
  let moved = 0,
    filled = 0;
  for (let i = 0; i < page.valid.length; i++) {
    if (page.valid[i] && split.native[4 * i] !== page.rgba[4 * i]) moved++;
    if (!page.valid[i] && split.native[4 * i + 3] !== 0) filled++;
  }
  assert.ok(moved > 0.9 * page.valid.reduce((s, v) => s + v, 0), `moved ${moved}`);
  assert.ok(filled > 1000, `filled ${filled}`);
  const whole = await both({ ...page, direct: undefined });
  assert.is(differing(whole.ref, whole.native).count, 0, 'whole');
  assert.ok(differing(whole.native, split.native).count > 0, 'split and whole denoise differently');
  const empty = await both({ ...page, direct: new Float32Array(0) });
  assert.is(differing(empty.native, whole.native).count, 0, 'an empty direct part is no direct part');
  const dilated = await both(page, 6, false);
  assert.is(differing(dilated.ref, dilated.native).count, 0, 'dilation alone');
});

test("native post equals the reference float for float on the Cornell box's traced pages", async () => {
  const scene = (await importGltf(join(sharedScenesDir, 'cornell_box', 'CornellBox-Original.glb'))).scene;
  const bake = await prepareBake(scene, { texelsPerMeter: 30, maxPageSize: 512, samples: 16, seed: 3, backend: 'cpu' });
  const raw = await traceBake(bake);
  assert.ok(raw.pages.rgba.length > 0);
  for (const [i, rgba] of raw.pages.rgba.entries()) {
    const page: NativeLightmapPage = {
      width: bake.layout.pageWidth[i],
      height: bake.layout.pageHeight[i],
      rgba,
      valid: raw.pages.valid[i],
      position: raw.pages.position[i],
      normal: raw.pages.normal[i],
      direct: raw.pages.direct[i],
      texelSize: 1 / 30,
    };
    const r = await both(page);
    const d = differing(r.ref, r.native);
    assert.is(d.count, 0, `page ${i}: ${d.count} floats differ, first ${d.first}`);
  }
});

test('a bad page is refused naming the field; an aborted post rejects as CANCELLED', async () => {
  const page = syntheticPage(64, 48, 'bad');
  const refuses = async (p: NativeLightmapPage, field: RegExp, options = {}) => {
    try {
      await postprocessLightmapPageNative(p, options);
    } catch (e) {
      assert.match((e as Error).message, field);
      assert.match((e as Error).message, /^postprocessLightmapPage: /);
      return;
    }
    assert.unreachable(`accepted, expected ${field}`);
  };
  await refuses({ ...page, rgba: new Float32Array(10) }, /page\.rgba has length 10, expected 12288/);
  await refuses({ ...page, normal: undefined }, /page\.normal is required/);
  await refuses({ ...page, direct: new Float32Array(5) }, /page\.direct has length 5/);
  await refuses({ ...page, texelSize: 0 }, /page\.texelSize must be a finite number > 0/);
  await refuses(page, /options\.bounced\.iterations must be at most 8/, { bounced: { iterations: 9 } });
  // Dilation alone needs no guides.
  await postprocessLightmapPageNative(
    { ...page, rgba: page.rgba.slice(), position: undefined, normal: undefined },
    { denoise: false },
  );
  const controller = new AbortController();
  controller.abort();
  try {
    await postprocessLightmapPageNative(syntheticPage(64, 48, 'x'), { signal: controller.signal });
    assert.unreachable('not cancelled');
  } catch (e) {
    assert.ok(e instanceof OteError && e.code === 'CANCELLED', String(e));
  }
});

test.run();
