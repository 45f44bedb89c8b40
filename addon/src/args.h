// Argument checks for bindings: every failure names the argument and the field, so TypeScript callers see
// "measureTriangles: scene.indices must be a Uint32Array" rather than a crash.
#pragma once
#include <napi.h>

#include <math.h>

#include <string>

#include "ote/device.h"
#include "ote/options.h"
#include "ote/result.h"

namespace ote_addon {

template <typename T>
struct TypedArrayTraits;
template <> struct TypedArrayTraits<float> { static constexpr napi_typedarray_type type = napi_float32_array; static constexpr const char* name = "Float32Array"; };
template <> struct TypedArrayTraits<double> { static constexpr napi_typedarray_type type = napi_float64_array; static constexpr const char* name = "Float64Array"; };
template <> struct TypedArrayTraits<uint32_t> { static constexpr napi_typedarray_type type = napi_uint32_array; static constexpr const char* name = "Uint32Array"; };
template <> struct TypedArrayTraits<int32_t> { static constexpr napi_typedarray_type type = napi_int32_array; static constexpr const char* name = "Int32Array"; };
template <> struct TypedArrayTraits<uint8_t> { static constexpr napi_typedarray_type type = napi_uint8_array; static constexpr const char* name = "Uint8Array"; };
template <> struct TypedArrayTraits<uint16_t> { static constexpr napi_typedarray_type type = napi_uint16_array; static constexpr const char* name = "Uint16Array"; };

[[noreturn]] inline void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

inline Napi::Object object_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsObject())
    throw_type(info.Env(), std::string(fn) + ": argument '" + name + "' must be an object");
  return info[i].As<Napi::Object>();
}

// A typed array field of `obj`, or nullptr when optional and absent. `length` receives the element count.
template <typename T>
T* typed_field(const Napi::Object& obj, const char* fn, const char* path, const char* key, size_t& length,
               bool optional = false) {
  Napi::Env env = obj.Env();
  Napi::Value v = obj.Get(key);
  length = 0;
  if (v.IsUndefined() || v.IsNull()) {
    if (optional) return nullptr;
    throw_type(env, std::string(fn) + ": " + path + "." + key + " is required (" + TypedArrayTraits<T>::name + ")");
  }
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayTraits<T>::type)
    throw_type(env, std::string(fn) + ": " + path + "." + key + " must be a " + TypedArrayTraits<T>::name);
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  length = arr.ElementLength();
  return arr.Data();
}

inline void expect_length(Napi::Env env, const char* fn, const std::string& what, size_t got, size_t want) {
  if (got != want)
    throw Napi::RangeError::New(env, std::string(fn) + ": " + what + " has length " + std::to_string(got) +
                                         ", expected " + std::to_string(want));
}

// options.backend: "auto" (default), "cpu" or "cuda".
inline ote::Backend backend_option(const Napi::Object& options, const char* fn) {
  Napi::Value v = options.Get("backend");
  if (v.IsUndefined()) return ote::Backend::Auto;
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "auto") return ote::Backend::Auto;
  if (s == "cpu") return ote::Backend::Cpu;
  if (s == "cuda") {
    if (ote::cuda_devices().empty())
      throw Napi::Error::New(options.Env(), std::string(fn) + ": backend 'cuda' requested but " +
                                                ote::cuda_unavailable_reason());
    return ote::Backend::Cuda;
  }
  throw_type(options.Env(), std::string(fn) + ": options.backend must be 'auto', 'cpu' or 'cuda'");
}

// A failed check of the C++ API as a RangeError: its message (which names the field) after the function and the
// argument it belongs to, e.g. "bakeLightmaps: inputs.materials[3].metallic must be a number in [0, 1], got 2".
inline void throw_if_failed(Napi::Env env, const ote::Result& r, const char* fn, const char* path) {
  if (!r) throw Napi::RangeError::New(env, std::string(fn) + ": " + path + "." + r.message);
}

// The same for a message that already names its argument ("camera.width must be ...").
inline void throw_if_failed(Napi::Env env, const ote::Result& r, const char* fn) {
  if (!r) throw Napi::RangeError::New(env, std::string(fn) + ": " + r.message);
}

// Numeric options of an API struct from a JS object: each option of `table` (ote/options.h) the object has is
// handed to the API's set_option, which checks its range; absent ones keep the struct's defaults.
template <class S, size_t N>
void read_number_options(const Napi::Object& o, const char* fn, const char* path, const ote::NumberOption<S> (&table)[N],
                         S& s) {
  for (const ote::NumberOption<S>& opt : table) {
    Napi::Value v = o.Get(opt.name);
    if (v.IsUndefined()) continue;
    throw_if_failed(o.Env(), ote::set_option(s, opt, v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN), fn, path);
  }
}

inline const char* backend_name(ote::Backend b) { return b == ote::Backend::Cuda ? "cuda" : "cpu"; }

}  // namespace ote_addon
