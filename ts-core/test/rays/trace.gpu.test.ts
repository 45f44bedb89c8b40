// GPU checks of the ray-tracing core (npm run test:gpu, on a machine with a CUDA device): the CUDA traversal
// returns the same hits as the CPU one, and the renderer gives the same image on both backends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GENERATORS } from '../../../examples/generators/index.js';
import { nativeInfo } from '../../src/native/addon.js';
import { NO_HIT, SceneBvh } from '../../src/native/rays.js';
import { renderView } from '../../src/render/render-view.js';
import { flattenScene } from '../../src/scene/flatten.js';
import { defaultView } from '../../src/scene/view.js';
import { Rng } from '../../src/util/rng.js';

const hasGpu = nativeInfo().devices.length > 0;

function randomRays(n: number, seed: number, lo: number[], hi: number[]) {
  const rng = new Rng(seed);
  const o = new Float32Array(3 * n), d = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    o.set([rng.range(lo[0], hi[0]), rng.range(lo[1], hi[1]), rng.range(lo[2], hi[2])], 3 * i);
    d.set([rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)], 3 * i);
  }
  return { o, d };
}

// Both backends walk the same 8-wide nodes and triangle packets (SSE on the CPU, a scalar loop on the GPU), nearest
// child first with the same tie rule, so they must agree ray for ray: same triangle, t within 1e-5 relative.
test('CUDA and CPU return the same hit for each ray (1M-triangle atrium and the instanced plant field; both cull modes)', async () => {
  assert.ok(hasGpu, `no CUDA device: ${nativeInfo().cudaUnavailableReason}`);
  for (const [kind, scale] of [['atrium', 10], ['foliage', 4]] as const) {
    const flat = flattenScene(GENERATORS[kind](scale));
    const bvh = await SceneBvh.build(flat);
    const { o, d } = randomRays(200_000, 3, [-10, 0.1, -10], [10, 6, 10]);
    for (const backfaceCull of [false, true]) {
      const cpu = await bvh.traceRays(o, d, { backend: 'cpu', backfaceCull });
      const w0 = performance.now();
      const gpu = await bvh.traceRays(o, d, { backend: 'cuda', backfaceCull });
      assert.is(gpu.backend, 'cuda');
      // Kernel time from CUDA events: measured, and less than the call with its transfers.
      assert.ok(gpu.traceMs > 0 && gpu.traceMs < performance.now() - w0, `traceMs ${gpu.traceMs}`);
      let bad = 0, hits = 0;
      for (let i = 0; i < o.length / 3; i++) {
        if (cpu.prim[i] !== NO_HIT) hits++;
        const tOk = cpu.t[i] === gpu.t[i] || Math.abs(cpu.t[i] - gpu.t[i]) <= 1e-5 * Math.abs(cpu.t[i]);
        // A different triangle is only acceptable at the same distance (a ray through a shared edge).
        if (!tOk || (cpu.prim[i] !== gpu.prim[i] && cpu.t[i] !== gpu.t[i] && Math.abs(cpu.t[i] - gpu.t[i]) > 1e-6 * cpu.t[i])) bad++;
      }
      assert.ok(hits > 20_000, `${kind}: only ${hits} hits`);
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
