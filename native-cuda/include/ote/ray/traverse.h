// Two-level BVH traversal for the CPU threads and the CUDA kernels:
//
//   Hit h;
//   if (trace_closest(view, make_ray(org, dir, 1e-4f, INFINITY), kRayNone, h)) shade(h.prim, h.instance, h.ng);
//   bool blocked = trace_any(view, shadow_ray, kRayNone);
//
// `view` is a SceneBvhView over host memory (SceneBvh::view()) on the CPU or device memory
// (DeviceSceneBvh::view()) inside a kernel. Both functions are reentrant and allocate nothing.
//
// One walk, two inner steps over the same BvhNode / BvhTri4 arrays: on x86-64 hosts a node's eight child boxes are
// tested in two SSE steps (one AVX step in an AVX build) and a leaf's four triangles in one watertight SIMD test; in
// CUDA kernels (and on other hosts) a scalar loop over the eight children and the four lanes does the same
// arithmetic. Both visit children nearest first and break distance ties by child slot, so they return the same hits.
#pragma once
#include <math.h>
#include <stdint.h>

#include "../bvh/bvh_types.h"
#include "intersect.h"
#include "ray.h"

// OTE_TRAVERSE_SCALAR forces the scalar walk on the host (native-cuda/test/test_bvh_scalar.cpp).
#if !defined(__CUDACC__) && !defined(OTE_TRAVERSE_SCALAR) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define OTE_TRAVERSE_SSE 1
#include <emmintrin.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif
#endif

