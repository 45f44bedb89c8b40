// Rays, hits and query flags shared by every tracer (CPU and CUDA): the renderer, the baker, splat views, Trust.
#pragma once
#include <stdint.h>

#include "../vec3.h"
#include "../bvh/bvh_types.h"

namespace ote {

// A ray segment: points org + t * dir for t in (tmin, tmax). `dir` need not be unit length; t is measured in
// units of |dir|. A zero, infinite or NaN direction (or origin) never hits anything.
struct Ray {
  Vec3 org;
  float tmin;
  Vec3 dir;
  float tmax;
};

enum RayFlags : uint32_t {
  kRayNone = 0,
  // Skip triangles seen from behind. Front faces are counter-clockwise in object space (glTF), which the
  // instance transform keeps front-facing even when it mirrors (negative determinant).
  kRayCullBackFaces = 1u << 0,
};

// The closest (or any) intersection. On a miss, prim == kBvhInvalid and t == tmax of the query.
struct Hit {
  float t;
  uint32_t prim;      // FlatScene triangle index (global: indices[3*prim..3*prim+2])
  uint32_t instance;  // FlatScene instance index
  float u, v;         // barycentrics of corners 1 and 2: p = (1-u-v) v0 + u v1 + v2 v
  Vec3 ng;            // unit world-space geometric normal of the front side (counter-clockwise, glTF)
};

OTE_HD OTE_INLINE bool hit_found(const Hit& h) { return h.prim != kBvhInvalid; }

OTE_HD OTE_INLINE Ray make_ray(Vec3 org, Vec3 dir, float tmin = 0.0f, float tmax = INFINITY) {
  Ray r;
  r.org = org, r.dir = dir, r.tmin = tmin, r.tmax = tmax;
  return r;
}

}  // namespace ote
