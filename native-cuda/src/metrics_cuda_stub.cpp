// CPU-only builds: the CUDA metric drivers exist but report a device error (resolve_backend never picks them).
#ifndef OTE_WITH_CUDA
#include "ote/metrics/metrics.h"

namespace ote {

Status ssim_plane_cuda(const float*, const float*, uint32_t, uint32_t, float, float, double*, double*, float*,
                       const JobControl&, double*, const float*) {
  return Status::DeviceError;
}
Status flip_ldr_cuda(const float*, const float*, uint32_t, uint32_t, float, double*, float*, const JobControl&,
                     double*) {
  return Status::DeviceError;
}

}  // namespace ote
#endif
