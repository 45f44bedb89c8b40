// The CPU driver of lightmap_post.h: each pass of the denoise and each dilation ring is a parallel_for over rows of
// the per-texel steps declared there.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "ote/bake/lightmap_post.h"
#include "ote/thread_pool.h"

namespace ote {
namespace {

constexpr uint32_t kMaxSide = 1u << 15;
constexpr uint32_t kMaxIterations = 8;
// Rows per chunk: a 1024-wide row of 25 taps is ~0.1 ms, so chunks of 8 keep cancellation and balance fine.
constexpr uint64_t kRowGrain = 8;

// Progress of one pass of several, mapped into [from, from + span) of the job's.
JobControl pass_control(const JobControl& ctl, double from, double span) {
  JobControl c;
  c.cancel = ctl.cancel;
  if (ctl.progress) c.progress = [&ctl, from, span](double f) { ctl.report(from + span * f); };
  return c;
}

Result check_step(const LightmapDenoiseStep& s, const char* name) {
  if (s.iterations > kMaxIterations)
    return Result::invalid(std::string(name) + ".iterations must be at most " + std::to_string(kMaxIterations) +
                           ", got " + std::to_string(s.iterations));
  if (!(s.luma_sigma > 0) || !std::isfinite(s.luma_sigma))
    return Result::invalid(std::string(name) + ".lumaSigma must be a finite number > 0, got " +
                           std::to_string(s.luma_sigma));
  return Result::ok();
}

struct Denoiser {
  const LightmapPageView& page;
  std::vector<float> sizes;
  std::vector<double> lum;

  // Per-texel sizes, once per page (both parts of a split denoise share them).
  Status init(const JobControl& ctl) {
    const uint32_t W = page.width, H = page.height;
    sizes.assign(uint64_t(W) * H, 0.f);
    lum.assign(uint64_t(W) * H, 0.0);
    return parallel_for(H, kRowGrain, [&](uint64_t y0, uint64_t y1) {
      for (uint64_t y = y0; y < y1; ++y)
        for (uint32_t x = 0; x < W; ++x)
          if (page.valid[y * W + x])
            sizes[y * W + x] =
                lightmap_texel_size(W, H, page.valid, page.position, page.normal, x, uint32_t(y), page.texel_size);
    }, ctl);
  }

