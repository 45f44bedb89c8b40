// Baking bindings. generateLightmapUvs(input, outputs, options) -> { promise, cancel };
// countUvOverlaps(cornerUv, page?) -> { count, flags } (synchronous: a grid sweep, milliseconds per 100k triangles).
// See ts-core/src/native/bake.ts.
#include <napi.h>

#include <cmath>
#include <memory>
#include <vector>

#include "args.h"
#include "module_registry.h"
#include "native_job.h"
#include "ote/bake/lightmap_uv.h"

namespace ote_addon {
namespace {

uint32_t uint_option(const Napi::Object& o, const char* fn, const char* key, uint32_t def, uint32_t lo, uint32_t hi) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= lo && d <= hi) || d != double(uint32_t(d)))
    throw Napi::RangeError::New(o.Env(), std::string(fn) + ": options." + key + " must be an integer in [" +
                                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return uint32_t(d);
}

struct UvJob {
  ote::LightmapUvInput in{};
  ote::LightmapUvOptions opt;
  ote::LightmapUvOutput out{};
  std::vector<uint32_t> page, charts, overlaps, page_w, page_h;
  std::vector<uint64_t> texels, box, page_texels;
  std::vector<float> max_s, mean_s, density;
};

template <typename T>
Napi::Value to_array(Napi::Env env, const std::vector<T>& v, size_t n) {
  auto a = Napi::Float64Array::New(env, n);
  for (size_t i = 0; i < n; ++i) a[i] = double(v[i]);
  return a;
}

