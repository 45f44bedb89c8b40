// Shared reader for the flattened scene object every scene kernel binding receives.
#pragma once
#include <napi.h>

#include "ote/flat_scene.h"

namespace ote_addon {
ote::FlatScene flat_scene_arg(const Napi::Object& o, const char* fn);
}
