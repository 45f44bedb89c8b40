// Binned-SAH builder for both BVH levels, and the TLAS refit.
//
// One builder serves the BLAS (triangles) and the TLAS (instances): it partitions an array of PrimRefs in place
// so that every leaf is a contiguous range, building a binary tree. Large ranges are split on the calling thread
// (breadth first) until there are enough independent subtrees, which the thread pool then builds; each subtree
// writes to its own node vector and the vectors are appended in order. The binary tree is then collapsed into
// the 8-wide BvhNode layout, choosing each node's children for the least SAH cost (plan_collapse), with children
// at higher indices than their parent (the refit relies on it), and BLAS leaves are packed into BvhTri4 packets.
// Meshes drawn by one instance (and small meshes drawn by a few) are transformed to world space first and built
// as one mesh, the world BLAS, whose nodes and packets come first (its root is node 0).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "ote/flat_scene_check.h"
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

// Binary build node: children at first and first + 1 (count == 0), or the leaf refs [first, first + count).
struct BinNode {
  float lo[3];
  uint32_t first;
  float hi[3];
  uint32_t count;
};
using BinNodes = std::vector<BinNode>;

struct Range {
  uint32_t node, begin, end, depth;
};

struct BuildParams {
  uint32_t max_leaf;
  float c_trav;
  uint32_t bins;
  uint32_t block_shift;  // leaf primitives are tested in blocks of 1 << block_shift (BvhTri4: 2)
};

// Builds over refs[begin, end) into `nodes` (node 0 is the root, node 1 unused).
class Builder {
 public:
  Builder(PrimRef* refs, const BuildParams& p) : refs_(refs), p_(p) {}

  void set_leaf(BinNodes& nodes, uint32_t node, const Box& b, uint32_t begin, uint32_t end) {
    BinNode& n = nodes[node];
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

  // SAH intersection cost of n primitives: a partly filled SIMD block costs as much as a full one.
  float blocks(uint32_t n) const { return float((n + (1u << p_.block_shift) - 1) >> p_.block_shift); }

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
          const float cost = left.half_area() * blocks(ln) + right_area[b + 1] * blocks(right_count[b + 1]);
          if (cost < best_cost) best_cost = cost, best_axis = a, best_bin = b + 1;
        }
      }
    }
    const float area = box.half_area();
    const float leaf_cost = blocks(count);
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
  void build_subtree(BinNodes& nodes, uint32_t node, uint32_t begin, uint32_t end, uint32_t depth,
                     uint32_t& max_depth) {
    Range stack[128];
    int sp = 0;
    stack[sp++] = {node, begin, end, depth};
    while (sp) {
      const Range r = stack[--sp];
      max_depth = std::max(max_depth, r.depth);
      Range left, right;
      if (expand(nodes, r, left, right)) stack[sp++] = right, stack[sp++] = left;
    }
  }

  // One step of either build order: node r.node becomes a leaf (false), or an interior node whose two children
  // are appended to `nodes` and returned as the ranges still to build.
  bool expand(BinNodes& nodes, const Range& r, Range& left, Range& right) {
    Box cbox;
    const Box box = bounds(r.begin, r.end, &cbox);
    const uint32_t m = split(box, cbox, r.begin, r.end, r.depth);
    if (!m) {
      set_leaf(nodes, r.node, box, r.begin, r.end);
      return false;
    }
    const uint32_t first = uint32_t(nodes.size());
    nodes.resize(nodes.size() + 2);
    BinNode& n = nodes[r.node];
    std::memcpy(n.lo, box.lo, 12), std::memcpy(n.hi, box.hi, 12);
    n.first = first, n.count = 0;
    left = {first, r.begin, m, r.depth + 1};
    right = {first + 1, m, r.end, r.depth + 1};
    return true;
  }

 private:
  PrimRef* refs_;
  BuildParams p_;
};

// Build over refs[0, n) into `nodes` (root at nodes[base]; appended). Returns the max depth.
uint32_t build_tree(PrimRef* refs, uint32_t n, const BuildParams& p, BinNodes& nodes, bool parallel,
                    const JobControl& ctl, Status& status) {
  const uint32_t base = uint32_t(nodes.size());
  nodes.resize(base + 2);  // root + alignment slot
  nodes[base + 1] = BinNode{{0, 0, 0}, 0, {0, 0, 0}, 0};
  Builder b(refs, p);
  uint32_t max_depth = 0;
  status = Status::Ok;
  const uint32_t threads = thread_count();
  if (!parallel || threads == 1 || n < 4096) {
    BinNodes local;
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
      Range left, right;
      if (b.expand(nodes, r, left, right)) next.push_back(left), next.push_back(right);
    }
    todo.swap(next);
  }
  std::vector<BinNodes> locals(deferred.size());
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
    BinNodes& l = locals[k];
    for (auto& nd : l)
      if (!nd.count) nd.first += off;
    nodes[deferred[k].node] = l[0];
    nodes.insert(nodes.end(), l.begin() + 2, l.end());
    BinNodes().swap(l);
  }
  return max_depth;
}