Napi::Value GenerateLightmapUvs(const Napi::CallbackInfo& info) {
  const char* fn = "generateLightmapUvs";
  Napi::Env env = info.Env();
  Napi::Object in_obj = object_arg(info, 0, fn, "input");
  Napi::Object out_obj = object_arg(info, 1, fn, "outputs");
  Napi::Object options = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);

  auto job = std::make_shared<UvJob>();
  ote::LightmapUvInput& in = job->in;
  size_t n = 0;
  in.positions = typed_field<float>(in_obj, fn, "input", "positions", n);
  if (n % 3) throw Napi::RangeError::New(env, std::string(fn) + ": input.positions length is not a multiple of 3");
  in.vertex_count = uint32_t(n / 3);
  in.indices = typed_field<uint32_t>(in_obj, fn, "input", "indices", n);
  if (n % 3) throw Napi::RangeError::New(env, std::string(fn) + ": input.indices length is not a multiple of 3");
  in.triangle_count = uint32_t(n / 3);
  for (size_t i = 0; i < n; ++i)
    if (in.indices[i] >= in.vertex_count)
      throw Napi::RangeError::New(env, std::string(fn) + ": input.indices[" + std::to_string(i) + "] is out of range");
  in.object_first_triangle = typed_field<uint32_t>(in_obj, fn, "input", "objectFirstTriangle", n);
  if (n == 0) throw Napi::RangeError::New(env, std::string(fn) + ": input.objectFirstTriangle is empty");
  in.object_count = uint32_t(n - 1);
  if (in.object_first_triangle[0] != 0 || in.object_first_triangle[in.object_count] != in.triangle_count)
    throw Napi::RangeError::New(env, std::string(fn) + ": input.objectFirstTriangle must run from 0 to the triangle count");
  for (uint32_t o = 0; o < in.object_count; ++o)
    if (in.object_first_triangle[o] > in.object_first_triangle[o + 1])
      throw Napi::RangeError::New(env, std::string(fn) + ": input.objectFirstTriangle must not decrease");
  in.object_texels_per_meter = typed_field<float>(in_obj, fn, "input", "objectTexelsPerMeter", n);
  expect_length(env, fn, "input.objectTexelsPerMeter", n, in.object_count);
  for (uint32_t o = 0; o < in.object_count; ++o)
    if (!(in.object_texels_per_meter[o] > 0) || !std::isfinite(in.object_texels_per_meter[o]))
      throw Napi::RangeError::New(env, std::string(fn) + ": input.objectTexelsPerMeter[" + std::to_string(o) + "] must be a positive number");
  in.corner_uv = typed_field<float>(in_obj, fn, "input", "cornerUv", n, true);
  if (in.corner_uv) expect_length(env, fn, "input.cornerUv", n, 6ull * in.triangle_count);
  in.object_keep_uv = typed_field<uint8_t>(in_obj, fn, "input", "objectKeepUv", n, true);
  if (in.object_keep_uv) {
    expect_length(env, fn, "input.objectKeepUv", n, in.object_count);
    if (!in.corner_uv) throw Napi::TypeError::New(env, std::string(fn) + ": input.objectKeepUv needs input.cornerUv");
  }

  job->opt.page_size = uint_option(options, fn, "pageSize", 1024, 16, 16384);
  job->opt.padding = uint_option(options, fn, "padding", 2, 0, 64);
  if (options.Get("maxConeDegrees").IsNumber()) job->opt.max_cone_degrees = options.Get("maxConeDegrees").As<Napi::Number>().FloatValue();
  if (!(job->opt.max_cone_degrees > 1 && job->opt.max_cone_degrees < 89))
    throw Napi::RangeError::New(env, std::string(fn) + ": options.maxConeDegrees must be in (1, 89)");

  ote::LightmapUvOutput& out = job->out;
  out.corner_uv = typed_field<float>(out_obj, fn, "outputs", "cornerUv", n);
  expect_length(env, fn, "outputs.cornerUv", n, 6ull * in.triangle_count);
  out.triangle_chart = typed_field<uint32_t>(out_obj, fn, "outputs", "triangleChart", n);
  expect_length(env, fn, "outputs.triangleChart", n, in.triangle_count);
  const size_t no = in.object_count;
  job->page.resize(no), job->charts.resize(no), job->overlaps.resize(no), job->texels.resize(no), job->box.resize(no);
  job->max_s.resize(no), job->mean_s.resize(no), job->density.resize(no);
  const size_t max_pages = size_t(no) + 1;
  job->page_w.resize(max_pages), job->page_h.resize(max_pages), job->page_texels.resize(max_pages);
  out.object_page = job->page.data(), out.object_charts = job->charts.data(), out.object_overlaps = job->overlaps.data();
  out.object_texels = job->texels.data(), out.object_box_texels = job->box.data();
  out.object_max_stretch = job->max_s.data(), out.object_mean_stretch = job->mean_s.data();
  out.object_texels_per_meter = job->density.data();
  out.max_pages = uint32_t(max_pages);
  out.page_width = job->page_w.data(), out.page_height = job->page_h.data(), out.page_texels = job->page_texels.data();

  return NativeJob::Start(
      env, fn, [job](const ote::JobControl& ctl) { return ote::generate_lightmap_uvs(job->in, job->opt, job->out, ctl); },
      [job](Napi::Env env) -> Napi::Value {
        const size_t no = job->in.object_count, np = job->out.page_count;
        Napi::Object r = Napi::Object::New(env);
        r.Set("chartCount", double(job->out.chart_count));
        r.Set("objectPage", to_array(env, job->page, no));
        r.Set("objectCharts", to_array(env, job->charts, no));
        r.Set("objectTexels", to_array(env, job->texels, no));
        r.Set("objectBoxTexels", to_array(env, job->box, no));
        r.Set("objectMaxStretch", to_array(env, job->max_s, no));
        r.Set("objectMeanStretch", to_array(env, job->mean_s, no));
        r.Set("objectOverlaps", to_array(env, job->overlaps, no));
        r.Set("objectTexelsPerMeter", to_array(env, job->density, no));
        r.Set("pageWidth", to_array(env, job->page_w, np));
        r.Set("pageHeight", to_array(env, job->page_h, np));
        r.Set("pageTexels", to_array(env, job->page_texels, np));
        return r;
      },
      options.Get("onProgress"), {in_obj, out_obj});
}

Napi::Value CountUvOverlaps(const Napi::CallbackInfo& info) {
  const char* fn = "countUvOverlaps";
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type(env, std::string(fn) + ": argument 'cornerUv' must be a Float32Array");
  auto uv = info[0].As<Napi::Float32Array>();
  if (uv.ElementLength() % 6) throw Napi::RangeError::New(env, std::string(fn) + ": cornerUv length is not a multiple of 6");
  const uint32_t nt = uint32_t(uv.ElementLength() / 6);
  const uint32_t* page = nullptr;
  if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw_type(env, std::string(fn) + ": argument 'page' must be a Uint32Array");
    auto p = info[1].As<Napi::Uint32Array>();
    expect_length(env, fn, "page", p.ElementLength(), nt);
    page = p.Data();
  }
  auto flags = Napi::Uint8Array::New(env, nt);
  const uint64_t count = ote::count_uv_overlaps(uv.Data(), nt, page, 1e-6, flags.Data());
  Napi::Object r = Napi::Object::New(env);
  r.Set("count", double(count));
  r.Set("flags", flags);
  return r;
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("generateLightmapUvs", Napi::Function::New(env, GenerateLightmapUvs, "generateLightmapUvs"));
  exports.Set("countUvOverlaps", Napi::Function::New(env, CountUvOverlaps, "countUvOverlaps"));
}
OTE_ADDON_MODULE(bake, Register);

}  // namespace
}  // namespace ote_addon
