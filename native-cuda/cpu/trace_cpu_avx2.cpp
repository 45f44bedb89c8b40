// The batch tracer's and preview renderer's loops built for AVX2 + FMA: CMake compiles this file alone with
// -mavx2 -mfma (OTE_AVX2_TU), so the traversal takes its one-step AVX node test (node_enter8) and every SIMD step
// is VEX-encoded; trace_cpu.cpp calls these when the CPU has AVX2 and FMA, and the baseline loops otherwise.
// (A function-level target attribute does not define __AVX__, so it could not select the AVX node test: measured
// 1.5-5.5% slower on incoherent rays than this file, 2026-11-23.) Traversal code compiled here lives in its own
// inline namespace (ray/traverse.h), and `flatten` inlines everything into these two entry points, so no AVX code
// is shared with the baseline translation units.
#include "trace_cpu_loops.h"

#if defined(OTE_AVX2_TU) && defined(__AVX2__)
namespace ote {

void trace_range_avx2(const SceneBvhView& v, const RayBatch& rays, HitBatch& hits, uint64_t b, uint64_t e) {
  trace_loop(v, rays, hits, b, e);
}

void render_range_avx2(const SceneBvhView& v, const RenderParams& p, float* rgba, uint32_t x0, uint32_t y0) {
  render_tile(v, p, rgba, x0, y0);
}

}  // namespace ote
#endif
