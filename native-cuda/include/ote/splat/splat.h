// Public API of the Gaussian-splat rasterizer: forward render, backward pass, the training loss and one fused
// training step (forward, L1 + D-SSIM loss, backward, Adam). Plain functions over flat arrays; nothing here owns
// memory. The math lives in splat_math.h, shared by the CPU driver (cpu/splat_cpu.cpp) and the CUDA stages
// (cuda/splat_*.cu).
#pragma once
#include <stdint.h>

#include "../device.h"
#include "../job_control.h"
#include "../result.h"
#include "param_layout.h"
#include "splat_math.h"

namespace ote {
namespace splat {

struct RenderOptions {
  float background[3] = {0.f, 0.f, 0.f};
};

// Outputs, row-major with the top row first. Any pointer may be null to skip that output.
struct Image {
  float* rgb;    // 3 per pixel, composited over the background
  float* alpha;  // 1 - final transmittance
  float* depth;  // sum of w_i z_i (expected camera depth times alpha; divide by alpha for the surface depth)
};

// Gradients with respect to every parameter (same layouts as Model; overwritten, not accumulated), plus what
// densification reads. mean2d_grad_norm and radii may be null.
struct Grads {
  float* means;
  float* log_scales;
  float* quats;
  float* opacity;
  float* sh;
  float* mean2d_grad_norm;  // |dL/dmean2d| in pixels per Gaussian (0 when not visible)
  int32_t* radii;           // screen radius in pixels, 0 when culled
};

struct Stats {
  uint64_t visible = 0;        // Gaussians that survived culling
  uint64_t intersections = 0;  // (tile, Gaussian) pairs sorted
  double project_ms = 0, sort_ms = 0, raster_ms = 0, backward_ms = 0;
  // Training steps on the CPU: the image loss with its gradient, and the Adam update (0 where not timed apart).
  double loss_ms = 0, adam_ms = 0;
};

// Adam state and hyper-parameters for the fused training step. Learning rates are per parameter group.
struct Adam {
  float* m;  // first moments: adam_floats(count, sh_stride), one block per ParamGroup (param_layout.h)
  float* v;  // second moments, same layout
  float lr_means, lr_scales, lr_quats, lr_opacity, lr_sh_dc, lr_sh_rest;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-15f;
  int step;  // 1-based step number for bias correction
};

// Mutable parameters, same layout as Model (the training step updates them in place).
struct Params {
  float* means;
  float* log_scales;
  float* quats;
  float* opacity;
  float* sh;
};

// Checks of the inputs every entry point below makes first (returning InvalidArgument), with the message naming
// the field as callers spell it; bindings forward it ("splatRender: camera.width must be an integer in [1, 16384],
// got 0") instead of checking again. Host only.
//   check_model:  count >= 0 with every array set; shStride in [1, 16]; shDegree in [0, 3] with (shDegree+1)^2 <=
//                 shStride
//   check_camera: width and height in [1, 16384]; fx, fy > 0; cx, cy finite; 0 < znear < zfar
//   check_adam:   step >= 1; learning rates finite and >= 0; beta1, beta2 in [0, 1); eps > 0
Result check_model(const Model& model);
Result check_camera(const Camera& cam);
Result check_adam(const Adam& adam);

Status render(const Model& model, const Camera& cam, const RenderOptions& opts, Image& out, Stats* stats,
              Backend backend, const JobControl& ctl);

// Gradients of L = sum(d_rgb . rgb) + sum(d_alpha . alpha) + sum(d_depth . depth); any d_* may be null.
// Recomputes the forward pass first, so it needs only the model and the camera.
Status backward(const Model& model, const Camera& cam, const RenderOptions& opts, const float* d_rgb,
                const float* d_alpha, const float* d_depth, Grads& grads, Stats* stats, Backend backend,
                const JobControl& ctl);

// Training loss (1 - lambda) * L1 + lambda * (1 - SSIM) over RGB, SSIM with the 11x11 sigma 1.5 Gaussian window
// and zero padding (the 3DGS reference). Writes dL/drgb when d_rgb is non-null; returns the loss. Also reports
// the SSIM alone through *ssim_out when non-null.
double image_loss(const float* rgb, const float* target, int width, int height, float lambda, float* d_rgb,
                  double* ssim_out);

// One training iteration: render, loss against `target` (RGB, 3 per pixel), backward, and an Adam update of
// `params` (whose values `model` must alias). grads receives the raw gradients (densification reads
// mean2d_grad_norm and radii). Writes the rendered image to `out` when its pointers are set.
Status train_step(const Model& model, Params& params, const Camera& cam, const RenderOptions& opts,
                  const float* target, float lambda, Adam& adam, Grads& grads, Image& out, double* loss,
                  Stats* stats, Backend backend, const JobControl& ctl);

// The drivers behind render/backward/train_step. A driver renders the forward pass into host arrays, calls
// `loss` with them to get the image gradients (d_* arrays are zeroed, sized like the outputs), then runs the
// backward pass. The CUDA drivers exist only in CUDA builds (a stub returns DeviceError).
struct FrameLoss {
  virtual ~FrameLoss() = default;
  virtual void operator()(const float* rgb, const float* alpha, const float* depth, float* d_rgb, float* d_alpha,
                          float* d_depth) = 0;
};
Status render_cpu(const Model&, const Camera&, const RenderOptions&, Image&, Stats*, const JobControl&);
Status backward_cpu(const Model&, const Camera&, const RenderOptions&, FrameLoss&, Grads&, Image&, Stats*,
                    const JobControl&);
Status render_cuda(const Model&, const Camera&, const RenderOptions&, Image&, Stats*, const JobControl&);
Status backward_cuda(const Model&, const Camera&, const RenderOptions&, FrameLoss&, Grads&, Image&, Stats*,
                     const JobControl&);

// Adam update over all parameter groups, in parallel on the CPU.
void adam_update(const Model& model, Params& params, const Grads& grads, Adam& adam);

// ---------------------------------------------------------------------------------------------------------------
// Device-resident training (CUDA). A session holds the Gaussians, the Adam moments, the gradients, the
// densification statistics and every view's target image in device memory across iterations: a step uploads
// nothing and brings back only the loss. The host reads the state back (session_read) only when it must edit
// the set of Gaussians (densify, prune, opacity reset) and writes the edited state back (session_write).
// In CPU-only builds every call returns DeviceError (the CPU trains through train_step on host arrays, which
// already are its working memory).
struct TrainSession;

struct SessionView {
  Camera camera;
  const float* target;  // RGB, 3 per pixel, camera.width x camera.height; copied to the device
};

// Densification statistics, one per Gaussian (see train_math.h densify_accumulate).
struct DensifyStats {
  float* grad_accum;
  float* denom;
  float* max_radii;
};

// Uploads `model` (sh_stride fixed for the session's life), zero Adam moments and the views' targets.
Status session_create(const Model& model, const SessionView* views, int view_count, TrainSession** out);
// One iteration on view `view`: render with the active SH degree `sh_degree`, L1 + lambda D-SSIM against its
// target, backward, Adam (adam.m / adam.v are ignored: the moments live in the session; adam.step is used), and,
// when `accumulate` is set, the densification statistics with `ndc_scale` (half the larger image side).
Status session_step(TrainSession* s, int view, int sh_degree, const RenderOptions& opts, float lambda,
                    const Adam& adam, bool accumulate, float ndc_scale, double* loss, Stats* stats,
                    const JobControl& ctl);
// Replaces view `view`'s target by `rgb` (RGB, 3 per pixel, `floats` = 3 x the view's pixels, else InvalidArgument):
// a trainer that re-composites its targets over a new background every step uploads them here.
Status session_set_target(TrainSession* s, int view, const float* rgb, size_t floats);
// Host copies of the state; any pointer may be null. `params` and Adam arrays use the Model / Adam layouts.
Status session_read(TrainSession* s, Params* params, float* adam_m, float* adam_v, DensifyStats* densify);
// Replace the state with an edited model (any count; the session's sh_stride), its re-indexed Adam moments and
// densification statistics (each null: zero).
Status session_write(TrainSession* s, const Model& model, const float* adam_m, const float* adam_v,
                     const DensifyStats* densify);
int session_count(const TrainSession* s);
int session_sh_stride(const TrainSession* s);
void session_destroy(TrainSession* s);

}  // namespace splat
}  // namespace ote
