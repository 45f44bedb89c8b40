// The one switch for the CPU drivers' SIMD paths: the batch tracer's and preview renderer's AVX2 + FMA loops
// (cpu/trace_cpu_avx2.cpp) and the splat blender's AVX2 tiles (cpu/splat_cpu.cpp). They run where the CPU has
// AVX2 and FMA, unless OTE_SIMD=0, which forces the baseline paths: to compare the two, or to match a machine
// without AVX2. The variable is read per call, so a test can run both paths in one process. Host only.
#pragma once
#include <stdlib.h>

namespace ote {

// Whether this CPU has AVX2 and FMA (asked once).
inline bool cpu_has_avx2_fma() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

// Whether the AVX2 + FMA paths run now.
inline bool use_simd_avx2() {
  const char* env = getenv("OTE_SIMD");
  return cpu_has_avx2_fma() && !(env && env[0] == '0');
}

}  // namespace ote
