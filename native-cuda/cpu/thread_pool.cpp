#include "ote/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ote {
namespace {

struct Task {
  uint64_t count = 0, grain = 1, chunks = 0;
  const std::function<void(uint64_t, uint64_t)>* body = nullptr;
  const JobControl* ctl = nullptr;
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> finished{0};
  std::atomic<bool> cancelled{false};
  int active = 0;  // workers inside run(); guarded by Pool::mutex
  std::exception_ptr error;
  std::mutex error_mutex;

  void run() {
    const uint64_t report_every = std::max<uint64_t>(1, chunks / 200);
    for (;;) {
      const uint64_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) return;
      if (cancelled.load(std::memory_order_relaxed) || ctl->cancelled()) {
        cancelled = true;
        next = chunks;  // stop everyone handing out more chunks
        return;
      }
      try {
        (*body)(c * grain, std::min(count, (c + 1) * grain));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        cancelled = true;
        next = chunks;
        return;
      }
      const uint64_t done = finished.fetch_add(1, std::memory_order_relaxed) + 1;
      if (done % report_every == 0 || done == chunks) ctl->report(double(done) / double(chunks));
    }
  }
};

class Pool {
 public:
  explicit Pool(unsigned workers) {
    for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void run(Task& task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(&task);
    }
    wake_.notify_all();
    task.run();
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.erase(std::remove(queue_.begin(), queue_.end(), &task), queue_.end());
    idle_.wait(lock, [&] { return task.active == 0; });
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      Task* task = queue_.front();
      ++task->active;
      lock.unlock();
      task->run();
      lock.lock();
      // A task whose chunks are all handed out leaves the queue so that workers move on to the next one.
      if (task->next.load() >= task->chunks)
        queue_.erase(std::remove(queue_.begin(), queue_.end(), task), queue_.end());
      if (--task->active == 0) idle_.notify_all();
    }
  }

  std::vector<std::thread> threads_;
  std::deque<Task*> queue_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  bool stop_ = false;
};

Pool& pool() {
  // Workers beyond the calling thread; the caller always takes part.
  static Pool instance(thread_count() > 1 ? thread_count() - 1 : 0);
  return instance;
}

}  // namespace

unsigned thread_count() {
  static const unsigned n = [] {
    if (const char* env = std::getenv("OTE_THREADS")) {
      const int v = std::atoi(env);
      if (v > 0) return unsigned(v);
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw ? hw : 1u;
  }();
  return n;
}

Status parallel_for(uint64_t count, uint64_t grain, const std::function<void(uint64_t, uint64_t)>& body,
                    const JobControl& ctl) {
  if (ctl.cancelled()) return Status::Cancelled;
  if (count == 0) {
    ctl.report(1.0);
    return Status::Ok;
  }
  Task task;
  task.count = count;
  task.grain = std::max<uint64_t>(1, grain);
  task.chunks = (count + task.grain - 1) / task.grain;
  task.body = &body;
  task.ctl = &ctl;
  if (task.chunks == 1 || thread_count() == 1) {
    task.run();
  } else {
    pool().run(task);
  }
  if (task.error) std::rethrow_exception(task.error);
  return task.cancelled ? Status::Cancelled : Status::Ok;
}

}  // namespace ote