  // post.ts denoise: `img` RGBA in place; `base_lum` (optional) is added to the luminance the stop compares.
  Status run(float* img, const LightmapDenoiseStep& s, const float* base_lum, const JobControl& ctl) {
    const uint32_t W = page.width, H = page.height;
    const uint64_t n = uint64_t(W) * H;
    std::vector<float> src(img, img + 4 * n), dst(4 * n);
    for (uint32_t it = 0; it < s.iterations; ++it) {
      const uint32_t step = 1u << it;
      const JobControl pc = pass_control(ctl, double(it) / s.iterations, 1.0 / s.iterations);
      std::copy(src.begin(), src.end(), dst.begin());
      Status st = parallel_for(H, kRowGrain, [&](uint64_t y0, uint64_t y1) {
        for (uint64_t i = y0 * W; i < y1 * W; ++i)
          lum[i] = lightmap_luminance(src.data(), 4, i) + (base_lum ? double(base_lum[i]) : 0.0);
      }, JobControl{ctl.cancel, {}});
      if (st != Status::Ok) return st;
      st = parallel_for(H, kRowGrain, [&](uint64_t y0, uint64_t y1) {
        for (uint64_t y = y0; y < y1; ++y)
          for (uint32_t x = 0; x < W; ++x)
            if (page.valid[y * W + x])
              lightmap_atrous_texel(W, H, page.valid, page.position, page.normal, sizes.data(), lum.data(),
                                    s.luma_sigma, step, src.data(), dst.data(), x, uint32_t(y));
      }, pc);
      if (st != Status::Ok) return st;
      src.swap(dst);
    }
    std::copy(src.begin(), src.end(), img);
    return Status::Ok;
  }
};

Status denoise_page(const LightmapPageView& page, const LightmapPostOptions& o, const JobControl& ctl) {
  const uint64_t n = uint64_t(page.width) * page.height;
  Denoiser d{page, {}, {}};
  Status st = d.init(JobControl{ctl.cancel, {}});
  if (st != Status::Ok) return st;
  if (!page.direct) return d.run(page.rgba, o.whole, nullptr, ctl);
  // The direct part and the rest apart (post.ts denoiseLightmap), each RGBA with A = 0, then summed.
  std::vector<float> direct(4 * n, 0.f), rest(4 * n, 0.f);
  for (uint64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) {
      direct[4 * i + c] = page.direct[3 * i + c];
      rest[4 * i + c] = std::max(0.f, page.rgba[4 * i + c] - page.direct[3 * i + c]);
    }
  const double share = double(o.direct.iterations) / std::max(1u, o.direct.iterations + o.bounced.iterations);
  st = d.run(direct.data(), o.direct, nullptr, pass_control(ctl, 0, share));
  if (st != Status::Ok) return st;
  // The rest stops where the whole light has an edge: the denoised direct part's luminance is added to its own.
  std::vector<float> base(n);
  for (uint64_t i = 0; i < n; ++i) base[i] = float(lightmap_luminance(direct.data(), 4, i));
  st = d.run(rest.data(), o.bounced, base.data(), pass_control(ctl, share, 1 - share));
  if (st != Status::Ok) return st;
  for (uint64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) page.rgba[4 * i + c] = direct[4 * i + c] + rest[4 * i + c];
  return Status::Ok;
}

Status dilate_page(const LightmapPageView& page, uint32_t rings, const JobControl& ctl) {
  const uint32_t W = page.width, H = page.height;
  std::vector<uint8_t> filled(page.valid, page.valid + uint64_t(W) * H), next;
  for (uint32_t r = 0; r < rings; ++r) {
    next = filled;
    std::atomic<uint64_t> changed{0};
    const Status st = parallel_for(H, kRowGrain, [&](uint64_t y0, uint64_t y1) {
      uint64_t local = 0;
      for (uint64_t y = y0; y < y1; ++y)
        for (uint32_t x = 0; x < W; ++x)
          if (!filled[y * W + x] && lightmap_dilate_texel(W, H, filled.data(), page.rgba, x, uint32_t(y))) {
            next[y * W + x] = 1;
            ++local;
          }
      changed += local;
    }, JobControl{ctl.cancel, {}});
    if (st != Status::Ok) return st;
    filled.swap(next);
    if (!changed) break;
  }
  return Status::Ok;
}

}  // namespace

Result validate_lightmap_page(const LightmapPageView& page, const LightmapPostOptions& options) {
  if (page.width == 0 || page.height == 0 || page.width > kMaxSide || page.height > kMaxSide)
    return Result::invalid("page is " + std::to_string(page.width) + "x" + std::to_string(page.height) +
                           ", not within 1.." + std::to_string(kMaxSide) + " a side");
  if (!page.rgba) return Result::invalid("page.rgba is required");
  if (!page.valid) return Result::invalid("page.valid is required");
  if (options.denoise && (!page.position || !page.normal))
    return Result::invalid("page.position and page.normal are required to denoise");
  if (!(page.texel_size > 0) || !std::isfinite(page.texel_size))
    return Result::invalid("page.texelSize must be a finite number > 0, got " + std::to_string(page.texel_size));
  for (const auto& [step, name] : {std::pair{&options.direct, "options.direct"},
                                   std::pair{&options.bounced, "options.bounced"},
                                   std::pair{&options.whole, "options.whole"}})
    if (Result r = check_step(*step, name); !r) return r;
  return Result::ok();
}

Status postprocess_lightmap_page(const LightmapPageView& page, const LightmapPostOptions& options,
                                 const JobControl& ctl) {
  if (!validate_lightmap_page(page, options)) return Status::InvalidArgument;
  // Denoising is nearly all of the time: dilation touches only the uncovered texels near charts.
  const double share = options.denoise ? 0.95 : 0.0;
  if (options.denoise) {
    const Status st = denoise_page(page, options, pass_control(ctl, 0, share));
    if (st != Status::Ok) return st;
  }
  const Status st = dilate_page(page, options.dilate_rings, ctl);
  if (st == Status::Ok) ctl.report(1.0);
  return st;
}

}  // namespace ote
