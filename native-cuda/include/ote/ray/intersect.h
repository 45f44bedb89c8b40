// Ray/box and ray/triangle tests, written once for the CPU and the GPU.
#pragma once
#include <math.h>
#include <stdint.h>

#include "../vec3.h"
#include "../bvh/bvh_types.h"

// The host traversal tests both children of a node with SSE (baseline on x86-64); device code and other hosts use
// the scalar form of the same test.
#if defined(__SSE2__) && !defined(__CUDA_ARCH__)
#define OTE_RAYS_SSE 1
#include <emmintrin.h>
#endif

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

// Test the ray against both child boxes of `n` within [tmin, tmax]. Returns a mask (bit c set when child c is
// entered) and the entry distances. The exit distance is widened by 1 + 2*gamma(3) (Ize 2013, pbrt) so that
// rounding never culls a box whose triangles the watertight test would hit: without it, rays along a shared edge
// lying on a box face slip through.
#if defined(OTE_RAYS_SSE)
OTE_INLINE int box_pair(const BvhNode& n, const BoxRay& r, float tmin, float tmax, float& d0, float& d1) {
  // Lanes: [lo child 0, lo child 1, hi child 0, hi child 1]; swapping halves pairs each lo with its hi.
  const __m128 tx = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(n.x), _mm_set1_ps(r.org.x)), _mm_set1_ps(r.inv.x));
  const __m128 ty = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(n.y), _mm_set1_ps(r.org.y)), _mm_set1_ps(r.inv.y));
  const __m128 tz = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(n.z), _mm_set1_ps(r.org.z)), _mm_set1_ps(r.inv.z));
  const __m128 sx = _mm_shuffle_ps(tx, tx, _MM_SHUFFLE(1, 0, 3, 2));
  const __m128 sy = _mm_shuffle_ps(ty, ty, _MM_SHUFFLE(1, 0, 3, 2));
  const __m128 sz = _mm_shuffle_ps(tz, tz, _MM_SHUFFLE(1, 0, 3, 2));
  const __m128 tn = _mm_max_ps(_mm_max_ps(_mm_min_ps(tx, sx), _mm_min_ps(ty, sy)),
                               _mm_max_ps(_mm_min_ps(tz, sz), _mm_set1_ps(tmin)));
  const __m128 tf = _mm_mul_ps(_mm_min_ps(_mm_min_ps(_mm_max_ps(tx, sx), _mm_max_ps(ty, sy)),
                                          _mm_min_ps(_mm_max_ps(tz, sz), _mm_set1_ps(tmax))),
                               _mm_set1_ps(1.0000004f));
  const int mask = _mm_movemask_ps(_mm_cmple_ps(tn, tf)) & 3;
  d0 = _mm_cvtss_f32(tn);
  d1 = _mm_cvtss_f32(_mm_shuffle_ps(tn, tn, _MM_SHUFFLE(1, 1, 1, 1)));
  return mask;
}
#else
OTE_HD OTE_INLINE int box_pair(const BvhNode& n, const BoxRay& r, float tmin, float tmax, float& d0, float& d1) {
  int mask = 0;
#if defined(__CUDACC__)
#pragma unroll
#endif
  for (int c = 0; c < 2; ++c) {
    const float tx0 = (n.x[c] - r.org.x) * r.inv.x, tx1 = (n.x[c + 2] - r.org.x) * r.inv.x;
    const float ty0 = (n.y[c] - r.org.y) * r.inv.y, ty1 = (n.y[c + 2] - r.org.y) * r.inv.y;
    const float tz0 = (n.z[c] - r.org.z) * r.inv.z, tz1 = (n.z[c + 2] - r.org.z) * r.inv.z;
    const float tn = max_nn(max_nn(min_nn(tx0, tx1), min_nn(ty0, ty1)), max_nn(min_nn(tz0, tz1), tmin));
    const float tf = min_nn(min_nn(max_nn(tx0, tx1), max_nn(ty0, ty1)), min_nn(max_nn(tz0, tz1), tmax)) * 1.0000004f;
    if (tn <= tf) mask |= 1 << c;
    if (c == 0) d0 = tn; else d1 = tn;
  }
  return mask;
}
#endif

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
// with `cull_back` only they are hit. A ray through a shared edge or vertex hits at least one of the triangles.
OTE_HD OTE_INLINE bool intersect_triangle(const WatertightRay& w, const float* v0, const float* v1, const float* v2,
                                          float tmin, float tmax, bool cull_back, float& t_out, float& u_out,
                                          float& v_out) {
  const float Az = v0[w.kz] - w.oz, Bz = v1[w.kz] - w.oz, Cz = v2[w.kz] - w.oz;
  const float Ax = (v0[w.kx] - w.ox) - w.sx * Az, Ay = (v0[w.ky] - w.oy) - w.sy * Az;
  const float Bx = (v1[w.kx] - w.ox) - w.sx * Bz, By = (v1[w.ky] - w.oy) - w.sy * Bz;
  const float Cx = (v2[w.kx] - w.ox) - w.sx * Cz, Cy = (v2[w.ky] - w.oy) - w.sy * Cz;
  // The edge functions are evaluated in double: the float products are exact there, so the result is the same
  // whether or not the compiler fuses a multiply and a subtraction (FMA on the GPU and in the AVX2 build). A fused
  // a*b - c*d is not the exact negation of the fused c*d - a*b, and two triangles would then disagree about the
  // edge they share: rays through it would slip between them. Rounded once to float, U, V and W keep their sign.
  const float U = float(double(Cx) * double(By) - double(Cy) * double(Bx));
  const float V = float(double(Ax) * double(Cy) - double(Ay) * double(Cx));
  const float W = float(double(Bx) * double(Ay) - double(By) * double(Ax));
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
