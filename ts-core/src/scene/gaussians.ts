/**
 * The Gaussian model: structure-of-arrays, in the parameterisation the optimiser works in (log scales, logit
 * opacity, unnormalised quaternions, SH coefficients). Layouts match native-cuda/include/ote/splat/splat_math.h:
 * quaternions are (w, x, y, z); SH is [gaussian][coefficient][rgb] with (shDegree + 1)^2 coefficients.
 * Plain data and no Node builtins (runs inside the editor's V8). It sits beside the scene, below io/, because the
 * splat file formats read and write it as much as splat/ trains it.
 *
 * Colours are display-referred, as 3DGS trainers and viewers take them: the SH-evaluated colour (0.5 + C0 · dc + …)
 * is the value put on screen, sRGB-encoded, and splats blend in that space. graphdeco's trainer fits sRGB
 * photographs without linearising them (graphdeco-inria/gaussian-splatting#1208), and PlayCanvas blends splats in
 * sRGB space because trainers store their colours and SH there (playcanvas/engine#8387). Splats made from a scene's lighting are therefore its linear radiance through the
 * previews' display curve at the scene's exposure (image/float-image.ts toDisplayValue). A renderer that composites
 * them with lit meshes decodes the blended splat layer to linear light and lays it over the meshes' radiance, as
 * engines do (render/hybrid.ts).
 */
export const SH_C0 = 0.28209479177387814;

export interface GaussianModel {
  count: number;
  /** Degree of the stored SH coefficients (0..3). */
  shDegree: number;
  means: Float32Array;
  logScales: Float32Array;
  quats: Float32Array;
  /** Logits: opacity = sigmoid(value). */
  opacity: Float32Array;
  sh: Float32Array;
  /**
   * Optional per-Gaussian source object (a scene node index) for hybrid scenes: the router keeps splats and
   * meshes per object, and a splat moves with its object's transform.
   */
  objectId?: Int32Array;
  /**
   * Trained with Mip-Splatting's 2D filter (gsplat's "antialiased" mode; SPZ's antialiased flag): renderers scale
   * each splat's opacity by the share of its low-passed footprint that is its own, so that splats smaller than a
   * pixel cover what they cover at any resolution. Absent: the classic 3DGS projection.
   */
  antialiased?: boolean;
}

/** The antialiased flag of `m`, as a property to spread into a model made from it. */
export const antialiasedOf = (m: GaussianModel): { antialiased?: true } => (m.antialiased ? { antialiased: true } : {});

export function shCoeffs(degree: number): number {
  return (degree + 1) * (degree + 1);
}

export function createModel(count: number, shDegree = 3, withObjectIds = false): GaussianModel {
  if (!Number.isInteger(shDegree) || shDegree < 0 || shDegree > 3)
    throw new RangeError(`shDegree must be 0..3, got ${shDegree}`);
  const m: GaussianModel = {
    count,
    shDegree,
    means: new Float32Array(3 * count),
    logScales: new Float32Array(3 * count),
    quats: new Float32Array(4 * count),
    opacity: new Float32Array(count),
    sh: new Float32Array(3 * shCoeffs(shDegree) * count),
  };
  for (let i = 0; i < count; i++) m.quats[4 * i] = 1;
  if (withObjectIds) m.objectId = new Int32Array(count).fill(-1);
  return m;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const logit = (p: number): number => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};
/** Display colour channel (sRGB-encoded, 0..1) to the DC SH coefficient (colour = 0.5 + C0 * dc). */
/** Gaussian i's rotation as a unit quaternion (x, y, z, w as stored); a zero quaternion stays zero. */
export function unitQuat(m: GaussianModel, i: number): [number, number, number, number] {
  const q: [number, number, number, number] = [
    m.quats[4 * i],
    m.quats[4 * i + 1],
    m.quats[4 * i + 2],
    m.quats[4 * i + 3],
  ];
  const l = Math.hypot(...q) || 1;
  return [q[0] / l, q[1] / l, q[2] / l, q[3] / l];
}

/** A value rounded and clamped to a byte, as the quantized splat formats store it. */
export const toByte = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

export const rgbToDc = (c: number): number => (c - 0.5) / SH_C0;
export const dcToRgb = (dc: number): number => 0.5 + SH_C0 * dc;

