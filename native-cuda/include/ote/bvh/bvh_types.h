// The BVH memory layout shared by the CPU traversal and the CUDA kernels: plain structs over flat arrays, so a
// host copy and a device copy are the same bytes and `SceneBvhView` can point at either.
//
// Two levels. Every mesh of the FlatScene owns a BLAS (bottom level, object space) stored once however many
// instances draw it; the TLAS (top level, world space) is built over the instances. Both levels use BvhNode.
#pragma once
#include <stdint.h>

#include "../hd.h"

namespace ote {

constexpr uint32_t kBvhInvalid = 0xffffffffu;
// Traversal stack depth per level. The builder forces median splits past depth kBvhMaxSahDepth, so no tree is
// deeper than kBvhMaxSahDepth + 32 (32-bit primitive counts) and the stack never overflows.
constexpr int kBvhStackSize = 64;
constexpr int kBvhMaxSahDepth = 30;

// 32 bytes. Children are allocated in adjacent pairs at even indices, so a traversal step that tests both
// children of a node reads one aligned 64-byte line (one cache line on the CPU, two 32-byte sectors on the GPU).
struct alignas(32) BvhNode {
  float lo[3];
  // Interior (count == 0): index of the left child; the right child is first + 1.
  // Leaf (count > 0): index of the first primitive in the level's primitive array (BvhTri or BvhInstance).
  uint32_t first;
  float hi[3];
  uint32_t count;
};

// One triangle in BLAS leaf order: object-space corners, pre-gathered so a leaf reads contiguous memory.
// 48 bytes = three 16-byte loads on the GPU; the fourth lanes carry the FlatScene triangle index.
struct alignas(16) BvhTri {
  float v0[3];
  uint32_t prim;  // triangle index into FlatScene.indices / 3 (global, not mesh-local)
  float v1[3];
  uint32_t mesh;  // the mesh that owns it
  float v2[3];
  uint32_t pad;
};

// One drawn instance in TLAS leaf order.
struct alignas(16) BvhInstance {
  float world_to_object[12];  // rows of the inverse 3x4 affine matrix (row-major: r0 x y z t, r1, r2)
  uint32_t blas_root;         // index of the mesh's BLAS root in SceneBvhView::blas_nodes
  uint32_t instance;          // instance index in the FlatScene
  uint32_t mesh;
  uint32_t pad;
};

// A non-owning view of a built scene BVH: host pointers (SceneBvh::view()) or device pointers
// (DeviceSceneBvh::view()). Passed by value into kernels.
struct SceneBvhView {
  const BvhNode* blas_nodes;
  const BvhTri* tris;
  const BvhNode* tlas_nodes;      // root at 0; empty (tlas_node_count == 0) when nothing can be hit
  const BvhInstance* instances;
  uint32_t tlas_node_count;
  uint32_t instance_count;        // instances in the TLAS (valid ones only)
};

}  // namespace ote
