/**
 * Direct mesh-to-splat conversion (the fast path, in the spirit of EA SEED's Mesh2Splat): flat Gaussians spread
 * over the surfaces in proportion to area and texture detail, each oriented to its triangle (thin along the
 * normal), coloured from the material (base colour factor x texture x vertex colour, plus emission) and, where the
 * baking pipeline wrote a lightmap (MOZ_lightmap, read with uv1), lit by it.
 *
 * Conversion works per object (scene node): each object's Gaussians are made in the object's own space and
 * carry its node index, so a router can send some objects to splats, keep others as meshes, and place the splats
 * with the object's transform (see placeObjects). No Node builtins: textures arrive decoded from the caller.
 */
import { srgbToLinear } from '../image/float-image.js';
import { instanceMatrix, multiply, worldMatrices } from '../scene/transform.js';
import { instanceCount, type Material, type Primitive, type Scene, type TextureRef } from '../scene/types.js';
import { Rng } from '../util/rng.js';
import { concatModels, createModel, logit, rgbToDc, rotToQuat, transformGaussians, type GaussianModel } from './model.js';

/** A decoded texture: 8-bit RGBA, row-major, top row first (as io/png.ts decodes it). */
export interface DecodedTexture {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ConvertOptions {
  /** Total Gaussians over all converted objects (split by area x detail). Default 200k. */
  budget?: number;
  /** Scene nodes to convert (default: every node with a mesh). */
  nodes?: number[];
  /** Decoded textures by scene texture index; missing ones fall back to their material's factors. */
  textures?: (DecodedTexture | undefined)[];
  /** How much texture detail attracts Gaussians (0 = by area only). Default 1. */
  detailWeight?: number;
  /** Thickness along the normal relative to the in-plane size. Default 0.1. */
  flatness?: number;
  /** Opacity of the converted Gaussians. Default 0.95. */
  opacity?: number;
  seed?: number | string;
  /** Called with a fraction in [0, 1] as objects finish. */
  onProgress?: (fraction: number) => void;
}

/** One converted object: its Gaussians in object (node-local) space and the node's world transform. */
export interface SplatObject {
  node: number;
  name: string;
  /** Column-major world matrix of the node. */
  transform: Float32Array;
  model: GaussianModel;
}

interface Tri {
  prim: Primitive;
  material: Material | undefined;
  /** triangle index in `prim` */
  t: number;
  /** GPU-instancing copy (0 for plain nodes) */
  copy: number;
  weight: number;
}

function sampleTexture(tex: DecodedTexture, u: number, v: number, srgb: boolean): [number, number, number, number] {
  // Bilinear with repeat wrapping (glTF's default sampler).
  const x = (u - Math.floor(u)) * tex.width - 0.5, y = (v - Math.floor(v)) * tex.height - 0.5;
  const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const xx = ((x0 + (k & 1)) % tex.width + tex.width) % tex.width, yy = ((y0 + (k >> 1)) % tex.height + tex.height) % tex.height;
    const w = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy), o = 4 * (yy * tex.width + xx);
    for (let c = 0; c < 4; c++) {
      const b = tex.data[o + c] / 255;
      out[c] += w * (srgb && c < 3 ? srgbToLinear(b) : b);
    }
  }
  return out;
}

function texUv(ref: TextureRef, prim: Primitive, idx: number[], bary: number[]): [number, number] | undefined {
  const uvs = ref.texCoord === 1 ? prim.uv1 : prim.uv0;
  if (!uvs) return undefined;
  let u = 0, v = 0;
  for (let k = 0; k < 3; k++) { u += bary[k] * uvs[2 * idx[k]]; v += bary[k] * uvs[2 * idx[k] + 1]; }
  const t = ref.transform;
  if (t) {
    // KHR_texture_transform: scale, then rotate, then offset.
    const su = u * t.scale[0], sv = v * t.scale[1], c = Math.cos(t.rotation), s = Math.sin(t.rotation);
    u = c * su + s * sv + t.offset[0];
    v = -s * su + c * sv + t.offset[1];
  }
  return [u, v];
}

