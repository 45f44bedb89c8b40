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
import { SRGB8_TO_LINEAR, toDisplayValue } from '../image/float-image.js';
import type { DecodedTexture } from '../io/textures.js';
import {
  concatModels,
  createModel,
  logit,
  rgbToDc,
  rotToQuat,
  transformGaussians,
  type GaussianModel,
} from '../scene/gaussians.js';
import { instanceMatrix, multiply, worldMatrices } from '../scene/transform.js';
import { instanceCount, type Material, type Primitive, type Scene, type TextureRef } from '../scene/types.js';
import { Rng } from '../util/rng.js';
import { cross, dot, length, sub } from '../util/vec3.js';

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
  /**
   * Stops of exposure of the display curve the colours go through (splat colours are display-referred:
   * scene/gaussians.ts): the material colour c is stored as toDisplayValue(c, exposure). Default 0.
   */
  exposure?: number;
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

/** An object's triangles as parallel number arrays (no per-triangle objects: scenes have millions). */
interface TriList {
  prims: { prim: Primitive; material: Material | undefined; copy: number }[];
  /** per triangle: index into prims, triangle index in the primitive, sampling weight */
  prim: number[];
  t: number[];
  weight: number[];
}

function sampleTexture(tex: DecodedTexture, u: number, v: number, srgb: boolean): [number, number, number, number] {
  // Bilinear with repeat wrapping (glTF's default sampler).
  const x = (u - Math.floor(u)) * tex.width - 0.5,
    y = (v - Math.floor(v)) * tex.height - 0.5;
  const x0 = Math.floor(x),
    y0 = Math.floor(y),
    fx = x - x0,
    fy = y - y0;
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const xx = (((x0 + (k & 1)) % tex.width) + tex.width) % tex.width,
      yy = (((y0 + (k >> 1)) % tex.height) + tex.height) % tex.height;
    const w = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy),
      o = 4 * (yy * tex.width + xx);
    for (let c = 0; c < 4; c++)
      out[c] += w * (srgb && c < 3 ? SRGB8_TO_LINEAR[tex.data[o + c]] : tex.data[o + c] / 255);
  }
  return out;
}

function texUv(ref: TextureRef, prim: Primitive, idx: number[], bary: number[]): [number, number] | undefined {
  const uvs = ref.texCoord === 1 ? prim.uv1 : prim.uv0;
  if (!uvs) return undefined;
  let u = 0,
    v = 0;
  for (let k = 0; k < 3; k++) {
    u += bary[k] * uvs[2 * idx[k]];
    v += bary[k] * uvs[2 * idx[k] + 1];
  }
  const t = ref.transform;
  if (t) {
    // KHR_texture_transform: scale, then rotate, then offset.
    const su = u * t.scale[0],
      sv = v * t.scale[1],
      c = Math.cos(t.rotation),
      s = Math.sin(t.rotation);
    u = c * su + s * sv + t.offset[0];
    v = -s * su + c * sv + t.offset[1];
  }
  return [u, v];
}

/** Linear surface colour (RGB) and alpha at barycentric `bary` of triangle `t` of `prim`. */
function surfaceColor(
  prim: Primitive,
  mat: Material | undefined,
  t: number,
  bary: number[],
  textures: (DecodedTexture | undefined)[],
): [number, number, number, number] {
  const idx = [prim.indices[3 * t], prim.indices[3 * t + 1], prim.indices[3 * t + 2]];
  const f = mat?.baseColorFactor ?? [1, 1, 1, 1];
  const c: [number, number, number, number] = [f[0], f[1], f[2], f[3]];
  if (mat?.baseColorTexture) {
    const tex = textures[mat.baseColorTexture.texture],
      uv = texUv(mat.baseColorTexture, prim, idx, bary);
    if (tex && uv) {
      const s = sampleTexture(tex, uv[0], uv[1], true);
      for (let k = 0; k < 4; k++) c[k] *= s[k];
    }
  }
  if (prim.colors)
    for (let k = 0; k < 4; k++)
      c[k] *=
        bary[0] * prim.colors[4 * idx[0] + k] +
        bary[1] * prim.colors[4 * idx[1] + k] +
        bary[2] * prim.colors[4 * idx[2] + k];
  if (mat?.lightmap) {
    const tex = textures[mat.lightmap.texture],
      uv = texUv({ texture: mat.lightmap.texture, texCoord: 1 }, prim, idx, bary);
    if (tex && uv) {
      const s = sampleTexture(tex, uv[0], uv[1], true);
      for (let k = 0; k < 3; k++) c[k] *= s[k] * mat.lightmap.intensity;
    }
  }
  if (mat) {
    let e = [mat.emissiveFactor[0], mat.emissiveFactor[1], mat.emissiveFactor[2]].map((v) => v * mat.emissiveStrength);
    if (mat.emissiveTexture && e.some((v) => v > 0)) {
      const tex = textures[mat.emissiveTexture.texture],
        uv = texUv(mat.emissiveTexture, prim, idx, bary);
      if (tex && uv) {
        const s = sampleTexture(tex, uv[0], uv[1], true);
        e = e.map((v, k) => v * s[k]);
      }
    }
    for (let k = 0; k < 3; k++) c[k] += e[k];
  }
  return c;
}

