// layouts() -> { records, splatParamGroups }: the packed records (ote/bake/packed.h) and the Gaussian parameter
// groups (ote/splat/param_layout.h) as the C++ declarations define them, so that a test can hold the TypeScript
// mirror (ts-core/src/native/layouts.ts) to them.
#include <napi.h>

#include "module_registry.h"
#include "ote/bake/packed.h"
#include "ote/splat/param_layout.h"

namespace ote_addon {
namespace {

Napi::Value Layouts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object records = Napi::Object::New(env);
  for (const ote::PackedRecord& r : ote::kPackedRecords) {
    Napi::Object fields = Napi::Object::New(env);
    for (uint32_t f = 0; f < r.field_count; ++f) {
      Napi::Object field = Napi::Object::New(env);
      field.Set("offset", r.fields[f].offset);
      field.Set("count", r.fields[f].count);
      fields.Set(r.fields[f].name, field);
    }
    Napi::Object rec = Napi::Object::New(env);
    rec.Set("element", r.element);
    rec.Set("size", r.size);
    rec.Set("fields", fields);
    records.Set(r.name, rec);
  }
  Napi::Array groups = Napi::Array::New(env);
  for (int g = 0; g < ote::splat::kParamGroupCount; ++g) {
    const ote::splat::ParamGroupInfo& p = ote::splat::kParamGroups[g];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", p.name);
    o.Set("floats", p.floats);
    o.Set("perShCoefficient", p.per_sh_coeff);
    groups.Set(uint32_t(g), o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("records", records);
  out.Set("splatParamGroups", groups);
  return out;
}

void Register(Napi::Env env, Napi::Object exports) { exports.Set("layouts", Napi::Function::New(env, Layouts, "layouts")); }
OTE_ADDON_MODULE(layouts, Register);

}  // namespace
}  // namespace ote_addon
