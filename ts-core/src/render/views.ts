/**
 * planViews (scene/viewpoints.ts) with the native ray core as its caster. The rays are traced on the CPU, whose
 * results are bit-identical everywhere, so every verifier node plans the same views from the same scene.
 */
import type { JobOptions } from '../native/job.js';
import { NO_HIT } from '../native/rays.js';
import { planViews, type PlannedViews, type RayCaster, type ViewPlanOptions } from '../scene/viewpoints.js';
import type { Scene } from '../scene/types.js';
import { sceneBvh } from './render-view.js';

export async function planSceneViews(scene: Scene, opts: ViewPlanOptions & JobOptions = {}): Promise<PlannedViews> {
  const bvh = await sceneBvh(scene, { signal: opts.signal });
  const cast: RayCaster = async (origins, directions, tmax) => {
    const h = await bvh.traceRays(origins, directions, { tmax, normals: true, backend: 'cpu', signal: opts.signal });
    const n = origins.length / 3,
      t = new Float32Array(n),
      front = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (h.prim[i] === NO_HIT) {
        t[i] = Infinity;
        continue;
      }
      t[i] = h.t[i];
      const nx = h.normal![3 * i],
        ny = h.normal![3 * i + 1],
        nz = h.normal![3 * i + 2];
      front[i] = nx * directions[3 * i] + ny * directions[3 * i + 1] + nz * directions[3 * i + 2] < 0 ? 1 : 0;
    }
    return { t, front };
  };
  return planViews(scene, cast, opts);
}
