// Materials and textures as rays see them, written once (OTE_HD) for the bake transport (bake/transport.h), the
// reference renderer (bake_lightmap_cpu.cpp) and the preview renderer (ray/render.h):
//
//   - what a hit looks like: the Lambertian albedo the transport uses (glTF metal/rough folded in as Unity's
//     lightmapper meta pass does) and the emission, with textures;
//   - whether a hit is there at all for a given ray (`passes_through`): alpha cut-outs (MASK, BLEND as coverage)
//     for every ray, and back faces of single-sided materials for camera rays only. Light transport (bounce and
//     shadow rays) treats back faces as occluders, as Unity's and Unreal's bakers do: a single-sided wall still
//     casts its shadow and stops light leaking through it; only what a camera sees follows the engine's culling.
//     Lighting-only geometry (Unity's "Shadows Only" renderers) is absent for camera rays and there for every
//     other: the splat stage renders the objects it trains lit and shadowed by the rest of the scene this way.
//
//   Hit h;
//   if (surf::trace_visible(bvh, s, make_ray(eye, dir), /*camera=*/true, rng, h)) ...  // skips cut-outs, back faces
//   bool blocked = surf::occluded(bvh, s, shadow_ray, rng);                            // any-hit when nothing cuts out
#pragma once
#include <math.h>
#include <stdint.h>

#include "../hd.h"
#include "../random.h"
#include "../ray/traverse.h"
#include "../vec3.h"

