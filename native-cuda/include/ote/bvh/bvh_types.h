// The BVH memory layout shared by the CPU traversal and the CUDA kernels: plain structs over flat arrays, so a
// host copy and a device copy are the same bytes and `SceneBvhView` can point at either.
//
// Two levels. Every mesh drawn by several instances owns a BLAS (bottom level, object space) stored once however
// many instances draw it; the meshes drawn by one instance each are placed in world space and built together into
// one "world" BLAS, as pbrt-v4 and Embree users do, so that a scene of many unique meshes (a ship, an engine) is
// not a TLAS over heavily overlapping mesh boxes. The TLAS (top level, world space) is built over the instances
// plus one record for the world BLAS. Both levels are 8-wide trees of BvhNode, collapsed from a binary SAH tree.
// BLAS leaves are runs of BvhTri4 packets, TLAS leaves runs of BvhInstance records.
#pragma once
#include <stdint.h>

#include "../hd.h"

namespace ote {

constexpr uint32_t kBvhInvalid = 0xffffffffu;
// Eight children per node: measured 1.07-1.12x faster on incoherent rays than four on the real scenes (fewer,
// shallower levels, so fewer dependent node loads per ray), at about the same memory.
constexpr int kBvhWidth = 8;
// The builder forces median splits past binary depth kBvhMaxSahDepth, so no binary tree is deeper than
// kBvhMaxSahDepth + 32 (32-bit primitive counts); every wide level consumes at least one binary level, and a
// node pushes at most kBvhWidth - 1 entries, so a traversal stack of this size never overflows.
constexpr int kBvhMaxSahDepth = 30;
constexpr int kBvhStackSize = (kBvhWidth - 1) * (kBvhMaxSahDepth + 32) + 1;

// A child reference (BvhNode::child): an interior node index (bit 31 clear), a leaf (bit 31 set: primitive count
// minus one in bits 28-30, first primitive in bits 0-27; primitives are BvhTri4 packets in a BLAS and
// BvhInstance records in the TLAS), or kBvhInvalid for an unused slot (whose box is empty, so it is never entered).
constexpr uint32_t kBvhLeafBit = 0x80000000u;
constexpr uint32_t kBvhLeafMaxCount = 8;
constexpr uint32_t kBvhLeafMaxFirst = (1u << 28) - 1;
OTE_HD OTE_INLINE bool bvh_is_leaf(uint32_t ref) { return (ref & kBvhLeafBit) != 0; }
OTE_HD OTE_INLINE uint32_t bvh_leaf_first(uint32_t ref) { return ref & kBvhLeafMaxFirst; }
OTE_HD OTE_INLINE uint32_t bvh_leaf_count(uint32_t ref) { return ((ref >> 28) & 7u) + 1; }
OTE_HD OTE_INLINE uint32_t bvh_make_leaf(uint32_t first, uint32_t count) {
  return kBvhLeafBit | ((count - 1) << 28) | first;
}

// SceneBvhView::slot_instance entries: the FlatScene instance in bits 0-30; bit 31 set when the instance mirrors
// (negative determinant), so the world copy stores corners 1 and 2 swapped to keep glTF's front face (counter-
// clockwise in object space) in front, and the hit's barycentrics are swapped back.
constexpr uint32_t kSlotMirrored = 0x80000000u;

// 256 bytes, 64-byte aligned: four cache lines on the CPU, eight 32-byte sectors on the GPU. The eight child boxes
// are stored structure-of-arrays, so two SSE steps (or one AVX step) test all eight children against a ray (the
// CPU) and a scalar loop reads them as plain floats (the GPU). Rows are ordered lo x, hi x, lo y, hi y, lo z, hi z
// so that a ray picks its near plane per axis with a row offset (0 or 1) and the far plane is the other row.
struct alignas(64) BvhNode {
  float box[6][kBvhWidth];
  uint32_t child[kBvhWidth];
  uint32_t pad[kBvhWidth];
};

// Four triangles in BLAS leaf order, structure-of-arrays: v[c][a][lane] is corner c, axis a of triangle `lane`.
// Pre-gathered so that a leaf reads contiguous memory and one SIMD step tests four triangles. Unused lanes have
// NaN corners and prim == kBvhInvalid (the triangle test rejects a NaN distance). 160 bytes.
struct alignas(16) BvhTri4 {
  float v[3][3][4];
  uint32_t prim[4];  // triangle index into FlatScene.indices / 3 (global, not mesh-local)
};

// One drawn instance in TLAS leaf order, or the world BLAS's record (identity matrix, instance and mesh
// kBvhInvalid: each of its triangles names its own instance in SceneBvhView::slot_instance).
struct alignas(16) BvhInstance {
  float world_to_object[12];  // rows of the inverse 3x4 affine matrix (row-major: r0 x y z t, r1, r2)
  uint32_t blas_root;         // index of the mesh's BLAS root node in SceneBvhView::blas_nodes
  uint32_t instance;          // instance index in the FlatScene; kBvhInvalid for the world BLAS
  uint32_t mesh;
  uint32_t pad;
};

// A non-owning view of a built scene BVH: host pointers (SceneBvh::view()) or device pointers
// (DeviceSceneBvh::view()). Passed by value into kernels.
struct SceneBvhView {
  const BvhNode* blas_nodes;
  const BvhTri4* tris;            // triangle slot s is lane s % 4 of packet s / 4
  const BvhNode* tlas_nodes;      // root at 0; empty (tlas_node_count == 0) when nothing can be hit
  const BvhInstance* instances;
  const uint32_t* slot_instance;  // per triangle slot of the world BLAS (its packets come first): kSlotMirrored | instance
  uint32_t tlas_node_count;
  uint32_t instance_count;        // instances in the TLAS (valid ones only)
};

}  // namespace ote
