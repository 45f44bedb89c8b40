/**
 * What happens to a scene's lights once they are baked. A viewer that draws a lightmapped mesh and also applies the
 * lights that lit its lightmap lights it twice, so:
 * - when every drawn primitive is lightmapped, the punctual lights are removed from the output, and so are the
 *   nodes that only carried them;
 * - when some are not (objects kept movable, or left without a lightmap), the lights stay for them, marked
 *   `baked` (extras.ote.baked in glTF): a viewer applies them only to meshes without a lightmap, as Unity's
 *   "Baked"/"Mixed" light modes and Unreal's static lights do. The report lists which lights went and which stayed;
 * - the environment's sun (plan/environment.ts) never reaches the output: it was not the scene's light.
 * Pure.
 */
import { SUN_NODE } from '../plan/environment.js';
import { removeNodes } from '../scene/remove-nodes.js';
import type { Scene, SceneNode } from '../scene/types.js';

export interface BakedLights {
  scene: Scene;
  /** Names of the lights removed from the output (their light is in the lightmaps). */
  removed: string[];
  /** Names of the lights kept for what is not lightmapped, marked baked. */
  kept: string[];
}

export function settleBakedLights(scene: Scene): BakedLights {
  const prims = scene.nodes.flatMap((n) => (n.mesh === undefined ? [] : scene.meshes[n.mesh].primitives));
  const allBaked = prims.length > 0 && prims.every((p) => scene.materials[p.material]?.lightmap !== undefined);
  const removed: string[] = [],
    kept: string[] = [];
  const used = new Set<number>();
  const drop = new Set<number>();
  const nodes = scene.nodes.map((n, i): SceneNode => {
    if (n.light === undefined) return n;
    const light = scene.lights[n.light];
    const environment = n.name === SUN_NODE && light?.name === SUN_NODE;
    if (environment || allBaked) {
      if (!environment && light) removed.push(light.name);
      // A node that only carried the light goes with it (no empty leaves in the output).
      if (n.mesh === undefined && n.camera === undefined && !n.children.length) drop.add(i);
      const { light: _, ...rest } = n;
      return rest;
    }
    used.add(n.light);
    if (light) kept.push(light.name);
    return n;
  });
  // Compact the light table to the lights still referenced, marked baked.
  const index = new Map<number, number>();
  const lights = [...used]
    .sort((a, b) => a - b)
    .map((l, k) => {
      index.set(l, k);
      return { ...scene.lights[l], baked: true };
    });
  const relit = nodes.map((n) => (n.light === undefined ? n : { ...n, light: index.get(n.light)! }));
  return { scene: removeNodes({ ...scene, nodes: relit, lights }, drop), removed, kept };
}