namespace ote {

// The SIMD and scalar walks are different definitions of the same entry points; the inline namespace gives them
// distinct linkage names, so a .cu file's host copy never stands in for a .cpp file's SIMD copy at link time.
#if defined(OTE_TRAVERSE_SSE) && defined(__AVX__)
inline namespace traverse_avx {  // trace_cpu_avx2.cpp, and whole builds with AVX enabled
#elif defined(OTE_TRAVERSE_SSE)
inline namespace traverse_sse {
#else
inline namespace traverse_scalar {
#endif

namespace detail {

struct StackEntry {
  uint32_t ref;  // child reference (bvh_types.h)
  float t;       // entry distance, so that entries behind the closest hit found since are dropped unvisited
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

OTE_HD OTE_INLINE int lowest_bit(uint32_t mask) {
#if defined(__CUDA_ARCH__)
  return __ffs(int(mask)) - 1;
#else
  return __builtin_ctz(mask);
#endif
}

// After a node test: continue with the nearest entered child and push the others far to near, so that the next
// pop is the nearest pending one. `d` holds the entry distances (INFINITY = missed), `mask` the entered
// children (at least two). Ties go to the lower slot on both backends.
OTE_HD OTE_INLINE uint32_t order_children(const BvhNode* n, const float* d, uint32_t mask, StackEntry* stack,
                                          int& sp) {
  const int a = lowest_bit(mask);
  const uint32_t rest = mask & (mask - 1);
  if (!(rest & (rest - 1))) {  // two children: the common case, without the general insertion
    const int b = lowest_bit(rest);
    const bool swap = d[b] < d[a];
    stack[sp].ref = n->child[swap ? a : b], stack[sp].t = swap ? d[a] : d[b];
    ++sp;
    return n->child[swap ? b : a];
  }
  int k0 = -1;
  const int base = sp;
  for (int k = 0; k < kBvhWidth; ++k) {
    if (!(mask & (1u << k))) continue;
    if (k0 < 0) { k0 = k; continue; }
    // Keep the nearest in k0; insert the other into the pushed run, sorted far (bottom) to near (top).
    int c = k;
    if (d[k] < d[k0]) c = k0, k0 = k;
    int j = sp++;
    while (j > base && stack[j - 1].t < d[c]) stack[j] = stack[j - 1], --j;
    stack[j].ref = n->child[c], stack[j].t = d[c];
  }
  return n->child[k0];
}

// The stack walk of one BVH level, written once for both backends and both levels. `level` supplies the steps:
//   uint32_t level.nodes.enter(const BvhNode*, float tmax, float* d)  the entered children's mask, entry distances in d
//   bool level.leaf(uint32_t first, uint32_t count, float& tmax)     tests a leaf's primitives, shrinking tmax; true on a hit
// Children are visited nearest first; a popped subtree that starts beyond the closest hit found since is dropped.
template <bool kAny, class Level>
OTE_HD OTE_INLINE bool walk_level(const BvhNode* nodes, uint32_t root, Level& level, float& tmax) {
  StackEntry stack[kBvhStackSize];
  int sp = 0;
  uint32_t ref = root;
  bool found = false;
  for (;;) {
    if (!bvh_is_leaf(ref)) {
      const BvhNode* n = nodes + ref;
      float d[kBvhWidth];
      const uint32_t mask = level.nodes.enter(n, tmax, d);
      if (mask) {
        ref = !(mask & (mask - 1)) ? n->child[lowest_bit(mask)] : order_children(n, d, mask, stack, sp);
        continue;
      }
    } else if (level.leaf(bvh_leaf_first(ref), bvh_leaf_count(ref), tmax)) {
      found = true;
      if (kAny) return true;
    }
    for (;;) {
      if (sp == 0) return found;
      --sp;
      if (stack[sp].t <= tmax) break;
    }
    ref = stack[sp].ref;
  }
}

#ifdef OTE_TRAVERSE_SSE

// ---- x86-64 host: four children / four triangles per SIMD step ---------------------------------------------------

// Both ray setups, and NodeTest below, leave their members uninitialized (the empty constructors):
// make_level_rays() writes every one, and the walks' `Level{{}, {}, ...}` would otherwise zero about 240 bytes per
// instance a ray enters with `rep stos` (8% of the Cornell box's path-traced reference in `perf`, 2026-12-07).
struct NodeRay4 {
  __m128 ox, oy, oz, ix, iy, iz;
  int nx, ny, nz;  // near-plane rows (BoxRay)
  NodeRay4() {}
};

struct TriRay4 {
  int kx, ky, kz;
  __m128 sx, sy, sz, ox, oy, oz;
  TriRay4() {}
};

// Both per-level ray setups of make_box_ray() and make_watertight_ray() with one four-wide division: this runs
// for every instance a ray enters, so it is the TLAS-to-BLAS transition cost. Same values as the scalar setups.
inline void make_level_rays(Vec3 org, Vec3 dir, NodeRay4& nr, TriRay4& tr) {
  const __m128 d = _mm_setr_ps(dir.x, dir.y, dir.z, 1.0f);
  const __m128 sign = _mm_set1_ps(-0.0f);
  const __m128 tiny = _mm_cmple_ps(_mm_andnot_ps(sign, d), _mm_set1_ps(1e-30f));
  const __m128 huge = _mm_or_ps(_mm_and_ps(d, sign), _mm_set1_ps(1e30f));  // copysign(1e30, d)
  const __m128 inv = _mm_or_ps(_mm_and_ps(tiny, huge), _mm_andnot_ps(tiny, _mm_div_ps(_mm_set1_ps(1.0f), d)));
  alignas(16) float iv[4];
  _mm_store_ps(iv, inv);
  nr.ox = _mm_set1_ps(org.x), nr.oy = _mm_set1_ps(org.y), nr.oz = _mm_set1_ps(org.z);
  nr.ix = _mm_set1_ps(iv[0]), nr.iy = _mm_set1_ps(iv[1]), nr.iz = _mm_set1_ps(iv[2]);
  nr.nx = iv[0] >= 0.0f ? 0 : 1, nr.ny = iv[1] >= 0.0f ? 2 : 3, nr.nz = iv[2] >= 0.0f ? 4 : 5;
  const float dv[3] = {dir.x, dir.y, dir.z}, ov[3] = {org.x, org.y, org.z};
  const float ax = fabsf(dir.x), ay = fabsf(dir.y), az = fabsf(dir.z);
  int kz = ax > ay ? (ax > az ? 0 : 2) : (ay > az ? 1 : 2);
  int kx = kz == 2 ? 0 : kz + 1, ky = kx == 2 ? 0 : kx + 1;
  if (dv[kz] < 0.0f) {  // keep the winding (make_watertight_ray)
    const int t = kx;
    kx = ky, ky = t;
  }
  const float sz = iv[kz];
  tr.kx = kx, tr.ky = ky, tr.kz = kz;
  tr.sx = _mm_set1_ps(dv[kx] * sz), tr.sy = _mm_set1_ps(dv[ky] * sz), tr.sz = _mm_set1_ps(sz);
  tr.ox = _mm_set1_ps(ov[kx]), tr.oy = _mm_set1_ps(ov[ky]), tr.oz = _mm_set1_ps(ov[kz]);
}

// The box test of box_enter() on four children starting at `k0`: same operations, same rounding. Returns the
// entered mask of those four.
inline uint32_t node_enter4(const BvhNode* n, int k0, const NodeRay4& r, __m128 tmin, __m128 tmax, float* d) {
  const float* b = &n->box[0][0] + k0;
  constexpr int W = kBvhWidth;
  const __m128 tnx = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(b + W * r.nx), r.ox), r.ix);
  const __m128 tfx = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(b + W * (r.nx ^ 1)), r.ox), r.ix);
  const __m128 tny = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(b + W * r.ny), r.oy), r.iy);
  const __m128 tfy = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(b + W * (r.ny ^ 1)), r.oy), r.iy);
  const __m128 tnz = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(b + W * r.nz), r.oz), r.iz);
  const __m128 tfz = _mm_mul_ps(_mm_sub_ps(_mm_load_ps(b + W * (r.nz ^ 1)), r.oz), r.iz);
  const __m128 tnear = _mm_max_ps(_mm_max_ps(tnx, tny), _mm_max_ps(tnz, tmin));
  const __m128 tfar = _mm_mul_ps(_mm_min_ps(_mm_min_ps(tfx, tfy), _mm_min_ps(tfz, tmax)), _mm_set1_ps(kBoxExitScale));
  _mm_storeu_ps(d + k0, tnear);
  return uint32_t(_mm_movemask_ps(_mm_cmple_ps(tnear, tfar))) << k0;
}

