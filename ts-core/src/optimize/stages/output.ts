/**
 * Output: the optimized glTF as it ships. Meshes stay where they were not replaced by splats, and what only the
 * replaced ones used goes (nodes left empty, meshes, materials, textures and accessors nothing references), so the
 * glTF plus splats is not heavier than it must be; lights whose light is in the lightmaps leave, or stay marked for
 * what is not lightmapped (bake/baked-lights.ts). Without a bake the output keeps the scene's own lights (never the
 * environment's sun).
 */
import { settleBakedLights } from '../../bake/baked-lights.js';
import { sceneToGlb } from '../../io/gltf-write.js';
import { SCRIPT_DEVICE } from '../devices.js';
import { removeNodes } from '../../scene/remove-nodes.js';
import { emptiedNodes, withoutSplatPrimitives } from '../filter-primitives.js';
import { defineStage } from '../stage.js';

export const outputStage = defineStage({
  name: 'output',
  needs: ['scene', 'decisions', 'bake', 'splats'],
  produces: ['shipped'],
  device: () => SCRIPT_DEVICE,
  async run({ scene, decisions, bake, splats }, ctx) {
    let out = bake?.scene ?? scene;
    if (splats) {
      // The bake turns each instanced copy into a child node appended after the original nodes.
      const base = out;
      const kept = withoutSplatPrimitives(base, decisions, (n) => (n < scene.nodes.length ? n : base.nodes[n].parent));
      out = removeNodes(kept, emptiedNodes(base, kept));
    }
    let lights = { removed: [] as string[], kept: scene.lights.map((l) => l.name) };
    // Decided on what ships (splat objects are gone by now). Node indices change here, so this comes last.
    if (bake) {
      const settled = settleBakedLights(out);
      out = settled.scene;
      lights = { removed: settled.removed, kept: settled.kept };
    }
    const glb = await sceneToGlb(out, { prune: true });
    ctx.write({ name: 'scene.glb', data: glb });
    return { shipped: { glb, removedLights: lights.removed, keptLights: lights.kept } };
  },
});
