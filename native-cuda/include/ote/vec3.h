// Minimal float3 math shared by host and device code. Not CUDA's float3, so host builds need no CUDA headers.
#pragma once
#include <math.h>
#include "hd.h"

namespace ote {

struct Vec3 {
  float x, y, z;
};

OTE_HD OTE_INLINE Vec3 make_vec3(float x, float y, float z) { return Vec3{x, y, z}; }
OTE_HD OTE_INLINE Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
OTE_HD OTE_INLINE Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
OTE_HD OTE_INLINE Vec3 operator-(Vec3 a) { return {-a.x, -a.y, -a.z}; }
OTE_HD OTE_INLINE Vec3 operator*(Vec3 a, float s) { return {a.x * s, a.y * s, a.z * s}; }
OTE_HD OTE_INLINE Vec3 operator*(float s, Vec3 a) { return {a.x * s, a.y * s, a.z * s}; }
OTE_HD OTE_INLINE Vec3 operator*(Vec3 a, Vec3 b) { return {a.x * b.x, a.y * b.y, a.z * b.z}; }
OTE_HD OTE_INLINE float dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
OTE_HD OTE_INLINE Vec3 cross(Vec3 a, Vec3 b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
// Min and max of operands that are never NaN (the box test's slabs, where safe_rcp keeps 0 * inf out; sampling
// and path weights). On the host a plain comparison compiles to one minss/maxss, where fminf/fmaxf must honour NaN
// and become library calls; on the device fminf/fmaxf are single instructions.
#if defined(__CUDA_ARCH__)
OTE_HD OTE_INLINE float min_nn(float a, float b) { return fminf(a, b); }
OTE_HD OTE_INLINE float max_nn(float a, float b) { return fmaxf(a, b); }
#else
OTE_HD OTE_INLINE float min_nn(float a, float b) { return a < b ? a : b; }
OTE_HD OTE_INLINE float max_nn(float a, float b) { return a > b ? a : b; }
#endif

OTE_HD OTE_INLINE float length(Vec3 a) { return sqrtf(dot(a, a)); }
OTE_HD OTE_INLINE Vec3 vmin(Vec3 a, Vec3 b) { return {fminf(a.x, b.x), fminf(a.y, b.y), fminf(a.z, b.z)}; }
OTE_HD OTE_INLINE Vec3 vmax(Vec3 a, Vec3 b) { return {fmaxf(a.x, b.x), fmaxf(a.y, b.y), fmaxf(a.z, b.z)}; }
OTE_HD OTE_INLINE bool is_finite(Vec3 a) { return isfinite(a.x) && isfinite(a.y) && isfinite(a.z); }

OTE_HD OTE_INLINE Vec3 load_vec3(const float* p, unsigned i) { return {p[3 * i], p[3 * i + 1], p[3 * i + 2]}; }

// Column-major 4x4 (glTF order): m[12..14] is the translation.
OTE_HD OTE_INLINE Vec3 transform_point(const float* m, Vec3 p) {
  return {m[0] * p.x + m[4] * p.y + m[8] * p.z + m[12],
          m[1] * p.x + m[5] * p.y + m[9] * p.z + m[13],
          m[2] * p.x + m[6] * p.y + m[10] * p.z + m[14]};
}

OTE_HD OTE_INLINE Vec3 transform_vector(const float* m, Vec3 v) {
  return {m[0] * v.x + m[4] * v.y + m[8] * v.z,
          m[1] * v.x + m[5] * v.y + m[9] * v.z,
          m[2] * v.x + m[6] * v.y + m[10] * v.z};
}

}  // namespace ote
