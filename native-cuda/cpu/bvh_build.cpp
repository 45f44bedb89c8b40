// Binned-SAH builder for both BVH levels, and the TLAS refit.
//
// One builder serves the BLAS (triangles) and the TLAS (instances): it partitions an array of PrimRefs in place
// so that every leaf is a contiguous range. Large ranges are split on the calling thread (breadth first) until
// there are enough independent subtrees, which the thread pool then builds; each subtree writes to its own node
// vector and the vectors are appended in order, keeping children at higher indices than their parent (the refit
// relies on it) and child pairs 64-byte aligned.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "ote/bvh/scene_bvh.h"
#include "ote/thread_pool.h"
#include "ote/triangle_measure.h"

namespace ote {
namespace {

struct PrimRef {
  float lo[3];
  uint32_t id;
  float hi[3];
  uint32_t pad;
};

struct Box {
  float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  void grow(const float* l, const float* h) {
    for (int a = 0; a < 3; ++a) lo[a] = std::min(lo[a], l[a]), hi[a] = std::max(hi[a], h[a]);
  }
  void grow(const Box& b) { grow(b.lo, b.hi); }
  void grow_point(const float* p) { grow(p, p); }
  float half_area() const {
    const float dx = hi[0] - lo[0], dy = hi[1] - lo[1], dz = hi[2] - lo[2];
    return dx < 0 ? 0.0f : dx * dy + dy * dz + dz * dx;
  }
};

inline float centroid(const PrimRef& r, int a) { return 0.5f * (r.lo[a] + r.hi[a]); }

struct Range {
  uint32_t node, begin, end, depth;
};

struct BuildParams {
  uint32_t max_leaf;
  float c_trav;
  uint32_t bins;
};

// Builds over refs[begin, end) into `nodes` (node 0 is the root, node 1 unused).
class Builder {
 public:
  Builder(PrimRef* refs, const BuildParams& p) : refs_(refs), p_(p) {}

  void set_leaf(BvhNodeArray& nodes, uint32_t node, const Box& b, uint32_t begin, uint32_t end) {
    BvhNode& n = nodes[node];
    std::memcpy(n.lo, b.lo, 12), std::memcpy(n.hi, b.hi, 12);
    n.first = begin, n.count = end - begin;
  }

  Box bounds(uint32_t begin, uint32_t end, Box* cbox) const {
    Box b, c;
    for (uint32_t i = begin; i < end; ++i) {
      b.grow(refs_[i].lo, refs_[i].hi);
      const float cp[3] = {centroid(refs_[i], 0), centroid(refs_[i], 1), centroid(refs_[i], 2)};
      c.grow_point(cp);
    }
    if (cbox) *cbox = c;
    return b;
  }

