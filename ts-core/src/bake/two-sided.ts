/**
 * Two-sided surfaces in a lightmap. A texel holds one value, while a double-sided surface shows two faces that are
 * lit differently: a sunlit leaf seen from behind is dark. The native bake gives each double-sided texel the face
 * the views see (`seen_from_back`), which is right only where the views see one face. Where they see both faces of
 * a primitive, the bake gives it two single-sided copies, front and back, each with its own lightmap charts: what
 * engines do for two-sided lightmapped foliage, and what MOZ_lightmap carries (one UV1 per primitive).
 *
 * Which primitives: a double-sided primitive whose sampled triangles, seen unoccluded from the eyes, show each face
 * on at least `minShare` of their seen area. Closed meshes exported double-sided (a ship's hull) show their fronts
 * only, a wall seen from inside its room one face, a pond seen from above its back: none of them doubles its texels.
 * Blended, transmissive and unlit primitives are left as they are (no lightmap holds them).
 *
 *   const { scene, surfaces } = await splitTwoSided(scene, eyes);
 *   surfaces.filter((s) => s.split)   // each names the mesh, the primitive and the shares that decided
 */
import { OteError } from '../errors.js';
import type { JobOptions } from '../native/job.js';
import { SceneBvh } from '../native/rays.js';
import { flattenScene } from '../scene/flatten.js';
import { transformPoint } from '../scene/transform.js';
import type { Material, Primitive, Scene } from '../scene/types.js';
import { triangleCross } from '../util/vec3.js';

export interface TwoSidedOptions extends JobOptions {
  /** Split a primitive when each face is seen on at least this share of its seen area (default 0.1). */
  minShare?: number;
  /** Triangles tested per primitive at most, spread evenly over its triangles and drawn copies (default 4096). */
  samples?: number;
  /**
   * Primitives to leave whole, by mesh and primitive index: those a plan turns into splats (a back copy appended
   * to the mesh would ship as a mesh). Default: none.
   */
  skip?: (mesh: number, primitive: number) => boolean;
}

export const TWO_SIDED_DEFAULTS: Required<Pick<TwoSidedOptions, 'minShare' | 'samples'>> = {
  minShare: 0.1,
  samples: 4096,
};

/** One double-sided primitive the eyes see, and what was decided. */
export interface TwoSidedSurface {
  mesh: number;
  primitive: number;
  /** "mesh name / primitive i", for logs and the report. */
  name: string;
  /** Shares of the seen sampled area: its front seen, its back seen (a triangle seen from both counts in both). */
  front: number;
  back: number;
  split: boolean;
}

export interface TwoSidedResult {
  /** The input itself when nothing was split; else a copy sharing every untouched mesh and array. */
  scene: Scene;
  /** Every double-sided, lightmappable primitive that some eye sees. */
  surfaces: TwoSidedSurface[];
}

/** A double-sided primitive a lightmap can hold. */
function candidate(scene: Scene, p: Primitive): boolean {
  const m: Material | undefined = scene.materials[p.material];
  return !!m && m.doubleSided && m.alphaMode !== 'BLEND' && m.transmission === 0 && !m.unlit;
}

/**
 * Per triangle of `p`, whether its authored normals face against its winding (a floor exported facing down with
 * its normals up): the front face is the side its normals face. Without normals, the winding's side.
 */
export function normalsAgainstWinding(p: Primitive): Uint8Array {
  const out = new Uint8Array(p.indices.length / 3);
  const N = p.normals;
  if (!N) return out;
  const P = p.positions,
    I = p.indices;
  for (let t = 0; t < out.length; t++) {
    const a = 3 * I[3 * t],
      b = 3 * I[3 * t + 1],
      c = 3 * I[3 * t + 2];
    const g = triangleCross(P, a, b, c);
    const along =
      g[0] * (N[a] + N[b] + N[c]) + g[1] * (N[a + 1] + N[b + 1] + N[c + 1]) + g[2] * (N[a + 2] + N[b + 2] + N[c + 2]);
    out[t] = along < 0 ? 1 : 0;
  }
  return out;
}

