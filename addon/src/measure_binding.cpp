// measureTriangles(scene, outputs, options) -> { promise, cancel }. See ts-core/src/native/measure.ts.
#include <napi.h>

#include <memory>

#include "args.h"
#include "flat_scene_arg.h"
#include "module_registry.h"
#include "native_job.h"
#include "ote/flat_scene_check.h"
#include "ote/measure.h"

namespace ote_addon {

// Reads a FlatScene from the object built by ts-core/src/scene/flatten.ts. Shared by every scene kernel binding.
ote::FlatScene flat_scene_arg(const Napi::Object& o, const char* fn) {
  ote::FlatScene s{};
  size_t n = 0;
  s.positions = typed_field<float>(o, fn, "scene", "positions", n);
  if (n % 3) throw Napi::RangeError::New(o.Env(), std::string(fn) + ": scene.positions length is not a multiple of 3");
  s.vertex_count = uint32_t(n / 3);
  s.indices = typed_field<uint32_t>(o, fn, "scene", "indices", n);
  if (n % 3) throw Napi::RangeError::New(o.Env(), std::string(fn) + ": scene.indices length is not a multiple of 3");
  s.triangle_count = uint32_t(n / 3);
  s.mesh_first_triangle = typed_field<uint32_t>(o, fn, "scene", "meshFirstTriangle", n);
  if (n == 0) throw Napi::RangeError::New(o.Env(), std::string(fn) + ": scene.meshFirstTriangle is empty");
  s.mesh_count = uint32_t(n - 1);
  s.instance_mesh = typed_field<uint32_t>(o, fn, "scene", "instanceMesh", n);
  s.instance_count = uint32_t(n);
  s.instance_transforms = typed_field<float>(o, fn, "scene", "instanceTransforms", n);
  expect_length(o.Env(), fn, "scene.instanceTransforms", n, 16ull * s.instance_count);
  // Array lengths are the binding's; the structure is the core's one check.
  throw_if_failed(o.Env(), ote::check_flat_scene(s), fn, "scene");
  return s;
}

namespace {

Napi::Value MeasureTriangles(const Napi::CallbackInfo& info) {
  const char* fn = "measureTriangles";
  Napi::Env env = info.Env();
  Napi::Object scene_obj = object_arg(info, 0, fn, "scene");
  Napi::Object out_obj = object_arg(info, 1, fn, "outputs");
  Napi::Object options = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);

  const ote::FlatScene scene = flat_scene_arg(scene_obj, fn);
  uint64_t slots = 0;
  for (uint32_t i = 0; i < scene.instance_count; ++i) slots += ote::instance_triangle_count(scene, i);

  auto out = std::make_shared<ote::MeasureOutput>();
  size_t n = 0;
  out->triangle_area = typed_field<float>(out_obj, fn, "outputs", "triangleArea", n, true);
  if (out->triangle_area) expect_length(env, fn, "outputs.triangleArea", n, slots);
  out->triangle_normal = typed_field<float>(out_obj, fn, "outputs", "triangleNormal", n, true);
  if (out->triangle_normal) expect_length(env, fn, "outputs.triangleNormal", n, 3 * slots);
  out->instance_area = typed_field<double>(out_obj, fn, "outputs", "instanceArea", n);
  expect_length(env, fn, "outputs.instanceArea", n, scene.instance_count);
  out->instance_bounds = typed_field<float>(out_obj, fn, "outputs", "instanceBounds", n);
  expect_length(env, fn, "outputs.instanceBounds", n, 6ull * scene.instance_count);
  out->instance_degenerate = typed_field<uint32_t>(out_obj, fn, "outputs", "instanceDegenerate", n);
  expect_length(env, fn, "outputs.instanceDegenerate", n, scene.instance_count);

  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  return NativeJob::Start(
      env, fn,
      [scene, out, backend](const ote::JobControl& ctl) { return ote::measure_triangles(scene, *out, backend, ctl); },
      [out, backend](Napi::Env env) -> Napi::Value {
        Napi::Object r = Napi::Object::New(env);
        Napi::Array bounds = Napi::Array::New(env, 6);
        for (uint32_t a = 0; a < 6; ++a) bounds.Set(a, out->scene_bounds[a]);
        r.Set("sceneBounds", bounds);
        r.Set("totalArea", out->total_area);
        r.Set("degenerateCount", double(out->degenerate_count));
        r.Set("backend", backend_name(backend));
        return r;
      },
      options.Get("onProgress"), {scene_obj, out_obj});
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("measureTriangles", Napi::Function::New(env, MeasureTriangles, "measureTriangles"));
}
OTE_ADDON_MODULE(measure, Register);

}  // namespace
}  // namespace ote_addon
