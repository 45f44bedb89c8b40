// computeImageMetrics(reference, test, options, maps) -> { promise, cancel }. See ts-core/src/native/metrics.ts.
// Images are { data: Uint8Array | Uint16Array | Float32Array, width, height, channels: 3 | 4, rowStride? }.
#include <napi.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "args.h"
#include "module_registry.h"
#include "native_job.h"
#include "ote/metrics/metrics.h"

namespace ote_addon {
namespace {

uint32_t uint_field(const Napi::Object& o, const char* fn, const std::string& path, const char* key, bool optional,
                    uint32_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() && optional) return fallback;
  if (!v.IsNumber()) throw_type(o.Env(), std::string(fn) + ": " + path + "." + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 4294967295.0 || d != double(uint32_t(d)))
    throw Napi::RangeError::New(o.Env(), std::string(fn) + ": " + path + "." + key + " must be a non-negative integer");
  return uint32_t(d);
}

ote::ImageView image_view(Napi::Env env, const Napi::Object& o, const char* fn, const char* name) {
  ote::ImageView v{};
  v.width = uint_field(o, fn, name, "width", false, 0);
  v.height = uint_field(o, fn, name, "height", false, 0);
  v.channels = uint_field(o, fn, name, "channels", true, 4);
  v.row_stride = uint_field(o, fn, name, "rowStride", true, v.width);
  if (v.width == 0 || v.height == 0)
    throw Napi::RangeError::New(env, std::string(fn) + ": " + name + " is empty (" + std::to_string(v.width) + "x" +
                                         std::to_string(v.height) + ")");
  if (v.channels != 3 && v.channels != 4)
    throw Napi::RangeError::New(env, std::string(fn) + ": " + name + ".channels must be 3 or 4, got " + std::to_string(v.channels));
  if (v.row_stride < v.width) throw Napi::RangeError::New(env, std::string(fn) + ": " + name + ".rowStride is less than its width");
  Napi::Value d = o.Get("data");
  if (!d.IsTypedArray()) throw_type(env, std::string(fn) + ": " + name + ".data must be a Uint8Array, Uint16Array or Float32Array");
  Napi::TypedArray ta = d.As<Napi::TypedArray>();
  switch (ta.TypedArrayType()) {
    case napi_uint8_array: case napi_uint8_clamped_array: v.type = ote::PixelType::U8; break;
    case napi_uint16_array: v.type = ote::PixelType::U16; break;
    case napi_float32_array: v.type = ote::PixelType::F32; break;
    default: throw_type(env, std::string(fn) + ": " + name + ".data must be a Uint8Array, Uint16Array or Float32Array");
  }
  const uint64_t need = ((uint64_t(v.height) - 1) * v.row_stride + v.width) * v.channels;
  if (ta.ElementLength() < need)
    throw Napi::RangeError::New(env, std::string(fn) + ": " + name + ".data has " + std::to_string(ta.ElementLength()) +
                                         " elements, " + std::to_string(need) + " needed for its size");
  v.data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return v;
}

ote::ImageView image_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  return image_view(info.Env(), object_arg(info, i, fn, name), fn, name);
}

