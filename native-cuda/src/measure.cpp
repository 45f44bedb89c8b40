// Backend dispatch for measure_triangles, and the reduction both drivers share.
#include <algorithm>

#include "ote/measure.h"
#include "ote/flat_scene_check.h"
#include "ote/measure_chunks.h"

namespace ote {

Status measure_triangles(const FlatScene& scene, MeasureOutput& out, Backend backend, const JobControl& ctl) {
  if (!check_flat_scene(scene)) return Status::InvalidArgument;
  if (resolve_backend(backend) == Backend::Cuda) return measure_triangles_cuda(scene, out, ctl);
  return measure_triangles_cpu(scene, out, ctl);
}

void reduce_measure_partials(const FlatScene& s, const std::vector<MeasureChunk>& chunks,
                             const std::vector<MeasurePartial>& partials, MeasureOutput& out) {
  for (int a = 0; a < 3; ++a) out.scene_bounds[a] = INFINITY, out.scene_bounds[3 + a] = -INFINITY;
  out.total_area = 0;
  out.degenerate_count = 0;
  for (uint32_t i = 0; i < s.instance_count; ++i) {
    if (out.instance_area) out.instance_area[i] = 0;
    if (out.instance_degenerate) out.instance_degenerate[i] = 0;
    if (out.instance_bounds)
      for (int a = 0; a < 3; ++a) out.instance_bounds[6 * i + a] = INFINITY, out.instance_bounds[6 * i + 3 + a] = -INFINITY;
  }
  for (size_t k = 0; k < chunks.size(); ++k) {
    const uint32_t i = chunks[k].instance;
    const MeasurePartial& p = partials[k];
    if (out.instance_area) out.instance_area[i] += p.area;
    if (out.instance_degenerate) out.instance_degenerate[i] += p.degenerate;
    for (int a = 0; a < 3; ++a) {
      if (out.instance_bounds) {
        out.instance_bounds[6 * i + a] = std::min(out.instance_bounds[6 * i + a], p.lo[a]);
        out.instance_bounds[6 * i + 3 + a] = std::max(out.instance_bounds[6 * i + 3 + a], p.hi[a]);
      }
      out.scene_bounds[a] = std::min(out.scene_bounds[a], p.lo[a]);
      out.scene_bounds[3 + a] = std::max(out.scene_bounds[3 + a], p.hi[a]);
    }
    out.total_area += p.area;
    out.degenerate_count += p.degenerate;
  }
}

}  // namespace ote