namespace ote {

// A texture bound to a material: an index into SurfaceView::textures and the KHR_texture_transform as a 2x3 affine
// map of UV0, (u', v') = (m[0] u + m[1] v + m[2], m[3] u + m[4] v + m[5]).
struct BakeTextureRef {
  int32_t texture;  // -1 = none
  float uv_transform[6];
};

enum BakeAlphaMode : uint32_t { kAlphaOpaque = 0, kAlphaMask = 1, kAlphaBlend = 2 };

struct BakeMaterial {
  float albedo[3];    // base colour factor, linear RGB (× base-colour texture × vertex colour at a point)
  float emission[3];  // emissive factor × strength, radiance (× texture at a point)
  uint32_t double_sided;
  // Defaults: untextured, dielectric, opaque, so that {albedo, emission, double_sided} initializers still mean a
  // plain Lambertian of that albedo.
  BakeTextureRef base_color_texture{-1, {1, 0, 0, 0, 1, 0}};
  BakeTextureRef emissive_texture{-1, {1, 0, 0, 0, 1, 0}};
  // glTF metal/rough: factors × the metallicRoughness texture, read LINEAR (B = metallic, G = perceptual roughness).
  float metallic = 0.0f, roughness = 1.0f;
  BakeTextureRef metallic_roughness_texture{-1, {1, 0, 0, 0, 1, 0}};
  // Coverage = alpha factor × base-colour texture alpha (linear). MASK: absent where coverage < alpha_cutoff;
  // BLEND: absent with probability 1 − coverage (stochastic, from the ray's own random stream); OPAQUE: always there.
  float alpha = 1.0f;
  uint32_t alpha_mode = kAlphaOpaque;
  float alpha_cutoff = 0.5f;
};

// One texture of the flat texture table: RGBA8 texels at `offset` in SurfaceView::texels, row-major, top row first
// (glTF UV (0,0) = first texel). Sampled bilinearly with repeat wrapping (the glTF default sampler). Colour
// textures (base colour, emission) are sRGB and decoded to linear before filtering; metallicRoughness and every
// alpha channel are linear.
struct BakeTexture {
  uint32_t width, height;
  uint64_t offset;  // bytes
};

// What a hit's appearance and presence read: per FlatScene triangle its material and optional UV0/colours, the
// material table and the texture table. Pointers are host or device memory, as the tracer runs.
struct SurfaceView {
  const int32_t* triangle_material;  // per FlatScene triangle; -1 = default material
  uint32_t triangle_count;
  const BakeMaterial* materials;
  uint32_t material_count;
  BakeMaterial default_material;
  // Optional per FlatScene triangle: UV0 corners (6 floats) for textures, linear vertex colours (9 floats, RGB)
  // that multiply the base colour. nullptr = none.
  const float* triangle_uv0;
  const float* triangle_color;
  const BakeTexture* textures;
  uint32_t texture_count;
  const uint8_t* texels;
  const float* srgb_to_linear;  // 256 entries; only colours read it (coverage does not: the preview leaves it null)
  // Some material has alpha MASK or BLEND: visibility must look at coverage. 0 keeps shadow rays on the any-hit path.
  uint32_t cutout;
  // Optional (nullptr = none), lighting-only geometry that camera rays pass through: 1 per FlatScene instance
  // hidden, or 1 per FlatScene triangle hidden (the form a world-flattened scene carries; bake.h BakeInputs).
  const uint8_t* instance_camera_hidden = nullptr;
  const uint8_t* triangle_camera_hidden = nullptr;
};

namespace surf {

// Layers a ray passes through (cut-outs, culled back faces) before the next hit counts as opaque.
constexpr int kMaxLayers = 16;
// Lighting-only surfaces a camera ray passes through before it counts as a miss (they never show, and a camera
// placed outside a building looks through several walls).
constexpr int kMaxHiddenLayers = 256;

OTE_HD OTE_INLINE Vec3 v3(const float* f) { return make_vec3(f[0], f[1], f[2]); }

OTE_HD OTE_INLINE const BakeMaterial& material_of(const SurfaceView& s, uint32_t prim) {
  if (s.triangle_material && prim < s.triangle_count) {
    const int32_t m = s.triangle_material[prim];
    if (m >= 0 && uint32_t(m) < s.material_count) return s.materials[m];
  }
  return s.default_material;
}

struct Rgba {
  Vec3 rgb;
  float a;
};

// Bilinear, repeat-wrapped lookup at UV0 (u0, v0) through the ref's transform. RGB is decoded through `lut` (sRGB
// → linear) or read linear when lut is null; alpha is always linear. Unbound or unusable: white, alpha 1.
OTE_HD OTE_INLINE Rgba sample_texture(const SurfaceView& s, const BakeTextureRef& ref, float u0, float v0,
                                      const float* lut) {
  Rgba c{make_vec3(1, 1, 1), 1.0f};
  if (ref.texture < 0 || uint32_t(ref.texture) >= s.texture_count || !s.texels) return c;
  const BakeTexture& t = s.textures[ref.texture];
  const float* m = ref.uv_transform;
  const float u = m[0] * u0 + m[1] * v0 + m[2], v = m[3] * u0 + m[4] * v0 + m[5];
  if (!(fabsf(u) < 1e6f) || !(fabsf(v) < 1e6f) || t.width == 0 || t.height == 0) return c;
  const float fx = (u - floorf(u)) * float(t.width) - 0.5f, fy = (v - floorf(v)) * float(t.height) - 0.5f;
  const float x0f = floorf(fx), y0f = floorf(fy), ax = fx - x0f, ay = fy - y0f;
  const int x0 = int(x0f), y0 = int(y0f);
  const int W = int(t.width), H = int(t.height);
  const int xa = x0 < 0 ? x0 + W : x0, ya = y0 < 0 ? y0 + H : y0;
  const int xb = xa + 1 >= W ? 0 : xa + 1, yb = ya + 1 >= H ? 0 : ya + 1;
  const uint8_t* px = s.texels + t.offset;
  c.rgb = make_vec3(0, 0, 0), c.a = 0.0f;
  const int xs[2] = {xa, xb}, ys[2] = {ya, yb};
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 2; ++i) {
      const uint8_t* q = px + 4 * (size_t(ys[j]) * W + xs[i]);
      const float w = (i ? ax : 1.0f - ax) * (j ? ay : 1.0f - ay);
      const Vec3 rgb = lut ? make_vec3(lut[q[0]], lut[q[1]], lut[q[2]])
                           : make_vec3(float(q[0]), float(q[1]), float(q[2])) * (1.0f / 255.0f);
      c.rgb = c.rgb + rgb * w;
      c.a += float(q[3]) * (1.0f / 255.0f) * w;
    }
  return c;
}

// UV0 at barycentrics (u, v) of triangle `prim`; false without UV0.
OTE_HD OTE_INLINE bool uv0_at(const SurfaceView& s, uint32_t prim, float u, float v, float& tu, float& tv) {
  if (!s.triangle_uv0 || prim >= s.triangle_count) return false;
  const float* t = s.triangle_uv0 + 6ull * prim;
  const float w = 1.0f - u - v;
  tu = w * t[0] + u * t[2] + v * t[4], tv = w * t[1] + u * t[3] + v * t[5];
  return true;
}

// Coverage of material m at UV0 (tu, tv): alpha factor × base-colour texture alpha. (COLOR_0's alpha is not
// carried: vertex colours are RGB here.)
OTE_HD OTE_INLINE float coverage_at(const SurfaceView& s, const BakeMaterial& m, bool has_uv, float tu, float tv) {
  float a = m.alpha;
  if (has_uv && m.base_color_texture.texture >= 0) a *= sample_texture(s, m.base_color_texture, tu, tv, nullptr).a;
  return a;
}

// Whether material m is absent at UV0 (tu, tv) for one ray: MASK below the cutoff, or BLEND's coin toss.
OTE_HD OTE_INLINE bool cut_out(const SurfaceView& s, const BakeMaterial& m, bool has_uv, float tu, float tv,
                               uint32_t& rng) {
  if (m.alpha_mode == kAlphaOpaque) return false;
  const float a = coverage_at(s, m, has_uv, tu, tv);
  if (m.alpha_mode == kAlphaMask) return a < m.alpha_cutoff;
  return rand01(rng) >= a;
}

// Whether hit h is lighting-only geometry, which camera rays do not see.
OTE_HD OTE_INLINE bool camera_hidden(const SurfaceView& s, const Hit& h) {
  return (s.instance_camera_hidden && s.instance_camera_hidden[h.instance]) ||
         (s.triangle_camera_hidden && s.triangle_camera_hidden[h.prim]);
}

// Whether hit h is transparent to a ray along `dir`: cut out by alpha, or (camera rays only) the back face of a
// single-sided material. The one rule every renderer's camera and every transport ray applies.
OTE_HD OTE_INLINE bool passes_through(const SurfaceView& s, const Hit& h, Vec3 dir, bool camera, uint32_t& rng) {
  const BakeMaterial& m = material_of(s, h.prim);
  if (camera && !m.double_sided && dot(h.ng, dir) > 0.0f) return true;
  if (m.alpha_mode == kAlphaOpaque) return false;
  float tu = 0, tv = 0;
  const bool uv = uv0_at(s, h.prim, h.u, h.v, tu, tv);
  return cut_out(s, m, uv, tu, tv, rng);
}

// Closest hit that is there for this ray: continues past cut-outs and (camera) culled back faces, up to kMaxLayers;
// past that the last hit counts as opaque. Camera rays also pass lighting-only geometry, up to kMaxHiddenLayers
// of it, past which they miss. t stays measured from ray.org.
OTE_HD OTE_INLINE bool trace_visible(const SceneBvhView& bvh, const SurfaceView& s, Ray r, bool camera,
                                     uint32_t& rng, Hit& h) {
  const bool check = camera || s.cutout;
  for (int layer = 0, hidden = 0;;) {
    if (!trace_closest(bvh, r, kRayNone, h)) return false;
    if (camera && camera_hidden(s, h)) {
      if (++hidden >= kMaxHiddenLayers) return false;
    } else if (!check || ++layer >= kMaxLayers || !passes_through(s, h, r.dir, camera, rng)) {
      return true;
    }
    // Triangle tests accept t > tmin only: the surface just passed (and any at the same t) is not hit again.
    r.tmin = h.t;
  }
}

// Shadow and occlusion rays: anything there (back faces included) blocks. The any-hit walk unless the scene has
// cut-outs; then closest hits, layer by layer.
OTE_HD OTE_INLINE bool occluded(const SceneBvhView& bvh, const SurfaceView& s, const Ray& r, uint32_t& rng) {
  if (!s.cutout) return trace_any(bvh, r, kRayNone);
  Hit h;
  return trace_visible(bvh, s, r, false, rng, h);
}

// The Lambertian albedo of a glTF metal/rough surface, as Unity's lightmapper meta pass computes it
// (UnityLightmappingAlbedo: diffuse + specular × roughness × 0.5, roughness = perceptual roughness²), with
// diffuse = base × (1 − metallic) and specular = base × metallic: the 4% F0 of dielectrics is left out, so that a
// dielectric bakes with exactly its base colour (as the glTF viewer's diffuse term shows it) and a metal as
// base × roughness² / 2, black only when its base is black or it is a perfect mirror.
OTE_HD OTE_INLINE Vec3 lambert_albedo(Vec3 base, float metallic, float roughness) {
  const float m = min_nn(1.0f, max_nn(0.0f, metallic)), r = min_nn(1.0f, max_nn(0.0f, roughness));
  return base * ((1.0f - m) + m * r * r * 0.5f);
}

// Material colours at barycentrics (u, v) of triangle `prim`: albedo = lambert_albedo(factor × base-colour texture
// × vertex colour, metallic and roughness factors × metallicRoughness texture), emission = factor × emissive
// texture. Untextured materials cost one branch.
OTE_HD OTE_INLINE void shade(const SurfaceView& s, const BakeMaterial& m, uint32_t prim, float u, float v,
                             Vec3& albedo, Vec3& emission) {
  Vec3 base = v3(m.albedo);
  emission = v3(m.emission);
  float metallic = m.metallic, roughness = m.roughness;
  const bool tex = m.base_color_texture.texture >= 0 || m.emissive_texture.texture >= 0 ||
                   m.metallic_roughness_texture.texture >= 0;
  if ((tex && s.triangle_uv0) || s.triangle_color) {
    if (prim < s.triangle_count) {
      const float w = 1.0f - u - v;
      float tu, tv;
      if (tex && uv0_at(s, prim, u, v, tu, tv)) {
        if (m.base_color_texture.texture >= 0) base = base * sample_texture(s, m.base_color_texture, tu, tv, s.srgb_to_linear).rgb;
        if (m.emissive_texture.texture >= 0 && (emission.x > 0 || emission.y > 0 || emission.z > 0))
          emission = emission * sample_texture(s, m.emissive_texture, tu, tv, s.srgb_to_linear).rgb;
        if (m.metallic_roughness_texture.texture >= 0 && metallic > 0) {
          const Vec3 mr = sample_texture(s, m.metallic_roughness_texture, tu, tv, nullptr).rgb;
          roughness *= mr.y, metallic *= mr.z;
        }
      }
      if (s.triangle_color) {
        const float* c = s.triangle_color + 9ull * prim;
        base = base * (v3(c) * w + v3(c + 3) * u + v3(c + 6) * v);
      }
    }
  }
  albedo = lambert_albedo(base, metallic, roughness);
}

}  // namespace surf

}  // namespace ote