#if defined(__AVX__)
// All eight children in one AVX step, where AVX is enabled (cpu/trace_cpu_avx2.cpp, or a whole build with
// OTE_EXTRA_CXX_FLAGS=-mavx2): same operations, same rounding, so the same hits as the SSE steps.
inline uint32_t node_enter8(const BvhNode* n, const NodeRay4& r, __m128 tmin, __m128 tmax, float* d) {
  const float* b = &n->box[0][0];
  const __m256 ox = _mm256_set_m128(r.ox, r.ox), oy = _mm256_set_m128(r.oy, r.oy), oz = _mm256_set_m128(r.oz, r.oz);
  const __m256 ix = _mm256_set_m128(r.ix, r.ix), iy = _mm256_set_m128(r.iy, r.iy), iz = _mm256_set_m128(r.iz, r.iz);
  const __m256 tnx = _mm256_mul_ps(_mm256_sub_ps(_mm256_load_ps(b + 8 * r.nx), ox), ix);
  const __m256 tfx = _mm256_mul_ps(_mm256_sub_ps(_mm256_load_ps(b + 8 * (r.nx ^ 1)), ox), ix);
  const __m256 tny = _mm256_mul_ps(_mm256_sub_ps(_mm256_load_ps(b + 8 * r.ny), oy), iy);
  const __m256 tfy = _mm256_mul_ps(_mm256_sub_ps(_mm256_load_ps(b + 8 * (r.ny ^ 1)), oy), iy);
  const __m256 tnz = _mm256_mul_ps(_mm256_sub_ps(_mm256_load_ps(b + 8 * r.nz), oz), iz);
  const __m256 tfz = _mm256_mul_ps(_mm256_sub_ps(_mm256_load_ps(b + 8 * (r.nz ^ 1)), oz), iz);
  const __m256 tnear = _mm256_max_ps(_mm256_max_ps(tnx, tny), _mm256_max_ps(tnz, _mm256_set_m128(tmin, tmin)));
  const __m256 tfar = _mm256_mul_ps(_mm256_min_ps(_mm256_min_ps(tfx, tfy), _mm256_min_ps(tfz, _mm256_set_m128(tmax, tmax))),
                                    _mm256_set1_ps(kBoxExitScale));
  _mm256_storeu_ps(d, tnear);
  return uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(tnear, tfar, _CMP_LE_OQ)));
}
#endif

