// compute_metrics: validation, conversion of the stored pixels to normalised planes, PSNR, and dispatch of SSIM,
// MS-SSIM and FLIP to the chosen backend. Conversion and PSNR run on the CPU for both backends (they are memory
// bound); SSIM and FLIP are the kernels with a CUDA path.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")  // no multiply-add contraction: the same bits on every node
#endif
#include <math.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "ote/options.h"
#include "ote/metrics/metrics.h"
#include "ote/metrics/pixels.h"
#include "ote/metrics/ssim_math.h"
#include "ote/thread_pool.h"

namespace ote {
namespace {

constexpr uint64_t kRowGrain = 8;

struct Planes {
  std::vector<float> rgb;   // 3 planes of w * h
  std::vector<float> luma;  // 1 plane, when asked
};

// Integer rows: one table lookup per sample. `rgb` (planar, plane size n) and `luma` may each be null.
template <typename T>
void convert_row_lut(const T* src, uint32_t w, uint32_t ch, const float* lut, float* rgb, uint64_t n, float* luma) {
  for (uint32_t x = 0; x < w; ++x) {
    const T* px = src + uint64_t(x) * ch;
    const float r = lut[px[0]], g = lut[px[1]], b = lut[px[2]];
    if (rgb) rgb[x] = r, rgb[n + x] = g, rgb[2 * n + x] = b;
    if (luma) luma[x] = metrics_luma(r, g, b);
  }
}

// Float rows; returns the x of the first non-finite sample, or UINT32_MAX.
uint32_t convert_row_float(const float* src, uint32_t w, uint32_t ch, float range, PixelEncoding enc, float* rgb,
                           uint64_t n, float* luma) {
  uint32_t bad = UINT32_MAX;
  for (uint32_t x = 0; x < w; ++x) {
    const float* px = src + uint64_t(x) * ch;
    float c[3];
    for (int k = 0; k < 3; ++k) {
      if (!isfinite(px[k])) {
        if (bad == UINT32_MAX) bad = x;
        c[k] = 0;
      } else {
        c[k] = metrics_normalise(px[k], range, enc);
      }
    }
    if (rgb) rgb[x] = c[0], rgb[n + x] = c[1], rgb[2 * n + x] = c[2];
    if (luma) luma[x] = metrics_luma(c[0], c[1], c[2]);
  }
  return bad;
}

// Stored value -> normalised signal for every value of an integer format.
void make_lut(const ImageView& v, const MetricsRequest& req, int image_index, std::vector<float>& lut) {
  lut.resize(v.type == PixelType::U8 ? 256 : 65536);
  for (size_t i = 0; i < lut.size(); ++i) lut[i] = metrics_normalise(float(i), req.data_range[image_index], req.encoding[image_index]);
}

void luma_row(const float* r, const float* g, const float* b, uint32_t w, float* out) {
  for (size_t x = 0; x < w; ++x) out[x] = metrics_luma(r[x], g[x], b[x]);
}

// Integer formats go through a lookup table of every stored value, so the per-pixel work is a load.
Status load_planes(const ImageView& v, const MetricsRequest& req, bool want_rgb, bool want_luma, Planes& p,
                   int image_index, MetricsResult& out, const JobControl& ctl) {
  const uint64_t n = uint64_t(v.width) * v.height;
  if (!want_rgb && !want_luma) return Status::Ok;
  if (want_rgb) p.rgb.resize(3 * n);
  if (want_luma) p.luma.resize(n);
  std::vector<float> lut;
  if (v.type != PixelType::F32) make_lut(v, req, image_index, lut);
  std::vector<uint32_t> bad_x(v.height, UINT32_MAX);
  const float range = req.data_range[image_index];
  const PixelEncoding enc = req.encoding[image_index];
  const Status st = parallel_for(v.height, kRowGrain, [&](uint64_t y0, uint64_t y1) {
    for (uint64_t y = y0; y < y1; ++y) {
      const uint64_t e = y * v.row_stride * v.channels, i = y * v.width;
      float* r = want_rgb ? p.rgb.data() + i : nullptr;
      float* l = want_luma ? p.luma.data() + i : nullptr;
      if (v.type == PixelType::U8)
        convert_row_lut(static_cast<const uint8_t*>(v.data) + e, v.width, v.channels, lut.data(), r, n, l);
      else if (v.type == PixelType::U16)
        convert_row_lut(static_cast<const uint16_t*>(v.data) + e, v.width, v.channels, lut.data(), r, n, l);
      else
        bad_x[y] = convert_row_float(static_cast<const float*>(v.data) + e, v.width, v.channels, range, enc, r, n, l);
    }
  }, ctl);
  if (st != Status::Ok) return st;
  for (uint32_t y = 0; y < v.height; ++y)
    if (bad_x[y] != UINT32_MAX) {
      out.bad_image = image_index, out.bad_x = bad_x[y], out.bad_y = y;
      return Status::InvalidArgument;
    }
  return Status::Ok;
}

// `noise` (planar RGB, or empty): the reference's noise estimate, whose mean square each channel's MSE loses (held
// at 0 or above).
Status psnr(const Planes& a, const Planes& b, const Planes& noise, uint32_t w, uint32_t h, MetricsResult& out,
            const JobControl& ctl) {
  const uint64_t n = uint64_t(w) * h;
  std::vector<double> rows(3ull * h);
  const Status st = parallel_for(h, kRowGrain, [&](uint64_t y0, uint64_t y1) {
    for (uint64_t y = y0; y < y1; ++y)
      for (int c = 0; c < 3; ++c) {
        const float* pa = a.rgb.data() + c * n + y * w;
        const float* pb = b.rgb.data() + c * n + y * w;
        double s = 0;
        for (uint32_t x = 0; x < w; ++x) {
          const double d = double(pa[x]) - double(pb[x]);
          s += d * d;
        }
        if (!noise.rgb.empty()) {
          const float* pn = noise.rgb.data() + c * n + y * w;
          for (uint32_t x = 0; x < w; ++x) s -= double(pn[x]) * double(pn[x]);
        }
        rows[3 * y + c] = s;
      }
  }, ctl);
  if (st != Status::Ok) return st;
  double total = 0;
  for (int c = 0; c < 3; ++c) {
    double s = 0;
    for (uint32_t y = 0; y < h; ++y) s += rows[3 * y + c];
    s = std::max(s, 0.0);
    out.mse[c] = s / double(n);
    out.psnr_channel[c] = out.mse[c] == 0 ? INFINITY : 10.0 * log10(1.0 / out.mse[c]);
    total += s;
  }
  out.mse_all = total / double(3 * n);
  out.psnr = out.mse_all == 0 ? INFINITY : 10.0 * log10(1.0 / out.mse_all);
  return Status::Ok;
}

// 2x2 box average, dropping an odd last row or column (Wang's MS-SSIM downsampling).
void halve(const std::vector<float>& src, uint32_t w, uint32_t h, std::vector<float>& dst) {
  const uint32_t w2 = w / 2, h2 = h / 2;
  dst.resize(uint64_t(w2) * h2);
  for (uint32_t y = 0; y < h2; ++y)
    for (uint32_t x = 0; x < w2; ++x) {
      const float* p = src.data() + uint64_t(2 * y) * w + 2 * x;
      dst[uint64_t(y) * w2 + x] = 0.25f * ((p[0] + p[1]) + (p[w] + p[w + 1]));
    }
}

Status ssim_plane(Backend b, const float* pa, const float* pb, uint32_t w, uint32_t h, double* ssim, double* cs,
                  float* map, const JobControl& ctl, double* kernel_ms, const float* noise = nullptr) {
  if (b == Backend::Cuda)
    return ssim_plane_cuda(pa, pb, w, h, ssim_c1(), ssim_c2(), ssim, cs, map, ctl, kernel_ms, noise);
  return ssim_plane_cpu(pa, pb, w, h, ssim_c1(), ssim_c2(), ssim, cs, map, ctl, noise);
}

// Progress across the phases of one call: each phase reports 0..1, mapped onto its share of the whole, so a caller's
// progress bar moves forward once instead of restarting per phase. Cancellation is the caller's flag throughout.
class Phases {
 public:
  Phases(const JobControl& parent, double total) : parent_(parent), total_(total > 0 ? total : 1) {}
  JobControl next(double weight) {
    JobControl c;
    c.cancel = parent_.cancel;
    const double base = done_ / total_, span = weight / total_;
    done_ += weight;
    const JobControl* p = &parent_;
    Phases* self = this;
    // Worker threads report in any order; only forward moves are passed on (under a lock, so they stay in order).
    if (parent_.progress)
      c.progress = [p, self, base, span](double f) {
        const double v = base + span * f;
        std::lock_guard<std::mutex> lock(self->mutex_);
        if (v <= self->last_) return;
        self->last_ = v;
        p->report(v);
      };
    return c;
  }

