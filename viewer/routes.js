/**
 * Route colouring: each object drawn in the colour of where the plan sent it (bake, splat, hybrid, keep), from
 * report.json `plan.decisions`. Decisions name glTF nodes; GLTFLoader names objects after their nodes as
 * PropertyBinding.sanitizeNodeName makes them (spaces to '_', '[].:/' dropped) with '_N' on repeats, so a mesh's
 * route is the first ancestor (itself included) whose name matches a decision.
 */
import { MeshBasicMaterial, PropertyBinding } from 'three';

/** Colours of the routes (sRGB hex), for the meshes and the legend. */
export const ROUTE_COLOURS = {
  bake: '#3b82f6',
  splat: '#22c55e',
  hybrid: '#f59e0b',
  keep: '#a855f7',
  none: '#6b7280',
};

/**
 * The route of an object's node, or undefined.
 * @param {import('three').Object3D} object
 * @param {Map<string, string>} byName sanitized node name → route
 */
function routeOf(object, byName) {
  for (let o = /** @type {import('three').Object3D | null} */ (object); o; o = o.parent) {
    const exact = byName.get(o.name);
    if (exact) return exact;
    const m = /^(.*)_\d+$/.exec(o.name);
    if (m && byName.has(m[1])) return byName.get(m[1]);
  }
  return undefined;
}

/**
 * Paints every mesh under `root` in its route's colour; returns a function that puts the materials back.
 * @param {import('three').Object3D} root
 * @param {{ name: string, route: string }[]} routes
 * @returns {{ restore: () => void, counts: Record<string, number> }}
 */
export function colourByRoute(root, routes) {
  const byName = new Map(routes.map((r) => [PropertyBinding.sanitizeNodeName(r.name), r.route]));
  /** @type {Map<string, MeshBasicMaterial>} */
  const materials = new Map();
  /** @type {[any, any][]} */
  const saved = [];
  /** @type {Record<string, number>} */
  const counts = {};
  root.traverse((/** @type {any} */ obj) => {
    if (!obj.isMesh) return;
    const route = routeOf(obj, byName) ?? 'none';
    counts[route] = (counts[route] ?? 0) + 1;
    if (!materials.has(route))
      materials.set(
        route,
        new MeshBasicMaterial({ color: ROUTE_COLOURS[route] ?? ROUTE_COLOURS.none, toneMapped: false }),
      );
    saved.push([obj, obj.material]);
    obj.material = materials.get(route);
  });
  return {
    counts,
    restore() {
      for (const [obj, material] of saved) obj.material = material;
      for (const m of materials.values()) m.dispose();
    },
  };
}
