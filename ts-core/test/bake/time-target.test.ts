/**
 * The bake time target: a calibration of every k-th texel, the density it allows, the time it predicts, and a bad
 * target as a profile error.
 *
 * test-runner: alone (it compares a calibration with the bake it predicts, in wall-clock time; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { bakeScene } from '../../src/bake/bake.js';
import { gatherSamplesForTime, gatherSecondsAt } from '../../src/bake/final-gather.js';
import { gatherRaysAt, raysAt, samplesForTime } from '../../src/bake/time-target.js';
import { generateLightmapUvs, layoutOf } from '../../src/bake/uv.js';
import { type BakeNativeStats, bakeLightmapsNative } from '../../src/native/bake.js';
import { bakeInputs } from '../../src/native/transport-inputs.js';

// Small, fast bakes: the calibration and the bake itself take well under a second each on two CPU cores.
const common = {
  texelsPerMeter: 80,
  maxPageSize: 1024,
  samples: 32,
  minSamples: 16,
  bounces: 1,
  backend: 'cpu',
} as const;

test('a bake time target calibrates seconds per texel and holds the lightmap to what fits, predicting its time', async () => {
  const free = await bakeScene(cornellBox(), common);
  const t0 = performance.now();
  const timed = await bakeScene(cornellBox(), { ...common, targetSeconds: 0.5 });
  const seconds = (performance.now() - t0) / 1000;
  const t = timed.timeTarget!;
  assert.ok(t, 'the result says what the target did');
  assert.ok(t.calibration.texels > 0 && t.calibration.seconds > 0 && t.calibration.stride >= 1);
  // The target binds: fewer texels, lower density, and a warning saying why.
  assert.ok(
    timed.atlas.pageTexels < free.atlas.pageTexels,
    `${timed.atlas.pageTexels} page texels with the target, ${free.atlas.pageTexels} without`,
  );
  assert.ok(timed.atlas.densityScale < free.atlas.densityScale);
  assert.ok(
    timed.warnings.some((w) => /bake time target/.test(w)),
    timed.warnings.join('; '),
  );
  // Samples per texel fall first (to half the bake's own at most), and the bake takes what the target chose.
  assert.is(t.samples, 16);
  assert.ok(timed.stats.samplesPerTexel <= 16, `${timed.stats.samplesPerTexel} samples per texel`);
  assert.ok(
    timed.warnings.some((w) => /texels take 16 samples instead of 32/.test(w)),
    timed.warnings.join('; '),
  );
  // The prediction is what the time per covered texel says for the layout baked, and the bake stays near it
  // (a loose bound: this VM's speed drifts, and the calibration is a small bake).
  const baked = timed.stats.setupSeconds + timed.stats.traceSeconds + timed.stats.postMilliseconds / 1000;
  assert.ok(t.met === t.predictedSeconds <= 1.2 * t.seconds);
  assert.ok(
    baked < 4 * Math.max(t.predictedSeconds, 0.05),
    `baked in ${baked.toFixed(2)} s, predicted ${t.predictedSeconds.toFixed(2)} s`,
  );
  assert.ok(seconds < 30);
  // A target the scene already meets changes nothing: the same layout, the same lightmap.
  const loose = await bakeScene(cornellBox(), { ...common, targetSeconds: 3600 });
  assert.is(loose.atlas.pageTexels, free.atlas.pageTexels);
  assert.ok(loose.timeTarget!.met);
  assert.is(loose.timeTarget!.samples, 32);
  assert.equal(
    loose.pages.map((p) => Array.from(p.data.subarray(0, 4096))),
    free.pages.map((p) => Array.from(p.data.subarray(0, 4096))),
    'the same lightmap',
  );
});

test('under a binding target samples fall by the cube root of the overrun, in passes of 16, to half their own at most', () => {
  assert.is(samplesForTime(256, 1, 32), 256, 'a target that holds');
  assert.is(samplesForTime(256, 0.4, 32), 256);
  assert.is(samplesForTime(256, 2, 32), 192, '256 / 2^(1/3) = 203, a whole pass down');
  assert.is(samplesForTime(256, 8, 32), 128);
  assert.is(samplesForTime(256, 37, 32), 128, "half the bake's own at most");
  assert.is(samplesForTime(64, 37, 32), 32);
  assert.is(samplesForTime(48, 37, 32), 32, 'never below the minimum samples');
  assert.is(samplesForTime(16, 37, 32), 16, 'a bake already under its minimum keeps its samples');
});

test('the calibration bakes every k-th covered texel (texelStride): a k-th of them, spread over every page', async () => {
  const { scene, atlas } = await generateLightmapUvs(cornellBox(), { texelsPerMeter: 80, maxPageSize: 256 });
  assert.ok(atlas.pages.length > 1, `${atlas.pages.length} pages`);
  const { flat, inputs } = bakeInputs(scene, layoutOf(atlas), { type: 'none' });
  const opts = { samples: 4, minSamples: 4, bounces: 0, backend: 'cpu', guides: false } as const;
  const all = await bakeLightmapsNative(flat, inputs, opts);
  const k = 7;
  const some = await bakeLightmapsNative(flat, inputs, { ...opts, texelStride: k });
  assert.is(some.stats.texels, Math.ceil(all.stats.texels / k));
  assert.ok(some.stats.rasterSeconds > 0 && some.stats.rasterSeconds <= some.stats.setupSeconds);
  assert.ok(
    some.stats.sceneSeconds >= 0 && some.stats.rasterSeconds + some.stats.sceneSeconds <= some.stats.setupSeconds,
  );
  // Every page keeps about a k-th of its covered texels, and only covered ones.
  all.pages.valid.forEach((v, pg) => {
    const covered = v.reduce((s, x) => s + x, 0),
      kept = some.pages.valid[pg].reduce((s, x) => s + x, 0);
    assert.ok(Math.abs(kept - covered / k) <= 1, `page ${pg}: ${kept} of ${covered} texels kept`);
    some.pages.valid[pg].forEach((x, i) => {
      if (x) assert.is(v[i], 1);
    });
  });
  assert.is(some.pages.position.length, 0, 'no guides when none are asked for');
});

test('a calibration prices fewer samples from its own texels: samples exactly, rays within a few percent', async () => {
  const { scene, atlas } = await generateLightmapUvs(cornellBox({ variant: 'point' }), {
    texelsPerMeter: 40,
    maxPageSize: 512,
  });
  const { flat, inputs } = bakeInputs(scene, layoutOf(atlas), { type: 'none' });
  // An early stop loose enough that texels stop at different passes: the cut must read each texel's own count.
  const opts = { minSamples: 16, noiseThreshold: 0.05, bounces: 2, backend: 'cpu', guides: false, rays: true } as const;
  const many = await bakeLightmapsNative(flat, inputs, { ...opts, samples: 128 });
  const fewer = await bakeLightmapsNative(flat, inputs, { ...opts, samples: 48 });
  const counts = new Set<number>();
  many.pages.samples.forEach((s, p) =>
    s.forEach((n, i) => {
      counts.add(n);
      assert.is(fewer.pages.samples[p][i], Math.min(n, 48), `page ${p} texel ${i}: a texel's first passes do not move`);
    }),
  );
  assert.ok(counts.size > 2, `texels stop at ${[...counts].join(', ')} samples`);
  const total = (r: Uint32Array[]) => r.reduce((s, a) => s + a.reduce((t, x) => t + x, 0), 0);
  const predicted = raysAt(many.pages, 48),
    traced = total(fewer.pages.rays);
  assert.is(raysAt(many.pages, 128), total(many.pages.rays), 'at its own samples, its own rays');
  assert.ok(predicted < 0.6 * total(many.pages.rays), 'the cut saves rays');
  assert.ok(Math.abs(predicted / traced - 1) < 0.05, `predicted ${predicted} rays, traced ${traced}`);
});

test('a final gather is priced from its rays per sample over pages of zeros: within a few percent of its second pass', async () => {
  const { scene, atlas } = await generateLightmapUvs(cornellBox({ variant: 'point' }), {
    texelsPerMeter: 40,
    maxPageSize: 512,
  });
  const layout = layoutOf(atlas);
  const { flat, inputs } = bakeInputs(scene, layout, { type: 'none' });
  const opts = { minSamples: 16, noiseThreshold: 0.05, bounces: 2, backend: 'cpu', guides: false, rays: true } as const;
  const zeros = layout.pageWidth.map((w, p) => new Float32Array(4 * w * layout.pageHeight[p]));
  const full = await bakeLightmapsNative(flat, inputs, { ...opts, samples: 48 });
  const gather = await bakeLightmapsNative(
    flat,
    { ...inputs, gatherPages: zeros },
    { ...opts, samples: 16, gatherNear: 3 },
  );
  // The second pass as the bake runs it, over a first pass's pages (here the full-path bake's own radiance).
  const first = await bakeLightmapsNative(flat, inputs, { ...opts, bounces: 1, samples: 16 });
  const second = await bakeLightmapsNative(
    flat,
    { ...inputs, gatherPages: first.pages.rgba },
    { ...opts, samples: 48, gatherNear: 3 },
  );
  const total = (r: Uint32Array[]) => r.reduce((s, a) => s + a.reduce((t, x) => t + x, 0), 0);
  const predicted = gatherRaysAt(full.pages, gather.pages, 0, 48),
    traced = total(second.pages.rays);
  assert.ok(
    predicted < 0.7 * total(full.pages.rays),
    `a gathered sample is cheaper: ${predicted} against ${total(full.pages.rays)}`,
  );
  assert.ok(Math.abs(predicted / traced - 1) < 0.1, `predicted ${predicted} rays, traced ${traced}`);
  assert.is(gatherRaysAt(full.pages, gather.pages, 16, 48) - predicted, raysAt(full.pages, 16), 'the first pass');
});

test("a second pass's price counts the scene's own setup and the raster once, and the rest per texel, in steps of 8 samples", () => {
  // 100 calibrated texels of 10,000, each 64 samples and 640 rays: at 32 samples half the tracing.
  const cal = {
    stats: { texels: 100, setupSeconds: 1.5, rasterSeconds: 0.2, sceneSeconds: 1, traceSeconds: 2 } as BakeNativeStats,
    samples: [new Uint32Array(100).fill(64)],
    rays: [new Uint32Array(100).fill(640)],
  };
  // 0.2 raster + 1 scene + 10,000 × (0.3 setup + 2 × 0.5 tracing) / 100. Priced per texel, the scene's second would
  // have added 99 more.
  assert.ok(Math.abs(gatherSecondsAt(cal, 10_000, 32) - 131.2) < 1e-9, String(gatherSecondsAt(cal, 10_000, 32)));
  assert.is(gatherSamplesForTime(cal, 10_000, 131.2 + 1e-9, 64, 8), 32);
  assert.is(gatherSamplesForTime(cal, 10_000, 131.1, 64, 8), 24);
  assert.is(gatherSamplesForTime(cal, 10_000, 1, 64, 8), 8, 'the least when even that is over');
});

test('a bad time target is a profile error naming the field', async () => {
  for (const targetSeconds of [0, -1, Number.NaN]) {
    try {
      await bakeScene(cornellBox(), { ...common, targetSeconds });
      assert.unreachable(`targetSeconds ${targetSeconds} accepted`);
    } catch (e) {
      assert.is((e as { code: string }).code, 'BAD_PROFILE');
      assert.match((e as Error).message, /targetSeconds/);
    }
  }
});

test.run();