 private:
  const JobControl& parent_;
  double total_, done_ = 0;
  double last_ = 0;
  std::mutex mutex_;
};

}  // namespace

Result check_metrics_inputs(const ImageView& a, const ImageView& b, const MetricsRequest& req, const MetricsMaps& maps) {
  const auto size = [](const ImageView& v) { return std::to_string(v.width) + "x" + std::to_string(v.height); };
  const ImageView* img[2] = {&a, &b};
  const char* name[2] = {"reference", "test"};
  for (int i = 0; i < 2; ++i) {
    const ImageView& v = *img[i];
    if (!v.data || v.width == 0 || v.height == 0) return Result::invalid(std::string(name[i]) + " is empty (" + size(v) + ")");
    if (v.channels != 3 && v.channels != 4)
      return Result::invalid(std::string(name[i]) + ".channels must be 3 or 4, got " + std::to_string(v.channels));
    if (v.row_stride < v.width) return Result::invalid(std::string(name[i]) + ".rowStride is less than its width");
    if (!(req.data_range[i] > 0) || !std::isfinite(req.data_range[i]))
      return Result::invalid(std::string(name[i]) + ".dataRange must be a positive number, got " + format_number(req.data_range[i]));
  }
  if (a.width != b.width || a.height != b.height)
    return Result::invalid("sizes differ: reference is " + size(a) + ", test is " + size(b));
  if (const ImageView& nv = req.reference_noise; nv.data) {
    if (nv.type != PixelType::F32) return Result::invalid("options.referenceNoise must hold floats");
    if (nv.channels != 3 && nv.channels != 4)
      return Result::invalid("options.referenceNoise.channels must be 3 or 4, got " + std::to_string(nv.channels));
    if (nv.width != a.width || nv.height != a.height)
      return Result::invalid("sizes differ: reference is " + size(a) + ", options.referenceNoise is " + size(nv));
    if (nv.row_stride < nv.width) return Result::invalid("options.referenceNoise.rowStride is less than its width");
    if (req.msssim) return Result::invalid("options.referenceNoise does not apply to MS-SSIM; ask for SSIM instead");
  }
  const bool any_ssim = req.ssim_rgb || req.ssim_luma || req.msssim || maps.ssim_luma;
  if (any_ssim && (a.width < kSsimWindow || a.height < kSsimWindow))
    return Result::invalid("SSIM needs images of at least 11x11 pixels, got " + size(a));
  if (req.msssim && std::min(a.width, a.height) < kMsssimMinSide)
    return Result::invalid("MS-SSIM needs images of at least 176x176 pixels (5 scales of an 11x11 window), got " + size(a));
  if ((req.flip || maps.flip) && (!(req.flip_ppd > 0) || !std::isfinite(req.flip_ppd)))
    return Result::invalid("options.ppd must be a positive number, got " + format_number(req.flip_ppd));
  return Result::ok();
}

Status compute_metrics(const ImageView& a, const ImageView& b, const MetricsRequest& req, MetricsResult& out,
                       const MetricsMaps& maps, Backend backend, const JobControl& ctl) {
  out = MetricsResult{};
  out.bad_image = -1;
  for (double* d : {&out.psnr, &out.mse_all, &out.ssim_rgb, &out.ssim_luma, &out.msssim, &out.flip}) *d = NAN;
  if (!check_metrics_inputs(a, b, req, maps)) return Status::InvalidArgument;

  const Backend be = resolve_backend(backend);
  const uint32_t w = a.width, h = a.height;
  const uint64_t n = uint64_t(w) * h;
  const bool want_rgb = req.psnr || req.ssim_rgb || req.flip || maps.flip;
  // A luma plane is materialised only for MS-SSIM (it is downsampled), the CUDA backend (it is uploaded) and float
  // input without RGB planes (whose load checks for NaN); otherwise the SSIM pass makes luma rows on the fly.
  const bool float_in = a.type == PixelType::F32 || b.type == PixelType::F32;
  // A noise estimate needs its luma plane beside the reference's.
  const bool noisy = req.reference_noise.data != nullptr;
  const bool want_luma = req.msssim || ((req.ssim_luma || maps.ssim_luma) &&
                                        (be == Backend::Cuda || (float_in && !want_rgb) || noisy));
  // Rough relative costs, for progress only.
  const double w_load = 0.5, w_psnr = 0.3, w_ssim = 1.0, w_msssim = 1.4, w_flip = 5.0;
  Phases ph(ctl, 2 * w_load + (req.psnr ? w_psnr : 0) + (req.ssim_rgb ? 3 * w_ssim : 0) +
                     ((req.ssim_luma || maps.ssim_luma) ? w_ssim : 0) + (req.msssim ? w_msssim : 0) +
                     ((req.flip || maps.flip) ? w_flip : 0));
  Planes pa, pb;
  Status st = load_planes(a, req, want_rgb, want_luma, pa, 0, out, ph.next(w_load));
  if (st != Status::Ok) return st;
  st = load_planes(b, req, want_rgb, want_luma, pb, 1, out, ph.next(w_load));
  if (st != Status::Ok) return st;
  Planes pn;  // the reference's noise: signed linear floats, stored as they are (range 1, no encoding)
  if (noisy) {
    MetricsRequest plain;
    plain.data_range[0] = 1.0f, plain.encoding[0] = PixelEncoding::Stored;
    const bool rgb = req.psnr || req.ssim_rgb, luma = req.ssim_luma || maps.ssim_luma;
    st = load_planes(req.reference_noise, plain, rgb, luma, pn, 0, out, JobControl{ctl.cancel, {}});
    if (st == Status::InvalidArgument) out.bad_image = 2;
    if (st != Status::Ok) return st;
  }

  if (req.psnr && (st = psnr(pa, pb, pn, w, h, out, ph.next(w_psnr))) != Status::Ok) return st;
  if (req.ssim_rgb) {
    double sum = 0;
    for (int c = 0; c < 3; ++c) {
      st = ssim_plane(be, pa.rgb.data() + c * n, pb.rgb.data() + c * n, w, h, &out.ssim_channel[c], nullptr, nullptr,
                      ph.next(w_ssim), &out.kernel_ms, noisy ? pn.rgb.data() + c * n : nullptr);
      if (st != Status::Ok) return st;
      sum += out.ssim_channel[c];
    }
    out.ssim_rgb = sum / 3.0;
  }
  if (req.ssim_luma || maps.ssim_luma) {
    if (be == Backend::Cpu && pa.luma.empty()) {
      // Luma is made row by row inside the SSIM pass (from the RGB planes, or straight from integer pixels through
      // the lookup table), saving a full-size plane per image.
      const MetricsRequest& rq = req;
      std::vector<float> lut_a, lut_b;
      if (!want_rgb) make_lut(a, rq, 0, lut_a), make_lut(b, rq, 1, lut_b);
      const SsimRowSource rows = [&](uint32_t y, float* sa, float* sb, const float** ra, const float** rb) {
        for (int i = 0; i < 2; ++i) {
          float* dst = i == 0 ? sa : sb;
          if (want_rgb) {
            const float* p = (i == 0 ? pa : pb).rgb.data() + uint64_t(y) * w;
            luma_row(p, p + n, p + 2 * n, w, dst);
          } else {
            const ImageView& v = i == 0 ? a : b;
            const uint64_t e = uint64_t(y) * v.row_stride * v.channels;
            const float* lut = (i == 0 ? lut_a : lut_b).data();
            if (v.type == PixelType::U8) convert_row_lut(static_cast<const uint8_t*>(v.data) + e, w, v.channels, lut, nullptr, 0, dst);
            else convert_row_lut(static_cast<const uint16_t*>(v.data) + e, w, v.channels, lut, nullptr, 0, dst);
          }
        }
        *ra = sa, *rb = sb;
      };
      st = ssim_rows_cpu(rows, w, h, ssim_c1(), ssim_c2(), &out.ssim_luma, nullptr, maps.ssim_luma, ph.next(w_ssim));
    } else {
      st = ssim_plane(be, pa.luma.data(), pb.luma.data(), w, h, &out.ssim_luma, nullptr, maps.ssim_luma, ph.next(w_ssim),
                      &out.kernel_ms, noisy ? pn.luma.data() : nullptr);
    }
    if (st != Status::Ok) return st;
  }
  if (req.msssim) {
    std::vector<float> la = pa.luma, lb = pb.luma, ta, tb;
    uint32_t sw = w, sh = h;
    double result = 1.0;
    for (uint32_t s = 0; s < kMsssimScales; ++s) {
      double ssim = 0, cs = 0;
      st = ssim_plane(be, la.data(), lb.data(), sw, sh, &ssim, &cs, nullptr, ph.next(w_msssim * (s == 0 ? 0.75 : 0.0625)),
                      &out.kernel_ms);
      if (st != Status::Ok) return st;
      // The last scale contributes the full SSIM (luminance too), the others contrast-structure only.
      // Negative terms are clamped to 0, as pytorch_msssim does, so the fractional powers stay real.
      const double term = s + 1 == kMsssimScales ? ssim : cs;
      out.msssim_cs[s] = term;
      result *= pow(std::max(term, 0.0), kMsssimWeights[s]);
      if (s + 1 < kMsssimScales) {
        halve(la, sw, sh, ta);
        halve(lb, sw, sh, tb);
        la.swap(ta), lb.swap(tb);
        sw /= 2, sh /= 2;
      }
    }
    out.msssim = result;
  }
  if (req.flip || maps.flip) {
    const JobControl fc = ph.next(w_flip);
    st = be == Backend::Cuda ? flip_ldr_cuda(pa.rgb.data(), pb.rgb.data(), w, h, req.flip_ppd, &out.flip, maps.flip, fc, &out.kernel_ms)
                             : flip_ldr_cpu(pa.rgb.data(), pb.rgb.data(), w, h, req.flip_ppd, &out.flip, maps.flip, fc);
    if (st != Status::Ok) return st;
  }
  ctl.report(1.0);
  return Status::Ok;
}

}  // namespace ote
