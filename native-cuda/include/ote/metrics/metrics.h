// Image quality metrics: PSNR, SSIM (Wang et al. 2004), MS-SSIM (Wang et al. 2003) and LDR-FLIP (Andersson et al.
// 2020), computed over two images of the same size. Plain functions over flat pixel arrays; the math lives once in
// ssim_math.h / flip_math.h and is shared by the CPU drivers (cpu/metrics_cpu.cpp) and the CUDA kernels
// (cuda/metrics_cuda.cu).
//
// Every driver reduces per-row partial sums in double, in row order, so a result does not depend on the thread
// count or the chunking. CPU results are bit-identical run to run and across x86-64 machines (no FMA contraction,
// the AVX2 and SSE2 paths perform the same operations per element); CUDA results agree with them to ~1e-6.
#pragma once
#include "../result.h"
#include <stdint.h>

#include <functional>

#include "../device.h"
#include "../job_control.h"

namespace ote {

enum class PixelType : int { U8 = 0, U16 = 1, F32 = 2 };

// How stored values become the display-referred signal in [0, 1] that the metrics compare.
enum class PixelEncoding : int {
  // value / data_range, unchanged otherwise (8/16-bit PNGs are already sRGB-encoded; float images already display-referred).
  Stored = 0,
  // Linear float (a renderer's FloatImage): clamp to [0, 1], then sRGB-encode (IEC 61966-2-1), as toRgba8() does.
  LinearToSrgb = 1,
};

// An interleaved image (3 or 4 channels; alpha is ignored). `row_stride` is in pixels and lets a caller pass a
// crop of a larger image without copying: pixel (x, y) starts at element (y * row_stride + x) * channels.
struct ImageView {
  const void* data;
  PixelType type;
  uint32_t width, height, channels, row_stride;
};

struct MetricsRequest {
  bool psnr = true;
  bool ssim_rgb = true;   // mean of the per-channel SSIM (scikit-image channel_axis semantics)
  bool ssim_luma = true;  // SSIM on BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B
  bool msssim = false;    // 5-scale MS-SSIM on luma; needs min(width, height) >= 176
  bool flip = false;      // LDR-FLIP mean and (optionally) its error map
  // Per image (0 = reference, 1 = test), so a float render can be compared with an 8-bit PNG.
  // Stored units that map to 1.0: 255 for 8-bit, 65535 for 16-bit, 1 for float.
  float data_range[2] = {255.0f, 255.0f};
  PixelEncoding encoding[2] = {PixelEncoding::Stored, PixelEncoding::Stored};
  float flip_ppd = 67.0206f;  // pixels per degree: 0.7 m from a 0.7 m wide 3840-pixel monitor
  // Optional: an estimate of the reference's own noise, for a reference that is itself a Monte Carlo estimate.
  // Linear float (PixelType::F32), 3 or 4 channels, the reference's size, signed, in normalised units (1.0 = the
  // reference's full range after its encoding). The estimate to pass is half the difference of two independent
  // renders whose mean is the reference: its variance is the mean's noise variance. With it, PSNR and SSIM measure
  // the test against the noise-free reference in expectation: each MSE loses the noise's mean square, and each SSIM
  // window's reference variance loses the noise's (held at 0 or above). FLIP, being non-linear, is not corrected;
  // MS-SSIM refuses it. data == nullptr: none.
  ImageView reference_noise = {nullptr, PixelType::F32, 0, 0, 0, 0};
};

struct MetricsResult {
  // PSNR in dB over R, G, B and over all three; +infinity when the images are identical.
  double mse[3], psnr_channel[3], mse_all, psnr;
  double ssim_channel[3], ssim_rgb, ssim_luma;
  double msssim;
  double msssim_cs[5];  // per-scale mean contrast-structure term (scale 5 holds the full SSIM)
  double flip;
  // CUDA backend only: milliseconds spent in SSIM/FLIP kernels (no transfers, no host conversion); 0 on the CPU.
  double kernel_ms;
  // Filled when Status::InvalidArgument is returned for a non-finite pixel: which image (0 = a, 1 = b) and where.
  int bad_image;
  uint32_t bad_x, bad_y;
};

// Optional per-pixel maps, each width * height floats (nullptr to skip).
struct MetricsMaps {
  float* ssim_luma;  // SSIM of the luma window centred on each pixel; 1 on the 5-pixel border SSIM does not measure
  float* flip;       // LDR-FLIP error in [0, 1]
};

// Sizes SSIM and MS-SSIM need. The 11x11 window must fit; MS-SSIM halves the image four times.
constexpr uint32_t kSsimWindow = 11;
constexpr uint32_t kSsimRadius = 5;
constexpr uint32_t kMsssimScales = 5;
constexpr uint32_t kMsssimMinSide = kSsimWindow << (kMsssimScales - 1);  // 176

// What compute_metrics refuses, with the field named as callers spell it ("options.ppd must be a positive number,
// got 0"; "sizes differ: reference is 40x30, test is 41x30"): empty or mismatched sizes, channel counts other than
// 3 or 4, a row stride under the width, a data range or FLIP ppd that is not positive and finite, and images too
// small for the SSIM window or MS-SSIM's five scales. Bindings forward the message. Host only.
Result check_metrics_inputs(const ImageView& reference, const ImageView& test, const MetricsRequest& req,
                            const MetricsMaps& maps);

// Compute the requested metrics of `a` against reference `b`... (symmetric except FLIP, whose reference is `a`).
// Returns InvalidArgument for mismatched or empty sizes, too-small images, bad channel counts, or a NaN/Inf pixel
// (with bad_image/bad_x/bad_y set). The caller validates the buffer lengths.
Status compute_metrics(const ImageView& reference, const ImageView& test, const MetricsRequest& req,
                       MetricsResult& out, const MetricsMaps& maps, Backend backend, const JobControl& ctl);

// --- building blocks, over planar float images already normalised to [0, 1] ------------------------------------

// Mean SSIM over the valid region (pixels at least kSsimRadius from every edge). `cs_out` receives the mean
// contrast-structure term (for MS-SSIM) when not null; `map` (w * h) the per-pixel SSIM when not null.
// `noise` (w * h, or nullptr) is the reference's noise estimate (MetricsRequest::reference_noise, one plane): each
// window's E[b^2] loses its E[noise^2].
Status ssim_plane_cpu(const float* a, const float* b, uint32_t w, uint32_t h, float c1, float c2, double* ssim_out,
                      double* cs_out, float* map, const JobControl& ctl, const float* noise = nullptr);
// Row-streaming form of ssim_plane_cpu, so a signal can be made row by row (e.g. luma straight from 8-bit pixels)
// instead of materialised: rows(y, scratch_a, scratch_b, &a, &b) points a and b at row y of each signal (w floats),
// using the scratch rows if it has to compute them. Called from worker threads, possibly more than once per row.
using SsimRowSource = std::function<void(uint32_t y, float* scratch_a, float* scratch_b, const float** a, const float** b)>;
Status ssim_rows_cpu(const SsimRowSource& rows, uint32_t w, uint32_t h, float c1, float c2, double* ssim_out,
                     double* cs_out, float* map, const JobControl& ctl, const float* noise = nullptr);

// The CUDA drivers add the time their kernels took (CUDA events, excluding transfers) to *kernel_ms when not null.
Status ssim_plane_cuda(const float* a, const float* b, uint32_t w, uint32_t h, float c1, float c2, double* ssim_out,
                       double* cs_out, float* map, const JobControl& ctl, double* kernel_ms,
                       const float* noise = nullptr);

// LDR-FLIP of sRGB-encoded planar RGB images (3 planes of w * h each, values in [0, 1]). `reference` first.
Status flip_ldr_cpu(const float* reference_rgb, const float* test_rgb, uint32_t w, uint32_t h, float ppd,
                    double* mean_out, float* map, const JobControl& ctl);
Status flip_ldr_cuda(const float* reference_rgb, const float* test_rgb, uint32_t w, uint32_t h, float ppd,
                     double* mean_out, float* map, const JobControl& ctl, double* kernel_ms);

}  // namespace ote
