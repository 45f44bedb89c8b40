// The per-ray and per-tile loops of the CPU batch tracer and preview renderer, included by trace_cpu.cpp (baseline
// ISA) and trace_cpu_avx2.cpp (AVX2 + FMA): one source, compiled once per instruction set. `flatten` inlines the
// whole OTE_HD traversal into each copy.
#pragma once
#include <algorithm>

#include "ote/bvh/scene_bvh.h"
#include "ote/ray/render.h"
#include "ote/ray/traverse.h"

namespace ote {
namespace {

inline void trace_one(const SceneBvhView& v, const RayBatch& rays, HitBatch& hits, uint64_t i) {
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

__attribute__((flatten)) inline void trace_loop(const SceneBvhView& v, const RayBatch& rays, HitBatch& hits, uint64_t b,
                                                uint64_t e) {
  for (uint64_t i = b; i < e; ++i) trace_one(v, rays, hits, i);
}

// One 8x8 tile of the preview.
__attribute__((flatten)) inline void render_tile(const SceneBvhView& v, const RenderParams& p, float* rgba, uint32_t x0,
                                                 uint32_t y0) {
  for (uint32_t y = y0; y < std::min(p.height, y0 + 8); ++y)
    for (uint32_t x = x0; x < std::min(p.width, x0 + 8); ++x)
      render_detail::shade_pixel(v, p, x, y, rgba + 4 * (uint64_t(y) * p.width + x));
}

}  // namespace

// trace_cpu_avx2.cpp (built only where OTE_AVX2_TU is defined).
void trace_range_avx2(const SceneBvhView& v, const RayBatch& rays, HitBatch& hits, uint64_t b, uint64_t e);
void render_range_avx2(const SceneBvhView& v, const RenderParams& p, float* rgba, uint32_t x0, uint32_t y0);

}  // namespace ote
