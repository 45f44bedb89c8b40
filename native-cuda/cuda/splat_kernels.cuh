// Stage kernels of the CUDA splat rasterizer (split as gsplat does): project, intersect + sort, rasterize forward,
// rasterize backward, project backward. Every kernel calls the shared math in ote/splat/splat_math.h.
#pragma once
#include <cuda_runtime.h>
#include <stdint.h>

#include "ote/splat/splat_math.h"

namespace ote {
namespace splat {
namespace cuda {

constexpr int kBlock = kTile * kTile;

// Stage 1: project every Gaussian; tiles_touched[i] = tile-rect area (0 when culled).
void launch_project(const Model& g, const Camera& c, Projected* proj, uint32_t* tiles_touched, cudaStream_t s);

// Stage 2: emit (tile, depth) keys for every touched tile, radix-sort them, and find each tile's range.
// `offsets` is the inclusive scan of tiles_touched. Returns the cudaError of the sort.
cudaError_t intersect_and_sort(const Projected* proj, const uint32_t* offsets, int count, const Camera& c,
                               uint32_t isect, uint64_t* keys, uint32_t* ids, uint64_t* keys_alt, uint32_t* ids_alt,
                               uint2* tile_ranges, cudaStream_t s);

// Inclusive scan of n uint32 values (CUB).
cudaError_t inclusive_scan(const uint32_t* in, uint32_t* out, int n, cudaStream_t s);

// Stage 3: blend each tile front to back (one block of 16x16 threads per tile).
void launch_raster_forward(const Camera& c, const uint2* tile_ranges, const uint32_t* ids, const Projected* proj,
                           const float bg[3], float* rgb, float* alpha, float* depth, float* T_final,
                           uint32_t* n_contrib, cudaStream_t s);

// Stage 4: walk each pixel's contributors back to front, accumulating ProjectedGrad per Gaussian (atomics).
void launch_raster_backward(const Camera& c, const uint2* tile_ranges, const uint32_t* ids, const Projected* proj,
                            const float bg[3], const float* T_final, const uint32_t* n_contrib, const float* d_rgb,
                            const float* d_alpha, const float* d_depth, ProjectedGrad* pgrad, cudaStream_t s);

// Stage 5: projected gradients back to the parameters.
void launch_project_backward(const Model& g, const Camera& c, const Projected* proj, const ProjectedGrad* pgrad,
                             ParamGrad out, float* mean2d_norm, int32_t* radii, cudaStream_t s);

}  // namespace cuda
}  // namespace splat
}  // namespace ote
