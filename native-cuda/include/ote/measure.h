// Public API: per-triangle world-space area and normal, per-instance totals and the scene bounds.
#pragma once
#include <stdint.h>
#include "device.h"
#include "flat_scene.h"
#include "job_control.h"

namespace ote {

struct MeasureOutput {
  // Per instance triangle, in instance order then mesh triangle order. Optional: pass nullptr to skip.
  float* triangle_area;    // length = sum of instance triangle counts
  float* triangle_normal;  // 3 floats per instance triangle
  // Per instance (length instance_count): summed world area, bounds (6 floats: min xyz, max xyz), degenerate count.
  double* instance_area;
  float* instance_bounds;
  uint32_t* instance_degenerate;
  // Scene totals.
  float scene_bounds[6];
  double total_area;
  uint64_t degenerate_count;
};

// Measure every instanced triangle of `scene` on the chosen backend.
// Degenerate and non-finite triangles count in `degenerate_count`, add no area and widen no bounds.
// Per-instance sums are accumulated in double in triangle order, so results do not depend on thread count.
Status measure_triangles(const FlatScene& scene, MeasureOutput& out, Backend backend, const JobControl& ctl);

// The two drivers behind measure_triangles; the CUDA one exists only in CUDA builds.
Status measure_triangles_cpu(const FlatScene& scene, MeasureOutput& out, const JobControl& ctl);
Status measure_triangles_cuda(const FlatScene& scene, MeasureOutput& out, const JobControl& ctl);

}  // namespace ote