/** The Gaussians at `indices`, in that order (also used to duplicate: an index may repeat). */
export function selectGaussians(m: GaussianModel, indices: ArrayLike<number>): GaussianModel {
  const n = indices.length,
    k = 3 * shCoeffs(m.shDegree);
  const out = { ...createModel(n, m.shDegree, !!m.objectId), ...antialiasedOf(m) };
  for (let j = 0; j < n; j++) {
    const i = indices[j];
    out.means.set(m.means.subarray(3 * i, 3 * i + 3), 3 * j);
    out.logScales.set(m.logScales.subarray(3 * i, 3 * i + 3), 3 * j);
    out.quats.set(m.quats.subarray(4 * i, 4 * i + 4), 4 * j);
    out.opacity[j] = m.opacity[i];
    out.sh.set(m.sh.subarray(k * i, k * i + k), k * j);
    if (m.objectId) out.objectId![j] = m.objectId[i];
  }
  return out;
}

/** Concatenate models (the result has the highest SH degree; missing coefficients are zero). */
export function concatModels(models: GaussianModel[]): GaussianModel {
  const deg = Math.max(0, ...models.map((m) => m.shDegree));
  const ids = models.some((m) => m.objectId);
  // One projection for the whole: antialiased only when every part is.
  const aa = models.length > 0 && models.every((m) => m.antialiased);
  const out: GaussianModel = {
    ...createModel(
      models.reduce((s, m) => s + m.count, 0),
      deg,
      ids,
    ),
    ...(aa ? { antialiased: true } : {}),
  };
  const K = shCoeffs(deg);
  let o = 0;
  for (const m of models) {
    out.means.set(m.means, 3 * o);
    out.logScales.set(m.logScales, 3 * o);
    out.quats.set(m.quats, 4 * o);
    out.opacity.set(m.opacity, o);
    const k = shCoeffs(m.shDegree);
    for (let i = 0; i < m.count; i++) out.sh.set(m.sh.subarray(3 * k * i, 3 * k * (i + 1)), 3 * K * (o + i));
    if (ids) out.objectId!.set(m.objectId ?? new Int32Array(m.count).fill(-1), o);
    o += m.count;
  }
  return out;
}

/** The same Gaussians with their SH truncated or zero-extended to `degree`. */
export function withShDegree(m: GaussianModel, degree: number): GaussianModel {
  if (degree === m.shDegree) return m;
  const out = { ...createModel(m.count, degree, !!m.objectId), ...antialiasedOf(m) };
  out.means.set(m.means);
  out.logScales.set(m.logScales);
  out.quats.set(m.quats);
  out.opacity.set(m.opacity);
  if (m.objectId) out.objectId!.set(m.objectId);
  const a = shCoeffs(m.shDegree),
    b = shCoeffs(degree),
    k = Math.min(a, b);
  for (let i = 0; i < m.count; i++) out.sh.set(m.sh.subarray(3 * a * i, 3 * a * i + 3 * k), 3 * b * i);
  return out;
}

/**
 * The first Gaussian a renderer could not use, and why: a non-finite position, scale, opacity or colour
 * coefficient, or a rotation that is not a quaternion (zero or non-finite). Decoders of user files report it.
 */
export function invalidGaussian(m: GaussianModel): { index: number; problem: string } | undefined {
  const K3 = 3 * shCoeffs(m.shDegree);
  // Plain index loops: this runs over every Gaussian of a loaded file (millions), and allocates only on failure.
  const finite = (a: Float32Array, from: number, n: number) => {
    for (let k = from; k < from + n; k++) if (!Number.isFinite(a[k])) return false;
    return true;
  };
  const list = (a: Float32Array, from: number, n: number) => Array.from(a.subarray(from, from + n)).join(', ');
  const { means, logScales, quats, opacity, sh } = m;
  for (let i = 0; i < m.count; i++) {
    if (!finite(means, 3 * i, 3)) return { index: i, problem: `position (${list(means, 3 * i, 3)}) is not finite` };
    if (!finite(logScales, 3 * i, 3))
      return { index: i, problem: `scale (${list(logScales, 3 * i, 3)}) is not finite` };
    if (!Number.isFinite(opacity[i])) return { index: i, problem: `opacity ${opacity[i]} is not finite` };
    const q = 4 * i;
    if (!finite(quats, q, 4) || (quats[q] === 0 && quats[q + 1] === 0 && quats[q + 2] === 0 && quats[q + 3] === 0))
      return { index: i, problem: `rotation (${list(quats, q, 4)}) is not a usable quaternion` };
    if (!finite(sh, K3 * i, K3)) return { index: i, problem: 'a colour (SH) coefficient is not finite' };
  }
  return undefined;
}

/** Bytes the model's parameter arrays occupy (what one Gaussian costs in memory, times count). */
export function modelBytes(m: GaussianModel): number {
  return (
    m.means.byteLength +
    m.logScales.byteLength +
    m.quats.byteLength +
    m.opacity.byteLength +
    m.sh.byteLength +
    (m.objectId?.byteLength ?? 0)
  );
}

