// Stage 4: per-tile backward blending. Each pixel walks its contributors back to front (batches staged through
// shared memory from the end of the tile's list) and adds its share of every splat's gradient with atomics.
#include "splat_kernels.cuh"

namespace ote {
namespace splat {
namespace cuda {
namespace {

__device__ void add_grad(ProjectedGrad* dst, const ProjectedGrad& g) {
  atomicAdd(&dst->mean2d[0], g.mean2d[0]);
  atomicAdd(&dst->mean2d[1], g.mean2d[1]);
  atomicAdd(&dst->conic[0], g.conic[0]);
  atomicAdd(&dst->conic[1], g.conic[1]);
  atomicAdd(&dst->conic[2], g.conic[2]);
  atomicAdd(&dst->rgb[0], g.rgb[0]);
  atomicAdd(&dst->rgb[1], g.rgb[1]);
  atomicAdd(&dst->rgb[2], g.rgb[2]);
  atomicAdd(&dst->opacity, g.opacity);
  atomicAdd(&dst->depth, g.depth);
}

__global__ void raster_backward_kernel(Camera c, const uint2* ranges, const uint32_t* ids, const Projected* proj,
                                       float3 bgv, const float* T_final, const uint32_t* n_contrib,
                                       const float* d_rgb, const float* d_alpha, const float* d_depth,
                                       ProjectedGrad* pgrad) {
  const int tx = tiles_x(c);
  const int tile = blockIdx.x;
  const int x = (tile % tx) * kTile + threadIdx.x % kTile, y = (tile / tx) * kTile + threadIdx.x / kTile;
  const bool inside = x < c.width && y < c.height;
  const float px = x + 0.5f, py = y + 0.5f;
  const size_t pix = inside ? size_t(y) * c.width + x : 0;
  const uint2 r = ranges[tile];
  const float bg[3] = {bgv.x, bgv.y, bgv.z};
  const float Tf = inside ? T_final[pix] : 1.f;
  const uint32_t last = inside ? n_contrib[pix] : 0;
  float dp[3] = {0.f, 0.f, 0.f}, da = 0.f, dd = 0.f;
  if (inside) {
    dp[0] = d_rgb[3 * pix], dp[1] = d_rgb[3 * pix + 1], dp[2] = d_rgb[3 * pix + 2];
    da = d_alpha ? d_alpha[pix] : 0.f, dd = d_depth ? d_depth[pix] : 0.f;  // training passes RGB only
  }
  float T = Tf, accum[4] = {0.f, 0.f, 0.f, 0.f};
  __shared__ Projected s_p[kBlock];
  __shared__ uint32_t s_id[kBlock];
  const uint32_t count = r.y - r.x;
  // Batches from the back: local indices [lo, hi).
  for (uint32_t hi = count; hi > 0;) {
    const uint32_t lo = hi > uint32_t(kBlock) ? hi - kBlock : 0u;
    __syncthreads();
    const uint32_t k = lo + threadIdx.x;
    if (k < hi) {
      s_id[threadIdx.x] = ids[r.x + k];
      s_p[threadIdx.x] = proj[s_id[threadIdx.x]];
    }
    __syncthreads();
    for (uint32_t j = hi; j-- > lo;) {
      if (j >= last) continue;
      const Projected& p = s_p[j - lo];
      const float a = splat_alpha(p.conic, p.mean2d, p.opacity, px, py);
      if (a == 0.f) continue;
      T /= 1.f - a;
      ProjectedGrad g = {};
      blend_backward_step(p.conic, p.mean2d, p.opacity, p.rgb, p.depth, px, py, T, Tf, bg, dp, da, dd, accum, g);
      add_grad(pgrad + s_id[j - lo], g);
    }
    hi = lo;
  }
}

}  // namespace

void launch_raster_backward(const Camera& c, const uint2* tile_ranges, const uint32_t* ids, const Projected* proj,
                            const float bg[3], const float* T_final, const uint32_t* n_contrib, const float* d_rgb,
                            const float* d_alpha, const float* d_depth, ProjectedGrad* pgrad, cudaStream_t s) {
  const int tiles = tiles_x(c) * tiles_y(c);
  raster_backward_kernel<<<tiles, kBlock, 0, s>>>(c, tile_ranges, ids, proj, make_float3(bg[0], bg[1], bg[2]),
                                                  T_final, n_contrib, d_rgb, d_alpha, d_depth, pgrad);
}

}  // namespace cuda
}  // namespace splat
}  // namespace ote
