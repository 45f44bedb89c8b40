/**
 * A plain double-precision re-implementation of the rasterizer's forward pass, written from the 3DGS reference
 * rather than from the native code: the finite-difference gradient checks difference this (float32 rounding
 * would swamp small steps), and the native forward is checked against it.
 */
import type { SplatCamera } from '../../src/native/splat-camera.js';
import { shCoeffs, type GaussianModel } from '../../src/scene/gaussians.js';

const C1 = 0.4886025119029199,
  C2 = [1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396];
const C3 = [
  -0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154, -0.4570457994644658,
  1.445305721320277, -0.5900435899266435,
];

function shBasis(deg: number, x: number, y: number, z: number): number[] {
  const b = [0.28209479177387814];
  if (deg >= 1) b.push(-C1 * y, C1 * z, -C1 * x);
  if (deg >= 2) {
    const xx = x * x,
      yy = y * y,
      zz = z * z;
    b.push(C2[0] * x * y, C2[1] * y * z, C2[2] * (2 * zz - xx - yy), C2[3] * x * z, C2[4] * (xx - yy));
    if (deg >= 3)
      b.push(
        C3[0] * y * (3 * xx - yy),
        C3[1] * x * y * z,
        C3[2] * y * (4 * zz - xx - yy),
        C3[3] * z * (2 * zz - 3 * xx - 3 * yy),
        C3[4] * x * (4 * zz - xx - yy),
        C3[5] * z * (xx - yy),
        C3[6] * x * (xx - 3 * yy),
      );
  }
  return b;
}

export interface RefModel {
  count: number;
  shDegree: number;
  means: Float64Array;
  logScales: Float64Array;
  quats: Float64Array;
  opacity: Float64Array;
  sh: Float64Array;
  /** Mip-Splatting's opacity compensation (GaussianModel.antialiased). */
  antialiased?: boolean;
}

export function toRef(m: GaussianModel): RefModel {
  return {
    count: m.count,
    shDegree: m.shDegree,
    means: Float64Array.from(m.means),
    logScales: Float64Array.from(m.logScales),
    quats: Float64Array.from(m.quats),
    opacity: Float64Array.from(m.opacity),
    sh: Float64Array.from(m.sh),
    antialiased: !!m.antialiased,
  };
}