/**
 * Texture detail over a triangle: the spread of the base colour texture's luminance at its corners and centroid
 * (nearest texel, no allocation: this runs once per triangle), times how many texels the triangle covers (a
 * detailed texture on a big triangle wants more, smaller Gaussians).
 */
function textureDetail(prim: Primitive, ref: TextureRef, tex: DecodedTexture, t: number): number {
  const uvs = ref.texCoord === 1 ? prim.uv1 : prim.uv0;
  if (!uvs) return 0;
  const I = prim.indices,
    a = I[3 * t],
    b = I[3 * t + 1],
    c = I[3 * t + 2];
  const sx = ref.transform?.scale[0] ?? 1,
    sy = ref.transform?.scale[1] ?? 1;
  const u0 = uvs[2 * a] * sx,
    v0 = uvs[2 * a + 1] * sy,
    u1 = uvs[2 * b] * sx,
    v1 = uvs[2 * b + 1] * sy,
    u2 = uvs[2 * c] * sx,
    v2 = uvs[2 * c + 1] * sy;
  const lum = (u: number, v: number) => {
    const x = Math.floor((u - Math.floor(u)) * tex.width) % tex.width,
      y = Math.floor((v - Math.floor(v)) * tex.height) % tex.height;
    const o = 4 * (y * tex.width + x);
    return (
      0.2126 * SRGB8_TO_LINEAR[tex.data[o]] +
      0.7152 * SRGB8_TO_LINEAR[tex.data[o + 1]] +
      0.0722 * SRGB8_TO_LINEAR[tex.data[o + 2]]
    );
  };
  const l0 = lum(u0, v0),
    l1 = lum(u1, v1),
    l2 = lum(u2, v2),
    l3 = lum((u0 + u1 + u2) / 3, (v0 + v1 + v2) / 3);
  const mean = (l0 + l1 + l2 + l3) / 4;
  const sd = Math.sqrt(((l0 - mean) ** 2 + (l1 - mean) ** 2 + (l2 - mean) ** 2 + (l3 - mean) ** 2) / 4);
  const texels = Math.abs((u1 - u0) * (v2 - v0) - (u2 - u0) * (v1 - v0)) * 0.5 * tex.width * tex.height;
  return 3 * sd * Math.min(4, Math.log2(1 + texels));
}

