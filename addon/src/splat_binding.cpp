// splatRender / splatBackward / splatTrainStep(model, camera, ...) -> { promise, cancel }; splatImageLoss (sync);
// the device-resident training session: splatSessionCreate / Step / Read / Write -> { promise, cancel }, and
// splatSessionClose (sync).
// See ts-core/src/native/splat.ts for the typed wrapper and native-cuda/include/ote/splat/splat.h for the math.
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "args.h"
#include "module_registry.h"
#include "native_job.h"
#include "ote/splat/splat.h"

namespace ote_addon {
namespace {

using namespace ote::splat;

double number_field(const Napi::Object& o, const char* fn, const char* path, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_type(o.Env(), std::string(fn) + ": " + path + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

template <typename T>
T* sized_field(const Napi::Object& o, const char* fn, const char* path, const char* key, size_t want,
               bool optional = false) {
  size_t n = 0;
  T* p = typed_field<T>(o, fn, path, key, n, optional);
  if (p) expect_length(o.Env(), fn, std::string(path) + "." + key, n, want);
  return p;
}

// Argument 1 of the session calls: the view's index.
int view_arg(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 2 || !info[1].IsNumber())
    throw_type(info.Env(), std::string(fn) + ": argument 'view' must be a number");
  return info[1].As<Napi::Number>().Int32Value();
}

Model model_arg(const Napi::Object& o, const char* fn) {
  Model g{};
  size_t n = 0;
  g.means = typed_field<float>(o, fn, "model", "means", n);
  if (n % 3) throw Napi::RangeError::New(o.Env(), std::string(fn) + ": model.means length is not a multiple of 3");
  g.count = int(n / 3);
  g.sh_stride = int(number_field(o, fn, "model", "shStride"));
  g.sh_degree = int(number_field(o, fn, "model", "shDegree"));
  // Optional: absent or false is the classic (not antialiased) projection.
  const Napi::Value aa = o.Get("antialiased");
  if (!aa.IsUndefined() && !aa.IsBoolean()) throw_type(o.Env(), std::string(fn) + ": model.antialiased must be a boolean");
  g.antialiased = aa.IsBoolean() && aa.As<Napi::Boolean>().Value() ? 1 : 0;
  // Array pointers are set below; the shape checks are the API's (check_model), before any length is computed.
  Model shape = g;
  shape.count = 0;
  throw_if_failed(o.Env(), check_model(shape), fn);
  const size_t N = size_t(g.count);
  g.log_scales = sized_field<float>(o, fn, "model", "logScales", 3 * N);
  g.quats = sized_field<float>(o, fn, "model", "quats", 4 * N);
  g.opacity = sized_field<float>(o, fn, "model", "opacity", N);
  g.sh = sized_field<float>(o, fn, "model", "sh", 3 * N * g.sh_stride);
  return g;
}

Camera camera_arg(const Napi::Object& o, const char* fn) {
  Camera c{};
  const float* vm = sized_field<float>(o, fn, "camera", "viewmat", 12);
  for (int i = 0; i < 12; ++i) c.viewmat[i] = vm[i];
  const float* cp = sized_field<float>(o, fn, "camera", "campos", 3);
  for (int i = 0; i < 3; ++i) c.campos[i] = cp[i];
  c.fx = float(number_field(o, fn, "camera", "fx"));
  c.fy = float(number_field(o, fn, "camera", "fy"));
  c.cx = float(number_field(o, fn, "camera", "cx"));
  c.cy = float(number_field(o, fn, "camera", "cy"));
  c.width = int(number_field(o, fn, "camera", "width"));
  c.height = int(number_field(o, fn, "camera", "height"));
  c.znear = float(number_field(o, fn, "camera", "znear"));
  c.zfar = float(number_field(o, fn, "camera", "zfar"));
  throw_if_failed(o.Env(), check_camera(c), fn);
  return c;
}

RenderOptions render_options(const Napi::Object& options, const char* fn) {
  RenderOptions r;
  Napi::Value bg = options.Get("background");
  if (!bg.IsUndefined()) {
    if (!bg.IsArray() || bg.As<Napi::Array>().Length() != 3)
      throw_type(options.Env(), std::string(fn) + ": options.background must be [r, g, b]");
    for (uint32_t i = 0; i < 3; ++i) r.background[i] = bg.As<Napi::Array>().Get(i).As<Napi::Number>().FloatValue();
  }
  return r;
}

Image image_arg(const Napi::Object& o, const char* fn, const char* path, size_t npix) {
  Image img{};
  img.rgb = sized_field<float>(o, fn, path, "rgb", 3 * npix, true);
  img.alpha = sized_field<float>(o, fn, path, "alpha", npix, true);
  img.depth = sized_field<float>(o, fn, path, "depth", npix, true);
  return img;
}

Grads grads_arg(const Napi::Object& o, const char* fn, const Model& g) {
  const size_t N = size_t(g.count);
  Grads gr{};
  gr.means = sized_field<float>(o, fn, "grads", "means", 3 * N);
  gr.log_scales = sized_field<float>(o, fn, "grads", "logScales", 3 * N);
  gr.quats = sized_field<float>(o, fn, "grads", "quats", 4 * N);
  gr.opacity = sized_field<float>(o, fn, "grads", "opacity", N);
  gr.sh = sized_field<float>(o, fn, "grads", "sh", 3 * N * g.sh_stride);
  gr.mean2d_grad_norm = sized_field<float>(o, fn, "grads", "mean2dGradNorm", N, true);
  gr.radii = sized_field<int32_t>(o, fn, "grads", "radii", N, true);
  return gr;
}

Napi::Object stats_value(Napi::Env env, const Stats& s, ote::Backend b) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("visible", double(s.visible));
  r.Set("intersections", double(s.intersections));
  r.Set("projectMs", s.project_ms);
  r.Set("sortMs", s.sort_ms);
  r.Set("rasterMs", s.raster_ms);
  r.Set("backwardMs", s.backward_ms);
  r.Set("lossMs", s.loss_ms);
  r.Set("adamMs", s.adam_ms);
  r.Set("backend", backend_name(b));
  return r;
}

Napi::Object options_arg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsObject() ? info[i].As<Napi::Object>() : Napi::Object::New(info.Env());
}

Napi::Value SplatRender(const Napi::CallbackInfo& info) {
  const char* fn = "splatRender";
  Napi::Env env = info.Env();
  Napi::Object mo = object_arg(info, 0, fn, "model"), co = object_arg(info, 1, fn, "camera");
  Napi::Object oo = object_arg(info, 2, fn, "outputs");
  Napi::Object options = options_arg(info, 3);
  const Model g = model_arg(mo, fn);
  const Camera c = camera_arg(co, fn);
  auto img = std::make_shared<Image>(image_arg(oo, fn, "outputs", size_t(c.width) * c.height));
  const RenderOptions ro = render_options(options, fn);
  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  auto stats = std::make_shared<Stats>();
  return NativeJob::Start(
      env, fn, [=](const ote::JobControl& ctl) { return render(g, c, ro, *img, stats.get(), backend, ctl); },
      [=](Napi::Env env) -> Napi::Value { return stats_value(env, *stats, backend); }, options.Get("onProgress"),
      {mo, co, oo});
}

Napi::Value SplatBackward(const Napi::CallbackInfo& info) {
  const char* fn = "splatBackward";
  Napi::Env env = info.Env();
  Napi::Object mo = object_arg(info, 0, fn, "model"), co = object_arg(info, 1, fn, "camera");
  Napi::Object dio = object_arg(info, 2, fn, "dImage"), go = object_arg(info, 3, fn, "grads");
  Napi::Object options = options_arg(info, 4);
  const Model g = model_arg(mo, fn);
  const Camera c = camera_arg(co, fn);
  const Image d = image_arg(dio, fn, "dImage", size_t(c.width) * c.height);
  auto gr = std::make_shared<Grads>(grads_arg(go, fn, g));
  const RenderOptions ro = render_options(options, fn);
  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  auto stats = std::make_shared<Stats>();
  return NativeJob::Start(
      env, fn,
      [=](const ote::JobControl& ctl) {
        return backward(g, c, ro, d.rgb, d.alpha, d.depth, *gr, stats.get(), backend, ctl);
      },
      [=](Napi::Env env) -> Napi::Value { return stats_value(env, *stats, backend); }, options.Get("onProgress"),
      {mo, co, dio, go});
}

Napi::Value SplatTrainStep(const Napi::CallbackInfo& info) {
  const char* fn = "splatTrainStep";
  Napi::Env env = info.Env();
  Napi::Object mo = object_arg(info, 0, fn, "model"), co = object_arg(info, 1, fn, "camera");
  Napi::Object to = object_arg(info, 2, fn, "target"), ao = object_arg(info, 3, fn, "adam");
  Napi::Object go = object_arg(info, 4, fn, "grads"), oo = object_arg(info, 5, fn, "outputs");
  Napi::Object options = options_arg(info, 6);
  const Model g = model_arg(mo, fn);
  const Camera c = camera_arg(co, fn);
  const size_t npix = size_t(c.width) * c.height, N = size_t(g.count);
  const float* target = sized_field<float>(to, fn, "target", "rgb", 3 * npix);
  auto gr = std::make_shared<Grads>(grads_arg(go, fn, g));
  auto img = std::make_shared<Image>(image_arg(oo, fn, "outputs", npix));
  const size_t total = adam_floats(N, g.sh_stride);
  auto adam = std::make_shared<Adam>();
  adam->m = sized_field<float>(ao, fn, "adam", "m", total);
  adam->v = sized_field<float>(ao, fn, "adam", "v", total);
  adam->lr_means = float(number_field(ao, fn, "adam", "lrMeans"));
  adam->lr_scales = float(number_field(ao, fn, "adam", "lrScales"));
  adam->lr_quats = float(number_field(ao, fn, "adam", "lrQuats"));
  adam->lr_opacity = float(number_field(ao, fn, "adam", "lrOpacity"));
  adam->lr_sh_dc = float(number_field(ao, fn, "adam", "lrShDc"));
  adam->lr_sh_rest = float(number_field(ao, fn, "adam", "lrShRest"));
  adam->step = int(number_field(ao, fn, "adam", "step"));
  throw_if_failed(env, check_adam(*adam), fn);
  // The model's arrays are the parameters Adam updates in place.
  auto params = std::make_shared<Params>(Params{const_cast<float*>(g.means), const_cast<float*>(g.log_scales),
                                                const_cast<float*>(g.quats), const_cast<float*>(g.opacity),
                                                const_cast<float*>(g.sh)});
  Napi::Value lv = options.Get("lambda");
  const float lambda = lv.IsNumber() ? lv.As<Napi::Number>().FloatValue() : 0.2f;
  const RenderOptions ro = render_options(options, fn);
  const ote::Backend backend = ote::resolve_backend(backend_option(options, fn));
  auto stats = std::make_shared<Stats>();
  auto loss = std::make_shared<double>(0);
  return NativeJob::Start(
      env, fn,
      [=](const ote::JobControl& ctl) {
        return train_step(g, *params, c, ro, target, lambda, *adam, *gr, *img, loss.get(), stats.get(), backend, ctl);
      },
      [=](Napi::Env env) -> Napi::Value {
        Napi::Object r = stats_value(env, *stats, backend);
        r.Set("loss", *loss);
        return r;
      },
      options.Get("onProgress"), {mo, co, to, ao, go, oo});
}

// splatImageLoss(rgb, target, width, height, lambda, dRgb?) -> { loss, ssim }. Synchronous: used by tests.
Napi::Value SplatImageLoss(const Napi::CallbackInfo& info) {
  const char* fn = "splatImageLoss";
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, fn, "args");
  const int W = int(number_field(o, fn, "args", "width")), H = int(number_field(o, fn, "args", "height"));
  const size_t n = 3 * size_t(W) * size_t(H);
  const float* rgb = sized_field<float>(o, fn, "args", "rgb", n);
  const float* target = sized_field<float>(o, fn, "args", "target", n);
  float* d = sized_field<float>(o, fn, "args", "dRgb", n, true);
  Napi::Value lv = o.Get("lambda");
  double ssim = 0;
  const double loss = image_loss(rgb, target, W, H, lv.IsNumber() ? lv.As<Napi::Number>().FloatValue() : 0.2f, d, &ssim);
  Napi::Object r = Napi::Object::New(env);
  r.Set("loss", loss);
  r.Set("ssim", ssim);
  return r;
}

