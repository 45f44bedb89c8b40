// Error handling for the CUDA drivers: every runtime call is checked and mapped to a Status.
#pragma once
#include <cuda_runtime.h>
#include "ote/job_control.h"

namespace ote {

// Owns one device allocation; frees it on scope exit so early returns never leak.
template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t count = 0;
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr) cudaFree(ptr);
  }
  cudaError_t allocate(size_t n) {
    count = n;
    return n ? cudaMalloc(&ptr, n * sizeof(T)) : cudaSuccess;
  }
  cudaError_t upload(const T* host, size_t n) {
    cudaError_t e = allocate(n);
    if (e != cudaSuccess || !n) return e;
    return cudaMemcpy(ptr, host, n * sizeof(T), cudaMemcpyHostToDevice);
  }
  cudaError_t download(T* host, size_t n) const {
    return n ? cudaMemcpy(host, ptr, n * sizeof(T), cudaMemcpyDeviceToHost) : cudaSuccess;
  }
};

// Times the work queued between its construction and add_to() with CUDA events: the kernels of one driver call,
// without the host's uploads before it and downloads after it.
struct KernelTimer {
  cudaEvent_t start = nullptr, stop = nullptr;
  KernelTimer() {
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    cudaEventRecord(start);
  }
  ~KernelTimer() {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }
  void add_to(double* ms) {
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float t = 0;
    cudaEventElapsedTime(&t, start, stop);
    if (ms) *ms += t;
  }
};

inline Status to_status(cudaError_t e) {
  if (e == cudaSuccess) return Status::Ok;
  return e == cudaErrorMemoryAllocation ? Status::OutOfMemory : Status::DeviceError;
}

#define OTE_CUDA_TRY(expr)                          \
  do {                                              \
    const cudaError_t ote_err_ = (expr);            \
    if (ote_err_ != cudaSuccess) return ::ote::to_status(ote_err_); \
  } while (0)

}  // namespace ote
