// CUDA drivers for SSIM and LDR-FLIP: the same per-pixel math as cpu/metrics_cpu.cpp (ssim_math.h, flip_math.h),
// one thread per pixel, separable passes through global memory, and per-row sums reduced in double by a
// fixed-shape tree and then on the host in row order, so a launch gives the same result every run.
#include <math.h>

#include <algorithm>
#include <vector>

#include "cuda_check.h"
#include "ote/metrics/flip_math.h"
#include "ote/metrics/metrics.h"
#include "ote/metrics/ssim_math.h"

namespace ote {
namespace {

constexpr int kRowThreads = 256;
constexpr int kMaxTaps = 64;  // FLIP taps at ppd <= ~200; larger ppd is rejected on this backend

// Fixed-shape block reduction of two doubles; thread 0 writes the row's sums.
__device__ void block_sum2(double a, double b, double* out_a, double* out_b) {
  __shared__ double sa[kRowThreads], sb[kRowThreads];
  const int i = threadIdx.x;
  sa[i] = a, sb[i] = b;
  __syncthreads();
  for (int s = kRowThreads / 2; s > 0; s >>= 1) {
    if (i < s) sa[i] += sa[i + s], sb[i] += sb[i + s];
    __syncthreads();
  }
  if (i == 0) {
    *out_a = sa[0];
    if (out_b) *out_b = sb[0];
  }
}

// --- SSIM ------------------------------------------------------------------------------------------------------
// Horizontal pass over every image row: five filtered signals at each valid x. With a noise plane `n`, the
// reference's square loses the noise's, as the CPU's ssim_hpass.
__global__ void ssim_h(const float* a, const float* b, const float* n, uint32_t w, uint32_t h, uint32_t vw,
                       float* out) {
  const uint32_t x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x >= vw || y >= h) return;
  float wt[11];
  ssim_window(wt);
  const float* ra = a + uint64_t(y) * w + x;
  const float* rb = b + uint64_t(y) * w + x;
  float u[11], v[11], uu[11], vv[11], uv[11];
  for (int k = 0; k < 11; ++k) {
    u[k] = ra[k] - kSsimCentre, v[k] = rb[k] - kSsimCentre;
    uu[k] = u[k] * u[k], vv[k] = v[k] * v[k], uv[k] = u[k] * v[k];
  }
  if (n)
    for (int k = 0; k < 11; ++k) {
      const float e = n[uint64_t(y) * w + x + k];
      vv[k] -= e * e;
    }
  const float* sig[5] = {u, v, uu, vv, uv};
  float s[5];
  for (int q = 0; q < 5; ++q) {
    const float* p = sig[q];
    s[q] = ssim_fold11(wt, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10]);
  }
  const uint64_t plane = uint64_t(vw) * h, i = uint64_t(y) * vw + x;
  for (int q = 0; q < 5; ++q) out[q * plane + i] = s[q];
}

// Vertical pass, SSIM and the row's sums: one block per valid row.
__global__ void ssim_v(const float* hf, uint32_t w, uint32_t h, uint32_t vw, float c1, float c2, bool denoised,
                       float* map, double* row_ssim, double* row_cs) {
  const uint32_t y = blockIdx.x;  // valid row; reads image rows y .. y + 10
  float wt[11];
  ssim_window(wt);
  const uint64_t plane = uint64_t(vw) * h;
  double ss = 0, sc = 0;
  for (uint32_t x = threadIdx.x; x < vw; x += blockDim.x) {
    float m[5];
    for (int q = 0; q < 5; ++q) {
      const float* p = hf + q * plane + x;
      const uint64_t r = vw;  // rows y .. y + 10 of this signal
      const uint64_t o = uint64_t(y) * r;
      m[q] = ssim_fold11(wt, p[o], p[o + r], p[o + 2 * r], p[o + 3 * r], p[o + 4 * r], p[o + 5 * r], p[o + 6 * r],
                         p[o + 7 * r], p[o + 8 * r], p[o + 9 * r], p[o + 10 * r]);
    }
    const SsimTerms t = denoised ? ssim_from_denoised_moments(m[0], m[1], m[2], m[3], m[4], c1, c2)
                                 : ssim_from_moments(m[0], m[1], m[2], m[3], m[4], c1, c2);
    ss += t.ssim, sc += t.cs;
    if (map) map[uint64_t(y + kSsimRadius) * w + x + kSsimRadius] = t.ssim;
  }
  block_sum2(ss, sc, row_ssim + y, row_cs + y);
}

// --- FLIP ------------------------------------------------------------------------------------------------------
struct FlipTaps {
  int rs, rf;
  float wy[kMaxTaps], wcx[kMaxTaps], wcz1[kMaxTaps], wcz2[kMaxTaps], g[kMaxTaps], dg[kMaxTaps], ddg[kMaxTaps];
};