  // Split refs[begin,end) or decide on a leaf. Returns the split position, or 0 for a leaf.
  uint32_t split(const Box& box, const Box& cbox, uint32_t begin, uint32_t end, uint32_t depth) {
    const uint32_t count = end - begin;
    if (count <= 1) return 0;
    constexpr uint32_t kMaxBins = 32;
    // Small ranges get fewer bins: initialising and sweeping the bins would otherwise cost more than the binning.
    const uint32_t nb = std::min(std::min(std::max(p_.bins, 2u), kMaxBins), std::max(4u, count));
    float best_cost = INFINITY;
    int best_axis = -1;
    uint32_t best_bin = 0;
    if (depth < uint32_t(kBvhMaxSahDepth)) {
      // One pass over the primitives bins all three axes (the ranges near the root do not fit in cache).
      Box bb[3][kMaxBins];
      uint32_t bc[3][kMaxBins];
      float scale[3];
      bool axis_ok[3];
      for (int a = 0; a < 3; ++a) {
        const float ext = cbox.hi[a] - cbox.lo[a];
        axis_ok[a] = ext > 0.0f;
        scale[a] = axis_ok[a] ? float(nb) / ext : 0.0f;
        for (uint32_t b = 0; b < nb; ++b) bc[a][b] = 0;
      }
      for (uint32_t i = begin; i < end; ++i) {
        const PrimRef& r = refs_[i];
        for (int a = 0; a < 3; ++a) {
          const uint32_t b = std::min(nb - 1, uint32_t(std::max(0.0f, (centroid(r, a) - cbox.lo[a]) * scale[a])));
          bb[a][b].grow(r.lo, r.hi), ++bc[a][b];
        }
      }
      for (int a = 0; a < 3; ++a) {
        if (!axis_ok[a]) continue;
        // Sweep: right-side areas, then left-side costs.
        float right_area[kMaxBins];
        uint32_t right_count[kMaxBins];
        Box acc;
        uint32_t n = 0;
        for (uint32_t b = nb - 1; b > 0; --b) {
          acc.grow(bb[a][b]), n += bc[a][b];
          right_area[b] = acc.half_area(), right_count[b] = n;
        }
        Box left;
        uint32_t ln = 0;
        for (uint32_t b = 0; b + 1 < nb; ++b) {
          left.grow(bb[a][b]), ln += bc[a][b];
          if (ln == 0 || right_count[b + 1] == 0) continue;
          const float cost = left.half_area() * float(ln) + right_area[b + 1] * float(right_count[b + 1]);
          if (cost < best_cost) best_cost = cost, best_axis = a, best_bin = b + 1;
        }
      }
    }
    const float area = box.half_area();
    const float leaf_cost = float(count);
    const float split_cost = p_.c_trav + (area > 0.0f ? best_cost / area : INFINITY);
    if (best_axis >= 0 && !(split_cost < leaf_cost) && count <= p_.max_leaf) return 0;
    if (best_axis < 0) {
      if (count <= p_.max_leaf) return 0;
      // All centroids coincide (or the depth cap was reached): split by count, on the widest centroid axis.
      const uint32_t mid = begin + count / 2;
      int a = 0;
      for (int k = 1; k < 3; ++k)
        if (cbox.hi[k] - cbox.lo[k] > cbox.hi[a] - cbox.lo[a]) a = k;
      std::nth_element(refs_ + begin, refs_ + mid, refs_ + end,
                       [a](const PrimRef& x, const PrimRef& y) { return centroid(x, a) < centroid(y, a); });
      return mid;
    }
    const float scale = float(nb) / (cbox.hi[best_axis] - cbox.lo[best_axis]);
    const float lo = cbox.lo[best_axis];
    PrimRef* mid = std::partition(refs_ + begin, refs_ + end, [&](const PrimRef& r) {
      return std::min(nb - 1, uint32_t(std::max(0.0f, (centroid(r, best_axis) - lo) * scale))) < best_bin;
    });
    const uint32_t m = uint32_t(mid - refs_);
    return (m == begin || m == end) ? begin + count / 2 : m;
  }

  // Depth-first build of refs[begin,end) into node `node` of `nodes`.
  void build_subtree(BvhNodeArray& nodes, uint32_t node, uint32_t begin, uint32_t end, uint32_t depth,
                     uint32_t& max_depth) {
    Range stack[128];
    int sp = 0;
    stack[sp++] = {node, begin, end, depth};
    while (sp) {
      const Range r = stack[--sp];
      max_depth = std::max(max_depth, r.depth);
      Box cbox;
      const Box box = bounds(r.begin, r.end, &cbox);
      const uint32_t m = split(box, cbox, r.begin, r.end, r.depth);
      if (!m) {
        set_leaf(nodes, r.node, box, r.begin, r.end);
        continue;
      }
      const uint32_t left = uint32_t(nodes.size());
      nodes.resize(nodes.size() + 2);
      BvhNode& n = nodes[r.node];
      std::memcpy(n.lo, box.lo, 12), std::memcpy(n.hi, box.hi, 12);
      n.first = left, n.count = 0;
      stack[sp++] = {left + 1, m, r.end, r.depth + 1};
      stack[sp++] = {left, r.begin, m, r.depth + 1};
    }
  }

