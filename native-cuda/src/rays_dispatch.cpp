// Backend dispatch for the ray-tracing core's batch entry points.
#include "ote/bvh/scene_bvh.h"
#include "ote/ray/render.h"
#include "ote/ray/render_options.h"

#include <cmath>

namespace ote {

Status trace_rays(const SceneBvh& bvh, const RayBatch& rays, HitBatch& hits, Backend backend, const JobControl& ctl) {
  if (rays.count && (!rays.origins || !rays.directions)) return Status::InvalidArgument;
  if (resolve_backend(backend) == Backend::Cuda) return trace_rays_cuda(bvh, rays, hits, ctl);
  return trace_rays_cpu(bvh, rays, hits, ctl);
}

Status render_view(const SceneBvh& bvh, const RenderParams& p, float* rgba, Backend backend, const JobControl& ctl) {
  if (!rgba || !check_render_params(p)) return Status::InvalidArgument;
  // The shading reads a unit sun direction.
  RenderParams q = p;
  const float l = std::sqrt(q.sun_dir[0] * q.sun_dir[0] + q.sun_dir[1] * q.sun_dir[1] + q.sun_dir[2] * q.sun_dir[2]);
  for (float& v : q.sun_dir) v /= l;
  if (resolve_backend(backend) == Backend::Cuda) return render_view_cuda(bvh, q, rgba, ctl);
  return render_view_cpu(bvh, q, rgba, ctl);
}

}  // namespace ote