// sRGB planes -> Y, Cx, Cz and normalised lightness for both images (8 planes).
__global__ void flip_convert(const float* ref, const float* test, uint64_t n, float* out) {
  const uint64_t i = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  for (int img = 0; img < 2; ++img) {
    const float* s = img ? test : ref;
    const FlipColor c = flip_srgb_to_ycxcz(s[i], s[n + i], s[2 * n + i]);
    float* o = out + uint64_t(img) * 4 * n;
    o[i] = c.x, o[n + i] = c.y, o[2 * n + i] = c.z, o[3 * n + i] = c.x * (1.0f / 116.0f) + 16.0f / 116.0f;
  }
}

// Horizontal pass with edge clamping: 7 planes per image (Y, Cx, Cz1, Cz2, feature G, D, DD).
__global__ void flip_h(const float* conv, uint32_t w, uint32_t h, const FlipTaps* taps, float* out) {
  const uint32_t x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x >= w || y >= h) return;
  const FlipTaps& t = *taps;
  const uint64_t n = uint64_t(w) * h, row = uint64_t(y) * w;
  for (int img = 0; img < 2; ++img) {
    const float* c = conv + uint64_t(img) * 4 * n;
    float s[7] = {0, 0, 0, 0, 0, 0, 0};
    for (int k = 0; k <= 2 * t.rs; ++k) {
      const uint64_t i = row + min(max(int(x) + k - t.rs, 0), int(w) - 1);
      s[0] += t.wy[k] * c[i], s[1] += t.wcx[k] * c[n + i];
      s[2] += t.wcz1[k] * c[2 * n + i], s[3] += t.wcz2[k] * c[2 * n + i];
    }
    for (int k = 0; k <= 2 * t.rf; ++k) {
      const float l = c[3 * n + row + min(max(int(x) + k - t.rf, 0), int(w) - 1)];
      s[4] += t.g[k] * l, s[5] += t.dg[k] * l, s[6] += t.ddg[k] * l;
    }
    float* o = out + uint64_t(img) * 7 * n;
    for (int q = 0; q < 7; ++q) o[q * n + row + x] = s[q];
  }
}

// Vertical pass with edge clamping, colour and feature errors, FLIP per pixel.
__global__ void flip_v(const float* hf, uint32_t w, uint32_t h, const FlipTaps* taps, float cmax, float* err) {
  const uint32_t x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x >= w || y >= h) return;
  const FlipTaps& t = *taps;
  const uint64_t n = uint64_t(w) * h;
  float v[2][8];
  for (int img = 0; img < 2; ++img) {
    const float* p = hf + uint64_t(img) * 7 * n;
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int k = 0; k <= 2 * t.rs; ++k) {
      const uint64_t i = uint64_t(min(max(int(y) + k - t.rs, 0), int(h) - 1)) * w + x;
      s[0] += t.wy[k] * p[i], s[1] += t.wcx[k] * p[n + i], s[2] += t.wcz1[k] * p[2 * n + i], s[3] += t.wcz2[k] * p[3 * n + i];
    }
    for (int k = 0; k <= 2 * t.rf; ++k) {
      const uint64_t i = uint64_t(min(max(int(y) + k - t.rf, 0), int(h) - 1)) * w + x;
      s[4] += t.g[k] * p[5 * n + i];    // d/dx
      s[5] += t.g[k] * p[6 * n + i];    // d2/dx2
      s[6] += t.dg[k] * p[4 * n + i];   // d/dy
      s[7] += t.ddg[k] * p[4 * n + i];  // d2/dy2
    }
    for (int q = 0; q < 8; ++q) v[img][q] = s[q];
  }
  const FlipColor lr = flip_filtered_to_hunt_lab({v[0][0], v[0][1], v[0][2] + v[0][3]});
  const FlipColor lt = flip_filtered_to_hunt_lab({v[1][0], v[1][1], v[1][2] + v[1][3]});
  const float ce = flip_color_error(lr, lt, cmax);
  const float fe = flip_feature_error(v[0][4], v[0][6], v[0][5], v[0][7], v[1][4], v[1][6], v[1][5], v[1][7]);
  err[uint64_t(y) * w + x] = flip_combine(ce, fe);
}

__global__ void row_sums(const float* img, uint32_t w, double* out) {
  const float* row = img + uint64_t(blockIdx.x) * w;
  double s = 0;
  for (uint32_t x = threadIdx.x; x < w; x += blockDim.x) s += row[x];
  block_sum2(s, 0.0, out + blockIdx.x, nullptr);
}

}  // namespace