bool bool_option(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

Napi::Value ComputeImageMetrics(const Napi::CallbackInfo& info) {
  const char* fn = "computeImageMetrics";
  Napi::Env env = info.Env();
  const ote::ImageView a = image_arg(info, 0, fn, "reference");
  const ote::ImageView b = image_arg(info, 1, fn, "test");
  Napi::Object options = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  Napi::Object maps_obj = info.Length() > 3 && info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);

  ote::MetricsRequest req;
  req.psnr = bool_option(options, "psnr", true);
  req.ssim_rgb = bool_option(options, "ssimRgb", true);
  req.ssim_luma = bool_option(options, "ssimLuma", true);
  req.msssim = bool_option(options, "msssim", false);
  req.flip = bool_option(options, "flip", false);
  // Per image: image.dataRange / image.encoding, else options.dataRange / options.encoding, else by pixel type.
  for (int i = 0; i < 2; ++i) {
    const ote::ImageView& v = i == 0 ? a : b;
    Napi::Object img = info[i].As<Napi::Object>();
    const std::string who = i == 0 ? "reference" : "test";
    Napi::Value dr = img.Get("dataRange");
    std::string where = who + ".dataRange";
    if (dr.IsUndefined()) dr = options.Get("dataRange"), where = "options.dataRange";
    if (!dr.IsUndefined()) {
      if (!dr.IsNumber()) throw_type(env, std::string(fn) + ": " + where + " must be a number");
      req.data_range[i] = dr.As<Napi::Number>().FloatValue();
    } else {
      req.data_range[i] = v.type == ote::PixelType::U8 ? 255.0f : v.type == ote::PixelType::U16 ? 65535.0f : 1.0f;
    }
    Napi::Value enc = img.Get("encoding");
    where = who + ".encoding";
    if (enc.IsUndefined()) enc = options.Get("encoding"), where = "options.encoding";
    if (!enc.IsUndefined()) {
      const std::string s = enc.IsString() ? enc.As<Napi::String>().Utf8Value() : "";
      if (s == "stored") req.encoding[i] = ote::PixelEncoding::Stored;
      else if (s == "linear-srgb") req.encoding[i] = ote::PixelEncoding::LinearToSrgb;
      else throw_type(env, std::string(fn) + ": " + where + " must be 'stored' or 'linear-srgb'");
    }
  }
  Napi::Value noise = options.Get("referenceNoise");
  if (!noise.IsUndefined()) {
    if (!noise.IsObject()) throw_type(env, std::string(fn) + ": options.referenceNoise must be an image");
    req.reference_noise = image_view(env, noise.As<Napi::Object>(), fn, "options.referenceNoise");
  }
  Napi::Value ppd = options.Get("ppd");
  if (!ppd.IsUndefined()) {
    if (!ppd.IsNumber()) throw_type(env, std::string(fn) + ": options.ppd must be a number");
    req.flip_ppd = ppd.As<Napi::Number>().FloatValue();
  }

  ote::MetricsMaps maps{};
  size_t ssim_n = 0, flip_n = 0;
  maps.ssim_luma = typed_field<float>(maps_obj, fn, "maps", "ssimLuma", ssim_n, true);
  maps.flip = typed_field<float>(maps_obj, fn, "maps", "flip", flip_n, true);
  // Sizes, ranges and what each metric needs are the core's checks; its message names the field.
  throw_if_failed(env, ote::check_metrics_inputs(a, b, req, maps), fn);
  const uint64_t pixels = uint64_t(a.width) * a.height;
  if (maps.ssim_luma) expect_length(env, fn, "maps.ssimLuma", ssim_n, pixels);
  if (maps.flip) expect_length(env, fn, "maps.flip", flip_n, pixels);

  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  auto out = std::make_shared<ote::MetricsResult>();
  return NativeJob::Start(
      env, fn,
      [a, b, req, maps, out, backend](const ote::JobControl& ctl) {
        const ote::Status st = ote::compute_metrics(a, b, req, *out, maps, backend, ctl);
        if (st == ote::Status::InvalidArgument && out->bad_image >= 0)
          throw std::invalid_argument(std::string(out->bad_image == 0   ? "reference"
                                                  : out->bad_image == 1 ? "test"
                                                                        : "options.referenceNoise") +
                                      " has a non-finite value (NaN or infinity) at pixel (" +
                                      std::to_string(out->bad_x) + ", " + std::to_string(out->bad_y) + ")");
        return st;
      },
      [out, req, backend](Napi::Env env) -> Napi::Value {
        const ote::MetricsResult& m = *out;
        Napi::Object r = Napi::Object::New(env);
        r.Set("backend", backend_name(backend));
        if (req.psnr) {
          r.Set("psnr", m.psnr);
          r.Set("mse", m.mse_all);
          Napi::Array pc = Napi::Array::New(env, 3), mc = Napi::Array::New(env, 3);
          for (uint32_t c = 0; c < 3; ++c) pc.Set(c, m.psnr_channel[c]), mc.Set(c, m.mse[c]);
          r.Set("psnrChannels", pc);
          r.Set("mseChannels", mc);
        }
        if (req.ssim_rgb) {
          r.Set("ssimRgb", m.ssim_rgb);
          Napi::Array sc = Napi::Array::New(env, 3);
          for (uint32_t c = 0; c < 3; ++c) sc.Set(c, m.ssim_channel[c]);
          r.Set("ssimChannels", sc);
        }
        if (req.ssim_luma) r.Set("ssimLuma", m.ssim_luma);
        if (req.msssim) {
          r.Set("msssim", m.msssim);
          Napi::Array sc = Napi::Array::New(env, 5);
          for (uint32_t s = 0; s < 5; ++s) sc.Set(s, m.msssim_cs[s]);
          r.Set("msssimScales", sc);
        }
        if (req.flip) r.Set("flip", m.flip);
        if (backend == ote::Backend::Cuda) r.Set("kernelMs", m.kernel_ms);
        return r;
      },
      options.Get("onProgress"), {info[0], info[1], maps_obj, options});
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("computeImageMetrics", Napi::Function::New(env, ComputeImageMetrics, "computeImageMetrics"));
}
OTE_ADDON_MODULE(metrics, Register);

}  // namespace
}  // namespace ote_addon
