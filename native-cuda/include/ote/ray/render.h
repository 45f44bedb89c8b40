// The primary-ray preview renderer behind `ote render` and renderView(): camera rays are generated and shaded in
// native code (never one N-API call per ray), by the same OTE_HD functions on the CPU and in the CUDA kernel.
#pragma once
#include "../random.h"
#include "../sampling.h"
#include <math.h>
#include <stdint.h>

#include "../bake/surface.h"
#include "../bvh/scene_bvh.h"
#include "traverse.h"

namespace ote {

enum class RenderMode : int { Albedo = 0, Normals = 1, AmbientOcclusion = 2, Shaded = 3, Depth = 4 };

// Defaults are the member initializers; ranges and cross-field rules are checked once, on the host
// (ray/render_options.h: kRenderViewOptions, check_render_params), before render_view dispatches.
struct RenderParams {
  float camera_to_world[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};  // column-major, rigid; the camera
                                                                              // looks down its local -Z, +Y up (glTF)
  float yfov = 0.8f;          // vertical field of view, radians, in (0, pi)
  uint32_t width = 0, height = 0;  // pixels, each in [1, 32768]; no default
  float znear = 1e-3f, zfar = INFINITY;  // 0 <= znear < zfar
  RenderMode mode = RenderMode::Albedo;
  uint32_t spp = 1;           // samples per pixel (stratified jitter; 1 = pixel centres)
  uint32_t ao_samples = 8;    // hemisphere rays per camera sample for AmbientOcclusion and Shaded
  float ao_distance = 1.0f;   // occluders farther than this do not darken
  uint32_t seed = 0;
  float sun_dir[3] = {0.36f, 0.85f, 0.39f};  // Shaded: direction towards the key light, world space (render_view
                                             // normalizes it; it must not be zero)
  float background[4] = {0, 0, 0, 0};        // linear RGBA of pixels that miss
  // Materials: base colour factor (linear RGBA) per material; per FlatScene triangle the material index (-1 or
  // out of range = default_color). Any may be null.
  const float* material_color = nullptr;
  uint32_t material_count = 0;
  const int32_t* triangle_material = nullptr;
  uint32_t triangle_count = 0;
  float default_color[4] = {0.8f, 0.8f, 0.8f, 0.8f};
  // What camera rays see through, by the rule every renderer shares (bake/surface.h passes_through): alpha
  // cut-outs (materials, UV0 and the base-colour textures' alpha) and back faces of single-sided materials. AO and
  // shadow rays pass cut-outs only. srgb_to_linear is not read. Zero-initialized: opaque and single-sided.
  SurfaceView surface{};
};

// Render into `rgba` (width * height * 4 floats, linear, top row first; alpha = coverage).
Status render_view(const SceneBvh& bvh, const RenderParams& p, float* rgba, Backend backend, const JobControl& ctl);
Status render_view_cpu(const SceneBvh& bvh, const RenderParams& p, float* rgba, const JobControl& ctl);
Status render_view_cuda(const SceneBvh& bvh, const RenderParams& p, float* rgba, const JobControl& ctl);

namespace render_detail {

using ::ote::pcg_hash;  // ote/random.h
using ::ote::rand01;

OTE_HD OTE_INLINE Vec3 normalize(Vec3 v) { return v * (1.0f / length(v)); }

using ::ote::basis;  // ote/sampling.h
using ::ote::cosine_hemisphere;

// Shade one pixel: average of p.spp jittered camera samples. Writes 4 floats.
OTE_HD OTE_INLINE void shade_pixel(const SceneBvhView& s, const RenderParams& p, uint32_t x, uint32_t y,
                                   float* out) {
  const float* m = p.camera_to_world;
  const Vec3 eye = make_vec3(m[12], m[13], m[14]);
  const float th = tanf(0.5f * p.yfov), aspect = float(p.width) / float(p.height);
  const uint32_t spp = p.spp ? p.spp : 1;
  const uint32_t strata = uint32_t(sqrtf(float(spp)));
  float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  uint32_t rng = pcg_hash(p.seed ^ pcg_hash(y * p.width + x));
  for (uint32_t k = 0; k < spp; ++k) {
    float jx = 0.5f, jy = 0.5f;
    if (spp > 1) {
      jx = rand01(rng), jy = rand01(rng);
      if (k < strata * strata) jx = (float(k % strata) + jx) / float(strata), jy = (float(k / strata) + jy) / float(strata);
    }
    const Vec3 dc = make_vec3((2.0f * (float(x) + jx) / float(p.width) - 1.0f) * th * aspect,
                              (1.0f - 2.0f * (float(y) + jy) / float(p.height)) * th, -1.0f);
    const float dlen = length(dc);
    const Vec3 dir = transform_vector(m, dc) * (1.0f / dlen);
    Hit h;
    if (!surf::trace_visible(s, p.surface, make_ray(eye, dir, p.znear * dlen, p.zfar * dlen), true, rng, h)) {
      for (int c = 0; c < 4; ++c) acc[c] += p.background[c];
      continue;
    }
    const bool front = dot(h.ng, dir) < 0.0f;
    const Vec3 nf = front ? h.ng : -h.ng;  // the side the camera sees
    float albedo[3] = {p.default_color[0], p.default_color[1], p.default_color[2]};
    if (p.triangle_material && h.prim < p.triangle_count && p.material_color) {
      const int32_t mat = p.triangle_material[h.prim];
      if (mat >= 0 && uint32_t(mat) < p.material_count)
        for (int c = 0; c < 3; ++c) albedo[c] = p.material_color[4 * mat + c];
    }
    float rgb[3];
    if (p.mode == RenderMode::Albedo) {
      for (int c = 0; c < 3; ++c) rgb[c] = albedo[c];
    } else if (p.mode == RenderMode::Normals) {
      rgb[0] = 0.5f * h.ng.x + 0.5f, rgb[1] = 0.5f * h.ng.y + 0.5f, rgb[2] = 0.5f * h.ng.z + 0.5f;
    } else if (p.mode == RenderMode::Depth) {
      rgb[0] = rgb[1] = rgb[2] = h.t / dlen;  // distance along the view axis (dir is unit, dc.z = -1)
    } else {
      const Vec3 pos = eye + dir * h.t;
      // Offset the secondary origins along the normal, scaled to the magnitude of the hit point.
      const float eps = 1e-4f * max_nn(1.0f, max_nn(fabsf(pos.x), max_nn(fabsf(pos.y), fabsf(pos.z))));
      const Vec3 org = pos + nf * eps;
      float ao = 1.0f;
      if (p.ao_samples) {
        uint32_t open = 0;
        for (uint32_t a = 0; a < p.ao_samples; ++a) {
          const float u1 = rand01(rng), u2 = rand01(rng);
          if (!surf::occluded(s, p.surface, make_ray(org, cosine_hemisphere(nf, u1, u2), 0.0f, p.ao_distance), rng)) ++open;
        }
        ao = float(open) / float(p.ao_samples);
      }
      if (p.mode == RenderMode::AmbientOcclusion) {
        rgb[0] = rgb[1] = rgb[2] = ao;
      } else {
        const Vec3 l = make_vec3(p.sun_dir[0], p.sun_dir[1], p.sun_dir[2]);
        float direct = max_nn(0.0f, dot(nf, l));
        if (direct > 0.0f && surf::occluded(s, p.surface, make_ray(org, l, 0.0f, INFINITY), rng)) direct = 0.0f;
        const float light = 0.35f * ao + 0.8f * direct;
        for (int c = 0; c < 3; ++c) rgb[c] = albedo[c] * light;
      }
    }
    for (int c = 0; c < 3; ++c) acc[c] += rgb[c];
    acc[3] += 1.0f;
  }
  const float inv = 1.0f / float(spp);
  for (int c = 0; c < 4; ++c) out[c] = acc[c] * inv;
}

}  // namespace render_detail
}  // namespace ote