// ---- device-resident training session ----------------------------------------------------------------------
// The JS handle is an External owning a shared_ptr, so a job in flight keeps the session alive even if the
// handle is collected; close() frees the device memory at once.
// Jobs hold `mu` while they use the session, so close() waits for a step in flight instead of freeing under it.
struct SessionHandle {
  std::mutex mu;
  TrainSession* s = nullptr;
  ~SessionHandle() { session_destroy(s); }
};
using SessionRef = std::shared_ptr<SessionHandle>;

SessionRef session_arg(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsExternal())
    throw_type(info.Env(), std::string(fn) + ": argument 'session' must be a session handle from splatSessionCreate");
  return *info[0].As<Napi::External<SessionRef>>().Data();
}

TrainSession* live(const SessionRef& h, Napi::Env env, const char* fn) {
  std::lock_guard<std::mutex> lock(h->mu);
  if (!h->s) throw Napi::Error::New(env, std::string(fn) + ": the session is closed");
  return h->s;
}

// Runs f(session) with the handle locked; a session closed in the meantime reports InvalidArgument.
template <typename F>
ote::Status with_session(const SessionRef& h, F&& f) {
  std::lock_guard<std::mutex> lock(h->mu);
  return h->s ? f(h->s) : ote::Status::InvalidArgument;
}

