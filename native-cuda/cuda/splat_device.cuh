// Device-side frame of the CUDA splat rasterizer, shared by the one-shot drivers (splat_cuda.cu) and the
// device-resident training session (splat_session.cu). Buffers only grow, so a session that renders many frames
// allocates once. The model it renders is given by device pointers.
#pragma once
#include "cuda_check.h"
#include "ote/splat/splat.h"
#include "splat_kernels.cuh"

namespace ote {
namespace splat {
namespace cuda {

// Ensures `b` holds at least n elements (contents are not kept when it grows).
template <typename T>
cudaError_t grow(DeviceBuffer<T>& b, size_t n) {
  if (b.ptr && b.count >= n) return cudaSuccess;
  if (b.ptr) cudaFree(b.ptr);
  b.ptr = nullptr;
  return b.allocate(n);
}

struct DeviceFrame {
  DeviceBuffer<Projected> proj;
  DeviceBuffer<uint32_t> touched, offsets, ids, ids_alt, n_contrib;
  DeviceBuffer<uint64_t> keys, keys_alt;
  DeviceBuffer<uint2> ranges;
  DeviceBuffer<float> rgb, alpha, depth, T_final;
  DeviceBuffer<ProjectedGrad> pgrad;
  uint32_t isect = 0;
};

// Project, intersect + sort and blend `dm` (device pointers) into f.rgb/alpha/depth. Stage times in `stats`
// synchronise the device between stages; pass null to let the stages run back to back.
Status device_forward(const Model& dm, const Camera& c, const RenderOptions& o, DeviceFrame& f, Stats* stats,
                      const JobControl& ctl);

// Backward of the last device_forward given device image gradients (d_alpha / d_depth may be null): zeroes and
// fills `out` (device, Model layout), plus mean2d_norm and radii (device, may be null).
Status device_backward(const Model& dm, const Camera& c, const RenderOptions& o, DeviceFrame& f, const float* d_rgb,
                       const float* d_alpha, const float* d_depth, ParamGrad out, float* mean2d_norm, int32_t* radii);

}  // namespace cuda
}  // namespace splat
}  // namespace ote

namespace ote {
namespace splat {
namespace cuda {

// Scratch of the device loss: the five windowed moments and the three SSIM gradient maps per channel, and the
// two sums (L1, SSIM) the loss value is made of.
struct LossScratch {
  DeviceBuffer<float> moments, terms, tmp;
  DeviceBuffer<double> sums;  // [sum |x - y|, sum SSIM] over all values
};

// (1 - lambda) L1 + lambda (1 - SSIM) of `rgb` against `target` (device, RGB interleaved), as image_loss on the
// host: writes dL/drgb to `d_rgb` and leaves the two sums in s.sums (read them with loss_value).
cudaError_t image_loss(const float* rgb, const float* target, int W, int H, float lambda, float* d_rgb,
                       LossScratch& s, cudaStream_t stream);
// Downloads the sums of the last image_loss and forms the loss (and the SSIM when `ssim` is non-null).
cudaError_t loss_value(const LossScratch& s, int W, int H, float lambda, double* loss, double* ssim);

// Adam over `count` parameters, `per` of them per Gaussian; when `stride` is non-zero, entries with
// (i % stride) >= `width` use lr_rest (the SH bands above the DC term). Sparse: entries of Gaussians whose
// `radii` entry is 0 are left as they are (adam_updates; radii null updates all).
void launch_adam(float* param, const float* grad, float* m, float* v, size_t count, size_t per,
                 const int32_t* radii, float lr, float lr_rest, int stride, int width, const Adam& hyper,
                 cudaStream_t s);

// densify_accumulate over every Gaussian.
void launch_densify_accumulate(const float* grad_norm, const int32_t* radii, int count, float ndc_scale,
                               float* grad_accum, float* denom, float* max_radii, cudaStream_t s);

}  // namespace cuda
}  // namespace splat
}  // namespace ote
