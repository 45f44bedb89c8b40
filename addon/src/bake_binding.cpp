// Baking bindings. generateLightmapUvs(input, outputs, options) -> { promise, cancel };
// countUvOverlaps(cornerUv, page?) -> { count, flags } (synchronous: a grid sweep, milliseconds per 100k triangles).
// bakeLightmaps(scene, inputs, outputs, options) -> { promise, cancel };
// renderReference(scene, inputs, view, outputs, options) -> { promise, cancel }.
// See ts-core/src/native/bake.ts.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "args.h"
#include "flat_scene_arg.h"
#include "module_registry.h"
#include "native_job.h"
#include "ote/bake/bake.h"
#include "ote/bake/lightmap_uv.h"
#include "ote/bake/options.h"
#include "ote/bake/packed.h"

namespace ote_addon {
namespace {

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
  in.object_first_triangle = typed_field<uint32_t>(in_obj, fn, "input", "objectFirstTriangle", n);
  if (n == 0) throw Napi::RangeError::New(env, std::string(fn) + ": input.objectFirstTriangle is empty");
  in.object_count = uint32_t(n - 1);
  in.object_texels_per_meter = typed_field<float>(in_obj, fn, "input", "objectTexelsPerMeter", n);
  expect_length(env, fn, "input.objectTexelsPerMeter", n, in.object_count);
  in.corner_uv = typed_field<float>(in_obj, fn, "input", "cornerUv", n, true);
  if (in.corner_uv) expect_length(env, fn, "input.cornerUv", n, 6ull * in.triangle_count);
  in.object_keep_uv = typed_field<uint8_t>(in_obj, fn, "input", "objectKeepUv", n, true);
  if (in.object_keep_uv) expect_length(env, fn, "input.objectKeepUv", n, in.object_count);
  throw_if_failed(env, ote::validate_lightmap_uv_input(in), fn, "input");
  read_number_options(options, fn, "options", ote::kLightmapUvOptions, job->opt);

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


// Everything bakeLightmaps and renderReference read besides the flat scene; owns the converted structs.
struct BakeJobInputs {
  ote::FlatScene flat{};
  std::vector<ote::BakeMaterial> materials;
  std::vector<ote::BakeLight> lights;
  std::vector<uint32_t> page_w, page_h;
  std::vector<ote::BakeTexture> textures;
  std::vector<float*> gather_pages;  // bakeLightmaps' inputs.gatherPages, when given
  ote::BakeInputs in{};
};

// inputs: ts-core/src/native/addon-api.ts BakeNativeInputs; materials, lights, sky and the texture table are the
// packed records of ote/bake/packed.h, unpacked and checked there.
std::shared_ptr<BakeJobInputs> bake_inputs(const Napi::Object& scene, const Napi::Object& o, const char* fn) {
  Napi::Env env = o.Env();
  auto j = std::make_shared<BakeJobInputs>();
  j->flat = flat_scene_arg(scene, fn);  // structure checked there (ote/flat_scene_check.h)
  const ote::FlatScene& f = j->flat;
  size_t n = 0;
  ote::BakeInputs& in = j->in;
  in.flat = &j->flat;
  in.triangle_material = typed_field<int32_t>(scene, fn, "scene", "triangleMaterial", n);
  expect_length(env, fn, "scene.triangleMaterial", n, f.triangle_count);
  // Textures first: materials are checked against the table.
  const uint32_t* tex = typed_field<uint32_t>(o, fn, "inputs", "textures", n, true);
  size_t texel_bytes = 0;
  const uint8_t* texels = typed_field<uint8_t>(o, fn, "inputs", "texels", texel_bytes, true);
  if (tex) {
    if (n && !texels) throw Napi::TypeError::New(env, std::string(fn) + ": inputs.textures needs inputs.texels");
    throw_if_failed(env, ote::unpack_textures(tex, n, texel_bytes, j->textures), fn, "inputs");
  }
  in.textures = j->textures.data();
  in.texture_count = uint32_t(j->textures.size());
  in.texels = texels;
  in.texel_bytes = texels ? texel_bytes : 0;
  const float* mats = typed_field<float>(o, fn, "inputs", "materials", n);
  throw_if_failed(env, ote::unpack_materials(mats, n, uint32_t(j->textures.size()), j->materials), fn, "inputs");
  in.materials = j->materials.data();
  in.material_count = uint32_t(j->materials.size());
  in.default_material = ote::BakeMaterial{{1, 1, 1}, {0, 0, 0}, 0};  // glTF's default: white, dielectric, single-sided
  const float* lights = typed_field<float>(o, fn, "inputs", "lights", n);
  throw_if_failed(env, ote::unpack_lights(lights, n, j->lights), fn, "inputs");
  in.lights = j->lights.data();
  in.light_count = uint32_t(j->lights.size());
  const float* sky = typed_field<float>(o, fn, "inputs", "sky", n);
  throw_if_failed(env, ote::unpack_sky(sky, n, in), fn, "inputs");
  in.triangle_uv1 = typed_field<float>(o, fn, "inputs", "triangleUv1", n);
  expect_length(env, fn, "inputs.triangleUv1", n, 6ull * f.triangle_count);
  in.triangle_page = typed_field<int32_t>(o, fn, "inputs", "trianglePage", n);
  expect_length(env, fn, "inputs.trianglePage", n, f.triangle_count);
  in.triangle_normals = typed_field<float>(o, fn, "inputs", "triangleNormals", n, true);
  if (in.triangle_normals) expect_length(env, fn, "inputs.triangleNormals", n, 9ull * f.triangle_count);
  in.triangle_uv0 = typed_field<float>(o, fn, "inputs", "triangleUv0", n, true);
  if (in.triangle_uv0) expect_length(env, fn, "inputs.triangleUv0", n, 6ull * f.triangle_count);
  in.triangle_color = typed_field<float>(o, fn, "inputs", "triangleColor", n, true);
  if (in.triangle_color) expect_length(env, fn, "inputs.triangleColor", n, 9ull * f.triangle_count);
  in.instance_camera_hidden = typed_field<uint8_t>(o, fn, "inputs", "instanceCameraHidden", n, true);
  if (in.instance_camera_hidden) expect_length(env, fn, "inputs.instanceCameraHidden", n, f.instance_count);
  in.viewpoints = typed_field<float>(o, fn, "inputs", "viewpoints", n, true);
  if (in.viewpoints) {
    if (n % 3) throw Napi::RangeError::New(env, std::string(fn) + ": inputs.viewpoints length is not a multiple of 3");
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(in.viewpoints[i])) throw Napi::RangeError::New(env, std::string(fn) + ": inputs.viewpoints[" + std::to_string(i) + "] is not finite");
    in.viewpoint_count = uint32_t(n / 3);
  }
  const uint32_t* pw = typed_field<uint32_t>(o, fn, "inputs", "pageWidth", n);
  in.page_count = uint32_t(n);
  const uint32_t* ph = typed_field<uint32_t>(o, fn, "inputs", "pageHeight", n);
  expect_length(env, fn, "inputs.pageHeight", n, in.page_count);
  j->page_w.assign(pw, pw + in.page_count);
  j->page_h.assign(ph, ph + in.page_count);
  in.page_width = j->page_w.data();
  in.page_height = j->page_h.data();
  for (uint32_t t = 0; t < f.triangle_count; ++t)
    if (in.triangle_page[t] >= int32_t(in.page_count))
      throw Napi::RangeError::New(env, std::string(fn) + ": inputs.trianglePage[" + std::to_string(t) + "] is not a page");
  return j;
}

// An optional boolean A/B switch of the transport: on (1) when absent.
static uint32_t switch_option(const Napi::Object& o, const char* fn, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsUndefined() && !v.IsBoolean()) throw_type(o.Env(), std::string(fn) + ": options." + key + " must be a boolean");
  return v.IsUndefined() || v.As<Napi::Boolean>().Value() ? 1u : 0u;
}

