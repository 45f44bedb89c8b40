/**
 * A path-traced batch spread over `render-rows` tasks (farm/render-tasks.ts) returns the images one machine renders,
 * bit for bit, lighting-only nodes included: the spec carries what the package's scene does not. The tasks run
 * through the real executor in this process, their blobs in a map (the farm's transport is tested in
 * bake-split.test.ts).
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshBuilder } from '../../../examples/generators/shapes.js';
import { farmPathtracer, renderRowsExecutor } from '../../src/farm/render-tasks.js';
import type { JobRow } from '../../src/farm/store.js';
import type { ExecutorContext, TaskOutcome } from '../../src/farm/worker.js';
import { type PathtraceCommon, renderPathtracedBatch } from '../../src/render/pathtrace.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Scene } from '../../src/scene/types.js';
import type { View } from '../../src/scene/view.js';

/** A leaf under a roof, lit by the sun through a gap: the roof is the lighting-only node. */
function roofScene(): Scene {
  const s = createScene('roof');
  const grey = addMaterial(s, { ...defaultMaterial('grey'), metallicFactor: 0, doubleSided: true });
  const leaf = new MeshBuilder(),
    roof = new MeshBuilder();
  leaf.quad([-0.5, -0.5, 0], [1, 0, 0], [0, 1, 0]);
  roof.quad([-0.2, -1, 1], [1.5, 0, 0], [0, 2, 0]);
  addNode(s, { name: 'leaf', mesh: addMesh(s, 'leaf', [leaf.build(grey)]) });
  addNode(s, { name: 'roof', mesh: addMesh(s, 'roof', [roof.build(grey)]) });
  s.lights.push({
    name: 'sun',
    type: 'directional',
    color: [1, 1, 1],
    intensity: 2,
    innerConeAngle: 0,
    outerConeAngle: 1,
  });
  addNode(s, { name: 'sun', light: 0 });
  return s;
}

const view: View = {
  cameraToWorld: Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 4, 1),
  yfov: 0.6,
  width: 48,
  height: 40,
  znear: 0.05,
  zfar: 50,
};

/** A job context whose tasks run here, through the real render-rows executor. */
function inProcessFarm(): { ctx: ExecutorContext; kinds: string[] } {
  const blobs = new Map<string, Uint8Array>(),
    kinds: string[] = [];
  const put = async (data: Uint8Array) => {
    const hash = createHash('sha256').update(data).digest('hex');
    blobs.set(hash, new Uint8Array(data));
    return hash;
  };
  const ctx: ExecutorContext = {
    worker: 'here',
    signal: new AbortController().signal,
    scene: async () => new Uint8Array(0),
    blob: async (hash) => blobs.get(hash)!,
    put,
    progress: () => {},
    log: () => {},
    workDir: '',
    runTasks: async (tasks) => {
      const out: TaskOutcome[] = [];
      for (const [index, t] of tasks.entries()) {
        kinds.push(t.kind);
        const job = { id: `task${index}`, spec: t.spec } as unknown as JobRow;
        const r = await renderRowsExecutor(job, ctx);
        out.push({
          index,
          id: job.id,
          worker: 'here',
          seconds: 0,
          dispatch: null,
          artifacts: { 'rows.bin': await put(r.artifacts['rows.bin']) },
        });
      }
      return out;
    },
  };
  return { ctx, kinds };
}

test('render-rows tasks carry the lighting-only nodes: the split images equal the local ones, bit for bit', async () => {
  const scene = roofScene();
  const requests = [{ view, spp: 4, seed: 5 }];
  const common: PathtraceCommon = { bounces: 1, cameraHidden: [1] };
  const local = await renderPathtracedBatch(scene, requests, common);
  const { ctx, kinds } = inProcessFarm();
  const split = await farmPathtracer(ctx, { tasks: 3 })(scene, requests, common);
  assert.equal(kinds, ['render-rows', 'render-rows', 'render-rows']);
  assert.ok(Buffer.from(split[0].data.buffer).equals(Buffer.from(local[0].data.buffer)), 'split ≠ local');
  // And the roof is hidden there: the image differs from one with the roof drawn.
  const drawn = await renderPathtracedBatch(scene, requests, { bounces: 1 });
  assert.not.ok(Buffer.from(drawn[0].data.buffer).equals(Buffer.from(local[0].data.buffer)));
});

test.run();