// All children of a node: one AVX step for eight where the build has AVX, else one SSE step per four.
static_assert(kBvhWidth % 4 == 0, "the SSE node test takes children four at a time");
inline uint32_t node_enter_all(const BvhNode* n, const NodeRay4& r, __m128 tmin, __m128 tmax, float* d) {
#if defined(__AVX__)
  if (kBvhWidth == 8) return node_enter8(n, r, tmin, tmax, d);
#endif
  uint32_t mask = 0;
  for (int k0 = 0; k0 < kBvhWidth; k0 += 4) mask |= node_enter4(n, k0, r, tmin, tmax, d);
  return mask;
}

typedef float OteF4 __attribute__((vector_size(16)));
typedef double OteD4 __attribute__((vector_size(32)));

// a*b - c*d in double, rounded once to float: exact products, so fused or not it is the same value (see
// intersect_triangle). Two SSE2 halves on the baseline build, one AVX step in the AVX2 build.
inline __m128 edge4_exact(__m128 a, __m128 b, __m128 c, __m128 d) {
  const OteD4 A = __builtin_convertvector(OteF4(a), OteD4), B = __builtin_convertvector(OteF4(b), OteD4);
  const OteD4 C = __builtin_convertvector(OteF4(c), OteD4), D = __builtin_convertvector(OteF4(d), OteD4);
  return __m128(__builtin_convertvector(A * B - C * D, OteF4));
}

// mul_rn() on four lanes: a product the compiler may not fuse with a following addition.
inline __m128 mul_unfused(__m128 a, __m128 b) {
  __m128 p = _mm_mul_ps(a, b);
  __asm__("" : "+x"(p));
  return p;
}

// a*b - c*d with both products rounded, as in intersect_triangle; exact zeros are redone in double by the caller.
inline __m128 edge4(__m128 a, __m128 b, __m128 c, __m128 d) { return _mm_sub_ps(mul_unfused(a, b), mul_unfused(c, d)); }

