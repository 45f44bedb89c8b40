// The per-texel driver step of the progressive bake, written once for the CPU driver (cpu/bake_lightmap_cpu.cpp)
// and the CUDA driver (cuda/bake_lightmap_cuda.cu), as pbrt-v4 shares its per-item steps: one pass of samples for
// one texel, and the rule that stops a texel early. Both drivers run passes of BakeParams::batch samples over the
// texels still active and apply texel_converged between passes, so they take the same samples per texel (up to
// float rounding near the threshold, where host and device arithmetic may differ in the last bits).
#pragma once
#include <math.h>
#include <stdint.h>

#include "../hd.h"
#include "transport.h"

namespace ote {
namespace texel_step {

// What one pass adds to a texel's running sums.
struct TexelPass {
  float rgba[4];    // Σ L (rgb) and Σ AO
  float direct[3];  // Σ of the part of L that next-event samples at the texel found (transport::incident)
  double lum2;    // Σ luminance(L)², the stop rule's spread
  uint32_t rays;
};

// Samples [s0, s1) of texel `k` at `pos` with normal `nrm`: seeds (and the place in the texel's low-discrepancy
// sequence, transport::incident's `seq`) from (seed, k, sample), so a texel's estimate does not depend on how
// texels are split over threads, blocks or workers. `k` is the texel's ordinal among all covered
// texels of the layout (page-major, raster order; TexelSet::ordinal), not its place in the set being baked, so a
// strided or ranged bake gives each texel it bakes the samples the whole bake gives it. A non-finite estimate
// counts as black: one NaN must not poison the texel.
OTE_HD OTE_INLINE TexelPass trace_samples(const BakeSceneView& s, const TransportParams& tp, uint32_t seed, uint32_t k,
                                          Vec3 pos, Vec3 nrm, uint32_t s0, uint32_t s1) {
  TexelPass r = {{0, 0, 0, 0}, {0, 0, 0}, 0.0, 0};
  // The texel's own scramble of the first vertex's sequence: its samples are stratified among themselves.
  const uint32_t seq_seed = transport::sequence_seed(seed, k);
  for (uint32_t smp = s0; smp < s1; ++smp) {
    uint32_t rng = transport::sample_seed(seed, k, smp);
    const qmc::Sample seq{smp, seq_seed};
    float ao = 1;
    Vec3 D;
    Vec3 L = transport::incident(s, tp, pos, nrm, rng, &ao, &r.rays, &D, &seq);
    if (!(isfinite(L.x) && isfinite(L.y) && isfinite(L.z))) L = D = make_vec3(0, 0, 0);
    r.rgba[0] += L.x, r.rgba[1] += L.y, r.rgba[2] += L.z, r.rgba[3] += ao;
    r.direct[0] += D.x, r.direct[1] += D.y, r.direct[2] += D.z;
    const double y = transport::luminance(L);
    r.lum2 += y * y;
  }
  return r;
}

// The early stop: a texel stops once it has min_samples and the standard error of its mean luminance is under
// `threshold` × its mean. The spread counts, besides the texel's own samples, one more sample at `scene_mean` (the
// mean luminance after the first pass over the scene-mean texels, below). Without it a texel whose first samples
// all came back dark (an interior lit by sky through a roof, where few paths escape) measures no spread and stops
// at a biased, too-dark value; with it a dim texel keeps sampling until its own spread is known, and a bright one
// stops as before. The texel's value is its own samples' mean: the extra sample only decides when to stop.
//   m, rgb_sum, lum2: the texel's samples, Σ L (rgb) and Σ luminance². scene_mean >= 0.
OTE_HD OTE_INLINE bool texel_converged(uint32_t m, const float* rgb_sum, double lum2, uint32_t min_samples,
                                       float threshold, float scene_mean) {
  if (m == 0 || m < min_samples) return false;
  const double sum = transport::luminance(make_vec3(rgb_sum[0], rgb_sum[1], rgb_sum[2]));
  const double mean = sum / m;
  // Mean and variance with the scene-mean sample added (m + 1 samples), the variance of the texel's own mean.
  const double n = double(m) + 1.0, y = scene_mean;
  const double mean1 = (sum + y) / n;
  const double var1 = fmax(0.0, (lum2 + y * y) / n - mean1 * mean1);
  // A floor far under the scene's mean, so that a black scene (scene_mean 0) still stops at min_samples.
  return sqrt(var1 / double(m)) < threshold * (mean + 1e-3 * y + 1e-12);
}

// The scene-mean texels: every P-th covered ordinal, P = stride × ⌈covered / (stride × kSceneMeanTexels)⌉, so at
// most about kSceneMeanTexels of them, spread evenly over the layout, and all among a strided bake's texels. The set
// depends only on the layout and the stride, never on a bake's range: every bake of a range traces those outside
// its range for the first pass too (kSceneMeanTexels × batch samples at most) and so computes the scene mean the
// whole bake computes, and takes the samples the whole bake takes per texel. Layouts with at most kSceneMeanTexels
// covered texels (per stride) use every texel, the mean over all texels of the first pass, as before ranges existed;
// on larger ones the subsample's mean estimates it, which moves the stop of a few texels near the threshold by one
// pass (13 of 98k on the shared Cornell box; ts-core/src/bake/README.md, "Splitting a bake").
constexpr uint64_t kSceneMeanTexels = 16384;
inline uint64_t scene_mean_period(uint64_t covered, uint32_t stride) {
  const uint64_t s = stride ? stride : 1;
  const uint64_t per = (covered + s * kSceneMeanTexels - 1) / (s * kSceneMeanTexels);
  return s * (per ? per : 1);
}

// The scene mean the stop rule compares with: the mean over the scene-mean texels (`probe`, indices in ordinal
// order, so every bake sums them in the same order) of each texel's mean luminance. Host only, called once after
// the first pass, when every texel has taken the same samples.
inline float scene_mean_luminance(const float* rgba_sum, const uint32_t* samples, const uint32_t* probe, uint64_t n) {
  double total = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t k = probe[i];
    if (samples[k]) total += transport::luminance(make_vec3(rgba_sum[4 * k], rgba_sum[4 * k + 1], rgba_sum[4 * k + 2])) / samples[k];
  }
  return n ? float(total / double(n)) : 0.0f;
}

}  // namespace texel_step
}  // namespace ote