 private:
  PrimRef* refs_;
  BuildParams p_;
};

// Build over refs[0, n) into `nodes` (root at nodes[base]; appended). Returns the max depth.
uint32_t build_tree(PrimRef* refs, uint32_t n, const BuildParams& p, BvhNodeArray& nodes, bool parallel,
                    const JobControl& ctl, Status& status) {
  const uint32_t base = uint32_t(nodes.size());
  nodes.resize(base + 2);  // root + alignment slot
  nodes[base + 1] = BvhNode{{0, 0, 0}, 0, {0, 0, 0}, 0};
  Builder b(refs, p);
  uint32_t max_depth = 0;
  status = Status::Ok;
  const uint32_t threads = thread_count();
  if (!parallel || threads == 1 || n < 4096) {
    BvhNodeArray local;
    local.resize(2);
    b.build_subtree(local, 0, 0, n, 0, max_depth);
    // Rebase: local interior indices are relative to local[0].
    for (auto& nd : local)
      if (!nd.count) nd.first += base;
    nodes[base] = local[0];
    nodes.insert(nodes.end(), local.begin() + 2, local.end());
    return max_depth;
  }
  // Breadth-first top phase until ranges are small enough to keep all threads busy.
  const uint32_t target = std::max<uint32_t>(1024, n / (8 * threads));
  std::vector<Range> todo{{base, 0, n, 0}}, deferred;
  while (!todo.empty()) {
    std::vector<Range> next;
    for (const Range& r : todo) {
      if (r.end - r.begin <= target) {
        deferred.push_back(r);
        continue;
      }
      max_depth = std::max(max_depth, r.depth);
      Box cbox;
      const Box box = b.bounds(r.begin, r.end, &cbox);
      const uint32_t m = b.split(box, cbox, r.begin, r.end, r.depth);
      if (!m) {
        b.set_leaf(nodes, r.node, box, r.begin, r.end);
        continue;
      }
      const uint32_t left = uint32_t(nodes.size());
      nodes.resize(nodes.size() + 2);
      BvhNode& nd = nodes[r.node];
      std::memcpy(nd.lo, box.lo, 12), std::memcpy(nd.hi, box.hi, 12);
      nd.first = left, nd.count = 0;
      next.push_back({left, r.begin, m, r.depth + 1});
      next.push_back({left + 1, m, r.end, r.depth + 1});
    }
    todo.swap(next);
  }
  std::vector<BvhNodeArray> locals(deferred.size());
  std::vector<uint32_t> depths(deferred.size(), 0);
  status = parallel_for(deferred.size(), 1, [&](uint64_t cb, uint64_t ce) {
    for (uint64_t k = cb; k < ce; ++k) {
      locals[k].resize(2);
      b.build_subtree(locals[k], 0, deferred[k].begin, deferred[k].end, deferred[k].depth, depths[k]);
    }
  }, ctl);
  if (status != Status::Ok) return 0;
  for (size_t k = 0; k < deferred.size(); ++k) {
    max_depth = std::max(max_depth, depths[k]);
    const uint32_t off = uint32_t(nodes.size()) - 2;  // local index 2 lands at nodes.size()
    BvhNodeArray& l = locals[k];
    for (auto& nd : l)
      if (!nd.count) nd.first += off;
    nodes[deferred[k].node] = l[0];
    nodes.insert(nodes.end(), l.begin() + 2, l.end());
    BvhNodeArray().swap(l);
  }
  return max_depth;
}

// Inverse of the affine part of a column-major 4x4, as 3 rows of [r | t]. False when singular or not finite.
bool invert_affine(const float* m, float* out) {
  const double a = m[0], b = m[4], c = m[8], d = m[1], e = m[5], f = m[9], g = m[2], h = m[6], i = m[10];
  const double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!std::isfinite(det) || std::fabs(det) < 1e-30) return false;
  const double r = 1.0 / det;
  const double inv[9] = {(e * i - f * h) * r, (c * h - b * i) * r, (b * f - c * e) * r,
                         (f * g - d * i) * r, (a * i - c * g) * r, (c * d - a * f) * r,
                         (d * h - e * g) * r, (b * g - a * h) * r, (a * e - b * d) * r};
  const double t[3] = {m[12], m[13], m[14]};
  for (int row = 0; row < 3; ++row) {
    out[4 * row + 0] = float(inv[3 * row + 0]);
    out[4 * row + 1] = float(inv[3 * row + 1]);
    out[4 * row + 2] = float(inv[3 * row + 2]);
    out[4 * row + 3] = float(-(inv[3 * row] * t[0] + inv[3 * row + 1] * t[1] + inv[3 * row + 2] * t[2]));
    for (int k = 0; k < 4; ++k)
      if (!std::isfinite(out[4 * row + k])) return false;
  }
  for (int k = 0; k < 16; ++k)
    if (!std::isfinite(m[k])) return false;
  return true;
}

// World bounds of an object-space box under a column-major 4x4 (Arvo's method).
void transform_box(const float* m, const float* lo, const float* hi, float* wlo, float* whi) {
  for (int r = 0; r < 3; ++r) {
    float mn = m[12 + r], mx = m[12 + r];
    for (int c = 0; c < 3; ++c) {
      const float a = m[4 * c + r] * lo[c], b = m[4 * c + r] * hi[c];
      mn += std::min(a, b), mx += std::max(a, b);
    }
    // Widen by a few ulps so that rounding in the transform never shrinks the box below the geometry.
    const float pad = 1e-6f * std::max(std::fabs(mn), std::fabs(mx));
    wlo[r] = mn - pad, whi[r] = mx + pad;
  }
}

// Instance PrimRefs for the TLAS (valid instances only) and the instance records in FlatScene order.
void make_instance_refs(const SceneBvh& bvh, const float* transforms, const std::vector<uint32_t>& inst_mesh,
                        std::vector<PrimRef>& refs, std::vector<BvhInstance>& recs, uint64_t& skipped) {
  refs.clear(), recs.clear(), skipped = 0;
  for (uint32_t i = 0; i < inst_mesh.size(); ++i) {
    const uint32_t mesh = inst_mesh[i];
    const float* m = transforms + 16ull * i;
    BvhInstance rec{};
    if (bvh.mesh_root[mesh] == kBvhInvalid || !invert_affine(m, rec.world_to_object)) {
      ++skipped;
      continue;
    }
    rec.blas_root = bvh.mesh_root[mesh], rec.instance = i, rec.mesh = mesh;
    PrimRef r{};
    transform_box(m, &bvh.mesh_bounds[6 * mesh], &bvh.mesh_bounds[6 * mesh + 3], r.lo, r.hi);
    r.id = uint32_t(recs.size());
    refs.push_back(r);
    recs.push_back(rec);
  }
}

Status build_tlas(SceneBvh& bvh, const float* transforms, const std::vector<uint32_t>& inst_mesh,
                  uint64_t& skipped, uint32_t& depth, const JobControl& ctl) {
  std::vector<PrimRef> refs;
  std::vector<BvhInstance> recs;
  make_instance_refs(bvh, transforms, inst_mesh, refs, recs, skipped);
  bvh.tlas_nodes.clear(), bvh.instances.clear();
  depth = 0;
  if (refs.empty()) return Status::Ok;
  Status st;
  // Instances are expensive to enter, so TLAS leaves hold one unless SAH cannot separate them.
  const BuildParams p{1, 0.5f, 32};
  depth = build_tree(refs.data(), uint32_t(refs.size()), p, bvh.tlas_nodes, true, ctl, st);
  if (st != Status::Ok) return st;
  bvh.instances.reserve(refs.size());
  for (const PrimRef& r : refs) bvh.instances.push_back(recs[r.id]);
  return Status::Ok;
}

}  // namespace