/** Linear surface colour (RGB) and alpha at barycentric `bary` of triangle `t` of `prim`. */
function surfaceColor(scene: Scene, prim: Primitive, mat: Material | undefined, t: number, bary: number[], textures: (DecodedTexture | undefined)[]): [number, number, number, number] {
  const idx = [prim.indices[3 * t], prim.indices[3 * t + 1], prim.indices[3 * t + 2]];
  const f = mat?.baseColorFactor ?? [1, 1, 1, 1];
  const c: [number, number, number, number] = [f[0], f[1], f[2], f[3]];
  if (mat?.baseColorTexture) {
    const tex = textures[mat.baseColorTexture.texture], uv = texUv(mat.baseColorTexture, prim, idx, bary);
    if (tex && uv) { const s = sampleTexture(tex, uv[0], uv[1], true); for (let k = 0; k < 4; k++) c[k] *= s[k]; }
  }
  if (prim.colors) for (let k = 0; k < 4; k++) c[k] *= bary[0] * prim.colors[4 * idx[0] + k] + bary[1] * prim.colors[4 * idx[1] + k] + bary[2] * prim.colors[4 * idx[2] + k];
  if (mat?.lightmap) {
    const tex = textures[mat.lightmap.texture], uv = texUv({ texture: mat.lightmap.texture, texCoord: 1 }, prim, idx, bary);
    if (tex && uv) { const s = sampleTexture(tex, uv[0], uv[1], true); for (let k = 0; k < 3; k++) c[k] *= s[k] * mat.lightmap.intensity; }
  }
  if (mat) {
    let e = [mat.emissiveFactor[0], mat.emissiveFactor[1], mat.emissiveFactor[2]].map((v) => v * mat.emissiveStrength);
    if (mat.emissiveTexture && e.some((v) => v > 0)) {
      const tex = textures[mat.emissiveTexture.texture], uv = texUv(mat.emissiveTexture, prim, idx, bary);
      if (tex && uv) { const s = sampleTexture(tex, uv[0], uv[1], true); e = e.map((v, k) => v * s[k]); }
    }
    for (let k = 0; k < 3; k++) c[k] += e[k];
  }
  return c;
}

/**
 * Texture detail over a triangle: the spread of the base colour texture at a few points inside it, times how
 * many texels the triangle covers (a detailed texture on a big triangle wants more, smaller Gaussians).
 */
function textureDetail(prim: Primitive, mat: Material | undefined, t: number, textures: (DecodedTexture | undefined)[]): number {
  const ref = mat?.baseColorTexture;
  const tex = ref && textures[ref.texture];
  if (!ref || !tex) return 0;
  const idx = [prim.indices[3 * t], prim.indices[3 * t + 1], prim.indices[3 * t + 2]];
  const pts = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0], [0, 0.5, 0.5], [0.5, 0, 0.5]];
  const cols: number[][] = [];
  const uvs: [number, number][] = [];
  for (const b of pts) {
    const uv = texUv(ref, prim, idx, b);
    if (!uv) return 0;
    uvs.push(uv);
    cols.push(sampleTexture(tex, uv[0], uv[1], true));
  }
  let variance = 0;
  for (let c = 0; c < 3; c++) {
    const mean = cols.reduce((s, v) => s + v[c], 0) / cols.length;
    variance += cols.reduce((s, v) => s + (v[c] - mean) ** 2, 0) / cols.length;
  }
  const texels = Math.abs((uvs[1][0] - uvs[0][0]) * (uvs[2][1] - uvs[0][1]) - (uvs[2][0] - uvs[0][0]) * (uvs[1][1] - uvs[0][1])) * 0.5 * tex.width * tex.height;
  return Math.sqrt(variance) * Math.min(4, Math.log2(1 + texels));
}

