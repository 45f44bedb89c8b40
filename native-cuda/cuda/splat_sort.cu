// Stage 2: intersect Gaussians with tiles, radix-sort the 64-bit (tile, depth) keys with CUB, find tile ranges.
#include <cub/cub.cuh>

#include "splat_kernels.cuh"

namespace ote {
namespace splat {
namespace cuda {
namespace {

__global__ void emit_keys(const Projected* proj, const uint32_t* offsets, int count, int tiles_x, uint64_t* keys,
                          uint32_t* ids) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const Projected& p = proj[i];
  if (!p.radius) return;
  uint32_t k = i == 0 ? 0u : offsets[i - 1];
  for (int ty = p.rect[1]; ty < p.rect[3]; ++ty)
    for (int tx = p.rect[0]; tx < p.rect[2]; ++tx) {
      keys[k] = tile_depth_key(uint32_t(ty * tiles_x + tx), p.depth);
      ids[k] = uint32_t(i);
      ++k;
    }
}

__global__ void tile_ranges_kernel(const uint64_t* keys, uint32_t n, uint2* ranges) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const uint32_t tile = uint32_t(keys[i] >> 32);
  if (i == 0 || uint32_t(keys[i - 1] >> 32) != tile) ranges[tile].x = i;
  if (i == n - 1 || uint32_t(keys[i + 1] >> 32) != tile) ranges[tile].y = i + 1;
}

}  // namespace

cudaError_t inclusive_scan(const uint32_t* in, uint32_t* out, int n, cudaStream_t s) {
  size_t bytes = 0;
  cudaError_t e = cub::DeviceScan::InclusiveSum(nullptr, bytes, in, out, n, s);
  if (e != cudaSuccess) return e;
  void* tmp = nullptr;
  if ((e = cudaMallocAsync(&tmp, bytes, s)) != cudaSuccess) return e;
  e = cub::DeviceScan::InclusiveSum(tmp, bytes, in, out, n, s);
  cudaFreeAsync(tmp, s);
  return e;
}

cudaError_t intersect_and_sort(const Projected* proj, const uint32_t* offsets, int count, const Camera& c,
                               uint32_t isect, uint64_t* keys, uint32_t* ids, uint64_t* keys_alt, uint32_t* ids_alt,
                               uint2* tile_ranges, cudaStream_t s) {
  const int tx = tiles_x(c), tiles = tx * tiles_y(c);
  cudaError_t e = cudaMemsetAsync(tile_ranges, 0, sizeof(uint2) * tiles, s);
  if (e != cudaSuccess || isect == 0) return e;
  emit_keys<<<(count + 255) / 256, 256, 0, s>>>(proj, offsets, count, tx, keys, ids);
  // Only the bits that can differ are sorted: 32 depth bits plus the tile id's width.
  cub::DoubleBuffer<uint64_t> k(keys, keys_alt);
  cub::DoubleBuffer<uint32_t> v(ids, ids_alt);
  size_t bytes = 0;
  const int end_bit = key_bits(tiles);
  if ((e = cub::DeviceRadixSort::SortPairs(nullptr, bytes, k, v, isect, 0, end_bit, s)) != cudaSuccess) return e;
  void* tmp = nullptr;
  if ((e = cudaMallocAsync(&tmp, bytes, s)) != cudaSuccess) return e;
  e = cub::DeviceRadixSort::SortPairs(tmp, bytes, k, v, isect, 0, end_bit, s);
  cudaFreeAsync(tmp, s);
  if (e != cudaSuccess) return e;
  // Leave the sorted result in (keys, ids) whichever buffer CUB ended in.
  if (k.Current() != keys) cudaMemcpyAsync(keys, k.Current(), sizeof(uint64_t) * isect, cudaMemcpyDeviceToDevice, s);
  if (v.Current() != ids) cudaMemcpyAsync(ids, v.Current(), sizeof(uint32_t) * isect, cudaMemcpyDeviceToDevice, s);
  tile_ranges_kernel<<<(isect + 255) / 256, 256, 0, s>>>(keys, isect, tile_ranges);
  return cudaGetLastError();
}

}  // namespace cuda
}  // namespace splat
}  // namespace ote
