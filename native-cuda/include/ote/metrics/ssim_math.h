// SSIM math shared by the CPU driver and the CUDA kernel (Wang, Bovik, Sheikh, Simoncelli 2004).
// Window: 11-tap separable Gaussian, sigma 1.5 (scipy's gaussian_filter with truncate 3.5, as scikit-image uses).
// Moments are taken over centred samples (x - 0.5): variances then lose ~4x less to float cancellation, and the
// means are shifted back before the luminance term, so the result is the same SSIM.
#pragma once
#include <math.h>

#include "../hd.h"
#include "fast_math.h"

namespace ote {

constexpr float kSsimK1 = 0.01f, kSsimK2 = 0.03f, kSsimSigma = 1.5f, kSsimCentre = 0.5f;

// The 11 normalised window weights, computed in double and rounded once, so host and device use identical floats.
OTE_HD OTE_INLINE void ssim_window(float w[11]) {
  double g[11], sum = 0;
  for (int i = 0; i < 11; ++i) {
    const double x = i - 5;
    g[i] = exp(-0.5 * x * x / (1.5 * 1.5));
    sum += g[i];
  }
  for (int i = 0; i < 11; ++i) w[i] = float(g[i] / sum);
}

// One filter tap sum. The window is symmetric (w[k] == w[10 - k] exactly), so mirrored samples are added first:
// 6 products instead of 11. The order is fixed, so the CPU passes and the CUDA kernels sum alike.
OTE_HD OTE_MINLINE float ssim_fold11(const float* w, float s0, float s1, float s2, float s3, float s4, float s5, float s6,
                                    float s7, float s8, float s9, float s10) {
  return w[5] * s5 + w[0] * (s0 + s10) + w[1] * (s1 + s9) + w[2] * (s2 + s8) + w[3] * (s3 + s7) + w[4] * (s4 + s6);
}

// Local statistics of one window, from filtered centred samples: E[a'], E[b'], E[a'^2], E[b'^2], E[a'b'].
struct SsimTerms {
  float ssim, cs;
};

OTE_HD OTE_MINLINE SsimTerms ssim_from_moments(float ma, float mb, float maa, float mbb, float mab, float c1, float c2) {
  // Population (not sample) covariance: scikit-image use_sample_covariance=False, as in the paper.
  const float va = maa - ma * ma;
  const float vb = mbb - mb * mb;
  const float cov = mab - ma * mb;
  const float ua = ma + kSsimCentre, ub = mb + kSsimCentre;
  const float cs = (2.0f * cov + c2) / (va + vb + c2);
  const float l = (2.0f * ua * ub + c1) / (ua * ua + ub * ub + c1);
  return {l * cs, cs};
}

// SSIM against a reference whose noise was taken out of its second moment (MetricsRequest::reference_noise):
// `mbb_minus_mnn` is E[b'^2] - E[n^2] over the window. Sampling can leave that under E[b']^2, so the variance is
// held at 0 or above, and the contrast-structure term, which a too-small variance can push past 1, is held at 1.
OTE_HD OTE_MINLINE SsimTerms ssim_from_denoised_moments(float ma, float mb, float maa, float mbb_minus_mnn, float mab,
                                                       float c1, float c2) {
  SsimTerms t = ssim_from_moments(ma, mb, maa, fm_max(mbb_minus_mnn, mb * mb), mab, c1, c2);
  if (t.cs > 1.0f) {
    t.ssim /= t.cs;  // the luminance term alone
    t.cs = 1.0f;
  }
  return t;
}

// Constants for signals normalised to [0, 1] (data range 1).
OTE_HD OTE_INLINE float ssim_c1() { return (kSsimK1 * 1.0f) * (kSsimK1 * 1.0f); }
OTE_HD OTE_INLINE float ssim_c2() { return (kSsimK2 * 1.0f) * (kSsimK2 * 1.0f); }

// MS-SSIM scale weights (Wang, Simoncelli, Bovik 2003).
constexpr double kMsssimWeights[5] = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};

}  // namespace ote
