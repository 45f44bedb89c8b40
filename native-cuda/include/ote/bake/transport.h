// Light transport for baking and for the reference renderer, written once (OTE_HD) for the CPU threads and the
// CUDA kernels: KHR_lights_punctual lights with soft shadows, emissive triangles as area lights (next-event
// estimation + MIS, power heuristic), a sky, and N-bounce diffuse path tracing with Russian roulette.
//
// The quantity estimated at a surface point p with normal n is L(p,n) = (1/π) ∫ Li(ω) cos θ dω, the irradiance over
// π: a Lambertian surface of albedo a there reflects a × L. A lightmap texel stores L (and AO in alpha), so the
// lightmapped render is emission + albedo × lightmap and the path-traced render is emission + albedo × L at the
// first hit — the same estimator, which is what makes the two comparable.
#pragma once
#include "../random.h"
#include "../sampling.h"
#include <math.h>
#include <stdint.h>

#include "../hd.h"
#include "../ray/traverse.h"
#include "../vec3.h"

namespace ote {

enum BakeLightType : uint32_t { kLightDirectional = 0, kLightPoint = 1, kLightSpot = 2 };

struct BakeLight {
  uint32_t type;
  float color[3];     // colour × intensity (lux for directional, candela for point and spot)
  float position[3];  // world, point and spot
  float direction[3]; // world unit vector the light travels along (directional and spot)
  float size;         // radius (point, spot) or angular diameter in radians (directional); 0 = hard shadows
  float range;        // 0 = infinite
  float cos_inner, cos_outer;
};

// A base-colour or emissive texture bound to a material: an index into BakeSceneView::textures and the
// KHR_texture_transform as a 2x3 affine map of UV0, (u', v') = (m[0] u + m[1] v + m[2], m[3] u + m[4] v + m[5]).
struct BakeTextureRef {
  int32_t texture;  // -1 = none
  float uv_transform[6];
};

struct BakeMaterial {
  float albedo[3];    // base colour factor (× texture × vertex colour at a point)
  float emission[3];  // emissive factor × strength, radiance (× texture at a point)
  uint32_t double_sided;
  // Default: untextured, so that {albedo, emission, double_sided} initializers still mean what they say.
  BakeTextureRef base_color_texture{-1, {1, 0, 0, 0, 1, 0}};
  BakeTextureRef emissive_texture{-1, {1, 0, 0, 0, 1, 0}};
};

// One texture of the flat texture table: sRGB-encoded RGBA8 texels (glTF stores base colour and emission in
// sRGB) at `offset` in BakeSceneView::texels, row-major, top row first (glTF UV (0,0) = first texel). Sampled
// bilinearly with repeat wrapping (the glTF default sampler), decoded to linear before filtering.
struct BakeTexture {
  uint32_t width, height;
  uint64_t offset;  // bytes
};

// One emissive triangle in world space, for next-event estimation. Its emission is the material's factor (what
// the light is chosen by); an emissive texture scales it at the sampled point, through uv0 at the corners.
struct EmitterTri {
  float v0[3], e1[3], e2[3];
  float n[3];  // unit front normal (e1 × e2 direction), hoisted out of the sampling loop
  float emission[3];
  float area;
  uint32_t double_sided;
  int32_t material;  // -1 = default
  float uv0[6];      // UV0 at v0, v0 + e1, v0 + e2 (zero without UV0)
};

enum SkyType : uint32_t { kSkyNone = 0, kSkyConstant = 1, kSkyGradient = 2 };

struct BakeSceneView {
  SceneBvhView bvh;
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
  const float* srgb_to_linear;  // 256 entries
  const BakeLight* lights;
  uint32_t light_count;
  const EmitterTri* emitters;
  const float* emitter_cdf;  // emitter_count entries, last = 1; chosen by power (luminance × area)
  uint32_t emitter_count;
  float emitter_power;       // Σ luminance(emission) × area: p_area(x) = luminance(Le(x)) / emitter_power
  uint32_t sky_type;
  float sky_zenith[3], sky_horizon[3], sky_ground[3];
};

struct TransportParams {
  uint32_t bounces;      // indirect bounces after the first surface (3 = direct + 3 bounces of indirect)
  uint32_t rr_start;     // Russian roulette from this bounce on
  float ao_distance;     // world units; occluders farther than this do not count in AO
  float clamp_indirect;  // clamp of a path's indirect contribution (fireflies); <= 0: off
};

namespace transport {

// Seeded per texel and sample: the PCG counter hash of ote/random.h.
OTE_HD OTE_INLINE uint32_t hash(uint32_t v) { return pcg_hash(v); }
OTE_HD OTE_INLINE float rnd(uint32_t& s) { return rand01(s); }
OTE_HD OTE_INLINE uint32_t sample_seed(uint32_t seed, uint32_t item, uint32_t sample) {
  return hash(seed ^ hash(item * 9781u + hash(sample + 0x9e3779b9u)));
}

OTE_HD OTE_INLINE Vec3 unit(Vec3 v) { return v * (1.0f / length(v)); }
OTE_HD OTE_INLINE Vec3 v3(const float* f) { return make_vec3(f[0], f[1], f[2]); }
OTE_HD OTE_INLINE float luminance(Vec3 c) { return 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z; }

using ::ote::basis;  // ote/sampling.h
using ::ote::cosine_hemisphere;
using ::ote::sincos_turns;
// Uniform direction in the cone of half-angle acos(cos_max) around unit axis a.
OTE_HD OTE_INLINE Vec3 sample_cone(Vec3 a, float cos_max, float u1, float u2) {
  const float c = 1.0f - u1 * (1.0f - cos_max), s = sqrtf(max_nn(0.0f, 1.0f - c * c));
  float sp, cp;
  sincos_turns(u2, sp, cp);
  Vec3 t, b;
  basis(a, t, b);
  return t * (s * cp) + b * (s * sp) + a * c;
}

// Offset for secondary rays, scaled to the magnitude of the point (float precision of the hit).
OTE_HD OTE_INLINE float ray_eps(Vec3 p) { return 1e-4f * max_nn(1.0f, max_nn(fabsf(p.x), max_nn(fabsf(p.y), fabsf(p.z)))); }

OTE_HD OTE_INLINE const BakeMaterial& material_of(const BakeSceneView& s, uint32_t prim) {
  if (s.triangle_material && prim < s.triangle_count) {
    const int32_t m = s.triangle_material[prim];
    if (m >= 0 && uint32_t(m) < s.material_count) return s.materials[m];
  }
  return s.default_material;
}

// Bilinear, repeat-wrapped lookup of texture `t` at (u, v), linear RGB.
OTE_HD OTE_INLINE Vec3 sample_texture(const BakeSceneView& s, const BakeTextureRef& ref, float u0, float v0) {
  if (ref.texture < 0 || uint32_t(ref.texture) >= s.texture_count || !s.texels) return make_vec3(1, 1, 1);
  const BakeTexture& t = s.textures[ref.texture];
  const float* m = ref.uv_transform;
  const float u = m[0] * u0 + m[1] * v0 + m[2], v = m[3] * u0 + m[4] * v0 + m[5];
  if (!(fabsf(u) < 1e6f) || !(fabsf(v) < 1e6f) || t.width == 0 || t.height == 0) return make_vec3(1, 1, 1);
  const float fx = (u - floorf(u)) * float(t.width) - 0.5f, fy = (v - floorf(v)) * float(t.height) - 0.5f;
  const float x0f = floorf(fx), y0f = floorf(fy), ax = fx - x0f, ay = fy - y0f;
  int x0 = int(x0f), y0 = int(y0f);
  const int W = int(t.width), H = int(t.height);
  const int xa = x0 < 0 ? x0 + W : x0, ya = y0 < 0 ? y0 + H : y0;
  const int xb = xa + 1 >= W ? 0 : xa + 1, yb = ya + 1 >= H ? 0 : ya + 1;
  const uint8_t* px = s.texels + t.offset;
  const float* lut = s.srgb_to_linear;
  Vec3 c = make_vec3(0, 0, 0);
  const int xs[2] = {xa, xb}, ys[2] = {ya, yb};
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 2; ++i) {
      const uint8_t* q = px + 4 * (size_t(ys[j]) * W + xs[i]);
      const float w = (i ? ax : 1.0f - ax) * (j ? ay : 1.0f - ay);
      c = c + make_vec3(lut[q[0]], lut[q[1]], lut[q[2]]) * w;
    }
  return c;
}

// Material colours at barycentrics (u, v) of triangle `prim`: albedo = factor × base-colour texture × vertex
// colour, emission = factor × emissive texture. Untextured materials cost one branch.
OTE_HD OTE_INLINE void surface(const BakeSceneView& s, const BakeMaterial& m, uint32_t prim, float u, float v,
                               Vec3& albedo, Vec3& emission) {
  albedo = v3(m.albedo);
  emission = v3(m.emission);
  const bool tex = m.base_color_texture.texture >= 0 || m.emissive_texture.texture >= 0;
  if ((tex && s.triangle_uv0) || s.triangle_color) {
    if (prim >= s.triangle_count) return;
    const float w = 1.0f - u - v;
    if (tex && s.triangle_uv0) {
      const float* t = s.triangle_uv0 + 6ull * prim;
      const float tu = w * t[0] + u * t[2] + v * t[4], tv = w * t[1] + u * t[3] + v * t[5];
      if (m.base_color_texture.texture >= 0) albedo = albedo * sample_texture(s, m.base_color_texture, tu, tv);
      if (m.emissive_texture.texture >= 0 && (emission.x > 0 || emission.y > 0 || emission.z > 0))
        emission = emission * sample_texture(s, m.emissive_texture, tu, tv);
    }
    if (s.triangle_color) {
      const float* c = s.triangle_color + 9ull * prim;
      albedo = albedo * (v3(c) * w + v3(c + 3) * u + v3(c + 6) * v);
    }
  }
}

OTE_HD OTE_INLINE Vec3 sky_radiance(const BakeSceneView& s, Vec3 d) {
  if (s.sky_type == kSkyConstant) return v3(s.sky_zenith);
  if (s.sky_type == kSkyGradient) {
    const Vec3 z = v3(s.sky_zenith), h = v3(s.sky_horizon), g = v3(s.sky_ground);
    if (d.y >= 0) {
      const float w = sqrtf(min_nn(1.0f, d.y));
      return h * (1.0f - w) + z * w;
    }
    const float w = sqrtf(min_nn(1.0f, -d.y));
    return h * (1.0f - w) + g * w;
  }
  return make_vec3(0, 0, 0);
}

OTE_HD OTE_INLINE bool visible(const BakeSceneView& s, Vec3 org, Vec3 to, float dist) {
  return !trace_any(s.bvh, make_ray(org, to, 0.0f, dist * (1.0f - 1e-3f)), kRayNone);
}

// Punctual lights: one sample of every light, each with its emitter jittered over its size (soft shadows).
// Returns the contribution to L(p,n) (cosine-weighted irradiance over π).
OTE_HD OTE_INLINE Vec3 direct_punctual(const BakeSceneView& s, Vec3 p, Vec3 n, uint32_t& rng) {
  Vec3 sum = make_vec3(0, 0, 0);
  const Vec3 org = p + n * ray_eps(p);
  for (uint32_t i = 0; i < s.light_count; ++i) {
    const BakeLight& l = s.lights[i];
    const float u1 = rnd(rng), u2 = rnd(rng);
    Vec3 wi;
    float dist, scale;
    if (l.type == kLightDirectional) {
      const Vec3 to = -v3(l.direction);
      wi = l.size > 0 ? sample_cone(to, cosf(0.5f * l.size), u1, u2) : to;
      dist = INFINITY;
      scale = 1.0f;
    } else {
      Vec3 lp = v3(l.position);
      if (l.size > 0) {  // a point on the sphere of the light's radius
        const float z = 1.0f - 2.0f * u1, r = sqrtf(max_nn(0.0f, 1.0f - z * z));
        float sp, cp;
        sincos_turns(u2, sp, cp);
        lp = lp + make_vec3(r * cp, r * sp, z) * l.size;
      }
      const Vec3 d = lp - org;
      const float d2 = dot(d, d);
      if (!(d2 > 0)) continue;
      dist = sqrtf(d2);
      wi = d * (1.0f / dist);
      scale = 1.0f / d2;
      if (l.range > 0) {  // KHR_lights_punctual recommended range falloff
        const float q = dist / l.range, w = fminf(fmaxf(1.0f - q * q * q * q, 0.0f), 1.0f);
        scale *= w * w;
      }
      if (l.type == kLightSpot) {
        const float cd = dot(v3(l.direction), -wi);
        const float t = fminf(fmaxf((cd - l.cos_outer) / fmaxf(l.cos_inner - l.cos_outer, 1e-4f), 0.0f), 1.0f);
        scale *= t * t;
      }
    }
    const float c = dot(n, wi);
    if (c <= 0 || scale <= 0) continue;
    if (!visible(s, org, wi, dist)) continue;
    sum = sum + v3(l.color) * (scale * c * (1.0f / 3.14159265f));
  }
  return sum;
}

// Solid-angle pdf of reaching a point on an emitter by next-event estimation.
OTE_HD OTE_INLINE float emitter_pdf(const BakeSceneView& s, Vec3 le, float dist2, float cos_light) {
  if (s.emitter_count == 0 || !(s.emitter_power > 0) || cos_light <= 0) return 0.0f;
  return luminance(le) / s.emitter_power * dist2 / cos_light;
}

// One next-event sample of the emissive triangles, MIS-weighted against cosine sampling of the surface.
OTE_HD OTE_INLINE Vec3 direct_emitters(const BakeSceneView& s, Vec3 p, Vec3 n, uint32_t& rng) {
  if (s.emitter_count == 0 || !(s.emitter_power > 0)) return make_vec3(0, 0, 0);
  const float u = rnd(rng);
  uint32_t lo = 0, hi = s.emitter_count - 1;
  while (lo < hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (s.emitter_cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  const EmitterTri& e = s.emitters[lo];
  float b1 = rnd(rng), b2 = rnd(rng);
  if (b1 + b2 > 1) b1 = 1 - b1, b2 = 1 - b2;
  const Vec3 q = v3(e.v0) + v3(e.e1) * b1 + v3(e.e2) * b2;
  const Vec3 org = p + n * ray_eps(p);
  const Vec3 d = q - org;
  const float d2 = dot(d, d);
  if (!(d2 > 0)) return make_vec3(0, 0, 0);
  const float dist = sqrtf(d2);
  const Vec3 wi = d * (1.0f / dist);
  const float c = dot(n, wi);
  if (c <= 0) return make_vec3(0, 0, 0);
  float cl = -dot(v3(e.n), wi);
  if (e.double_sided) cl = fabsf(cl);
  if (cl <= 0) return make_vec3(0, 0, 0);
  // Chosen by the factor's luminance (the pdf both strategies must agree on); a texture scales the radiance.
  const Vec3 le = v3(e.emission);
  const float pl = emitter_pdf(s, le, d2, cl), pb = c * (1.0f / 3.14159265f);
  if (!(pl > 0)) return make_vec3(0, 0, 0);
  Vec3 lt = le;
  if (e.material >= 0 && uint32_t(e.material) < s.material_count && s.materials[e.material].emissive_texture.texture >= 0) {
    const float w0 = 1.0f - b1 - b2;
    lt = le * sample_texture(s, s.materials[e.material].emissive_texture, w0 * e.uv0[0] + b1 * e.uv0[2] + b2 * e.uv0[4],
                             w0 * e.uv0[1] + b1 * e.uv0[3] + b2 * e.uv0[5]);
    if (!(lt.x > 0 || lt.y > 0 || lt.z > 0)) return make_vec3(0, 0, 0);  // dark texel: no shadow ray
  }
  if (!visible(s, org, wi, dist)) return make_vec3(0, 0, 0);
  const float w = pl * pl / (pl * pl + pb * pb);
  // f·cos/pdf with f = 1/π (unit albedo: the caller multiplies its throughput).
  return lt * (w * c * (1.0f / 3.14159265f) / pl);
}

// L(p,n) by one path: direct light at p, then `bounces` diffuse bounces. `ao` gets 1 when the first bounce ray
// escapes farther than ao_distance, else 0.
OTE_HD OTE_INLINE Vec3 incident(const BakeSceneView& s, const TransportParams& tp, Vec3 p, Vec3 n, uint32_t& rng,
                                float* ao, uint32_t* rays) {
  Vec3 L = direct_punctual(s, p, n, rng) + direct_emitters(s, p, n, rng);
  *rays += s.light_count + (s.emitter_count ? 1u : 0u);
  Vec3 beta = make_vec3(1, 1, 1);
  Vec3 P = p, N = n;
  for (uint32_t bounce = 0;; ++bounce) {
    const float u1 = rnd(rng), u2 = rnd(rng);
    const Vec3 dir = cosine_hemisphere(N, u1, u2);
    const float pb = max_nn(dot(N, dir), 0.0f) * (1.0f / 3.14159265f);
    Hit h;
    const bool hit = trace_closest(s.bvh, make_ray(P + N * ray_eps(P), dir, 0.0f, INFINITY), kRayNone, h);
    *rays += 1;
    if (bounce == 0 && ao) *ao = (hit && h.t < tp.ao_distance) ? 0.0f : 1.0f;
    if (!hit) {
      L = L + beta * sky_radiance(s, dir);
      break;
    }
    const BakeMaterial& m = material_of(s, h.prim);
    const bool front = dot(h.ng, dir) < 0.0f;
    Vec3 albedo, le;
    surface(s, m, h.prim, h.u, h.v, albedo, le);
    if ((front || m.double_sided) && (le.x > 0 || le.y > 0 || le.z > 0)) {
      // The light-selection pdf is by the factor (gather_emitters), whatever the texture does here.
      const float pl = emitter_pdf(s, v3(m.emission), h.t * h.t, fabsf(dot(h.ng, dir)));
      const float w = pl > 0 ? pb * pb / (pb * pb + pl * pl) : 1.0f;
      Vec3 c = beta * le * w;
      if (bounce > 0 && tp.clamp_indirect > 0) {
        const float mx = max_nn(c.x, max_nn(c.y, c.z));
        if (mx > tp.clamp_indirect) c = c * (tp.clamp_indirect / mx);
      }
      L = L + c;
    }
    if (bounce >= tp.bounces) break;
    beta = beta * albedo;
    if (bounce + 1 >= tp.rr_start) {
      const float q = min_nn(0.95f, max_nn(beta.x, max_nn(beta.y, beta.z)));
      if (!(q > 0) || rnd(rng) >= q) break;
      beta = beta * (1.0f / q);
    }
    P = P + N * ray_eps(P) + dir * h.t;
    N = front ? h.ng : -h.ng;
    Vec3 d = direct_punctual(s, P, N, rng) + direct_emitters(s, P, N, rng);
    *rays += s.light_count + (s.emitter_count ? 1u : 0u);
    Vec3 c = beta * d;
    if (tp.clamp_indirect > 0) {
      const float mx = max_nn(c.x, max_nn(c.y, c.z));
      if (mx > tp.clamp_indirect) c = c * (tp.clamp_indirect / mx);
    }
    L = L + c;
  }
  return L;
}

}  // namespace transport
}  // namespace ote