ote::TransportParams transport_options(const Napi::Object& o, const char* fn) {
  ote::TransportParams tp;
  read_number_options(o, fn, "options", ote::kTransportOptions, tp);
  tp.light_vertices = switch_option(o, fn, "lightVertices");
  tp.sky_portals = switch_option(o, fn, "skyPortals");
  tp.sun_vertices = switch_option(o, fn, "sunVertices");
  tp.qmc = switch_option(o, fn, "lowDiscrepancy");
  return tp;
}

// Page arrays of one kind: obj[key] (obj named `where` in errors) must be an array of `count` typed arrays of
// width × height × per texels.
template <typename T>
std::vector<T*> page_arrays(const Napi::Object& outputs, const char* fn, const char* key, const BakeJobInputs& j,
                            size_t per, const char* where = "outputs") {
  Napi::Value v = outputs.Get(key);
  if (!v.IsArray()) throw_type(outputs.Env(), std::string(fn) + ": " + where + "." + key + " must be an array (one entry per page)");
  Napi::Array a = v.As<Napi::Array>();
  expect_length(outputs.Env(), fn, std::string(where) + "." + key, a.Length(), j.in.page_count);
  std::vector<T*> r;
  for (uint32_t p = 0; p < a.Length(); ++p) {
    Napi::Object holder = Napi::Object::New(outputs.Env());
    holder.Set("page", a.Get(p));
    size_t n = 0;
    const std::string path = std::string(where) + "." + key + "[" + std::to_string(p) + "]";
    T* ptr = typed_field<T>(holder, fn, path.c_str(), "page", n);
    expect_length(outputs.Env(), fn, path, n, per * j.page_w[p] * j.page_h[p]);
    r.push_back(ptr);
  }
  return r;
}

