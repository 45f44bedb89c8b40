// Training math shared by the CPU (src/splat.cpp) and the CUDA session (cuda/splat_train.cu, splat_session.cu):
// the window sums of the loss's blurs, the per-pixel SSIM terms and their gradient, the Adam update of one
// parameter, and the densification statistics. Written once (OTE_HD) so both backends train alike.
#pragma once
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "../hd.h"

namespace ote {
namespace splat {

constexpr int kSsimRadius = 5;  // 11x11 window
constexpr float kSsimSigma = 1.5f;
constexpr float kSsimC1 = 0.01f * 0.01f, kSsimC2 = 0.03f * 0.03f;

// The normalised 11-tap Gaussian window of the 3DGS reference (sigma 1.5).
OTE_HD OTE_INLINE void ssim_window(float w[2 * kSsimRadius + 1]) {
  float s = 0.f;
  for (int i = -kSsimRadius; i <= kSsimRadius; ++i) s += w[i + kSsimRadius] = expf(-float(i * i) / (2.f * kSsimSigma * kSsimSigma));
  for (int i = 0; i < 2 * kSsimRadius + 1; ++i) w[i] /= s;
}

// SSIM at one pixel from the windowed moments (mean x, mean y, E[x^2], E[y^2], E[xy]), and the coefficients that
// turn it into dSSIM/dx after a second blur: dS/dx_p = blur(A)_p + 2 x_p blur(B)_p + y_p blur(C)_p.
OTE_HD OTE_INLINE float ssim_terms(float mux, float muy, float exx, float eyy, float exy, float* A, float* B, float* C) {
  const float vx = exx - mux * mux, vy = eyy - muy * muy, cxy = exy - mux * muy;
  const float N1 = 2.f * mux * muy + kSsimC1, N2 = 2.f * cxy + kSsimC2;
  const float D1 = mux * mux + muy * muy + kSsimC1, D2 = vx + vy + kSsimC2;
  const float S = (N1 * N2) / (D1 * D2);
  if (A) {
    const float dS_dmux = (2.f * muy * N2) / (D1 * D2) - S * 2.f * mux / D1;
    const float dS_dvx = -S / D2;
    const float dS_dcxy = 2.f * N1 / (D1 * D2);
    // vx = E[x^2] - mux^2 and cxy = E[xy] - mux muy, so the mean's total derivative collects both.
    *A = dS_dmux - 2.f * mux * dS_dvx - muy * dS_dcxy;
    *B = dS_dvx;
    *C = dS_dcxy;
  }
  return S;
}

// One output of the separable SSIM window along a line, for M values at once: out[m] is the sum over the taps
// k in [-R, R] with 0 <= i + k < n of w[k + R] * v_m(i + k), where read(j, v) fills v[0..M) with the M values at
// position j of the line (zero padding outside it). The window is symmetric, so the same sums are the blur's
// adjoint in the backward pass. This is the per-pixel step of every blur of the loss: the CPU (src/splat.cpp) and
// each CUDA pass (cuda/splat_train.cu) call it, so both backends sum the same taps in the same order.
template <int M, class Read>
OTE_HD OTE_INLINE void window_sums(const float w[2 * kSsimRadius + 1], int i, int n, Read read, float out[M]) {
  float acc[M];  // summed in registers: `out` may alias what `read` reads
  for (int m = 0; m < M; ++m) acc[m] = 0.f;
  for (int k = -kSsimRadius; k <= kSsimRadius; ++k) {
    const int j = i + k;
    if (j < 0 || j >= n) continue;
    float v[M];
    read(j, v);
    for (int m = 0; m < M; ++m) acc[m] += w[k + kSsimRadius] * v[m];
  }
  for (int m = 0; m < M; ++m) out[m] = acc[m];
}

// dSSIM/dx at one pixel of value x (target y) from ssim_terms' A, B and C after their second blur.
OTE_HD OTE_INLINE float ssim_grad(float blur_A, float blur_B, float blur_C, float x, float y) {
  return blur_A + 2.f * x * blur_B + y * blur_C;
}

// dL1/dx for one value, L1 averaged over `inv_count` values and weighted by (1 - lambda).
OTE_HD OTE_INLINE float l1_grad(float d, float weight) { return d > 0.f ? weight : d < 0.f ? -weight : 0.f; }

// Sparse ("selective") Adam: a Gaussian the step's view does not see (screen radius 0) keeps its parameters and
// moments, as in Mallick et al., "Taming 3DGS" (2024), and gsplat's SelectiveAdam. Dense Adam would move it by
// its stale momentum and decay its moments although the view says nothing about it, and would cost a pass over
// every Gaussian's state when a view sees a fraction of them. `radii` null: every Gaussian updates.
OTE_HD OTE_INLINE bool adam_updates(const int32_t* radii, size_t gaussian) { return !radii || radii[gaussian] > 0; }

// Adam on one parameter. bc1 = 1 - beta1^step, bc2 = 1 - beta2^step.
OTE_HD OTE_INLINE void adam_step(float& param, float& m, float& v, float g, float lr, float beta1, float beta2,
                                 float bc1, float bc2, float eps) {
  m = beta1 * m + (1.f - beta1) * g;
  v = beta2 * v + (1.f - beta2) * g * g;
  param -= lr * (m / bc1) / (sqrtf(v / bc2) + eps);
}

// Densification statistics of one Gaussian after a step: the view-space gradient in NDC units (pixels times
// half the larger image side, as 3DGS), how often it was visible, and its largest screen radius.
OTE_HD OTE_INLINE void densify_accumulate(float grad_norm_px, int32_t radius, float ndc_scale, float& grad_accum,
                                          float& denom, float& max_radius) {
  if (radius <= 0) return;
  grad_accum += grad_norm_px * ndc_scale;
  denom += 1.f;
  max_radius = fmaxf(max_radius, float(radius));
}

}  // namespace splat
}  // namespace ote