/** Convert each mesh node to its own Gaussians, in node space. */
export function convertObjects(scene: Scene, opts: ConvertOptions = {}): SplatObject[] {
  const budget = Math.max(1, Math.floor(opts.budget ?? 200_000));
  const textures = opts.textures ?? [];
  const detailWeight = opts.detailWeight ?? 1,
    flatness = opts.flatness ?? 0.1,
    opacity = logit(opts.opacity ?? 0.95),
    exposure = opts.exposure ?? 0;
  const rng = new Rng(opts.seed ?? 1);
  const world = worldMatrices(scene);
  const nodes = opts.nodes ?? scene.nodes.map((n, i) => (n.mesh !== undefined ? i : -1)).filter((i) => i >= 0);

  // Pass 1: every triangle's weight (world area x (1 + detail)), per object, to split the budget.
  interface ObjTris {
    node: number;
    tris: TriList;
    total: number;
    area: number;
    instances: Float32Array[];
  }
  const objects: ObjTris[] = [];
  let grand = 0;
  for (const node of nodes) {
    const n = scene.nodes[node];
    if (!n || n.mesh === undefined) throw new RangeError(`convertObjects: node ${node} has no mesh`);
    const mesh = scene.meshes[n.mesh];
    // GPU-instanced nodes: every copy is converted into node space.
    const copies = n.instances
      ? Array.from({ length: instanceCount(n.instances) }, (_, c) => instanceMatrix(n.instances!, c))
      : [new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])];
    const obj: ObjTris = {
      node,
      tris: { prims: [], prim: [], t: [], weight: [] },
      total: 0,
      area: 0,
      instances: copies,
    };
    copies.forEach((local, copy) => {
      const m = multiply(world[node], local);
      for (const prim of mesh.primitives) {
        const mat = prim.material >= 0 ? scene.materials[prim.material] : undefined;
        if (mat && mat.alphaMode === 'BLEND' && mat.baseColorFactor[3] < 0.05) continue; // invisible
        const P = prim.positions,
          I = prim.indices;
        // World-space corners: x' = M x, inlined (this loop sees every triangle of the scene).
        const wx = (i: number) => m[0] * P[3 * i] + m[4] * P[3 * i + 1] + m[8] * P[3 * i + 2];
        const wy = (i: number) => m[1] * P[3 * i] + m[5] * P[3 * i + 1] + m[9] * P[3 * i + 2];
        const wz = (i: number) => m[2] * P[3 * i] + m[6] * P[3 * i + 1] + m[10] * P[3 * i + 2];
        const detailRef = detailWeight > 0 ? mat?.baseColorTexture : undefined,
          detailTex = detailRef && textures[detailRef.texture];
        const pi = obj.tris.prims.length;
        obj.tris.prims.push({ prim, material: mat, copy });
        for (let t = 0; t < I.length / 3; t++) {
          const a = I[3 * t],
            b = I[3 * t + 1],
            c = I[3 * t + 2];
          const ax = wx(a),
            ay = wy(a),
            az = wz(a);
          const ux = wx(b) - ax,
            uy = wy(b) - ay,
            uz = wz(b) - az,
            vx = wx(c) - ax,
            vy = wy(c) - ay,
            vz = wz(c) - az;
          const area = 0.5 * Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
          if (!(area > 0)) continue;
          const weight = detailTex ? area * (1 + detailWeight * textureDetail(prim, detailRef!, detailTex, t)) : area;
          obj.tris.prim.push(pi);
          obj.tris.t.push(t);
          obj.tris.weight.push(weight);
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
  let given = 0,
    cum = 0;
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
    let acc = 0,
      ti = 0,
      placed = 0;
    const offset = rng.next() * step;
    for (let k = 0; k < count; k++) {
      const target = offset + k * step;
      const T = obj.tris;
      while (ti < T.t.length - 1 && acc + T.weight[ti] < target) acc += T.weight[ti++];
      const tri = T.prims[T.prim[ti]],
        triWeight = T.weight[ti];
      const prim = tri.prim,
        t = T.t[ti];
      // Node-space corners (instance copies are placed inside the node).
      const local = obj.instances[tri.copy];
      const a = prim.indices[3 * t],
        b = prim.indices[3 * t + 1],
        c = prim.indices[3 * t + 2];
      const pa = tp(local, prim.positions, a),
        pb = tp(local, prim.positions, b),
        pc = tp(local, prim.positions, c);
      let r1 = rng.next(),
        r2 = rng.next();
      if (r1 + r2 > 1) {
        r1 = 1 - r1;
        r2 = 1 - r2;
      }
      const bary = [1 - r1 - r2, r1, r2];
      const p = [0, 1, 2].map((i) => bary[0] * pa[i] + bary[1] * pb[i] + bary[2] * pc[i]);
      model.means.set(p, 3 * placed);
      // Frame: tangent along the longest edge, normal from the face (thin axis = z).
      const e1 = sub(pb, pa),
        e2 = sub(pc, pa);
      let nrm: number[] = cross(e1, e2);
      const nl = length(nrm);
      nrm = nrm.map((v) => v / nl);
      let tan: number[] = length(e1) >= length(e2) ? e1 : e2;
      const tl = length(tan);
      tan = tan.map((v) => v / tl);
      const bit = cross(nrm, tan);
      model.quats.set(rotToQuat([...tan, ...bit, ...nrm]), 4 * placed);
      // In-plane size: the node-space area each Gaussian stands for on this triangle (its area over the
      // Gaussians it expects), as a disc of that area with radius ~1.2 sigma so neighbours overlap.
      const expected = (triWeight * count) / obj.total;
      let sigma = 1.2 * Math.sqrt((0.5 * nl) / Math.max(1e-12, expected) / Math.PI);
      // Near an open border (an edge no other triangle shares: a wall's end, a card's outline) the footprint would
      // spill past the surface; shrink it to the distance to that border, down to a third.
      const border = boundaryEdges(prim);
      let dEdge = Infinity;
      const corners = [pa, pb, pc];
      for (let k = 0; k < 3; k++) {
        if (!border[3 * t + k]) continue;
        const q0 = corners[k],
          q1 = corners[(k + 1) % 3],
          e = sub(q1, q0),
          l2 = dot(e, e);
        const w = sub(p, q0),
          s2 = Math.max(0, Math.min(1, dot(w, e) / Math.max(1e-30, l2)));
        dEdge = Math.min(dEdge, length([w[0] - s2 * e[0], w[1] - s2 * e[1], w[2] - s2 * e[2]]));
      }
      if (dEdge < 2 * sigma) sigma = Math.max(sigma / 3, dEdge / 2);
      model.logScales.set([Math.log(sigma), Math.log(sigma), Math.log(Math.max(1e-7, sigma * flatness))], 3 * placed);
      const col = surfaceColor(prim, tri.material, t, bary, textures);
      for (let ch = 0; ch < 3; ch++) model.sh[3 * placed + ch] = rgbToDc(toDisplayValue(col[ch], exposure));
      const alphaMask =
        tri.material?.alphaMode === 'MASK'
          ? col[3] >= tri.material.alphaCutoff
            ? 1
            : 0
          : tri.material?.alphaMode === 'BLEND'
            ? col[3]
            : 1;
      if (alphaMask <= 0) continue; // cut-out texel: no Gaussian (the count shrinks below)
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
    count: n,
    shDegree: m.shDegree,
    means: m.means.slice(0, 3 * n),
    logScales: m.logScales.slice(0, 3 * n),
    quats: m.quats.slice(0, 4 * n),
    opacity: m.opacity.slice(0, n),
    sh: m.sh.slice(0, (m.sh.length / Math.max(1, m.count)) * n),
    objectId: m.objectId?.slice(0, n),
  };
}

const borderCache = new WeakMap<Primitive, Uint8Array>();
/** Per triangle edge (3 per triangle, edge k from corner k to k+1): 1 when no other triangle uses that edge. */
function boundaryEdges(prim: Primitive): Uint8Array {
  let b = borderCache.get(prim);
  if (b) return b;
  const I = prim.indices,
    n = I.length / 3,
    count = new Map<number, number>(),
    V = prim.positions.length / 3;
  const key = (a: number, c: number) => (a < c ? a * V + c : c * V + a);
  for (let t = 0; t < n; t++)
    for (let k = 0; k < 3; k++) {
      const q = key(I[3 * t + k], I[3 * t + ((k + 1) % 3)]);
      count.set(q, (count.get(q) ?? 0) + 1);
    }
  b = new Uint8Array(3 * n);
  for (let t = 0; t < n; t++)
    for (let k = 0; k < 3; k++) b[3 * t + k] = count.get(key(I[3 * t + k], I[3 * t + ((k + 1) % 3)])) === 1 ? 1 : 0;
  borderCache.set(prim, b);
  return b;
}

const tp = (m: ArrayLike<number>, P: Float32Array, i: number): number[] => {
  const x = P[3 * i],
    y = P[3 * i + 1],
    z = P[3 * i + 2];
  return [
    m[0] * x + m[4] * y + m[8] * z + m[12],
    m[1] * x + m[5] * y + m[9] * z + m[13],
    m[2] * x + m[6] * y + m[10] * z + m[14],
  ];
};
