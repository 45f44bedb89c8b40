// CPU drivers of the ray-tracing core: batch tracing and the preview renderer, on the thread pool.
// The per-ray work is the OTE_HD traversal of ray/traverse.h, the same code the CUDA kernels run.
#include <algorithm>
#include <cmath>

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
  trace_closest(v, r, rays.flags, h);
  if (hits.t) hits.t[i] = h.t;
  if (hits.prim) hits.prim[i] = h.prim;
  if (hits.instance) hits.instance[i] = h.instance;
  if (hits.barycentrics) hits.barycentrics[2 * i] = h.u, hits.barycentrics[2 * i + 1] = h.v;
  if (hits.normal) hits.normal[3 * i] = h.ng.x, hits.normal[3 * i + 1] = h.ng.y, hits.normal[3 * i + 2] = h.ng.z;
}

}  // namespace

Status trace_rays_cpu(const SceneBvh& bvh, const RayBatch& rays, HitBatch& hits, const JobControl& ctl) {
  const SceneBvhView v = bvh.view();
  return parallel_for(rays.count, 4096, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) trace_one(v, rays, hits, i);
  }, ctl);
}

Status render_view_cpu(const SceneBvh& bvh, const RenderParams& p, float* rgba, const JobControl& ctl) {
  const SceneBvhView v = bvh.view();
  // 8x8 tiles: neighbouring primary rays share BVH nodes in cache.
  const uint32_t tw = (p.width + 7) / 8, th = (p.height + 7) / 8;
  return parallel_for(uint64_t(tw) * th, 1, [&](uint64_t b, uint64_t e) {
    for (uint64_t tile = b; tile < e; ++tile) {
      const uint32_t x0 = uint32_t(tile % tw) * 8, y0 = uint32_t(tile / tw) * 8;
      for (uint32_t y = y0; y < std::min(p.height, y0 + 8); ++y)
        for (uint32_t x = x0; x < std::min(p.width, x0 + 8); ++x)
          render_detail::shade_pixel(v, p, x, y, rgba + 4 * (uint64_t(y) * p.width + x));
    }
  }, ctl);
}

}  // namespace ote
