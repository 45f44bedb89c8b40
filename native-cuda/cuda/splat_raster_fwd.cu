// Stage 3: per-tile front-to-back blending. One 16x16 block per tile; splats are staged through shared memory in
// batches of 256 and the block stops once every pixel is saturated. Same blend_alpha() as the CPU driver.
#include "splat_kernels.cuh"

namespace ote {
namespace splat {
namespace cuda {
namespace {

__global__ void raster_forward_kernel(Camera c, const uint2* ranges, const uint32_t* ids, const Projected* proj,
                                      float3 bg, float* rgb, float* alpha, float* depth, float* T_final,
                                      uint32_t* n_contrib) {
  const int tx = tiles_x(c);
  const int tile = blockIdx.x;
  const int x = (tile % tx) * kTile + threadIdx.x % kTile, y = (tile / tx) * kTile + threadIdx.x / kTile;
  const bool inside = x < c.width && y < c.height;
  const float px = x + 0.5f, py = y + 0.5f;
  bool done = !inside;
  const uint2 r = ranges[tile];
  __shared__ float s_mean[kBlock][2], s_conic[kBlock][3], s_opac[kBlock], s_rgb[kBlock][3], s_depth[kBlock];
  float T = 1.f, C[3] = {0.f, 0.f, 0.f}, D = 0.f;
  uint32_t last = 0;
  for (uint32_t base = r.x; base < r.y; base += kBlock) {
    if (__syncthreads_count(done) == kBlock) break;
    const uint32_t k = base + threadIdx.x;
    if (k < r.y) {
      const Projected& p = proj[ids[k]];
      s_mean[threadIdx.x][0] = p.mean2d[0], s_mean[threadIdx.x][1] = p.mean2d[1];
      s_conic[threadIdx.x][0] = p.conic[0], s_conic[threadIdx.x][1] = p.conic[1], s_conic[threadIdx.x][2] = p.conic[2];
      s_opac[threadIdx.x] = p.opacity;
      s_rgb[threadIdx.x][0] = p.rgb[0], s_rgb[threadIdx.x][1] = p.rgb[1], s_rgb[threadIdx.x][2] = p.rgb[2];
      s_depth[threadIdx.x] = p.depth;
    }
    __syncthreads();
    const uint32_t n = min(uint32_t(kBlock), r.y - base);
    for (uint32_t j = 0; !done && j < n; ++j) {
      bool stop;
      const float a = blend_alpha(s_conic[j], s_mean[j], s_opac[j], px, py, T, &stop);
      if (stop) {
        done = true;
        break;
      }
      if (a == 0.f) continue;
      blend_accumulate(a, s_rgb[j], s_depth[j], T, C, D);
      last = base - r.x + j + 1;
    }
  }
  if (!inside) return;
  const size_t pix = size_t(y) * c.width + x;
  T_final[pix] = T;
  n_contrib[pix] = last;
  if (rgb)
    rgb[3 * pix] = blend_pixel(C[0], T, bg.x), rgb[3 * pix + 1] = blend_pixel(C[1], T, bg.y),
              rgb[3 * pix + 2] = blend_pixel(C[2], T, bg.z);
  if (alpha) alpha[pix] = 1.f - T;
  if (depth) depth[pix] = D;
}

}  // namespace

void launch_raster_forward(const Camera& c, const uint2* tile_ranges, const uint32_t* ids, const Projected* proj,
                           const float bg[3], float* rgb, float* alpha, float* depth, float* T_final,
                           uint32_t* n_contrib, cudaStream_t s) {
  const int tiles = tiles_x(c) * tiles_y(c);
  raster_forward_kernel<<<tiles, kBlock, 0, s>>>(c, tile_ranges, ids, proj, make_float3(bg[0], bg[1], bg[2]), rgb,
                                                 alpha, depth, T_final, n_contrib);
}

}  // namespace cuda
}  // namespace splat
}  // namespace ote
