// Ray/box and ray/triangle tests, written once for the CPU and the GPU.
#pragma once
#include <math.h>
#include <stdint.h>

#include "../vec3.h"
#include "../bvh/bvh_types.h"

namespace ote {

// 1 / x with zeros mapped to a huge finite value of the same sign: the slab test then never computes 0 * inf.
OTE_HD OTE_INLINE float safe_rcp(float x) { return fabsf(x) > 1e-30f ? 1.0f / x : copysignf(1e30f, x); }

// Per-ray (per-instance) constants of the box test. The direction's signs pick, once per ray, which of a box's
// two planes per axis is entered first (Williams et al. 2005), so the test needs no min/max per slab.
struct BoxRay {
  Vec3 org, inv;
  int near_x, near_y, near_z;  // BvhNode::box rows of the near planes: lo (2a) or hi (2a + 1); far = near ^ 1
};

OTE_HD OTE_INLINE BoxRay make_box_ray(Vec3 org, Vec3 dir) {
  BoxRay r;
  r.org = org;
  r.inv = make_vec3(safe_rcp(dir.x), safe_rcp(dir.y), safe_rcp(dir.z));
  r.near_x = r.inv.x >= 0.0f ? 0 : 1;
  r.near_y = r.inv.y >= 0.0f ? 2 : 3;
  r.near_z = r.inv.z >= 0.0f ? 4 : 5;
  return r;
}

// The exit distance is widened by 1 + 2*gamma(3) (Ize 2013, pbrt) so that rounding can never cull a box whose
// triangles the watertight test would hit: without it, rays along a shared edge on a box face slip through.
constexpr float kBoxExitScale = 1.0000004f;

// Entry distance of the ray into child `k`'s box of `node` within [tmin, tmax], or INFINITY when it misses (an
// unused slot's empty box always misses). The scalar form of the CPU's SIMD node test, for the GPU.
OTE_HD OTE_INLINE float box_enter(const BvhNode* node, int k, const BoxRay& r, float tmin, float tmax) {
  const float* f = &node->box[0][0] + k;
  const float tnx = (f[kBvhWidth * r.near_x] - r.org.x) * r.inv.x, tfx = (f[kBvhWidth * (r.near_x ^ 1)] - r.org.x) * r.inv.x;
  const float tny = (f[kBvhWidth * r.near_y] - r.org.y) * r.inv.y, tfy = (f[kBvhWidth * (r.near_y ^ 1)] - r.org.y) * r.inv.y;
  const float tnz = (f[kBvhWidth * r.near_z] - r.org.z) * r.inv.z, tfz = (f[kBvhWidth * (r.near_z ^ 1)] - r.org.z) * r.inv.z;
  const float tnear = max_nn(max_nn(tnx, tny), max_nn(tnz, tmin));
  const float tfar = min_nn(min_nn(tfx, tfy), min_nn(tfz, tmax)) * kBoxExitScale;
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
  // One division, shared with the box test's reciprocal (safe_rcp(dz) == 1 / dz: dz is the largest component of
  // a valid direction): the CPU walk computes both once per instance it enters.
  w.sz = 1.0f / dz;
  w.sx = vec_at(dir, w.kx) * w.sz;
  w.sy = vec_at(dir, w.ky) * w.sz;
  w.ox = vec_at(org, w.kx), w.oy = vec_at(org, w.ky), w.oz = vec_at(org, w.kz);
  return w;
}

// A float product that the compiler may not fuse with a neighbouring addition (FMA): the triangle test rounds
// every product on its own, so that the CPU (with or without FMA) and the GPU compute the same bits and a shared
// edge's function seen from its two triangles is exactly negated (see intersect_triangle).
OTE_HD OTE_INLINE float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#elif defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  float p = a * b;
  __asm__("" : "+x"(p));  // opaque to the optimiser: no contraction across it
  return p;
#else
  volatile float p = a * b;
  return p;
#endif
}

// Watertight ray/triangle test. On a hit inside (tmin, tmax) writes t and the barycentrics (u, v) of corners 1
// and 2 and returns true. Front faces (counter-clockwise seen from the ray origin) give positive edge functions;
// with `cull_back` only they are hit. A ray through a shared edge or vertex hits at least one of the triangles.
// The CPU's four-lane form (ray/traverse.h) performs the same float operations in the same order.
OTE_HD OTE_INLINE bool intersect_triangle(const WatertightRay& w, const float* v0, const float* v1, const float* v2,
                                          float tmin, float tmax, bool cull_back, float& t_out, float& u_out,
                                          float& v_out) {
  const float Az = v0[w.kz] - w.oz, Bz = v1[w.kz] - w.oz, Cz = v2[w.kz] - w.oz;
  const float Ax = (v0[w.kx] - w.ox) - mul_rn(w.sx, Az), Ay = (v0[w.ky] - w.oy) - mul_rn(w.sy, Az);
  const float Bx = (v1[w.kx] - w.ox) - mul_rn(w.sx, Bz), By = (v1[w.ky] - w.oy) - mul_rn(w.sy, Bz);
  const float Cx = (v2[w.kx] - w.ox) - mul_rn(w.sx, Cz), Cy = (v2[w.ky] - w.oy) - mul_rn(w.sy, Cz);
  // Edge functions with both products rounded and never fused: a*b - c*d is then exactly the negation of
  // c*d - a*b, so the two triangles sharing an edge agree on its sign and a ray through it hits one of them
  // (a fused form is not antisymmetric, and rays would slip between them). Only an exact zero is ambiguous (the
  // ray passes through the edge within rounding); those are redone in double, where the float products are exact
  // (Woop, Benthin and Wald 2013, section 3).
  float U = mul_rn(Cx, By) - mul_rn(Cy, Bx);
  float V = mul_rn(Ax, Cy) - mul_rn(Ay, Cx);
  float W = mul_rn(Bx, Ay) - mul_rn(By, Ax);
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
  const float T = mul_rn(w.sz, (mul_rn(U, Az) + mul_rn(V, Bz)) + mul_rn(W, Cz));
  const float rcp = 1.0f / det;
  const float t = T * rcp;
  if (!(t > tmin && t < tmax)) return false;
  t_out = t;
  u_out = V * rcp;
  v_out = W * rcp;
  return true;
}

// The same test on one lane of a BvhTri4 packet (a NaN padding lane never hits).
OTE_HD OTE_INLINE bool intersect_triangle(const WatertightRay& w, const BvhTri4& p, int lane, float tmin, float tmax,
                                          bool cull_back, float& t_out, float& u_out, float& v_out) {
  const float v0[3] = {p.v[0][0][lane], p.v[0][1][lane], p.v[0][2][lane]};
  const float v1[3] = {p.v[1][0][lane], p.v[1][1][lane], p.v[1][2][lane]};
  const float v2[3] = {p.v[2][0][lane], p.v[2][1][lane], p.v[2][2][lane]};
  return intersect_triangle(w, v0, v1, v2, tmin, tmax, cull_back, t_out, u_out, v_out);
}

}  // namespace ote