// Which binary nodes each wide node holds, chosen to minimise the SAH cost of the wide tree (after Ylitie, Karras
// and Laine 2017). The leaves are the binary tree's, so every choice tests the same packets; what differs is the
// summed area of the wide nodes, that is how many node tests an average ray makes. For each binary node b and
// k <= kBvhWidth, cover[b][k] is the least summed area of the wide nodes below a cover of b's subtree by at most k
// child entries: 0 for a leaf entry, and for an interior entry its own area plus the best cover of its children by
// kBvhWidth entries. Against opening the largest child greedily (Wald et al. 2008) it takes 2-18% fewer node tests
// on the bench scenes' incoherent rays, at the same packet tests.
struct CollapsePlan {
  std::vector<std::array<float, kBvhWidth + 1>> cover;    // cover[b][k], k = 1..kBvhWidth
  std::vector<std::array<uint8_t, kBvhWidth + 1>> split;  // 0: b itself is the entry; else the left child's share
  std::vector<uint8_t> wide_split;                        // b as a wide node: the left child's share of its slots
};

CollapsePlan plan_collapse(const BinNodes& bin) {
  CollapsePlan p;
  const size_t n = bin.size();
  p.cover.resize(n), p.split.resize(n), p.wide_split.assign(n, 0);
  // Children have higher indices than their parents (build_tree), so a backward pass sees children first.
  for (size_t b = n; b-- > 0;) {
    if (b == 1) continue;  // the unused alignment slot
    const BinNode& nd = bin[b];
    auto& cover = p.cover[b];
    auto& split = p.split[b];
    if (nd.count) {
      cover.fill(0.0f), split.fill(0);
      continue;
    }
    // Best covers of the two children together by k entries, k >= 2 (at least one each).
    const auto &l = p.cover[nd.first], &r = p.cover[nd.first + 1];
    float both[kBvhWidth + 1];
    uint8_t both_split[kBvhWidth + 1];
    for (int k = 2; k <= kBvhWidth; ++k) {
      both[k] = INFINITY, both_split[k] = 1;
      for (int k1 = 1; k1 < k; ++k1)
        if (l[k1] + r[k - k1] < both[k]) both[k] = l[k1] + r[k - k1], both_split[k] = uint8_t(k1);
    }
    Box bx;
    bx.grow(nd.lo, nd.hi);
    const float wide = bx.half_area() + both[kBvhWidth];  // b as one entry: a wide node of its own
    p.wide_split[b] = both_split[kBvhWidth];
    cover[0] = cover[1] = wide, split[0] = split[1] = 0;
    for (int k = 2; k <= kBvhWidth; ++k) {
      const bool open = both[k] < wide;
      cover[k] = open ? both[k] : wide, split[k] = open ? both_split[k] : 0;
    }
  }
  return p;
}

// Appends the entries of the planned cover of b's subtree by at most k slots.
void plan_entries(const BinNodes& bin, const CollapsePlan& p, uint32_t b, int k, uint32_t* slot, int& n) {
  const int k1 = p.split[b][k];
  if (!k1) {
    slot[n++] = b;
    return;
  }
  plan_entries(bin, p, bin[b].first, k1, slot, n);
  plan_entries(bin, p, bin[b].first + 1, k - k1, slot, n);
}

// Collapses the binary tree `bin` (root at 0, slot 1 unused) into kBvhWidth-wide nodes appended to `out` as
// `plan` says, returning the root's index. `leaf(first, count)` turns a binary leaf into a child ref. Parents are
// appended before their children, so children always have higher indices (the refit relies on it).
template <typename LeafFn>
uint32_t collapse(const BinNodes& bin, const CollapsePlan& plan, uint32_t b, BvhNodeArray& out, LeafFn& leaf) {
  const uint32_t idx = uint32_t(out.size());
  out.emplace_back();
  uint32_t slot[kBvhWidth];
  int n = 0;
  if (bin[b].count) {
    slot[n++] = b;  // a tree that is one leaf: the root node has one child
  } else {
    const int k1 = plan.wide_split[b];
    plan_entries(bin, plan, bin[b].first, k1, slot, n);
    plan_entries(bin, plan, bin[b].first + 1, kBvhWidth - k1, slot, n);
  }
  BvhNode node;
  for (int k = 0; k < kBvhWidth; ++k) {
    for (int a = 0; a < 3; ++a) node.box[2 * a][k] = INFINITY, node.box[2 * a + 1][k] = -INFINITY;
    node.child[k] = kBvhInvalid, node.pad[k] = 0;
  }
  for (int k = 0; k < n; ++k) {
    const BinNode& c = bin[slot[k]];
    for (int a = 0; a < 3; ++a) node.box[2 * a][k] = c.lo[a], node.box[2 * a + 1][k] = c.hi[a];
    node.child[k] = c.count ? leaf(c.first, c.count) : collapse(bin, plan, slot[k], out, leaf);
  }
  out[idx] = node;
  return idx;
}