export function referenceRender(
  m: RefModel,
  c: SplatCamera,
  bg: number[],
): { rgb: Float64Array; alpha: Float64Array; depth: Float64Array } {
  const W = c.width,
    H = c.height,
    V = c.viewmat,
    K = shCoeffs(m.shDegree),
    TX = Math.ceil(W / 16),
    TY = Math.ceil(H / 16);
  type P = {
    i: number;
    mx: number;
    my: number;
    a: number;
    b: number;
    cc: number;
    z: number;
    op: number;
    rgb: number[];
    rect: number[];
  };
  const ps: P[] = [];
  for (let i = 0; i < m.count; i++) {
    const x = [m.means[3 * i], m.means[3 * i + 1], m.means[3 * i + 2]];
    const t = [0, 1, 2].map((r) => V[3 * r] * x[0] + V[3 * r + 1] * x[1] + V[3 * r + 2] * x[2] + V[9 + r]);
    if (!(t[2] > c.znear && t[2] < c.zfar)) continue;
    const limx = (1.3 * 0.5 * W) / c.fx,
      limy = (1.3 * 0.5 * H) / c.fy;
    const tx = Math.min(limx, Math.max(-limx, t[0] / t[2])),
      ty = Math.min(limy, Math.max(-limy, t[1] / t[2]));
    const J = [
      [c.fx / t[2], 0, (-c.fx * tx) / t[2]],
      [0, c.fy / t[2], (-c.fy * ty) / t[2]],
    ];
    let [qw, qx, qy, qz] = [m.quats[4 * i], m.quats[4 * i + 1], m.quats[4 * i + 2], m.quats[4 * i + 3]];
    const ql = Math.hypot(qw, qx, qy, qz);
    qw /= ql;
    qx /= ql;
    qy /= ql;
    qz /= ql;
    const R = [
      [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qw * qz), 2 * (qx * qz + qw * qy)],
      [2 * (qx * qy + qw * qz), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qw * qx)],
      [2 * (qx * qz - qw * qy), 2 * (qy * qz + qw * qx), 1 - 2 * (qx * qx + qy * qy)],
    ];
    const s = [0, 1, 2].map((a) => Math.exp(m.logScales[3 * i + a]));
    const Sig = [0, 1, 2].map((a) =>
      [0, 1, 2].map(
        (b) => R[a][0] * R[b][0] * s[0] * s[0] + R[a][1] * R[b][1] * s[1] * s[1] + R[a][2] * R[b][2] * s[2] * s[2],
      ),
    );
    const T = [0, 1].map((r) => [0, 1, 2].map((j) => J[r][0] * V[j] + J[r][1] * V[3 + j] + J[r][2] * V[6 + j]));
    const cov = [0, 1].map((r) =>
      [0, 1].map((q) => {
        let v = 0;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) v += T[r][a] * Sig[a][b] * T[q][b];
        return v;
      }),
    );
    const A = cov[0][0] + 0.3,
      B = cov[0][1],
      Cc = cov[1][1] + 0.3,
      det = A * Cc - B * B;
    if (!(det > 0)) continue;
    const mid = 0.5 * (A + Cc),
      lambda = mid + Math.sqrt(Math.max(0.1, mid * mid - det));
    const radius = Math.ceil(3 * Math.sqrt(lambda));
    const mx = (c.fx * t[0]) / t[2] + c.cx,
      my = (c.fy * t[1]) / t[2] + c.cy;
    const rect = [
      Math.min(TX, Math.max(0, Math.floor((mx - radius) / 16))),
      Math.min(TY, Math.max(0, Math.floor((my - radius) / 16))),
      Math.min(TX, Math.max(0, Math.floor((mx + radius) / 16) + 1)),
      Math.min(TY, Math.max(0, Math.floor((my + radius) / 16) + 1)),
    ];
    if (rect[2] <= rect[0] || rect[3] <= rect[1]) continue;
    const d = [x[0] - c.campos[0], x[1] - c.campos[1], x[2] - c.campos[2]],
      dl = Math.hypot(d[0], d[1], d[2]);
    const basis = shBasis(m.shDegree, d[0] / dl, d[1] / dl, d[2] / dl);
    const rgb = [0, 1, 2].map((ch) => {
      let v = 0.5;
      for (let k = 0; k < basis.length; k++) v += basis[k] * m.sh[3 * K * i + 3 * k + ch];
      return Math.max(0, v);
    });
    ps.push({
      i,
      mx,
      my,
      a: Cc / det,
      b: -B / det,
      cc: A / det,
      z: t[2],
      // Antialiased: × sqrt(det Σ / det(Σ + 0.3 I)), the share of the low-passed splat that is its own.
      op:
        (1 / (1 + Math.exp(-m.opacity[i]))) *
        (m.antialiased ? Math.sqrt(Math.max(0, (cov[0][0] * cov[1][1] - B * B) / det)) : 1),
      rgb,
      rect,
    });
  }
  ps.sort((p, q) => p.z - q.z || p.i - q.i);
  const rgb = new Float64Array(3 * W * H),
    alpha = new Float64Array(W * H),
    depth = new Float64Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const tx = Math.floor(x / 16),
        ty = Math.floor(y / 16),
        px = x + 0.5,
        py = y + 0.5;
      let T = 1,
        D = 0;
      const C = [0, 0, 0];
      for (const p of ps) {
        if (tx < p.rect[0] || tx >= p.rect[2] || ty < p.rect[1] || ty >= p.rect[3]) continue;
        const dx = p.mx - px,
          dy = p.my - py;
        const power = -0.5 * (p.a * dx * dx + p.cc * dy * dy) - p.b * dx * dy;
        if (power > 0) continue;
        const al = Math.min(0.99, p.op * Math.exp(power));
        if (al < 1 / 255) continue;
        if (T * (1 - al) < 1e-4) break;
        for (let ch = 0; ch < 3; ch++) C[ch] += p.rgb[ch] * al * T;
        D += p.z * al * T;
        T *= 1 - al;
      }
      const pix = y * W + x;
      for (let ch = 0; ch < 3; ch++) rgb[3 * pix + ch] = C[ch] + T * bg[ch];
      alpha[pix] = 1 - T;
      depth[pix] = D;
    }
  return { rgb, alpha, depth };
}

/**
 * The training loss in double precision, written from its definition (3DGS): (1 − λ) mean |x − y| + λ (1 − mean
 * SSIM) over the three channels, SSIM from the 11×11 Gaussian window (σ 1.5, normalised) with zero padding and
 * C1 = 0.01², C2 = 0.03². The native loss computes the same in float.
 */
export function referenceImageLoss(x: Float32Array, y: Float32Array, w: number, h: number, lambda: number): number {
  const R = 5,
    g = Array.from({ length: 2 * R + 1 }, (_, i) => Math.exp(-((i - R) ** 2) / (2 * 1.5 * 1.5)));
  const gs = g.reduce((a, b) => a + b, 0),
    win = g.map((v) => v / gs);
  const C1 = 0.01 ** 2,
    C2 = 0.03 ** 2;
  let l1 = 0,
    ssim = 0;
  for (let i = 0; i < x.length; i++) l1 += Math.abs(x[i] - y[i]);
  for (let c = 0; c < 3; c++)
    for (let py = 0; py < h; py++)
      for (let px = 0; px < w; px++) {
        let mx = 0,
          my = 0,
          sxx = 0,
          syy = 0,
          sxy = 0;
        for (let dy = -R; dy <= R; dy++)
          for (let dx = -R; dx <= R; dx++) {
            const qx = px + dx,
              qy = py + dy;
            if (qx < 0 || qy < 0 || qx >= w || qy >= h) continue;
            const k = win[dx + R] * win[dy + R],
              a = x[3 * (qy * w + qx) + c],
              b = y[3 * (qy * w + qx) + c];
            mx += k * a;
            my += k * b;
            sxx += k * a * a;
            syy += k * b * b;
            sxy += k * a * b;
          }
        const vx = sxx - mx * mx,
          vy = syy - my * my,
          cxy = sxy - mx * my;
        ssim += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      }
  const n = x.length;
  return (1 - lambda) * (l1 / n) + lambda * (1 - ssim / n);
}
