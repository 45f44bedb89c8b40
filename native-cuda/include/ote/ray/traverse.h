// Two-level BVH traversal, written once for the CPU threads and the CUDA kernels:
//
//   Hit h;
//   if (trace_closest(view, make_ray(org, dir, 1e-4f, INFINITY), kRayNone, h)) shade(h.prim, h.instance, h.ng);
//   bool blocked = trace_any(view, shadow_ray, kRayNone);
//
// `view` is a SceneBvhView over host memory (SceneBvh::view()) on the CPU or device memory
// (DeviceSceneBvh::view()) inside a kernel. Both functions are reentrant and allocate nothing.
#pragma once
#include <math.h>
#include <stdint.h>

#include "../bvh/bvh_types.h"
#include "intersect.h"
#include "ray.h"

namespace ote {

namespace detail {

struct StackEntry {
  uint32_t node;
  float t;  // entry distance, so that entries behind the closest hit found since are dropped unvisited
};

OTE_HD OTE_INLINE bool ray_is_valid(const Ray& r) {
  const float d2 = dot(r.dir, r.dir);
  return is_finite(r.org) && isfinite(d2) && d2 > 0.0f && !(r.tmin > r.tmax) && !isnan(r.tmin) && !isnan(r.tmax);
}

OTE_HD OTE_INLINE Vec3 xform_point(const float* m, Vec3 p) {
  return {m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3], m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7],
          m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11]};
}
OTE_HD OTE_INLINE Vec3 xform_vector(const float* m, Vec3 v) {
  return {m[0] * v.x + m[1] * v.y + m[2] * v.z, m[4] * v.x + m[5] * v.y + m[6] * v.z,
          m[8] * v.x + m[9] * v.y + m[10] * v.z};
}
// Object-space normal to world space: the transpose of world_to_object's 3x3 (the inverse transpose of the
// object-to-world matrix), which keeps normals perpendicular under non-uniform scale and mirroring.
OTE_HD OTE_INLINE Vec3 xform_normal(const float* m, Vec3 n) {
  return {m[0] * n.x + m[4] * n.y + m[8] * n.z, m[1] * n.x + m[5] * n.y + m[9] * n.z,
          m[2] * n.x + m[6] * n.y + m[10] * n.z};
}

// Closest (kAny = false) or any (kAny = true) hit in one BLAS, in object space. Shrinks `tmax` to each hit and
// records the BvhTri slot. Returns true when something was hit.
template <bool kAny>
OTE_HD OTE_INLINE bool traverse_blas(const BvhNode* nodes, const BvhTri* tris, uint32_t root, Vec3 org, Vec3 dir,
                                     float tmin, float& tmax, bool cull, uint32_t& slot, float& bu, float& bv) {
  const BoxRay br = make_box_ray(org, dir);
  if (box_enter(nodes[root], br, tmin, tmax) == INFINITY) return false;
  const WatertightRay wr = make_watertight_ray(org, dir);
  StackEntry stack[kBvhStackSize];
  int sp = 0;
  uint32_t idx = root;
  bool found = false;
  for (;;) {
    const BvhNode n = nodes[idx];
    if (n.count) {
      for (uint32_t i = n.first; i < n.first + n.count; ++i) {
        const BvhTri& tri = tris[i];
        float t, u, v;
        if (intersect_triangle(wr, tri.v0, tri.v1, tri.v2, tmin, tmax, cull, t, u, v)) {
          found = true;
          tmax = t, slot = i, bu = u, bv = v;
          if (kAny) return true;
        }
      }
    } else {
      const float d0 = box_enter(nodes[n.first], br, tmin, tmax);
      const float d1 = box_enter(nodes[n.first + 1], br, tmin, tmax);
      if (d0 != INFINITY && d1 != INFINITY) {
        const bool left_first = d0 <= d1;
        stack[sp].node = left_first ? n.first + 1 : n.first;
        stack[sp].t = left_first ? d1 : d0;
        ++sp;
        idx = left_first ? n.first : n.first + 1;
        continue;
      }
      if (d0 != INFINITY) { idx = n.first; continue; }
      if (d1 != INFINITY) { idx = n.first + 1; continue; }
    }
    // Pop the nearest pending subtree that can still hold a closer hit.
    for (;;) {
      if (sp == 0) return found;
      --sp;
      if (stack[sp].t <= tmax) break;
    }
    idx = stack[sp].node;
  }
}

