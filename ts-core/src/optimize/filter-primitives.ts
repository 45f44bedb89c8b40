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

/**
 * The nodes of `filtered` that filterPrimitives emptied (they drew a mesh in `scene` and draw nothing now) and that
 * carry nothing else: no camera, no light, no child that stays. A node the author left empty stays (an engine may
 * use it as a locator); one that only held what became splats would be an empty node in the shipped glTF.
 */
export function emptiedNodes(scene: Scene, filtered: Scene): Set<number> {
  const emptied = (i: number) =>
    scene.nodes[i].mesh !== undefined &&
    filtered.nodes[i].mesh === undefined &&
    filtered.nodes[i].camera === undefined &&
    filtered.nodes[i].light === undefined;
  const drop = new Set<number>();
  // Children first, until nothing changes: a parent goes once every child it has is gone.
  for (let changed = true; changed; ) {
    changed = false;
    filtered.nodes.forEach((n, i) => {
      if (drop.has(i) || !emptied(i) || !n.children.every((c) => drop.has(c))) return;
      drop.add(i);
      changed = true;
    });
  }
  return drop;
}
