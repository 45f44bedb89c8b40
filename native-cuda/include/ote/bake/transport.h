// Light transport for baking and for the reference renderer, written once (OTE_HD) for the CPU threads and the
// CUDA kernels: KHR_lights_punctual lights with soft shadows, emissive triangles as area lights (next-event
// estimation + MIS, power heuristic), a sky, and N-bounce diffuse path tracing with Russian roulette.
//
// The quantity estimated at a surface point p with normal n is L(p,n) = (1/π) ∫ Li(ω) cos θ dω, the irradiance over
// π: a Lambertian surface of albedo a there reflects a × L. A lightmap texel stores L (and AO in alpha), so the
// lightmapped render is emission + albedo × lightmap and the path-traced render is emission + albedo × L at the
// first hit — the same estimator, which is what makes the two comparable.
//
// Materials (albedo with glTF metal/rough folded in, alpha cut-outs, which hits are there for which ray) are
// bake/surface.h's, shared with the preview renderer. Bounce and shadow rays pass through alpha cut-outs and stop
// at back faces (a single-sided wall still occludes, as in Unity's and Unreal's bakers); only camera rays skip
// back faces of single-sided materials.
//
// Point and spot lights of `size` R > 0 are spheres (light_sample), cone-sampled so that irradiance stays bounded
// however near a surface is. A light near a surface also makes a hotspot there (a bulb under a ceiling) whose
// bounce light cosine-sampled rays rarely find: each sample therefore also shoots one light vertex (a ray from a
// point or spot light, chosen by power, to the x it lands on) and connects every path vertex to it, weighted
// against bounce rays that find the same x by MIS (power heuristic). The two strategies estimate the same paths,
// so the result is unchanged in expectation; the hotspot's bounce light is sampled where it is.
//
// The sky is found by bounce rays that escape and, in a scene whose sky gets in through openings, also by a sample
// through those openings at every path vertex (direct_sky; sky_portals.h), weighted against the escaping rays by MIS.
// The sun that gets in through the same openings lights a patch whose bounce light lights the rest: there the
// directional light takes light vertices too, shot through the portals along the light (sky_portals.h,
// SunPortalView), so that they land where the sunlight does.
#pragma once
#include "../random.h"
#include "../sampling.h"
#include <math.h>
#include <stdint.h>

#include "../hd.h"
#include "../qmc.h"
#include "../ray/traverse.h"
#include "../vec3.h"
#include "lightmap_lookup.h"
#include "sky_portals.h"
#include "surface.h"

