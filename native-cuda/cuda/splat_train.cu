// Training kernels of the device-resident session: the L1 + D-SSIM loss and its gradient (separable 11-tap
// blurs, the per-pixel terms from train_math.h, as image_loss on the host), Adam and the densification
// statistics. One thread per pixel (all three channels) or per parameter.
#include <math.h>

#include "ote/splat/train_math.h"
#include "splat_device.cuh"

namespace ote {
namespace splat {
namespace cuda {
namespace {

constexpr int kR = kSsimRadius;
constexpr int kThreads = 256;

struct Window {
  float w[2 * kR + 1];
};

// Sum of v over the block, added to *dst. Every thread of the block must call it.
__device__ void block_sum(double v, double* dst) {
  __shared__ double warp_sums[kThreads / 32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // the previous call's reads of warp_sums are done
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < kThreads / 32 ? warp_sums[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if (lane == 0) atomicAdd(dst, v);
  }
}

// Horizontal pass of the five moments: planes [moment][channel][pixel], moments x, y, x^2, y^2, xy.
__global__ void moments_h(const float* rgb, const float* target, int W, int H, Window win, float* out) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  const size_t n = size_t(W) * H;
  if (p >= int(n)) return;
  const int x = p % W, y = p / W;
  for (int c = 0; c < 3; ++c) {
    float s[5];
    window_sums<5>(win.w, x, W, [&](int j, float* v) {
      const size_t q = size_t(y) * W + j;
      const float a = rgb[3 * q + c], b = target[3 * q + c];
      v[0] = a, v[1] = b, v[2] = a * a, v[3] = b * b, v[4] = a * b;
    }, s);
    for (int m = 0; m < 5; ++m) out[(size_t(m) * 3 + c) * n + p] = s[m];
  }
}

// Vertical pass of the moments, the SSIM terms, and the L1 part of the gradient; sums L1 and SSIM.
__global__ void moments_v_terms(const float* h, const float* rgb, const float* target, int W, int H, Window win,
                                float l1_weight, float* terms, float* d_rgb, double* sums) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  const size_t n = size_t(W) * H;
  double l1 = 0.0, ssim = 0.0;
  if (p < int(n)) {
    const int x = p % W, y = p / W;
    for (int c = 0; c < 3; ++c) {
      float s[5];
      window_sums<5>(win.w, y, H, [&](int j, float* v) {
        for (int m = 0; m < 5; ++m) v[m] = h[(size_t(m) * 3 + c) * n + size_t(j) * W + x];
      }, s);
      float A, B, C;
      ssim += ssim_terms(s[0], s[1], s[2], s[3], s[4], &A, &B, &C);
      terms[(0 * 3 + size_t(c)) * n + p] = A;
      terms[(1 * 3 + size_t(c)) * n + p] = B;
      terms[(2 * 3 + size_t(c)) * n + p] = C;
      const float d = rgb[3 * size_t(p) + c] - target[3 * size_t(p) + c];
      l1 += fabsf(d);
      d_rgb[3 * size_t(p) + c] = l1_grad(d, l1_weight);
    }
  }
  block_sum(l1, &sums[0]);
  block_sum(ssim, &sums[1]);
}

// Horizontal pass over the nine term planes.
__global__ void terms_h(const float* terms, int W, int H, Window win, float* out) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  const size_t n = size_t(W) * H;
  if (p >= int(n)) return;
  const int x = p % W, y = p / W;
  float s[9];
  window_sums<9>(win.w, x, W, [&](int i, float* v) {
    for (int j = 0; j < 9; ++j) v[j] = terms[size_t(j) * n + size_t(y) * W + i];
  }, s);
  for (int j = 0; j < 9; ++j) out[size_t(j) * n + p] = s[j];
}

// Vertical pass (the window is symmetric: the blur is its own adjoint) and the SSIM part of the gradient.
__global__ void terms_v_grad(const float* h, const float* rgb, const float* target, int W, int H, Window win,
                             float k_ssim, float* d_rgb) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  const size_t n = size_t(W) * H;
  if (p >= int(n)) return;
  const int x = p % W, y = p / W;
  for (int c = 0; c < 3; ++c) {
    float b[3];
    window_sums<3>(win.w, y, H, [&](int i, float* v) {
      for (int j = 0; j < 3; ++j) v[j] = h[(size_t(j) * 3 + c) * n + size_t(i) * W + x];
    }, b);
    const float xv = rgb[3 * size_t(p) + c], yv = target[3 * size_t(p) + c];
    d_rgb[3 * size_t(p) + c] += k_ssim * ssim_grad(b[0], b[1], b[2], xv, yv);
  }
}

__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, size_t count, size_t per,
                            const int32_t* radii, float lr, float lr_rest, int stride, int width, float beta1,
                            float beta2, float bc1, float bc2, float eps) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count || !adam_updates(radii, i / per)) return;
  const float r = stride && int(i % size_t(stride)) >= width ? lr_rest : lr;
  adam_step(param[i], m[i], v[i], grad[i], r, beta1, beta2, bc1, bc2, eps);
}

