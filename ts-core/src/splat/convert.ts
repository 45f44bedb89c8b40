/**
 * Direct mesh-to-splat conversion (the fast path, in the spirit of EA SEED's Mesh2Splat): flat Gaussians spread
 * over the drawn surfaces (an alpha-tested card's cut-out parts take none) in proportion to area and texture
 * detail, each oriented to its triangle (thin along the normal) and shaped to the surface around it (footprint.ts),
 * coloured from the material (base colour factor x texture x vertex colour, plus emission) and, where the baking
 * pipeline wrote a lightmap (MOZ_lightmap, read with uv1), lit by it.
 *
 * Conversion works per object (scene node): each object's Gaussians are made in the object's own space and
 * carry its node index, so a router can send some objects to splats, keep others as meshes, and place the splats
 * with the object's transform (see placeObjects). No Node builtins: textures arrive decoded from the caller.
 */
import { toDisplayValue } from '../image/float-image.js';
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
import { instanceCount, type Material, type Primitive, type Scene } from '../scene/types.js';
import { Rng } from '../util/rng.js';
import { cross, length, sub } from '../util/vec3.js';
import { fitFootprint } from './footprint.js';
import { keepsSurface, surfaceAlpha, surfaceColor, textureDetail, triangleCoverage } from './surface.js';

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
  /**
   * Where the splats are seen from (world space: the planned views' eyes). Gaussians are then spread by how many
   * pixels a square metre takes there (∝ 1 / distance², averaged over the eyes) as well as by area, so that near
   * surfaces get finer ones and far ones coarser, as a baker sets lightmap density (bake/view-weights.ts). The
   * weight is relative to the converted surfaces' mean and clamped to VIEW_WEIGHT_RANGE; it is taken per triangle, at
   * its centroid, so a large triangle (a ground of two) is spread evenly. Default: by area alone.
   */
  eyes?: readonly (readonly [number, number, number])[];
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
  /** per triangle: index into prims, triangle index in the primitive, sampling weight, share drawn (coverage) */
  prim: number[];
  t: number[];
  weight: number[];
  coverage: number[];
}

/**
 * Draws of a point on an alpha-tested triangle before its Gaussian is given up (the count then shrinks): enough that
 * a triangle of coverage c fails with odds (1 - c)^(MASK_TRIES / c) ≈ e^-10, at most MASK_TRIES_MAX.
 */
const MASK_TRIES = 10,
  MASK_TRIES_MAX = 64;
/**
 * The range of a surface's view weight (ConvertOptions.eyes) relative to the mean: Gaussians per square metre vary
 * by 1/16 to 16, their size by 1/4 to 4 (the bake's density range), so a surface next to an eye does not take the
 * budget and one no eye is near keeps a share (a viewer may walk there).
 */
