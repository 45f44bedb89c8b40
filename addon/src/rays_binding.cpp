// The ray-tracing core's bindings. See ts-core/src/native/rays.ts.
//   createSceneBvh(scene, options) -> { promise: { handle, stats }, cancel }
//   refitSceneBvh(handle, scene, options) -> { promise: stats, cancel }   (scene: the built one, new instanceTransforms)
//   traceRays(handle, rays, outputs, options) -> { promise: { backend }, cancel }
//   renderView(handle, params, materials, out, options) -> { promise: { backend }, cancel }
//     materials: { baseColor?: Float32Array (RGBA per material), triangleMaterial?: Int32Array, defaultColor?,
//                  surface?: { materials: Float32Array (33 per material, as bakeLightmaps reads them), textures?,
//                              texels?, triangleUv0? } }: what camera rays see through (ote/bake/surface.h)
//   disposeSceneBvh(handle)
// A handle keeps its SceneBvh alive across calls; running jobs hold their own reference, so disposing (or the
// garbage collector) never frees a BVH under a running job, and a refit waits for running traces.
#include <napi.h>

#include <memory>
#include <shared_mutex>
#include <vector>

#include "args.h"
#include "flat_scene_arg.h"
#include "module_registry.h"
#include "native_job.h"
#include "ote/bake/packed.h"
#include "ote/bvh/scene_bvh.h"
#include "ote/ray/render_options.h"
#include "ote/ray/render.h"

namespace ote_addon {
namespace {

struct BvhBox {
  ote::SceneBvh bvh;
  std::shared_mutex lock;  // traces share it; refit takes it exclusively
  int64_t reported_bytes = 0;
};

// The unpacked material and texture tables a render's SurfaceView points into, alive for the job.
struct SurfaceStore {
  std::vector<ote::BakeMaterial> materials;
  std::vector<ote::BakeTexture> textures;
};

struct Holder {
  std::shared_ptr<BvhBox> box;
};

Napi::Object stats_object(Napi::Env env, const ote::BvhStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("blasNodes", double(s.blas_nodes));
  o.Set("tlasNodes", double(s.tlas_nodes));
  o.Set("triangles", double(s.triangles));
  o.Set("degenerateTriangles", double(s.degenerate_triangles));
  o.Set("instancedTriangles", double(s.instanced_triangles));
  o.Set("skippedInstances", double(s.skipped_instances));
  o.Set("mergedInstances", double(s.merged_instances));
  o.Set("copiedTriangles", double(s.copied_triangles));
  o.Set("bytes", double(s.bytes));
  o.Set("buildSeconds", s.build_seconds);
  o.Set("maxDepth", s.max_depth);
  return o;
}

std::shared_ptr<BvhBox> handle_arg(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsExternal())
    throw_type(info.Env(), std::string(fn) + ": argument 'handle' must be a scene BVH handle from createSceneBvh");
  Holder* h = info[0].As<Napi::External<Holder>>().Data();
  if (!h || !h->box) throw Napi::Error::New(info.Env(), std::string(fn) + ": the scene BVH was disposed");
  return h->box;
}

Napi::Object options_arg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsObject() ? info[i].As<Napi::Object>() : Napi::Object::New(info.Env());
}

