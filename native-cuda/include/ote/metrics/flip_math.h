// LDR-FLIP math shared by the CPU driver and the CUDA kernels (Andersson et al., "FLIP: A Difference Evaluator for
// Alternating Images", HPG 2020), following NVIDIA's reference implementation v1.x: separable CSF filters in
// YCxCz, gamut clamp, Hunt-adjusted L*a*b*, HyAB colour distance, edge/point feature detection on achromatic
// lightness, and error = colour^(1 - feature). Constants are the paper's; filters are built in float as the
// reference builds them, so both backends and the reference agree to float rounding.
#pragma once
#include <math.h>

#include "../hd.h"
#include "fast_math.h"

namespace ote {

struct FlipColor {
  float x, y, z;
};

// Paper constants: qc, pc, pt (colour), w (feature filter width in degrees), qf (feature exponent).
constexpr float kFlipQc = 0.7f, kFlipPc = 0.4f, kFlipPt = 0.95f, kFlipW = 0.082f, kFlipQf = 0.5f;
static_assert(kFlipQf == 0.5f, "flip_feature_error applies qf as a square root");
constexpr float kFlipPi = 3.14159265358979f;
// CSF Gaussians per opponent channel (Y, Cx, Cz): a1, b1, a2, b2. Only Cz is a sum of two Gaussians.
constexpr float kFlipA1[3] = {1.0f, 1.0f, 34.1f}, kFlipB1[3] = {0.0047f, 0.0053f, 0.04f};
constexpr float kFlipA2[3] = {0.0f, 0.0f, 13.5f}, kFlipB2[3] = {1.0e-5f, 1.0e-5f, 0.025f};
// D65 white and its inverse (scalars: constexpr arrays are not visible in device code).
constexpr float kFlipWhiteX = 0.950428545f, kFlipWhiteZ = 1.088900371f;
constexpr float kFlipInvWhiteX = 1.052156925f, kFlipInvWhiteZ = 0.918357670f;

OTE_HD OTE_MINLINE float flip_srgb_to_linear(float c) {
  const float lin = c * (1.0f / 12.92f), pw = fm_pow((c + 0.055f) * (1.0f / 1.055f), 2.4f);
  return c <= 0.04045f ? lin : pw;
}

OTE_HD OTE_MINLINE FlipColor flip_linear_to_xyz(FlipColor c) {
  const float a11 = 10135552.0f / 24577794.0f, a12 = 8788810.0f / 24577794.0f, a13 = 4435075.0f / 24577794.0f;
  const float a21 = 2613072.0f / 12288897.0f, a22 = 8788810.0f / 12288897.0f, a23 = 887015.0f / 12288897.0f;
  const float a31 = 1425312.0f / 73733382.0f, a32 = 8788810.0f / 73733382.0f, a33 = 70074185.0f / 73733382.0f;
  return {a11 * c.x + a12 * c.y + a13 * c.z, a21 * c.x + a22 * c.y + a23 * c.z, a31 * c.x + a32 * c.y + a33 * c.z};
}

OTE_HD OTE_MINLINE FlipColor flip_xyz_to_linear(FlipColor c) {
  return {3.241003275f * c.x - 1.537398934f * c.y - 0.498615861f * c.z,
          -0.969224334f * c.x + 1.875930071f * c.y + 0.041554224f * c.z,
          0.055639423f * c.x - 0.204011202f * c.y + 1.057148933f * c.z};
}

OTE_HD OTE_MINLINE FlipColor flip_xyz_to_ycxcz(FlipColor c) {
  const float x = c.x * kFlipInvWhiteX, y = c.y, z = c.z * kFlipInvWhiteZ;
  return {116.0f * y - 16.0f, 500.0f * (x - y), 200.0f * (y - z)};
}

OTE_HD OTE_MINLINE FlipColor flip_ycxcz_to_xyz(FlipColor c) {
  const float y = (c.x + 16.0f) / 116.0f, cx = c.y / 500.0f, cz = c.z / 200.0f;
  return {(y + cx) * kFlipWhiteX, y, (y - cz) * kFlipWhiteZ};
}

OTE_HD OTE_MINLINE float flip_lab_f(float t) {
  const float delta = 6.0f / 29.0f, delta3 = delta * delta * delta;
  const float cube = fm_pow(t, 1.0f / 3.0f), lin = t * (1.0f / (3.0f * delta * delta)) + 4.0f / 29.0f;
  return t > delta3 ? cube : lin;
}

OTE_HD OTE_MINLINE FlipColor flip_xyz_to_lab(FlipColor c) {
  const float fx = flip_lab_f(c.x * kFlipInvWhiteX), fy = flip_lab_f(c.y),
              fz = flip_lab_f(c.z * kFlipInvWhiteZ);
  return {116.0f * fy - 16.0f, 500.0f * (fx - fy), 200.0f * (fy - fz)};
}

// Hunt effect: chroma shrinks with lightness.
OTE_HD OTE_MINLINE FlipColor flip_hunt(FlipColor lab) { return {lab.x, 0.01f * lab.x * lab.y, 0.01f * lab.x * lab.z}; }

OTE_HD OTE_MINLINE float flip_hyab(FlipColor a, FlipColor b) {
  const float dy = a.y - b.y, dz = a.z - b.z;
  return fabsf(a.x - b.x) + fm_sqrt(dy * dy + dz * dz);
}

// sRGB in [0, 1] to YCxCz, the opponent space the CSF filters work in.
OTE_HD OTE_MINLINE FlipColor flip_srgb_to_ycxcz(float r, float g, float b) {
  return flip_xyz_to_ycxcz(flip_linear_to_xyz({flip_srgb_to_linear(r), flip_srgb_to_linear(g), flip_srgb_to_linear(b)}));
}

// Filtered YCxCz -> linear RGB clamped to the gamut -> Hunt-adjusted L*a*b*.
OTE_HD OTE_MINLINE FlipColor flip_filtered_to_hunt_lab(FlipColor ycxcz) {
  FlipColor rgb = flip_xyz_to_linear(flip_ycxcz_to_xyz(ycxcz));
  rgb.x = fm_min(fm_max(rgb.x, 0.0f), 1.0f);
  rgb.y = fm_min(fm_max(rgb.y, 0.0f), 1.0f);
  rgb.z = fm_min(fm_max(rgb.z, 0.0f), 1.0f);
  return flip_hunt(flip_xyz_to_lab(flip_linear_to_xyz(rgb)));
}

// Largest colour distance (green vs blue), raised to qc; errors are normalised by it.
OTE_HD OTE_MINLINE float flip_cmax() {
  const FlipColor g = flip_hunt(flip_xyz_to_lab(flip_linear_to_xyz({0.0f, 1.0f, 0.0f})));
  const FlipColor b = flip_hunt(flip_xyz_to_lab(flip_linear_to_xyz({0.0f, 0.0f, 1.0f})));
  return fm_pow(flip_hyab(g, b), kFlipQc);
}

// Colour error in [0, 1]: HyAB^qc, with [0, pc*cmax] compressed onto [0, pt] and the rest onto (pt, 1].
OTE_HD OTE_MINLINE float flip_color_error(FlipColor ref_hunt_lab, FlipColor test_hunt_lab, float cmax) {
  const float pccmax = kFlipPc * cmax;
  const float d = fm_pow(flip_hyab(ref_hunt_lab, test_hunt_lab), kFlipQc);
  const float lo = d * (kFlipPt / pccmax), hi = kFlipPt + ((d - pccmax) / (cmax - pccmax)) * (1.0f - kFlipPt);
  return d < pccmax ? lo : hi;  // select, not branch: keeps the pixel loop vectorisable
}

// Feature error in [0, 1] from the edge (1st derivative) and point (2nd derivative) responses of both images.
OTE_HD OTE_MINLINE float flip_feature_error(float dx_r, float dy_r, float ddx_r, float ddy_r, float dx_t, float dy_t,
                                           float ddx_t, float ddy_t) {
  const float edge = fabsf(fm_sqrt(dx_r * dx_r + dy_r * dy_r) - fm_sqrt(dx_t * dx_t + dy_t * dy_t));
  const float point = fabsf(fm_sqrt(ddx_r * ddx_r + ddy_r * ddy_r) - fm_sqrt(ddx_t * ddx_t + ddy_t * ddy_t));
  // qf = 0.5: the power is a square root.
  return fm_sqrt(0.707106781f * fm_max(edge, point));
}

OTE_HD OTE_MINLINE float flip_combine(float color_error, float feature_error) {
  return fm_pow(color_error, 1.0f - feature_error);
}

// --- filters -------------------------------------------------------------------------------------------------
// Spatial (CSF) filter radius in pixels, from the widest Gaussian at this ppd.
inline int flip_spatial_radius(float ppd) {
  float b = 0;
  for (int i = 0; i < 3; ++i) b = fmaxf(b, fmaxf(kFlipB1[i], kFlipB2[i]));
  return int(ceilf(3.0f * sqrtf(b / (2.0f * kFlipPi * kFlipPi)) * ppd));
}

// Separable CSF taps (2r+1 each): Y, Cx (single Gaussians, normalised to sum 1) and the two Cz Gaussians
// (square roots of the 2D weights; their outer products sum to 1).
inline void flip_spatial_filters(float ppd, int r, float* wy, float* wcx, float* wcz1, float* wcz2) {
  const float dx = 1.0f / ppd, pi = kFlipPi, pi2 = kFlipPi * kFlipPi;
  float sy = 0, scx = 0, s1 = 0, s2 = 0;
  for (int i = 0; i <= 2 * r; ++i) {
    const float x = (i - r) * dx, x2 = x * x;
    wy[i] = kFlipA1[0] * sqrtf(pi / kFlipB1[0]) * expf(-pi2 * x2 / kFlipB1[0]);
    wcx[i] = kFlipA1[1] * sqrtf(pi / kFlipB1[1]) * expf(-pi2 * x2 / kFlipB1[1]);
    wcz1[i] = sqrtf(kFlipA1[2] * sqrtf(pi / kFlipB1[2])) * expf(-pi2 * x2 / kFlipB1[2]);
    wcz2[i] = sqrtf(kFlipA2[2] * sqrtf(pi / kFlipB2[2])) * expf(-pi2 * x2 / kFlipB2[2]);
    sy += wy[i], scx += wcx[i], s1 += wcz1[i], s2 += wcz2[i];
  }
  const float nz = 1.0f / sqrtf(s1 * s1 + s2 * s2);
  for (int i = 0; i <= 2 * r; ++i) wy[i] *= 1.0f / sy, wcx[i] *= 1.0f / scx, wcz1[i] *= nz, wcz2[i] *= nz;
}

inline int flip_feature_radius(float ppd) { return int(ceilf(3.0f * (0.5f * kFlipW * ppd))); }

// Separable feature taps (2r+1 each): Gaussian (sum 1), its 1st and 2nd derivatives (positive and negative lobes
// each normalised to +1 / -1).
inline void flip_feature_filters(float ppd, int r, float* g, float* dg, float* ddg) {
  const float sd = 0.5f * kFlipW * ppd;
  float gs = 0, dpos = 0, dneg = 0, ddpos = 0, ddneg = 0;
  for (int i = 0; i <= 2 * r; ++i) {
    const float x = float(i - r);
    g[i] = expf(-(x * x) / (2.0f * sd * sd));
    gs += g[i];
    dg[i] = -x * g[i];
    if (dg[i] > 0.0f) dpos += dg[i]; else dneg -= dg[i];
    ddg[i] = (x * x / (sd * sd) - 1.0f) * g[i];
    if (ddg[i] > 0.0f) ddpos += ddg[i]; else ddneg -= ddg[i];
  }
  for (int i = 0; i <= 2 * r; ++i) {
    g[i] /= gs;
    dg[i] /= dg[i] > 0.0f ? dpos : dneg;
    ddg[i] /= ddg[i] > 0.0f ? ddpos : ddneg;
  }
}

}  // namespace ote