Adam adam_hyper(const Napi::Object& ao, const char* fn) {
  Adam a{};
  a.m = a.v = nullptr;
  a.lr_means = float(number_field(ao, fn, "adam", "lrMeans"));
  a.lr_scales = float(number_field(ao, fn, "adam", "lrScales"));
  a.lr_quats = float(number_field(ao, fn, "adam", "lrQuats"));
  a.lr_opacity = float(number_field(ao, fn, "adam", "lrOpacity"));
  a.lr_sh_dc = float(number_field(ao, fn, "adam", "lrShDc"));
  a.lr_sh_rest = float(number_field(ao, fn, "adam", "lrShRest"));
  a.step = int(number_field(ao, fn, "adam", "step"));
  throw_if_failed(ao.Env(), check_adam(a), fn);
  return a;
}

// splatSessionCreate(model, views: [{ camera, target: Float32Array rgb }]) -> { promise (handle), cancel }
Napi::Value SplatSessionCreate(const Napi::CallbackInfo& info) {
  const char* fn = "splatSessionCreate";
  Napi::Env env = info.Env();
  Napi::Object mo = object_arg(info, 0, fn, "model");
  if (info.Length() < 2 || !info[1].IsArray()) throw_type(env, std::string(fn) + ": argument 'views' must be an array");
  Napi::Array va = info[1].As<Napi::Array>();
  if (va.Length() < 1) throw Napi::RangeError::New(env, std::string(fn) + ": views must not be empty");
  const Model g = model_arg(mo, fn);
  auto views = std::make_shared<std::vector<SessionView>>();
  for (uint32_t i = 0; i < va.Length(); ++i) {
    const std::string path = "views[" + std::to_string(i) + "]";
    if (!va.Get(i).IsObject()) throw_type(env, std::string(fn) + ": " + path + " must be an object");
    Napi::Object vo = va.Get(i).As<Napi::Object>();
    if (!vo.Get("camera").IsObject()) throw_type(env, std::string(fn) + ": " + path + ".camera must be an object");
    SessionView v{};
    v.camera = camera_arg(vo.Get("camera").As<Napi::Object>(), fn);
    v.target = sized_field<float>(vo, fn, path.c_str(), "target", 3 * size_t(v.camera.width) * v.camera.height);
    views->push_back(v);
  }
  auto handle = std::make_shared<SessionHandle>();
  return NativeJob::Start(
      env, fn,
      [=](const ote::JobControl&) { return session_create(g, views->data(), int(views->size()), &handle->s); },
      [=](Napi::Env env) -> Napi::Value {
        return Napi::External<SessionRef>::New(env, new SessionRef(handle),
                                               [](Napi::Env, SessionRef* r) { delete r; });
      },
      env.Undefined(), {mo, va});
}

