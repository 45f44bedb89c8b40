// CPU drivers of the ray-tracing core: batch tracing and the preview renderer, on the thread pool.
// The per-ray work is the OTE_HD traversal of ray/traverse.h, the same code the CUDA kernels run.
#include <chrono>
#include <cmath>

#include "ote/cpu_simd.h"
#include "ote/thread_pool.h"
#include "trace_cpu_loops.h"

namespace ote {

namespace {

void trace_range(const SceneBvhView& v, const RayBatch& rays, HitBatch& hits, uint64_t b, uint64_t e) {
#if defined(OTE_AVX2_TU)
  if (use_simd_avx2()) return trace_range_avx2(v, rays, hits, b, e);
#endif
  trace_loop(v, rays, hits, b, e);
}

void render_range(const SceneBvhView& v, const RenderParams& p, float* rgba, uint32_t x0, uint32_t y0) {
#if defined(OTE_AVX2_TU)
  if (use_simd_avx2()) return render_range_avx2(v, p, rgba, x0, y0);
#endif
  render_tile(v, p, rgba, x0, y0);
}

}  // namespace

Status trace_rays_cpu(const SceneBvh& bvh, const RayBatch& rays, HitBatch& hits, const JobControl& ctl) {
  const SceneBvhView v = bvh.view();
  const auto t0 = std::chrono::steady_clock::now();
  const Status st = parallel_for(rays.count, 4096, [&](uint64_t b, uint64_t e) { trace_range(v, rays, hits, b, e); }, ctl);
  hits.trace_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

Status render_view_cpu(const SceneBvh& bvh, const RenderParams& p, float* rgba, const JobControl& ctl) {
  const SceneBvhView v = bvh.view();
  // 8x8 tiles: neighbouring primary rays share BVH nodes in cache.
  const uint32_t tw = (p.width + 7) / 8, th = (p.height + 7) / 8;
  return parallel_for(uint64_t(tw) * th, 1, [&](uint64_t b, uint64_t e) {
    for (uint64_t tile = b; tile < e; ++tile) {
      render_range(v, p, rgba, uint32_t(tile % tw) * 8, uint32_t(tile / tw) * 8);
    }
  }, ctl);
}

}  // namespace ote
