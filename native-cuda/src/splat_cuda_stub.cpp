// CPU-only builds: the CUDA splat drivers and the training session report DeviceError (resolve_backend never picks CUDA without a device).
#ifndef OTE_WITH_CUDA
#include "ote/splat/splat.h"

namespace ote {
namespace splat {

Status render_cuda(const Model&, const Camera&, const RenderOptions&, Image&, Stats*, const JobControl&) {
  return Status::DeviceError;
}
Status backward_cuda(const Model&, const Camera&, const RenderOptions&, FrameLoss&, Grads&, Image&, Stats*,
                     const JobControl&) {
  return Status::DeviceError;
}

// The device-resident training session needs CUDA.
struct TrainSession {};
Status session_create(const Model&, const SessionView*, int, TrainSession** out) {
  *out = nullptr;
  return Status::DeviceError;
}
Status session_step(TrainSession*, int, int, const RenderOptions&, float, const Adam&, bool, float, double*, Stats*,
                    const JobControl&) {
  return Status::DeviceError;
}
Status session_read(TrainSession*, Params*, float*, float*, DensifyStats*) { return Status::DeviceError; }
Status session_set_target(TrainSession*, int, const float*, size_t) { return Status::DeviceError; }
Status session_write(TrainSession*, const Model&, const float*, const float*, const DensifyStats*) {
  return Status::DeviceError;
}
int session_count(const TrainSession*) { return 0; }
int session_sh_stride(const TrainSession*) { return 0; }
void session_destroy(TrainSession*) {}

}  // namespace splat
}  // namespace ote
#endif
