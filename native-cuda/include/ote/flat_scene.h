// The flattened scene that every kernel reads: shared meshes plus an instance list, as plain flat arrays.
// TypeScript builds it once per scene (ts-core/src/scene/flatten.ts); nothing here owns memory.
#pragma once
#include <stdint.h>

namespace ote {

struct FlatScene {
  // Vertex positions of all unique meshes, xyz per vertex.
  const float* positions;
  uint32_t vertex_count;
  // Triangle vertex indices into `positions` (already offset per mesh), 3 per triangle.
  const uint32_t* indices;
  uint32_t triangle_count;
  // Mesh m owns triangles [mesh_first_triangle[m], mesh_first_triangle[m+1]); length mesh_count + 1.
  const uint32_t* mesh_first_triangle;
  uint32_t mesh_count;
  // Instance i draws mesh instance_mesh[i] with the column-major world matrix instance_transforms[16*i..].
  const uint32_t* instance_mesh;
  const float* instance_transforms;
  uint32_t instance_count;
};

// Triangles drawn by an instance, and the first "instance triangle" slot it owns in per-instance-triangle outputs.
inline uint32_t instance_triangle_count(const FlatScene& s, uint32_t i) {
  const uint32_t m = s.instance_mesh[i];
  return s.mesh_first_triangle[m + 1] - s.mesh_first_triangle[m];
}

}  // namespace ote
