/** Axis-aligned bounds of meshes and of the whole scene, computed in TypeScript for small scenes and reports. */
import { flattenScene } from './flatten.js';
import { transformPoint } from './transform.js';
import type { Scene } from './types.js';

export interface Bounds {
  min: [number, number, number];
  max: [number, number, number];
}

export function emptyBounds(): Bounds {
  return { min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity] };
}

export function isEmpty(b: Bounds): boolean {
  return !(b.min[0] <= b.max[0]);
}

export function expand(b: Bounds, x: number, y: number, z: number): void {
  if (x < b.min[0]) b.min[0] = x;
  if (x > b.max[0]) b.max[0] = x;
  if (y < b.min[1]) b.min[1] = y;
  if (y > b.max[1]) b.max[1] = y;
  if (z < b.min[2]) b.min[2] = z;
  if (z > b.max[2]) b.max[2] = z;
}

export function union(a: Bounds, b: Bounds): Bounds {
  if (isEmpty(b)) return { min: [...a.min], max: [...a.max] };
  const r = { min: [...a.min], max: [...a.max] } as Bounds;
  expand(r, ...b.min);
  expand(r, ...b.max);
  return r;
}

export function center(b: Bounds): [number, number, number] {
  return [(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2];
}

export function diagonal(b: Bounds): number {
  return isEmpty(b) ? 0 : Math.hypot(b.max[0] - b.min[0], b.max[1] - b.min[1], b.max[2] - b.min[2]);
}

/** Local bounds of each mesh over its vertices. */
export function meshBounds(scene: Scene): Bounds[] {
  return scene.meshes.map((mesh) => {
    const b = emptyBounds();
    for (const p of mesh.primitives)
      for (let i = 0; i < p.positions.length; i += 3) expand(b, p.positions[i], p.positions[i + 1], p.positions[i + 2]);
    return b;
  });
}

/** World bounds of the scene from each instance's transformed mesh-bounds corners (conservative, no native call). */
export function sceneBounds(scene: Scene): Bounds {
  const flat = flattenScene(scene);
  const local = meshBounds(scene);
  const b = emptyBounds();
  for (let i = 0; i < flat.instanceMesh.length; i++) {
    const lb = local[flat.instanceMesh[i]];
    if (isEmpty(lb)) continue;
    const m = flat.instanceTransforms.subarray(i * 16, i * 16 + 16);
    for (let c = 0; c < 8; c++) {
      const p = transformPoint(
        m,
        c & 1 ? lb.max[0] : lb.min[0],
        c & 2 ? lb.max[1] : lb.min[1],
        c & 4 ? lb.max[2] : lb.min[2],
      );
      expand(b, p[0], p[1], p[2]);
    }
  }
  return b;
}