// intersect_triangle() on the four lanes of a packet (edge functions in float, in double where one is zero).
// Returns the hit mask; t, and V, W and 1/det for the
// barycentrics of the chosen lane.
inline uint32_t intersect_tri4(const BvhTri4& p, const TriRay4& w, __m128 tmin, __m128 tmax, bool cull_back,
                               __m128& t, __m128& V, __m128& W, __m128& rcp) {
  const __m128 Az = _mm_sub_ps(_mm_load_ps(p.v[0][w.kz]), w.oz);
  const __m128 Bz = _mm_sub_ps(_mm_load_ps(p.v[1][w.kz]), w.oz);
  const __m128 Cz = _mm_sub_ps(_mm_load_ps(p.v[2][w.kz]), w.oz);
  const __m128 Ax = _mm_sub_ps(_mm_sub_ps(_mm_load_ps(p.v[0][w.kx]), w.ox), mul_unfused(w.sx, Az));
  const __m128 Ay = _mm_sub_ps(_mm_sub_ps(_mm_load_ps(p.v[0][w.ky]), w.oy), mul_unfused(w.sy, Az));
  const __m128 Bx = _mm_sub_ps(_mm_sub_ps(_mm_load_ps(p.v[1][w.kx]), w.ox), mul_unfused(w.sx, Bz));
  const __m128 By = _mm_sub_ps(_mm_sub_ps(_mm_load_ps(p.v[1][w.ky]), w.oy), mul_unfused(w.sy, Bz));
  const __m128 Cx = _mm_sub_ps(_mm_sub_ps(_mm_load_ps(p.v[2][w.kx]), w.ox), mul_unfused(w.sx, Cz));
  const __m128 Cy = _mm_sub_ps(_mm_sub_ps(_mm_load_ps(p.v[2][w.ky]), w.oy), mul_unfused(w.sy, Cz));
  __m128 U = edge4(Cx, By, Cy, Bx);
  V = edge4(Ax, Cy, Ay, Cx);
  W = edge4(Bx, Ay, By, Ax);
  const __m128 zero = _mm_setzero_ps();
  // A lane with an exact zero (a ray through an edge or a vertex) is redone in double, that lane only, exactly as
  // the scalar test does: its neighbours keep their float values (NaN padding lanes compare unequal to zero).
  const __m128 z = _mm_or_ps(_mm_or_ps(_mm_cmpeq_ps(U, zero), _mm_cmpeq_ps(V, zero)), _mm_cmpeq_ps(W, zero));
  if (_mm_movemask_ps(z)) {
    U = _mm_or_ps(_mm_and_ps(z, edge4_exact(Cx, By, Cy, Bx)), _mm_andnot_ps(z, U));
    V = _mm_or_ps(_mm_and_ps(z, edge4_exact(Ax, Cy, Ay, Cx)), _mm_andnot_ps(z, V));
    W = _mm_or_ps(_mm_and_ps(z, edge4_exact(Bx, Ay, By, Ax)), _mm_andnot_ps(z, W));
  }
  const __m128 anyneg = _mm_or_ps(_mm_or_ps(_mm_cmplt_ps(U, zero), _mm_cmplt_ps(V, zero)), _mm_cmplt_ps(W, zero));
  __m128 ok;
  if (cull_back) {
    ok = _mm_cmpeq_ps(anyneg, zero);  // all bits clear where no edge function is negative
  } else {
    const __m128 anypos = _mm_or_ps(_mm_or_ps(_mm_cmpgt_ps(U, zero), _mm_cmpgt_ps(V, zero)), _mm_cmpgt_ps(W, zero));
    ok = _mm_cmpeq_ps(_mm_and_ps(anyneg, anypos), zero);
  }
  if (!_mm_movemask_ps(ok)) return 0;
  const __m128 det = _mm_add_ps(_mm_add_ps(U, V), W);
  const __m128 T =
      mul_unfused(w.sz, _mm_add_ps(_mm_add_ps(mul_unfused(U, Az), mul_unfused(V, Bz)), mul_unfused(W, Cz)));
  rcp = _mm_div_ps(_mm_set1_ps(1.0f), det);
  t = _mm_mul_ps(T, rcp);
  ok = _mm_and_ps(ok, _mm_cmpneq_ps(det, zero));
  ok = _mm_and_ps(ok, _mm_and_ps(_mm_cmpgt_ps(t, tmin), _mm_cmplt_ps(t, tmax)));  // false for NaN (padding)
  return uint32_t(_mm_movemask_ps(ok));
}

// One BVH level's steps on this backend (see walk_level): a node's child boxes in SIMD steps (node_enter_all), the
// four triangles of a packet in one watertight SIMD step.
struct NodeTest {
  NodeRay4 nr;
  __m128 vtmin;
  NodeTest() {}  // not value-initialized either (see NodeRay4)
  uint32_t enter(const BvhNode* n, float tmax, float* d) const { return node_enter_all(n, nr, vtmin, _mm_set1_ps(tmax), d); }
};

template <bool kAny>
struct BlasLevel {
  NodeTest nodes;
  TriRay4 wr;
  const BvhTri4* tris;
  bool cull;
  uint32_t& slot;
  float &bu, &bv;
  bool leaf(uint32_t first, uint32_t count, float& tmax) {
    bool found = false;
    for (uint32_t i = first; i < first + count; ++i) {
      __m128 t, V, W, rcp;
      const uint32_t m = intersect_tri4(tris[i], wr, nodes.vtmin, _mm_set1_ps(tmax), cull, t, V, W, rcp);
      if (!m) continue;
      alignas(16) float tt[4], vv[4], ww[4], rr[4];
      _mm_store_ps(tt, t);
      uint32_t lane = uint32_t(lowest_bit(m));
      if (!kAny)  // the nearest lane; ties to the lowest, like the scalar loop's strict t < tmax
        for (uint32_t k = lane + 1; k < 4; ++k)
          if ((m & (1u << k)) && tt[k] < tt[lane]) lane = k;
      _mm_store_ps(vv, V), _mm_store_ps(ww, W), _mm_store_ps(rr, rcp);
      found = true;
      tmax = tt[lane], slot = 4 * i + lane, bu = vv[lane] * rr[lane], bv = ww[lane] * rr[lane];
      if (kAny) return true;
    }
    return found;
  }
};

