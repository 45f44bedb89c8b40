// The pattern every long native call follows: the work runs on a libuv worker thread, the call returns
// { promise, cancel } at once, progress reaches an optional JavaScript callback, and the typed arrays the work
// reads or writes stay referenced until it ends.
#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ote/job_control.h"

namespace ote_addon {

class NativeJob : public Napi::AsyncProgressWorker<double> {
 public:
  using Run = std::function<ote::Status(const ote::JobControl&)>;
  // Builds the resolved value on the JavaScript thread once Run returned Ok.
  using Finish = std::function<Napi::Value(Napi::Env)>;

  // Queue the job and return { promise, cancel }. `keep_alive` holds every JS value whose memory Run touches.
  static Napi::Object Start(Napi::Env env, const char* name, Run run, Finish finish, Napi::Value on_progress,
                            const std::vector<Napi::Value>& keep_alive);

 protected:
  void Execute(const ExecutionProgress& progress) override;
  void OnProgress(const double* data, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  NativeJob(Napi::Env env, const char* name, Run run, Finish finish);

  std::string name_;
  Run run_;
  Finish finish_;
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference on_progress_;
  std::vector<Napi::Reference<Napi::Value>> keep_alive_;
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  std::mutex progress_mutex_;
  // Progress reaches JavaScript coalesced and possibly after the job ended; what was delivered so far keeps the
  // callback monotonic, and a successful job always ends on exactly 1 even when its last Send was dropped.
  double delivered_progress_ = -1.0;
  bool settled_ = false;
  void deliver_progress(double f);
  ote::Status status_ = ote::Status::Ok;
};

// Reject value for a failed Status, with a stable `code` property (OTE_CANCELLED, OTE_OUT_OF_MEMORY, ...).
Napi::Error status_error(Napi::Env env, const std::string& job, ote::Status status);

}  // namespace ote_addon