/** Convert each mesh node to its own Gaussians, in node space. */
export function convertObjects(scene: Scene, opts: ConvertOptions = {}): SplatObject[] {
  const budget = Math.max(1, Math.floor(opts.budget ?? 200_000));
  const textures = opts.textures ?? [];
  const detailWeight = opts.detailWeight ?? 1, flatness = opts.flatness ?? 0.1, opacity = logit(opts.opacity ?? 0.95);
  const rng = new Rng(opts.seed ?? 1);
  const world = worldMatrices(scene);
  const nodes = opts.nodes ?? scene.nodes.map((n, i) => (n.mesh !== undefined ? i : -1)).filter((i) => i >= 0);

  // Pass 1: every triangle's weight (world area x (1 + detail)), per object, to split the budget.
  interface ObjTris { node: number; tris: Tri[]; total: number; area: number; instances: Float32Array[] }
  const objects: ObjTris[] = [];
  let grand = 0;
  for (const node of nodes) {
    const n = scene.nodes[node];
    if (!n || n.mesh === undefined) throw new RangeError(`convertObjects: node ${node} has no mesh`);
    const mesh = scene.meshes[n.mesh];
    // GPU-instanced nodes: every copy is converted into node space.
    const copies = n.instances ? Array.from({ length: instanceCount(n.instances) }, (_, c) => instanceMatrix(n.instances!, c)) : [new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])];
    const obj: ObjTris = { node, tris: [], total: 0, area: 0, instances: copies };
    copies.forEach((local, copy) => {
      const m = multiply(world[node], local);
      for (const prim of mesh.primitives) {
        const mat = prim.material >= 0 ? scene.materials[prim.material] : undefined;
        if (mat && mat.alphaMode === 'BLEND' && mat.baseColorFactor[3] < 0.05) continue;  // invisible
        const P = prim.positions;
        for (let t = 0; t < prim.indices.length / 3; t++) {
          const a = prim.indices[3 * t], b = prim.indices[3 * t + 1], c = prim.indices[3 * t + 2];
          const pa = tp(m, P, a), pb = tp(m, P, b), pc = tp(m, P, c);
          const area = 0.5 * len(crossv(sub(pb, pa), sub(pc, pa)));
          if (!(area > 0)) continue;
          const weight = area * (1 + detailWeight * textureDetail(prim, mat, t, textures));
          obj.tris.push({ prim, material: mat, t, copy, weight });
          obj.total += weight;
          obj.area += area;
        }
      }
    });
    grand += obj.total;
    objects.push(obj);
  }

  // Pass 2: place Gaussians by weighted sampling of triangles (seeded), oriented to each triangle.
  const out: SplatObject[] = [];
  let given = 0, cum = 0;
  objects.forEach((obj, oi) => {
    // This object's share, with the rounding remainder carried so the total is exactly the budget.
    cum += obj.total;
    const share = grand > 0 ? Math.round((budget * cum) / grand) - given : 0;
    const count = Math.max(0, share);
    given += count;
    const model = createModel(count, 0, true);
    model.objectId!.fill(obj.node);
    // Systematic sampling over the cumulative weights: even coverage, no clumps, exactly `count` draws.
    const step = obj.total / Math.max(1, count);
    let acc = 0, ti = 0, placed = 0;
    const offset = rng.next() * step;
    for (let k = 0; k < count; k++) {
      const target = offset + k * step;
      while (ti < obj.tris.length - 1 && acc + obj.tris[ti].weight < target) acc += obj.tris[ti++].weight;
      const tri = obj.tris[ti];
      const prim = tri.prim, t = tri.t;
      // Node-space corners (instance copies are placed inside the node).
      const local = obj.instances[tri.copy];
      const a = prim.indices[3 * t], b = prim.indices[3 * t + 1], c = prim.indices[3 * t + 2];
      const pa = tp(local, prim.positions, a), pb = tp(local, prim.positions, b), pc = tp(local, prim.positions, c);
      let r1 = rng.next(), r2 = rng.next();
      if (r1 + r2 > 1) { r1 = 1 - r1; r2 = 1 - r2; }
      const bary = [1 - r1 - r2, r1, r2];
      const p = [0, 1, 2].map((i) => bary[0] * pa[i] + bary[1] * pb[i] + bary[2] * pc[i]);
      model.means.set(p, 3 * placed);
      // Frame: tangent along the longest edge, normal from the face (thin axis = z).
      const e1 = sub(pb, pa), e2 = sub(pc, pa);
      let nrm = crossv(e1, e2);
      const nl = len(nrm);
      nrm = nrm.map((v) => v / nl);
      let tan = len(e1) >= len(e2) ? e1 : e2;
      const tl = len(tan); tan = tan.map((v) => v / tl);
      const bit = crossv(nrm, tan);
      model.quats.set(rotToQuat([...tan, ...bit, ...nrm]), 4 * placed);
      // In-plane size: the node-space area each Gaussian stands for on this triangle (its area over the
      // Gaussians it expects), as a disc of that area with radius ~1.2 sigma so neighbours overlap.
      const expected = tri.weight * count / obj.total;
      const sigma = 1.2 * Math.sqrt(0.5 * nl / Math.max(1e-12, expected) / Math.PI);
      model.logScales.set([Math.log(sigma), Math.log(sigma), Math.log(Math.max(1e-7, sigma * flatness))], 3 * placed);
      const col = surfaceColor(scene, prim, tri.material, t, bary, textures);
      for (let ch = 0; ch < 3; ch++) model.sh[3 * placed + ch] = rgbToDc(col[ch]);
      const alphaMask = tri.material?.alphaMode === 'MASK' ? (col[3] >= tri.material.alphaCutoff ? 1 : 0) : tri.material?.alphaMode === 'BLEND' ? col[3] : 1;
      if (alphaMask <= 0) continue;  // cut-out texel: no Gaussian (the count shrinks below)
      model.opacity[placed] = alphaMask >= 1 ? opacity : logit(Math.min(0.95, alphaMask));
      placed++;
    }
    const trimmed = placed === count ? model : sliceModel(model, placed);
    out.push({ node: obj.node, name: scene.nodes[obj.node].name, transform: world[obj.node], model: trimmed });
    opts.onProgress?.((oi + 1) / objects.length);
  });
  return out;
}