Napi::Value BakeLightmaps(const Napi::CallbackInfo& info) {
  const char* fn = "bakeLightmaps";
  Napi::Env env = info.Env();
  Napi::Object scene_obj = object_arg(info, 0, fn, "scene");
  Napi::Object in_obj = object_arg(info, 1, fn, "inputs");
  Napi::Object out_obj = object_arg(info, 2, fn, "outputs");
  Napi::Object options = info.Length() > 3 && info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);
  auto j = bake_inputs(scene_obj, in_obj, fn);
  // The final gather's lightmap: a finished bake of this layout (RGBA floats per page), held alive with in_obj.
  if (!in_obj.Get("gatherPages").IsUndefined()) {
    j->gather_pages = page_arrays<float>(in_obj, fn, "gatherPages", *j, 4, "inputs");
    j->in.gather_pages = j->gather_pages.data();
  }
  struct Out {
    std::vector<float*> rgba;
    std::vector<uint8_t*> valid;
    std::vector<uint32_t*> samples, rays;
    std::vector<float*> position, normal, tangent, bitangent, direct;
    ote::BakeOutput out{};
    bool flattened = false;
  };
  auto o = std::make_shared<Out>();
  o->rgba = page_arrays<float>(out_obj, fn, "rgba", *j, 4);
  o->valid = page_arrays<uint8_t>(out_obj, fn, "valid", *j, 1);
  o->samples = page_arrays<uint32_t>(out_obj, fn, "samples", *j, 1);
  o->out.page_rgba = o->rgba.data();
  o->out.page_valid = o->valid.data();
  o->out.page_samples = o->samples.data();
  // Optional per-texel guides and the direct light (3 floats each), filled only where the caller passes arrays.
  struct Guide { const char* key; std::vector<float*>* pages; float*** out; };
  for (const Guide& g : {Guide{"position", &o->position, &o->out.page_position}, Guide{"normal", &o->normal, &o->out.page_normal},
                         Guide{"tangent", &o->tangent, &o->out.page_tangent}, Guide{"bitangent", &o->bitangent, &o->out.page_bitangent},
                         Guide{"direct", &o->direct, &o->out.page_direct}}) {
    if (out_obj.Get(g.key).IsUndefined()) continue;
    *g.pages = page_arrays<float>(out_obj, fn, g.key, *j, 3);
    *g.out = g.pages->data();
  }
  // Optional rays traced per texel (one uint32 each), filled only where the caller passes arrays for them.
  if (!out_obj.Get("rays").IsUndefined()) {
    o->rays = page_arrays<uint32_t>(out_obj, fn, "rays", *j, 1);
    o->out.page_rays = o->rays.data();
  }
  ote::BakeParams p;
  read_number_options(options, fn, "options", ote::kBakeOptions, p);
  p.transport = transport_options(options, fn);
  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  // flattenWorld: false keeps the two-level BVH (the benchmark's baseline); true flattens when memory allows.
  const bool flatten = !options.Get("flattenWorld").IsBoolean() || options.Get("flattenWorld").As<Napi::Boolean>().Value();
  return NativeJob::Start(
      env, fn,
      [j, o, p, backend, flatten](const ote::JobControl& ctl) {
        ote::TracedScene traced;
        ote::Status st = ote::prepare_traced_scene(j->in, flatten, traced, ctl);
        if (st != ote::Status::Ok) return st;
        o->flattened = traced.flattened;
        return ote::bake_lightmaps(traced.inputs(), traced.bvh, p, o->out, backend, ctl);
      },
      [o, backend](Napi::Env env) -> Napi::Value {
        Napi::Object r = Napi::Object::New(env);
        r.Set("backend", backend_name(backend));
        r.Set("texels", double(o->out.texels));
        r.Set("coveredTexels", double(o->out.covered));
        r.Set("probeTexels", double(o->out.probe_texels));
        r.Set("texelSamples", double(o->out.texel_samples));
        r.Set("rays", double(o->out.rays));
        r.Set("repairedTexels", double(o->out.repaired_texels));
        r.Set("setupSeconds", o->out.setup_seconds);
        r.Set("rasterSeconds", o->out.raster_seconds);
        r.Set("sceneSeconds", o->out.scene_seconds);
        r.Set("traceSeconds", o->out.trace_seconds);
        r.Set("traceCpuSeconds", o->out.trace_cpu_seconds);
        r.Set("flattened", o->flattened);
        r.Set("minTexelSamples", double(o->out.min_texel_samples));
        r.Set("maxTexelSamples", double(o->out.max_texel_samples));
        return r;
      },
      options.Get("onProgress"), {scene_obj, in_obj, out_obj});
}

