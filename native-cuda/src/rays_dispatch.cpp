// Backend dispatch for the ray-tracing core's batch entry points.
#include "ote/bvh/scene_bvh.h"
#include "ote/ray/render.h"

namespace ote {

Status trace_rays(const SceneBvh& bvh, const RayBatch& rays, HitBatch& hits, Backend backend, const JobControl& ctl) {
  if (rays.count && (!rays.origins || !rays.directions)) return Status::InvalidArgument;
  if (resolve_backend(backend) == Backend::Cuda) return trace_rays_cuda(bvh, rays, hits, ctl);
  return trace_rays_cpu(bvh, rays, hits, ctl);
}

Status render_view(const SceneBvh& bvh, const RenderParams& p, float* rgba, Backend backend, const JobControl& ctl) {
  if (!rgba || p.width == 0 || p.height == 0 || !(p.yfov > 0.0f && p.yfov < 3.14159f)) return Status::InvalidArgument;
  if (resolve_backend(backend) == Backend::Cuda) return render_view_cuda(bvh, p, rgba, ctl);
  return render_view_cpu(bvh, p, rgba, ctl);
}

}  // namespace ote
