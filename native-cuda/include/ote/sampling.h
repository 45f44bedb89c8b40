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

// Sine and cosine of the angle 2πu, for u in [0, 1] (a sampled azimuth). The quarter turn nearest to u is taken out
// exactly, so the polynomials only see |a| <= π/4, where Taylor terms to a^9 (sine) and a^10 (cosine) are within
// 2e-9 of the true values; the result is within 2 ulp. Libm's sinf/cosf do a general range reduction first and
// cost several times as much: in the bake's path tracer they took about 5% of the time.
OTE_HD OTE_INLINE void sincos_turns(float u, float& s, float& c) {
  const float x = 4.0f * u;     // quarter turns
  const int k = int(x + 0.5f);  // the nearest (truncation is floor here: x >= 0)
  const float a = (x - float(k)) * 1.57079633f;
  const float a2 = a * a;
  const float sa = a * (1.0f + a2 * (-1.6666667e-1f + a2 * (8.3333333e-3f + a2 * (-1.9841270e-4f + a2 * 2.7557319e-6f))));
  const float ca = 1.0f + a2 * (-0.5f + a2 * (4.1666667e-2f + a2 * (-1.3888889e-3f + a2 * (2.4801587e-5f - a2 * 2.7557319e-7f))));
  // Rotate by k quarter turns with selects, not a switch: k is random, so a branch on it would mispredict.
  const float s0 = (k & 1) ? ca : sa, c0 = (k & 1) ? sa : ca;
  s = (k & 2) ? -s0 : s0;
  c = ((k + 1) & 2) ? -c0 : c0;
}

// Cosine-weighted direction on the hemisphere around unit n from two uniform numbers (pdf = cos θ / π).
OTE_HD OTE_INLINE Vec3 cosine_hemisphere(Vec3 n, float u1, float u2) {
  const float r = sqrtf(u1);
  float sp, cp;
  sincos_turns(u2, sp, cp);
  Vec3 t, b;
  basis(n, t, b);
  return t * (r * cp) + b * (r * sp) + n * sqrtf(max_nn(0.0f, 1.0f - u1));
}

}  // namespace ote