// splatSessionStep(session, view, { adam, shDegree, lambda, background, accumulate, ndcScale }) -> { loss, ... }
Napi::Value SplatSessionStep(const Napi::CallbackInfo& info) {
  const char* fn = "splatSessionStep";
  Napi::Env env = info.Env();
  SessionRef h = session_arg(info, fn);
  live(h, env, fn);
  const int view = view_arg(info, fn);
  Napi::Object options = options_arg(info, 2);
  if (!options.Get("adam").IsObject()) throw_type(env, std::string(fn) + ": options.adam must be an object");
  const Adam adam = adam_hyper(options.Get("adam").As<Napi::Object>(), fn);
  const int deg = int(number_field(options, fn, "options", "shDegree"));
  Napi::Value lv = options.Get("lambda"), nv = options.Get("ndcScale");
  const float lambda = lv.IsNumber() ? lv.As<Napi::Number>().FloatValue() : 0.2f;
  const float ndc = nv.IsNumber() ? nv.As<Napi::Number>().FloatValue() : 0.f;
  const bool accumulate = options.Get("accumulate").ToBoolean().Value();
  const RenderOptions ro = render_options(options, fn);
  auto loss = std::make_shared<double>(0);
  return NativeJob::Start(
      env, fn,
      [=](const ote::JobControl& ctl) {
        return with_session(h, [&](TrainSession* s) {
          return session_step(s, view, deg, ro, lambda, adam, accumulate, ndc, loss.get(), nullptr, ctl);
        });
      },
      [=](Napi::Env env) -> Napi::Value {
        (void)h;  // keeps the session alive until the step is done
        Napi::Object r = Napi::Object::New(env);
        r.Set("loss", *loss);
        return r;
      },
      options.Get("onProgress"), {});
}