Status ssim_plane_cuda(const float* a, const float* b, uint32_t w, uint32_t h, float c1, float c2, double* ssim_out,
                       double* cs_out, float* map, const JobControl& ctl, double* kernel_ms, const float* noise) {
  if (w < kSsimWindow || h < kSsimWindow) return Status::InvalidArgument;
  if (ctl.cancelled()) return Status::Cancelled;
  const uint32_t vw = w - 2 * kSsimRadius, vh = h - 2 * kSsimRadius;
  const uint64_t n = uint64_t(w) * h;
  DeviceBuffer<float> da, db, dn, dh, dmap;
  DeviceBuffer<double> drs, drc;
  OTE_CUDA_TRY(da.upload(a, n));
  OTE_CUDA_TRY(db.upload(b, n));
  if (noise) OTE_CUDA_TRY(dn.upload(noise, n));
  OTE_CUDA_TRY(dh.allocate(5ull * vw * h));
  OTE_CUDA_TRY(drs.allocate(vh));
  OTE_CUDA_TRY(drc.allocate(vh));
  if (map) OTE_CUDA_TRY(dmap.allocate(n));
  KernelTimer timer;
  ssim_h<<<dim3((vw + 127) / 128, h), 128>>>(da.ptr, db.ptr, noise ? dn.ptr : nullptr, w, h, vw, dh.ptr);
  OTE_CUDA_TRY(cudaGetLastError());
  ssim_v<<<vh, kRowThreads>>>(dh.ptr, w, h, vw, c1, c2, noise != nullptr, map ? dmap.ptr : nullptr, drs.ptr,
                              drc.ptr);
  OTE_CUDA_TRY(cudaGetLastError());
  OTE_CUDA_TRY(cudaDeviceSynchronize());
  timer.add_to(kernel_ms);
  std::vector<double> rs(vh), rc(vh);
  OTE_CUDA_TRY(drs.download(rs.data(), vh));
  OTE_CUDA_TRY(drc.download(rc.data(), vh));
  if (map) {
    OTE_CUDA_TRY(dmap.download(map, n));
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x)
        if (y < kSsimRadius || y >= h - kSsimRadius || x < kSsimRadius || x >= w - kSsimRadius) map[uint64_t(y) * w + x] = 1.0f;
  }
  double ss = 0, sc = 0;
  for (uint32_t y = 0; y < vh; ++y) ss += rs[y], sc += rc[y];
  const double count = double(vw) * double(vh);
  if (ssim_out) *ssim_out = ss / count;
  if (cs_out) *cs_out = sc / count;
  return Status::Ok;
}

Status flip_ldr_cuda(const float* ref, const float* test, uint32_t w, uint32_t h, float ppd, double* mean_out,
                     float* map, const JobControl& ctl, double* kernel_ms) {
  FlipTaps taps{};
  taps.rs = flip_spatial_radius(ppd);
  taps.rf = flip_feature_radius(ppd);
  if (2 * std::max(taps.rs, taps.rf) + 1 > kMaxTaps) return Status::InvalidArgument;
  if (ctl.cancelled()) return Status::Cancelled;
  flip_spatial_filters(ppd, taps.rs, taps.wy, taps.wcx, taps.wcz1, taps.wcz2);
  flip_feature_filters(ppd, taps.rf, taps.g, taps.dg, taps.ddg);
  const float cmax = flip_cmax();
  const uint64_t n = uint64_t(w) * h;
  DeviceBuffer<float> dref, dtest, dconv, dhf, derr;
  DeviceBuffer<FlipTaps> dtaps;
  DeviceBuffer<double> drows;
  OTE_CUDA_TRY(dref.upload(ref, 3 * n));
  OTE_CUDA_TRY(dtest.upload(test, 3 * n));
  OTE_CUDA_TRY(dtaps.upload(&taps, 1));
  OTE_CUDA_TRY(dconv.allocate(8 * n));
  OTE_CUDA_TRY(dhf.allocate(14 * n));
  OTE_CUDA_TRY(derr.allocate(n));
  OTE_CUDA_TRY(drows.allocate(h));
  KernelTimer timer;
  flip_convert<<<uint32_t((n + 255) / 256), 256>>>(dref.ptr, dtest.ptr, n, dconv.ptr);
  OTE_CUDA_TRY(cudaGetLastError());
  const dim3 grid((w + 127) / 128, h);
  flip_h<<<grid, 128>>>(dconv.ptr, w, h, dtaps.ptr, dhf.ptr);
  OTE_CUDA_TRY(cudaGetLastError());
  flip_v<<<grid, 128>>>(dhf.ptr, w, h, dtaps.ptr, cmax, derr.ptr);
  OTE_CUDA_TRY(cudaGetLastError());
  row_sums<<<h, kRowThreads>>>(derr.ptr, w, drows.ptr);
  OTE_CUDA_TRY(cudaGetLastError());
  OTE_CUDA_TRY(cudaDeviceSynchronize());
  timer.add_to(kernel_ms);
  std::vector<double> rows(h);
  OTE_CUDA_TRY(drows.download(rows.data(), h));
  if (map) OTE_CUDA_TRY(derr.download(map, n));
  double total = 0;
  for (uint32_t y = 0; y < h; ++y) total += rows[y];
  *mean_out = total / double(n);
  return Status::Ok;
}

}  // namespace ote
