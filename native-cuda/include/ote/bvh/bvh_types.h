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
// deeper than kBvhMaxSahDepth + 32 (32-bit primitive counts) and the stack (one entry per level) never overflows.
constexpr int kBvhStackSize = 64;
constexpr int kBvhMaxSahDepth = 30;

// One node = the boxes of two children, stored axis by axis (structure of arrays), 64 bytes = one cache line:
// a traversal step tests both children with a handful of SSE instructions on the CPU, and with four 16-byte loads
// on the GPU (the Aila-Laine layout). Every tree's root is a node and both children always exist: a tree of one
// leaf is stored as two leaves (the same one twice when it holds a single primitive).
struct alignas(64) BvhNode {
  // Per axis: [lo of child 0, lo of child 1, hi of child 0, hi of child 1].
  float x[4], y[4], z[4];
  // count[c] == 0: child c is the node at index child[c]. count[c] > 0: child c is a leaf holding primitives
  // [child[c], child[c] + count[c]) of the level's primitive array (BvhTri or BvhInstance).
  uint32_t child[2];
  uint32_t count[2];
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
  uint32_t blas_root;         // index of the mesh's BLAS root node in SceneBvhView::blas_nodes
  uint32_t instance;          // instance index in the FlatScene
  uint32_t mesh;
  uint32_t pad;
};

// A non-owning view of a built scene BVH: host pointers (SceneBvh::view()) or device pointers
// (DeviceSceneBvh::view()). Passed by value into kernels.
struct SceneBvhView {
  const BvhNode* blas_nodes;
  const BvhTri* tris;
  const BvhNode* tlas_nodes;      // root at 0; none (tlas_node_count == 0) when nothing can be hit
  const BvhInstance* instances;
  uint32_t tlas_node_count;
  uint32_t instance_count;        // instances in the TLAS (valid ones only)
};

}  // namespace ote