SceneBvh::SceneBvh() = default;
SceneBvh::~SceneBvh() = default;
SceneBvh::SceneBvh(SceneBvh&& o) noexcept { *this = std::move(o); }
SceneBvh& SceneBvh::operator=(SceneBvh&& o) noexcept {
  if (this == &o) return *this;
  blas_nodes = std::move(o.blas_nodes), tris = std::move(o.tris), mesh_root = std::move(o.mesh_root);
  tlas_nodes = std::move(o.tlas_nodes), instances = std::move(o.instances), mesh_bounds = std::move(o.mesh_bounds);
  stats_ = o.stats_, flat_instance_count_ = o.flat_instance_count_, flat_triangle_count_ = o.flat_triangle_count_;
  instance_mesh_ = std::move(o.instance_mesh_);
  std::lock_guard<std::mutex> lock(device_mutex_);
  device_ = std::move(o.device_);
  return *this;
}

SceneBvhView SceneBvh::view() const {
  SceneBvhView v;
  v.blas_nodes = blas_nodes.data(), v.tris = tris.data();
  v.tlas_nodes = tlas_nodes.data(), v.instances = instances.data();
  v.tlas_node_count = uint32_t(tlas_nodes.size()), v.instance_count = uint32_t(instances.size());
  return v;
}