double number_option(const Napi::Object& o, const char* key, double fallback, const char* fn) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw_type(o.Env(), std::string(fn) + ": options." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

Napi::Value CreateSceneBvh(const Napi::CallbackInfo& info) {
  const char* fn = "createSceneBvh";
  Napi::Env env = info.Env();
  Napi::Object scene_obj = object_arg(info, 0, fn, "scene");
  Napi::Object options = options_arg(info, 1);
  const ote::FlatScene scene = flat_scene_arg(scene_obj, fn);
  ote::BvhBuildOptions bo;
  bo.max_leaf_size = uint32_t(number_option(options, "maxLeafSize", bo.max_leaf_size, fn));
  Napi::Value merge = options.Get("mergeIntoWorld");
  if (!merge.IsUndefined()) {
    if (!merge.IsBoolean()) throw_type(env, std::string(fn) + ": options.mergeIntoWorld must be a boolean");
    bo.merge_into_world = merge.As<Napi::Boolean>().Value();
  }
  bo.copy_budget = float(number_option(options, "copyBudget", bo.copy_budget, fn));
  if (!(bo.copy_budget >= 0.0f))
    throw Napi::RangeError::New(env, std::string(fn) + ": options.copyBudget must be a number >= 0");
  auto box = std::make_shared<BvhBox>();
  return NativeJob::Start(
      env, fn,
      [scene, bo, box](const ote::JobControl& ctl) { return ote::build_scene_bvh(scene, bo, box->bvh, ctl); },
      [box](Napi::Env env) -> Napi::Value {
        Napi::Object r = Napi::Object::New(env);
        box->reported_bytes = int64_t(box->bvh.stats().bytes);
        Napi::MemoryManagement::AdjustExternalMemory(env, box->reported_bytes);
        auto* holder = new Holder{box};
        r.Set("handle", Napi::External<Holder>::New(env, holder, [](Napi::Env env, Holder* h) {
                if (h->box) Napi::MemoryManagement::AdjustExternalMemory(env, -h->box->reported_bytes);
                delete h;
              }));
        r.Set("stats", stats_object(env, box->bvh.stats()));
        return r;
      },
      options.Get("onProgress"), {scene_obj});
}

Napi::Value DisposeSceneBvh(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsExternal()) {
    Holder* h = info[0].As<Napi::External<Holder>>().Data();
    if (h && h->box) {
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -h->box->reported_bytes);
      h->box.reset();
    }
  }
  return info.Env().Undefined();
}

Napi::Value RefitSceneBvh(const Napi::CallbackInfo& info) {
  const char* fn = "refitSceneBvh";
  Napi::Env env = info.Env();
  auto box = handle_arg(info, fn);
  Napi::Object scene_obj = object_arg(info, 1, fn, "scene");
  const ote::FlatScene scene = flat_scene_arg(scene_obj, fn);
  const ote::SceneBvh& bvh = box->bvh;
  expect_length(env, fn, "scene.instanceTransforms", 16ull * scene.instance_count, 16ull * bvh.flat_instance_count());
  if (scene.triangle_count != bvh.flat_triangle_count())
    throw Napi::RangeError::New(env, std::string(fn) + ": scene has " + std::to_string(scene.triangle_count) +
                                         " triangles, but the BVH was built from " +
                                         std::to_string(bvh.flat_triangle_count()) + "; build a new BVH instead");
  Napi::Object options = options_arg(info, 2);
  return NativeJob::Start(
      env, fn,
      [box, scene](const ote::JobControl& ctl) {
        std::unique_lock<std::shared_mutex> lock(box->lock);
        return ote::refit_scene_bvh(box->bvh, scene, ctl);
      },
      [box](Napi::Env env) -> Napi::Value { return stats_object(env, box->bvh.stats()); },
      options.Get("onProgress"), {scene_obj});
}

template <typename T>
T* out_field(const Napi::Object& o, const char* fn, const char* key, uint64_t want, bool optional = true) {
  size_t n = 0;
  T* p = typed_field<T>(o, fn, "outputs", key, n, optional);
  if (p) expect_length(o.Env(), fn, std::string("outputs.") + key, n, want);
  return p;
}

