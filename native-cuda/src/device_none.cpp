// Device queries for CPU-only builds (no nvcc at build time).
#include "ote/device.h"
#include "ote/measure.h"

namespace ote {

bool cuda_compiled() { return false; }
std::vector<DeviceInfo> cuda_devices() { return {}; }
std::string cuda_unavailable_reason() { return "built without CUDA (nvcc was not found at build time)"; }
Status measure_triangles_cuda(const FlatScene&, MeasureOutput&, const JobControl&) { return Status::DeviceError; }

}  // namespace ote
