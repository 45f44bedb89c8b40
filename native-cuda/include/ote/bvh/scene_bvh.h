// Host side of the ray-tracing core: build a two-level BVH over a FlatScene, refit it when instances move,
// upload it for CUDA kernels, and trace batches of rays on either backend.
//
//   SceneBvh bvh;
//   Status st = build_scene_bvh(flat, BvhBuildOptions{}, bvh, ctl);   // copies what it needs; flat may go away
//   refit_scene_bvh(bvh, flat_with_new_transforms, ctl);               // instances moved
//   Hit h; trace_closest(bvh.view(), ray, kRayNone, h);                // OTE_HD: ray/traverse.h
//   const DeviceSceneBvh* dev; device_scene_bvh(bvh, dev);             // CUDA builds: cached device copy
//   my_kernel<<<...>>>(dev->view(), ...);                              // same traversal inside the kernel
#pragma once
#include <stdint.h>

#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "../device.h"
#include "../flat_scene.h"
#include "../job_control.h"
#include "../ray/ray.h"
#include "bvh_types.h"

namespace ote {

struct BvhBuildOptions {
  uint32_t max_leaf_size = 8;   // BLAS leaves hold at most this many triangles (SAH picks smaller ones; max 32)
  float traversal_cost = 1.0f;  // SAH cost of a binary node visit, relative to one four-triangle packet test
  uint32_t bins = 32;           // SAH bins per axis (max 32)
  // Meshes drawn by exactly one instance go, transformed to world space, into one shared "world" BLAS (see
  // bvh_types.h), and so do copies of meshes drawn several times, smallest first, while the copies add at most
  // copy_budget x the stored triangles. Off: every mesh keeps its own object-space BLAS.
  bool merge_into_world = true;
  float copy_budget = 1.0f;
};

struct BvhStats {
  uint64_t blas_nodes = 0, tlas_nodes = 0;
  uint64_t triangles = 0;             // stored triangles in BLAS leaves (valid ones)
  uint64_t degenerate_triangles = 0;  // stored triangles skipped: zero area or a non-finite corner
  uint64_t instanced_triangles = 0;   // valid triangles drawn, counting instances
  uint64_t skipped_instances = 0;     // non-invertible or non-finite transforms, or meshes with nothing to hit
  uint64_t merged_instances = 0;      // instances whose mesh is in the world BLAS (merge_into_world)
  uint64_t copied_triangles = 0;      // world BLAS triangles beyond the stored ones: copies of shared meshes
  uint64_t bytes = 0;                 // host memory of the BVH (nodes, triangle packets, instances, slot instances)
  double build_seconds = 0;
  uint32_t max_depth = 0;
};

struct DeviceSceneBvh;

// Node arrays start on a 64-byte boundary, so that every 256-byte node fills exactly four cache lines.
template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64))); }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};
using BvhNodeArray = std::vector<BvhNode, CacheLineAllocator<BvhNode>>;

// An owning, built scene BVH. Move-only. Everything the traversal reads lives here.
class SceneBvh {
 public:
  SceneBvh();
  ~SceneBvh();
  SceneBvh(SceneBvh&&) noexcept;
  SceneBvh& operator=(SceneBvh&&) noexcept;
  SceneBvh(const SceneBvh&) = delete;
  SceneBvh& operator=(const SceneBvh&) = delete;

  SceneBvhView view() const;
  const BvhStats& stats() const { return stats_; }
  uint32_t flat_instance_count() const { return flat_instance_count_; }
  uint32_t flat_triangle_count() const { return flat_triangle_count_; }

  // Layout (read by the builder, the refit and the device upload; treat as read-only elsewhere).
  BvhNodeArray blas_nodes;
  std::vector<BvhTri4> tris;       // triangle packets in BLAS leaf order
  // Per FlatScene mesh: its own BLAS's root, kBvhInvalid when it has no valid triangle or is in the world BLAS.
  std::vector<uint32_t> mesh_root;
  BvhNodeArray tlas_nodes;
  std::vector<BvhInstance> instances;
  std::vector<float> mesh_bounds;   // per mesh: object-space lo xyz, hi xyz
  std::vector<uint32_t> slot_instance;  // per triangle slot of the world BLAS (packets [0, world_packets))
  // The world BLAS: root node 0, nodes [0, world_nodes), packets [0, world_packets); none when world_nodes is 0.
  uint32_t world_nodes = 0, world_packets = 0;

