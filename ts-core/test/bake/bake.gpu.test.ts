// GPU tests (npm run test:gpu, on a machine with a CUDA device): the CUDA bake runs the same transport as the CPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { bakeScene, finishBake, prepareBake, traceBake } from '../../src/bake/bake.js';
import { densityForPages } from '../../src/bake/uv.js';
import { nativeInfo } from '../../src/native/addon.js';

test('a CUDA device is present', () => {
  assert.ok(nativeInfo().devices.length > 0, nativeInfo().cudaUnavailableReason ?? 'no device');
});

test('CPU and CUDA lightmaps of the same seed agree: mean absolute difference < 1% of mean radiance', async () => {
  const scene = cornellBox();
  // No early stop: both backends take every sample, so the sampling is identical and only float rounding differs.
  const opts = { texelsPerMeter: 16, samples: 64, noiseThreshold: 0, denoise: false, seed: 3 } as const;
  const cpu = await bakeScene(scene, { ...opts, backend: 'cpu' });
  const gpu = await bakeScene(scene, { ...opts, backend: 'cuda' });
  assert.is(gpu.stats.backend, 'cuda');
  assert.is(gpu.stats.texels, cpu.stats.texels);
  let diff = 0,
    sum = 0,
    n = 0;
  cpu.pages.forEach((p, pg) => {
    for (let k = 0; k < p.width * p.height; k++) {
      if (!cpu.valid[pg][k]) continue;
      for (let c = 0; c < 3; c++) {
        diff += Math.abs(p.data[4 * k + c] - gpu.pages[pg].data[4 * k + c]);
        sum += p.data[4 * k + c];
        n++;
      }
    }
  });
  assert.ok(
    diff / n < 0.01 * (sum / n),
    `mean |cpu - cuda| ${(diff / n).toExponential(3)} vs mean ${(sum / n).toExponential(3)}`,
  );
});

test('the final gather reads the first pass on the device as on the host: a second pass agrees within 1% of mean radiance', async () => {
  // One first pass (CPU), then the second pass on each backend over the same pages: the lightmap lookup, the
  // per-triangle UV1 and page, and the page table are uploaded apart from the rest, so a missing one shows here.
  const opts = { texelsPerMeter: 16, samples: 64, noiseThreshold: 0, denoise: false, seed: 5 } as const;
  const prepared = await prepareBake(cornellBox(), { ...opts, backend: 'cpu' });
  const first = { ...prepared, options: { ...prepared.options, samples: 16, bounces: 2 } };
  const gatherPages = (await finishBake(first, await traceBake(first))).pages.map((p) => p.data);
  const second = (backend: 'cpu' | 'cuda') =>
    traceBake({ ...prepared, gatherPages, options: { ...prepared.options, backend } });
  const cpu = await second('cpu'),
    gpu = await second('cuda');
  assert.is(gpu.stats.backend, 'cuda');
  assert.ok(gpu.stats.rays < 0.7 * (await traceBake(prepared)).stats.rays, 'the device gathered (fewer rays)');
  let diff = 0,
    sum = 0;
  cpu.pages.rgba.forEach((p, pg) => {
    for (let k = 0; k < cpu.pages.valid[pg].length; k++)
      if (cpu.pages.valid[pg][k])
        for (let c = 0; c < 3; c++) {
          diff += Math.abs(p[4 * k + c] - gpu.pages.rgba[pg][4 * k + c]);
          sum += p[4 * k + c];
        }
  });
  assert.ok(diff < 0.01 * sum, `Σ|cpu - cuda| ${diff.toExponential(3)} vs Σ ${sum.toExponential(3)}`);
});

test('textures reach the device: a checker wall and a masked lamp bake alike on CPU and CUDA', async () => {
  // The flat texture table, UV0 and the sRGB table are uploaded separately from the materials: a missing upload
  // would read as untextured (or garbage) on the device only.
  const scene = cornellBox();
  const size = 32,
    data = new Uint8Array(4 * size * size);
  for (let i = 0; i < size * size; i++)
    data.set((((i % size) >> 3) + ((i / size) >> 3)) % 2 ? [0, 255, 0, 255] : [255, 0, 0, 255], 4 * i);
  scene.textures.push({ name: 'checker', mimeType: 'image/png', image: new Uint8Array(0), width: size, height: size });
  scene.materials = scene.materials.map((m) =>
    m.name === 'red'
      ? { ...m, baseColorFactor: [0.8, 0.8, 0.8, 1], baseColorTexture: { texture: 0, texCoord: 0 } }
      : m.name === 'light'
        ? { ...m, emissiveTexture: { texture: 0, texCoord: 0 } }
        : m,
  );
  const opts = {
    texelsPerMeter: 12,
    samples: 64,
    noiseThreshold: 0,
    denoise: false,
    seed: 5,
    textures: [{ width: size, height: size, data }],
  } as const;
  const cpu = await bakeScene(scene, { ...opts, backend: 'cpu' });
  const gpu = await bakeScene(scene, { ...opts, backend: 'cuda' });
  let diff = 0,
    sum = 0;
  cpu.pages.forEach((p, pg) => {
    for (let i = 0; i < p.data.length; i++)
      if (i % 4 !== 3 && cpu.valid[pg][i >> 2]) {
        diff += Math.abs(p.data[i] - gpu.pages[pg].data[i]);
        sum += p.data[i];
      }
  });
  assert.ok(diff < 0.01 * sum, `relative |cpu - cuda| ${(diff / sum).toExponential(3)}`);
});

test('Cornell box, one 1024² page, 256 spp, 3 bounces: at most 5 s on an H100', async () => {
  const scene = cornellBox();
  const r = await bakeScene(scene, {
    texelsPerMeter: densityForPages(scene, 1, 1024, 0.7),
    maxPageSize: 1024,
    samples: 256,
    bounces: 3,
    backend: 'cuda',
  });
  assert.ok(
    r.stats.traceSeconds + r.stats.setupSeconds <= 5,
    `${(r.stats.traceSeconds + r.stats.setupSeconds).toFixed(2)} s for ${r.stats.texels} texels`,
  );
});

test.run();
