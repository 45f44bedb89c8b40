// Lightmap post-processing of one page, after its texels are traced: the edge-aware à-trous denoise (Dammertz et
// al. 2010, the spatial part of SVGF) guided by each texel's world position and normal, with the direct light and
// the rest filtered apart, then dilation into texels no triangle covers. Plain functions over flat arrays; CPU,
// threaded over rows (every texel of a pass reads only the pass before it, so the result does not depend on the
// thread count). ts-core/src/bake/post.ts holds the same steps in TypeScript, the reference the tests hold this to,
// and says why each step is as it is.
#pragma once
#include <math.h>
#include <stdint.h>

#include "../hd.h"
#include "../job_control.h"
#include "../result.h"

namespace ote {

// One page. Every array holds width × height texels, row-major; the sizes are the caller's to match (the binding
// checks them).
struct LightmapPageView {
  uint32_t width = 0;
  uint32_t height = 0;
  // 4 floats per texel: RGB light and AO in A. Denoised (RGB) and dilated (RGBA) in place.
  float* rgba = nullptr;
  // Optional (nullptr: not known): 3 floats per texel, the part of RGB that next-event samples found.
  const float* direct = nullptr;
  // 1 per texel a triangle covers, else 0.
  const uint8_t* valid = nullptr;
  // 3 floats per texel: world position and unit normal (read where valid).
  const float* position = nullptr;
  const float* normal = nullptr;
  // World size of a texel where the page cannot tell (no covered neighbour on the same surface). > 0.
  float texel_size = 1.f;
};

// À-trous iterations (5×5 taps at steps 1, 2, 4, …) and the relative luminance stop of one part of the light.
struct LightmapDenoiseStep {
  uint32_t iterations = 2;
  double luma_sigma = 0.25;  // double, as the reference compares it
};

// Defaults are post.ts LIGHTMAP_DENOISE_DEFAULTS (measured there).
struct LightmapPostOptions {
  bool denoise = true;
  LightmapDenoiseStep direct{1, 0.25};   // the direct part, where `direct` is given
  LightmapDenoiseStep bounced{2, 0.35};  // the rest, stopped where the whole light has an edge
  LightmapDenoiseStep whole{2, 0.25};    // RGB as one, where `direct` is not given
  uint32_t dilate_rings = 4;              // rings of uncovered texels filled from their covered neighbours
};

// Sizes (non-zero, at most 2^15 a side), the arrays present, a positive finite texel size, iterations ≤ 8 and
// positive finite luminance stops; the message names the field ("page.texelSize must be > 0, got 0").
Result validate_lightmap_page(const LightmapPageView& page, const LightmapPostOptions& options);

// Denoise (if options.denoise) then dilate, in place. Cancellable between rows; progress over both steps.
Status postprocess_lightmap_page(const LightmapPageView& page, const LightmapPostOptions& options,
                                 const JobControl& ctl);

// ---- the per-texel steps (one source for any driver) -----------------------------------------------------------

// Rec. 709 luminance of RGB(A) texel i of `c` (stride floats per texel).
OTE_HD OTE_INLINE double lightmap_luminance(const float* c, uint32_t stride, uint64_t i) {
  return 0.2126 * c[stride * i] + 0.7152 * c[stride * i + 1] + 0.0722 * c[stride * i + 2];
}

// World distance from covered texel (x, y) to its nearest covered 4-neighbour on the same surface (normals within
// 25°), or `fallback` without one: the texel's size where it is (view weights make one page's density vary 10×).
OTE_HD OTE_INLINE float lightmap_texel_size(uint32_t W, uint32_t H, const uint8_t* valid, const float* p,
                                            const float* n, uint32_t x, uint32_t y, float fallback) {
  const uint64_t i = uint64_t(y) * W + x;
  double best = INFINITY;
  for (int k = 0; k < 4; ++k) {
    const int64_t X = int64_t(x) + (k == 0 ? -1 : k == 1 ? 1 : 0), Y = int64_t(y) + (k == 2 ? -1 : k == 3 ? 1 : 0);
    if (X < 0 || Y < 0 || X >= W || Y >= H) continue;
    const uint64_t j = uint64_t(Y) * W + uint64_t(X);
    if (!valid[j]) continue;
    if (double(n[3 * i]) * n[3 * j] + double(n[3 * i + 1]) * n[3 * j + 1] + double(n[3 * i + 2]) * n[3 * j + 2] < 0.9)
      continue;
    const double dx = double(p[3 * j]) - p[3 * i], dy = double(p[3 * j + 1]) - p[3 * i + 1],
                 dz = double(p[3 * j + 2]) - p[3 * i + 2];
    const double d = sqrt(dx * dx + dy * dy + dz * dz);
    if (d > 0 && d < best) best = d;
  }
  return isfinite(best) ? float(best) : fallback;
}

// One à-trous tap pass at covered texel (x, y): the weighted mean of its 5×5 neighbours `step` apart in `src`
// (RGBA), weights from the B3 spline, the normals (ndot³², none past 60°), the world distance against the texel's
// size, and the relative difference of `lum` (the luminance the stop compares). Writes RGB to `dst` where any
// weight was positive; leaves it otherwise.
OTE_HD OTE_INLINE void lightmap_atrous_texel(uint32_t W, uint32_t H, const uint8_t* valid, const float* p,
                                             const float* n, const float* sizes, const double* lum, double luma_sigma,
                                             uint32_t step, const float* src, float* dst, uint32_t x, uint32_t y) {
  const double kernel[5] = {1.0 / 16, 1.0 / 4, 3.0 / 8, 1.0 / 4, 1.0 / 16};
  const uint64_t i = uint64_t(y) * W + x;
  const double px = p[3 * i], py = p[3 * i + 1], pz = p[3 * i + 2];
  const double nx = n[3 * i], ny = n[3 * i + 1], nz = n[3 * i + 2];
  const double li = lum[i];
  const double sigma_p = 1.5 * sizes[i];
  double r = 0, g = 0, b = 0, wsum = 0;
  for (int ky = -2; ky <= 2; ++ky) {
    const int64_t Y = int64_t(y) + int64_t(ky) * step;
    if (Y < 0 || Y >= H) continue;
    for (int kx = -2; kx <= 2; ++kx) {
      const int64_t X = int64_t(x) + int64_t(kx) * step;
      if (X < 0 || X >= W) continue;
      const uint64_t j = uint64_t(Y) * W + uint64_t(X);
      if (!valid[j]) continue;
      const double ndot = nx * n[3 * j] + ny * n[3 * j + 1] + nz * n[3 * j + 2];
      if (ndot <= 0.5) continue;
      const double dx = p[3 * j] - px, dy = p[3 * j + 1] - py, dz = p[3 * j + 2] - pz;
      const double d2 = (dx * dx + dy * dy + dz * dz) /
                        (sigma_p * sigma_p * double(step) * step * double(kx * kx + ky * ky + 1));
      const double lj = lum[j];
      const double dl = fabs(lj - li) / (luma_sigma * (li + lj) * 0.5 + 1e-6);
      const double n2 = ndot * ndot, n4 = n2 * n2, n8 = n4 * n4, n16 = n8 * n8;
      const double w = kernel[kx + 2] * kernel[ky + 2] * (n16 * n16) * exp(-d2 - dl);
      r += w * src[4 * j];
      g += w * src[4 * j + 1];
      b += w * src[4 * j + 2];
      wsum += w;
    }
  }
  if (wsum > 0) {
    dst[4 * i] = float(r / wsum);
    dst[4 * i + 1] = float(g / wsum);
    dst[4 * i + 2] = float(b / wsum);
  }
}

// One dilation ring at uncovered texel (x, y): the mean of its 3×3 neighbours filled before this ring (`filled`),
// written to `rgba`; returns whether it had any. Texels filled in this ring are not read (`filled` is the ring
// before), so the order of texels does not matter.
OTE_HD OTE_INLINE bool lightmap_dilate_texel(uint32_t W, uint32_t H, const uint8_t* filled, float* rgba, uint32_t x,
                                             uint32_t y) {
  double acc[4] = {0, 0, 0, 0};
  int count = 0;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) {
      const int64_t X = int64_t(x) + dx, Y = int64_t(y) + dy;
      if (X < 0 || Y < 0 || X >= W || Y >= H) continue;
      const uint64_t j = uint64_t(Y) * W + uint64_t(X);
      if (!filled[j]) continue;
      for (int c = 0; c < 4; ++c) acc[c] += rgba[4 * j + c];
      ++count;
    }
  if (!count) return false;
  const uint64_t i = uint64_t(y) * W + x;
  for (int c = 0; c < 4; ++c) rgba[4 * i + c] = float(acc[c] / count);
  return true;
}

}  // namespace ote
