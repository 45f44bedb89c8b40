/** Removing nodes from a scene: the one place that re-indexes parents, children and roots. Pure. */
import type { Scene } from './types.js';

/** Removes nodes (re-indexing parents, children and roots); their children are removed with them. */
export function removeNodes(scene: Scene, drop: ReadonlySet<number>): Scene {
  const gone = new Set<number>();
  const visit = (n: number) => {
    if (gone.has(n)) return;
    gone.add(n);
    scene.nodes[n].children.forEach(visit);
  };
  drop.forEach(visit);
  if (!gone.size) return scene;
  const map = new Map<number, number>();
  scene.nodes.forEach((_, i) => {
    if (!gone.has(i)) map.set(i, map.size);
  });
  const nodes = scene.nodes
    .filter((_, i) => !gone.has(i))
    .map((n) => ({
      ...n,
      parent: n.parent < 0 ? -1 : map.get(n.parent)!,
      children: n.children.filter((c) => !gone.has(c)).map((c) => map.get(c)!),
    }));
  return { ...scene, nodes, roots: scene.roots.filter((r) => !gone.has(r)).map((r) => map.get(r)!) };
}
