// CUDA drivers of the splat rasterizer: run the stage kernels (splat_project.cu, splat_sort.cu,
// splat_raster_fwd.cu, splat_raster_bwd.cu) over a DeviceFrame. The one-shot render/backward entry points upload
// the model and bring results back; the training session (splat_session.cu) keeps everything on the device and
// calls device_forward / device_backward directly. Stage times are taken with the device synchronised, and
// exclude the model upload.
#include <chrono>
#include <vector>

#include "splat_device.cuh"

namespace ote {
namespace splat {
namespace cuda {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Status device_forward(const Model& dm, const Camera& c, const RenderOptions& o, DeviceFrame& f, Stats* stats,
                      const JobControl& ctl) {
  const size_t N = size_t(dm.count), npix = size_t(c.width) * c.height;
  const int tiles = tiles_x(c) * tiles_y(c);
  OTE_CUDA_TRY(grow(f.proj, N));
  OTE_CUDA_TRY(grow(f.touched, N));
  OTE_CUDA_TRY(grow(f.offsets, N));
  OTE_CUDA_TRY(grow(f.ranges, size_t(tiles)));
  OTE_CUDA_TRY(grow(f.rgb, 3 * npix));
  OTE_CUDA_TRY(grow(f.alpha, npix));
  OTE_CUDA_TRY(grow(f.depth, npix));
  OTE_CUDA_TRY(grow(f.T_final, npix));
  OTE_CUDA_TRY(grow(f.n_contrib, npix));
  if (stats) OTE_CUDA_TRY(cudaDeviceSynchronize());
  if (ctl.cancelled()) return Status::Cancelled;

  auto t0 = std::chrono::steady_clock::now();
  launch_project(dm, c, f.proj.ptr, f.touched.ptr, 0);
  OTE_CUDA_TRY(cudaGetLastError());
  if (N) OTE_CUDA_TRY(inclusive_scan(f.touched.ptr, f.offsets.ptr, int(N), 0));
  // The one read-back of a frame: the intersection count sizes the key buffers.
  f.isect = 0;
  if (N) OTE_CUDA_TRY(cudaMemcpy(&f.isect, f.offsets.ptr + N - 1, sizeof(uint32_t), cudaMemcpyDeviceToHost));
  const double project_ms = ms_since(t0);
  if (ctl.cancelled()) return Status::Cancelled;

  t0 = std::chrono::steady_clock::now();
  OTE_CUDA_TRY(grow(f.keys, f.isect));
  OTE_CUDA_TRY(grow(f.keys_alt, f.isect));
  OTE_CUDA_TRY(grow(f.ids, f.isect));
  OTE_CUDA_TRY(grow(f.ids_alt, f.isect));
  OTE_CUDA_TRY(intersect_and_sort(f.proj.ptr, f.offsets.ptr, dm.count, c, f.isect, f.keys.ptr, f.ids.ptr,
                                  f.keys_alt.ptr, f.ids_alt.ptr, f.ranges.ptr, 0));
  if (stats) OTE_CUDA_TRY(cudaDeviceSynchronize());
  const double sort_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  launch_raster_forward(c, f.ranges.ptr, f.ids.ptr, f.proj.ptr, o.background, f.rgb.ptr, f.alpha.ptr, f.depth.ptr,
                        f.T_final.ptr, f.n_contrib.ptr, 0);
  OTE_CUDA_TRY(cudaGetLastError());
  if (stats) {
    OTE_CUDA_TRY(cudaDeviceSynchronize());
    stats->intersections = f.isect;
    stats->project_ms = project_ms;
    stats->sort_ms = sort_ms;
    stats->raster_ms = ms_since(t0);
    // Visible count: Gaussians with a non-zero tile count.
    std::vector<uint32_t> touched(N);
    OTE_CUDA_TRY(f.touched.download(touched.data(), N));
    uint64_t v = 0;
    for (uint32_t t : touched) v += t != 0;
    stats->visible = v;
  }
  return Status::Ok;
}

Status device_backward(const Model& dm, const Camera& c, const RenderOptions& o, DeviceFrame& f, const float* d_rgb,
                       const float* d_alpha, const float* d_depth, ParamGrad out, float* mean2d_norm, int32_t* radii) {
  const size_t N = size_t(dm.count);
  OTE_CUDA_TRY(grow(f.pgrad, N));
  if (N) {
    OTE_CUDA_TRY(cudaMemsetAsync(f.pgrad.ptr, 0, N * sizeof(ProjectedGrad), 0));
    OTE_CUDA_TRY(cudaMemsetAsync(out.means, 0, 3 * N * sizeof(float), 0));
    OTE_CUDA_TRY(cudaMemsetAsync(out.log_scales, 0, 3 * N * sizeof(float), 0));
    OTE_CUDA_TRY(cudaMemsetAsync(out.quats, 0, 4 * N * sizeof(float), 0));
    OTE_CUDA_TRY(cudaMemsetAsync(out.opacity, 0, N * sizeof(float), 0));
    OTE_CUDA_TRY(cudaMemsetAsync(out.sh, 0, 3 * N * dm.sh_stride * sizeof(float), 0));
  }
  launch_raster_backward(c, f.ranges.ptr, f.ids.ptr, f.proj.ptr, o.background, f.T_final.ptr, f.n_contrib.ptr,
                         d_rgb, d_alpha, d_depth, f.pgrad.ptr, 0);
  OTE_CUDA_TRY(cudaGetLastError());
  launch_project_backward(dm, c, f.proj.ptr, f.pgrad.ptr, out, mean2d_norm, radii, 0);
  OTE_CUDA_TRY(cudaGetLastError());
  return Status::Ok;
}

}  // namespace cuda

namespace {

using cuda::DeviceFrame;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// A host model uploaded for one call.
struct DeviceModel {
  DeviceBuffer<float> means, log_scales, quats, opacity, sh;
  Model dm{};
  cudaError_t upload(const Model& g) {
    const size_t N = size_t(g.count);
    cudaError_t e;
    if ((e = means.upload(g.means, 3 * N)) != cudaSuccess) return e;
    if ((e = log_scales.upload(g.log_scales, 3 * N)) != cudaSuccess) return e;
    if ((e = quats.upload(g.quats, 4 * N)) != cudaSuccess) return e;
    if ((e = opacity.upload(g.opacity, N)) != cudaSuccess) return e;
    if ((e = sh.upload(g.sh, 3 * N * g.sh_stride)) != cudaSuccess) return e;
    dm = g;
    dm.means = means.ptr, dm.log_scales = log_scales.ptr, dm.quats = quats.ptr, dm.opacity = opacity.ptr;
    dm.sh = sh.ptr;
    return cudaSuccess;
  }
};

Status download_image(const DeviceFrame& f, size_t npix, Image& out) {
  if (out.rgb) OTE_CUDA_TRY(f.rgb.download(out.rgb, 3 * npix));
  if (out.alpha) OTE_CUDA_TRY(f.alpha.download(out.alpha, npix));
  if (out.depth) OTE_CUDA_TRY(f.depth.download(out.depth, npix));
  return Status::Ok;
}

}  // namespace

Status render_cuda(const Model& g, const Camera& c, const RenderOptions& o, Image& out, Stats* stats,
                   const JobControl& ctl) {
  DeviceModel m;
  OTE_CUDA_TRY(m.upload(g));
  DeviceFrame f;
  const Status st = cuda::device_forward(m.dm, c, o, f, stats, ctl);
  if (st != Status::Ok) return st;
  return download_image(f, size_t(c.width) * c.height, out);
}

Status backward_cuda(const Model& g, const Camera& c, const RenderOptions& o, FrameLoss& loss, Grads& grads,
                     Image& out, Stats* stats, const JobControl& ctl) {
  DeviceModel m;
  OTE_CUDA_TRY(m.upload(g));
  DeviceFrame f;
  Status st = cuda::device_forward(m.dm, c, o, f, stats, ctl);
  if (st != Status::Ok) return st;
  const size_t N = size_t(g.count), npix = size_t(c.width) * c.height;
  // The loss of this generic entry point runs on the host over the downloaded image; its gradients go back up.
  // (Training on the device uses the session instead, which computes the loss there.)
  std::vector<float> rgb(3 * npix), alpha(npix), depth(npix), d_rgb(3 * npix, 0.f), d_alpha(npix, 0.f),
      d_depth(npix, 0.f);
  Image host{rgb.data(), alpha.data(), depth.data()};
  if ((st = download_image(f, npix, host)) != Status::Ok) return st;
  loss(rgb.data(), alpha.data(), depth.data(), d_rgb.data(), d_alpha.data(), d_depth.data());
  if (out.rgb) std::copy(rgb.begin(), rgb.end(), out.rgb);
  if (out.alpha) std::copy(alpha.begin(), alpha.end(), out.alpha);
  if (out.depth) std::copy(depth.begin(), depth.end(), out.depth);
  if (ctl.cancelled()) return Status::Cancelled;

  auto t0 = std::chrono::steady_clock::now();
  DeviceBuffer<float> dd_rgb, dd_alpha, dd_depth, g_means, g_scales, g_quats, g_opacity, g_sh, g_norm;
  DeviceBuffer<int32_t> g_radii;
  OTE_CUDA_TRY(dd_rgb.upload(d_rgb.data(), 3 * npix));
  OTE_CUDA_TRY(dd_alpha.upload(d_alpha.data(), npix));
  OTE_CUDA_TRY(dd_depth.upload(d_depth.data(), npix));
  OTE_CUDA_TRY(g_means.allocate(3 * N));
  OTE_CUDA_TRY(g_scales.allocate(3 * N));
  OTE_CUDA_TRY(g_quats.allocate(4 * N));
  OTE_CUDA_TRY(g_opacity.allocate(N));
  OTE_CUDA_TRY(g_sh.allocate(3 * N * g.sh_stride));
  OTE_CUDA_TRY(g_norm.allocate(N));
  OTE_CUDA_TRY(g_radii.allocate(N));
  st = cuda::device_backward(m.dm, c, o, f, dd_rgb.ptr, dd_alpha.ptr, dd_depth.ptr,
                             ParamGrad{g_means.ptr, g_scales.ptr, g_quats.ptr, g_opacity.ptr, g_sh.ptr}, g_norm.ptr,
                             g_radii.ptr);
  if (st != Status::Ok) return st;
  OTE_CUDA_TRY(cudaDeviceSynchronize());
  if (stats) stats->backward_ms = ms_since(t0);
  OTE_CUDA_TRY(g_means.download(grads.means, 3 * N));
  OTE_CUDA_TRY(g_scales.download(grads.log_scales, 3 * N));
  OTE_CUDA_TRY(g_quats.download(grads.quats, 4 * N));
  OTE_CUDA_TRY(g_opacity.download(grads.opacity, N));
  OTE_CUDA_TRY(g_sh.download(grads.sh, 3 * N * g.sh_stride));
  if (grads.mean2d_grad_norm) OTE_CUDA_TRY(g_norm.download(grads.mean2d_grad_norm, N));
  if (grads.radii) OTE_CUDA_TRY(g_radii.download(grads.radii, N));
  return Status::Ok;
}

}  // namespace splat
}  // namespace ote