/** Convert the whole scene (or the chosen nodes) into one world-space model. */
export function convertScene(scene: Scene, opts: ConvertOptions = {}): GaussianModel {
  return placeObjects(convertObjects(scene, opts));
}

/** Place per-object Gaussians in world space by their object's transform and merge them. */
export function placeObjects(objects: SplatObject[]): GaussianModel {
  const placed = objects.map((o) => transformGaussians(o.model, o.transform));
  return placed.length ? concatModels(placed) : createModel(0, 0, true);
}

function sliceModel(m: GaussianModel, n: number): GaussianModel {
  return {
    count: n, shDegree: m.shDegree, means: m.means.slice(0, 3 * n), logScales: m.logScales.slice(0, 3 * n), quats: m.quats.slice(0, 4 * n),
    opacity: m.opacity.slice(0, n), sh: m.sh.slice(0, m.sh.length / Math.max(1, m.count) * n), objectId: m.objectId?.slice(0, n),
  };
}

const tp = (m: ArrayLike<number>, P: Float32Array, i: number): number[] => {
  const x = P[3 * i], y = P[3 * i + 1], z = P[3 * i + 2];
  return [m[0] * x + m[4] * y + m[8] * z + m[12], m[1] * x + m[5] * y + m[9] * z + m[13], m[2] * x + m[6] * y + m[10] * z + m[14]];
};
const sub = (a: number[], b: number[]) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const crossv = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const len = (a: number[]) => Math.hypot(a[0], a[1], a[2]);