Napi::Value TraceRays(const Napi::CallbackInfo& info) {
  const char* fn = "traceRays";
  Napi::Env env = info.Env();
  auto box = handle_arg(info, fn);
  Napi::Object rays_obj = object_arg(info, 1, fn, "rays");
  Napi::Object out_obj = object_arg(info, 2, fn, "outputs");
  Napi::Object options = options_arg(info, 3);

  auto rays = std::make_shared<ote::RayBatch>();
  auto hits = std::make_shared<ote::HitBatch>();
  size_t n = 0, m = 0;
  rays->origins = typed_field<float>(rays_obj, fn, "rays", "origins", n);
  if (n % 3) throw Napi::RangeError::New(env, std::string(fn) + ": rays.origins length is not a multiple of 3");
  rays->directions = typed_field<float>(rays_obj, fn, "rays", "directions", m);
  expect_length(env, fn, "rays.directions", m, n);
  rays->count = n / 3;
  rays->tmin = typed_field<float>(rays_obj, fn, "rays", "tmin", m, true);
  if (rays->tmin) expect_length(env, fn, "rays.tmin", m, rays->count);
  rays->tmax = typed_field<float>(rays_obj, fn, "rays", "tmax", m, true);
  if (rays->tmax) expect_length(env, fn, "rays.tmax", m, rays->count);
  rays->tmin_all = float(number_option(options, "tmin", 0.0, fn));
  rays->tmax_all = float(number_option(options, "tmax", INFINITY, fn));
  rays->any_hit = options.Get("anyHit").ToBoolean();
  rays->flags = options.Get("backfaceCull").ToBoolean() ? ote::kRayCullBackFaces : ote::kRayNone;
  const uint64_t c = rays->count;
  hits->t = out_field<float>(out_obj, fn, "t", c);
  hits->prim = out_field<uint32_t>(out_obj, fn, "prim", c);
  hits->instance = out_field<uint32_t>(out_obj, fn, "instance", c);
  hits->barycentrics = out_field<float>(out_obj, fn, "barycentrics", 2 * c);
  hits->normal = out_field<float>(out_obj, fn, "normal", 3 * c);
  hits->occluded = out_field<uint8_t>(out_obj, fn, "occluded", c);
  if (rays->any_hit && !hits->occluded)
    throw_type(env, std::string(fn) + ": outputs.occluded (Uint8Array) is required with options.anyHit");

  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  return NativeJob::Start(
      env, fn,
      [box, rays, hits, backend](const ote::JobControl& ctl) {
        std::shared_lock<std::shared_mutex> lock(box->lock);
        return ote::trace_rays(box->bvh, *rays, *hits, backend, ctl);
      },
      [backend, hits](Napi::Env env) -> Napi::Value {
        Napi::Object r = Napi::Object::New(env);
        r.Set("backend", backend_name(backend));
        r.Set("traceMs", hits->trace_seconds * 1000.0);  // without transfers (HitBatch::trace_seconds)
        return r;
      },
      options.Get("onProgress"), {rays_obj, out_obj});
}

