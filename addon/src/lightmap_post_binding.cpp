// postprocessLightmapPage(page, options) -> { promise, cancel }: lightmap_post.h's denoise and dilation of one page,
// in place. See ts-core/src/native/lightmap-post.ts.
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "module_registry.h"
#include "native_job.h"
#include "ote/bake/lightmap_post.h"

namespace ote_addon {
namespace {

double number_field(const Napi::Object& o, const char* fn, const std::string& path, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw_type(o.Env(), std::string(fn) + ": " + path + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

uint32_t count_field(const Napi::Object& o, const char* fn, const std::string& path, const char* key,
                     uint32_t fallback) {
  const double d = number_field(o, fn, path, key, fallback);
  if (!(d >= 0) || d > 4294967295.0 || d != std::floor(d))
    throw Napi::RangeError::New(o.Env(), std::string(fn) + ": " + path + "." + key +
                                             " must be a non-negative integer, got " + std::to_string(d));
  return uint32_t(d);
}

void step_option(const Napi::Object& options, const char* fn, const char* key, ote::LightmapDenoiseStep& s) {
  Napi::Value v = options.Get(key);
  if (v.IsUndefined()) return;
  if (!v.IsObject()) throw_type(options.Env(), std::string(fn) + ": options." + key + " must be an object");
  const Napi::Object o = v.As<Napi::Object>();
  const std::string path = std::string("options.") + key;
  s.iterations = count_field(o, fn, path, "iterations", s.iterations);
  s.luma_sigma = number_field(o, fn, path, "lumaSigma", s.luma_sigma);
}

Napi::Value PostprocessLightmapPage(const Napi::CallbackInfo& info) {
  const char* fn = "postprocessLightmapPage";
  Napi::Env env = info.Env();
  Napi::Object page_obj = object_arg(info, 0, fn, "page");
  Napi::Object options = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);

  ote::LightmapPostOptions o;
  Napi::Value dn = options.Get("denoise");
  if (!dn.IsUndefined()) o.denoise = dn.ToBoolean().Value();
  step_option(options, fn, "direct", o.direct);
  step_option(options, fn, "bounced", o.bounced);
  step_option(options, fn, "whole", o.whole);
  o.dilate_rings = count_field(options, fn, "options", "dilateRings", o.dilate_rings);

  ote::LightmapPageView p;
  p.width = count_field(page_obj, fn, "page", "width", 0);
  p.height = count_field(page_obj, fn, "page", "height", 0);
  p.texel_size = float(number_field(page_obj, fn, "page", "texelSize", NAN));
  const size_t texels = size_t(p.width) * p.height;
  size_t n = 0;
  p.rgba = typed_field<float>(page_obj, fn, "page", "rgba", n);
  expect_length(env, fn, "page.rgba", n, 4 * texels);
  p.valid = typed_field<uint8_t>(page_obj, fn, "page", "valid", n);
  expect_length(env, fn, "page.valid", n, texels);
  p.position = typed_field<float>(page_obj, fn, "page", "position", n, !o.denoise);
  if (p.position) expect_length(env, fn, "page.position", n, 3 * texels);
  p.normal = typed_field<float>(page_obj, fn, "page", "normal", n, !o.denoise);
  if (p.normal) expect_length(env, fn, "page.normal", n, 3 * texels);
  // An empty `direct` is a bake that did not split its light: the sum is denoised as one.
  p.direct = typed_field<float>(page_obj, fn, "page", "direct", n, true);
  if (p.direct && n == 0) p.direct = nullptr;
  if (p.direct) expect_length(env, fn, "page.direct", n, 3 * texels);
  throw_if_failed(env, ote::validate_lightmap_page(p, o), fn);

  // The arrays themselves, not only the object that names them: the job reads and writes them after this returns.
  std::vector<Napi::Value> keep{page_obj};
  for (const char* key : {"rgba", "valid", "position", "normal", "direct"})
    if (Napi::Value v = page_obj.Get(key); v.IsObject()) keep.push_back(v);
  return NativeJob::Start(
      env, fn, [p, o](const ote::JobControl& ctl) { return ote::postprocess_lightmap_page(p, o, ctl); },
      [](Napi::Env env) -> Napi::Value { return env.Undefined(); }, options.Get("onProgress"), keep);
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("postprocessLightmapPage", Napi::Function::New(env, PostprocessLightmapPage, "postprocessLightmapPage"));
}
OTE_ADDON_MODULE(lightmap_post, Register);

}  // namespace
}  // namespace ote_addon
