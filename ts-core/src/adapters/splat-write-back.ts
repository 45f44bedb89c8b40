/**
 * The run's splats in an engine's frame (issue #22, "Writing back": splats), the part of their write-back that is
 * math rather than engine calls. The run's `splats.ply` holds every splat object's Gaussians in glTF's world
 * (right-handed, +Y up, metres). An engine splat renderer (aras-p's UnityGaussianSplatting, Unreal's splat plugins)
 * takes a PLY's positions, rotations and scales as its actor's local space, so the file the plugins import is the
 * same Gaussians expressed in the engine's frame and units, for a placeholder at the engine's origin with no
 * rotation or scale:
 * - means: p′ = Mᵀ·p / metres per unit (M the frame's signed permutation, engine-frame.ts);
 * - rotations: R′ = Mᵀ·R·S, S = diag(1, 1, det M): a mirroring frame (both engines') would leave a reflection, and
 *   flipping one local axis, which leaves the ellipsoid as it was, makes R′ a rotation again;
 * - log scales: + ln(1 / metres per unit);
 * - view-dependent colour: the SH coefficients of each band re-expressed so that colour′(d′) = colour(M·d′), by a
 *   least-squares fit over fixed directions (exact for the frames' signed permutations; the basis is the renderer's,
 *   splat_math.h sh_basis).
 * And which engine objects the splats replace whole (routed to splats: no mesh node left in the optimized scene),
 * which the plugins hide (never delete). Pure: runs in Puerts' V8.
 */
import { antialiasedOf, type GaussianModel, rotToQuat, shCoeffs } from '../scene/gaussians.js';
import type { Scene } from '../scene/types.js';
import { det3, type EngineFrame, fromGltfVector } from './engine-frame.js';
import type { WriteBackObjects } from './lightmap-write-back.js';

export interface SplatWriteBack {
  /** The splats in the engine's frame and units (encode it as PLY with io/splat-formats.ts). */
  model: GaussianModel;
  /** The engine objects the splats stand for whole: hidden in the level, not deleted. */
  replaced: string[];
  /** What the verdict says of them. */
  description: string;
}

/** The renderer's real SH basis up to degree 3 at unit direction (x, y, z) (splat_math.h sh_basis). */
export function shBasis(degree: number, x: number, y: number, z: number): number[] {
  const b = [0.28209479177387814];
  if (degree < 1) return b;
  const C1 = 0.4886025119029199;
  b.push(-C1 * y, C1 * z, -C1 * x);
  if (degree < 2) return b;
  const xx = x * x,
    yy = y * y,
    zz = z * z;
  b.push(
    1.0925484305920792 * x * y,
    -1.0925484305920792 * y * z,
    0.31539156525252005 * (2 * zz - xx - yy),
    -1.0925484305920792 * x * z,
    0.5462742152960396 * (xx - yy),
  );
  if (degree < 3) return b;
  b.push(
    -0.5900435899266435 * y * (3 * xx - yy),
    2.890611442640554 * x * y * z,
    -0.4570457994644658 * y * (4 * zz - xx - yy),
    0.3731763325901154 * z * (2 * zz - 3 * xx - 3 * yy),
    -0.4570457994644658 * x * (4 * zz - xx - yy),
    1.445305721320277 * z * (xx - yy),
    -0.5900435899266435 * x * (xx - 3 * yy),
  );
  return b;
}

/**
 * The K×K matrix A (row-major, K = (degree + 1)²) with c′ = A·c: the SH coefficients of colour′(d) = colour(M·d),
 * M the frame's engine → glTF map. Fitted over 64 fixed directions (a Fibonacci sphere) by least squares.
 */
export function shFrameMatrix(frame: EngineFrame, degree: number): Float64Array {
  const K = shCoeffs(degree),
    n = 64;
  const ata = new Float64Array(K * K),
    atb = new Float64Array(K * K);
  for (let i = 0; i < n; i++) {
    const z = 1 - (2 * (i + 0.5)) / n,
      r = Math.sqrt(1 - z * z),
      phi = i * Math.PI * (3 - Math.sqrt(5));
    const d = [r * Math.cos(phi), r * Math.sin(phi), z];
    // The engine direction d and the glTF direction M·d it looks along.
    const g = [0, 1, 2].map((k) => frame.m[k][0] * d[0] + frame.m[k][1] * d[1] + frame.m[k][2] * d[2]);
    const be = shBasis(degree, d[0], d[1], d[2]),
      bg = shBasis(degree, g[0], g[1], g[2]);
    for (let p = 0; p < K; p++)
      for (let q = 0; q < K; q++) {
        ata[p * K + q] += be[p] * be[q];
        atb[p * K + q] += be[p] * bg[q];
      }
  }
  return solve(ata, atb, K);
}

