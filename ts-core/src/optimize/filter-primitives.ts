/** Scene subsets by primitive: what the splats replace, what the shipped glTF keeps, and what the splats learn from. */
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

/**
 * The whole scene as the splats' training targets see it: the splat primitives drawn, everything else lighting-only
 * (`cameraHidden`: camera rays pass through it, while it still shadows, occludes light from and bounces light onto
 * them), so the targets show the splat objects lit as they are in the scene, with their coverage as alpha and
 * nothing in front of them. A node whose primitives go to both routes keeps its other primitives, hidden, and
 * gains a child (identity transform, the same instancing) that draws its splat primitives. Node indices of `scene`
 * keep their meaning; the children come after them.
 */
export function splatTargetScene(
  scene: Scene,
  splatPrimitives: (node: number) => readonly number[],
): { scene: Scene; cameraHidden: number[] } {
  const out: Scene = {
    ...scene,
    nodes: scene.nodes.map((n) => ({ ...n, children: [...n.children] })),
    meshes: [...scene.meshes],
  };
  const cameraHidden: number[] = [];
  scene.nodes.forEach((n, i) => {
    if (n.mesh === undefined) return;
    const prims = scene.meshes[n.mesh].primitives,
      splat = splatPrimitives(i);
    if (splat.length === 0) {
      cameraHidden.push(i);
      return;
    }
    if (splat.length >= prims.length) return;
    const name = scene.meshes[n.mesh].name;
    out.meshes.push({ name, primitives: prims.filter((_, p) => !splat.includes(p)) });
    out.nodes[i].mesh = out.meshes.length - 1;
    cameraHidden.push(i);
    out.meshes.push({ name, primitives: splat.map((p) => prims[p]) });
    out.nodes[i].children.push(out.nodes.length);
    out.nodes.push({
      name: `${n.name} (splat primitives)`,
      parent: i,
      children: [],
      translation: [0, 0, 0],
      rotation: [0, 0, 0, 1],
      scale: [1, 1, 1],
      mesh: out.meshes.length - 1,
      ...(n.instances ? { instances: n.instances } : {}),
    });
  });
  return { scene: out, cameraHidden };
}
