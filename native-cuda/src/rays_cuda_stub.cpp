// CPU-only builds: the CUDA entry points of the ray-tracing core report DeviceError.
#ifndef OTE_WITH_CUDA
#include "ote/bvh/scene_bvh.h"
#include "ote/ray/render.h"

namespace ote {

DeviceSceneBvh::~DeviceSceneBvh() = default;
Status device_scene_bvh(const SceneBvh&, const DeviceSceneBvh*& out) {
  out = nullptr;
  return Status::DeviceError;
}
Status trace_rays_cuda(const SceneBvh&, const RayBatch&, HitBatch&, const JobControl&) { return Status::DeviceError; }
Status render_view_cuda(const SceneBvh&, const RenderParams&, float*, const JobControl&) { return Status::DeviceError; }

}  // namespace ote
#endif