Napi::Value RenderReference(const Napi::CallbackInfo& info) {
  const char* fn = "renderReference";
  Napi::Env env = info.Env();
  Napi::Object scene_obj = object_arg(info, 0, fn, "scene");
  Napi::Object in_obj = object_arg(info, 1, fn, "inputs");
  Napi::Object view_obj = object_arg(info, 2, fn, "view");
  Napi::Object out_obj = object_arg(info, 3, fn, "outputs");
  Napi::Object options = info.Length() > 4 && info[4].IsObject() ? info[4].As<Napi::Object>() : Napi::Object::New(env);
  auto j = bake_inputs(scene_obj, in_obj, fn);
  auto v = std::make_shared<ote::ReferenceView>();
  size_t n = 0;
  const float* m = typed_field<float>(view_obj, fn, "view", "cameraToWorld", n);
  expect_length(env, fn, "view.cameraToWorld", n, 16);
  for (int i = 0; i < 16; ++i) v->camera_to_world[i] = m[i];
  read_number_options(view_obj, fn, "view", ote::kReferenceViewOptions, *v);
  read_number_options(options, fn, "options", ote::kReferenceSamplingOptions, *v);
  const std::string mode_s = options.Get("mode").IsString() ? options.Get("mode").As<Napi::String>().Utf8Value() : "pathtrace";
  if (mode_s != "pathtrace" && mode_s != "lightmapped") throw_type(env, std::string(fn) + ": options.mode must be 'pathtrace' or 'lightmapped'");
  const ote::ReferenceMode mode = mode_s == "pathtrace" ? ote::ReferenceMode::PathTraced : ote::ReferenceMode::Lightmapped;
  auto pages = std::make_shared<std::vector<float*>>();
  if (mode == ote::ReferenceMode::Lightmapped) *pages = page_arrays<float>(out_obj, fn, "pages", *j, 4);
  float* rgba = typed_field<float>(out_obj, fn, "outputs", "rgba", n);
  const uint32_t row_end = v->row_end ? std::min(v->row_end, v->height) : v->height;
  if (v->row_begin >= row_end) throw_type(env, std::string(fn) + ": options.rowBegin must be below options.rowEnd and the view's height");
  expect_length(env, fn, "outputs.rgba", n, 4ull * v->width * (row_end - v->row_begin));
  if (out_obj.Has("rays") && !out_obj.Get("rays").IsUndefined()) {
    v->pixel_rays = typed_field<uint32_t>(out_obj, fn, "outputs", "rays", n);
    expect_length(env, fn, "outputs.rays", n, size_t(v->width) * (row_end - v->row_begin));
  }
  const ote::TransportParams tp = transport_options(options, fn);
  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  return NativeJob::Start(
      env, fn,
      [j, v, pages, rgba, tp, mode, backend](const ote::JobControl& ctl) {
        ote::TracedScene traced;
        ote::Status st = ote::prepare_traced_scene(j->in, /*flatten=*/true, traced, ctl);
        if (st != ote::Status::Ok) return st;
        v->pages = pages->empty() ? nullptr : pages->data();
        return ote::render_reference(traced.inputs(), traced.bvh, *v, mode, tp, rgba, backend, ctl);
      },
      [](Napi::Env env) -> Napi::Value { return Napi::Object::New(env); },
      options.Get("onProgress"), {scene_obj, in_obj, view_obj, out_obj});
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("bakeLightmaps", Napi::Function::New(env, BakeLightmaps, "bakeLightmaps"));
  exports.Set("renderReference", Napi::Function::New(env, RenderReference, "renderReference"));
  exports.Set("generateLightmapUvs", Napi::Function::New(env, GenerateLightmapUvs, "generateLightmapUvs"));
  exports.Set("countUvOverlaps", Napi::Function::New(env, CountUvOverlaps, "countUvOverlaps"));
}
OTE_ADDON_MODULE(bake, Register);

}  // namespace
}  // namespace ote_addon
