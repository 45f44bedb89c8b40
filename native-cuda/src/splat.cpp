// Backend dispatch for the splat rasterizer, the training loss (L1 + D-SSIM with its gradient) and Adam.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ote/splat/splat.h"
#include "ote/splat/train_math.h"
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

// Separable 11-tap Gaussian (sigma 1.5) with zero padding, over one plane.
constexpr int kR = kSsimRadius;
struct Window {
  float w[2 * kR + 1];
  Window() { ssim_window(w); }
};
const Window kWindow;

void blur(const float* in, float* out, float* tmp, int W, int H) {
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      window_sums<1>(kWindow.w, x, W, [&](int j, float* v) { v[0] = in[size_t(y) * W + j]; }, &tmp[size_t(y) * W + x]);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      window_sums<1>(kWindow.w, y, H, [&](int j, float* v) { v[0] = tmp[size_t(j) * W + x]; }, &out[size_t(y) * W + x]);
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
  const double inv = 1.0 / double(3 * n);
  double l1 = 0, ssim_sum = 0;
  for (size_t i = 0; i < 3 * n; ++i) {
    const float d = rgb[i] - target[i];
    l1 += std::fabs(d);
    if (d_rgb) d_rgb[i] = l1_grad(d, float((1.0 - lambda) * inv));
  }
  // Per channel, in parallel: SSIM map and (optionally) its gradient.
  std::vector<double> channel_sum(3, 0.0);
  JobControl none;
  parallel_for(3, 1, [&](uint64_t cb, uint64_t ce) {
    std::vector<float> x(n), y(n), xx(n), yy(n), xy(n), mx(n), my(n), sxx(n), syy(n), sxy(n), tmp(n);
    std::vector<float> A, B, C;
    for (uint64_t c = cb; c < ce; ++c) {
      for (size_t i = 0; i < n; ++i) {
        x[i] = rgb[3 * i + c], y[i] = target[3 * i + c];
        xx[i] = x[i] * x[i], yy[i] = y[i] * y[i], xy[i] = x[i] * y[i];
      }
      blur(x.data(), mx.data(), tmp.data(), W, H);
      blur(y.data(), my.data(), tmp.data(), W, H);
      blur(xx.data(), sxx.data(), tmp.data(), W, H);
      blur(yy.data(), syy.data(), tmp.data(), W, H);
      blur(xy.data(), sxy.data(), tmp.data(), W, H);
      if (d_rgb) A.assign(n, 0.f), B.assign(n, 0.f), C.assign(n, 0.f);
      double sum = 0;
      for (size_t i = 0; i < n; ++i)
        sum += ssim_terms(mx[i], my[i], sxx[i], syy[i], sxy[i], d_rgb ? &A[i] : nullptr, d_rgb ? &B[i] : nullptr,
                          d_rgb ? &C[i] : nullptr);
      channel_sum[c] = sum;
      if (d_rgb) {
        // The window is symmetric, so the adjoint of the blur is the same blur.
        blur(A.data(), mx.data(), tmp.data(), W, H);
        blur(B.data(), sxx.data(), tmp.data(), W, H);
        blur(C.data(), sxy.data(), tmp.data(), W, H);
        const float k = float(-lambda * inv);
        for (size_t i = 0; i < n; ++i) d_rgb[3 * i + c] += k * ssim_grad(mx[i], sxx[i], sxy[i], x[i], y[i]);
      }
    }
  }, none);
  ssim_sum = channel_sum[0] + channel_sum[1] + channel_sum[2];
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
    size_t count;
    float lr;
    size_t stride, first, width;  // for SH: only coefficients [first, first + width) of each stride use lr
  };
  // In ParamGroup order, the order of the moment blocks. SH: DC and higher orders use different rates (the 3DGS
  // reference divides the DC rate by 20 for the rest).
  const Group groups[kParamGroupCount] = {
      {p.means, gr.means, param_floats(kMeans, g.sh_stride) * N, a.lr_means, 0, 0, 0},
      {p.log_scales, gr.log_scales, param_floats(kLogScales, g.sh_stride) * N, a.lr_scales, 0, 0, 0},
      {p.quats, gr.quats, param_floats(kQuats, g.sh_stride) * N, a.lr_quats, 0, 0, 0},
      {p.opacity, gr.opacity, param_floats(kOpacity, g.sh_stride) * N, a.lr_opacity, 0, 0, 0},
      {p.sh, gr.sh, S * N, a.lr_sh_dc, S, 0, kShChannels},
  };
  const float bc1 = 1.f - std::pow(a.beta1, float(a.step)), bc2 = 1.f - std::pow(a.beta2, float(a.step));
  JobControl none;
  for (int gi = 0; gi < kParamGroupCount; ++gi) {
    const Group& grp = groups[gi];
    float* m = a.m + adam_block_offset(gi, N, g.sh_stride);
    float* v = a.v + adam_block_offset(gi, N, g.sh_stride);
    // Row by row (a row is one Gaussian's SH block, or one value), so the learning rate needs no per-element
    // index arithmetic: the first `width` entries of a row use lr, the rest lr_sh_rest.
    const size_t stride = grp.stride ? grp.stride : 1, width = grp.stride ? grp.width : 1;
    parallel_for(grp.count / stride, std::max<size_t>(1, (size_t(1) << 16) / stride), [&](uint64_t b, uint64_t e) {
      for (size_t i = b * stride, end = e * stride; i < end; i += stride) {
        for (size_t j = i; j < i + width; ++j) adam_step(grp.param[j], m[j], v[j], grp.grad[j], grp.lr, a.beta1, a.beta2, bc1, bc2, a.eps);
        for (size_t j = i + width; j < i + stride; ++j)
          adam_step(grp.param[j], m[j], v[j], grp.grad[j], a.lr_sh_rest, a.beta1, a.beta2, bc1, bc2, a.eps);
      }
    }, none);
  }
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
  adam_update(g, p, grads, adam);
  return Status::Ok;
}

}  // namespace splat
}  // namespace ote