Status build_scene_bvh(const FlatScene& s, const BvhBuildOptions& o, SceneBvh& out, const JobControl& ctl) {
  const auto t0 = std::chrono::steady_clock::now();
  if (s.triangle_count && (!s.positions || !s.indices)) return Status::InvalidArgument;
  if (s.mesh_count && !s.mesh_first_triangle) return Status::InvalidArgument;
  if (s.mesh_count && s.mesh_first_triangle[s.mesh_count] > s.triangle_count) return Status::InvalidArgument;
  for (uint32_t m = 0; m < s.mesh_count; ++m)
    if (s.mesh_first_triangle[m] > s.mesh_first_triangle[m + 1]) return Status::InvalidArgument;
  for (uint32_t i = 0; i < s.instance_count; ++i)
    if (s.instance_mesh[i] >= s.mesh_count) return Status::InvalidArgument;
  for (uint64_t k = 0; k < 3ull * s.triangle_count; ++k)
    if (s.indices[k] >= s.vertex_count) return Status::InvalidArgument;

  SceneBvh bvh;
  BvhStats& st = bvh.stats_;
  bvh.flat_instance_count_ = s.instance_count, bvh.flat_triangle_count_ = s.triangle_count;
  bvh.instance_mesh_.assign(s.instance_mesh, s.instance_mesh + s.instance_count);
  bvh.mesh_root.assign(s.mesh_count, kBvhInvalid);
  bvh.mesh_bounds.assign(6ull * s.mesh_count, 0.0f);
  const BuildParams bp{std::max(1u, std::min(o.max_leaf_size, 64u)), o.traversal_cost, o.bins};

  // PrimRefs of every valid triangle, grouped by mesh; degenerate ones are dropped here and counted.
  std::vector<PrimRef> refs(s.triangle_count);
  std::vector<uint8_t> valid(s.triangle_count);
  Status status = parallel_for(s.triangle_count, 1 << 15, [&](uint64_t b, uint64_t e) {
    for (uint64_t t = b; t < e; ++t) {
      const Vec3 p0 = load_vec3(s.positions, s.indices[3 * t]), p1 = load_vec3(s.positions, s.indices[3 * t + 1]),
                 p2 = load_vec3(s.positions, s.indices[3 * t + 2]);
      const TriangleMeasure tm = measure_triangle(p0, p1, p2);
      valid[t] = !tm.degenerate;
      PrimRef& r = refs[t];
      r.lo[0] = tm.lo.x, r.lo[1] = tm.lo.y, r.lo[2] = tm.lo.z;
      r.hi[0] = tm.hi.x, r.hi[1] = tm.hi.y, r.hi[2] = tm.hi.z;
      r.id = uint32_t(t), r.pad = 0;
    }
  }, ctl);
  if (status != Status::Ok) return status;

  struct MeshRange { uint32_t mesh, begin, end; };
  std::vector<MeshRange> meshes;
  uint32_t w = 0;
  for (uint32_t m = 0; m < s.mesh_count; ++m) {
    const uint32_t b = w;
    for (uint32_t t = s.mesh_first_triangle[m]; t < s.mesh_first_triangle[m + 1]; ++t) {
      if (valid[t]) refs[w++] = refs[t];
      else ++st.degenerate_triangles;
    }
    if (w > b) meshes.push_back({m, b, w});
  }
  refs.resize(w);
  st.triangles = w;

  // Big meshes one at a time with a parallel build; small ones many at a time, one thread each.
  std::vector<BvhNodeArray> mesh_nodes(meshes.size());
  std::vector<uint32_t> depth(meshes.size(), 0);
  std::vector<uint32_t> small;
  for (uint32_t k = 0; k < meshes.size(); ++k) {
    const uint32_t n = meshes[k].end - meshes[k].begin;
    if (n >= 65536) {
      Status sst;
      depth[k] = build_tree(refs.data() + meshes[k].begin, n, bp, mesh_nodes[k], true, ctl, sst);
      if (sst != Status::Ok) return sst;
    } else {
      small.push_back(k);
    }
  }
  status = parallel_for(small.size(), 16, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) {
      const uint32_t k = small[i];
      Status sst;
      depth[k] = build_tree(refs.data() + meshes[k].begin, meshes[k].end - meshes[k].begin, bp, mesh_nodes[k], false,
                            ctl, sst);
    }
  }, ctl);
  if (status != Status::Ok) return status;

  // Concatenate: node and triangle indices become global.
  uint64_t total_nodes = 0;
  for (auto& v : mesh_nodes) total_nodes += v.size();
  bvh.blas_nodes.reserve(total_nodes);
  for (uint32_t k = 0; k < meshes.size(); ++k) {
    const uint32_t node_off = uint32_t(bvh.blas_nodes.size());
    for (BvhNode nd : mesh_nodes[k]) {
      nd.first += nd.count ? meshes[k].begin : node_off;
      bvh.blas_nodes.push_back(nd);
    }
    bvh.blas_nodes[node_off + 1] = BvhNode{{0, 0, 0}, 0, {0, 0, 0}, 0};  // the alignment slot is never read
    bvh.mesh_root[meshes[k].mesh] = node_off;
    std::memcpy(&bvh.mesh_bounds[6 * meshes[k].mesh], bvh.blas_nodes[node_off].lo, 12);
    std::memcpy(&bvh.mesh_bounds[6 * meshes[k].mesh + 3], bvh.blas_nodes[node_off].hi, 12);
    st.max_depth = std::max(st.max_depth, depth[k]);
    BvhNodeArray().swap(mesh_nodes[k]);
  }
  bvh.tris.resize(refs.size());
  status = parallel_for(refs.size(), 1 << 15, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) {
      const uint32_t t = refs[i].id;
      BvhTri& tri = bvh.tris[i];
      for (int a = 0; a < 3; ++a) {
        tri.v0[a] = s.positions[3ull * s.indices[3 * t] + a];
        tri.v1[a] = s.positions[3ull * s.indices[3 * t + 1] + a];
        tri.v2[a] = s.positions[3ull * s.indices[3 * t + 2] + a];
      }
      tri.prim = t, tri.pad = 0;
    }
  }, ctl);
  if (status != Status::Ok) return status;
  // Mesh of each stored triangle (for kernels that need per-mesh data).
  for (const MeshRange& mr : meshes)
    for (uint32_t i = mr.begin; i < mr.end; ++i) bvh.tris[i].mesh = mr.mesh;

  uint32_t tdepth = 0;
  status = build_tlas(bvh, s.instance_transforms, bvh.instance_mesh_, st.skipped_instances, tdepth, ctl);
  if (status != Status::Ok) return status;
  std::vector<uint64_t> mesh_valid(s.mesh_count, 0);
  for (const MeshRange& mr : meshes) mesh_valid[mr.mesh] = mr.end - mr.begin;
  for (const BvhInstance& in : bvh.instances) st.instanced_triangles += mesh_valid[in.mesh];
  st.blas_nodes = bvh.blas_nodes.size(), st.tlas_nodes = bvh.tlas_nodes.size();
  st.bytes = st.blas_nodes * sizeof(BvhNode) + st.tlas_nodes * sizeof(BvhNode) + bvh.tris.size() * sizeof(BvhTri) +
             bvh.instances.size() * sizeof(BvhInstance);
  st.max_depth = std::max(st.max_depth, tdepth);
  st.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out = std::move(bvh);
  return Status::Ok;
}

