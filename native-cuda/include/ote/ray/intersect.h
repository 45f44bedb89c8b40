// Ray/box and ray/triangle tests, written once for the CPU and the GPU.
#pragma once
#include <math.h>
#include <stdint.h>

#include "../vec3.h"
#include "../bvh/bvh_types.h"

namespace ote {

// 1 / x with zeros mapped to a huge finite value of the same sign: the slab test then never computes 0 * inf.
OTE_HD OTE_INLINE float safe_rcp(float x) { return fabsf(x) > 1e-30f ? 1.0f / x : copysignf(1e30f, x); }

// Min and max for the box test, whose operands are never NaN (safe_rcp keeps 0 * inf out). On the host a plain
// comparison compiles to one minss/maxss, where fminf/fmaxf must honour NaN and become library calls.
#if defined(__CUDA_ARCH__)
OTE_HD OTE_INLINE float min_nn(float a, float b) { return fminf(a, b); }
OTE_HD OTE_INLINE float max_nn(float a, float b) { return fmaxf(a, b); }
#else
OTE_HD OTE_INLINE float min_nn(float a, float b) { return a < b ? a : b; }
OTE_HD OTE_INLINE float max_nn(float a, float b) { return a > b ? a : b; }
#endif

// Per-ray (per-instance) constants of the box test.
struct BoxRay {
  Vec3 org, inv;
};

OTE_HD OTE_INLINE BoxRay make_box_ray(Vec3 org, Vec3 dir) {
  BoxRay r;
  r.org = org;
  r.inv = make_vec3(safe_rcp(dir.x), safe_rcp(dir.y), safe_rcp(dir.z));
  return r;
}

// Entry distance of the ray into the node's box within [tmin, tmax], or INFINITY when it misses.
// The exit distance is widened by 1 + 2*gamma(3) (Ize 2013, pbrt) so that rounding can never cull a box whose
// triangles the watertight test would hit: without it, rays along a shared edge on a box face slip through.
OTE_HD OTE_INLINE float box_enter(const BvhNode& n, const BoxRay& r, float tmin, float tmax) {
  const float tx0 = (n.lo[0] - r.org.x) * r.inv.x, tx1 = (n.hi[0] - r.org.x) * r.inv.x;
  const float ty0 = (n.lo[1] - r.org.y) * r.inv.y, ty1 = (n.hi[1] - r.org.y) * r.inv.y;
  const float tz0 = (n.lo[2] - r.org.z) * r.inv.z, tz1 = (n.hi[2] - r.org.z) * r.inv.z;
  const float tnear = max_nn(max_nn(min_nn(tx0, tx1), min_nn(ty0, ty1)), max_nn(min_nn(tz0, tz1), tmin));
  const float tfar = min_nn(min_nn(max_nn(tx0, tx1), max_nn(ty0, ty1)), min_nn(max_nn(tz0, tz1), tmax)) * 1.0000004f;
  return tnear <= tfar ? tnear : INFINITY;
}

// Per-ray (per-instance) constants of the watertight triangle test (Woop, Benthin and Wald 2013, JCGT 2(1)):
// the ray is permuted so that its largest direction component is z and sheared so that it runs along +z.
// Every triangle corner is then projected the same way, so two triangles that share an edge compute that edge's
// function from identical inputs and a ray through the edge hits at least one of them.
struct WatertightRay {
  int kx, ky, kz;
  float sx, sy, sz;
  float ox, oy, oz;  // the origin, permuted
};

OTE_HD OTE_INLINE float vec_at(Vec3 v, int k) { return k == 0 ? v.x : (k == 1 ? v.y : v.z); }

OTE_HD OTE_INLINE WatertightRay make_watertight_ray(Vec3 org, Vec3 dir) {
  WatertightRay w;
  const float ax = fabsf(dir.x), ay = fabsf(dir.y), az = fabsf(dir.z);
  w.kz = ax > ay ? (ax > az ? 0 : 2) : (ay > az ? 1 : 2);
  w.kx = w.kz == 2 ? 0 : w.kz + 1;
  w.ky = w.kx == 2 ? 0 : w.kx + 1;
  const float dz = vec_at(dir, w.kz);
  if (dz < 0.0f) {  // keep the winding: a mirrored permutation would swap front and back
    const int t = w.kx;
    w.kx = w.ky, w.ky = t;
  }
  w.sx = vec_at(dir, w.kx) / dz;
  w.sy = vec_at(dir, w.ky) / dz;
  w.sz = 1.0f / dz;
  w.ox = vec_at(org, w.kx), w.oy = vec_at(org, w.ky), w.oz = vec_at(org, w.kz);
  return w;
}

// Watertight ray/triangle test. On a hit inside (tmin, tmax) writes t and the barycentrics (u, v) of corners 1
// and 2 and returns true. Front faces (counter-clockwise seen from the ray origin) give positive edge functions;
// with `cull_back` only they are hit. Edge functions that round to exactly zero are recomputed in double, as the
// paper prescribes, so that a ray through a vertex or an edge is decided consistently.
OTE_HD OTE_INLINE bool intersect_triangle(const WatertightRay& w, const float* v0, const float* v1, const float* v2,
                                          float tmin, float tmax, bool cull_back, float& t_out, float& u_out,
                                          float& v_out) {
  const float Az = v0[w.kz] - w.oz, Bz = v1[w.kz] - w.oz, Cz = v2[w.kz] - w.oz;
  const float Ax = (v0[w.kx] - w.ox) - w.sx * Az, Ay = (v0[w.ky] - w.oy) - w.sy * Az;
  const float Bx = (v1[w.kx] - w.ox) - w.sx * Bz, By = (v1[w.ky] - w.oy) - w.sy * Bz;
  const float Cx = (v2[w.kx] - w.ox) - w.sx * Cz, Cy = (v2[w.ky] - w.oy) - w.sy * Cz;
  float U = Cx * By - Cy * Bx;
  float V = Ax * Cy - Ay * Cx;
  float W = Bx * Ay - By * Ax;
  if (U == 0.0f || V == 0.0f || W == 0.0f) {
    U = float(double(Cx) * double(By) - double(Cy) * double(Bx));
    V = float(double(Ax) * double(Cy) - double(Ay) * double(Cx));
    W = float(double(Bx) * double(Ay) - double(By) * double(Ax));
  }
  // In this frame a counter-clockwise triangle seen from the origin has positive edge functions.
  if (cull_back) {
    if (U < 0.0f || V < 0.0f || W < 0.0f) return false;
  } else if ((U < 0.0f || V < 0.0f || W < 0.0f) && (U > 0.0f || V > 0.0f || W > 0.0f)) {
    return false;
  }
  const float det = U + V + W;
  if (det == 0.0f) return false;
  const float T = w.sz * (U * Az + V * Bz + W * Cz);
  const float rcp = 1.0f / det;
  const float t = T * rcp;
  if (!(t > tmin && t < tmax)) return false;
  t_out = t;
  u_out = V * rcp;
  v_out = W * rcp;
  return true;
}

}  // namespace ote
