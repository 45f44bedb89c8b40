/**
 * The final gather (bake/final-gather.ts): the second pass estimates what paths traced to their end estimate, at
 * fewer rays per sample and with less error; it gathers only from the lit faces of single-sided lightmapped surfaces;
 * scenes with point or spot lights do not gather unless asked; a split of the second pass is the whole of it float
 * for float; and its pages travel to farm tasks intact.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import {
  type BakeOptions,
  type BakeResult,
  bakeScene,
  finishBake,
  type PreparedBake,
  prepareBake,
  type RawBake,
  traceBake,
  traceFinalGather,
} from '../../src/bake/bake.js';
import { bakeRange, mergeBakeRanges } from '../../src/bake/split.js';
import { decodeGatherPages, encodeGatherPages } from '../../src/farm/bake-tasks.js';
import type { Scene } from '../../src/scene/types.js';

// The Cornell box lit by its ceiling lamp (an emissive quad): most of its walls are lit by bounce light, 10k texels.
const OPTS: BakeOptions = {
  texelsPerMeter: 24,
  maxPageSize: 256,
  samples: 128,
  minSamples: 16,
  bounces: 3,
  seed: 3,
  backend: 'cpu',
};

/** The mean luminance of L over the valid texels of every page. */
function meanL(r: BakeResult): number {
  let sum = 0,
    n = 0;
  r.pages.forEach((p, pg) => {
    const v = r.valid[pg];
    for (let i = 0; i < v.length; i++)
      if (v[i]) {
        sum += 0.2126 * p.data[4 * i] + 0.7152 * p.data[4 * i + 1] + 0.0722 * p.data[4 * i + 2];
        n++;
      }
  });
  return sum / n;
}

/** Relative RMS difference of two bakes of one layout over the valid texels, RGB. */
function relativeRms(ref: BakeResult, r: BakeResult): number {
  let err = 0,
    sum = 0;
  ref.pages.forEach((p, pg) => {
    const v = ref.valid[pg];
    for (let i = 0; i < v.length; i++)
      if (v[i])
        for (let c = 0; c < 3; c++) {
          err += (r.pages[pg].data[4 * i + c] - p.data[4 * i + c]) ** 2;
          sum += p.data[4 * i + c] ** 2;
        }
  });
  return Math.sqrt(err / sum);
}

test('the final gather agrees with paths traced to their end, with less error at a third of the rays', async () => {
  const scene = cornellBox();
  const ref = await bakeScene(scene, { ...OPTS, finalGather: false, samples: 1024, noiseThreshold: 0 });
  const paths = await bakeScene(scene, { ...OPTS, finalGather: false });
  const gathered = await bakeScene(scene, OPTS);
  const g = gathered.finalGather!;
  assert.ok(g, 'the result says what the two passes did (no point or spot light: it gathers by default)');
  assert.is(g.firstSamples, 8, 'the default first pass');
  assert.is(g.samples, 128);
  assert.is(paths.finalGather, undefined);
  // The same layout, so texel for texel the same surfaces.
  assert.equal(gathered.layout.pageWidth, ref.layout.pageWidth);
  // As bright as paths with the bounces asked for (the first pass takes one fewer: the gathered bounce is the last).
  const a = meanL(ref),
    b = meanL(gathered);
  assert.ok(Math.abs(b / a - 1) < 0.01, `mean L: gathered ${b.toFixed(4)}, paths at 1024 samples ${a.toFixed(4)}`);
  // Texel by texel nearer the 1024-sample bake than paths at the same samples, for fewer rays.
  const eg = relativeRms(ref, gathered),
    ep = relativeRms(ref, paths);
  assert.ok(eg < ep, `relative RMS against 1024 samples: gathered ${eg.toFixed(4)}, paths ${ep.toFixed(4)}`);
  const perSample = (r: BakeResult) => r.stats.rays / r.stats.texelSamples;
  assert.ok(
    perSample(gathered) < 0.6 * perSample(paths),
    `rays per sample: gathered ${perSample(gathered).toFixed(2)}, paths ${perSample(paths).toFixed(2)}`,
  );
});

test('a scene with a point light does not gather unless asked', async () => {
  const scene = cornellBox({ variant: 'point' });
  const opts = { ...OPTS, samples: 16, texelsPerMeter: 8 };
  assert.is((await bakeScene(scene, opts)).finalGather, undefined);
  assert.is((await bakeScene(scene, { ...opts, finalGather: true })).finalGather?.samples, 16);
});

test('double-sided surfaces are not gathered from: the second pass continues the path there', async () => {
  const scene: Scene = cornellBox();
  const prepared = await prepareBake(scene, OPTS);
  const perSample = (r: RawBake) => r.stats.rays / r.stats.texelSamples;
  const second = async (p: PreparedBake) =>
    (await traceFinalGather(p, (b, onProgress) => traceBake(b, { onProgress }))).raw;
  const single = perSample(await second(prepared));
  for (const m of scene.materials) m.doubleSided = true;
  const twoSided = await prepareBake(scene, OPTS);
  const paths = perSample(await traceBake(twoSided));
  const gathered = perSample(await second(twoSided));
  // Every bounce ray lands on a double-sided surface: the second pass traces paths as the one-pass bake does.
  assert.ok(
    Math.abs(gathered / paths - 1) < 0.05,
    `rays per sample: second pass ${gathered.toFixed(2)}, paths ${paths.toFixed(2)}`,
  );
  assert.ok(
    single < 0.6 * gathered,
    `single-sided ${single.toFixed(2)} rays per sample, double-sided ${gathered.toFixed(2)}`,
  );
});

test('a final gather second pass split into ranges, baked apart and merged, is the whole pass float for float', async () => {
  const prepared = await prepareBake(cornellBox(), OPTS);
  let second: PreparedBake | undefined;
  const { raw } = await traceFinalGather(prepared, async (b, onProgress) => {
    if (b.gatherPages) second = b;
    return traceBake(b, { onProgress });
  });
  assert.ok(second?.gatherPages, 'the second pass carries the first pass pages');
  const covered = raw.stats.coveredTexels;
  // The pages as a farm task gets them: one blob, cut by the layout.
  const travelled = {
    ...second!,
    gatherPages: decodeGatherPages(encodeGatherPages(second!.gatherPages!), second!.layout),
  };
  const cuts = [0, Math.floor(covered / 3), Math.floor((2 * covered) / 3), covered];
  const parts = [];
  for (let i = 0; i < 3; i++) parts.push(await bakeRange(travelled, { begin: cuts[i], end: cuts[i + 1] }));
  const merged = mergeBakeRanges(parts);
  raw.pages.rgba.forEach((page, pg) => {
    const a = new Uint32Array(page.buffer, page.byteOffset, page.length);
    const m = merged.pages.rgba[pg];
    const b = new Uint32Array(m.buffer, m.byteOffset, m.length);
    let diff = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff++;
    assert.is(diff, 0, `page ${pg}: ${diff} floats differ`);
  });
  // Finished like any bake.
  const done = await finishBake(second!, merged);
  assert.is(done.finalGather?.samples, 128);
  // A blob that does not fit the layout is refused, naming what it holds.
  assert.throws(
    () => decodeGatherPages(new Uint8Array(12), second!.layout),
    (e: Error) => /gather pages: 12 bytes/.test(e.message),
  );
});

test.run();
