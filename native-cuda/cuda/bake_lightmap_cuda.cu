// CUDA driver for the progressive texel bake: the same per-texel step and early-stop rule (bake/texel_step.h) as the
// CPU driver, evaluated on the device pass by pass.
#include <cuda_runtime.h>

#include <vector>

#include "cuda_check.h"
#include "ote/bake/bake.h"
#include "ote/bake/texel_step.h"

namespace ote {
namespace {

constexpr int kThreads = 64;

// Texels [0, n) of the set that are still active; each seeds from its ordinal (texel_step::trace_samples).
__global__ void bake_pass_kernel(BakeSceneView s, TransportParams tp, uint32_t seed, const float* pos,
                                 const float* nrm, const uint32_t* ordinal, uint32_t n, uint32_t s0, uint32_t s1,
                                 const uint8_t* active, float* sum, float* direct, double* lum2, uint32_t* samples,
                                 uint32_t* texel_rays, unsigned long long* rays) {
  const uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= n || !active[k]) return;
  const texel_step::TexelPass r =
      texel_step::trace_samples(s, tp, seed, ordinal[k], make_vec3(pos[3 * k], pos[3 * k + 1], pos[3 * k + 2]),
                                make_vec3(nrm[3 * k], nrm[3 * k + 1], nrm[3 * k + 2]), s0, s1);
  for (int c = 0; c < 4; ++c) sum[4 * k + c] += r.rgba[c];
  for (int c = 0; c < 3; ++c) direct[3 * k + c] += r.direct[c];
  lum2[k] += r.lum2;
  samples[k] += s1 - s0;
  texel_rays[k] += r.rays;
  atomicAdd(rays, (unsigned long long)r.rays);
}

__global__ void converge_kernel(uint32_t n, uint32_t min_samples, float threshold, float scene_mean, const float* sum,
                                const double* lum2, const uint32_t* samples, uint8_t* active,
                                unsigned long long* remaining) {
  const uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= n || !active[k]) return;
  if (texel_step::texel_converged(samples[k], &sum[4 * k], lum2[k], min_samples, threshold, scene_mean)) active[k] = 0;
  else atomicAdd(remaining, 1ull);
}

}  // namespace