/**
 * Apply a rigid-plus-uniform-scale transform (column-major 4x4) to every Gaussian: means move, rotations compose,
 * log scales shift by log(scale). Used to place per-object splats by their object's transform. View-dependent
 * SH is not rotated (degree 0 is exact; higher degrees are approximate under rotation).
 */
export function transformGaussians(m: GaussianModel, mat: ArrayLike<number>): GaussianModel {
  const out: GaussianModel = {
    count: m.count,
    shDegree: m.shDegree,
    means: m.means.slice(),
    logScales: m.logScales.slice(),
    quats: m.quats.slice(),
    opacity: m.opacity.slice(),
    sh: m.sh.slice(),
    objectId: m.objectId?.slice(),
    ...antialiasedOf(m),
  };
  const sx = Math.hypot(mat[0], mat[1], mat[2]),
    sy = Math.hypot(mat[4], mat[5], mat[6]),
    sz = Math.hypot(mat[8], mat[9], mat[10]);
  const s = Math.cbrt(sx * sy * sz) || 1,
    ls = Math.log(s);
  // Rotation part as a quaternion (w, x, y, z).
  const r = [
    mat[0] / sx,
    mat[1] / sx,
    mat[2] / sx,
    mat[4] / sy,
    mat[5] / sy,
    mat[6] / sy,
    mat[8] / sz,
    mat[9] / sz,
    mat[10] / sz,
  ];
  const q = rotToQuat(r);
  for (let i = 0; i < m.count; i++) {
    const x = m.means[3 * i],
      y = m.means[3 * i + 1],
      z = m.means[3 * i + 2];
    out.means[3 * i] = mat[0] * x + mat[4] * y + mat[8] * z + mat[12];
    out.means[3 * i + 1] = mat[1] * x + mat[5] * y + mat[9] * z + mat[13];
    out.means[3 * i + 2] = mat[2] * x + mat[6] * y + mat[10] * z + mat[14];
    for (let a = 0; a < 3; a++) out.logScales[3 * i + a] += ls;
    const p = [m.quats[4 * i], m.quats[4 * i + 1], m.quats[4 * i + 2], m.quats[4 * i + 3]];
    const w = q[0] * p[0] - q[1] * p[1] - q[2] * p[2] - q[3] * p[3];
    const qx = q[0] * p[1] + q[1] * p[0] + q[2] * p[3] - q[3] * p[2];
    const qy = q[0] * p[2] - q[1] * p[3] + q[2] * p[0] + q[3] * p[1];
    const qz = q[0] * p[3] + q[1] * p[2] - q[2] * p[1] + q[3] * p[0];
    out.quats.set([w, qx, qy, qz], 4 * i);
  }
  return out;
}

/** Column-major 3x3 rotation (columns are the images of the axes) to a unit quaternion (w, x, y, z). */
export function rotToQuat(c: number[]): [number, number, number, number] {
  // Row-major element R[r][k] = c[3k + r].
  const R = (r: number, k: number) => c[3 * k + r];
  const tr = R(0, 0) + R(1, 1) + R(2, 2);
  let w: number, x: number, y: number, z: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = s / 4;
    x = (R(2, 1) - R(1, 2)) / s;
    y = (R(0, 2) - R(2, 0)) / s;
    z = (R(1, 0) - R(0, 1)) / s;
  } else if (R(0, 0) > R(1, 1) && R(0, 0) > R(2, 2)) {
    const s = Math.sqrt(1 + R(0, 0) - R(1, 1) - R(2, 2)) * 2;
    w = (R(2, 1) - R(1, 2)) / s;
    x = s / 4;
    y = (R(0, 1) + R(1, 0)) / s;
    z = (R(0, 2) + R(2, 0)) / s;
  } else if (R(1, 1) > R(2, 2)) {
    const s = Math.sqrt(1 + R(1, 1) - R(0, 0) - R(2, 2)) * 2;
    w = (R(0, 2) - R(2, 0)) / s;
    x = (R(0, 1) + R(1, 0)) / s;
    y = s / 4;
    z = (R(1, 2) + R(2, 1)) / s;
  } else {
    const s = Math.sqrt(1 + R(2, 2) - R(0, 0) - R(1, 1)) * 2;
    w = (R(1, 0) - R(0, 1)) / s;
    x = (R(0, 2) + R(2, 0)) / s;
    y = (R(1, 2) + R(2, 1)) / s;
    z = s / 4;
  }
  const l = Math.hypot(w, x, y, z) || 1;
  return [w / l, x / l, y / l, z / l];
}
