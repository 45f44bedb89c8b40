#include "module_registry.h"

#include <utility>
#include <vector>

namespace ote_addon {
namespace {
std::vector<std::pair<const char*, RegisterFn>>& registry() {
  static std::vector<std::pair<const char*, RegisterFn>> r;
  return r;
}
}  // namespace

ModuleRegistrar::ModuleRegistrar(const char* name, RegisterFn fn) { registry().emplace_back(name, fn); }

void register_all(Napi::Env env, Napi::Object exports) {
  for (auto& [name, fn] : registry()) fn(env, exports);
}

}  // namespace ote_addon
