// Direction sampling shared by the preview renderer (AO) and the bake's path tracer.
#pragma once
#include "vec3.h"

namespace ote {

// An orthonormal basis (t, b) around unit n, branch-free (Duff et al. 2017).
OTE_HD OTE_INLINE void basis(Vec3 n, Vec3& t, Vec3& b) {
  const float sign = copysignf(1.0f, n.z);
  const float a = -1.0f / (sign + n.z);
  const float c = n.x * n.y * a;
  t = make_vec3(1.0f + sign * n.x * n.x * a, sign * c, -sign * n.x);
  b = make_vec3(c, sign + n.y * n.y * a, -n.y);
}

// Cosine-weighted direction on the hemisphere around unit n from two uniform numbers (pdf = cos θ / π).
OTE_HD OTE_INLINE Vec3 cosine_hemisphere(Vec3 n, float u1, float u2) {
  const float r = sqrtf(u1), phi = 6.2831853f * u2;
  Vec3 t, b;
  basis(n, t, b);
  return t * (r * cosf(phi)) + b * (r * sinf(phi)) + n * sqrtf(fmaxf(0.0f, 1.0f - u1));
}

}  // namespace ote