namespace ote {

enum BakeLightType : uint32_t { kLightDirectional = 0, kLightPoint = 1, kLightSpot = 2 };

struct BakeLight {
  uint32_t type;
  float color[3];     // colour × intensity (lux for directional, candela for point and spot)
  float position[3];  // world, point and spot
  float direction[3]; // world unit vector the light travels along (directional and spot)
  float size;         // sphere radius (point, spot) or angular diameter in radians (directional); 0 = hard shadows
  float range;        // 0 = infinite
  float cos_inner, cos_outer;
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

// The scene as the transport sees it: materials and textures (SurfaceView), the BVH, lights, emitters and sky.
struct BakeSceneView : SurfaceView {
  SceneBvhView bvh;
  const BakeLight* lights;
  uint32_t light_count;
  // Σ light_vertex_weight over the point and spot lights and the sun of `sun` (0: none, no light vertices): light
  // vertices pick a light in proportion to its weight.
  float light_vertex_power;
  const EmitterTri* emitters;
  const float* emitter_cdf;  // emitter_count entries, last = 1; chosen by power (luminance × area)
  uint32_t emitter_count;
  float emitter_power;       // Σ luminance(emission) × area: p_area(x) = luminance(Le(x)) / emitter_power
  uint32_t sky_type;
  float sky_zenith[3], sky_horizon[3], sky_ground[3];
  SkyPortalView portals;  // where the sky gets in (sky_portals.h); count 0: found by bounce rays alone
  SunPortalView sun;      // the directional light's light vertices through the portals; light -1: none
  // The final gather's lightmap (see incident): a first bake of the same layout, finished (denoised, dilated).
  // pages null: none, every path runs to its end.
  LightmapView gather;
};

// Defaults are the callers' defaults; ranges and public names: bake/options.h kTransportOptions.
struct TransportParams {
  uint32_t bounces = 3;         // indirect bounces after the first surface (3 = direct + 3 bounces of indirect)
  uint32_t rr_start = 2;        // Russian roulette from this bounce on
  float ao_distance = 1.0f;     // world units; occluders farther than this do not count in AO
  float clamp_indirect = 0.0f;  // clamp of a path's indirect contribution (fireflies); <= 0: off
  // 1: point and spot lights also reach path vertices through a light vertex (see the top of this file); 0: through
  // bounce rays only (same expectation, more variance near lights: an A/B switch for tests).
  uint32_t light_vertices = 1;
  // 1: the sky is also sampled through the scene's portals where it has any (sky_portals.h); 0: by bounce rays only
  // (same expectation: an A/B switch for tests).
  uint32_t sky_portals = 1;
  // 1: a directional light that gets in through the sky portals also has light vertices (SunPortalView); 0: not
  // (same expectation: an A/B switch for tests). The drivers read it when they find the portals.
  uint32_t sun_vertices = 1;
  // 1: the decisions at the first path vertex (its bounce direction, light, emitter and portal samples, and the
  // light vertex) take a texel's or pixel's samples from a scrambled Sobol' sequence (ote/qmc.h), stratified over
  // its samples; 0: independent random numbers (same expectation: an A/B switch for tests and benchmarks).
  uint32_t qmc = 1;
  // The final gather (BakeSceneView::gather) reads the lightmap only where the bounce ray travelled farther than this
  // many of the hit's texels; nearer, a texel spans a wide angle from the path's vertex and the path goes on
  // (bake/final-gather.ts says what it measured).
  float gather_near = 3.0f;
};

namespace transport {

constexpr float kPi = 3.14159265f, kInvPi = 1.0f / 3.14159265f;

// Seeded per texel and sample: the PCG counter hash of ote/random.h.
OTE_HD OTE_INLINE uint32_t hash(uint32_t v) { return pcg_hash(v); }
OTE_HD OTE_INLINE float rnd(uint32_t& s) { return rand01(s); }
OTE_HD OTE_INLINE uint32_t sample_seed(uint32_t seed, uint32_t item, uint32_t sample) {
  return hash(seed ^ hash(item * 9781u + hash(sample + 0x9e3779b9u)));
}
// The scramble seed of item `item`'s low-discrepancy sequence (qmc::Sample::seed), apart from its sample seeds.
OTE_HD OTE_INLINE uint32_t sequence_seed(uint32_t seed, uint32_t item) { return sample_seed(seed ^ 0x68bc21ebu, item, 0); }

// The first vertex's decisions, each its own padded dimension of the sample's sequence (qmc.h); a light's sample
// takes kDimLight + its index.
enum QmcDim : uint32_t {
  kDimBounce = 0,
  kDimLightVertex = 1,
  kDimLightVertexPick = 2,
  kDimSunCell = 3,
  kDimSky = 4,
  kDimSkyCell = 5,
  kDimEmitter = 6,
  kDimEmitterPick = 7,
  kDimLight = 8,
};

// Uniform numbers for decision `dim`: from the sample's sequence where the vertex has one (seq), else the stream.
OTE_HD OTE_INLINE void uniform_2d(const qmc::Sample* seq, uint32_t dim, uint32_t& rng, float& u1, float& u2) {
  if (seq) {
    qmc::get_2d(*seq, dim, u1, u2);
  } else {
    u1 = rnd(rng);
    u2 = rnd(rng);
  }
}
OTE_HD OTE_INLINE float uniform_1d(const qmc::Sample* seq, uint32_t dim, uint32_t& rng) {
  return seq ? qmc::get_1d(*seq, dim) : rnd(rng);
}

OTE_HD OTE_INLINE Vec3 unit(Vec3 v) { return v * (1.0f / length(v)); }
using surf::v3;
OTE_HD OTE_INLINE float luminance(Vec3 c) { return 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z; }
OTE_HD OTE_INLINE float max3(Vec3 c) { return max_nn(c.x, max_nn(c.y, c.z)); }

using ::ote::basis;  // ote/sampling.h
using ::ote::cosine_hemisphere;
using ::ote::sincos_turns;
// Uniform direction in the cone around unit axis a whose half-angle has 1 − cos = `omc` (passed as such: for small
// cones 1 − cos is computed without cancellation by the caller).
OTE_HD OTE_INLINE Vec3 sample_cone(Vec3 a, float omc, float u1, float u2) {
  const float c = 1.0f - u1 * omc, s = sqrtf(max_nn(0.0f, (1.0f - c) * (1.0f + c)));
  float sp, cp;
  sincos_turns(u2, sp, cp);
  Vec3 t, b;
  basis(a, t, b);
  return t * (s * cp) + b * (s * sp) + a * c;
}

// Offset for secondary rays, scaled to the magnitude of the point (float precision of the hit).
OTE_HD OTE_INLINE float ray_eps(Vec3 p) { return 1e-4f * max_nn(1.0f, max_nn(fabsf(p.x), max_nn(fabsf(p.y), fabsf(p.z)))); }

using surf::material_of;
// Albedo (Lambertian, metal/rough folded in) and emission of a hit: bake/surface.h.
OTE_HD OTE_INLINE void surface(const BakeSceneView& s, const BakeMaterial& m, uint32_t prim, float u, float v,
                               Vec3& albedo, Vec3& emission) {
  surf::shade(s, m, prim, u, v, albedo, emission);
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

// Shadow ray: nothing that is there for light (cut-outs pass, back faces block) on the segment.
OTE_HD OTE_INLINE bool visible(const BakeSceneView& s, Vec3 org, Vec3 to, float dist, uint32_t& rng) {
  return !surf::occluded(s.bvh, s, make_ray(org, to, 0.0f, dist * (1.0f - 1e-3f)), rng);
}

// Spot cone and KHR_lights_punctual range window of a point or spot light, towards unit direction `from_light` at
// distance D from its centre.
OTE_HD OTE_INLINE float punctual_falloff(const BakeLight& l, Vec3 from_light, float D) {
  float w = 1.0f;
  if (l.range > 0) {
    const float q = D / l.range, f = min_nn(max_nn(1.0f - q * q * q * q, 0.0f), 1.0f);
    w = f * f;
  }
  if (l.type == kLightSpot) {
    const float cd = dot(v3(l.direction), from_light);
    const float t = min_nn(max_nn((cd - l.cos_outer) / max_nn(l.cos_inner - l.cos_outer, 1e-4f), 0.0f), 1.0f);
    w *= t * t;
  }
  return w;
}

// One sample of light l seen from a shadow-ray origin `org` with unit normal n: its contribution to L(p,n) if
// nothing occludes it, and the shadow segment (wi, dist; dist = 0: nothing to test).
//  - directional: a direction in the cone of the angular diameter `size`, I cos θ / π;
//  - point or spot of size 0: the point, I cos θ / (π d²);
//  - point or spot of radius R = size > 0: a sphere of uniform radiance Le = I / (π R²) (seen from afar, the point
//    light of intensity I it stands for), sampled uniformly in the cone it subtends, Le Ω cos θ / π per sample:
//    the irradiance stays bounded (≤ π Le) however near the surface, where a point jittered over the sphere with
//    1/d² made it explode. Inside the sphere the light fills the half-space towards its centre:
//    L = Le (1 + n·axis) / 2, continuous with the outside at the sphere, with nothing to occlude it.
//  The spot cone and the range window are evaluated at the centre's direction and distance.
OTE_HD OTE_INLINE Vec3 light_sample(const BakeLight& l, Vec3 org, Vec3 n, float u1, float u2, Vec3& wi, float& dist) {
  const Vec3 zero = make_vec3(0, 0, 0);
  dist = 0.0f;
  if (l.type == kLightDirectional) {
    const Vec3 to = -v3(l.direction);
    const float h = sinf(0.25f * l.size);  // 1 − cos(size / 2) = 2 sin²(size / 4)
    wi = l.size > 0 ? sample_cone(to, 2.0f * h * h, u1, u2) : to;
    dist = INFINITY;
    const float c = dot(n, wi);
    return c > 0 ? v3(l.color) * (c * kInvPi) : zero;
  }
  const Vec3 d = v3(l.position) - org;
  const float D2 = dot(d, d), D = sqrtf(D2), R = l.size;
  const Vec3 axis = D > 0 ? d * (1.0f / D) : n;
  const float w = punctual_falloff(l, -axis, D);
  if (!(w > 0)) return zero;
  if (R > 0 && D <= R) {
    wi = n;
    return v3(l.color) * (w / (kPi * R * R) * 0.5f * (1.0f + dot(n, axis)));
  }
  float scale;
  if (R > 0) {
    const float s2 = R * R / D2, cos_max = sqrtf(max_nn(0.0f, 1.0f - s2));
    wi = sample_cone(axis, s2 / (1.0f + cos_max), u1, u2);
    // Le Ω / π with Le = I / (π R²), Ω = 2π (1 − cos_max) = 2π s2 / (1 + cos_max): R cancels.
    scale = 2.0f / ((1.0f + cos_max) * D2);
    const float b = dot(wi, d);  // nearer intersection with the sphere along wi
    dist = b - sqrtf(max_nn(0.0f, R * R - (D2 - b * b)));
  } else {
    wi = axis;
    scale = 1.0f / D2;
    dist = D;
  }
  const float c = dot(n, wi);
  if (!(c > 0) || !(dist > 0)) {
    dist = 0.0f;
    return zero;
  }
  return v3(l.color) * (w * scale * c * kInvPi);
}

// Light vertices pick a light by this weight, its flux: point and spot lights by luminance × the solid angle they
// emit into, the directional light of the sun's portals by luminance (illuminance) × the beam's cross-section.
OTE_HD OTE_INLINE float light_vertex_weight(const BakeSceneView& s, uint32_t i) {
  const BakeLight& l = s.lights[i];
  if (l.type == kLightPoint) return luminance(v3(l.color)) * 4.0f * kPi;
  if (l.type == kLightSpot && l.cos_outer < 1.0f) return luminance(v3(l.color)) * 2.0f * kPi * (1.0f - l.cos_outer);
  if (l.type == kLightDirectional && int32_t(i) == s.sun.light && s.sun.count) return luminance(v3(l.color)) * s.sun.area;
  return 0.0f;
}

// Per unit area at x (unit normal n on the side the light is on), the density of a light vertex landing on x from
// light i if its centre sees x: choice × emission direction (uniform over the emitted solid angle) × cos / d²; for
// the sun, choice × cos / area where x's ray towards it leaves through a portal (sky_portals.h, SunPortalView).
OTE_HD OTE_INLINE float light_vertex_pdf(const BakeSceneView& s, uint32_t i, Vec3 x, Vec3 n) {
  const BakeLight& l = s.lights[i];
  const float weight = light_vertex_weight(s, i);
  if (!(weight > 0) || !(s.light_vertex_power > 0)) return 0.0f;
  if (l.type == kLightDirectional) {
    const Vec3 to = -v3(l.direction);
    const float c = dot(n, to);
    if (!(c > 0) || !portals::sun_enters(s.portals, x, to)) return 0.0f;
    // (weight / power) × (cos / area) = luminance × cos / power.
    return luminance(v3(l.color)) / s.light_vertex_power * c;
  }
  const Vec3 d = x - v3(l.position);
  const float d2 = dot(d, d);
  if (!(d2 > 0)) return 0.0f;
  const Vec3 w = d * (1.0f / sqrtf(d2));
  const float c = -dot(n, w);
  if (!(c > 0)) return 0.0f;
  if (l.type == kLightSpot && dot(w, v3(l.direction)) < l.cos_outer) return 0.0f;
  // (weight / power) × (1 / Ω) = luminance / power.
  return luminance(v3(l.color)) / s.light_vertex_power * c / d2;
}

// MIS weight (power heuristic) of light i's sample at a vertex x that a bounce ray found with density `pb_area` per
// unit area, against the light vertex that lands on x with density light_vertex_pdf when i's centre sees x. With
// size 0 the shadow ray just traced went to the centre (the sun's: along its direction), so that is known; a
// sphere's or a sun disc's shadow ray went elsewhere, and the centre is tested with probability
// ρ = min(1, w_light / 0.1): an unbiased weight (expectation 1 − w_light where the centre sees x, 1 where not) that
// traces the extra ray mostly where the light vertex matters.
OTE_HD OTE_INLINE float bounce_weight(const BakeSceneView& s, uint32_t i, Vec3 org, Vec3 n, float pb_area,
                                      uint32_t& rng, uint32_t* rays) {
  const BakeLight& l = s.lights[i];
  const float pl = light_vertex_pdf(s, i, org, n);
  if (!(pl > 0)) return 1.0f;
  const float wl = pl * pl / (pl * pl + pb_area * pb_area);
  if (!(l.size > 0)) return 1.0f - wl;
  const float rho = min_nn(1.0f, 10.0f * wl);
  if (rnd(rng) >= rho) return 1.0f;
  *rays += 1;
  if (l.type == kLightDirectional) return visible(s, org, -v3(l.direction), INFINITY, rng) ? 1.0f - wl / rho : 1.0f;
  const Vec3 d = v3(l.position) - org;
  const float D = length(d);
  if (!(D > 0) || !visible(s, org, d * (1.0f / D), D, rng)) return 1.0f;
  return 1.0f - wl / rho;
}

// Punctual lights at a path vertex: one sample of every light. `pb_area` > 0 (a vertex a bounce ray found, with that
// density per unit area) weighs point and spot lights against the light vertex (bounce_weight); 0 = no other
// strategy reaches this vertex (the texel or camera hit itself, or light vertices off). `seq`: the first vertex's
// sequence, or null.
OTE_HD OTE_INLINE Vec3 direct_punctual(const BakeSceneView& s, Vec3 p, Vec3 n, uint32_t& rng, float pb_area,
                                       uint32_t* rays, const qmc::Sample* seq = nullptr) {
  Vec3 sum = make_vec3(0, 0, 0);
  const Vec3 org = p + n * ray_eps(p);
  for (uint32_t i = 0; i < s.light_count; ++i) {
    const BakeLight& l = s.lights[i];
    float u1, u2;
    uniform_2d(seq, kDimLight + i, rng, u1, u2);
    Vec3 wi = make_vec3(0, 0, 0);
    float dist;
    Vec3 c = light_sample(l, org, n, u1, u2, wi, dist);
    if (!(max3(c) > 0)) continue;
    if (dist > 0) {
      *rays += 1;
      if (!visible(s, org, wi, dist, rng)) continue;
    }
    if (pb_area > 0) c = c * bounce_weight(s, i, org, n, pb_area, rng, rays);
    sum = sum + c;
  }
  return sum;
}

// A light vertex: where a ray from a point or spot light landed, and what leaves it.
struct LightVertex {
  Vec3 x, n;       // the point, and its unit geometric normal on the side the light is on
  Vec3 albedo;     // at x (the bounce strategy's Russian roulette reads it)
  Vec3 radiance;   // albedo × L(x) due to that light: what leaves x towards a path vertex connected to it
  float pdf;       // per unit area at x (light_vertex_pdf)
};

// One light vertex: a point or spot light chosen by light_vertex_weight, a direction uniform over what it emits
// into (the sun: a point on its portal cells, along the light), the first surface there for light; L(x) from that light by one light_sample (size 0: the ray itself showed
// that the centre sees x). False when the ray escapes or lands on something black. `seq`: the sample's sequence
// (the light vertex is the first vertex's partner), or null.
OTE_HD OTE_INLINE bool light_vertex(const BakeSceneView& s, uint32_t& rng, LightVertex& lv, uint32_t* rays,
                                    const qmc::Sample* seq = nullptr) {
  float u = uniform_1d(seq, kDimLightVertexPick, rng) * s.light_vertex_power;
  float u1, u2;
  uniform_2d(seq, kDimLightVertex, rng, u1, u2);
  uint32_t pick = s.light_count;
  for (uint32_t i = 0; i < s.light_count; ++i) {
    const float w = light_vertex_weight(s, i);
    if (!(w > 0)) continue;
    pick = i;
    if (u < w) break;
    u -= w;
  }
  if (pick == s.light_count) return false;
  const BakeLight& l = s.lights[pick];
  Vec3 c = v3(l.position);
  Vec3 dir;
  if (l.type == kLightDirectional) {
    // The sun: from a point on its portal cells, along the light.
    c = portals::sample_sun_point(s.portals, s.sun, uniform_1d(seq, kDimSunCell, rng), u1, u2);
    dir = v3(l.direction);
  } else if (l.type == kLightSpot) {
    dir = sample_cone(v3(l.direction), 1.0f - l.cos_outer, u1, u2);
  } else {
    const float z = 1.0f - 2.0f * u1, r = sqrtf(max_nn(0.0f, 1.0f - z * z));
    float sp, cp;
    sincos_turns(u2, sp, cp);
    dir = make_vec3(r * cp, r * sp, z);
  }
  Hit h;
  *rays += 1;
  if (!surf::trace_visible(s.bvh, s, make_ray(c, dir, 0.0f, l.range > 0 ? l.range : INFINITY), false, rng, h)) return false;
  lv.x = c + dir * h.t;
  lv.n = dot(h.ng, dir) < 0.0f ? h.ng : -h.ng;
  lv.pdf = light_vertex_pdf(s, pick, lv.x, lv.n);
  if (!(lv.pdf > 0)) return false;
  Vec3 le;
  surface(s, material_of(s, h.prim), h.prim, h.u, h.v, lv.albedo, le);
  if (!(max3(lv.albedo) > 0)) return false;
  Vec3 Lx;
  if (l.size > 0) {
    const Vec3 org = lv.x + lv.n * ray_eps(lv.x);
    Vec3 wi = make_vec3(0, 0, 0);
    float dist;
    Lx = light_sample(l, org, lv.n, rnd(rng), rnd(rng), wi, dist);
    if (dist > 0 && max3(Lx) > 0) {
      *rays += 1;
      if (!visible(s, org, wi, dist, rng)) return false;
    }
  } else {
    // The ray itself showed that the centre sees x.
    const float cx = fabsf(dot(h.ng, dir));
    Lx = l.type == kLightDirectional ? v3(l.color) * (cx * kInvPi)
                                     : v3(l.color) * (punctual_falloff(l, dir, h.t) * cx / (h.t * h.t) * kInvPi);
  }
  lv.radiance = lv.albedo * Lx;
  return max3(lv.radiance) > 0;
}

// The light vertex seen from path vertex (p, n) of throughput `beta` after `bounce` bounces: its contribution to
// L(p,n), MIS-weighted against the bounce ray from p that would find the same x (density cos_p / π × cos_x / d² ×
// the Russian roulette's survival probability there, which incident() computes the same way).
OTE_HD OTE_INLINE Vec3 connect(const BakeSceneView& s, const TransportParams& tp, const LightVertex& lv, Vec3 p,
                               Vec3 n, Vec3 beta, uint32_t bounce, uint32_t& rng, uint32_t* rays) {
  const Vec3 zero = make_vec3(0, 0, 0);
  const Vec3 org = p + n * ray_eps(p), to = lv.x + lv.n * ray_eps(lv.x);
  const Vec3 d = to - org;
  const float d2 = dot(d, d);
  if (!(d2 > 0)) return zero;
  const float dist = sqrtf(d2);
  const Vec3 w = d * (1.0f / dist);
  const float cp = dot(n, w), cx = -dot(lv.n, w);
  if (!(cp > 0) || !(cx > 0)) return zero;
  const float q = bounce + 1 >= tp.rr_start ? min_nn(0.95f, max3(beta * lv.albedo)) : 1.0f;
  const float pb = cp * kInvPi * cx / d2 * q;
  const float wl = lv.pdf * lv.pdf / (lv.pdf * lv.pdf + pb * pb);
  *rays += 1;
  if (!visible(s, org, w, dist, rng)) return zero;
  return lv.radiance * (wl * cp * cx * kInvPi / (d2 * lv.pdf));
}

// Solid-angle pdf of reaching a point on an emitter by next-event estimation.
OTE_HD OTE_INLINE float emitter_pdf(const BakeSceneView& s, Vec3 le, float dist2, float cos_light) {
  if (s.emitter_count == 0 || !(s.emitter_power > 0) || cos_light <= 0) return 0.0f;
  return luminance(le) / s.emitter_power * dist2 / cos_light;
}

// One next-event sample of the emissive triangles, MIS-weighted against cosine sampling of the surface. `seq`: the
// first vertex's sequence, or null.
OTE_HD OTE_INLINE Vec3 direct_emitters(const BakeSceneView& s, Vec3 p, Vec3 n, uint32_t& rng, uint32_t* rays,
                                       const qmc::Sample* seq = nullptr) {
  if (s.emitter_count == 0 || !(s.emitter_power > 0)) return make_vec3(0, 0, 0);
  const float u = uniform_1d(seq, kDimEmitterPick, rng);
  uint32_t lo = 0, hi = s.emitter_count - 1;
  while (lo < hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (s.emitter_cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  const EmitterTri& e = s.emitters[lo];
  float b1, b2;
  uniform_2d(seq, kDimEmitter, rng, b1, b2);
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
  const float pl = emitter_pdf(s, le, d2, cl), pb = c * kInvPi;
  if (!(pl > 0)) return make_vec3(0, 0, 0);
  Vec3 lt = le;
  if (e.material >= 0 && uint32_t(e.material) < s.material_count) {
    const BakeMaterial& m = s.materials[e.material];
    const float w0 = 1.0f - b1 - b2;
    const float tu = w0 * e.uv0[0] + b1 * e.uv0[2] + b2 * e.uv0[4], tv = w0 * e.uv0[1] + b1 * e.uv0[3] + b2 * e.uv0[5];
    // A cut-out part of the emitter is not there: bounce rays pass it, so next-event samples find nothing.
    if (surf::cut_out(s, m, s.triangle_uv0 != nullptr, tu, tv, rng)) return make_vec3(0, 0, 0);
    if (m.emissive_texture.texture >= 0) {
      lt = le * surf::sample_texture(s, m.emissive_texture, tu, tv, s.srgb_to_linear).rgb;
      if (!(lt.x > 0 || lt.y > 0 || lt.z > 0)) return make_vec3(0, 0, 0);  // dark texel: no shadow ray
    }
  }
  *rays += 1;
  if (!visible(s, org, wi, dist, rng)) return make_vec3(0, 0, 0);
  const float w = pl * pl / (pl * pl + pb * pb);
  // f·cos/pdf with f = 1/π (unit albedo: the caller multiplies its throughput).
  return lt * (w * c * kInvPi / pl);
}

// The sky through a portal (sky_portals.h), seen from p with normal n: one point on a portal cell and a shadow ray
// to it, weighted against bounce rays that escape through the same cell (power heuristic). Zero, and no random
// numbers drawn, without portals. `seq`: the first vertex's sequence, or null.
OTE_HD OTE_INLINE Vec3 direct_sky(const BakeSceneView& s, Vec3 p, Vec3 n, uint32_t& rng, uint32_t* rays,
                                  const qmc::Sample* seq = nullptr) {
  if (s.portals.count == 0) return make_vec3(0, 0, 0);
  const float u0 = uniform_1d(seq, kDimSkyCell, rng);
  float u1, u2;
  uniform_2d(seq, kDimSky, rng, u1, u2);
  Vec3 q;
  int axis;
  const float pa = portals::sample_point(s.portals, u0, u1, u2, q, axis);
  const Vec3 org = p + n * ray_eps(p);
  // Outside the bounds escape_weight counts the escaping ray in full (portals::pdf is 0 there), so nothing here.
  if (!portals::inside(s.portals, org)) return make_vec3(0, 0, 0);
  const Vec3 d = q - org;
  const float d2 = dot(d, d);
  if (!(pa > 0) || !(d2 > 0)) return make_vec3(0, 0, 0);
  const float dist = sqrtf(d2);
  const Vec3 wi = d * (1.0f / dist);
  const float c = dot(n, wi), cos_face = fabsf(portals::axis_of(wi, axis));
  if (c <= 0 || !(cos_face > 1e-6f)) return make_vec3(0, 0, 0);
  const float pl = pa * d2 / cos_face, pb = c * kInvPi;
  *rays += 1;
  if (!visible(s, org, wi, dist, rng)) return make_vec3(0, 0, 0);
  const float w = pl * pl / (pl * pl + pb * pb);
  return sky_radiance(s, wi) * (w * c * kInvPi / pl);
}

// The weight of a bounce ray from `org` along `dir` (cosine pdf pb) that escaped to the sky: 1 without portals.
OTE_HD OTE_INLINE float escape_weight(const BakeSceneView& s, Vec3 org, Vec3 dir, float pb) {
  if (s.portals.count == 0) return 1.0f;
  const float pl = portals::pdf(s.portals, org, dir);
  return pl > 0 ? pb * pb / (pb * pb + pl * pl) : 1.0f;
}

OTE_HD OTE_INLINE Vec3 clamp_indirect(const TransportParams& tp, Vec3 c) {
  if (tp.clamp_indirect > 0) {
    const float mx = max3(c);
    if (mx > tp.clamp_indirect) c = c * (tp.clamp_indirect / mx);
  }
  return c;
}

// L(p,n) by one path: direct light at p, then `bounces` diffuse bounces, and each vertex connected to the sample's
// light vertex. `ao` gets 1 when the first bounce ray escapes farther than ao_distance, else 0. `rays` counts the
// rays traced. `direct` (optional) gets the part of L that the next-event samples at p found: shadow rays to a
// light, an emitter or the sky through a portal, low in noise but for penumbrae. The rest of L came by bounce rays:
// light that bounced, and the direct light that the first bounce ray finds by itself (the MIS partner of those
// samples, and in a scene without portals all of the sky), which is as noisy. The bake filters the two parts
// apart (bake/post.ts); sorting by estimator rather than by path length measured better on sponza_crytek (FLIP
// 0.0895 against 0.0903).
// `seq`: this sample's place in its texel's or pixel's sequence, whose numbers the first vertex's decisions take
// when tp.qmc is on (qmc.h); null: every number from `rng`. Later vertices always draw from `rng`: giving their
// decisions padded dimensions too cost about 5% more and measured worse on sponza_crytek (FLIP 0.0817 against
// 0.0798, one run each).
OTE_HD OTE_INLINE Vec3 incident(const BakeSceneView& s, const TransportParams& tp, Vec3 p, Vec3 n, uint32_t& rng,
                                float* ao, uint32_t* rays, Vec3* direct = nullptr,
                                const qmc::Sample* seq = nullptr) {
  if (!tp.qmc) seq = nullptr;
  const bool gather = s.gather.pages != nullptr && tp.bounces > 0;
  // Light vertices are weighted against bounce rays that continue the path; a gathered bounce ray reads what the
  // first bake's light vertices found, so under a final gather they are off (the first bake keeps them).
  const bool use_lv = !gather && tp.light_vertices && tp.bounces > 0 && s.light_vertex_power > 0;
  LightVertex lv{};
  const bool have_lv = use_lv && light_vertex(s, rng, lv, rays, seq);
  Vec3 L = direct_punctual(s, p, n, rng, 0.0f, rays, seq) + direct_emitters(s, p, n, rng, rays, seq) +
           direct_sky(s, p, n, rng, rays, seq);
  if (direct) *direct = L;  // later terms all come by bounce rays
  Vec3 beta = make_vec3(1, 1, 1);
  Vec3 P = p, N = n;
  for (uint32_t bounce = 0;; ++bounce) {
    if (have_lv && bounce < tp.bounces) L = L + clamp_indirect(tp, beta * connect(s, tp, lv, P, N, beta, bounce, rng, rays));
    float u1, u2;
    uniform_2d(bounce == 0 ? seq : nullptr, kDimBounce, rng, u1, u2);
    const Vec3 dir = cosine_hemisphere(N, u1, u2);
    const float pb = max_nn(dot(N, dir), 0.0f) * kInvPi;
    Hit h;
    const Vec3 org = P + N * ray_eps(P);
    const bool hit = surf::trace_visible(s.bvh, s, make_ray(org, dir, 0.0f, INFINITY), false, rng, h);
    *rays += 1;
    if (bounce == 0 && ao) *ao = (hit && h.t < tp.ao_distance) ? 0.0f : 1.0f;
    if (!hit) {
      // Weighted against the portal sample taken at this vertex.
      L = L + beta * sky_radiance(s, dir) * escape_weight(s, org, dir, pb);
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
      const Vec3 c = beta * le * w;
      L = L + (bounce > 0 ? clamp_indirect(tp, c) : c);
    }
    if (bounce >= tp.bounces) break;
    // Final gather: the first bounce reads the first bake's lightmap where it lands on the lit face of a lightmapped
    // surface, which holds every bounce after it, and the path ends. Back faces and double-sided surfaces (whose one
    // texel holds the face the views see) continue the path, and so do hits nearer than tp.gather_near of the
    // hit's texels: there a texel spans a wide angle seen from p, and its interpolated value is what p would see.
    Vec3 cached;
    if (gather && bounce == 0 && front && !m.double_sided &&
        (!s.gather.triangle_texel || h.t > tp.gather_near * s.gather.triangle_texel[h.prim]) &&
        lightmap::lookup(s.gather, h.prim, h.u, h.v, cached)) {
      L = L + clamp_indirect(tp, beta * albedo * cached);
      break;
    }
    beta = beta * albedo;
    float q = 1.0f;
    if (bounce + 1 >= tp.rr_start) {
      q = min_nn(0.95f, max3(beta));
      if (!(q > 0) || rnd(rng) >= q) break;
      beta = beta * (1.0f / q);
    }
    P = P + N * ray_eps(P) + dir * h.t;
    N = front ? h.ng : -h.ng;
    // The density per unit area with which this bounce found P (survival included): what light vertices weigh against.
    const float pb_area = use_lv ? pb * q * fabsf(dot(h.ng, dir)) / (h.t * h.t) : 0.0f;
    const Vec3 d = direct_punctual(s, P, N, rng, pb_area, rays) + direct_emitters(s, P, N, rng, rays);
    L = L + clamp_indirect(tp, beta * d);
    // Unclamped, as the escaping bounce ray it is weighted against.
    L = L + beta * direct_sky(s, P, N, rng, rays);
  }
  return L;
}

}  // namespace transport
}  // namespace ote
