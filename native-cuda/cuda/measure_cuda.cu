// CUDA driver for measure_triangles: one block per chunk of an instance's triangles, the same chunking and
// the same measure_instance_triangle() as the CPU driver; partials are reduced on the host in chunk order.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cuda_check.h"
#include "ote/measure.h"
#include "ote/measure_chunks.h"
#include "ote/triangle_measure.h"

namespace ote {
namespace {

constexpr int kThreads = 256;
using Chunk = MeasureChunk;
using Partial = MeasurePartial;

__global__ void measure_chunks(const float* positions, const uint32_t* indices, const uint32_t* mesh_first,
                               const uint32_t* instance_mesh, const float* transforms, const Chunk* chunks,
                               uint32_t chunk_offset, float* tri_area, float* tri_normal, Partial* partials) {
  const Chunk c = chunks[chunk_offset + blockIdx.x];
  const float* m = transforms + 16ull * c.instance;
  const uint32_t base = mesh_first[instance_mesh[c.instance]];
  double area = 0;
  float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  uint32_t degenerate = 0;
  for (uint32_t t = c.begin + threadIdx.x; t < c.end; t += blockDim.x) {
    const TriangleMeasure tm = measure_instance_triangle(positions, indices, m, base + t);
    const uint64_t slot = c.first_slot + (t - c.begin);
    if (tri_area) tri_area[slot] = tm.area;
    if (tri_normal) {
      tri_normal[3 * slot] = tm.normal.x;
      tri_normal[3 * slot + 1] = tm.normal.y;
      tri_normal[3 * slot + 2] = tm.normal.z;
    }
    if (tm.degenerate) {
      ++degenerate;
      continue;
    }
    area += tm.area;
    lo[0] = fminf(lo[0], tm.lo.x), lo[1] = fminf(lo[1], tm.lo.y), lo[2] = fminf(lo[2], tm.lo.z);
    hi[0] = fmaxf(hi[0], tm.hi.x), hi[1] = fmaxf(hi[1], tm.hi.y), hi[2] = fmaxf(hi[2], tm.hi.z);
  }
  // Fixed-shape tree reduction: the same launch gives the same sums every run.
  __shared__ double s_area[kThreads];
  __shared__ float s_lo[3][kThreads], s_hi[3][kThreads];
  __shared__ uint32_t s_deg[kThreads];
  const int i = threadIdx.x;
  s_area[i] = area, s_deg[i] = degenerate;
  for (int a = 0; a < 3; ++a) s_lo[a][i] = lo[a], s_hi[a][i] = hi[a];
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride >>= 1) {
    if (i < stride) {
      s_area[i] += s_area[i + stride];
      s_deg[i] += s_deg[i + stride];
      for (int a = 0; a < 3; ++a) {
        s_lo[a][i] = fminf(s_lo[a][i], s_lo[a][i + stride]);
        s_hi[a][i] = fmaxf(s_hi[a][i], s_hi[a][i + stride]);
      }
    }
    __syncthreads();
  }
  if (i == 0) {
    Partial p;
    p.area = s_area[0];
    p.degenerate = s_deg[0];
    for (int a = 0; a < 3; ++a) p.lo[a] = s_lo[a][0], p.hi[a] = s_hi[a][0];
    partials[chunk_offset + blockIdx.x] = p;
  }
}

}  // namespace

Status measure_triangles_cuda(const FlatScene& s, MeasureOutput& out, const JobControl& ctl) {
  std::vector<Chunk> chunks;
  const uint64_t slots = make_measure_chunks(s, chunks);
  DeviceBuffer<float> d_pos, d_xf, d_area, d_normal;
  DeviceBuffer<uint32_t> d_idx, d_mesh_first, d_inst_mesh;
  DeviceBuffer<Chunk> d_chunks;
  DeviceBuffer<Partial> d_partials;
  OTE_CUDA_TRY(d_pos.upload(s.positions, 3ull * s.vertex_count));
  OTE_CUDA_TRY(d_idx.upload(s.indices, 3ull * s.triangle_count));
  OTE_CUDA_TRY(d_mesh_first.upload(s.mesh_first_triangle, s.mesh_count + 1ull));
  OTE_CUDA_TRY(d_inst_mesh.upload(s.instance_mesh, s.instance_count));
  OTE_CUDA_TRY(d_xf.upload(s.instance_transforms, 16ull * s.instance_count));
  OTE_CUDA_TRY(d_chunks.upload(chunks.data(), chunks.size()));
  OTE_CUDA_TRY(d_partials.allocate(chunks.size()));
  if (out.triangle_area) OTE_CUDA_TRY(d_area.allocate(slots));
  if (out.triangle_normal) OTE_CUDA_TRY(d_normal.allocate(3 * slots));

  // Launch in batches so cancellation and progress are seen while a big scene runs.
  const uint32_t batch = 4096;
  for (uint32_t off = 0; off < chunks.size(); off += batch) {
    if (ctl.cancelled()) return Status::Cancelled;
    const uint32_t n = std::min<uint32_t>(batch, uint32_t(chunks.size()) - off);
    measure_chunks<<<n, kThreads>>>(d_pos.ptr, d_idx.ptr, d_mesh_first.ptr, d_inst_mesh.ptr, d_xf.ptr, d_chunks.ptr,
                                    off, d_area.ptr, d_normal.ptr, d_partials.ptr);
    OTE_CUDA_TRY(cudaGetLastError());
    OTE_CUDA_TRY(cudaDeviceSynchronize());
    ctl.report(double(off + n) / double(chunks.size()));
  }
  std::vector<Partial> partials(chunks.size());
  OTE_CUDA_TRY(d_partials.download(partials.data(), partials.size()));
  if (out.triangle_area) OTE_CUDA_TRY(d_area.download(out.triangle_area, slots));
  if (out.triangle_normal) OTE_CUDA_TRY(d_normal.download(out.triangle_normal, 3 * slots));

  reduce_measure_partials(s, chunks, partials, out);
  return Status::Ok;
}

}  // namespace ote
