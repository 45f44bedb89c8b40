// A process-wide pool of reusable scratch objects for the CPU drivers: a training run calls the same driver
// thousands of times at one size, and page-faulting fresh buffers on every call cost as much as the work itself.
// acquire() hands out a free object (a new one when none is free); release() keeps it for the next call, up to
// `Keep` free objects (one per concurrent job is plenty). Thread-safe.
#pragma once
#include <stddef.h>
#include <memory>
#include <mutex>
#include <vector>

namespace ote {

template <class T, size_t Keep = 2>
class ObjectPool {
 public:
  std::unique_ptr<T> acquire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<T>();
    std::unique_ptr<T> v = std::move(free_.back());
    free_.pop_back();
    return v;
  }
  void release(std::unique_ptr<T> v) {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < Keep) free_.push_back(std::move(v));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<T>> free_;
};

}  // namespace ote