Status bake_texels_cuda(const BakeInputs& in, const SceneBvh& bvh, const BakeSceneData& d, const BakeParams& p,
                        const TexelSet& ts, float* rgba_sum, float* direct_sum, uint32_t* samples,
                        uint32_t* texel_rays, BakeOutput& out, const JobControl& ctl) {
  const DeviceSceneBvh* dev = nullptr;
  Status st = device_scene_bvh(bvh, dev);
  if (st != Status::Ok) return st;
  // The first pass traces the whole set (the baked texels, then the scene-mean texels outside them), later passes
  // only the baked texels [0, baked) that have not stopped, as on the CPU.
  const uint32_t n = uint32_t(ts.page.size()), baked = uint32_t(ts.baked);
  DeviceBuffer<int32_t> d_tmat;
  DeviceBuffer<BakeMaterial> d_mat;
  DeviceBuffer<BakeLight> d_lights;
  DeviceBuffer<EmitterTri> d_em;
  DeviceBuffer<float> d_cdf, d_pos, d_nrm, d_sum, d_direct, d_uv0, d_color, d_lut;
  DeviceBuffer<BakeTexture> d_tex;
  DeviceBuffer<uint8_t> d_texels;
  DeviceBuffer<double> d_l2;
  DeviceBuffer<uint32_t> d_samples, d_rays, d_ordinal, d_portal_cells, d_sun_cells;
  DeviceBuffer<float> d_portal_share, d_portal_cdf, d_sun_cdf;
  DeviceBuffer<uint8_t> d_active;
  DeviceBuffer<unsigned long long> d_counters;
  // The final gather's lightmap (bake/lightmap_lookup.h): its pages in one buffer, a device pointer per page, and the
  // per-triangle UV1 and page it is read through.
  DeviceBuffer<float> d_gather, d_uv1, d_texel;
  DeviceBuffer<const float*> d_gather_pages;
  DeviceBuffer<int32_t> d_tpage;
  DeviceBuffer<uint32_t> d_page_w, d_page_h;
  if (in.gather_pages && in.triangle_uv1 && in.triangle_page) {
    uint64_t total = 0;
    for (uint32_t pg = 0; pg < in.page_count; ++pg) total += 4ull * in.page_width[pg] * in.page_height[pg];
    OTE_CUDA_TRY(d_gather.allocate(total));
    std::vector<const float*> pages(in.page_count);
    uint64_t at = 0;
    for (uint32_t pg = 0; pg < in.page_count; ++pg) {
      const uint64_t len = 4ull * in.page_width[pg] * in.page_height[pg];
      pages[pg] = d_gather.ptr + at;
      if (len)
        OTE_CUDA_TRY(cudaMemcpy(d_gather.ptr + at, in.gather_pages[pg], len * sizeof(float), cudaMemcpyHostToDevice));
      at += len;
    }
    OTE_CUDA_TRY(d_gather_pages.upload(pages.data(), pages.size()));
    OTE_CUDA_TRY(d_uv1.upload(in.triangle_uv1, 6ull * in.flat->triangle_count));
    OTE_CUDA_TRY(d_tpage.upload(in.triangle_page, in.flat->triangle_count));
    OTE_CUDA_TRY(d_page_w.upload(in.page_width, in.page_count));
    OTE_CUDA_TRY(d_page_h.upload(in.page_height, in.page_count));
    OTE_CUDA_TRY(d_texel.upload(d.triangle_texel.data(), d.triangle_texel.size()));
  }
  if (in.triangle_material) OTE_CUDA_TRY(d_tmat.upload(in.triangle_material, in.flat->triangle_count));
  OTE_CUDA_TRY(d_mat.upload(in.materials, in.material_count));
  OTE_CUDA_TRY(d_lights.upload(in.lights, in.light_count));
  OTE_CUDA_TRY(d_em.upload(d.emitters.data(), d.emitters.size()));
  OTE_CUDA_TRY(d_cdf.upload(d.emitter_cdf.data(), d.emitter_cdf.size()));
  OTE_CUDA_TRY(d_portal_share.upload(d.portal_share.data(), d.portal_share.size()));
  OTE_CUDA_TRY(d_portal_cells.upload(d.portal_cells.data(), d.portal_cells.size()));
  OTE_CUDA_TRY(d_portal_cdf.upload(d.portal_cdf.data(), d.portal_cdf.size()));
  OTE_CUDA_TRY(d_sun_cells.upload(d.sun_cells.data(), d.sun_cells.size()));
  OTE_CUDA_TRY(d_sun_cdf.upload(d.sun_cdf.data(), d.sun_cdf.size()));
  // The flat texture table and the attributes it is read through, as on the host.
  if (in.triangle_uv0) OTE_CUDA_TRY(d_uv0.upload(in.triangle_uv0, 6ull * in.flat->triangle_count));
  if (in.triangle_color) OTE_CUDA_TRY(d_color.upload(in.triangle_color, 9ull * in.flat->triangle_count));
  if (in.texture_count) OTE_CUDA_TRY(d_tex.upload(in.textures, in.texture_count));
  if (in.texel_bytes) OTE_CUDA_TRY(d_texels.upload(in.texels, in.texel_bytes));
  OTE_CUDA_TRY(d_lut.upload(srgb_to_linear_table(), 256));
  OTE_CUDA_TRY(d_pos.upload(ts.position.data(), ts.position.size()));
  OTE_CUDA_TRY(d_nrm.upload(ts.normal.data(), ts.normal.size()));
  OTE_CUDA_TRY(d_ordinal.upload(ts.ordinal.data(), ts.ordinal.size()));
  OTE_CUDA_TRY(d_rays.allocate(n));
  OTE_CUDA_TRY(d_sum.allocate(4ull * n));
  OTE_CUDA_TRY(d_direct.allocate(3ull * n));
  OTE_CUDA_TRY(d_l2.allocate(n));
  OTE_CUDA_TRY(d_samples.allocate(n));
  OTE_CUDA_TRY(d_active.allocate(n));
  OTE_CUDA_TRY(d_counters.allocate(2));
  if (n) {
    OTE_CUDA_TRY(cudaMemset(d_sum.ptr, 0, 4ull * n * sizeof(float)));
    OTE_CUDA_TRY(cudaMemset(d_direct.ptr, 0, 3ull * n * sizeof(float)));
    OTE_CUDA_TRY(cudaMemset(d_l2.ptr, 0, n * sizeof(double)));
    OTE_CUDA_TRY(cudaMemset(d_samples.ptr, 0, n * sizeof(uint32_t)));
    OTE_CUDA_TRY(cudaMemset(d_rays.ptr, 0, n * sizeof(uint32_t)));
    OTE_CUDA_TRY(cudaMemset(d_active.ptr, 1, n));
  }
  OTE_CUDA_TRY(cudaMemset(d_counters.ptr, 0, 2 * sizeof(unsigned long long)));

  BakeSceneView s = d.view(in, dev->view());
  s.triangle_material = d_tmat.ptr;
  s.materials = d_mat.ptr;
  s.lights = d_lights.ptr;
  s.emitters = d_em.ptr;
  s.emitter_cdf = d_cdf.ptr;
  s.portals.cell_share = d_portal_share.ptr;
  s.portals.portal_cell = d_portal_cells.ptr;
  s.portals.portal_cdf = d_portal_cdf.ptr;
  s.sun.cells = d_sun_cells.ptr;
  s.sun.cdf = d_sun_cdf.ptr;
  s.triangle_uv0 = in.triangle_uv0 ? d_uv0.ptr : nullptr;
  s.triangle_color = in.triangle_color ? d_color.ptr : nullptr;
  s.textures = in.texture_count ? d_tex.ptr : nullptr;
  s.texels = in.texel_bytes ? d_texels.ptr : nullptr;
  s.srgb_to_linear = d_lut.ptr;
  s.instance_camera_hidden = s.triangle_camera_hidden = nullptr;  // host arrays; the bake has no camera rays
  if (s.gather.pages) {
    s.gather.pages = d_gather_pages.ptr;
    s.gather.page_width = d_page_w.ptr;
    s.gather.page_height = d_page_h.ptr;
    s.gather.triangle_uv1 = d_uv1.ptr;
    s.gather.triangle_page = d_tpage.ptr;
    s.gather.triangle_texel = d.triangle_texel.empty() ? nullptr : d_texel.ptr;
  }
  uint64_t texel_samples = 0, remaining = n;
  float scene_mean = 0;
  for (uint32_t s0 = 0; s0 < p.samples && remaining && baked; s0 += p.batch) {
    if (ctl.cancelled()) return Status::Cancelled;
    const uint32_t s1 = s0 + p.batch < p.samples ? s0 + p.batch : p.samples;
    const uint32_t traced = s0 == 0 ? n : baked;
    bake_pass_kernel<<<(traced + kThreads - 1) / kThreads, kThreads>>>(
        s, p.transport, p.seed, d_pos.ptr, d_nrm.ptr, d_ordinal.ptr, traced, s0, s1, d_active.ptr, d_sum.ptr, d_direct.ptr, d_l2.ptr,
        d_samples.ptr, d_rays.ptr, d_counters.ptr);
    OTE_CUDA_TRY(cudaGetLastError());
    texel_samples += remaining * (s1 - s0);
    if (s0 == 0) {
      // The stop rule's scene mean, after the first pass (every texel active), computed on the host as the CPU does.
      OTE_CUDA_TRY(d_sum.download(rgba_sum, 4ull * n));
      OTE_CUDA_TRY(d_samples.download(samples, n));
      scene_mean = texel_step::scene_mean_luminance(rgba_sum, samples, ts.probe.data(), ts.probe.size());
    }
    OTE_CUDA_TRY(cudaMemset(d_counters.ptr + 1, 0, sizeof(unsigned long long)));
    converge_kernel<<<(baked + kThreads - 1) / kThreads, kThreads>>>(baked, p.min_samples, p.noise_threshold, scene_mean,
                                                                      d_sum.ptr, d_l2.ptr, d_samples.ptr, d_active.ptr,
                                                                      d_counters.ptr + 1);
    OTE_CUDA_TRY(cudaGetLastError());
    unsigned long long rem = 0;
    OTE_CUDA_TRY(cudaMemcpy(&rem, d_counters.ptr + 1, sizeof(rem), cudaMemcpyDeviceToHost));
    remaining = rem;
    ctl.report(double(s1) / p.samples);
  }
  OTE_CUDA_TRY(cudaDeviceSynchronize());
  OTE_CUDA_TRY(d_sum.download(rgba_sum, 4ull * n));
  OTE_CUDA_TRY(d_direct.download(direct_sum, 3ull * n));
  OTE_CUDA_TRY(d_samples.download(samples, n));
  OTE_CUDA_TRY(d_rays.download(texel_rays, n));
  unsigned long long rays = 0;
  OTE_CUDA_TRY(cudaMemcpy(&rays, d_counters.ptr, sizeof(rays), cudaMemcpyDeviceToHost));
  out.rays = rays;
  out.texel_samples = texel_samples;
  return Status::Ok;
}

}  // namespace ote
