// CUDA drivers of the ray-tracing core: the device copy of a SceneBvh, batch tracing and the preview renderer.
// Software traversal (H100 has no RT cores) over the same node layout and the same OTE_HD code as the CPU.
#include <algorithm>
#include <vector>

#include "cuda_check.h"
#include "ote/bvh/scene_bvh.h"
#include "ote/ray/render.h"
#include "ote/ray/traverse.h"

namespace ote {
namespace {

constexpr int kThreads = 128;

template <typename V>
cudaError_t upload_raw(void*& dst, const V& src) {
  using T = typename V::value_type;
  dst = nullptr;
  if (src.empty()) return cudaSuccess;
  cudaError_t e = cudaMalloc(&dst, src.size() * sizeof(T));
  if (e != cudaSuccess) return e;
  return cudaMemcpy(dst, src.data(), src.size() * sizeof(T), cudaMemcpyHostToDevice);
}

__global__ void trace_kernel(SceneBvhView v, const float* org, const float* dir, const float* tmin, const float* tmax,
                             float tmin_all, float tmax_all, uint64_t offset, uint64_t count, uint32_t flags,
                             bool any_hit, float* t_out, uint32_t* prim_out, uint32_t* inst_out, float* bary_out,
                             float* normal_out, uint8_t* occl_out) {
  const uint64_t i = offset + blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  if (i >= offset + count) return;
  Ray r;
  r.org = make_vec3(org[3 * i], org[3 * i + 1], org[3 * i + 2]);
  r.dir = make_vec3(dir[3 * i], dir[3 * i + 1], dir[3 * i + 2]);
  r.tmin = tmin ? tmin[i] : tmin_all;
  r.tmax = tmax ? tmax[i] : tmax_all;
  if (any_hit) {
    if (occl_out) occl_out[i] = trace_any(v, r, flags) ? 1 : 0;
    return;
  }
  Hit h;
  detail::closest_hit(v, r, flags, h, normal_out != nullptr);
  if (t_out) t_out[i] = h.t;
  if (prim_out) prim_out[i] = h.prim;
  if (inst_out) inst_out[i] = h.instance;
  if (bary_out) bary_out[2 * i] = h.u, bary_out[2 * i + 1] = h.v;
  if (normal_out) normal_out[3 * i] = h.ng.x, normal_out[3 * i + 1] = h.ng.y, normal_out[3 * i + 2] = h.ng.z;
}

__global__ void render_kernel(SceneBvhView v, RenderParams p, uint32_t row0, uint32_t rows, float* rgba) {
  // 8x8 pixel blocks keep a warp's primary rays coherent.
  const uint32_t x = blockIdx.x * 8 + (threadIdx.x & 7), y = row0 + blockIdx.y * 8 + (threadIdx.x >> 3);
  if (x >= p.width || y >= row0 + rows || y >= p.height) return;
  render_detail::shade_pixel(v, p, x, y, rgba + 4 * (uint64_t(y - row0) * p.width + x));
}

}  // namespace

DeviceSceneBvh::~DeviceSceneBvh() {
  for (void* b : buffers)
    if (b) cudaFree(b);
}

Status device_scene_bvh(const SceneBvh& bvh, const DeviceSceneBvh*& out) {
  out = nullptr;
  std::lock_guard<std::mutex> lock(bvh.device_mutex_);
  if (!bvh.device_) {
    std::unique_ptr<DeviceSceneBvh> d(new DeviceSceneBvh());
    OTE_CUDA_TRY(upload_raw(d->buffers[0], bvh.blas_nodes));
    OTE_CUDA_TRY(upload_raw(d->buffers[1], bvh.tris));
    OTE_CUDA_TRY(upload_raw(d->buffers[2], bvh.tlas_nodes));
    OTE_CUDA_TRY(upload_raw(d->buffers[3], bvh.instances));
    OTE_CUDA_TRY(upload_raw(d->buffers[4], bvh.slot_instance));
    d->device_view = bvh.view();
    d->device_view.blas_nodes = static_cast<const BvhNode*>(d->buffers[0]);
    d->device_view.tris = static_cast<const BvhTri4*>(d->buffers[1]);
    d->device_view.tlas_nodes = static_cast<const BvhNode*>(d->buffers[2]);
    d->device_view.instances = static_cast<const BvhInstance*>(d->buffers[3]);
    d->device_view.slot_instance = static_cast<const uint32_t*>(d->buffers[4]);
    d->bytes = bvh.stats().bytes;
    bvh.device_ = std::move(d);
  }
  out = bvh.device_.get();
  return Status::Ok;
}

Status trace_rays_cuda(const SceneBvh& bvh, const RayBatch& rays, HitBatch& hits, const JobControl& ctl) {
  const DeviceSceneBvh* dev = nullptr;
  const Status st = device_scene_bvh(bvh, dev);
  if (st != Status::Ok) return st;
  const uint64_t n = rays.count;
  DeviceBuffer<float> d_org, d_dir, d_tmin, d_tmax, d_t, d_bary, d_normal;
  DeviceBuffer<uint32_t> d_prim, d_inst;
  DeviceBuffer<uint8_t> d_occl;
  OTE_CUDA_TRY(d_org.upload(rays.origins, 3 * n));
  OTE_CUDA_TRY(d_dir.upload(rays.directions, 3 * n));
  if (rays.tmin) OTE_CUDA_TRY(d_tmin.upload(rays.tmin, n));
  if (rays.tmax) OTE_CUDA_TRY(d_tmax.upload(rays.tmax, n));
  if (rays.any_hit) {
    if (hits.occluded) OTE_CUDA_TRY(d_occl.allocate(n));
  } else {
    if (hits.t) OTE_CUDA_TRY(d_t.allocate(n));
    if (hits.prim) OTE_CUDA_TRY(d_prim.allocate(n));
    if (hits.instance) OTE_CUDA_TRY(d_inst.allocate(n));
    if (hits.barycentrics) OTE_CUDA_TRY(d_bary.allocate(2 * n));
    if (hits.normal) OTE_CUDA_TRY(d_normal.allocate(3 * n));
  }
  // Launch in slices so that cancellation and progress are seen during a big batch. The timer sees the kernels
  // (and the microseconds between slices), not the uploads and downloads.
  const uint64_t slice = 1ull << 22;
  KernelTimer timer;
  for (uint64_t off = 0; off < n; off += slice) {
    if (ctl.cancelled()) return Status::Cancelled;
    const uint64_t m = std::min(slice, n - off);
    trace_kernel<<<unsigned((m + kThreads - 1) / kThreads), kThreads>>>(
        dev->view(), d_org.ptr, d_dir.ptr, d_tmin.ptr, d_tmax.ptr, rays.tmin_all, rays.tmax_all, off, m, rays.flags,
        rays.any_hit, d_t.ptr, d_prim.ptr, d_inst.ptr, d_bary.ptr, d_normal.ptr, d_occl.ptr);
    OTE_CUDA_TRY(cudaGetLastError());
    OTE_CUDA_TRY(cudaDeviceSynchronize());
    ctl.report(double(off + m) / double(n));
  }
  double kernel_ms = 0.0;
  timer.add_to(&kernel_ms);
  hits.trace_seconds = kernel_ms / 1000.0;
  if (rays.any_hit) {
    if (hits.occluded) OTE_CUDA_TRY(d_occl.download(hits.occluded, n));
  } else {
    if (hits.t) OTE_CUDA_TRY(d_t.download(hits.t, n));
    if (hits.prim) OTE_CUDA_TRY(d_prim.download(hits.prim, n));
    if (hits.instance) OTE_CUDA_TRY(d_inst.download(hits.instance, n));
    if (hits.barycentrics) OTE_CUDA_TRY(d_bary.download(hits.barycentrics, 2 * n));
    if (hits.normal) OTE_CUDA_TRY(d_normal.download(hits.normal, 3 * n));
  }
  return Status::Ok;
}

Status render_view_cuda(const SceneBvh& bvh, const RenderParams& params, float* rgba, const JobControl& ctl) {
  const DeviceSceneBvh* dev = nullptr;
  const Status st = device_scene_bvh(bvh, dev);
  if (st != Status::Ok) return st;
  RenderParams p = params;
  DeviceBuffer<float> d_mat, d_out;
  DeviceBuffer<int32_t> d_tri_mat;
  if (p.material_color && p.material_count) {
    OTE_CUDA_TRY(d_mat.upload(p.material_color, 4ull * p.material_count));
    p.material_color = d_mat.ptr;
  } else {
    p.material_color = nullptr;
  }
  if (p.triangle_material && p.triangle_count) {
    OTE_CUDA_TRY(d_tri_mat.upload(p.triangle_material, p.triangle_count));
    p.triangle_material = d_tri_mat.ptr;
  } else {
    p.triangle_material = nullptr;
  }
  // The surface tables camera rays read (cut-outs, single-sided materials), in device memory.
  DeviceBuffer<BakeMaterial> d_smat;
  DeviceBuffer<BakeTexture> d_stex;
  DeviceBuffer<uint8_t> d_texels;
  DeviceBuffer<float> d_uv0;
  SurfaceView& sv = p.surface;
  sv.triangle_material = p.triangle_material;  // already on the device (or null)
  if (!sv.triangle_material) sv.triangle_count = 0;
  if (sv.materials && sv.material_count) {
    OTE_CUDA_TRY(d_smat.upload(sv.materials, sv.material_count));
    sv.materials = d_smat.ptr;
  } else {
    sv.materials = nullptr, sv.material_count = 0;
  }
  uint64_t texel_bytes = 0;
  for (uint32_t t = 0; t < sv.texture_count; ++t)
    texel_bytes = std::max<uint64_t>(texel_bytes, sv.textures[t].offset + 4ull * sv.textures[t].width * sv.textures[t].height);
  if (sv.textures && sv.texture_count && sv.texels) {
    OTE_CUDA_TRY(d_stex.upload(sv.textures, sv.texture_count));
    OTE_CUDA_TRY(d_texels.upload(sv.texels, texel_bytes));
    sv.textures = d_stex.ptr, sv.texels = d_texels.ptr;
  } else {
    sv.textures = nullptr, sv.texture_count = 0, sv.texels = nullptr;
  }
  if (sv.triangle_uv0 && sv.triangle_count) {
    OTE_CUDA_TRY(d_uv0.upload(sv.triangle_uv0, 6ull * sv.triangle_count));
    sv.triangle_uv0 = d_uv0.ptr;
  } else {
    sv.triangle_uv0 = nullptr;
  }
  sv.triangle_color = nullptr, sv.srgb_to_linear = nullptr;  // colours are not read by the preview's visibility
  OTE_CUDA_TRY(d_out.allocate(4ull * p.width * p.height));
  // Bands of rows, for progress and cancellation.
  const uint32_t band = std::max<uint32_t>(8, (p.height / 16 + 7) / 8 * 8);
  for (uint32_t row0 = 0; row0 < p.height; row0 += band) {
    if (ctl.cancelled()) return Status::Cancelled;
    const uint32_t rows = std::min(band, p.height - row0);
    const dim3 grid((p.width + 7) / 8, (rows + 7) / 8);
    render_kernel<<<grid, 64>>>(dev->view(), p, row0, rows, d_out.ptr + 4ull * row0 * p.width);
    OTE_CUDA_TRY(cudaGetLastError());
    OTE_CUDA_TRY(cudaDeviceSynchronize());
    ctl.report(double(row0 + rows) / double(p.height));
  }
  OTE_CUDA_TRY(d_out.download(rgba, 4ull * p.width * p.height));
  return Status::Ok;
}

}  // namespace ote
