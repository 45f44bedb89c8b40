// The one check of a FlatScene's structure, made by every kernel that reads one (measure, the BVH build) before
// it starts, and by the bindings for the message, which names the field as TypeScript spells it
// ("instanceMesh[3] is out of range: 7 >= the mesh count 4"). Host only; O(triangles).
#pragma once
#include <string>

#include "flat_scene.h"
#include "result.h"

namespace ote {

inline Result check_flat_scene(const FlatScene& s) {
  if (s.triangle_count && (!s.positions || !s.indices)) return Result::invalid("positions and indices must be given");
  if (!s.mesh_first_triangle) return Result::invalid("meshFirstTriangle must be given (mesh count + 1 entries)");
  if (s.instance_count && (!s.instance_mesh || !s.instance_transforms))
    return Result::invalid("instanceMesh and instanceTransforms must be given");
  if (s.mesh_first_triangle[s.mesh_count] != s.triangle_count)
    return Result::invalid("meshFirstTriangle must end at the triangle count " + std::to_string(s.triangle_count) +
                           ", got " + std::to_string(s.mesh_first_triangle[s.mesh_count]));
  for (uint32_t m = 0; m < s.mesh_count; ++m)
    if (s.mesh_first_triangle[m] > s.mesh_first_triangle[m + 1])
      return Result::invalid("meshFirstTriangle must not decrease, but entry " + std::to_string(m + 1) + " does");
  for (uint32_t i = 0; i < s.instance_count; ++i)
    if (s.instance_mesh[i] >= s.mesh_count)
      return Result::invalid("instanceMesh[" + std::to_string(i) + "] is out of range: " + std::to_string(s.instance_mesh[i]) +
                             " >= the mesh count " + std::to_string(s.mesh_count));
  for (uint64_t k = 0; k < 3ull * s.triangle_count; ++k)
    if (s.indices[k] >= s.vertex_count)
      return Result::invalid("indices[" + std::to_string(k) + "] is out of range: " + std::to_string(s.indices[k]) +
                             " >= the vertex count " + std::to_string(s.vertex_count));
  return Result::ok();
}

}  // namespace ote
