/** Scene subsets by primitive: what the splats replace, and what the shipped glTF keeps. */
import type { RouteDecision } from '../plan/router.js';
import type { Scene } from '../scene/types.js';

/** A shallow copy of the scene keeping, per node, only the primitives `keep` selects (meshes are copied per node). */
export function filterPrimitives(scene: Scene, keep: (node: number) => number[] | 'all' | 'none'): Scene {
  const out: Scene = { ...scene, nodes: scene.nodes.map((n) => ({ ...n })), meshes: [...scene.meshes] };
  scene.nodes.forEach((n, i) => {
    if (n.mesh === undefined) return;
    const k = keep(i);
    if (k === 'all') return;
    if (k === 'none' || k.length === 0) {
      delete out.nodes[i].mesh;
      return;
    }
    out.meshes.push({ name: scene.meshes[n.mesh].name, primitives: k.map((p) => scene.meshes[n.mesh!].primitives[p]) });
    out.nodes[i].mesh = out.meshes.length - 1;
  });
  return out;
}

/**
 * The scene without the primitives routed to splats. `origin` maps a node of `scene` to the input node it came
 * from (the bake turns each instanced copy into a child node appended after the original nodes).
 */
export function withoutSplatPrimitives(
  scene: Scene,
  decisions: Map<number, RouteDecision>,
  origin: (node: number) => number = (n) => n,
): Scene {
  return filterPrimitives(scene, (n) => {
    const d = decisions.get(origin(n));
    if (!d?.splatPrimitives.length) return 'all';
    return scene.meshes[scene.nodes[n].mesh!].primitives.map((_, i) => i).filter((i) => !d.splatPrimitives.includes(i));
  });
}