// splatSessionRead(session, model?, adam? { m, v }, stats? { gradAccum, denom, maxRadii }) -> { promise, cancel }
Napi::Value SplatSessionRead(const Napi::CallbackInfo& info) {
  const char* fn = "splatSessionRead";
  Napi::Env env = info.Env();
  SessionRef h = session_arg(info, fn);
  TrainSession* s = live(h, env, fn);
  const size_t N = size_t(session_count(s));
  const size_t total = adam_floats(N, session_sh_stride(s));
  std::vector<Napi::Value> keep;
  auto params = std::make_shared<Params>();
  bool want_params = false;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object mo = info[1].As<Napi::Object>();
    const Model g = model_arg(mo, fn);
    if (size_t(g.count) != N)
      throw Napi::RangeError::New(env, std::string(fn) + ": model has " + std::to_string(g.count) +
                                           " Gaussians, the session " + std::to_string(N));
    if (g.sh_stride != session_sh_stride(s))
      throw Napi::RangeError::New(env, std::string(fn) + ": model.shStride " + std::to_string(g.sh_stride) +
                                           " differs from the session's " + std::to_string(session_sh_stride(s)));
    *params = Params{const_cast<float*>(g.means), const_cast<float*>(g.log_scales), const_cast<float*>(g.quats),
                     const_cast<float*>(g.opacity), const_cast<float*>(g.sh)};
    want_params = true;
    keep.push_back(mo);
  }
  float *m = nullptr, *v = nullptr;
  if (info.Length() > 2 && info[2].IsObject()) {
    Napi::Object ao = info[2].As<Napi::Object>();
    m = sized_field<float>(ao, fn, "adam", "m", total);
    v = sized_field<float>(ao, fn, "adam", "v", total);
    keep.push_back(ao);
  }
  auto d = std::make_shared<DensifyStats>(DensifyStats{nullptr, nullptr, nullptr});
  if (info.Length() > 3 && info[3].IsObject()) {
    Napi::Object so = info[3].As<Napi::Object>();
    d->grad_accum = sized_field<float>(so, fn, "stats", "gradAccum", N);
    d->denom = sized_field<float>(so, fn, "stats", "denom", N);
    d->max_radii = sized_field<float>(so, fn, "stats", "maxRadii", N);
    keep.push_back(so);
  }
  return NativeJob::Start(
      env, fn,
      [=](const ote::JobControl&) {
        return with_session(h, [&](TrainSession* s) {
          return session_read(s, want_params ? params.get() : nullptr, m, v, d.get());
        });
      },
      [=](Napi::Env env) -> Napi::Value {
        (void)h;
        return env.Undefined();
      },
      env.Undefined(), keep);
}