/**
 * The two single-sided copies of a double-sided primitive. The front copy is wound so that its front face is the
 * side its normals face (`normalsAgainstWinding`); the back copy is the front copy turned over: winding reversed,
 * normals negated, and tangent handedness (w) negated so that the bitangent, n × t × w, still follows +V of the
 * unchanged UVs. Each copy stands a hair (`SHELL`) off the surface on its own side, so that the copy facing a ray
 * is always the first it meets: every renderer's camera, which skips the culled face and continues past its depth,
 * then finds the other, and no depth test has two coincident surfaces to choose between. An authored UV1 would
 * give both copies the same texels, so neither keeps it: the lightmap UV step lays out new charts for the mesh.
 */
export function frontAndBack(p: Primitive, frontMaterial: number, backMaterial: number): [Primitive, Primitive] {
  const against = normalsAgainstWinding(p);
  const front = new Uint32Array(p.indices),
    back = new Uint32Array(p.indices.length);
  for (let t = 0; t < against.length; t++) {
    if (against[t]) [front[3 * t + 1], front[3 * t + 2]] = [front[3 * t + 2], front[3 * t + 1]];
    back[3 * t] = front[3 * t];
    back[3 * t + 1] = front[3 * t + 2];
    back[3 * t + 2] = front[3 * t + 1];
  }
  // Per vertex: the area-weighted normal of the front faces around it, the direction the copies move apart along.
  const P = p.positions,
    dir = new Float32Array(P.length);
  for (let t = 0; t < front.length; t += 3) {
    const v = [3 * front[t], 3 * front[t + 1], 3 * front[t + 2]];
    const n = triangleCross(P, v[0], v[1], v[2]);
    for (const o of v) for (let k = 0; k < 3; k++) dir[o + k] += n[k];
  }
  const frontPos = new Float32Array(P),
    backPos = new Float32Array(P);
  for (let v = 0; v < P.length; v += 3) {
    const l = Math.hypot(dir[v], dir[v + 1], dir[v + 2]);
    if (!(l > 0)) continue;
    const d = (SHELL * Math.max(1, Math.abs(P[v]), Math.abs(P[v + 1]), Math.abs(P[v + 2]))) / l;
    for (let k = 0; k < 3; k++) {
      frontPos[v + k] = P[v + k] + d * dir[v + k];
      backPos[v + k] = P[v + k] - d * dir[v + k];
    }
  }
  const negate = (a: Float32Array | undefined, stride: number, from: number, to: number) => {
    if (!a) return undefined;
    const o = new Float32Array(a);
    for (let i = 0; i < o.length; i += stride) for (let k = from; k < to; k++) o[i + k] = -o[i + k];
    return o;
  };
  const { uv1: _authored, ...rest } = p;
  return [
    { ...rest, positions: frontPos, indices: front, material: frontMaterial },
    {
      ...rest,
      positions: backPos,
      indices: back,
      normals: negate(p.normals, 3, 0, 3),
      tangents: negate(p.tangents, 4, 3, 4),
      material: backMaterial,
    },
  ];
}

/**
 * How far each copy stands off the surface, relative to the coordinates' magnitude (at least 1): the native ray
 * offset's scale (transport.h ray_eps), far above float rounding of a hit distance and far below anything seen.
 */
export const SHELL = 1e-4;

interface Sample {
  surface: number;
  area: number;
  center: [number, number, number];
  /** Unit normal of the front face, world space. */
  normal: [number, number, number];
}

/**
 * Splits the double-sided primitives whose two faces the eyes see into front and back copies (`frontAndBack`).
 * The front copy takes the primitive's place, so primitive indices (a plan's) stay valid; the back copy is
 * appended to its mesh. The front copy keeps its material, made single-sided (or a single-sided clone, "name
 * (front)", where unsplit primitives still use it double-sided); the back copy gets a clone, "name (back)".
 * Deterministic: the triangles tested and the rays cast depend on the scene alone, traced on the CPU.
 */