template <typename LeafFn>
uint32_t collapse_tree(const BinNodes& bin, BvhNodeArray& out, LeafFn& leaf) {
  return collapse(bin, plan_collapse(bin), 0, out, leaf);
}

// Determinant of the 3x3 part of a column-major 4x4, in double.
double affine_det(const float* m) {
  const double a = m[0], b = m[4], c = m[8], d = m[1], e = m[5], f = m[9], g = m[2], h = m[6], i = m[10];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

// Inverse of the affine part of a column-major 4x4, as 3 rows of [r | t]. False when singular or not finite.
bool invert_affine(const float* m, float* out) {
  const double a = m[0], b = m[4], c = m[8], d = m[1], e = m[5], f = m[9], g = m[2], h = m[6], i = m[10];
  const double det = affine_det(m);
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

// Which instances are merged into the world BLAS (only instances with a finite, invertible matrix; a singular one
// is skipped, as in the TLAS). Meshes drawn by one instance always are: they cost no copy. Meshes drawn several
// times are copied there too, smallest first, while the copies add at most copy_budget x the scene's stored
// triangles: a bolt drawn twenty times then costs twenty overlapping TLAS records no more, and instanced foliage,
// whose copies would multiply the memory, keeps its BLAS.
std::vector<uint8_t> merge_plan(const FlatScene& s, const BvhBuildOptions& o) {
  std::vector<uint8_t> merged(s.instance_count, 0);
  if (!o.merge_into_world) return merged;
  std::vector<uint8_t> ok(s.instance_count);
  std::vector<uint32_t> uses(s.mesh_count, 0);
  float inverse[12];
  for (uint32_t i = 0; i < s.instance_count; ++i) {
    ok[i] = invert_affine(s.instance_transforms + 16ull * i, inverse);
    uses[s.instance_mesh[i]] += ok[i];
  }
  auto tris = [&](uint32_t m) { return uint64_t(s.mesh_first_triangle[m + 1] - s.mesh_first_triangle[m]); };
  std::vector<uint8_t> to_world(s.mesh_count, 0);
  std::vector<uint32_t> shared;
  for (uint32_t m = 0; m < s.mesh_count; ++m) {
    to_world[m] = uses[m] == 1;
    if (uses[m] > 1) shared.push_back(m);
  }
  std::sort(shared.begin(), shared.end(), [&](uint32_t a, uint32_t b) { return tris(a) != tris(b) ? tris(a) < tris(b) : a < b; });
  const double budget = std::max(0.0, double(o.copy_budget)) * double(s.triangle_count);
  double spent = 0.0;
  for (uint32_t m : shared) {
    const double copies = double(tris(m)) * double(uses[m] - 1);
    if (spent + copies > budget) continue;
    spent += copies;
    to_world[m] = 1;
  }
  for (uint32_t i = 0; i < s.instance_count; ++i) merged[i] = ok[i] && to_world[s.instance_mesh[i]];
  return merged;
}

// Corners of triangle t: object space, or world space under the column-major matrix m (the world BLAS). The build
// and the refit both call this, so a refit with unchanged matrices reproduces the built corners exactly.
inline void triangle_corners(const FlatScene& s, uint64_t t, const float* m, Vec3 p[3]) {
  for (int c = 0; c < 3; ++c) {
    p[c] = load_vec3(s.positions, s.indices[3 * t + c]);
    if (m) p[c] = transform_point(m, p[c]);
  }
}

// Writes triangle t into lane l of a packet: object space (m == nullptr), or world space under m with corners 1
// and 2 swapped where m mirrors (see kSlotMirrored). Returns the lane's slot_instance flag.
inline uint32_t store_lane(const FlatScene& s, uint32_t t, const float* m, BvhTri4& p, int l) {
  Vec3 q[3];
  triangle_corners(s, t, m, q);
  const bool mirrored = m && affine_det(m) < 0.0;  // a mirror
  if (mirrored) std::swap(q[1], q[2]);
  for (int c = 0; c < 3; ++c) p.v[c][0][l] = q[c].x, p.v[c][1][l] = q[c].y, p.v[c][2][l] = q[c].z;
  p.prim[l] = t;
  return mirrored ? kSlotMirrored : 0u;
}

// Union of a wide node's child boxes.
Box node_bounds(const BvhNode& n) {
  Box b;
  for (int j = 0; j < kBvhWidth; ++j) {
    if (n.child[j] == kBvhInvalid) continue;
    const float lo[3] = {n.box[0][j], n.box[2][j], n.box[4][j]}, hi[3] = {n.box[1][j], n.box[3][j], n.box[5][j]};
    b.grow(lo, hi);
  }
  return b;
}

// The key of a TLAS record in refit bookkeeping: its FlatScene instance, or one past the last for the world BLAS.
inline uint32_t record_key(const SceneBvh& bvh, const BvhInstance& rec) {
  return rec.instance == kBvhInvalid ? bvh.flat_instance_count() : rec.instance;
}

// TLAS PrimRefs and records: the world BLAS's record first (if it holds anything), then the valid instances that
// are not merged, in FlatScene order.
void make_instance_refs(const SceneBvh& bvh, const float* transforms, const std::vector<uint32_t>& inst_mesh,
                        const std::vector<uint8_t>& merged, const std::vector<uint32_t>& mesh_valid,
                        std::vector<PrimRef>& refs, std::vector<BvhInstance>& recs, uint64_t& skipped) {
  refs.clear(), recs.clear(), skipped = 0;
  if (bvh.world_nodes) {
    BvhInstance rec{};
    rec.world_to_object[0] = rec.world_to_object[5] = rec.world_to_object[10] = 1.0f;
    rec.blas_root = 0, rec.instance = kBvhInvalid, rec.mesh = kBvhInvalid;
    const Box w = node_bounds(bvh.blas_nodes[0]);
    PrimRef r{};
    std::memcpy(r.lo, w.lo, 12), std::memcpy(r.hi, w.hi, 12);
    refs.push_back(r);
    recs.push_back(rec);
  }
  for (uint32_t i = 0; i < inst_mesh.size(); ++i) {
    const uint32_t mesh = inst_mesh[i];
    if (merged[i]) {
      skipped += mesh_valid[mesh] == 0;
      continue;
    }
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
                  const std::vector<uint8_t>& merged, const std::vector<uint32_t>& mesh_valid, uint64_t& skipped,
                  uint32_t& depth, const JobControl& ctl) {
  std::vector<PrimRef> refs;
  std::vector<BvhInstance> recs;
  make_instance_refs(bvh, transforms, inst_mesh, merged, mesh_valid, refs, recs, skipped);
  bvh.tlas_nodes.clear(), bvh.instances.clear();
  depth = 0;
  if (refs.empty()) return Status::Ok;
  if (refs.size() > kBvhLeafMaxFirst) return Status::InvalidArgument;
  Status st;
  // Instances are expensive to enter, so TLAS leaves hold one unless SAH cannot separate them.
  const BuildParams p{1, 0.5f, 32, 0};
  BinNodes bin;
  depth = build_tree(refs.data(), uint32_t(refs.size()), p, bin, true, ctl, st);
  if (st != Status::Ok) return st;
  auto leaf = [](uint32_t first, uint32_t count) { return bvh_make_leaf(first, count); };
  collapse_tree(bin, bvh.tlas_nodes, leaf);
  bvh.instances.reserve(refs.size());
  for (const PrimRef& r : refs) bvh.instances.push_back(recs[r.id]);
  return Status::Ok;
}

// Bottom-up refit of nodes [0, count): each child box becomes the union of its child node's boxes, or for a leaf
// `leaf_box(first, count, box)`. Children have higher indices than their parents (collapse()), so one backward pass
// sees every child before its parent.
template <typename LeafBox>
void refit_nodes(BvhNodeArray& nodes, size_t count, const LeafBox& leaf_box) {
  for (size_t i = count; i-- > 0;) {
    BvhNode& n = nodes[i];
    for (int c = 0; c < kBvhWidth; ++c) {
      const uint32_t r = n.child[c];
      if (r == kBvhInvalid) continue;
      Box b;
      if (bvh_is_leaf(r)) leaf_box(bvh_leaf_first(r), bvh_leaf_count(r), b);
      else b = node_bounds(nodes[r]);
      for (int a = 0; a < 3; ++a) n.box[2 * a][c] = b.lo[a], n.box[2 * a + 1][c] = b.hi[a];
    }
  }
}

// Refit of the world BLAS (nodes [0, world_nodes)) after some of its triangles moved.
void refit_world_blas(SceneBvh& bvh) {
  refit_nodes(bvh.blas_nodes, bvh.world_nodes, [&](uint32_t first, uint32_t count, Box& b) {
    for (uint32_t k = first; k < first + count; ++k)
      for (int l = 0; l < 4; ++l) {
        const BvhTri4& p = bvh.tris[k];
        if (p.prim[l] == kBvhInvalid) continue;  // padding
        for (int v = 0; v < 3; ++v) {
          const float q[3] = {p.v[v][0][l], p.v[v][1][l], p.v[v][2][l]};
          b.grow_point(q);
        }
      }
  });
}

}  // namespace

SceneBvh::SceneBvh() = default;
SceneBvh::~SceneBvh() = default;
SceneBvh::SceneBvh(SceneBvh&& o) noexcept { *this = std::move(o); }
SceneBvh& SceneBvh::operator=(SceneBvh&& o) noexcept {
  if (this == &o) return *this;
  blas_nodes = std::move(o.blas_nodes), tris = std::move(o.tris), mesh_root = std::move(o.mesh_root);
  tlas_nodes = std::move(o.tlas_nodes), instances = std::move(o.instances), mesh_bounds = std::move(o.mesh_bounds);
  slot_instance = std::move(o.slot_instance);
  world_nodes = o.world_nodes, world_packets = o.world_packets;
  stats_ = o.stats_, options_ = o.options_;
  flat_vertex_count_ = o.flat_vertex_count_, flat_mesh_count_ = o.flat_mesh_count_;
  flat_instance_count_ = o.flat_instance_count_, flat_triangle_count_ = o.flat_triangle_count_;
  instance_mesh_ = std::move(o.instance_mesh_), merged_ = std::move(o.merged_);
  merged_transforms_ = std::move(o.merged_transforms_), mesh_valid_ = std::move(o.mesh_valid_);
  std::lock_guard<std::mutex> lock(device_mutex_);
  device_ = std::move(o.device_);
  return *this;
}

SceneBvhView SceneBvh::view() const {
  SceneBvhView v;
  v.blas_nodes = blas_nodes.data(), v.tris = tris.data();
  v.tlas_nodes = tlas_nodes.data(), v.instances = instances.data(), v.slot_instance = slot_instance.data();
  v.tlas_node_count = uint32_t(tlas_nodes.size()), v.instance_count = uint32_t(instances.size());
  return v;
}

Status build_scene_bvh(const FlatScene& s, const BvhBuildOptions& o, SceneBvh& out, const JobControl& ctl) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!check_flat_scene(s)) return Status::InvalidArgument;

  SceneBvh bvh;
  BvhStats& st = bvh.stats_;
  bvh.options_ = o;
  bvh.flat_vertex_count_ = s.vertex_count, bvh.flat_mesh_count_ = s.mesh_count;
  bvh.flat_instance_count_ = s.instance_count, bvh.flat_triangle_count_ = s.triangle_count;
  bvh.instance_mesh_.assign(s.instance_mesh, s.instance_mesh + s.instance_count);
  bvh.mesh_root.assign(s.mesh_count, kBvhInvalid);
  bvh.mesh_bounds.assign(6ull * s.mesh_count, 0.0f);
  bvh.mesh_valid_.assign(s.mesh_count, 0);
  // At most kBvhLeafMaxCount packets of four per leaf.
  const BuildParams bp{std::max(1u, std::min(o.max_leaf_size, 4 * kBvhLeafMaxCount)), o.traversal_cost, o.bins, 2};

  // The triangles to build, as (triangle, instance) items: first every merged instance's triangles (the world BLAS,
  // read through that instance's matrix; a mesh copied for several instances appears once per instance), then
  // every other mesh's triangles in object space (instance kBvhInvalid).
  bvh.merged_ = merge_plan(s, o);
  std::vector<uint8_t> valid(s.triangle_count);  // judged as stored (object space); the rest are counted and dropped
  Status status = parallel_for(s.triangle_count, 1 << 15, [&](uint64_t b, uint64_t e) {
    for (uint64_t t = b; t < e; ++t) {
      Vec3 p[3];
      triangle_corners(s, t, nullptr, p);
      valid[t] = !measure_triangle(p[0], p[1], p[2]).degenerate;
    }
  }, ctl);
  if (status != Status::Ok) return status;
  std::vector<uint8_t> in_world(s.mesh_count, 0);
  for (uint32_t m = 0; m < s.mesh_count; ++m) {
    for (uint32_t t = s.mesh_first_triangle[m]; t < s.mesh_first_triangle[m + 1]; ++t) bvh.mesh_valid_[m] += valid[t];
    st.degenerate_triangles += (s.mesh_first_triangle[m + 1] - s.mesh_first_triangle[m]) - bvh.mesh_valid_[m];
  }
  struct Item { uint32_t tri, inst; };
  std::vector<Item> items;
  for (uint32_t i = 0; i < s.instance_count; ++i) {
    if (!bvh.merged_[i]) continue;
    const uint32_t m = s.instance_mesh[i];
    in_world[m] = 1;
    for (uint32_t t = s.mesh_first_triangle[m]; t < s.mesh_first_triangle[m + 1]; ++t)
      if (valid[t]) items.push_back({t, i});
    bvh.merged_transforms_.insert(bvh.merged_transforms_.end(), s.instance_transforms + 16ull * i,
                                  s.instance_transforms + 16ull * i + 16);
  }
  const uint64_t world_items = items.size();
  for (uint32_t m = 0; m < s.mesh_count; ++m) {
    if (in_world[m]) continue;
    for (uint32_t t = s.mesh_first_triangle[m]; t < s.mesh_first_triangle[m + 1]; ++t)
      if (valid[t]) items.push_back({t, kBvhInvalid});
  }
  if (items.size() > UINT32_MAX) return Status::InvalidArgument;
  std::vector<uint8_t>().swap(valid);
  auto matrix_of = [&](const Item& it) {
    return it.inst == kBvhInvalid ? nullptr : s.instance_transforms + 16ull * it.inst;
  };

  // PrimRefs: the meshes' ranges first, in FlatScene order, then the world BLAS's. A world copy that transforms
  // to a non-finite or zero-area triangle (a matrix near overflow or singularity) is dropped from the tail.
  std::vector<PrimRef> refs(items.size());
  const uint32_t world_begin = uint32_t(items.size() - world_items);
  status = parallel_for(items.size(), 1 << 15, [&](uint64_t b, uint64_t e) {
    for (uint64_t k = b; k < e; ++k) {
      Vec3 p[3];
      triangle_corners(s, items[k].tri, matrix_of(items[k]), p);
      const TriangleMeasure tm = measure_triangle(p[0], p[1], p[2]);
      const uint64_t r = k < world_items ? world_begin + k : k - world_items;
      refs[r] = PrimRef{{tm.lo.x, tm.lo.y, tm.lo.z}, uint32_t(k), {tm.hi.x, tm.hi.y, tm.hi.z}, tm.degenerate};
    }
  }, ctl);
  if (status != Status::Ok) return status;
  refs.erase(std::remove_if(refs.begin() + world_begin, refs.end(), [](const PrimRef& r) { return r.pad != 0; }),
             refs.end());
  uint64_t world_stored = 0;
  for (uint32_t m = 0; m < s.mesh_count; ++m) {
    st.triangles += bvh.mesh_valid_[m];
    world_stored += in_world[m] ? bvh.mesh_valid_[m] : 0;
  }
  st.copied_triangles = world_items - world_stored;

  // Groups of PrimRefs, each built into one BLAS: the world BLAS first, so that its nodes and packets come first,
  // then every other mesh.
  constexpr uint32_t kWorldGroup = kBvhInvalid;
  struct MeshRange { uint32_t mesh, begin, end; };
  std::vector<MeshRange> meshes;
  if (refs.size() > world_begin) meshes.push_back({kWorldGroup, world_begin, uint32_t(refs.size())});
  for (uint32_t m = 0, r = 0; m < s.mesh_count; ++m) {
    if (in_world[m] || !bvh.mesh_valid_[m]) continue;
    meshes.push_back({m, r, r + bvh.mesh_valid_[m]});
    r += bvh.mesh_valid_[m];
  }

  // Big meshes one at a time with a parallel build; small ones many at a time, one thread each. Each mesh's
  // binary tree is collapsed into its own wide node vector with mesh-local indices; its leaves become runs of
  // packets, listed in `packets` as (first triangle ref, count) pairs.
  struct MeshTree {
    BvhNodeArray nodes;
    std::vector<std::pair<uint32_t, uint32_t>> packets;
    float lo[3], hi[3];
  };
  std::vector<MeshTree> trees(meshes.size());
  std::vector<uint32_t> depth(meshes.size(), 0);
  auto finish_mesh = [&](uint32_t k, const BinNodes& bin) {
    MeshTree& mt = trees[k];
    std::memcpy(mt.lo, bin[0].lo, 12), std::memcpy(mt.hi, bin[0].hi, 12);
    auto leaf = [&mt](uint32_t first, uint32_t count) {
      const uint32_t p0 = uint32_t(mt.packets.size()), np = (count + 3) / 4;
      for (uint32_t i = 0; i < np; ++i) mt.packets.push_back({first + 4 * i, std::min(4u, count - 4 * i)});
      return bvh_make_leaf(p0, np);
    };
    collapse_tree(bin, mt.nodes, leaf);
  };
  std::vector<uint32_t> small;
  for (uint32_t k = 0; k < meshes.size(); ++k) {
    const uint32_t n = meshes[k].end - meshes[k].begin;
    if (n >= 65536) {
      Status sst;
      BinNodes bin;
      depth[k] = build_tree(refs.data() + meshes[k].begin, n, bp, bin, true, ctl, sst);
      if (sst != Status::Ok) return sst;
      finish_mesh(k, bin);
    } else {
      small.push_back(k);
    }
  }
  status = parallel_for(small.size(), 16, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) {
      const uint32_t k = small[i];
      Status sst;
      BinNodes bin;
      depth[k] = build_tree(refs.data() + meshes[k].begin, meshes[k].end - meshes[k].begin, bp, bin, false, ctl, sst);
      finish_mesh(k, bin);
    }
  }, ctl);
  if (status != Status::Ok) return status;

  // Concatenate: node and packet indices become global.
  uint64_t total_nodes = 0, total_packets = 0;
  for (const MeshTree& mt : trees) total_nodes += mt.nodes.size(), total_packets += mt.packets.size();
  if (total_packets > kBvhLeafMaxFirst || total_nodes >= kBvhLeafBit) return Status::InvalidArgument;
  bvh.blas_nodes.reserve(total_nodes);
  std::vector<std::pair<uint32_t, uint32_t>> packet_src;  // global: first ref (global), count
  packet_src.reserve(total_packets);
  for (uint32_t k = 0; k < meshes.size(); ++k) {
    MeshTree& mt = trees[k];
    const uint32_t node_off = uint32_t(bvh.blas_nodes.size()), packet_off = uint32_t(packet_src.size());
    for (BvhNode nd : mt.nodes) {
      for (int c = 0; c < kBvhWidth; ++c) {
        const uint32_t r = nd.child[c];
        if (r == kBvhInvalid) continue;
        nd.child[c] = bvh_is_leaf(r) ? bvh_make_leaf(bvh_leaf_first(r) + packet_off, bvh_leaf_count(r)) : r + node_off;
      }
      bvh.blas_nodes.push_back(nd);
    }
    for (const auto& pk : mt.packets) packet_src.push_back({pk.first + meshes[k].begin, pk.second});
    if (meshes[k].mesh == kWorldGroup) {
      bvh.world_nodes = uint32_t(mt.nodes.size()), bvh.world_packets = uint32_t(mt.packets.size());  // node_off is 0
    } else {
      bvh.mesh_root[meshes[k].mesh] = node_off;
      std::memcpy(&bvh.mesh_bounds[6 * meshes[k].mesh], mt.lo, 12);
      std::memcpy(&bvh.mesh_bounds[6 * meshes[k].mesh + 3], mt.hi, 12);
    }
    st.max_depth = std::max(st.max_depth, depth[k]);
    BvhNodeArray().swap(mt.nodes);
    std::vector<std::pair<uint32_t, uint32_t>>().swap(mt.packets);
  }
  bvh.tris.resize(packet_src.size());
  bvh.slot_instance.assign(4ull * bvh.world_packets, kBvhInvalid);
  status = parallel_for(packet_src.size(), 1 << 13, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) {
      BvhTri4& p = bvh.tris[i];
      for (uint32_t l = 0; l < 4; ++l) {
        if (l >= packet_src[i].second) {  // padding lane: NaN corners never hit
          for (int c = 0; c < 3; ++c)
            for (int a = 0; a < 3; ++a) p.v[c][a][l] = NAN;
          p.prim[l] = kBvhInvalid;
          continue;
        }
        const Item& it = items[refs[packet_src[i].first + l].id];
        const uint32_t flag = store_lane(s, it.tri, matrix_of(it), p, int(l));
        if (i < bvh.world_packets) bvh.slot_instance[4 * i + l] = it.inst | flag;
      }
    }
  }, ctl);
  if (status != Status::Ok) return status;

  uint32_t tdepth = 0;
  status = build_tlas(bvh, s.instance_transforms, bvh.instance_mesh_, bvh.merged_, bvh.mesh_valid_,
                      st.skipped_instances, tdepth, ctl);
  if (status != Status::Ok) return status;
  for (const BvhInstance& in : bvh.instances)
    if (in.instance != kBvhInvalid) st.instanced_triangles += bvh.mesh_valid_[in.mesh];
  for (uint32_t i = 0; i < s.instance_count; ++i)
    if (bvh.merged_[i] && bvh.mesh_valid_[s.instance_mesh[i]]) {
      ++st.merged_instances;
      st.instanced_triangles += bvh.mesh_valid_[s.instance_mesh[i]];
    }
  st.blas_nodes = bvh.blas_nodes.size(), st.tlas_nodes = bvh.tlas_nodes.size();
  st.bytes = st.blas_nodes * sizeof(BvhNode) + st.tlas_nodes * sizeof(BvhNode) + bvh.tris.size() * sizeof(BvhTri4) +
             bvh.instances.size() * sizeof(BvhInstance) + bvh.slot_instance.size() * sizeof(uint32_t);
  st.max_depth = std::max(st.max_depth, tdepth);
  st.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out = std::move(bvh);
  return Status::Ok;
}

