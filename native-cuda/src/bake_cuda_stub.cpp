// CPU-only builds: the CUDA bake driver reports DeviceError (the binding refuses backend 'cuda' before that).
#ifndef OTE_WITH_CUDA
#include "ote/bake/bake.h"

namespace ote {
Status bake_texels_cuda(const BakeInputs&, const SceneBvh&, const BakeSceneData&, const BakeParams&, const TexelSet&,
                        float*, float*, uint32_t*, uint32_t*, BakeOutput&, const JobControl&) {
  return Status::DeviceError;
}
}  // namespace ote
#endif