 private:
  friend Status build_scene_bvh(const FlatScene&, const BvhBuildOptions&, SceneBvh&, const JobControl&);
  friend Status refit_scene_bvh(SceneBvh&, const FlatScene&, const JobControl&);
  friend Status device_scene_bvh(const SceneBvh&, const DeviceSceneBvh*&);
  BvhStats stats_;
  BvhBuildOptions options_;
  uint32_t flat_vertex_count_ = 0, flat_mesh_count_ = 0, flat_instance_count_ = 0, flat_triangle_count_ = 0;
  std::vector<uint32_t> instance_mesh_;   // FlatScene.instance_mesh copy, to check a refit's scene
  std::vector<uint8_t> merged_;           // per FlatScene instance: its mesh is in the world BLAS
  std::vector<float> merged_transforms_;  // per merged instance, in FlatScene order (16 floats): its world matrix
  std::vector<uint32_t> mesh_valid_;      // per mesh: triangles stored (not degenerate)
  // Lazily uploaded device copy; invalidated by refit.
  mutable std::mutex device_mutex_;
  mutable std::unique_ptr<DeviceSceneBvh> device_;
};

// Build both levels with binned SAH on all threads (the thread pool). Degenerate and non-finite triangles are
// skipped and counted in stats().degenerate_triangles; an empty scene gives a BVH that every ray misses.
// Returns InvalidArgument for out-of-range indices or instance meshes.
Status build_scene_bvh(const FlatScene& scene, const BvhBuildOptions& options, SceneBvh& out, const JobControl& ctl);

// Instances moved: `scene` is the FlatScene the BVH was built from with new instance_transforms (the other arrays
// must be the same; their counts and instance_mesh are checked, InvalidArgument otherwise). The TLAS keeps its
// topology and its boxes are refitted bottom-up, O(instances); the triangles of moved instances in the world BLAS
// are transformed again and its boxes refitted, O(world BLAS). If an instance became singular (or valid again) the
// TLAS is rebuilt instead, or the whole BVH when that changes which meshes are merged. Other BLASes are untouched.
// Refitted trees slow down as things move far; call build_scene_bvh again after large rearrangements. Invalidates
// the cached device copy.
Status refit_scene_bvh(SceneBvh& bvh, const FlatScene& scene, const JobControl& ctl);

// Device copy of a SceneBvh with the same layout. Freed with the SceneBvh (or on refit).
struct DeviceSceneBvh {
  SceneBvhView device_view{};  // device pointers
  void* buffers[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  uint64_t bytes = 0;
  SceneBvhView view() const { return device_view; }
  ~DeviceSceneBvh();
};

// Upload (once; later calls return the cached copy) and return the device copy. DeviceError without CUDA.
Status device_scene_bvh(const SceneBvh& bvh, const DeviceSceneBvh*& out);

// ---- batch tracing, for tools, tests and the TypeScript API ------------------------------------------------------

struct RayBatch {
  const float* origins;     // xyz per ray
  const float* directions;  // xyz per ray, any length (t is in units of |dir|)
  const float* tmin;        // per ray, or nullptr for `tmin_all`
  const float* tmax;        // per ray, or nullptr for `tmax_all`
  float tmin_all = 0.0f, tmax_all = INFINITY;
  uint64_t count = 0;
  uint32_t flags = kRayNone;
  bool any_hit = false;     // occlusion only: fills `occluded`
};

struct HitBatch {
  // Closest hit: any of these may be nullptr. Misses get t = tmax, prim = instance = kBvhInvalid.
  float* t;
  uint32_t* prim;
  uint32_t* instance;
  float* barycentrics;  // u, v per ray
  float* normal;        // xyz per ray, world-space unit geometric normal
  // Any hit: 1 when blocked, 0 otherwise.
  uint8_t* occluded;
  // Out: seconds spent tracing, without the transfers: the kernels' time on CUDA (events), the threads' wall time
  // on the CPU. Benchmarks read it to tell the ray core's speed from the cost of moving rays to the device.
  double trace_seconds = 0.0;
};

Status trace_rays(const SceneBvh& bvh, const RayBatch& rays, HitBatch& hits, Backend backend, const JobControl& ctl);
Status trace_rays_cpu(const SceneBvh& bvh, const RayBatch& rays, HitBatch& hits, const JobControl& ctl);
Status trace_rays_cuda(const SceneBvh& bvh, const RayBatch& rays, HitBatch& hits, const JobControl& ctl);

}  // namespace ote
