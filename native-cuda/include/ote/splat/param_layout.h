// The parameter groups of a Gaussian model and the layout of the Adam moments over them, declared once for the
// CPU step (src/splat.cpp adam_update), the device session (cuda/splat_session.cu), the bindings and, through
// `layouts()`, the TypeScript mirror (ts-core/src/native/layouts.ts, checked by ts-core/test/native/layouts.test.ts).
//
// A model of N Gaussians is one array per group (Model, Params, Grads): group g holds N × param_floats(g) floats,
// Gaussian i at [i × param_floats(g), (i + 1) × param_floats(g)). The SH group's width follows the model:
// kShChannels floats per coefficient, sh_stride coefficients, (degree + 1)² for the model's degree.
//
// The Adam moments m and v are each ONE array of adam_floats(N, sh_stride) floats: the groups' blocks in
// ParamGroup order, block g at adam_block_offset(g, N, sh_stride) and laid out as group g's parameter array.
// Re-indexing Gaussians (densify, prune) moves rows within every block (splat/train.ts remapAdam).
//
//   float* opacity_m = adam.m + adam_block_offset(kOpacity, N, sh_stride);  // N floats, one per Gaussian
#pragma once
#include <stddef.h>

#include "../hd.h"

namespace ote {
namespace splat {

enum ParamGroup : int { kMeans = 0, kLogScales = 1, kQuats = 2, kOpacity = 3, kSh = 4 };
constexpr int kParamGroupCount = 5;
constexpr int kShChannels = 3;  // RGB per SH coefficient

// Floats per Gaussian in each group; the SH group's is per coefficient (× sh_stride), marked by `per_sh_coeff`.
struct ParamGroupInfo {
  const char* name;  // TypeScript's name of the group's array (GaussianModel, SplatGrads)
  int floats;
  bool per_sh_coeff;
};
constexpr ParamGroupInfo kParamGroups[kParamGroupCount] = {
    {"means", 3, false}, {"logScales", 3, false}, {"quats", 4, false}, {"opacity", 1, false}, {"sh", kShChannels, true},
};

OTE_HD OTE_INLINE constexpr size_t param_floats(int group, int sh_stride) {
  return group == kMeans ? 3 : group == kLogScales ? 3 : group == kQuats ? 4 : group == kOpacity ? 1
                                                                            : size_t(kShChannels) * size_t(sh_stride);
}
// Floats of one Gaussian over all groups: the Adam moments per Gaussian.
OTE_HD OTE_INLINE constexpr size_t param_floats_per_gaussian(int sh_stride) {
  return param_floats(kMeans, sh_stride) + param_floats(kLogScales, sh_stride) + param_floats(kQuats, sh_stride) +
         param_floats(kOpacity, sh_stride) + param_floats(kSh, sh_stride);
}
OTE_HD OTE_INLINE constexpr size_t adam_floats(size_t count, int sh_stride) {
  return count * param_floats_per_gaussian(sh_stride);
}
OTE_HD OTE_INLINE constexpr size_t adam_block_offset(int group, size_t count, int sh_stride) {
  size_t off = 0;
  for (int g = 0; g < group; ++g) off += count * param_floats(g, sh_stride);
  return off;
}

static_assert(kParamGroups[kMeans].floats == param_floats(kMeans, 1) &&
                  kParamGroups[kLogScales].floats == param_floats(kLogScales, 1) &&
                  kParamGroups[kQuats].floats == param_floats(kQuats, 1) &&
                  kParamGroups[kOpacity].floats == param_floats(kOpacity, 1) &&
                  kParamGroups[kSh].floats * 2 == int(param_floats(kSh, 2)),
              "kParamGroups (what layouts() reports) and param_floats must agree");

}  // namespace splat
}  // namespace ote
