#include "native_job.h"

#include <new>

namespace ote_addon {

NativeJob::NativeJob(Napi::Env env, const char* name, Run run, Finish finish)
    : Napi::AsyncProgressWorker<double>(env, name),
      name_(name),
      run_(std::move(run)),
      finish_(std::move(finish)),
      deferred_(Napi::Promise::Deferred::New(env)) {}

Napi::Object NativeJob::Start(Napi::Env env, const char* name, Run run, Finish finish, Napi::Value on_progress,
                              const std::vector<Napi::Value>& keep_alive) {
  auto* job = new NativeJob(env, name, std::move(run), std::move(finish));
  if (on_progress.IsFunction()) job->on_progress_ = Napi::Persistent(on_progress.As<Napi::Function>());
  // Only objects hold memory the work may touch, and only they can be referenced (a reference to `undefined` throws
  // here, after the worker exists, and the never-queued worker would then keep the process alive).
  for (const auto& v : keep_alive)
    if (v.IsObject()) job->keep_alive_.push_back(Napi::Reference<Napi::Value>::New(v, 1));
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", job->deferred_.Promise());
  auto flag = job->cancel_;
  handle.Set("cancel", Napi::Function::New(env, [flag](const Napi::CallbackInfo& info) {
               flag->store(true);
               return info.Env().Undefined();
             }, "cancel"));
  job->Queue();  // the worker deletes itself after OnOK/OnError
  return handle;
}

void NativeJob::Execute(const ExecutionProgress& progress) {
  ote::JobControl ctl;
  ctl.cancel = cancel_.get();
  ctl.progress = [this, &progress](double f) {
    std::lock_guard<std::mutex> lock(progress_mutex_);
    progress.Send(&f, 1);
  };
  try {
    status_ = run_(ctl);
  } catch (const std::bad_alloc&) {
    status_ = ote::Status::OutOfMemory;
  } catch (const std::exception& e) {
    SetError(name_ + ": " + e.what());
  }
}

void NativeJob::OnProgress(const double* data, size_t count) {
  if (!count || settled_) return;
  deliver_progress(data[count - 1]);
}

void NativeJob::deliver_progress(double f) {
  if (on_progress_.IsEmpty() || !(f > delivered_progress_)) return;
  delivered_progress_ = f;
  Napi::HandleScope scope(Env());
  on_progress_.Call({Napi::Number::New(Env(), f)});
}

void NativeJob::OnOK() {
  Napi::HandleScope scope(Env());
  settled_ = true;
  if (status_ == ote::Status::Ok) {
    try {
      deliver_progress(1.0);
    } catch (const Napi::Error& e) {  // a throwing progress callback must not leave the promise unsettled
      deferred_.Reject(e.Value());
      return;
    }
  }
  if (status_ != ote::Status::Ok) {
    deferred_.Reject(status_error(Env(), name_, status_).Value());
    return;
  }
  try {
    deferred_.Resolve(finish_(Env()));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

void NativeJob::OnError(const Napi::Error& e) {
  settled_ = true;
  deferred_.Reject(e.Value());
}

Napi::Error status_error(Napi::Env env, const std::string& job, ote::Status status) {
  const char* code = "OTE_NATIVE_ERROR";
  const char* what = "failed";
  switch (status) {
    case ote::Status::Cancelled: code = "OTE_CANCELLED", what = "cancelled"; break;
    case ote::Status::InvalidArgument: code = "OTE_INVALID_ARGUMENT", what = "invalid argument (an index or id is out of range)"; break;
    case ote::Status::DeviceError: code = "OTE_DEVICE_ERROR", what = "CUDA device error"; break;
    case ote::Status::OutOfMemory: code = "OTE_OUT_OF_MEMORY", what = "out of memory"; break;
    default: break;
  }
  Napi::Error e = Napi::Error::New(env, job + ": " + what);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

}  // namespace ote_addon
