// 3D Gaussian splatting math, written once for the CPU drivers and the CUDA kernels (OTE_HD): EWA projection with
// the 0.3 low-pass, spherical-harmonic colour, tile extents, per-pixel alpha, and the backward pass of each.
// Conventions: camera space is x right, y down, z forward (the host converts the glTF -Z camera); pixel centres
// sit at (x + 0.5, y + 0.5); quaternions are (w, x, y, z) and need not be normalised; scales are stored as logs;
// opacity is stored as a logit; SH coefficients are [gaussian][coefficient][rgb].
#pragma once
#include <math.h>
#include <stdint.h>

#include "../hd.h"

namespace ote {
namespace splat {

constexpr int kTile = 16;                    // tile edge in pixels
constexpr float kLowPass = 0.3f;             // screen-space dilation added to the 2D covariance (pixels^2)
constexpr float kAlphaMax = 0.99f;           // per-splat alpha clamp
constexpr float kAlphaMin = 1.0f / 255.0f;   // contributions under this are skipped
constexpr float kTransmittanceMin = 1e-4f;   // a pixel stops once T would fall below this
constexpr float kExtentSigma = 3.0f;         // screen radius in standard deviations
constexpr float kFovClamp = 1.3f;            // x/z and y/z are clamped to 1.3x the view frustum, as in 3DGS
constexpr float kShC0 = 0.28209479177387814f;

// ---------------------------------------------------------------------------------------------------------------
// Small fixed-size matrices (row-major).
struct M3 {
  float m[9];
};
struct M2 {
  float a, b, c;  // symmetric [[a, b], [b, c]]
};

OTE_HD OTE_INLINE M3 m3_mul(const M3& A, const M3& B) {
  M3 r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      r.m[3 * i + j] = A.m[3 * i] * B.m[j] + A.m[3 * i + 1] * B.m[3 + j] + A.m[3 * i + 2] * B.m[6 + j];
  return r;
}
OTE_HD OTE_INLINE M3 m3_transpose(const M3& A) {
  return M3{{A.m[0], A.m[3], A.m[6], A.m[1], A.m[4], A.m[7], A.m[2], A.m[5], A.m[8]}};
}

// Quaternion (w, x, y, z), normalised here, to a rotation matrix.
OTE_HD OTE_INLINE M3 quat_to_rotmat(float w, float x, float y, float z) {
  const float inv = 1.0f / sqrtf(w * w + x * x + y * y + z * z);
  w *= inv, x *= inv, y *= inv, z *= inv;
  return M3{{1.f - 2.f * (y * y + z * z), 2.f * (x * y - w * z), 2.f * (x * z + w * y),
             2.f * (x * y + w * z), 1.f - 2.f * (x * x + z * z), 2.f * (y * z - w * x),
             2.f * (x * z - w * y), 2.f * (y * z + w * x), 1.f - 2.f * (x * x + y * y)}};
}

// dL/dq (unnormalised q) from dL/dR.
OTE_HD OTE_INLINE void quat_to_rotmat_backward(const float q[4], const M3& dR, float dq[4]) {
  const float n2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
  const float inv = 1.0f / sqrtf(n2);
  const float w = q[0] * inv, x = q[1] * inv, y = q[2] * inv, z = q[3] * inv;
  const float* g = dR.m;
  // Gradient with respect to the normalised quaternion.
  float gw = 2.f * (x * (g[7] - g[5]) + y * (g[2] - g[6]) + z * (g[3] - g[1]));
  float gx = 2.f * (-2.f * x * (g[4] + g[8]) + y * (g[1] + g[3]) + z * (g[2] + g[6]) + w * (g[7] - g[5]));
  float gy = 2.f * (x * (g[1] + g[3]) - 2.f * y * (g[0] + g[8]) + z * (g[5] + g[7]) + w * (g[2] - g[6]));
  float gz = 2.f * (x * (g[2] + g[6]) + y * (g[5] + g[7]) - 2.f * z * (g[0] + g[4]) + w * (g[3] - g[1]));
  // Through the normalisation: d(q/|q|) = (I - n n^T) / |q|.
  const float d = gw * w + gx * x + gy * y + gz * z;
  dq[0] = (gw - d * w) * inv, dq[1] = (gx - d * x) * inv, dq[2] = (gy - d * y) * inv, dq[3] = (gz - d * z) * inv;
}

// ---------------------------------------------------------------------------------------------------------------
// Spherical harmonics (real, degree <= 3, the constants of the 3DGS reference). Templated on the scalar so a
// forward-mode dual number gives the derivative with respect to the view direction from the same source.
template <typename S>
OTE_HD OTE_INLINE void sh_basis(int degree, S x, S y, S z, S* b) {
  b[0] = S(kShC0);
  if (degree < 1) return;
  const float C1 = 0.4886025119029199f;
  b[1] = S(-C1) * y, b[2] = S(C1) * z, b[3] = S(-C1) * x;
  if (degree < 2) return;
  const S xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
  b[4] = S(1.0925484305920792f) * xy;
  b[5] = S(-1.0925484305920792f) * yz;
  b[6] = S(0.31539156525252005f) * (S(2.f) * zz - xx - yy);
  b[7] = S(-1.0925484305920792f) * xz;
  b[8] = S(0.5462742152960396f) * (xx - yy);
  if (degree < 3) return;
  b[9] = S(-0.5900435899266435f) * y * (S(3.f) * xx - yy);
  b[10] = S(2.890611442640554f) * xy * z;
  b[11] = S(-0.4570457994644658f) * y * (S(4.f) * zz - xx - yy);
  b[12] = S(0.3731763325901154f) * z * (S(2.f) * zz - S(3.f) * xx - S(3.f) * yy);
  b[13] = S(-0.4570457994644658f) * x * (S(4.f) * zz - xx - yy);
  b[14] = S(1.445305721320277f) * z * (xx - yy);
  b[15] = S(-0.5900435899266435f) * x * (xx - S(3.f) * yy);
}

// Value and gradient with respect to (x, y, z).
struct Dual3 {
  float v, dx, dy, dz;
  OTE_HD Dual3() : v(0), dx(0), dy(0), dz(0) {}
  OTE_HD explicit Dual3(float c) : v(c), dx(0), dy(0), dz(0) {}
  OTE_HD Dual3(float v_, float a, float b, float c) : v(v_), dx(a), dy(b), dz(c) {}
};
OTE_HD OTE_INLINE Dual3 operator*(Dual3 a, Dual3 b) {
  return {a.v * b.v, a.dx * b.v + a.v * b.dx, a.dy * b.v + a.v * b.dy, a.dz * b.v + a.v * b.dz};
}
OTE_HD OTE_INLINE Dual3 operator+(Dual3 a, Dual3 b) { return {a.v + b.v, a.dx + b.dx, a.dy + b.dy, a.dz + b.dz}; }
OTE_HD OTE_INLINE Dual3 operator-(Dual3 a, Dual3 b) { return {a.v - b.v, a.dx - b.dx, a.dy - b.dy, a.dz - b.dz}; }

OTE_HD OTE_INLINE int sh_coeff_count(int degree) { return (degree + 1) * (degree + 1); }

// Colour of one Gaussian seen along unit direction `dir` (from the camera to the mean), using the first
// (degree+1)^2 of its `stride` coefficients. The colour is offset by 0.5 and clamped at 0, as in 3DGS;
// `clamped` records which channels hit the clamp (their gradient is zero).
OTE_HD OTE_INLINE void eval_sh(int degree, const float* sh, const float dir[3], float rgb[3], bool clamped[3]) {
  float b[16];
  sh_basis<float>(degree, dir[0], dir[1], dir[2], b);
  const int n = sh_coeff_count(degree);
  for (int c = 0; c < 3; ++c) {
    float v = 0.5f;
    for (int k = 0; k < n; ++k) v += b[k] * sh[3 * k + c];
    clamped[c] = v < 0.f;
    rgb[c] = clamped[c] ? 0.f : v;
  }
}

// Backward of eval_sh: accumulates dL/dsh (same layout) and returns dL/ddir.
OTE_HD OTE_INLINE void eval_sh_backward(int degree, const float* sh, const float dir[3], const bool clamped[3],
                                        const float d_rgb[3], float* d_sh, float d_dir[3]) {
  Dual3 b[16];
  sh_basis<Dual3>(degree, Dual3(dir[0], 1, 0, 0), Dual3(dir[1], 0, 1, 0), Dual3(dir[2], 0, 0, 1), b);
  const int n = sh_coeff_count(degree);
  const float g[3] = {clamped[0] ? 0.f : d_rgb[0], clamped[1] ? 0.f : d_rgb[1], clamped[2] ? 0.f : d_rgb[2]};
  d_dir[0] = d_dir[1] = d_dir[2] = 0.f;
  for (int k = 0; k < n; ++k) {
    float s = 0.f;
    for (int c = 0; c < 3; ++c) {
      d_sh[3 * k + c] += b[k].v * g[c];
      s += sh[3 * k + c] * g[c];
    }
    d_dir[0] += s * b[k].dx, d_dir[1] += s * b[k].dy, d_dir[2] += s * b[k].dz;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Camera: world -> camera is x_cam = R x + t with R row-major in `viewmat[0..8]` and t in viewmat[9..11].
struct Camera {
  float viewmat[12];
  float fx, fy, cx, cy;
  int width, height;
  float znear, zfar;
  float campos[3];  // camera centre in world space (for SH directions)
};

OTE_HD OTE_INLINE int tiles_x(const Camera& c) { return (c.width + kTile - 1) / kTile; }
OTE_HD OTE_INLINE int tiles_y(const Camera& c) { return (c.height + kTile - 1) / kTile; }

// One Gaussian after projection: everything the rasterizer reads.
struct Projected {
  float mean2d[2];
  float conic[3];  // inverse 2D covariance (a, b, c)
  float depth;     // camera z
  float opacity;   // sigmoid(logit)
  float rgb[3];
  int radius;      // pixels; 0 = culled
  int rect[4];     // tile rect [x0, y0, x1, y1)
  uint8_t clamped; // SH clamp bits (rgb)
};

// The parameters of Gaussian i in structure-of-arrays form.
struct Model {
  const float* means;       // 3N
  const float* log_scales;  // 3N
  const float* quats;       // 4N (w x y z)
  const float* opacity;     // N logits
  const float* sh;          // N * sh_stride * 3
  int count;
  int sh_stride;  // coefficients per Gaussian per channel: (model degree + 1)^2
  int sh_degree;  // active degree, <= the model degree
  // Mip-Splatting's 2D filter (gsplat's "antialiased" mode, SPZ's antialiased flag): the low-pass that widens every
  // splat also scales its opacity by aa_compensation, so a splat smaller than a pixel covers what it covers, not
  // the low-pass's area. A model is trained and rendered with the same setting.
  int antialiased = 0;
};

OTE_HD OTE_INLINE int imin(int a, int b) { return a < b ? a : b; }
OTE_HD OTE_INLINE int imax(int a, int b) { return a > b ? a : b; }
OTE_HD OTE_INLINE float sigmoidf(float x) { return 1.f / (1.f + expf(-x)); }

// Camera-space 3D covariance pieces: M = R(q) S, Sigma = M M^T.
OTE_HD OTE_INLINE M3 scale_rot(const float* q, const float* log_s) {
  const M3 R = quat_to_rotmat(q[0], q[1], q[2], q[3]);
  const float s0 = expf(log_s[0]), s1 = expf(log_s[1]), s2 = expf(log_s[2]);
  M3 M = R;
  for (int i = 0; i < 3; ++i) M.m[3 * i] *= s0, M.m[3 * i + 1] *= s1, M.m[3 * i + 2] *= s2;
  return M;
}

// The 2x3 EWA Jacobian of the perspective projection at camera-space t (x/z and y/z clamped to the frustum).
struct Jac {
  float j00, j02, j11, j12;
};
OTE_HD OTE_INLINE Jac ewa_jacobian(const Camera& c, const float t[3], bool* clamp_x, bool* clamp_y) {
  const float lim_x = kFovClamp * (0.5f * c.width / c.fx), lim_y = kFovClamp * (0.5f * c.height / c.fy);
  const float rz = 1.f / t[2];
  float tx = t[0] * rz, ty = t[1] * rz;
  *clamp_x = tx < -lim_x || tx > lim_x;
  *clamp_y = ty < -lim_y || ty > lim_y;
  tx = fminf(lim_x, fmaxf(-lim_x, tx));
  ty = fminf(lim_y, fmaxf(-lim_y, ty));
  return {c.fx * rz, -c.fx * tx * rz, c.fy * rz, -c.fy * ty * rz};
}

// T = J W (2x3) where W is the camera rotation.
OTE_HD OTE_INLINE void jw(const Jac& J, const float* W, float T[6]) {
  for (int j = 0; j < 3; ++j) {
    T[j] = J.j00 * W[j] + J.j02 * W[6 + j];
    T[3 + j] = J.j11 * W[3 + j] + J.j12 * W[6 + j];
  }
}

// Sigma2 = T Sigma3 T^T with Sigma3 = M M^T, plus the low-pass on the diagonal.
OTE_HD OTE_INLINE M2 project_cov(const float T[6], const M3& M) {
  float TM[6];  // T M (2x3)
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 3; ++j) TM[3 * r + j] = T[3 * r] * M.m[j] + T[3 * r + 1] * M.m[3 + j] + T[3 * r + 2] * M.m[6 + j];
  M2 s;
  s.a = TM[0] * TM[0] + TM[1] * TM[1] + TM[2] * TM[2] + kLowPass;
  s.b = TM[0] * TM[3] + TM[1] * TM[4] + TM[2] * TM[5];
  s.c = TM[3] * TM[3] + TM[4] * TM[4] + TM[5] * TM[5] + kLowPass;
  return s;
}

// The antialiased opacity factor sqrt(det Σ / det(Σ + kLowPass I)) of a projected covariance `s` (low-pass
// included): the share of the widened splat's integral that is the splat's own. 0 for a degenerate splat.
OTE_HD OTE_INLINE float aa_compensation(const M2& s) {
  const float det = s.a * s.c - s.b * s.b, det0 = (s.a - kLowPass) * (s.c - kLowPass) - s.b * s.b;
  return det > 0.f && det0 > 0.f ? sqrtf(det0 / det) : 0.f;
}

// Its derivatives with respect to the covariance's a, b and c (b counted once: it is each off-diagonal entry).
OTE_HD OTE_INLINE void aa_compensation_grad(const M2& s, float comp, float g[3]) {
  g[0] = g[1] = g[2] = 0.f;
  if (!(comp > 0.f)) return;
  const float det = s.a * s.c - s.b * s.b, a0 = s.a - kLowPass, c0 = s.c - kLowPass, det0 = a0 * c0 - s.b * s.b;
  // comp² = det0 / det: d comp = d(det0 / det) / (2 comp).
  const float k = 1.f / (2.f * comp * det * det);
  g[0] = k * (c0 * det - det0 * s.c);
  g[1] = k * (-2.f * s.b * (det - det0));
  g[2] = k * (a0 * det - det0 * s.a);
}

// Project Gaussian i. Returns false (and radius 0) when it is culled: behind the near plane, beyond the far
// plane, degenerate, or with a 3-sigma extent that touches no tile.
OTE_HD OTE_INLINE bool project_gaussian(const Model& g, const Camera& c, int i, Projected& p) {
  p.radius = 0;
  const float* V = c.viewmat;
  const float* x = g.means + 3 * i;
  const float t[3] = {V[0] * x[0] + V[1] * x[1] + V[2] * x[2] + V[9], V[3] * x[0] + V[4] * x[1] + V[5] * x[2] + V[10],
                      V[6] * x[0] + V[7] * x[1] + V[8] * x[2] + V[11]};
  if (!(t[2] > c.znear) || !(t[2] < c.zfar)) return false;
  bool cx, cy;
  const Jac J = ewa_jacobian(c, t, &cx, &cy);
  float T[6];
  jw(J, V, T);
  const M2 s = project_cov(T, scale_rot(g.quats + 4 * i, g.log_scales + 3 * i));
  const float det = s.a * s.c - s.b * s.b;
  if (!(det > 0.f)) return false;
  const float inv = 1.f / det;
  p.conic[0] = s.c * inv, p.conic[1] = -s.b * inv, p.conic[2] = s.a * inv;
  const float mid = 0.5f * (s.a + s.c);
  const float lambda = mid + sqrtf(fmaxf(0.1f, mid * mid - det));
  const float radius = ceilf(kExtentSigma * sqrtf(lambda));
  p.mean2d[0] = c.fx * t[0] / t[2] + c.cx;
  p.mean2d[1] = c.fy * t[1] / t[2] + c.cy;
  const int tx = tiles_x(c), ty = tiles_y(c);
  p.rect[0] = imin(tx, imax(0, int(floorf((p.mean2d[0] - radius) / kTile))));
  p.rect[1] = imin(ty, imax(0, int(floorf((p.mean2d[1] - radius) / kTile))));
  p.rect[2] = imin(tx, imax(0, int(floorf((p.mean2d[0] + radius) / kTile)) + 1));
  p.rect[3] = imin(ty, imax(0, int(floorf((p.mean2d[1] + radius) / kTile)) + 1));
  if (!isfinite(radius) || p.rect[2] <= p.rect[0] || p.rect[3] <= p.rect[1]) return false;
  p.depth = t[2];
  p.opacity = sigmoidf(g.opacity[i]);
  if (g.antialiased) p.opacity *= aa_compensation(s);
  float dir[3] = {x[0] - c.campos[0], x[1] - c.campos[1], x[2] - c.campos[2]};
  const float dl = 1.f / sqrtf(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
  dir[0] *= dl, dir[1] *= dl, dir[2] *= dl;
  bool cl[3];
  eval_sh(g.sh_degree, g.sh + 3 * g.sh_stride * i, dir, p.rgb, cl);
  p.clamped = uint8_t((cl[0] ? 1 : 0) | (cl[1] ? 2 : 0) | (cl[2] ? 4 : 0));
  p.radius = int(radius);
  return true;
}

// Gradients of the loss with respect to one projected Gaussian, summed over the pixels it touched.
struct ProjectedGrad {
  float mean2d[2];
  float conic[3];  // with respect to a, b, c as used in the exponent (b appears as 2b in the quadratic form)
  float rgb[3];
  float opacity;   // with respect to the post-sigmoid opacity
  float depth;     // with respect to camera z, through the depth output
};

// Gradients with respect to Gaussian i's parameters (accumulated, so callers zero them first).
struct ParamGrad {
  float* means;
  float* log_scales;
  float* quats;
  float* opacity;
  float* sh;
};

// Backward of project_gaussian for a visible Gaussian.
OTE_HD OTE_INLINE void project_gaussian_backward(const Model& g, const Camera& c, int i, const Projected& p,
                                                 const ProjectedGrad& d, ParamGrad out) {
  const float* V = c.viewmat;
  const float* x = g.means + 3 * i;
  const float* q = g.quats + 4 * i;
  const float* ls = g.log_scales + 3 * i;
  const float t[3] = {V[0] * x[0] + V[1] * x[1] + V[2] * x[2] + V[9], V[3] * x[0] + V[4] * x[1] + V[5] * x[2] + V[10],
                      V[6] * x[0] + V[7] * x[1] + V[8] * x[2] + V[11]};
  // Opacity through the sigmoid (antialiased models, whose opacity is sigmoid × compensation: below, with Sigma2).
  if (!g.antialiased) out.opacity[i] += d.opacity * p.opacity * (1.f - p.opacity);

  // Colour: SH coefficients, and the view direction back to the mean.
  float dir_raw[3] = {x[0] - c.campos[0], x[1] - c.campos[1], x[2] - c.campos[2]};
  const float len = sqrtf(dir_raw[0] * dir_raw[0] + dir_raw[1] * dir_raw[1] + dir_raw[2] * dir_raw[2]);
  const float dir[3] = {dir_raw[0] / len, dir_raw[1] / len, dir_raw[2] / len};
  const bool cl[3] = {(p.clamped & 1) != 0, (p.clamped & 2) != 0, (p.clamped & 4) != 0};
  float d_dir[3];
  eval_sh_backward(g.sh_degree, g.sh + 3 * g.sh_stride * i, dir, cl, d.rgb, out.sh + 3 * g.sh_stride * i, d_dir);
  const float dd = d_dir[0] * dir[0] + d_dir[1] * dir[1] + d_dir[2] * dir[2];
  float d_mean[3] = {(d_dir[0] - dd * dir[0]) / len, (d_dir[1] - dd * dir[1]) / len, (d_dir[2] - dd * dir[2]) / len};

  // Conic = inverse(Sigma2): dL/dSigma2 = -C G C with G the symmetric gradient (off-diagonal halved).
  bool clx, cly;
  const Jac J = ewa_jacobian(c, t, &clx, &cly);
  float T[6];
  jw(J, V, T);
  const M3 M = scale_rot(q, ls);
  const float Ca = p.conic[0], Cb = p.conic[1], Cc = p.conic[2];
  const float Ga = d.conic[0], Gb = 0.5f * d.conic[1], Gc = d.conic[2];
  // C G (2x2, not symmetric)
  const float CG00 = Ca * Ga + Cb * Gb, CG01 = Ca * Gb + Cb * Gc, CG10 = Cb * Ga + Cc * Gb, CG11 = Cb * Gb + Cc * Gc;
  float S00 = -(CG00 * Ca + CG01 * Cb), S01 = -(CG00 * Cb + CG01 * Cc), S11 = -(CG10 * Cb + CG11 * Cc);
  if (g.antialiased) {
    // opacity = sigmoid × comp(Sigma2): the logit gets dL/dopacity × comp × sigmoid', Sigma2 dL/dopacity × sigmoid ×
    // dcomp/dSigma2.
    const M2 s2 = project_cov(T, M);
    const float sig = sigmoidf(g.opacity[i]), comp = aa_compensation(s2);
    out.opacity[i] += d.opacity * comp * sig * (1.f - sig);
    float dc[3];
    aa_compensation_grad(s2, comp, dc);
    const float dl = d.opacity * sig;
    S00 += dl * dc[0], S01 += 0.5f * dl * dc[1], S11 += dl * dc[2];
  }
  // dSigma2 is symmetric [[S00, S01], [S01, S11]].
  // Sigma2 = T Sigma3 T^T: dSigma3 = T^T dS T, dT = 2 dS T Sigma3.
  float dS3[9];
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      dS3[3 * a + b] = T[a] * (S00 * T[b] + S01 * T[3 + b]) + T[3 + a] * (S01 * T[b] + S11 * T[3 + b]);
  float Sig3[9];
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      Sig3[3 * a + b] = M.m[3 * a] * M.m[3 * b] + M.m[3 * a + 1] * M.m[3 * b + 1] + M.m[3 * a + 2] * M.m[3 * b + 2];
  float TS[6];  // T Sigma3
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 3; ++j) TS[3 * r + j] = T[3 * r] * Sig3[j] + T[3 * r + 1] * Sig3[3 + j] + T[3 * r + 2] * Sig3[6 + j];
  float dT[6];
  for (int j = 0; j < 3; ++j) {
    dT[j] = 2.f * (S00 * TS[j] + S01 * TS[3 + j]);
    dT[3 + j] = 2.f * (S01 * TS[j] + S11 * TS[3 + j]);
  }
  // T = J W: dJ = dT W^T (only the four non-zero entries of J matter).
  const float dJ00 = dT[0] * V[0] + dT[1] * V[1] + dT[2] * V[2];
  const float dJ02 = dT[0] * V[6] + dT[1] * V[7] + dT[2] * V[8];
  const float dJ11 = dT[3] * V[3] + dT[4] * V[4] + dT[5] * V[5];
  const float dJ12 = dT[3] * V[6] + dT[4] * V[7] + dT[5] * V[8];
  // J = [[fx/z, 0, -fx tx/z], [0, fy/z, -fy ty/z]] with tx = x/z (clamped: then constant in x).
  const float rz = 1.f / t[2], rz2 = rz * rz;
  const float lim_x = kFovClamp * (0.5f * c.width / c.fx), lim_y = kFovClamp * (0.5f * c.height / c.fy);
  const float txc = fminf(lim_x, fmaxf(-lim_x, t[0] * rz)), tyc = fminf(lim_y, fmaxf(-lim_y, t[1] * rz));
  float d_t[3] = {0.f, 0.f, 0.f};
  // j00 = fx/z, j11 = fy/z
  d_t[2] += -c.fx * rz2 * dJ00 - c.fy * rz2 * dJ11;
  // j02 = -fx * tx / z where tx = x/z unless clamped.
  if (clx) {
    d_t[2] += c.fx * txc * rz2 * dJ02;
  } else {
    d_t[0] += -c.fx * rz2 * dJ02;
    d_t[2] += 2.f * c.fx * t[0] * rz2 * rz * dJ02;
  }
  if (cly) {
    d_t[2] += c.fy * tyc * rz2 * dJ12;
  } else {
    d_t[1] += -c.fy * rz2 * dJ12;
    d_t[2] += 2.f * c.fy * t[1] * rz2 * rz * dJ12;
  }
  d_t[2] += d.depth;
  // Mean in pixels.
  d_t[0] += c.fx * rz * d.mean2d[0];
  d_t[1] += c.fy * rz * d.mean2d[1];
  d_t[2] += -c.fx * t[0] * rz2 * d.mean2d[0] - c.fy * t[1] * rz2 * d.mean2d[1];
  // Back to world: t = R x + tvec.
  for (int a = 0; a < 3; ++a) d_mean[a] += V[a] * d_t[0] + V[3 + a] * d_t[1] + V[6 + a] * d_t[2];
  for (int a = 0; a < 3; ++a) out.means[3 * i + a] += d_mean[a];

  // Sigma3 = M M^T: dM = 2 dSigma3 M (dSigma3 symmetric). M = R diag(s).
  float dM[9];
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      dM[3 * a + b] = 2.f * (dS3[3 * a] * M.m[b] + dS3[3 * a + 1] * M.m[3 + b] + dS3[3 * a + 2] * M.m[6 + b]);
  const float s[3] = {expf(ls[0]), expf(ls[1]), expf(ls[2])};
  const M3 R = quat_to_rotmat(q[0], q[1], q[2], q[3]);
  M3 dR;
  for (int b = 0; b < 3; ++b) {
    float ds = 0.f;
    for (int a = 0; a < 3; ++a) {
      ds += dM[3 * a + b] * R.m[3 * a + b];
      dR.m[3 * a + b] = dM[3 * a + b] * s[b];
    }
    out.log_scales[3 * i + b] += ds * s[b];
  }
  float dq[4];
  quat_to_rotmat_backward(q, dR, dq);
  for (int a = 0; a < 4; ++a) out.quats[4 * i + a] += dq[a];
}

// ---------------------------------------------------------------------------------------------------------------
// Per-pixel blending. Every step below spells out its fused multiply-adds (fmaf) and its order of operations, so
// that a compiler's contraction cannot change a bit: the scalar CPU blender, the CUDA kernels and the CPU's AVX2
// lanes (cpu/splat_cpu.cpp, which evaluates the same operations eight at a time) blend bit-for-bit alike.

// The exponent of a splat at pixel centre (px, py), dx = mean.x - px, dy = mean.y - py:
// -0.5 (a dx^2 + c dy^2) - b dx dy.
OTE_HD OTE_INLINE float splat_power(const float conic[3], float dx, float dy) {
  const float quad = fmaf(conic[0] * dx, dx, conic[2] * dy * dy);
  return fmaf(-(conic[1] * dy), dx, -0.5f * quad);
}

// exp(x) for the x <= 0 of splat_power: Cephes' expf (range reduction by ln 2, a degree-5 polynomial; within 2 ulp
// of expf). Blending uses it rather than the platform's expf, whose last bits differ between libm, CUDA and a
// vector exp.
OTE_HD OTE_INLINE float splat_exp(float x) {
  x = x > -87.3f ? x : -87.3f;  // a select, as the vector max; NaN goes to the clamp
  const float fx = floorf(fmaf(x, 1.44269504088896341f, 0.5f));
  x = fmaf(-fx, 0.693359375f, x);
  x = fmaf(-fx, -2.12194440e-4f, x);
  float y = 1.9875691500e-4f;
  y = fmaf(y, x, 1.3981999507e-3f);
  y = fmaf(y, x, 8.3334519073e-3f);
  y = fmaf(y, x, 4.1665795894e-2f);
  y = fmaf(y, x, 1.6666665459e-1f);
  y = fmaf(y, x, 5.0000001201e-1f);
  y = fmaf(y, x * x, x + 1.f);
  union {
    int32_t i;
    float f;
  } e;
  e.i = (int32_t(fx) + 127) * (1 << 23);  // 2^fx; fx >= -126 after the clamp, so the exponent stays normal
  return y * e.f;
}

// A splat's alpha at pixel centre (px, py): opacity * splat_exp(power) clamped to kAlphaMax, or 0 where the pixel
// is outside its support (power > 0) or the alpha is under 1/255 (the pixel skips it).
OTE_HD OTE_INLINE float splat_alpha(const float conic[3], const float mean2d[2], float opacity, float px, float py) {
  const float power = splat_power(conic, mean2d[0] - px, mean2d[1] - py);
  if (power > 0.f) return 0.f;
  const float alpha = fminf(kAlphaMax, opacity * splat_exp(power));
  return alpha < kAlphaMin ? 0.f : alpha;
}

// 64-bit sort key: tile in the high word, the depth's float bits (positive, so they order like the value) low.
OTE_HD OTE_INLINE uint64_t tile_depth_key(uint32_t tile, float depth) {
  union {
    float f;
    uint32_t u;
  } bits;
  bits.f = depth;
  return (uint64_t(tile) << 32) | bits.u;
}

// Bits a radix sort must look at: 32 depth bits plus enough for the largest tile id.
OTE_HD OTE_INLINE int key_bits(int tile_count) {
  int b = 0;
  while ((1 << b) < tile_count) ++b;
  return 32 + b;
}

// One step of front-to-back blending at a pixel. Returns the splat's alpha, or 0 when it is skipped
// (outside its support or under 1/255); sets *stop when adding it would drop T under kTransmittanceMin (3DGS
// stops before that splat, so it does not contribute).
OTE_HD OTE_INLINE float blend_alpha(const float conic[3], const float mean2d[2], float opacity, float px, float py,
                                    float T, bool* stop) {
  *stop = false;
  const float alpha = splat_alpha(conic, mean2d, opacity, px, py);
  if (alpha == 0.f) return 0.f;
  if (T * (1.f - alpha) < kTransmittanceMin) {
    *stop = true;
    return 0.f;
  }
  return alpha;
}

// Adds a splat of `alpha` (from blend_alpha, non-zero) to a pixel's colour C and depth D, and moves its
// transmittance T past it.
OTE_HD OTE_INLINE void blend_accumulate(float alpha, const float rgb[3], float depth, float& T, float C[3],
                                        float& D) {
  const float w = alpha * T;
  C[0] = fmaf(rgb[0], w, C[0]);
  C[1] = fmaf(rgb[1], w, C[1]);
  C[2] = fmaf(rgb[2], w, C[2]);
  D = fmaf(depth, w, D);
  T = T * (1.f - alpha);
}

// A pixel's colour once blending ends: what the splats blended, plus the background through what is left of T.
// Fused, as a compiler contracts it wherever FMA is on (the AVX2 blender inlines it), so no build differs.
OTE_HD OTE_INLINE float blend_pixel(float C, float T, float bg) { return fmaf(T, bg, C); }

// Backward of one contributing splat at a pixel, walking back to front. `T` is the transmittance in front of the
// splat (the caller divides it out as it walks), `accum` the colour blended behind it (updated here), `d_pix` the
// pixel's dL/drgb, `d_alpha_pix` its dL/dalpha, `T_final` the pixel's final transmittance and `bg` the background.
OTE_HD OTE_INLINE void blend_backward_step(const float conic[3], const float mean2d[2], float opacity,
                                           const float rgb[3], float depth, float px, float py, float T,
                                           float T_final, const float bg[3], const float d_pix[3], float d_alpha_pix,
                                           float d_depth_pix, float accum[4], ProjectedGrad& g) {
  const float dx = mean2d[0] - px, dy = mean2d[1] - py;
  const float G = splat_exp(splat_power(conic, dx, dy));
  const float raw = opacity * G;
  const float alpha = fminf(kAlphaMax, raw);
  const float w = alpha * T;
  float d_alpha = 0.f;
  g.depth += w * d_depth_pix;
  for (int ch = 0; ch < 3; ++ch) {
    g.rgb[ch] += w * d_pix[ch];
    d_alpha += (rgb[ch] - accum[ch]) * T * d_pix[ch];
  }
  // Depth is blended like a colour channel (the expected depth, before normalisation by alpha).
  d_alpha += (depth - accum[3]) * T * d_depth_pix;
  // Background and alpha outputs depend on T_final = prod(1 - alpha_i).
  const float ra = 1.f / (1.f - alpha);
  d_alpha += -T_final * ra * (bg[0] * d_pix[0] + bg[1] * d_pix[1] + bg[2] * d_pix[2]);
  d_alpha += T_final * ra * d_alpha_pix;
  for (int ch = 0; ch < 3; ++ch) accum[ch] = alpha * rgb[ch] + (1.f - alpha) * accum[ch];
  accum[3] = alpha * depth + (1.f - alpha) * accum[3];
  if (raw > kAlphaMax) return;  // clamped: no gradient to opacity or shape
  g.opacity += G * d_alpha;
  const float dG = opacity * d_alpha * G;  // dL/dpower
  g.mean2d[0] += dG * (-conic[0] * dx - conic[1] * dy);
  g.mean2d[1] += dG * (-conic[2] * dy - conic[1] * dx);
  g.conic[0] += -0.5f * dx * dx * dG;
  g.conic[1] += -dx * dy * dG;
  g.conic[2] += -0.5f * dy * dy * dG;
}

}  // namespace splat
}  // namespace ote
