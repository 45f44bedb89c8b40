// CPU drivers of the ray-tracing core: batch tracing and the preview renderer, on the thread pool.
// The per-ray work is the OTE_HD traversal of ray/traverse.h, the same code the CUDA kernels run.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "ote/bvh/scene_bvh.h"
#include "ote/ray/render.h"
#include "ote/ray/traverse.h"
#include "ote/thread_pool.h"

namespace ote {

namespace {

void trace_one(const SceneBvhView& v, const RayBatch& rays, HitBatch& hits, uint64_t i) {
  Ray r;
  r.org = make_vec3(rays.origins[3 * i], rays.origins[3 * i + 1], rays.origins[3 * i + 2]);
  r.dir = make_vec3(rays.directions[3 * i], rays.directions[3 * i + 1], rays.directions[3 * i + 2]);
  r.tmin = rays.tmin ? rays.tmin[i] : rays.tmin_all;
  r.tmax = rays.tmax ? rays.tmax[i] : rays.tmax_all;
  if (rays.any_hit) {
    if (hits.occluded) hits.occluded[i] = trace_any(v, r, rays.flags) ? 1 : 0;
    return;
  }
  Hit h;
  detail::closest_hit(v, r, rays.flags, h, hits.normal != nullptr);
  if (hits.t) hits.t[i] = h.t;
  if (hits.prim) hits.prim[i] = h.prim;
  if (hits.instance) hits.instance[i] = h.instance;
  if (hits.barycentrics) hits.barycentrics[2 * i] = h.u, hits.barycentrics[2 * i + 1] = h.v;
  if (hits.normal) hits.normal[3 * i] = h.ng.x, hits.normal[3 * i + 1] = h.ng.y, hits.normal[3 * i + 2] = h.ng.z;
}

// The hot loops are compiled twice on x86-64: for the baseline ISA and for AVX2 + FMA (three-operand forms and
// fused slab tests), picked at run time. `flatten` inlines the whole OTE_HD traversal into each variant, so no
// out-of-line copy is shared between them.
#if defined(__x86_64__) && defined(__GNUC__)
#define OTE_RAYS_AVX2 1
__attribute__((target("avx2,fma"), flatten)) void trace_range_avx2(const SceneBvhView& v, const RayBatch& rays,
                                                                    HitBatch& hits, uint64_t b, uint64_t e) {
  for (uint64_t i = b; i < e; ++i) trace_one(v, rays, hits, i);
}
__attribute__((target("avx2,fma"), flatten)) void render_range_avx2(const SceneBvhView& v, const RenderParams& p,
                                                                     float* rgba, uint32_t x0, uint32_t y0) {
  for (uint32_t y = y0; y < std::min(p.height, y0 + 8); ++y)
    for (uint32_t x = x0; x < std::min(p.width, x0 + 8); ++x)
      render_detail::shade_pixel(v, p, x, y, rgba + 4 * (uint64_t(y) * p.width + x));
}
bool use_avx2() {
  // OTE_NO_AVX2=1 forces the baseline path (to compare the two, or to match another machine's results).
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !std::getenv("OTE_NO_AVX2");
  return ok;
}
#endif

__attribute__((flatten)) void trace_range(const SceneBvhView& v, const RayBatch& rays, HitBatch& hits, uint64_t b,
                                          uint64_t e) {
#ifdef OTE_RAYS_AVX2
  if (use_avx2()) return trace_range_avx2(v, rays, hits, b, e);
#endif
  for (uint64_t i = b; i < e; ++i) trace_one(v, rays, hits, i);
}

__attribute__((flatten)) void render_range(const SceneBvhView& v, const RenderParams& p, float* rgba, uint32_t x0,
                                           uint32_t y0) {
#ifdef OTE_RAYS_AVX2
  if (use_avx2()) return render_range_avx2(v, p, rgba, x0, y0);
#endif
  for (uint32_t y = y0; y < std::min(p.height, y0 + 8); ++y)
    for (uint32_t x = x0; x < std::min(p.width, x0 + 8); ++x)
      render_detail::shade_pixel(v, p, x, y, rgba + 4 * (uint64_t(y) * p.width + x));
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
