// Each binding file registers its exports here at static-init time, so adding a binding never edits a shared list.
#pragma once
#include <napi.h>

namespace ote_addon {

using RegisterFn = void (*)(Napi::Env env, Napi::Object exports);

struct ModuleRegistrar {
  ModuleRegistrar(const char* name, RegisterFn fn);
};

void register_all(Napi::Env env, Napi::Object exports);

}  // namespace ote_addon

#define OTE_ADDON_MODULE(name, fn) static ::ote_addon::ModuleRegistrar ote_registrar_##name(#name, fn)
