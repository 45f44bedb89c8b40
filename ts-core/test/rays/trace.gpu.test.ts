// GPU checks of the ray-tracing core (npm run test:gpu, on a machine with a CUDA device): the CUDA traversal
// returns the same hits as the CPU one, and the renderer gives the same image on both backends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GENERATORS } from '../../../examples/generators/index.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { nativeInfo } from '../../src/native/addon.js';
import { NO_HIT, SceneBvh } from '../../src/native/rays.js';
import { renderView } from '../../src/render/render-view.js';
import { flattenScene } from '../../src/scene/flatten.js';
import { defaultView } from '../../src/scene/view.js';
import { Rng } from '../../src/util/rng.js';
import { sharedScenes } from '../helpers.js';

const hasGpu = nativeInfo().devices.length > 0;

function randomRays(n: number, seed: number, lo: number[], hi: number[]) {
  const rng = new Rng(seed);
  const o = new Float32Array(3 * n),
    d = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    o.set([rng.range(lo[0], hi[0]), rng.range(lo[1], hi[1]), rng.range(lo[2], hi[2])], 3 * i);
    d.set([rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)], 3 * i);
  }
  return { o, d };
}

// Both backends walk the same 8-wide nodes and triangle packets (SSE on the CPU, a scalar loop on the GPU), nearest
// child first with the same tie rule, so they must agree ray for ray: same triangle, t within 1e-5 relative.
test('CUDA and CPU return the same hit for each ray (1M-triangle atrium, the instanced plant field, cylinder_engine_2; both cull modes)', async () => {
  assert.ok(hasGpu, `no CUDA device: ${nativeInfo().cudaUnavailableReason}`);
  // cylinder_engine_2 (../shared/scenes) has meshes drawn once and shared meshes copied into the world BVH, whose
  // hits name their instance through slot_instance on the device.
  const cylinder = sharedScenes().find((e) => e.name === 'cylinder_engine_2');
  assert.ok(cylinder, 'cylinder_engine_2 missing from ../shared/scenes');
  const scenes = [
    { kind: 'atrium', flat: flattenScene(GENERATORS.atrium(10)), lo: [-10, 0.1, -10], hi: [10, 6, 10] },
    { kind: 'foliage', flat: flattenScene(GENERATORS.foliage(4)), lo: [-10, 0.1, -10], hi: [10, 6, 10] },
    {
      kind: 'cylinder_engine_2',
      flat: flattenScene((await importGltf(cylinder!.path)).scene),
      lo: [-300, -150, -120],
      hi: [300, 80, 110],
    },
  ];
  for (const { kind, flat, lo, hi } of scenes) {
    const bvh = await SceneBvh.build(flat);
    const { o, d } = randomRays(200_000, 3, lo, hi);
    for (const backfaceCull of [false, true]) {
      const cpu = await bvh.traceRays(o, d, { backend: 'cpu', backfaceCull });
      const w0 = performance.now();
      const gpu = await bvh.traceRays(o, d, { backend: 'cuda', backfaceCull });
      assert.is(gpu.backend, 'cuda');
      // Kernel time from CUDA events: measured, and less than the call with its transfers.
      assert.ok(gpu.traceMs > 0 && gpu.traceMs < performance.now() - w0, `traceMs ${gpu.traceMs}`);
      let bad = 0,
        hits = 0;
      for (let i = 0; i < o.length / 3; i++) {
        if (cpu.prim[i] !== NO_HIT) hits++;
        const tOk = cpu.t[i] === gpu.t[i] || Math.abs(cpu.t[i] - gpu.t[i]) <= 1e-5 * Math.abs(cpu.t[i]);
        // A different triangle is only acceptable at the same distance (a ray through a shared edge).
        if (
          !tOk ||
          (cpu.prim[i] !== gpu.prim[i] && cpu.t[i] !== gpu.t[i] && Math.abs(cpu.t[i] - gpu.t[i]) > 1e-6 * cpu.t[i])
        )
          bad++;
        else if (
          cpu.prim[i] === gpu.prim[i] &&
          (cpu.instance[i] !== gpu.instance[i] ||
            Math.abs(cpu.barycentrics[2 * i] - gpu.barycentrics[2 * i]) > 1e-4 ||
            Math.abs(cpu.barycentrics[2 * i + 1] - gpu.barycentrics[2 * i + 1]) > 1e-4)
        )
          bad++;
      }
      assert.ok(hits > 10_000, `${kind}: only ${hits} hits`);
      assert.is(bad, 0, `${kind} (cull ${backfaceCull}): ${bad} rays differ between CPU and CUDA`);
    }
    const cpuAny = await bvh.traceRays(o, d, { anyHit: true, tmax: 2, backend: 'cpu' });
    const gpuAny = await bvh.traceRays(o, d, { anyHit: true, tmax: 2, backend: 'cuda' });
    assert.equal(gpuAny.occluded, cpuAny.occluded, `${kind}: any-hit differs`);
    bvh.dispose();
  }
});

test('renderView gives the same image on CPU and CUDA', async () => {
  assert.ok(hasGpu);
  const scene = GENERATORS.atrium(2);
  const view = defaultView(scene, 128);
  for (const mode of ['albedo', 'normals', 'ao', 'shaded'] as const) {
    const a = await renderView(scene, view, { mode, spp: 2, backend: 'cpu' });
    const b = await renderView(scene, view, { mode, spp: 2, backend: 'cuda' });
    let diff = 0;
    for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
    // AO and shadow rays may flip on grazing hits with fused multiply-adds; the mean must agree tightly.
    let mean = 0;
    for (let i = 0; i < a.data.length; i++) mean += Math.abs(a.data[i] - b.data[i]);
    mean /= a.data.length;
    assert.ok(mean < 2e-3, `${mode}: mean |cpu - cuda| ${mean}`);
    if (mode === 'albedo' || mode === 'normals') assert.ok(diff < 1e-3, `${mode}: max |cpu - cuda| ${diff}`);
  }
});

test.run();