inline NodeTest make_node_test(Vec3 org, Vec3 dir, float tmin) {
  NodeTest t;
  TriRay4 unused;
  make_level_rays(org, dir, t.nr, unused);
  t.vtmin = _mm_set1_ps(tmin);
  return t;
}

// Closest (kAny = false) or any (kAny = true) hit in one BLAS, in object space. Shrinks `tmax` to each hit and
// records the triangle slot (packet * 4 + lane). Returns true when something was hit.
template <bool kAny>
inline bool traverse_blas(const BvhNode* nodes, const BvhTri4* tris, uint32_t root, Vec3 org, Vec3 dir, float tmin,
                          float& tmax, bool cull, uint32_t& slot, float& bu, float& bv) {
  BlasLevel<kAny> level{{}, {}, tris, cull, slot, bu, bv};
  make_level_rays(org, dir, level.nodes.nr, level.wr);
  level.nodes.vtmin = _mm_set1_ps(tmin);
  return walk_level<kAny>(nodes, root, level, tmax);
}

#else

// ---- CUDA kernels and other hosts: a scalar loop over the same nodes and packets --------------------------------

// Entry distances of the children; returns the entered mask.
OTE_HD OTE_INLINE uint32_t node_enter(const BvhNode* n, const BoxRay& br, float tmin, float tmax, float* d) {
  uint32_t mask = 0;
  for (int k = 0; k < kBvhWidth; ++k) {
    d[k] = box_enter(n, k, br, tmin, tmax);
    if (d[k] != INFINITY) mask |= 1u << k;
  }
  return mask;
}

// One BVH level's steps on this backend (see walk_level): a loop over the children, and over the four lanes.
struct NodeTest {
  BoxRay br;
  float tmin;
  OTE_HD OTE_INLINE uint32_t enter(const BvhNode* n, float tmax, float* d) const { return node_enter(n, br, tmin, tmax, d); }
};

OTE_HD OTE_INLINE NodeTest make_node_test(Vec3 org, Vec3 dir, float tmin) { return NodeTest{make_box_ray(org, dir), tmin}; }

template <bool kAny>
struct BlasLevel {
  NodeTest nodes;
  WatertightRay wr;
  const BvhTri4* tris;
  bool cull;
  uint32_t& slot;
  float &bu, &bv;
  OTE_HD OTE_INLINE bool leaf(uint32_t first, uint32_t count, float& tmax) {
    bool found = false;
    for (uint32_t i = first; i < first + count; ++i)
      for (int lane = 0; lane < 4; ++lane) {
        float t, u, v;
        if (intersect_triangle(wr, tris[i], lane, nodes.tmin, tmax, cull, t, u, v)) {
          found = true;
          tmax = t, slot = 4 * i + lane, bu = u, bv = v;
          if (kAny) return true;
        }
      }
    return found;
  }
};

template <bool kAny>
OTE_HD OTE_INLINE bool traverse_blas(const BvhNode* nodes, const BvhTri4* tris, uint32_t root, Vec3 org, Vec3 dir,
                                     float tmin, float& tmax, bool cull, uint32_t& slot, float& bu, float& bv) {
  BlasLevel<kAny> level{make_node_test(org, dir, tmin), make_watertight_ray(org, dir), tris, cull, slot, bu, bv};
  return walk_level<kAny>(nodes, root, level, tmax);
}

#endif

// The TLAS level: instances in the leaves, each entered by transforming the ray into its object space.
template <bool kAny>
struct TlasLevel {
  NodeTest nodes;
  const SceneBvhView& s;
  const Ray& ray;
  bool cull;
  uint32_t &slot, &inst;
  float &bu, &bv;
  OTE_HD OTE_INLINE bool leaf(uint32_t first, uint32_t count, float& tmax) {
    bool found = false;
    for (uint32_t i = first; i < first + count; ++i) {
      const BvhInstance& in = s.instances[i];
      // The direction is transformed but not normalised, so t means the same in both spaces.
      if (traverse_blas<kAny>(s.blas_nodes, s.tris, in.blas_root, xform_point(in.world_to_object, ray.org),
                              xform_vector(in.world_to_object, ray.dir), ray.tmin, tmax, cull, slot, bu, bv)) {
        found = true;
        inst = i;
        if (kAny) return true;
      }
    }
    return found;
  }
};