// splatSessionWrite(session, model, adam? { m, v }, stats? { gradAccum, denom, maxRadii }) -> { promise, cancel }:
// replace the state after editing (what is omitted starts at zero).
Napi::Value SplatSessionWrite(const Napi::CallbackInfo& info) {
  const char* fn = "splatSessionWrite";
  Napi::Env env = info.Env();
  SessionRef h = session_arg(info, fn);
  live(h, env, fn);
  Napi::Object mo = object_arg(info, 1, fn, "model");
  const Model g = model_arg(mo, fn);
  std::vector<Napi::Value> keep{mo};
  const float *m = nullptr, *v = nullptr;
  if (info.Length() > 2 && info[2].IsObject()) {
    Napi::Object ao = info[2].As<Napi::Object>();
    const size_t total = adam_floats(size_t(g.count), g.sh_stride);
    m = sized_field<float>(ao, fn, "adam", "m", total);
    v = sized_field<float>(ao, fn, "adam", "v", total);
    keep.push_back(ao);
  }
  std::shared_ptr<DensifyStats> d;
  if (info.Length() > 3 && info[3].IsObject()) {
    Napi::Object so = info[3].As<Napi::Object>();
    const size_t N = size_t(g.count);
    d = std::make_shared<DensifyStats>(DensifyStats{sized_field<float>(so, fn, "stats", "gradAccum", N),
                                                    sized_field<float>(so, fn, "stats", "denom", N),
                                                    sized_field<float>(so, fn, "stats", "maxRadii", N)});
    keep.push_back(so);
  }
  return NativeJob::Start(
      env, fn,
      [=](const ote::JobControl&) {
        return with_session(h, [&](TrainSession* s) { return session_write(s, g, m, v, d.get()); });
      },
      [=](Napi::Env env) -> Napi::Value {
        (void)h;
        return env.Undefined();
      },
      env.Undefined(), keep);
}

// splatSessionTarget(session, view, { rgb }) -> { promise, cancel }: replaces view `view`'s target (RGB, 3 per pixel).
Napi::Value SplatSessionTarget(const Napi::CallbackInfo& info) {
  const char* fn = "splatSessionTarget";
  Napi::Env env = info.Env();
  SessionRef h = session_arg(info, fn);
  live(h, env, fn);
  const int view = view_arg(info, fn);
  Napi::Object to = object_arg(info, 2, fn, "target");
  size_t floats = 0;  // the view's size is the session's to check
  const float* data = typed_field<float>(to, fn, "target", "rgb", floats);
  return NativeJob::Start(
      env, fn,
      [=](const ote::JobControl&) {
        return with_session(h, [&](TrainSession* s) { return session_set_target(s, view, data, floats); });
      },
      [=](Napi::Env env) -> Napi::Value {
        (void)h;
        return env.Undefined();
      },
      env.Undefined(), {to});
}

// splatSessionClose(session): frees the device memory now (idempotent).
Napi::Value SplatSessionClose(const Napi::CallbackInfo& info) {
  SessionRef h = session_arg(info, "splatSessionClose");
  std::lock_guard<std::mutex> lock(h->mu);
  session_destroy(h->s);
  h->s = nullptr;
  return info.Env().Undefined();
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("splatRender", Napi::Function::New(env, SplatRender, "splatRender"));
  exports.Set("splatBackward", Napi::Function::New(env, SplatBackward, "splatBackward"));
  exports.Set("splatTrainStep", Napi::Function::New(env, SplatTrainStep, "splatTrainStep"));
  exports.Set("splatImageLoss", Napi::Function::New(env, SplatImageLoss, "splatImageLoss"));
  exports.Set("splatSessionCreate", Napi::Function::New(env, SplatSessionCreate, "splatSessionCreate"));
  exports.Set("splatSessionStep", Napi::Function::New(env, SplatSessionStep, "splatSessionStep"));
  exports.Set("splatSessionRead", Napi::Function::New(env, SplatSessionRead, "splatSessionRead"));
  exports.Set("splatSessionWrite", Napi::Function::New(env, SplatSessionWrite, "splatSessionWrite"));
  exports.Set("splatSessionTarget", Napi::Function::New(env, SplatSessionTarget, "splatSessionTarget"));
  exports.Set("splatSessionClose", Napi::Function::New(env, SplatSessionClose, "splatSessionClose"));
}
OTE_ADDON_MODULE(splat, Register);

}  // namespace
}  // namespace ote_addon
