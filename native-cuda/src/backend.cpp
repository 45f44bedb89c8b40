#include <cstdlib>
#include <cstring>

#include "ote/device.h"

namespace ote {

Backend resolve_backend(Backend requested) {
  if (requested != Backend::Auto) return requested;
  // OTE_BACKEND=cpu forces the CPU path, e.g. to compare both on one machine.
  if (const char* env = std::getenv("OTE_BACKEND"))
    if (std::strcmp(env, "cpu") == 0) return Backend::Cpu;
  static const bool has_device = !cuda_devices().empty();
  return has_device ? Backend::Cuda : Backend::Cpu;
}

}  // namespace ote
