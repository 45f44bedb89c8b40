// Cancellation and progress for long native jobs. The addon owns the flag and the sink; drivers poll them.
#pragma once
#include <atomic>
#include <functional>

namespace ote {

struct JobControl {
  // Set from the JavaScript thread; drivers check it between chunks and return early.
  const std::atomic<bool>* cancel = nullptr;
  // Called from worker threads with a fraction in [0,1]; must be cheap and thread safe.
  std::function<void(double)> progress;

  bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
  void report(double fraction) const {
    if (progress) progress(fraction);
  }
};

// Status codes returned by every driver.
enum class Status : int { Ok = 0, Cancelled = 1, InvalidArgument = 2, DeviceError = 3, OutOfMemory = 4 };

}  // namespace ote