const VIEW_WEIGHT_RANGE = [1 / 16, 16] as const;

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
  const coverage = new Map<Primitive, Float32Array>();
  const eyes = opts.eyes?.length ? opts.eyes : undefined;
  // Per object, per triangle: pixels per square metre from the eyes (unnormalised), and the area-weighted sum.
  const seen: number[][] = [];
  let seenSum = 0,
    areaSum = 0;
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
      tris: { prims: [], prim: [], t: [], weight: [], coverage: [] },
      total: 0,
      area: 0,
      instances: copies,
    };
    const objSeen: number[] = [];
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
        // What alpha testing leaves of each triangle: once per primitive, whatever its copies (all of it without MASK).
        let covered = coverage.get(prim);
        if (!covered && mat?.alphaMode === 'MASK') {
          covered = new Float32Array(I.length / 3);
          for (let t = 0; t < covered.length; t++) covered[t] = triangleCoverage(prim, mat, t, textures);
          coverage.set(prim, covered);
        }
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
          const cov = covered ? covered[t] : 1;
          if (!(cov > 0)) continue; // cut out whole
          const weight =
            cov * (detailTex ? area * (1 + detailWeight * textureDetail(prim, detailRef!, detailTex, t)) : area);
          obj.tris.prim.push(pi);
          obj.tris.t.push(t);
          obj.tris.weight.push(weight);
          obj.tris.coverage.push(cov);
          obj.total += weight;
          obj.area += area;
          if (eyes) {
            // At the centroid, the eyes' mean 1 / d² (not nearer than a centimetre's worth of the scale).
            const cx = ax + (ux + vx) / 3 + m[12],
              cy = ay + (uy + vy) / 3 + m[13],
              cz = az + (uz + vz) / 3 + m[14];
            let px = 0;
            for (const e of eyes) px += 1 / Math.max(1e-4, (cx - e[0]) ** 2 + (cy - e[1]) ** 2 + (cz - e[2]) ** 2);
            px /= eyes.length;
            objSeen.push(px);
            seenSum += cov * area * px;
            areaSum += cov * area;
          }
        }
      }
    });
    objects.push(obj);
    seen.push(objSeen);
  }
  // Weights by view, relative to the drawn surfaces' mean (ConvertOptions.eyes).
  const meanSeen = areaSum > 0 ? seenSum / areaSum : 0;
  let grand = 0;
  objects.forEach((obj, oi) => {
    if (eyes && meanSeen > 0) {
      obj.total = 0;
      const w = obj.tris.weight;
      for (let i = 0; i < w.length; i++) {
        w[i] *= Math.min(VIEW_WEIGHT_RANGE[1], Math.max(VIEW_WEIGHT_RANGE[0], seen[oi][i] / meanSeen));
        obj.total += w[i];
      }
    }
    grand += obj.total;
  });

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
        triWeight = T.weight[ti],
        mat = tri.material;
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
      // A point of the triangle; on an alpha-tested one, drawn again (seeded) until it lands on what is drawn.
      const masked = mat?.alphaMode === 'MASK';
      let bary: number[] = [];
      const tries = masked ? Math.min(MASK_TRIES_MAX, Math.ceil(MASK_TRIES / T.coverage[ti])) : 1;
      for (let k = 0; k < tries; k++) {
        let r1 = rng.next(),
          r2 = rng.next();
        if (r1 + r2 > 1) {
          r1 = 1 - r1;
          r2 = 1 - r2;
        }
        bary = [1 - r1 - r2, r1, r2];
        if (!masked || keepsSurface(mat, surfaceAlpha(prim, mat, t, bary, textures))) break;
      }
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
      // In-plane size: the node-space area each Gaussian stands for on this triangle (what is drawn of it over
      // the Gaussians it expects), as a disc of that area with radius ~1.2 sigma so neighbours overlap.
      const expected = (triWeight * count) / obj.total;
      const sigma = 1.2 * Math.sqrt((0.5 * nl * T.coverage[ti]) / Math.max(1e-12, expected) / Math.PI);
      // Where the surface ends within its reach (an open border: a wall's end, a card's outline; or a leaf's
      // alpha-tested edge), the disc narrows across that end and stretches along it (footprint.ts).
      const border = boundaryEdges(prim).subarray(3 * t, 3 * t + 3);
      const fit =
        masked || border[0] || border[1] || border[2]
          ? fitFootprint({
              p,
              corners: [pa, pb, pc],
              tan,
              bit,
              sigma,
              border,
              kept: masked ? (w) => keepsSurface(mat, surfaceAlpha(prim, mat, t, w, textures)) : undefined,
            })
          : { major: sigma, minor: sigma, axis: tan };
      model.quats.set(rotToQuat([...fit.axis, ...cross(nrm, fit.axis), ...nrm]), 4 * placed);
      model.logScales.set(
        [Math.log(fit.major), Math.log(fit.minor), Math.log(Math.max(1e-7, flatness * fit.minor))],
        3 * placed,
      );
      const col = surfaceColor(prim, mat, t, bary, textures);
      for (let ch = 0; ch < 3; ch++) model.sh[3 * placed + ch] = rgbToDc(toDisplayValue(col[ch], exposure));
      const alphaMask = masked ? (keepsSurface(mat, col[3]) ? 1 : 0) : mat?.alphaMode === 'BLEND' ? col[3] : 1;
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
