// The reference renderer on the CPU: path-traced or lightmapped camera views (bake.h render_reference). Its own
// translation unit because its `flatten` pixel loop inlines the whole OTE_HD transport, as trace_texels does in
// bake_lightmap_cpu.cpp: GCC's register liveness on either takes about a minute, and two files build in parallel.
#include <algorithm>
#include <cmath>

#include "ote/bake/bake.h"
#include "ote/bake/lightmap_lookup.h"
#include "ote/bake/surface.h"
#include "ote/bake/transport.h"
#include "ote/thread_pool.h"

namespace ote {

Status render_reference(const BakeInputs& in, const SceneBvh& bvh, const ReferenceView& v, ReferenceMode mode,
                        const TransportParams& tp, float* rgba, Backend backend, const JobControl& ctl) {
  // The CPU renders both modes; the reference renderer is a measuring tool, not a throughput path.
  (void)backend;
  if (!in.flat || (mode == ReferenceMode::Lightmapped && (!v.pages || !in.triangle_uv1 || !in.triangle_page)))
    return Status::InvalidArgument;
  BakeSceneData data;
  gather_emitters(in, data);
  if (mode == ReferenceMode::PathTraced && tp.sky_portals) {
    const Status st = find_sky_portals(in, bvh.view(), data, ctl);
    if (st != Status::Ok) return st;
    if (tp.sun_vertices) find_sun_portals(in, data);
  }
  const BakeSceneView s = data.view(in, bvh.view());
  // The lightmapped mode reads the baked pages as the bake's final gather does (bake/lightmap_lookup.h).
  const LightmapView lm{v.pages,         in.page_width,   in.page_height,          in.page_count,
                        in.triangle_uv1, in.triangle_page, in.flat->triangle_count, nullptr};
  const float* m = v.camera_to_world;
  const Vec3 eye = make_vec3(m[12], m[13], m[14]);
  const float th = tanf(0.5f * v.yfov), aspect = float(v.width) / float(v.height);
  const uint32_t spp = v.spp ? v.spp : 1, strata = uint32_t(std::sqrt(double(spp)));
  const uint32_t row_end = v.row_end ? std::min(v.row_end, v.height) : v.height;
  if (v.row_begin >= row_end) return Status::InvalidArgument;
  const uint64_t first = uint64_t(v.row_begin) * v.width;
  // `flatten`: the transport and the traversal inlined into the pixel loop, as in trace_texels.
  return parallel_for(uint64_t(v.width) * (row_end - v.row_begin), 256, [&](uint64_t b, uint64_t e) __attribute__((flatten)) {
    uint32_t rays = 0;
    for (uint64_t px = first + b; px < first + e; ++px) {
      const uint32_t x = uint32_t(px % v.width), y = uint32_t(px / v.width);
      const uint32_t rays_before = rays;
      float acc[4] = {0, 0, 0, 0};
      // The pixel's samples stratify the first vertex's lighting decisions among themselves (ote/qmc.h).
      const uint32_t seq_seed = transport::sequence_seed(v.seed, uint32_t(px));
      for (uint32_t k = 0; k < spp; ++k) {
        uint32_t rng = transport::sample_seed(v.seed, uint32_t(px), k);
        float jx = transport::rnd(rng), jy = transport::rnd(rng);
        if (k < strata * strata) jx = (float(k % strata) + jx) / float(strata), jy = (float(k / strata) + jy) / float(strata);
        // Lighting samples use their own stream, so both modes see the same camera rays.
        uint32_t lrng = transport::sample_seed(v.seed ^ 0x5bd1e995u, uint32_t(px), k);
        const qmc::Sample seq{k, seq_seed};
        const Vec3 dc = make_vec3((2.0f * (float(x) + jx) / float(v.width) - 1.0f) * th * aspect,
                                  (1.0f - 2.0f * (float(y) + jy) / float(v.height)) * th, -1.0f);
        const float dlen = length(dc);
        const Vec3 dir = transform_vector(m, dc) * (1.0f / dlen);
        Hit h;
        // What a camera sees: past alpha cut-outs and back faces of single-sided materials (bake/surface.h).
        if (!surf::trace_visible(s.bvh, s, make_ray(eye, dir, v.znear * dlen, v.zfar * dlen), true, rng, h)) {
          for (int c = 0; c < 3; ++c) acc[c] += v.background[c];
          continue;
        }
        const BakeMaterial& mat = transport::material_of(s, h.prim);
        const bool front = dot(h.ng, dir) < 0.0f;
        Vec3 albedo, emission;
        transport::surface(s, mat, h.prim, h.u, h.v, albedo, emission);
        Vec3 col = emission;  // a back face reached here is double-sided
        const Vec3 nf = front ? h.ng : -h.ng;
        Vec3 L = make_vec3(0, 0, 0);
        if (mode == ReferenceMode::PathTraced) {
          const Vec3 pos = eye + dir * h.t;
          L = transport::incident(s, tp, pos, shading_normal(in, h.prim, h.instance, h.u, h.v, nf), lrng, nullptr, &rays, nullptr, &seq);
        } else {
          lightmap::lookup(lm, h.prim, h.u, h.v, L);
        }
        col = col + albedo * L;
        if (std::isfinite(col.x) && std::isfinite(col.y) && std::isfinite(col.z))
          acc[0] += col.x, acc[1] += col.y, acc[2] += col.z;
        acc[3] += 1;
      }
      for (int c = 0; c < 4; ++c) rgba[4 * (px - first) + c] = acc[c] / float(spp);
      if (v.pixel_rays) v.pixel_rays[px - first] = rays - rays_before + spp;
    }
  }, ctl);
}

}  // namespace ote
