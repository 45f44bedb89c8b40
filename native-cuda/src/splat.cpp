// Backend dispatch for the splat rasterizer, the training loss (L1 + D-SSIM with its gradient) and Adam.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ote/splat/splat.h"
#include "ote/splat/train_math.h"
#include "ote/object_pool.h"
#include "ote/thread_pool.h"

namespace ote {
namespace splat {
namespace {

bool valid(const Model& g, const Camera& c) { return check_model(g) && check_camera(c); }

// Gradients given directly by the caller.
struct GivenLoss final : FrameLoss {
  const float *rgb, *alpha, *depth;
  size_t npix;
  void operator()(const float*, const float*, const float*, float* d_rgb, float* d_alpha, float* d_depth) override {
    if (rgb) std::memcpy(d_rgb, rgb, 3 * npix * sizeof(float));
    if (alpha) std::memcpy(d_alpha, alpha, npix * sizeof(float));
    if (depth) std::memcpy(d_depth, depth, npix * sizeof(float));
  }
};

// The training loss against a target image.
struct TrainLoss final : FrameLoss {
  const float* target;
  int width, height;
  float lambda;
  double value = 0;
  void operator()(const float* rgb, const float*, const float*, float* d_rgb, float*, float*) override {
    value = image_loss(rgb, target, width, height, lambda, d_rgb, nullptr);
  }
};

// The loss's scratch, kept between calls: a training run computes the loss every step at one size, and
// page-faulting fresh planes each time cost as much as the blurs themselves. One per concurrent call.
struct LossScratch {
  std::vector<float> rows;   // a row pass's output: 5 (x, y, x^2, y^2, xy) or 3 planes per channel
  std::vector<float> terms;  // SSIM's A, B and C per pixel and channel, blurred the same way for the adjoint
  std::vector<double> row_sums;
};
ObjectPool<LossScratch>& loss_pool() {
  static ObjectPool<LossScratch> pool;
  return pool;
}

// The separable 11-tap Gaussian (sigma 1.5) of the SSIM window with zero padding, for M planes, over rows [b, e)
// of each of the three channels (row index c * H + y). A pass's output is planar, plane m of channel c at
// ((c * M + m) * H + y) * W + x. Every output sums its taps in window_sums' order (the CUDA passes' per-pixel step,
// train_math.h): pixels near an edge call it, and the rest are those same sums run across a row, tap by tap, so
// the compiler vectorizes them; without fused multiply-adds or reassociation the two give the same bits.
constexpr int kR = kSsimRadius;
struct Window {
  float w[2 * kR + 1];
  Window() { ssim_window(w); }
};
const Window kWindow;

// Per-thread rows of the passes below.
std::vector<float>& row_scratch() {
  thread_local std::vector<float> v;
  return v;
}

// `read(c, pixel, v)` gives the M values of a pixel of channel c; the row pass blurs them along the row into `out`.
template <int M, class Read>
void blur_rows(Read read, float* out, int W, int H, uint64_t b, uint64_t e) {
  std::vector<float>& src = row_scratch();
  src.resize(size_t(M) * W);
  const int lo = std::min(kR, W), hi = std::max(lo, W - kR);  // [lo, hi): every tap inside the row
  for (uint64_t r = b; r < e; ++r) {
    const int c = int(r / H), y = int(r % H);
    for (int x = 0; x < W; ++x) {
      float v[M];
      read(c, size_t(y) * W + x, v);
      for (int m = 0; m < M; ++m) src[size_t(m) * W + x] = v[m];
    }
    for (int m = 0; m < M; ++m) {
      const float* p = src.data() + size_t(m) * W;
      float* o = out + ((size_t(c) * M + m) * H + y) * W;
      for (int x = 0; x < W; ++x) {
        if (x == lo) x = hi;
        if (x >= W) break;
        window_sums<1>(kWindow.w, x, W, [&](int j, float* t) { t[0] = p[j]; }, &o[x]);
      }
      for (int x = lo; x < hi; ++x) o[x] = 0.f;
      for (int k = -kR; k <= kR; ++k) {
        const float wk = kWindow.w[k + kR];
        for (int x = lo; x < hi; ++x) o[x] += wk * p[x + k];
      }
    }
  }
}

// The column pass over a row pass's output; `use(c, pixel, v)` takes the M blurred values of each pixel.
template <int M, class Use>
void blur_columns(const float* rows, int W, int H, uint64_t b, uint64_t e, Use use) {
  std::vector<float>& acc = row_scratch();
  acc.resize(size_t(M) * W);
  for (uint64_t r = b; r < e; ++r) {
    const int c = int(r / H), y = int(r % H);
    std::fill(acc.begin(), acc.end(), 0.f);
    for (int k = -kR; k <= kR; ++k) {
      const int j = y + k;
      if (j < 0 || j >= H) continue;  // zero padding: window_sums skips the tap
      const float wk = kWindow.w[k + kR];
      for (int m = 0; m < M; ++m) {
        const float* p = rows + ((size_t(c) * M + m) * H + j) * W;
        float* a = acc.data() + size_t(m) * W;
        for (int x = 0; x < W; ++x) a[x] += wk * p[x];
      }
    }
    for (int x = 0; x < W; ++x) {
      float v[M];
      for (int m = 0; m < M; ++m) v[m] = acc[size_t(m) * W + x];
      use(c, size_t(y) * W + x, v);
    }
  }
}

}  // namespace

namespace {
std::string num(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
bool finite_at_least(float v, float lo) { return std::isfinite(v) && v >= lo; }
}  // namespace

Result check_model(const Model& g) {
  if (g.count < 0) return Result::invalid("model.count must be >= 0, got " + std::to_string(g.count));
  if (g.count && (!g.means || !g.log_scales || !g.quats || !g.opacity || !g.sh))
    return Result::invalid("model needs means, logScales, quats, opacity and sh");
  if (g.sh_stride < 1 || g.sh_stride > 16)
    return Result::invalid("model.shStride must be an integer in [1, 16], got " + std::to_string(g.sh_stride));
  if (g.sh_degree < 0 || g.sh_degree > 3 || sh_coeff_count(g.sh_degree) > g.sh_stride)
    return Result::invalid("model.shDegree must be an integer in [0, 3] whose (shDegree + 1)^2 coefficients fit "
                           "model.shStride " + std::to_string(g.sh_stride) + ", got " + std::to_string(g.sh_degree));
  return Result::ok();
}

Result check_camera(const Camera& c) {
  if (c.width < 1 || c.width > 16384)
    return Result::invalid("camera.width must be an integer in [1, 16384], got " + std::to_string(c.width));
  if (c.height < 1 || c.height > 16384)
    return Result::invalid("camera.height must be an integer in [1, 16384], got " + std::to_string(c.height));
  if (!(c.fx > 0) || !std::isfinite(c.fx)) return Result::invalid("camera.fx must be a finite number > 0, got " + num(c.fx));
  if (!(c.fy > 0) || !std::isfinite(c.fy)) return Result::invalid("camera.fy must be a finite number > 0, got " + num(c.fy));
  if (!std::isfinite(c.cx) || !std::isfinite(c.cy)) return Result::invalid("camera.cx and camera.cy must be finite");
  if (!(c.znear > 0) || !(c.zfar > c.znear))
    return Result::invalid("camera needs 0 < znear < zfar, got znear " + num(c.znear) + ", zfar " + num(c.zfar));
  return Result::ok();
}

Result check_adam(const Adam& a) {
  if (a.step < 1) return Result::invalid("adam.step must be an integer >= 1, got " + std::to_string(a.step));
  const struct { const char* name; float v; } rates[] = {
      {"lrMeans", a.lr_means}, {"lrScales", a.lr_scales}, {"lrQuats", a.lr_quats},
      {"lrOpacity", a.lr_opacity}, {"lrShDc", a.lr_sh_dc}, {"lrShRest", a.lr_sh_rest},
  };
  for (const auto& r : rates)
    if (!finite_at_least(r.v, 0.f)) return Result::invalid(std::string("adam.") + r.name + " must be a finite number >= 0, got " + num(r.v));
  if (!(a.beta1 >= 0.f && a.beta1 < 1.f) || !(a.beta2 >= 0.f && a.beta2 < 1.f))
    return Result::invalid("adam.beta1 and adam.beta2 must be in [0, 1)");
  if (!(a.eps > 0.f)) return Result::invalid("adam.eps must be > 0, got " + num(a.eps));
  return Result::ok();
}

double image_loss(const float* rgb, const float* target, int W, int H, float lambda, float* d_rgb, double* ssim_out) {
  const size_t n = size_t(W) * H;
  const uint64_t rows = 3 * uint64_t(H);  // (channel, row) pairs, the unit of every parallel pass below
  const double inv = 1.0 / double(3 * n);
  std::unique_ptr<LossScratch> s = loss_pool().acquire();
  s->rows.resize(5 * 3 * n), s->row_sums.resize(2 * rows);
  if (d_rgb) s->terms.resize(3 * 3 * n);
  float* terms = s->terms.data();
  float* row_out = s->rows.data();
  double* l1_rows = s->row_sums.data();
  double* ssim_rows = l1_rows + rows;
  const float l1_weight = float((1.0 - lambda) * inv), k = float(-lambda * inv);
  JobControl none;
  // Sums are kept per (channel, row) and added in row order, so the loss does not depend on the thread count.
  parallel_for(rows, 8, [&](uint64_t b, uint64_t e) {
    for (uint64_t r = b; r < e; ++r) {
      const size_t c = r / H, y = r % H;
      double l1 = 0;
      for (size_t i = y * W; i < (y + 1) * W; ++i) {
        const float d = rgb[3 * i + c] - target[3 * i + c];
        l1 += std::fabs(d);
        if (d_rgb) d_rgb[3 * i + c] = l1_grad(d, l1_weight);
      }
      l1_rows[r] = l1;
    }
    blur_rows<5>([&](int c, size_t i, float* v) {
      const float x = rgb[3 * i + c], y = target[3 * i + c];
      v[0] = x, v[1] = y, v[2] = x * x, v[3] = y * y, v[4] = x * y;
    }, row_out, W, H, b, e);
  }, none);
  parallel_for(rows, 8, [&](uint64_t b, uint64_t e) {
    for (uint64_t r = b; r < e; ++r) ssim_rows[r] = 0;
    blur_columns<5>(row_out, W, H, b, e, [&](int c, size_t i, const float* m) {
      float A, B, C;
      ssim_rows[size_t(c) * H + i / W] +=
          ssim_terms(m[0], m[1], m[2], m[3], m[4], d_rgb ? &A : nullptr, d_rgb ? &B : nullptr, d_rgb ? &C : nullptr);
      if (d_rgb) {
        float* t = terms + (size_t(c) * n + i) * 3;
        t[0] = A, t[1] = B, t[2] = C;
      }
    });
  }, none);
  if (d_rgb) {
    // The window is symmetric, so the adjoint of the blur is the same blur.
    parallel_for(rows, 8, [&](uint64_t b, uint64_t e) {
      blur_rows<3>([&](int c, size_t i, float* v) {
        const float* t = terms + (size_t(c) * n + i) * 3;
        v[0] = t[0], v[1] = t[1], v[2] = t[2];
      }, row_out, W, H, b, e);
    }, none);
    parallel_for(rows, 8, [&](uint64_t b, uint64_t e) {
      blur_columns<3>(row_out, W, H, b, e, [&](int c, size_t i, const float* t) {
        d_rgb[3 * i + c] += k * ssim_grad(t[0], t[1], t[2], rgb[3 * i + c], target[3 * i + c]);
      });
    }, none);
  }
  double l1 = 0, ssim_sum = 0;
  for (uint64_t r = 0; r < rows; ++r) l1 += l1_rows[r], ssim_sum += ssim_rows[r];
  loss_pool().release(std::move(s));
  const double ssim = ssim_sum * inv;
  if (ssim_out) *ssim_out = ssim;
  return (1.0 - lambda) * l1 * inv + lambda * (1.0 - ssim);
}

Status render(const Model& g, const Camera& c, const RenderOptions& o, Image& out, Stats* stats, Backend backend,
              const JobControl& ctl) {
  if (!valid(g, c)) return Status::InvalidArgument;
  if (resolve_backend(backend) == Backend::Cuda) return render_cuda(g, c, o, out, stats, ctl);
  return render_cpu(g, c, o, out, stats, ctl);
}

Status backward(const Model& g, const Camera& c, const RenderOptions& o, const float* d_rgb, const float* d_alpha,
                const float* d_depth, Grads& grads, Stats* stats, Backend backend, const JobControl& ctl) {
  if (!valid(g, c)) return Status::InvalidArgument;
  GivenLoss loss;
  loss.rgb = d_rgb, loss.alpha = d_alpha, loss.depth = d_depth, loss.npix = size_t(c.width) * c.height;
  Image none{nullptr, nullptr, nullptr};
  if (resolve_backend(backend) == Backend::Cuda) return backward_cuda(g, c, o, loss, grads, none, stats, ctl);
  return backward_cpu(g, c, o, loss, grads, none, stats, ctl);
}

void adam_update(const Model& g, Params& p, const Grads& gr, Adam& a) {
  const size_t N = size_t(g.count), S = param_floats(kSh, g.sh_stride);
  struct Group {
    float* param;
    const float* grad;
    size_t per;  // floats per Gaussian
    float lr;
    size_t width;  // for SH: only the first `width` floats of each Gaussian (the DC term) use lr
  };
  // In ParamGroup order, the order of the moment blocks. SH: DC and higher orders use different rates (the 3DGS
  // reference divides the DC rate by 20 for the rest).
  const Group groups[kParamGroupCount] = {
      {p.means, gr.means, param_floats(kMeans, g.sh_stride), a.lr_means, 0},
      {p.log_scales, gr.log_scales, param_floats(kLogScales, g.sh_stride), a.lr_scales, 0},
      {p.quats, gr.quats, param_floats(kQuats, g.sh_stride), a.lr_quats, 0},
      {p.opacity, gr.opacity, param_floats(kOpacity, g.sh_stride), a.lr_opacity, 0},
      {p.sh, gr.sh, S, a.lr_sh_dc, kShChannels},
  };
  const float bc1 = 1.f - std::pow(a.beta1, float(a.step)), bc2 = 1.f - std::pow(a.beta2, float(a.step));
  const int32_t* radii = gr.radii;
  JobControl none;
  // Over Gaussians, group by group within a chunk, so each group's arrays are read in order.
  parallel_for(N, 4096, [&](uint64_t b, uint64_t e) {
    for (int gi = 0; gi < kParamGroupCount; ++gi) {
      const Group& grp = groups[gi];
      float* m = a.m + adam_block_offset(gi, N, g.sh_stride);
      float* v = a.v + adam_block_offset(gi, N, g.sh_stride);
      const size_t width = grp.width ? grp.width : grp.per;
      for (size_t i = b; i < e; ++i) {
        if (!adam_updates(radii, i)) continue;
        const size_t j0 = i * grp.per, jw = j0 + width, j1 = j0 + grp.per;
        for (size_t j = j0; j < jw; ++j) adam_step(grp.param[j], m[j], v[j], grp.grad[j], grp.lr, a.beta1, a.beta2, bc1, bc2, a.eps);
        for (size_t j = jw; j < j1; ++j)
          adam_step(grp.param[j], m[j], v[j], grp.grad[j], a.lr_sh_rest, a.beta1, a.beta2, bc1, bc2, a.eps);
      }
    }
  }, none);
}

Status train_step(const Model& g, Params& p, const Camera& c, const RenderOptions& o, const float* target,
                  float lambda, Adam& adam, Grads& grads, Image& out, double* loss_out, Stats* stats,
                  Backend backend, const JobControl& ctl) {
  if (!valid(g, c) || !target || !check_adam(adam)) return Status::InvalidArgument;
  TrainLoss loss;
  loss.target = target, loss.width = c.width, loss.height = c.height, loss.lambda = lambda;
  const Status st = resolve_backend(backend) == Backend::Cuda ? backward_cuda(g, c, o, loss, grads, out, stats, ctl)
                                                              : backward_cpu(g, c, o, loss, grads, out, stats, ctl);
  if (st != Status::Ok) return st;
  if (loss_out) *loss_out = loss.value;
  const auto t0 = std::chrono::steady_clock::now();
  adam_update(g, p, grads, adam);
  if (stats) stats->adam_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return Status::Ok;
}

}  // namespace splat
}  // namespace ote