template <bool kAny>
OTE_HD OTE_INLINE bool traverse_scene(const SceneBvhView& s, const Ray& ray, uint32_t flags, float& tmax,
                                      uint32_t& slot, uint32_t& inst, float& bu, float& bv) {
  if (s.tlas_node_count == 0 || !ray_is_valid(ray)) return false;
  const bool cull = (flags & kRayCullBackFaces) != 0;
  const BoxRay br = make_box_ray(ray.org, ray.dir);
  const float tmin = ray.tmin;
  if (box_enter(s.tlas_nodes[0], br, tmin, tmax) == INFINITY) return false;
  StackEntry stack[kBvhStackSize];
  int sp = 0;
  uint32_t idx = 0;
  bool found = false;
  for (;;) {
    const BvhNode n = s.tlas_nodes[idx];
    if (n.count) {
      for (uint32_t i = n.first; i < n.first + n.count; ++i) {
        const BvhInstance& in = s.instances[i];
        // The direction is transformed but not normalised, so t means the same in both spaces.
        const Vec3 o = xform_point(in.world_to_object, ray.org);
        const Vec3 d = xform_vector(in.world_to_object, ray.dir);
        if (traverse_blas<kAny>(s.blas_nodes, s.tris, in.blas_root, o, d, tmin, tmax, cull, slot, bu, bv)) {
          found = true;
          inst = i;
          if (kAny) return true;
        }
      }
    } else {
      const float d0 = box_enter(s.tlas_nodes[n.first], br, tmin, tmax);
      const float d1 = box_enter(s.tlas_nodes[n.first + 1], br, tmin, tmax);
      if (d0 != INFINITY && d1 != INFINITY) {
        const bool left_first = d0 <= d1;
        stack[sp].node = left_first ? n.first + 1 : n.first;
        stack[sp].t = left_first ? d1 : d0;
        ++sp;
        idx = left_first ? n.first : n.first + 1;
        continue;
      }
      if (d0 != INFINITY) { idx = n.first; continue; }
      if (d1 != INFINITY) { idx = n.first + 1; continue; }
    }
    for (;;) {
      if (sp == 0) return found;
      --sp;
      if (stack[sp].t <= tmax) break;
    }
    idx = stack[sp].node;
  }
}

}  // namespace detail

// Closest hit of `ray` in (ray.tmin, ray.tmax). Returns false and sets hit.prim = kBvhInvalid on a miss.
// Invalid rays (zero, infinite or NaN direction or origin, NaN or empty t range) miss.
OTE_HD OTE_INLINE bool trace_closest(const SceneBvhView& s, const Ray& ray, uint32_t flags, Hit& hit) {
  float t = ray.tmax;
  uint32_t slot = kBvhInvalid, inst = 0;
  float u = 0.0f, v = 0.0f;
  hit.t = ray.tmax, hit.prim = kBvhInvalid, hit.instance = kBvhInvalid, hit.u = 0.0f, hit.v = 0.0f;
  hit.ng = make_vec3(0.0f, 0.0f, 0.0f);
  if (!detail::traverse_scene<false>(s, ray, flags, t, slot, inst, u, v)) return false;
  const BvhTri& tri = s.tris[slot];
  const BvhInstance& in = s.instances[inst];
  const Vec3 a = load_vec3(tri.v0, 0), b = load_vec3(tri.v1, 0), c = load_vec3(tri.v2, 0);
  const Vec3 n = detail::xform_normal(in.world_to_object, cross(b - a, c - a));
  hit.t = t, hit.prim = tri.prim, hit.instance = in.instance, hit.u = u, hit.v = v;
  hit.ng = n * (1.0f / length(n));
  return true;
}

// True when anything blocks `ray` in (ray.tmin, ray.tmax): shadow and occlusion queries. Stops at the first hit.
OTE_HD OTE_INLINE bool trace_any(const SceneBvhView& s, const Ray& ray, uint32_t flags) {
  float t = ray.tmax, u, v;
  uint32_t slot, inst;
  return detail::traverse_scene<true>(s, ray, flags, t, slot, inst, u, v);
}

}  // namespace ote