export async function splitTwoSided(
  scene: Scene,
  eyes: readonly (readonly [number, number, number])[],
  opts: TwoSidedOptions = {},
): Promise<TwoSidedResult> {
  const minShare = opts.minShare ?? TWO_SIDED_DEFAULTS.minShare,
    maxSamples = opts.samples ?? TWO_SIDED_DEFAULTS.samples;
  if (!(minShare >= 0 && minShare <= 0.5))
    throw new OteError('BAD_PROFILE', `two-sided: minShare must be in [0, 0.5], got ${minShare}`, {
      path: 'minShare',
    });
  if (!Number.isInteger(maxSamples) || maxSamples < 1)
    throw new OteError('BAD_PROFILE', `two-sided: samples must be a positive integer, got ${maxSamples}`, {
      path: 'samples',
    });
  const surfaces: TwoSidedSurface[] = [];
  scene.meshes.forEach((mesh, m) =>
    mesh.primitives.forEach((p, i) => {
      if (!candidate(scene, p) || opts.skip?.(m, i)) return;
      surfaces.push({
        mesh: m,
        primitive: i,
        name: `${mesh.name || `meshes[${m}]`} / ${i}`,
        front: 0,
        back: 0,
        split: false,
      });
    }),
  );
  if (!surfaces.length || !eyes.length) return { scene, surfaces: [] };

  // The drawn copies of each mesh (the flat scene's instances): static nodes only, as a lightmap is for what does
  // not move. The same flat scene is traced below.
  const flat = flattenScene(scene);
  const copies: Float32Array[][] = scene.meshes.map(() => []);
  for (let i = 0; i < flat.instanceMesh.length; i++)
    if (!scene.nodes[flat.instanceNode[i]].dynamic)
      copies[flat.instanceMesh[i]].push(flat.instanceTransforms.subarray(16 * i, 16 * i + 16));

  const samples: Sample[] = [];
  for (const [s, surface] of surfaces.entries()) {
    const p = scene.meshes[surface.mesh].primitives[surface.primitive];
    const mats = copies[surface.mesh];
    const total = (p.indices.length / 3) * mats.length;
    const against = normalsAgainstWinding(p);
    const n = Math.min(maxSamples, total);
    for (let k = 0; k < n; k++) {
      const idx = Math.floor(((k + 0.5) * total) / n);
      const M = mats[idx % mats.length],
        t = Math.floor(idx / mats.length);
      const world = new Float32Array(9);
      for (let j = 0; j < 3; j++) {
        const o = 3 * p.indices[3 * t + j];
        world.set(transformPoint(M, p.positions[o], p.positions[o + 1], p.positions[o + 2]), 3 * j);
      }
      const g = triangleCross(world, 0, 3, 6);
      const len = Math.hypot(g[0], g[1], g[2]);
      if (!(len > 0)) continue;
      // glTF: a node whose transform mirrors (negative determinant) turns the winding's front face over.
      const det =
        M[0] * (M[5] * M[10] - M[6] * M[9]) - M[4] * (M[1] * M[10] - M[2] * M[9]) + M[8] * (M[1] * M[6] - M[2] * M[5]);
      const sign = ((det < 0 ? -1 : 1) * (against[t] ? -1 : 1)) / len;
      const center: [number, number, number] = [0, 1, 2].map((a) => (world[a] + world[3 + a] + world[6 + a]) / 3) as [
        number,
        number,
        number,
      ];
      samples.push({ surface: s, area: len / 2, center, normal: [g[0] * sign, g[1] * sign, g[2] * sign] });
    }
  }

  // One ray per sample and eye, from just off the face that looks towards the eye: is the eye in sight?
  const E = eyes.length;
  const origins = new Float32Array(samples.length * E * 3),
    directions = new Float32Array(samples.length * E * 3),
    side = new Int8Array(samples.length * E);
  samples.forEach((sm, i) => {
    const c = sm.center,
      n = sm.normal;
    const eps = 1e-4 * Math.max(1, Math.abs(c[0]), Math.abs(c[1]), Math.abs(c[2]));
    eyes.forEach((e, j) => {
      const d = [e[0] - c[0], e[1] - c[1], e[2] - c[2]];
      const dist = Math.hypot(d[0], d[1], d[2]),
        along = d[0] * n[0] + d[1] * n[1] + d[2] * n[2];
      const r = i * E + j;
      if (!(dist > 0) || Math.abs(along) < 1e-6 * dist) {
        // Edge-on: no face of it is seen. A zero-length ray that cannot hit keeps the batch rectangular.
        directions[3 * r + 2] = 1;
        return;
      }
      const s = along > 0 ? 1 : -1;
      side[r] = s;
      for (let a = 0; a < 3; a++) {
        origins[3 * r + a] = c[a] + s * n[a] * eps;
        directions[3 * r + a] = e[a] - origins[3 * r + a];
      }
    });
  });
  const bvh = await SceneBvh.build(flat, { signal: opts.signal });
  let occluded: Uint8Array;
  try {
    ({ occluded } = await bvh.traceRays(origins, directions, {
      anyHit: true,
      tmax: 1 - 1e-4,
      backend: 'cpu',
      signal: opts.signal,
    }));
  } finally {
    bvh.dispose();
  }

  const front = new Float64Array(surfaces.length),
    back = new Float64Array(surfaces.length),
    seen = new Float64Array(surfaces.length);
  samples.forEach((sm, i) => {
    let f = false,
      b = false;
    for (let j = 0; j < E; j++) {
      const r = i * E + j;
      if (!side[r] || occluded[r]) continue;
      if (side[r] > 0) f = true;
      else b = true;
    }
    if (f) front[sm.surface] += sm.area;
    if (b) back[sm.surface] += sm.area;
    if (f || b) seen[sm.surface] += sm.area;
  });

  const out: TwoSidedSurface[] = [];
  surfaces.forEach((s, i) => {
    if (!(seen[i] > 0)) return;
    s.front = front[i] / seen[i];
    s.back = back[i] / seen[i];
    s.split = s.front >= minShare && s.back >= minShare;
    out.push(s);
  });
  if (!out.some((s) => s.split)) return { scene, surfaces: out };

  // Per split material: the front copy keeps the material itself, made single-sided, where no unsplit primitive
  // still draws with it (an engine then finds the material it knows); else a single-sided clone. The back copy
  // gets a clone, "name (back)".
  const splitKeys = new Set(out.filter((s) => s.split).map((s) => `${s.mesh}/${s.primitive}`));
  const stillDoubleSided = new Set<number>();
  scene.meshes.forEach((mesh, m) =>
    mesh.primitives.forEach((p, i) => {
      if (!splitKeys.has(`${m}/${i}`)) stillDoubleSided.add(p.material);
    }),
  );
  const materials = [...scene.materials];
  const clones = new Map<number, [number, number]>();
  const cloneOf = (m: number): [number, number] => {
    let c = clones.get(m);
    if (!c) {
      const base = scene.materials[m];
      let front = m;
      if (stillDoubleSided.has(m)) {
        materials.push({ ...base, name: `${base.name} (front)`, doubleSided: false });
        front = materials.length - 1;
      } else materials[m] = { ...base, doubleSided: false };
      materials.push({ ...base, name: `${base.name} (back)`, doubleSided: false });
      c = [front, materials.length - 1];
      clones.set(m, c);
    }
    return c;
  };
  const meshes = scene.meshes.map((mesh, m) => {
    const split = out.filter((s) => s.split && s.mesh === m);
    if (!split.length) return mesh;
    const primitives = [...mesh.primitives];
    for (const s of split) {
      const p = mesh.primitives[s.primitive];
      const [f, b] = frontAndBack(p, ...cloneOf(p.material));
      primitives[s.primitive] = f;
      primitives.push(b);
    }
    return { ...mesh, primitives };
  });
  return { scene: { ...scene, meshes, materials }, surfaces: out };
}

/** The log line for a split surface. */
export function describeTwoSided(s: TwoSidedSurface): string {
  const pct = (x: number) => `${Math.round(100 * x)}%`;
  return `${s.name}: double-sided, its front seen on ${pct(s.front)} and its back on ${pct(s.back)} of its seen area: baked as front and back copies, each with its own lightmap`;
}