__global__ void densify_kernel(const float* grad_norm, const int32_t* radii, int count, float ndc_scale,
                               float* grad_accum, float* denom, float* max_radii) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  densify_accumulate(grad_norm[i], radii[i], ndc_scale, grad_accum[i], denom[i], max_radii[i]);
}

int blocks(size_t n) { return int((n + kThreads - 1) / kThreads); }

}  // namespace

cudaError_t image_loss(const float* rgb, const float* target, int W, int H, float lambda, float* d_rgb,
                       LossScratch& s, cudaStream_t stream) {
  const size_t n = size_t(W) * H;
  cudaError_t e;
  if ((e = grow(s.moments, 15 * n)) != cudaSuccess) return e;
  if ((e = grow(s.terms, 9 * n)) != cudaSuccess) return e;
  if ((e = grow(s.tmp, 9 * n)) != cudaSuccess) return e;
  if ((e = grow(s.sums, 2)) != cudaSuccess) return e;
  if ((e = cudaMemsetAsync(s.sums.ptr, 0, 2 * sizeof(double), stream)) != cudaSuccess) return e;
  if (!n) return cudaSuccess;
  Window win;
  ssim_window(win.w);
  const double inv = 1.0 / double(3 * n);
  moments_h<<<blocks(n), kThreads, 0, stream>>>(rgb, target, W, H, win, s.moments.ptr);
  // The vertical pass of the moments is fused with the per-pixel terms, so the blurred moments are never stored.
  moments_v_terms<<<blocks(n), kThreads, 0, stream>>>(s.moments.ptr, rgb, target, W, H, win,
                                                      float((1.0 - lambda) * inv), s.terms.ptr, d_rgb, s.sums.ptr);
  terms_h<<<blocks(n), kThreads, 0, stream>>>(s.terms.ptr, W, H, win, s.tmp.ptr);
  terms_v_grad<<<blocks(n), kThreads, 0, stream>>>(s.tmp.ptr, rgb, target, W, H, win, float(-lambda * inv), d_rgb);
  return cudaGetLastError();
}

cudaError_t loss_value(const LossScratch& s, int W, int H, float lambda, double* loss, double* ssim) {
  double sums[2] = {0.0, 0.0};
  const cudaError_t e = cudaMemcpy(sums, s.sums.ptr, sizeof(sums), cudaMemcpyDeviceToHost);
  if (e != cudaSuccess) return e;
  const double inv = 1.0 / double(3 * size_t(W) * H), ss = sums[1] * inv;
  if (loss) *loss = (1.0 - lambda) * sums[0] * inv + lambda * (1.0 - ss);
  if (ssim) *ssim = ss;
  return cudaSuccess;
}

void launch_adam(float* param, const float* grad, float* m, float* v, size_t count, size_t per,
                 const int32_t* radii, float lr, float lr_rest, int stride, int width, const Adam& a,
                 cudaStream_t s) {
  if (!count) return;
  const float bc1 = 1.f - powf(a.beta1, float(a.step)), bc2 = 1.f - powf(a.beta2, float(a.step));
  adam_kernel<<<blocks(count), kThreads, 0, s>>>(param, grad, m, v, count, per, radii, lr, lr_rest, stride, width,
                                                 a.beta1, a.beta2, bc1, bc2, a.eps);
}

void launch_densify_accumulate(const float* grad_norm, const int32_t* radii, int count, float ndc_scale,
                               float* grad_accum, float* denom, float* max_radii, cudaStream_t s) {
  if (count)
    densify_kernel<<<blocks(size_t(count)), kThreads, 0, s>>>(grad_norm, radii, count, ndc_scale, grad_accum, denom,
                                                              max_radii);
}

}  // namespace cuda
}  // namespace splat
}  // namespace ote