/** X = A⁻¹·B for K×K row-major A (symmetric positive definite here) and B, by Gauss–Jordan with pivoting. */
function solve(a: Float64Array, b: Float64Array, K: number): Float64Array {
  const A = a.slice(),
    X = b.slice();
  for (let c = 0; c < K; c++) {
    let p = c;
    for (let r = c + 1; r < K; r++) if (Math.abs(A[r * K + c]) > Math.abs(A[p * K + c])) p = r;
    for (let k = 0; k < K; k++) {
      [A[c * K + k], A[p * K + k]] = [A[p * K + k], A[c * K + k]];
      [X[c * K + k], X[p * K + k]] = [X[p * K + k], X[c * K + k]];
    }
    const inv = 1 / A[c * K + c];
    for (let k = 0; k < K; k++) {
      A[c * K + k] *= inv;
      X[c * K + k] *= inv;
    }
    for (let r = 0; r < K; r++) {
      if (r === c) continue;
      const f = A[r * K + c];
      if (f === 0) continue;
      for (let k = 0; k < K; k++) {
        A[r * K + k] -= f * A[c * K + k];
        X[r * K + k] -= f * X[c * K + k];
      }
    }
  }
  return X;
}

/** The Gaussians of `model` (glTF's frame, metres) in `frame`'s axes and units. */
export function splatsToEngineFrame(model: GaussianModel, frame: EngineFrame): GaussianModel {
  const n = model.count,
    K = shCoeffs(model.shDegree),
    toUnits = 1 / frame.metersPerUnit,
    flip = det3(frame.m);
  const out: GaussianModel = {
    count: n,
    shDegree: model.shDegree,
    means: new Float32Array(3 * n),
    logScales: model.logScales.map((v) => v + Math.log(toUnits)),
    quats: new Float32Array(4 * n),
    opacity: model.opacity.slice(),
    sh: new Float32Array(model.sh.length),
    ...(model.objectId ? { objectId: model.objectId.slice() } : {}),
    // The compensation works on the projected footprint in pixels: no frame or unit changes it.
    ...antialiasedOf(model),
  };
  const A = shFrameMatrix(frame, model.shDegree);
  // Mᵀ as a column-major matrix's columns: engine axis e of glTF axis g is m[g][e].
  const m = frame.m;
  for (let i = 0; i < n; i++) {
    out.means.set(fromGltfVector(frame, model.means.subarray(3 * i, 3 * i + 3), toUnits), 3 * i);
    // R from (w, x, y, z), column-major: column k is the image of local axis k.
    let [w, x, y, z] = model.quats.subarray(4 * i, 4 * i + 4);
    const l = Math.hypot(w, x, y, z) || 1;
    [w, x, y, z] = [w / l, x / l, y / l, z / l];
    const R = [
      [1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)],
      [2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x)],
      [2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)],
    ];
    // R′ = Mᵀ·R·S, as columns: column k of R′ is Mᵀ·(column k of R), the last times det M.
    const c: number[] = [];
    for (let k = 0; k < 3; k++) {
      const s = k === 2 ? flip : 1;
      for (let e = 0; e < 3; e++) c.push(s * (m[0][e] * R[k][0] + m[1][e] * R[k][1] + m[2][e] * R[k][2]));
    }
    out.quats.set(rotToQuat(c), 4 * i);
    // c′ = A·c per colour channel.
    const base = 3 * K * i;
    for (let ch = 0; ch < 3; ch++)
      for (let p = 0; p < K; p++) {
        let v = 0;
        for (let q = 0; q < K; q++) v += A[p * K + q] * model.sh[base + 3 * q + ch];
        out.sh[base + 3 * p + ch] = v;
      }
  }
  return out;
}

/** The splats for `frame`'s engine, and the dump's objects they replace whole (no mesh node in `result`). */
export function planSplatWriteBack(
  splats: GaussianModel,
  result: Scene,
  dump: Pick<WriteBackObjects, 'objects'>,
  frame: EngineFrame,
): SplatWriteBack {
  const meshNodes = new Set(result.nodes.filter((nd) => nd.mesh !== undefined).map((nd) => nd.name));
  const replaced = dump.objects.map((o) => o.path).filter((p) => !meshNodes.has(p));
  return {
    model: splatsToEngineFrame(splats, frame),
    replaced,
    description: `${splats.count} splats on "Splats (optimizer)"${replaced.length ? `, standing for ${replaced.join(', ')} (hidden)` : ''}`,
  };
}