// Both queries' walk over the scene. A scene of one TLAS record (only meshes drawn once, all in the world BLAS) needs
// no TLAS: its BLAS is walked directly, without the TLAS node test and the second per-level ray setup. The BLAS
// root box still clips the ray, and both backends take this path, so they keep returning the same hits.
template <bool kAny>
OTE_HD OTE_INLINE bool traverse_scene(const SceneBvhView& s, const Ray& ray, uint32_t flags, float& tmax,
                                      uint32_t& slot, uint32_t& inst, float& bu, float& bv) {
  if (s.tlas_node_count == 0 || !ray_is_valid(ray)) return false;
  const bool cull = (flags & kRayCullBackFaces) != 0;
  TlasLevel<kAny> level{{}, s, ray, cull, slot, inst, bu, bv};
  if (s.instance_count == 1) return level.leaf(0, 1, tmax);
  level.nodes = make_node_test(ray.org, ray.dir, ray.tmin);
  return walk_level<kAny>(s.tlas_nodes, 0, level, tmax);
}

}  // namespace detail

namespace detail {
// trace_closest() with the normal optional: batch callers that do not ask for normals skip its square root.
OTE_HD OTE_INLINE bool closest_hit(const SceneBvhView& s, const Ray& ray, uint32_t flags, Hit& hit, bool normal) {
  float t = ray.tmax;
  uint32_t slot = kBvhInvalid, inst = 0;
  float u = 0.0f, v = 0.0f;
  hit.t = ray.tmax, hit.prim = kBvhInvalid, hit.instance = kBvhInvalid, hit.u = 0.0f, hit.v = 0.0f;
  hit.ng = make_vec3(0.0f, 0.0f, 0.0f);
  if (!traverse_scene<false>(s, ray, flags, t, slot, inst, u, v)) return false;
  const BvhTri4& p = s.tris[slot >> 2];
  const uint32_t l = slot & 3;
  const BvhInstance& in = s.instances[inst];
  hit.t = t, hit.prim = p.prim[l], hit.instance = in.instance, hit.u = u, hit.v = v;
  if (in.instance == kBvhInvalid) {  // the world BLAS: the triangle names its instance
    const uint32_t si = s.slot_instance[slot];
    hit.instance = si & ~kSlotMirrored;
    if (si & kSlotMirrored) hit.u = v, hit.v = u;
  }
  if (normal) {
    const Vec3 a = make_vec3(p.v[0][0][l], p.v[0][1][l], p.v[0][2][l]);
    const Vec3 b = make_vec3(p.v[1][0][l], p.v[1][1][l], p.v[1][2][l]);
    const Vec3 c = make_vec3(p.v[2][0][l], p.v[2][1][l], p.v[2][2][l]);
    const Vec3 n = xform_normal(in.world_to_object, cross(b - a, c - a));
    hit.ng = n * (1.0f / length(n));
  }
  return true;
}
}  // namespace detail

// Closest hit of `ray` in (ray.tmin, ray.tmax). Returns false and sets hit.prim = kBvhInvalid on a miss.
// Invalid rays (zero, infinite or NaN direction or origin, NaN or empty t range) miss.
OTE_HD OTE_INLINE bool trace_closest(const SceneBvhView& s, const Ray& ray, uint32_t flags, Hit& hit) {
  return detail::closest_hit(s, ray, flags, hit, true);
}

// True when anything blocks `ray` in (ray.tmin, ray.tmax): shadow and occlusion queries. Stops at the first hit.
OTE_HD OTE_INLINE bool trace_any(const SceneBvhView& s, const Ray& ray, uint32_t flags) {
  float t = ray.tmax, u, v;
  uint32_t slot, inst;
  return detail::traverse_scene<true>(s, ray, flags, t, slot, inst, u, v);
}

}  // inline namespace
}  // namespace ote
