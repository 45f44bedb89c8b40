// CPU-only builds: the CUDA splat drivers report DeviceError (resolve_backend never picks CUDA without a device).
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

}  // namespace splat
}  // namespace ote
#endif
