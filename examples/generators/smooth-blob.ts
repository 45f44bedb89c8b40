/**
 * A smooth closed surface (a displaced cube-sphere) with about `triangles` triangles: the hard case for charting,
 * where no hard edge splits charts for free. Shared by the bake tests and bench/bake.ts (not an `ote gen` scene).
 */
import { addMaterial, addMesh, addNode } from '../../ts-core/src/scene/build.js';
import { createScene, defaultMaterial, type Primitive, type Scene } from '../../ts-core/src/scene/types.js';

export function smoothBlobPrimitive(triangles: number): Primitive {
  const n = Math.max(2, Math.round(Math.sqrt(triangles / 12)));
  const positions: number[] = [],
    normals: number[] = [],
    indices: number[] = [];
  const faces = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 2, 0],
    [1, 0, 2],
    [2, 0, 1],
    [2, 1, 0],
  ];
  faces.forEach(([a, b, c], f) => {
    const sign = f % 2 ? -1 : 1;
    const base = positions.length / 3;
    for (let j = 0; j <= n; j++)
      for (let i = 0; i <= n; i++) {
        const p = [0, 0, 0];
        p[a] = sign;
        p[b] = -1 + (2 * i) / n;
        p[c] = (-1 + (2 * j) / n) * sign;
        const l = Math.hypot(p[0], p[1], p[2]);
        const d = [p[0] / l, p[1] / l, p[2] / l];
        const r = 1 + 0.12 * Math.sin(3 * d[0] + 1) * Math.cos(4 * d[1]) + 0.08 * Math.sin(5 * d[2]);
        positions.push(d[0] * r, d[1] * r + 1.2, d[2] * r);
        normals.push(d[0], d[1], d[2]);
      }
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++) {
        const v = base + j * (n + 1) + i;
        indices.push(v, v + 1, v + n + 1, v + 1, v + n + 2, v + n + 1);
      }
  });
  return {
    positions: Float32Array.from(positions),
    normals: Float32Array.from(normals),
    indices: Uint32Array.from(indices),
    material: 0,
  };
}

export function smoothBlobScene(triangles: number): Scene {
  const scene = createScene('smooth-blob');
  addMaterial(scene, defaultMaterial());
  addNode(scene, { name: 'blob', mesh: addMesh(scene, 'blob', [smoothBlobPrimitive(triangles)]) });
  return scene;
}
