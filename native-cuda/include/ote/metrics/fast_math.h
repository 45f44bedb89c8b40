// Branch-free float log2 / exp2 / pow for the per-pixel FLIP pipeline. glibc's powf costs ~20 ns and is an opaque
// call that stops vectorisation; these are plain arithmetic (so the CPU loops vectorise and the CUDA kernels run the
// same formulas), with relative error below 2e-6 over the ranges FLIP uses, far inside its 1e-3 tolerance.
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../hd.h"

// Force inlining on the host too: these sit inside per-pixel loops that must vectorise.
#if defined(__CUDACC__)
#define OTE_MINLINE __forceinline__
#elif defined(__GNUC__)
#define OTE_MINLINE inline __attribute__((always_inline))
#else
#define OTE_MINLINE inline
#endif

namespace ote {

// min/max as selects: fminf/fmaxf are library calls in GCC without -ffinite-math-only (they honour NaN), which
// blocks vectorisation. Inputs here are never NaN (non-finite pixels are rejected on load).
OTE_HD OTE_MINLINE float fm_min(float a, float b) { return a < b ? a : b; }
OTE_HD OTE_MINLINE float fm_max(float a, float b) { return a > b ? a : b; }

OTE_HD OTE_MINLINE int32_t fm_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_int(x);
#else
  int32_t i;
  memcpy(&i, &x, 4);
  return i;
#endif
}

OTE_HD OTE_MINLINE float fm_float(int32_t i) {
#if defined(__CUDA_ARCH__)
  return __int_as_float(i);
#else
  float x;
  memcpy(&x, &i, 4);
  return x;
#endif
}

// log2 of a positive normal float: exponent plus an odd series in t = (m - 1) / (m + 1), m in [0.707, 1.414).
OTE_HD OTE_MINLINE float fm_log2(float x) {
  const int32_t i = fm_bits(x);
  int32_t e = ((i >> 23) & 255) - 127;
  float m = fm_float((i & 0x7fffff) | 0x3f800000);  // [1, 2)
  // Both candidates are computed and then selected (GCC does not speculate FP operations behind a condition, so a
  // conditional operation would stop vectorisation).
  const bool high = m > 1.41421356f;
  const float mh = m * 0.5f;
  m = high ? mh : m;
  e += high ? 1 : 0;
  const float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
  const float s = t * (2.0f + t2 * (0.666666667f + t2 * (0.4f + t2 * (0.285714286f + t2 * 0.222222222f))));
  return float(e) + s * 1.44269504f;  // s = ln(m)
}

// 2^y for y in [-126, 127]: 2^round(y) from the exponent bits times a degree-7 Taylor series of e^(f ln 2), |f| <= 0.5.
OTE_HD OTE_MINLINE float fm_exp2(float y) {
  y = fm_min(fm_max(y, -126.0f), 127.0f);
  const int32_t ni = int32_t(y + 128.5f) - 128;  // round(y); the argument is positive, so truncation is floor
  const float n = float(ni);
  const float f = (y - n) * 0.693147181f;
  const float p = 1.0f + f * (1.0f + f * (0.5f + f * (0.166666667f + f * (0.0416666667f + f * (0.00833333333f +
                  f * (0.00138888889f + f * 0.000198412698f))))));
  return p * fm_float((ni + 127) << 23);
}

// x^y for x >= 0 (0^0 = 1, 0^y = 0 for y > 0), as powf.
OTE_HD OTE_MINLINE float fm_pow(float x, float y) {
  const float r = fm_exp2(y * fm_log2(fm_max(x, 1e-37f)));
  return x > 0.0f ? r : (y == 0.0f ? 1.0f : 0.0f);
}

// Square root for per-pixel code. GCC (without -fno-math-errno, which a pragma cannot turn on) guards sqrtf with an
// errno branch that stops vectorisation, so the host uses fm_pow; the device has no errno and uses sqrtf.
OTE_HD OTE_MINLINE float fm_sqrt(float x) {
#if defined(__CUDA_ARCH__)
  return sqrtf(x);
#else
  return fm_pow(x, 0.5f);
#endif
}

}  // namespace ote
