// Device-resident training session (see splat.h): parameters, gradients, Adam moments, densification statistics
// and the targets stay in device memory; a step runs forward, loss, backward, Adam and the statistics as kernels
// and reads back only the intersection count (inside the forward) and the two loss sums.
#include <memory>
#include <mutex>
#include <vector>

#include "splat_device.cuh"

namespace ote {
namespace splat {

struct TrainSession {
  int count = 0, sh_stride = 1, antialiased = 0;
  DeviceBuffer<float> means, log_scales, quats, opacity, sh;             // parameters
  DeviceBuffer<float> g_means, g_scales, g_quats, g_opacity, g_sh, g_norm;  // gradients of the last step
  DeviceBuffer<int32_t> radii;
  DeviceBuffer<float> adam_m, adam_v;  // one block per ParamGroup (param_layout.h)
  DeviceBuffer<float> grad_accum, denom, max_radii;
  std::vector<Camera> cams;
  std::vector<std::unique_ptr<DeviceBuffer<float>>> targets;
  cuda::DeviceFrame frame;
  cuda::LossScratch loss;
  DeviceBuffer<float> d_rgb;
  std::mutex mu;  // one step at a time

  size_t floats_per() const { return param_floats_per_gaussian(sh_stride); }
  Model model(int sh_degree) const {
    Model m{};
    m.means = means.ptr, m.log_scales = log_scales.ptr, m.quats = quats.ptr, m.opacity = opacity.ptr, m.sh = sh.ptr;
    m.count = count, m.sh_stride = sh_stride, m.sh_degree = sh_degree, m.antialiased = antialiased;
    return m;
  }
};

namespace {

// Sizes every per-Gaussian buffer for `n` Gaussians (grow-only) and uploads the parameters.
Status load(TrainSession& s, const Model& g, const float* m, const float* v, const DensifyStats* d) {
  const size_t N = size_t(g.count), S = 3 * N * size_t(g.sh_stride), total = N * s.floats_per();
  s.count = g.count;
  OTE_CUDA_TRY(cuda::grow(s.means, 3 * N));
  OTE_CUDA_TRY(cuda::grow(s.log_scales, 3 * N));
  OTE_CUDA_TRY(cuda::grow(s.quats, 4 * N));
  OTE_CUDA_TRY(cuda::grow(s.opacity, N));
  OTE_CUDA_TRY(cuda::grow(s.sh, S));
  OTE_CUDA_TRY(cuda::grow(s.g_means, 3 * N));
  OTE_CUDA_TRY(cuda::grow(s.g_scales, 3 * N));
  OTE_CUDA_TRY(cuda::grow(s.g_quats, 4 * N));
  OTE_CUDA_TRY(cuda::grow(s.g_opacity, N));
  OTE_CUDA_TRY(cuda::grow(s.g_sh, S));
  OTE_CUDA_TRY(cuda::grow(s.g_norm, N));
  OTE_CUDA_TRY(cuda::grow(s.radii, N));
  OTE_CUDA_TRY(cuda::grow(s.adam_m, total));
  OTE_CUDA_TRY(cuda::grow(s.adam_v, total));
  OTE_CUDA_TRY(cuda::grow(s.grad_accum, N));
  OTE_CUDA_TRY(cuda::grow(s.denom, N));
  OTE_CUDA_TRY(cuda::grow(s.max_radii, N));
  if (!N) return Status::Ok;
  OTE_CUDA_TRY(cudaMemcpy(s.means.ptr, g.means, 3 * N * sizeof(float), cudaMemcpyHostToDevice));
  OTE_CUDA_TRY(cudaMemcpy(s.log_scales.ptr, g.log_scales, 3 * N * sizeof(float), cudaMemcpyHostToDevice));
  OTE_CUDA_TRY(cudaMemcpy(s.quats.ptr, g.quats, 4 * N * sizeof(float), cudaMemcpyHostToDevice));
  OTE_CUDA_TRY(cudaMemcpy(s.opacity.ptr, g.opacity, N * sizeof(float), cudaMemcpyHostToDevice));
  OTE_CUDA_TRY(cudaMemcpy(s.sh.ptr, g.sh, S * sizeof(float), cudaMemcpyHostToDevice));
  if (m) OTE_CUDA_TRY(cudaMemcpy(s.adam_m.ptr, m, total * sizeof(float), cudaMemcpyHostToDevice));
  else OTE_CUDA_TRY(cudaMemset(s.adam_m.ptr, 0, total * sizeof(float)));
  if (v) OTE_CUDA_TRY(cudaMemcpy(s.adam_v.ptr, v, total * sizeof(float), cudaMemcpyHostToDevice));
  else OTE_CUDA_TRY(cudaMemset(s.adam_v.ptr, 0, total * sizeof(float)));
  const float* stats[3] = {d ? d->grad_accum : nullptr, d ? d->denom : nullptr, d ? d->max_radii : nullptr};
  float* dst[3] = {s.grad_accum.ptr, s.denom.ptr, s.max_radii.ptr};
  for (int k = 0; k < 3; ++k) {
    if (stats[k]) OTE_CUDA_TRY(cudaMemcpy(dst[k], stats[k], N * sizeof(float), cudaMemcpyHostToDevice));
    else OTE_CUDA_TRY(cudaMemset(dst[k], 0, N * sizeof(float)));
  }
  return Status::Ok;
}

}  // namespace

Status session_create(const Model& g, const SessionView* views, int view_count, TrainSession** out) {
  *out = nullptr;
  if (g.count < 0 || g.sh_stride < 1 || g.sh_stride > 16 || view_count < 1 || !views) return Status::InvalidArgument;
  auto s = std::make_unique<TrainSession>();
  s->sh_stride = g.sh_stride;
  s->antialiased = g.antialiased;
  for (int i = 0; i < view_count; ++i) {
    const Camera& c = views[i].camera;
    if (c.width < 1 || c.height < 1 || !views[i].target) return Status::InvalidArgument;
    s->cams.push_back(c);
    auto t = std::make_unique<DeviceBuffer<float>>();
    OTE_CUDA_TRY(t->upload(views[i].target, 3 * size_t(c.width) * c.height));
    s->targets.push_back(std::move(t));
  }
  const Status st = load(*s, g, nullptr, nullptr, nullptr);
  if (st != Status::Ok) return st;
  *out = s.release();
  return Status::Ok;
}

Status session_step(TrainSession* s, int view, int sh_degree, const RenderOptions& o, float lambda,
                    const Adam& adam, bool accumulate, float ndc_scale, double* loss, Stats* stats,
                    const JobControl& ctl) {
  if (!s || view < 0 || view >= int(s->cams.size()) || sh_degree < 0 ||
      sh_coeff_count(sh_degree) > s->sh_stride || adam.step < 1)
    return Status::InvalidArgument;
  std::lock_guard<std::mutex> lock(s->mu);
  const Camera& c = s->cams[size_t(view)];
  const size_t N = size_t(s->count), npix = size_t(c.width) * c.height;
  const Model dm = s->model(sh_degree);
  Status st = cuda::device_forward(dm, c, o, s->frame, stats, ctl);
  if (st != Status::Ok) return st;
  OTE_CUDA_TRY(cuda::grow(s->d_rgb, 3 * npix));
  OTE_CUDA_TRY(cuda::image_loss(s->frame.rgb.ptr, s->targets[size_t(view)]->ptr, c.width, c.height, lambda,
                                s->d_rgb.ptr, s->loss, 0));
  st = cuda::device_backward(dm, c, o, s->frame, s->d_rgb.ptr, nullptr, nullptr,
                             ParamGrad{s->g_means.ptr, s->g_scales.ptr, s->g_quats.ptr, s->g_opacity.ptr, s->g_sh.ptr},
                             s->g_norm.ptr, s->radii.ptr);
  if (st != Status::Ok) return st;
  // Adam over the parameter groups, each on its block of the moments (param_layout.h).
  const int stride = s->sh_stride;
  const size_t S = param_floats(kSh, stride);
  float* m = s->adam_m.ptr;
  float* v = s->adam_v.ptr;
  auto block = [&](int g) { return adam_block_offset(g, N, stride); };
  const int32_t* radii = s->radii.ptr;  // sparse: the Gaussians this view sees
  auto group = [&](float* param, const float* grad, int g, float lr) {
    const size_t per = param_floats(g, stride);
    cuda::launch_adam(param, grad, m + block(g), v + block(g), per * N, per, radii, lr, lr, 0, 0, adam, 0);
  };
  group(s->means.ptr, s->g_means.ptr, kMeans, adam.lr_means);
  group(s->log_scales.ptr, s->g_scales.ptr, kLogScales, adam.lr_scales);
  group(s->quats.ptr, s->g_quats.ptr, kQuats, adam.lr_quats);
  group(s->opacity.ptr, s->g_opacity.ptr, kOpacity, adam.lr_opacity);
  cuda::launch_adam(s->sh.ptr, s->g_sh.ptr, m + block(kSh), v + block(kSh), S * N, S, radii, adam.lr_sh_dc,
                    adam.lr_sh_rest, int(S), kShChannels, adam, 0);
  if (accumulate)
    cuda::launch_densify_accumulate(s->g_norm.ptr, s->radii.ptr, s->count, ndc_scale, s->grad_accum.ptr,
                                    s->denom.ptr, s->max_radii.ptr, 0);
  OTE_CUDA_TRY(cudaGetLastError());
  OTE_CUDA_TRY(cuda::loss_value(s->loss, c.width, c.height, lambda, loss, nullptr));  // synchronises
  return ctl.cancelled() ? Status::Cancelled : Status::Ok;
}

Status session_read(TrainSession* s, Params* p, float* adam_m, float* adam_v, DensifyStats* d) {
  if (!s) return Status::InvalidArgument;
  std::lock_guard<std::mutex> lock(s->mu);
  const size_t N = size_t(s->count), total = N * s->floats_per();
  if (!N) return Status::Ok;
  if (p) {
    OTE_CUDA_TRY(s->means.download(p->means, 3 * N));
    OTE_CUDA_TRY(s->log_scales.download(p->log_scales, 3 * N));
    OTE_CUDA_TRY(s->quats.download(p->quats, 4 * N));
    OTE_CUDA_TRY(s->opacity.download(p->opacity, N));
    OTE_CUDA_TRY(s->sh.download(p->sh, 3 * N * size_t(s->sh_stride)));
  }
  if (adam_m) OTE_CUDA_TRY(s->adam_m.download(adam_m, total));
  if (adam_v) OTE_CUDA_TRY(s->adam_v.download(adam_v, total));
  if (d) {
    if (d->grad_accum) OTE_CUDA_TRY(s->grad_accum.download(d->grad_accum, N));
    if (d->denom) OTE_CUDA_TRY(s->denom.download(d->denom, N));
    if (d->max_radii) OTE_CUDA_TRY(s->max_radii.download(d->max_radii, N));
  }
  return Status::Ok;
}

Status session_write(TrainSession* s, const Model& g, const float* adam_m, const float* adam_v,
                     const DensifyStats* densify) {
  if (!s || g.count < 0 || g.sh_stride != s->sh_stride) return Status::InvalidArgument;
  std::lock_guard<std::mutex> lock(s->mu);
  return load(*s, g, adam_m, adam_v, densify);
}

Status session_set_target(TrainSession* s, int view, const float* rgb, size_t floats) {
  if (!s || !rgb || view < 0 || view >= int(s->cams.size())) return Status::InvalidArgument;
  const Camera& c = s->cams[size_t(view)];
  if (floats != 3 * size_t(c.width) * c.height) return Status::InvalidArgument;
  std::lock_guard<std::mutex> lock(s->mu);
  OTE_CUDA_TRY(cudaMemcpy(s->targets[size_t(view)]->ptr, rgb, floats * sizeof(float), cudaMemcpyHostToDevice));
  return Status::Ok;
}

int session_count(const TrainSession* s) { return s ? s->count : 0; }
int session_sh_stride(const TrainSession* s) { return s ? s->sh_stride : 0; }

void session_destroy(TrainSession* s) { delete s; }

}  // namespace splat
}  // namespace ote
