// What the build contains and which CUDA devices this process can see.
#pragma once
#include <stdint.h>
#include <string>
#include <vector>

namespace ote {

struct DeviceInfo {
  std::string name;
  int major = 0, minor = 0;  // compute capability
  uint64_t memory_bytes = 0;
  int multiprocessors = 0;
};

// True when the CUDA sources were compiled into this binary.
bool cuda_compiled();
// Devices usable now; empty without a driver or a GPU. Never throws.
std::vector<DeviceInfo> cuda_devices();
// Human-readable reason when cuda_devices() is empty (driver missing, no device, CPU-only build).
std::string cuda_unavailable_reason();

enum class Backend : int { Auto = 0, Cpu = 1, Cuda = 2 };
// Resolve Auto to Cuda when a device exists, else Cpu.
Backend resolve_backend(Backend requested);

}  // namespace ote