Napi::Value RenderView(const Napi::CallbackInfo& info) {
  const char* fn = "renderView";
  Napi::Env env = info.Env();
  auto box = handle_arg(info, fn);
  Napi::Object po = object_arg(info, 1, fn, "params");
  Napi::Object mats = object_arg(info, 2, fn, "materials");
  if (info.Length() < 4 || !info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type(env, std::string(fn) + ": argument 'out' must be a Float32Array");
  Napi::Object options = options_arg(info, 4);

  auto p = std::make_shared<ote::RenderParams>();
  size_t n = 0;
  const float* cam = typed_field<float>(po, fn, "params", "cameraToWorld", n);
  expect_length(env, fn, "params.cameraToWorld", n, 16);
  std::copy(cam, cam + 16, p->camera_to_world);
  // Ranges and defaults are the renderer's (ote/ray/render_options.h); this only moves numbers across.
  read_number_options(po, fn, "params", ote::kRenderViewOptions, *p);
  p->mode = ote::RenderMode(int(number_option(po, "mode", double(int(p->mode)), fn)));
  const float* sun = typed_field<float>(po, fn, "params", "sunDirection", n, true);
  if (sun) expect_length(env, fn, "params.sunDirection", n, 3);
  if (sun) std::copy(sun, sun + 3, p->sun_dir);
  const float* bg = typed_field<float>(po, fn, "params", "background", n, true);
  if (bg) expect_length(env, fn, "params.background", n, 4);
  if (bg) std::copy(bg, bg + 4, p->background);
  throw_if_failed(env, ote::check_render_params(*p), fn, "params");

  p->material_color = typed_field<float>(mats, fn, "materials", "baseColor", n, true);
  if (n % 4) throw Napi::RangeError::New(env, std::string(fn) + ": materials.baseColor length is not a multiple of 4");
  p->material_count = uint32_t(n / 4);
  p->triangle_material = typed_field<int32_t>(mats, fn, "materials", "triangleMaterial", n, true);
  p->triangle_count = uint32_t(n);
  if (p->triangle_material) expect_length(env, fn, "materials.triangleMaterial", n, box->bvh.flat_triangle_count());
  const float* dc = typed_field<float>(mats, fn, "materials", "defaultColor", n, true);
  if (dc) expect_length(env, fn, "materials.defaultColor", n, 4);
  if (dc) std::copy(dc, dc + 4, p->default_color);
  // What camera rays see through (alpha cut-outs, back faces of single-sided materials): materials.surface, packed
  // as for the bake (ote/bake/packed.h, unpack_materials) with its texture table and UV0. Without it every surface is opaque
  // and single-sided, glTF's default material.
  auto owned = std::make_shared<SurfaceStore>();
  ote::SurfaceView& sv = p->surface;
  sv = ote::SurfaceView{};
  sv.default_material = ote::BakeMaterial{{1, 1, 1}, {0, 0, 0}, 0};
  Napi::Value surf = mats.Get("surface");
  if (!surf.IsUndefined() && !surf.IsNull()) {
    if (!surf.IsObject()) throw_type(env, std::string(fn) + ": materials.surface must be an object");
    Napi::Object so = surf.As<Napi::Object>();
    const uint32_t* tex = typed_field<uint32_t>(so, fn, "materials.surface", "textures", n, true);
    size_t texel_bytes = 0;
    const uint8_t* texels = typed_field<uint8_t>(so, fn, "materials.surface", "texels", texel_bytes, true);
    if (tex) {
      if (n && !texels) throw Napi::TypeError::New(env, std::string(fn) + ": materials.surface.textures needs materials.surface.texels");
      throw_if_failed(env, ote::unpack_textures(tex, n, texel_bytes, owned->textures), fn, "materials.surface");
    }
    const float* packed = typed_field<float>(so, fn, "materials.surface", "materials", n);
    throw_if_failed(env, ote::unpack_materials(packed, n, uint32_t(owned->textures.size()), owned->materials), fn,
                    "materials.surface");
    for (const ote::BakeMaterial& bm : owned->materials) sv.cutout |= bm.alpha_mode != ote::kAlphaOpaque;
    sv.triangle_uv0 = typed_field<float>(so, fn, "materials.surface", "triangleUv0", n, true);
    if (sv.triangle_uv0) expect_length(env, fn, "materials.surface.triangleUv0", n, 6ull * box->bvh.flat_triangle_count());
    sv.materials = owned->materials.data();
    sv.material_count = uint32_t(owned->materials.size());
    sv.textures = owned->textures.data();
    sv.texture_count = uint32_t(owned->textures.size());
    sv.texels = texels;
  }
  sv.triangle_material = p->triangle_material;
  sv.triangle_count = p->triangle_count;

  auto out = info[3].As<Napi::Float32Array>();
  expect_length(env, fn, "out", out.ElementLength(), 4ull * p->width * p->height);
  float* rgba = out.Data();
  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  return NativeJob::Start(
      env, fn,
      [box, p, owned, rgba, backend](const ote::JobControl& ctl) {
        std::shared_lock<std::shared_mutex> lock(box->lock);
        return ote::render_view(box->bvh, *p, rgba, backend, ctl);
      },
      [backend](Napi::Env env) -> Napi::Value {
        Napi::Object r = Napi::Object::New(env);
        r.Set("backend", backend_name(backend));
        return r;
      },
      options.Get("onProgress"), {po, mats, info[3]});
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("createSceneBvh", Napi::Function::New(env, CreateSceneBvh, "createSceneBvh"));
  exports.Set("disposeSceneBvh", Napi::Function::New(env, DisposeSceneBvh, "disposeSceneBvh"));
  exports.Set("refitSceneBvh", Napi::Function::New(env, RefitSceneBvh, "refitSceneBvh"));
  exports.Set("traceRays", Napi::Function::New(env, TraceRays, "traceRays"));
  exports.Set("renderView", Napi::Function::New(env, RenderView, "renderView"));
}
OTE_ADDON_MODULE(rays, Register);

}  // namespace
}  // namespace ote_addon