Status refit_scene_bvh(SceneBvh& bvh, const FlatScene& s, const JobControl& ctl) {
  // The scene must be the one the BVH was built from, apart from the instance matrices.
  if (s.vertex_count != bvh.flat_vertex_count_ || s.triangle_count != bvh.flat_triangle_count_ ||
      s.mesh_count != bvh.flat_mesh_count_ || s.instance_count != bvh.flat_instance_count_)
    return Status::InvalidArgument;
  if (s.instance_count && (!s.instance_mesh || !s.instance_transforms)) return Status::InvalidArgument;
  if (!std::equal(bvh.instance_mesh_.begin(), bvh.instance_mesh_.end(), s.instance_mesh)) return Status::InvalidArgument;
  if (ctl.cancelled()) return Status::Cancelled;
  {
    std::lock_guard<std::mutex> lock(bvh.device_mutex_);
    bvh.device_.reset();
  }
  // A matrix that became singular (or invertible) changes which meshes are merged: build everything again.
  if (merge_plan(s, bvh.options_) != bvh.merged_) {
    if (!s.positions || !s.indices || !s.mesh_first_triangle) return Status::InvalidArgument;
    SceneBvh fresh;
    const Status st = build_scene_bvh(s, bvh.options_, fresh, ctl);
    if (st == Status::Ok) bvh = std::move(fresh);
    return st;
  }

  // Merged instances that moved: their triangles in the world BLAS are transformed again, then its boxes refitted.
  std::vector<uint8_t> moved(s.instance_count, 0);
  bool any_moved = false;
  for (uint32_t i = 0, k = 0; i < s.instance_count; ++i) {
    if (!bvh.merged_[i]) continue;
    float* kept = &bvh.merged_transforms_[16ull * k++];
    const float* now = s.instance_transforms + 16ull * i;
    if (std::memcmp(kept, now, 16 * sizeof(float)) == 0) continue;
    std::memcpy(kept, now, 16 * sizeof(float));
    moved[i] = 1, any_moved = true;
  }
  if (any_moved && bvh.world_nodes) {
    if (!s.positions || !s.indices) return Status::InvalidArgument;
    const Status st = parallel_for(bvh.world_packets, 1 << 12, [&](uint64_t b, uint64_t e) {
      for (uint64_t i = b; i < e; ++i) {
        BvhTri4& p = bvh.tris[i];
        for (int l = 0; l < 4; ++l) {
          if (p.prim[l] == kBvhInvalid) continue;  // padding
          const uint32_t inst = bvh.slot_instance[4 * i + l] & ~kSlotMirrored;
          if (!moved[inst]) continue;
          bvh.slot_instance[4 * i + l] = inst | store_lane(s, p.prim[l], s.instance_transforms + 16ull * inst, p, l);
        }
      }
    }, ctl);
    if (st != Status::Ok) return st;
    refit_world_blas(bvh);
  }

  // The TLAS: refit in place when the set of records is unchanged (the common case: things moved); otherwise (an
  // instance of a shared mesh became singular or valid again) rebuild it, which is cheap next to the BLASes.
  std::vector<PrimRef> refs;
  std::vector<BvhInstance> recs;
  uint64_t skipped = 0;
  make_instance_refs(bvh, s.instance_transforms, bvh.instance_mesh_, bvh.merged_, bvh.mesh_valid_, refs, recs, skipped);
  bool same = recs.size() == bvh.instances.size() && skipped == bvh.stats_.skipped_instances;
  std::vector<uint32_t> slot_of(bvh.flat_instance_count_ + 1ull, kBvhInvalid);
  for (uint32_t k = 0; k < recs.size(); ++k) slot_of[record_key(bvh, recs[k])] = k;
  for (const BvhInstance& in : bvh.instances) same = same && slot_of[record_key(bvh, in)] != kBvhInvalid;
  if (!same) {
    uint32_t depth = 0;
    const Status st = build_tlas(bvh, s.instance_transforms, bvh.instance_mesh_, bvh.merged_, bvh.mesh_valid_,
                                 bvh.stats_.skipped_instances, depth, ctl);
    bvh.stats_.tlas_nodes = bvh.tlas_nodes.size();
    return st;
  }
  for (BvhInstance& in : bvh.instances) in = recs[slot_of[record_key(bvh, in)]];
  refit_nodes(bvh.tlas_nodes, bvh.tlas_nodes.size(), [&](uint32_t first, uint32_t count, Box& b) {
    for (uint32_t k = first; k < first + count; ++k) {
      const PrimRef& pr = refs[slot_of[record_key(bvh, bvh.instances[k])]];
      b.grow(pr.lo, pr.hi);
    }
  });
  return Status::Ok;
}

}  // namespace ote