Status refit_scene_bvh(SceneBvh& bvh, const float* transforms, const JobControl& ctl) {
  if (bvh.flat_instance_count_ && !transforms) return Status::InvalidArgument;
  if (ctl.cancelled()) return Status::Cancelled;
  // Refit in place when the set of valid instances is unchanged (the common case: things moved); otherwise
  // (an instance became singular or valid again) rebuild the TLAS, which is cheap next to the BLASes.
  std::vector<PrimRef> refs;
  std::vector<BvhInstance> recs;
  uint64_t skipped = 0;
  make_instance_refs(bvh, transforms, bvh.instance_mesh_, refs, recs, skipped);
  bool same = recs.size() == bvh.instances.size() && skipped == bvh.stats_.skipped_instances;
  std::vector<uint32_t> slot_of(bvh.flat_instance_count_, kBvhInvalid);
  for (uint32_t k = 0; k < recs.size(); ++k) slot_of[recs[k].instance] = k;
  for (const BvhInstance& in : bvh.instances) same = same && slot_of[in.instance] != kBvhInvalid;
  {
    std::lock_guard<std::mutex> lock(bvh.device_mutex_);
    bvh.device_.reset();
  }
  if (!same) {
    uint32_t depth = 0;
    const Status st = build_tlas(bvh, transforms, bvh.instance_mesh_, bvh.stats_.skipped_instances, depth, ctl);
    bvh.stats_.tlas_nodes = bvh.tlas_nodes.size();
    return st;
  }
  for (BvhInstance& in : bvh.instances) in = recs[slot_of[in.instance]];
  for (size_t i = bvh.tlas_nodes.size(); i-- > 0;) {
    BvhNode& n = bvh.tlas_nodes[i];
    if (i == 1 && bvh.tlas_nodes.size() > 1) continue;  // alignment slot
    Box b;
    if (n.count) {
      for (uint32_t k = n.first; k < n.first + n.count; ++k) {
        const PrimRef& r = refs[slot_of[bvh.instances[k].instance]];
        b.grow(r.lo, r.hi);
      }
    } else {
      b.grow(bvh.tlas_nodes[n.first].lo, bvh.tlas_nodes[n.first].hi);
      b.grow(bvh.tlas_nodes[n.first + 1].lo, bvh.tlas_nodes[n.first + 1].hi);
    }
    std::memcpy(n.lo, b.lo, 12), std::memcpy(n.hi, b.hi, 12);
  }
  return Status::Ok;
}

}  // namespace ote
