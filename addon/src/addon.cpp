// Addon entry point and build information. Algorithms live in native-cuda/; this folder is glue only.
#include <napi.h>

#include "module_registry.h"
#include "ote/device.h"
#include "ote/thread_pool.h"

namespace ote_addon {
namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("cudaCompiled", ote::cuda_compiled());
  out.Set("threads", ote::thread_count());
  Napi::Array devices = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& d : ote::cuda_devices()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", d.name);
    o.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    o.Set("memoryBytes", double(d.memory_bytes));
    o.Set("multiprocessors", d.multiprocessors);
    devices.Set(i++, o);
  }
  out.Set("devices", devices);
  out.Set("backend", ote::resolve_backend(ote::Backend::Auto) == ote::Backend::Cuda ? "cuda" : "cpu");
  if (devices.Length() == 0) out.Set("cudaUnavailableReason", ote::cuda_unavailable_reason());
  return out;
}

void RegisterInfo(Napi::Env env, Napi::Object exports) { exports.Set("info", Napi::Function::New(env, Info, "info")); }
OTE_ADDON_MODULE(info, RegisterInfo);

}  // namespace
}  // namespace ote_addon

static Napi::Object InitOteNative(Napi::Env env, Napi::Object exports) {
  ote_addon::register_all(env, exports);
  return exports;
}

NODE_API_MODULE(ote_native, InitOteNative)
