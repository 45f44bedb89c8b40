// CUDA drivers of the splat rasterizer: upload the model, run the stage kernels (splat_project.cu,
// splat_sort.cu, splat_raster_fwd.cu, splat_raster_bwd.cu) and bring the results back. Stage times are taken
// with the device synchronised, and exclude the model upload.
#include <chrono>
#include <vector>

#include "cuda_check.h"
#include "ote/splat/splat.h"
#include "splat_kernels.cuh"

namespace ote {
namespace splat {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Device copy of the model and the forward state.
struct DeviceFrame {
  DeviceBuffer<float> means, log_scales, quats, opacity, sh;
  DeviceBuffer<Projected> proj;
  DeviceBuffer<uint32_t> touched, offsets, ids, ids_alt, n_contrib;
  DeviceBuffer<uint64_t> keys, keys_alt;
  DeviceBuffer<uint2> ranges;
  DeviceBuffer<float> rgb, alpha, depth, T_final;
  Model dm{};
  uint32_t isect = 0;
};

Status forward(const Model& g, const Camera& c, const RenderOptions& o, DeviceFrame& f, Stats* stats,
               const JobControl& ctl) {
  const size_t N = size_t(g.count), npix = size_t(c.width) * c.height;
  const int tiles = tiles_x(c) * tiles_y(c);
  OTE_CUDA_TRY(f.means.upload(g.means, 3 * N));
  OTE_CUDA_TRY(f.log_scales.upload(g.log_scales, 3 * N));
  OTE_CUDA_TRY(f.quats.upload(g.quats, 4 * N));
  OTE_CUDA_TRY(f.opacity.upload(g.opacity, N));
  OTE_CUDA_TRY(f.sh.upload(g.sh, 3 * N * g.sh_stride));
  f.dm = g;
  f.dm.means = f.means.ptr, f.dm.log_scales = f.log_scales.ptr, f.dm.quats = f.quats.ptr;
  f.dm.opacity = f.opacity.ptr, f.dm.sh = f.sh.ptr;
  OTE_CUDA_TRY(f.proj.allocate(N));
  OTE_CUDA_TRY(f.touched.allocate(N));
  OTE_CUDA_TRY(f.offsets.allocate(N));
  OTE_CUDA_TRY(f.ranges.allocate(size_t(tiles)));
  OTE_CUDA_TRY(f.rgb.allocate(3 * npix));
  OTE_CUDA_TRY(f.alpha.allocate(npix));
  OTE_CUDA_TRY(f.depth.allocate(npix));
  OTE_CUDA_TRY(f.T_final.allocate(npix));
  OTE_CUDA_TRY(f.n_contrib.allocate(npix));
  OTE_CUDA_TRY(cudaDeviceSynchronize());
  if (ctl.cancelled()) return Status::Cancelled;

  auto t0 = std::chrono::steady_clock::now();
  cuda::launch_project(f.dm, c, f.proj.ptr, f.touched.ptr, 0);
  OTE_CUDA_TRY(cudaGetLastError());
  if (N) OTE_CUDA_TRY(cuda::inclusive_scan(f.touched.ptr, f.offsets.ptr, int(N), 0));
  f.isect = 0;
  if (N) OTE_CUDA_TRY(cudaMemcpy(&f.isect, f.offsets.ptr + N - 1, sizeof(uint32_t), cudaMemcpyDeviceToHost));
  const double project_ms = ms_since(t0);
  if (ctl.cancelled()) return Status::Cancelled;

  t0 = std::chrono::steady_clock::now();
  OTE_CUDA_TRY(f.keys.allocate(f.isect));
  OTE_CUDA_TRY(f.keys_alt.allocate(f.isect));
  OTE_CUDA_TRY(f.ids.allocate(f.isect));
  OTE_CUDA_TRY(f.ids_alt.allocate(f.isect));
  OTE_CUDA_TRY(cuda::intersect_and_sort(f.proj.ptr, f.offsets.ptr, g.count, c, f.isect, f.keys.ptr, f.ids.ptr,
                                        f.keys_alt.ptr, f.ids_alt.ptr, f.ranges.ptr, 0));
  OTE_CUDA_TRY(cudaDeviceSynchronize());
  const double sort_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  cuda::launch_raster_forward(c, f.ranges.ptr, f.ids.ptr, f.proj.ptr, o.background, f.rgb.ptr, f.alpha.ptr,
                              f.depth.ptr, f.T_final.ptr, f.n_contrib.ptr, 0);
  OTE_CUDA_TRY(cudaGetLastError());
  OTE_CUDA_TRY(cudaDeviceSynchronize());
  if (stats) {
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

Status download_image(const DeviceFrame& f, size_t npix, Image& out) {
  if (out.rgb) OTE_CUDA_TRY(f.rgb.download(out.rgb, 3 * npix));
  if (out.alpha) OTE_CUDA_TRY(f.alpha.download(out.alpha, npix));
  if (out.depth) OTE_CUDA_TRY(f.depth.download(out.depth, npix));
  return Status::Ok;
}

}  // namespace

Status render_cuda(const Model& g, const Camera& c, const RenderOptions& o, Image& out, Stats* stats,
                   const JobControl& ctl) {
  DeviceFrame f;
  const Status st = forward(g, c, o, f, stats, ctl);
  if (st != Status::Ok) return st;
  return download_image(f, size_t(c.width) * c.height, out);
}

Status backward_cuda(const Model& g, const Camera& c, const RenderOptions& o, FrameLoss& loss, Grads& grads,
                     Image& out, Stats* stats, const JobControl& ctl) {
  DeviceFrame f;
  Status st = forward(g, c, o, f, stats, ctl);
  if (st != Status::Ok) return st;
  const size_t N = size_t(g.count), npix = size_t(c.width) * c.height;
  // The loss runs on the host over the downloaded image; its gradients go back up.
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
  DeviceBuffer<ProjectedGrad> pgrad;
  OTE_CUDA_TRY(dd_rgb.upload(d_rgb.data(), 3 * npix));
  OTE_CUDA_TRY(dd_alpha.upload(d_alpha.data(), npix));
  OTE_CUDA_TRY(dd_depth.upload(d_depth.data(), npix));
  OTE_CUDA_TRY(pgrad.allocate(N));
  OTE_CUDA_TRY(g_means.allocate(3 * N));
  OTE_CUDA_TRY(g_scales.allocate(3 * N));
  OTE_CUDA_TRY(g_quats.allocate(4 * N));
  OTE_CUDA_TRY(g_opacity.allocate(N));
  OTE_CUDA_TRY(g_sh.allocate(3 * N * g.sh_stride));
  OTE_CUDA_TRY(g_norm.allocate(N));
  OTE_CUDA_TRY(g_radii.allocate(N));
  if (N) {
    OTE_CUDA_TRY(cudaMemset(pgrad.ptr, 0, N * sizeof(ProjectedGrad)));
    OTE_CUDA_TRY(cudaMemset(g_means.ptr, 0, 3 * N * sizeof(float)));
    OTE_CUDA_TRY(cudaMemset(g_scales.ptr, 0, 3 * N * sizeof(float)));
    OTE_CUDA_TRY(cudaMemset(g_quats.ptr, 0, 4 * N * sizeof(float)));
    OTE_CUDA_TRY(cudaMemset(g_opacity.ptr, 0, N * sizeof(float)));
    OTE_CUDA_TRY(cudaMemset(g_sh.ptr, 0, 3 * N * g.sh_stride * sizeof(float)));
  }
  cuda::launch_raster_backward(c, f.ranges.ptr, f.ids.ptr, f.proj.ptr, o.background, f.T_final.ptr,
                               f.n_contrib.ptr, dd_rgb.ptr, dd_alpha.ptr, dd_depth.ptr, pgrad.ptr, 0);
  OTE_CUDA_TRY(cudaGetLastError());
  cuda::launch_project_backward(f.dm, c, f.proj.ptr, pgrad.ptr,
                                ParamGrad{g_means.ptr, g_scales.ptr, g_quats.ptr, g_opacity.ptr, g_sh.ptr},
                                g_norm.ptr, g_radii.ptr, 0);
  OTE_CUDA_TRY(cudaGetLastError());
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
