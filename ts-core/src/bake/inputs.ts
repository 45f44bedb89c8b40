/**
 * The transport's inputs from the neutral scene: diffuse albedo and emission per material, KHR_lights_punctual
 * lights in world space, the sky, and per flattened triangle its lightmap UV1, page and corner normals.
 * Validated here so that bad input fails with a message naming the light or mesh, before any native work.
 */
import { OteError } from '../errors.js';
import type { BakeNativeInputs } from '../native/bake.js';
import { flattenScene, type FlatScene } from '../scene/flatten.js';
import { worldMatrices } from '../scene/transform.js';
import type { Scene, Vec3 } from '../scene/types.js';

/** Sky light: none (default; interiors), a constant radiance, or a vertical gradient (zenith/horizon/ground). */
export type Sky =
  | { type: 'none' }
  | { type: 'constant'; color: Vec3 }
  | { type: 'gradient'; zenith: Vec3; horizon: Vec3; ground: Vec3 };

/** Lightmap placement of every drawn object: node → atlas page of each primitive of its mesh. */
export interface LightmapLayout {
  primitivePages: Map<number, number[]>;
  pageWidth: number[];
  pageHeight: number[];
}

export function bakeInputs(scene: Scene, layout: LightmapLayout | undefined, sky: Sky = { type: 'none' }): { flat: FlatScene; inputs: BakeNativeInputs } {
  const flat = flattenScene(scene);
  const file = scene.source;
  const materials = new Float32Array(7 * scene.materials.length);
  scene.materials.forEach((m, i) => {
    // Metals reflect little diffuse light; the transport is Lambertian, so their albedo is the dielectric part.
    const k = 1 - Math.min(1, Math.max(0, m.metallicFactor));
    for (let c = 0; c < 3; c++) {
      materials[7 * i + c] = m.unlit ? 0 : m.baseColorFactor[c] * k;
      materials[7 * i + 3 + c] = m.emissiveFactor[c] * m.emissiveStrength;
    }
    materials[7 * i + 6] = m.doubleSided ? 1 : 0;
    for (let c = 0; c < 7; c++)
      if (!Number.isFinite(materials[7 * i + c]) || materials[7 * i + c] < 0)
        throw new OteError('BAD_INPUT', `material "${m.name}" has a negative or non-finite colour or emission`, { file, path: `materials[${i}]` });
  });

  const world = worldMatrices(scene);
  const lights: number[] = [];
  scene.nodes.forEach((node, n) => {
    if (node.light === undefined) return;
    const l = scene.lights[node.light];
    const path = `extensions.KHR_lights_punctual.lights[${node.light}]`;
    if (!l) throw new OteError('BAD_INPUT', `node "${node.name}" uses light ${node.light}, which does not exist`, { file, path: `nodes[${n}]` });
    if (!(l.intensity >= 0) || !Number.isFinite(l.intensity))
      throw new OteError('BAD_INPUT', `light "${l.name}" has intensity ${l.intensity}; it must be a finite number >= 0`, { file, path: `${path}.intensity` });
    if (l.color.some((c) => !(c >= 0) || !Number.isFinite(c)))
      throw new OteError('BAD_INPUT', `light "${l.name}" has colour [${l.color.join(', ')}]; components must be finite and >= 0`, { file, path: `${path}.color` });
    if (l.size !== undefined && !(l.size >= 0 && Number.isFinite(l.size)))
      throw new OteError('BAD_INPUT', `light "${l.name}" has size ${l.size}; it must be a finite number >= 0`, { file, path: `${path}.size` });
    const m = world[n];
    const d = [-m[8], -m[9], -m[10]], dl = Math.hypot(d[0], d[1], d[2]) || 1;
    const type = l.type === 'directional' ? 0 : l.type === 'point' ? 1 : 2;
    lights.push(type, l.color[0] * l.intensity, l.color[1] * l.intensity, l.color[2] * l.intensity, m[12], m[13], m[14],
      d[0] / dl, d[1] / dl, d[2] / dl, l.size ?? 0, l.range ?? 0, Math.cos(l.innerConeAngle), Math.cos(l.outerConeAngle));
  });

  const skyArr = new Float32Array(10);
  if (sky.type === 'constant') skyArr.set([1, ...sky.color, 0, 0, 0, 0, 0, 0]);
  else if (sky.type === 'gradient') skyArr.set([2, ...sky.zenith, ...sky.horizon, ...sky.ground]);
  for (const v of skyArr) if (!(v >= 0) || !Number.isFinite(v)) throw new OteError('BAD_PROFILE', 'sky colours must be finite and >= 0', { path: 'sky' });

  const T = flat.indices.length / 3;
  const triangleUv1 = new Float32Array(6 * T), trianglePage = new Int32Array(T).fill(-1), triangleNormals = new Float32Array(9 * T);
  // Flat triangles follow meshes then primitives in order (scene/flatten.ts).
  const primFirst: number[][] = [];
  scene.meshes.forEach((mesh, mi) => {
    let t = flat.meshFirstTriangle[mi];
    primFirst.push(mesh.primitives.map((p) => { const f = t; t += p.indices.length / 3; return f; }));
    mesh.primitives.forEach((p, pi) => {
      const f = primFirst[mi][pi];
      if (!p.normals) return;
      for (let i = 0; i < p.indices.length; i++) triangleNormals.set(p.normals.subarray(3 * p.indices[i], 3 * p.indices[i] + 3), 9 * f + 3 * i);
    });
  });
  if (layout) {
    for (const [n, pages] of layout.primitivePages) {
      const mi = scene.nodes[n].mesh!;
      scene.meshes[mi].primitives.forEach((p, pi) => {
        if (!p.uv1) return;
        const f = primFirst[mi][pi];
        for (let i = 0; i < p.indices.length; i++) {
          triangleUv1[6 * f + 2 * i] = p.uv1[2 * p.indices[i]];
          triangleUv1[6 * f + 2 * i + 1] = p.uv1[2 * p.indices[i] + 1];
        }
        trianglePage.fill(pages[pi], f, f + p.indices.length / 3);
      });
    }
  }
  return {
    flat,
    inputs: {
      materials, lights: Float32Array.from(lights), sky: skyArr, triangleUv1, trianglePage, triangleNormals,
      pageWidth: Uint32Array.from(layout?.pageWidth ?? []), pageHeight: Uint32Array.from(layout?.pageHeight ?? []),
    },
  };
}
