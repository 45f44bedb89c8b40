// Native tests of the ray-tracing core (no Node): BVH build, closest/any hit against brute force, the
// watertight test on a closed mesh, bad input, instancing and refit. Exits non-zero on the first failure.
// test_bvh_scalar.cpp compiles this file again with the scalar walk that the CUDA kernels run.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "ote/bvh/scene_bvh.h"
#include "ote/ray/render.h"
#include "ote/ray/traverse.h"

#include "check.h"

using namespace ote;


struct Mesh {
  std::vector<float> pos;
  std::vector<uint32_t> idx;
};

// A UV sphere: closed, with shared vertices, so every edge is shared by exactly two triangles.
static Mesh sphere(int rings, int segs, float r) {
  Mesh m;
  for (int i = 0; i <= rings; ++i)
    for (int j = 0; j < segs; ++j) {
      const float th = float(M_PI) * i / rings, ph = 2.0f * float(M_PI) * j / segs;
      m.pos.insert(m.pos.end(), {r * std::sin(th) * std::cos(ph), r * std::cos(th), r * std::sin(th) * std::sin(ph)});
    }
  for (int i = 0; i < rings; ++i)
    for (int j = 0; j < segs; ++j) {
      const uint32_t a = i * segs + j, b = i * segs + (j + 1) % segs, c = a + segs, d = b + segs;
      if (i != 0) m.idx.insert(m.idx.end(), {a, b, c});
      if (i != rings - 1) m.idx.insert(m.idx.end(), {b, d, c});
    }
  return m;
}

struct Scene {
  std::vector<float> pos;
  std::vector<uint32_t> idx, first{0}, inst_mesh;
  std::vector<float> xf;
  void add_mesh(const Mesh& m) {
    const uint32_t base = uint32_t(pos.size() / 3);
    pos.insert(pos.end(), m.pos.begin(), m.pos.end());
    for (uint32_t i : m.idx) idx.push_back(i + base);
    first.push_back(uint32_t(idx.size() / 3));
  }
  void add_instance(uint32_t mesh, const float* m16) {
    inst_mesh.push_back(mesh);
    xf.insert(xf.end(), m16, m16 + 16);
  }
  FlatScene flat() const {
    FlatScene s{};
    s.positions = pos.data(), s.vertex_count = uint32_t(pos.size() / 3);
    s.indices = idx.data(), s.triangle_count = uint32_t(idx.size() / 3);
    s.mesh_first_triangle = first.data(), s.mesh_count = uint32_t(first.size() - 1);
    s.instance_mesh = inst_mesh.data(), s.instance_transforms = xf.data(), s.instance_count = uint32_t(inst_mesh.size());
    return s;
  }
};

static const float kIdentity[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};

static SceneBvh build(const Scene& sc, BvhBuildOptions o = {}) {
  SceneBvh b;
  JobControl ctl;
  const Status st = build_scene_bvh(sc.flat(), o, b, ctl);
  CHECK(st == Status::Ok, "build failed: %d", int(st));
  return b;
}

// Brute force in world space over every instance triangle, using the same triangle test.
static bool brute(const Scene& sc, const Ray& r, uint32_t flags, float& t_best, uint32_t& prim, uint32_t& inst) {
  t_best = r.tmax;
  bool found = false;
  for (uint32_t i = 0; i < sc.inst_mesh.size(); ++i) {
    const float* m = &sc.xf[16 * i];
    const uint32_t mesh = sc.inst_mesh[i];
    for (uint32_t t = sc.first[mesh]; t < sc.first[mesh + 1]; ++t) {
      float v[3][3];
      for (int k = 0; k < 3; ++k) {
        const Vec3 p = transform_point(m, load_vec3(sc.pos.data(), sc.idx[3 * t + k]));
        v[k][0] = p.x, v[k][1] = p.y, v[k][2] = p.z;
      }
      // glTF: a mirroring transform keeps object-space counter-clockwise faces in front, so in world space
      // they appear clockwise; swap two corners to test them as the object-space traversal does.
      const float det = m[0] * (m[5] * m[10] - m[9] * m[6]) - m[4] * (m[1] * m[10] - m[9] * m[2]) + m[8] * (m[1] * m[6] - m[5] * m[2]);
      const int k1 = det < 0 ? 2 : 1, k2 = det < 0 ? 1 : 2;
      const WatertightRay w = make_watertight_ray(r.org, r.dir);
      float tt, u, vv;
      if (intersect_triangle(w, v[0], v[k1], v[k2], r.tmin, t_best, flags & kRayCullBackFaces, tt, u, vv)) {
        t_best = tt, prim = t, inst = i, found = true;
      }
    }
  }
  return found;
}

static void test_front_face_sign() {
  // One CCW triangle facing +z; a ray from +z sees its front.
  Scene sc;
  sc.add_mesh({{0, 0, 0, 1, 0, 0, 0, 1, 0}, {0, 1, 2}});
  sc.add_instance(0, kIdentity);
  SceneBvh b = build(sc);
  Hit h;
  CHECK(trace_closest(b.view(), make_ray({0.2f, 0.2f, 1}, {0, 0, -1}), kRayCullBackFaces, h), "front face culled");
  CHECK(std::fabs(h.t - 1.0f) < 1e-6f, "t = %g", h.t);
  CHECK(std::fabs(h.u - 0.2f) < 1e-6f && std::fabs(h.v - 0.2f) < 1e-6f, "bary %g %g", h.u, h.v);
  CHECK(h.ng.z > 0.999f, "normal %g %g %g", h.ng.x, h.ng.y, h.ng.z);
  CHECK(!trace_closest(b.view(), make_ray({0.2f, 0.2f, -1}, {0, 0, 1}), kRayCullBackFaces, h), "back face not culled");
  CHECK(trace_closest(b.view(), make_ray({0.2f, 0.2f, -1}, {0, 0, 1}), kRayNone, h), "back face missed");
  // Mirrored instance: still front-facing from the outside (glTF: winding follows the determinant).
  Scene sm;
  sm.add_mesh({{0, 0, 0, 1, 0, 0, 0, 1, 0}, {0, 1, 2}});
  const float mirror[16] = {-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  sm.add_instance(0, mirror);
  SceneBvh bm = build(sm);
  CHECK(trace_closest(bm.view(), make_ray({-0.2f, 0.2f, 1}, {0, 0, -1}), kRayCullBackFaces, h), "mirrored front culled");
  CHECK(h.ng.z > 0.999f, "mirrored normal %g", h.ng.z);
}

// Every leaf size (1 triangle to 8 packets of 4, partly filled packets included) against brute force.
static void test_random_vs_brute(uint32_t max_leaf) {
  std::mt19937 rng(7 + max_leaf);
  std::uniform_real_distribution<float> U(-1, 1);
  Scene sc;
  Mesh soup;  // a triangle soup, instanced 3 times with rotation, scale and a mirror
  for (int t = 0; t < 3000; ++t) {
    const float c[3] = {U(rng) * 4, U(rng) * 4, U(rng) * 4};
    for (int k = 0; k < 3; ++k)
      for (int a = 0; a < 3; ++a) soup.pos.push_back(c[a] + 0.4f * U(rng));
    soup.idx.insert(soup.idx.end(), {uint32_t(3 * t), uint32_t(3 * t + 1), uint32_t(3 * t + 2)});
  }
  sc.add_mesh(soup);
  sc.add_mesh(sphere(24, 48, 2.0f));
  const float a[16] = {0.8f, 0.6f, 0, 0, -0.6f, 0.8f, 0, 0, 0, 0, 1, 0, 3, 0, 0, 1};
  const float b[16] = {-1.5f, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, -4, 1, 0, 1};
  sc.add_instance(0, kIdentity);
  sc.add_instance(0, a);
  sc.add_instance(1, b);
  sc.add_instance(0, b);
  // A cluster of triangles with one centroid: the builder must split it by count (median), not by SAH.
  Mesh stack;
  for (int t = 0; t < 200; ++t) {
    const float s = 0.5f + 0.001f * float(t);
    stack.pos.insert(stack.pos.end(), {-s, -s, 0.01f * float(t % 7), s, -s, -0.01f * float(t % 7), 0, 2 * s, 0});
    stack.idx.insert(stack.idx.end(), {uint32_t(3 * t), uint32_t(3 * t + 1), uint32_t(3 * t + 2)});
  }
  sc.add_mesh(stack);
  const float c[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 6, 1};
  sc.add_instance(2, c);
  BvhBuildOptions o;
  o.max_leaf_size = max_leaf;
  SceneBvh bvh = build(sc, o);
  int mismatches = 0, hits = 0;
  const int n = max_leaf == 8 ? 6000 : 2000;  // the default leaf size gets the most rays
  for (int i = 0; i < n; ++i) {
    Ray r = make_ray({U(rng) * 10, U(rng) * 10, U(rng) * 10}, {U(rng), U(rng), U(rng)}, 0.0f, INFINITY);
    const uint32_t flags = (i & 1) ? kRayCullBackFaces : kRayNone;
    float tb;
    uint32_t pb = kBvhInvalid, ib = kBvhInvalid;
    const bool fb = brute(sc, r, flags, tb, pb, ib);
    Hit h;
    const bool f = trace_closest(bvh.view(), r, flags, h);
    hits += f;
    if (f != fb || (f && std::fabs(h.t - tb) > 1e-4f * std::max(1.0f, tb))) {
      if (++mismatches < 5)
        std::fprintf(stderr, "ray %d flags %u: bvh %d t=%g prim %u inst %u, brute %d t=%g prim %u inst %u\n", i, flags, f,
                     h.t, h.prim, h.instance, fb, tb, pb, ib);
    }
    if (trace_any(bvh.view(), r, flags) != fb) ++mismatches;
  }
  CHECK(hits > n * 3 / 20, "too few hits: %d of %d", hits, n);
  CHECK(mismatches == 0, "max leaf %u: %d of %d rays differ from brute force", max_leaf, mismatches, n);
}

static void test_watertight() {
  // Rays from the centre of a closed sphere aimed exactly at its vertices and edge midpoints never escape.
  Scene sc;
  const Mesh m = sphere(40, 80, 1.0f);
  sc.add_mesh(m);
  const float off[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0.123f, -0.0456f, 0.0789f, 1};
  sc.add_instance(0, off);
  SceneBvh bvh = build(sc);
  int escaped = 0, total = 0;
  std::vector<float> org_all, dir_all;
  for (size_t t = 0; t < m.idx.size() / 3; ++t)
    for (int k = 0; k < 3; ++k) {
      const Vec3 p = load_vec3(m.pos.data(), m.idx[3 * t + k]), q = load_vec3(m.pos.data(), m.idx[3 * t + (k + 1) % 3]);
      for (const Vec3 target : {p, (p + q) * 0.5f, p * 0.25f + q * 0.75f}) {
        const Vec3 org = {0.01f, 0.02f, -0.03f};
        Hit h;
        ++total;
        const Vec3 o = org + Vec3{0.123f, -0.0456f, 0.0789f}, d = target - org;
        if (!trace_closest(bvh.view(), make_ray(o, d), kRayNone, h)) ++escaped;
        org_all.insert(org_all.end(), {o.x, o.y, o.z});
        dir_all.insert(dir_all.end(), {d.x, d.y, d.z});
      }
    }
  CHECK(escaped == 0, "%d of %d rays through shared vertices and edges escaped the closed sphere", escaped, total);
  // The same rays through the batch driver, which runs the AVX2 + FMA build of the traversal where available.
  RayBatch rb;
  rb.origins = org_all.data(), rb.directions = dir_all.data(), rb.tmin = rb.tmax = nullptr, rb.count = uint64_t(total);
  std::vector<uint32_t> prim(total);
  HitBatch hb{};
  hb.prim = prim.data();
  CHECK(trace_rays(bvh, rb, hb, Backend::Cpu, JobControl{}) == Status::Ok, "trace_rays failed");
  int escaped_batch = 0;
  for (uint32_t p : prim) escaped_batch += p == kBvhInvalid;
  CHECK(escaped_batch == 0, "batch driver: %d of %d rays escaped the closed sphere", escaped_batch, total);
}

static void test_bad_input() {
  Scene sc;
  const float nan = NAN;
  // valid, zero-area, NaN corner, collinear
  sc.add_mesh({{0, 0, 0, 1, 0, 0, 0, 1, 0, nan, 0, 0, 2, 0, 0, 3, 0, 0}, {0, 1, 2, 0, 0, 1, 3, 1, 2, 0, 4, 5}});
  sc.add_instance(0, kIdentity);
  const float singular[16] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  sc.add_instance(0, singular);
  SceneBvh b = build(sc);
  CHECK(b.stats().degenerate_triangles == 3, "degenerate = %llu", (unsigned long long)b.stats().degenerate_triangles);
  CHECK(b.stats().skipped_instances == 1, "skipped instances = %llu", (unsigned long long)b.stats().skipped_instances);
  Hit h;
  CHECK(!trace_closest(b.view(), make_ray({0.2f, 0.2f, 1}, {0, 0, 0}), kRayNone, h), "zero direction hit");
  CHECK(!trace_closest(b.view(), make_ray({0.2f, 0.2f, 1}, {0, nan, -1}), kRayNone, h), "NaN direction hit");
  CHECK(!trace_any(b.view(), make_ray({0.2f, 0.2f, 1}, {nan, 0, -1}), kRayNone), "NaN direction any-hit");
  CHECK(!trace_closest(b.view(), make_ray({0.2f, 0.2f, 1}, {0, 0, -1}, 0.0f, 0.5f), kRayNone, h), "t range ignored");
  CHECK(trace_closest(b.view(), make_ray({0.2f, 0.2f, 1}, {0, 0, -1}), kRayNone, h) && h.prim == 0, "valid triangle missed");
  // Empty scene, and a scene whose every triangle is degenerate.
  Scene empty;
  SceneBvh e = build(empty);
  CHECK(!trace_closest(e.view(), make_ray({0, 0, 0}, {0, 0, 1}), kRayNone, h) && h.prim == kBvhInvalid, "empty scene hit");
  Scene deg;
  deg.add_mesh({{0, 0, 0, 1, 0, 0, 2, 0, 0}, {0, 1, 2}});
  deg.add_instance(0, kIdentity);
  SceneBvh d = build(deg);
  CHECK(!trace_any(d.view(), make_ray({0, 0, 1}, {0, 0, -1}), kRayNone), "degenerate-only scene hit");
  // Out-of-range index is rejected.
  Scene bad;
  bad.add_mesh({{0, 0, 0, 1, 0, 0, 0, 1, 0}, {0, 1, 7}});
  SceneBvh x;
  CHECK(build_scene_bvh(bad.flat(), {}, x, JobControl{}) == Status::InvalidArgument, "bad index accepted");
}

static void test_refit() {
  Scene sc;
  sc.add_mesh(sphere(16, 32, 1.0f));
  std::vector<float> xf;
  for (int i = 0; i < 200; ++i) {
    float m[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, float(i % 20) * 3, float(i / 20) * 3, 0, 1};
    sc.add_instance(0, m);
  }
  SceneBvh b = build(sc);
  // Move every instance up by 100; rays at the old places now miss and rays at the new ones hit.
  Scene moved = sc;
  for (int i = 0; i < 200; ++i) moved.xf[16 * i + 13] += 100;
  CHECK(refit_scene_bvh(b, moved.flat(), JobControl{}) == Status::Ok, "refit failed");
  Hit h;
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    const float x = float(i % 20) * 3, y = float(i / 20) * 3;
    const bool old_hit = trace_any(b.view(), make_ray({x, y, 5}, {0, 0, -1}), kRayNone);
    const bool new_hit = trace_closest(b.view(), make_ray({x, y + 100, 5}, {0, 0, -1}), kRayNone, h);
    ok += !old_hit && new_hit && h.instance == uint32_t(i) && std::fabs(h.t - 4.0f) < 1e-4f;
  }
  CHECK(ok == 200, "refit: %d of 200 instances correct", ok);
  // Making one instance singular triggers a TLAS rebuild, which must skip it.
  moved.xf[0] = 0;
  CHECK(refit_scene_bvh(b, moved.flat(), JobControl{}) == Status::Ok && b.stats().skipped_instances == 1, "refit rebuild");
  CHECK(!trace_any(b.view(), make_ray({0, 100, 5}, {0, 0, -1}), kRayNone), "singular instance still hit");
  // A scene that is not the one the BVH was built from is refused.
  Scene other = moved;
  other.inst_mesh.pop_back(), other.xf.resize(other.xf.size() - 16);
  CHECK(refit_scene_bvh(b, other.flat(), JobControl{}) == Status::InvalidArgument, "refit accepted another scene");
}

// Meshes drawn once are built in world space into the shared world BLAS (merge_into_world). The same scene built
// without merging (every mesh in object space under its instance) must return the same hits: same triangle and
// instance, t within 1e-5 relative, the same barycentrics (mirrored instances store corners 1 and 2 swapped and
// swap u and v back) and the same normals.
static void test_merged_matches_instanced() {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> U(-1, 1);
  Scene sc;
  const float mirror_rot[16] = {0, -1.2f, 0, 0, 1.2f, 0, 0, 0, 0, 0, -0.7f, 0, 2, 1, -1, 1};  // det < 0
  const float shear[16] = {1, 0.3f, 0, 0, 0, 1, 0, 0, 0.2f, 0, 1.5f, 0, -3, 0, 2, 1};
  const float twice_a[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -3, 0, 1};
  const float twice_b[16] = {0.5f, 0, 0, 0, 0, 0.5f, 0, 0, 0, 0, 0.5f, 0, 0, 3, 0, 1};
  sc.add_mesh(sphere(12, 24, 1.0f));
  sc.add_instance(0, mirror_rot);
  sc.add_mesh(sphere(10, 20, 1.3f));
  sc.add_instance(1, shear);
  sc.add_mesh(sphere(8, 16, 0.8f));  // drawn twice: keeps its own BLAS
  sc.add_instance(2, twice_a);
  sc.add_instance(2, twice_b);
  BvhBuildOptions apart, no_copies;
  apart.merge_into_world = false;
  no_copies.copy_budget = 0.0f;
  SceneBvh separate = build(sc, apart), once = build(sc, no_copies), merged = build(sc);
  const uint64_t small_sphere = sc.first[3] - sc.first[2];
  CHECK(separate.stats().merged_instances == 0 && separate.view().instance_count == 4, "separate: merged %llu",
        (unsigned long long)separate.stats().merged_instances);
  CHECK(once.stats().merged_instances == 2 && once.stats().copied_triangles == 0 && once.view().instance_count == 3,
        "copy budget 0: merged %llu, TLAS records %u (world BLAS + the mesh drawn twice, twice)",
        (unsigned long long)once.stats().merged_instances, once.view().instance_count);
  CHECK(merged.stats().merged_instances == 4 && merged.stats().copied_triangles == small_sphere &&
            merged.view().instance_count == 1,
        "default budget: merged %llu, copied %llu of %llu, TLAS records %u", (unsigned long long)merged.stats().merged_instances,
        (unsigned long long)merged.stats().copied_triangles, (unsigned long long)small_sphere, merged.view().instance_count);
  CHECK(merged.stats().instanced_triangles == separate.stats().instanced_triangles &&
            once.stats().instanced_triangles == separate.stats().instanced_triangles &&
            merged.stats().triangles == separate.stats().triangles,
        "triangle counts differ");
  int differ = 0, hits = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const Vec3 o = {U(rng) * 6, U(rng) * 6, U(rng) * 6}, d = Vec3{U(rng) * 3, U(rng) * 4, U(rng) * 2} - o;  // aimed into the scene
    const uint32_t flags = (i & 1) ? kRayCullBackFaces : kRayNone;
    Hit b;
    const bool fb = trace_closest(separate.view(), make_ray(o, d), flags, b);
    hits += fb;
    for (const SceneBvh* m : {&once, &merged}) {
      Hit a;
      const bool fa = trace_closest(m->view(), make_ray(o, d), flags, a);
      const bool same = fa == fb && (!fa || (a.prim == b.prim && a.instance == b.instance &&
                                             std::fabs(a.t - b.t) <= 1e-5f * std::max(1.0f, b.t) &&
                                             std::fabs(a.u - b.u) < 1e-4f && std::fabs(a.v - b.v) < 1e-4f &&
                                             dot(a.ng, b.ng) > 0.9999f));
      if (!same && ++differ < 5)
        std::fprintf(stderr, "ray %d: world %d t=%g prim %u inst %u uv %g %g, separate %d t=%g prim %u inst %u uv %g %g\n",
                     i, fa, a.t, a.prim, a.instance, a.u, a.v, fb, b.t, b.prim, b.instance, b.u, b.v);
      differ += trace_any(m->view(), make_ray(o, d), flags) != fb;
    }
  }
  CHECK(hits > n / 5, "too few hits: %d of %d", hits, n);
  CHECK(differ == 0, "%d of %d rays differ between the world BLAS and per-mesh BLASes", differ, n);

  // Refit moves a merged mesh: its triangles are transformed again, and a mirror flip swaps its winding.
  Hit h;
  Scene moved = sc;
  const float flipped[16] = {-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 10, 0, 0, 1};  // mirror, centred at x = 10
  std::copy(flipped, flipped + 16, moved.xf.begin() + 16);  // instance 1 (the shear, merged)
  moved.xf[16 * 3 + 14] = 20;                                 // instance 3 (a copy of the shared sphere) up to z = 20
  CHECK(refit_scene_bvh(merged, moved.flat(), JobControl{}) == Status::Ok, "refit failed");
  CHECK(trace_closest(merged.view(), make_ray({0, 3, 25}, {0, 0, -1}), kRayNone, h) && h.instance == 3 &&
            std::fabs(h.t - 4.6f) < 0.05f,
        "moved copy: instance %u t %g", h.instance, h.t);
  CHECK(!trace_any(merged.view(), make_ray({0, 3, 5}, {0, 0, -1}, 0.0f, 10.0f), kRayNone), "moved copy still at its old place");
  SceneBvh fresh = build(moved);
  Hit g;
  CHECK(!trace_any(merged.view(), make_ray({-3, 0, 8}, {0, 0, -1}, 0.0f, 7.0f), kRayNone), "moved mesh still hit at its old place");
  for (const uint32_t flags : {kRayNone, kRayCullBackFaces}) {
    CHECK(trace_closest(merged.view(), make_ray({10.2f, 0.3f, 5}, {0, 0, -1}), flags, h) && h.instance == 1,
          "moved mesh missed at its new place (flags %u)", flags);
    CHECK(trace_closest(fresh.view(), make_ray({10.2f, 0.3f, 5}, {0, 0, -1}), flags, g) && g.prim == h.prim &&
              std::fabs(g.t - h.t) < 1e-5f && std::fabs(g.u - h.u) < 1e-5f && std::fabs(g.v - h.v) < 1e-5f,
          "refitted hit differs from a fresh build");
    CHECK(h.ng.z > 0.9f, "front face after the mirror flip: normal z %g", h.ng.z);
  }
  // Rays from inside the moved sphere see back faces only: culled.
  CHECK(!trace_any(merged.view(), make_ray({10, 0, 0}, {0.3f, 0.2f, 1}), kRayCullBackFaces), "back face seen from inside");
  CHECK(trace_any(merged.view(), make_ray({10, 0, 0}, {0.3f, 0.2f, 1}), kRayNone), "inside ray missed the sphere");
  // A merged instance turning singular changes the plan: the whole BVH is built again without it.
  moved.xf[16] = moved.xf[21] = moved.xf[26] = 0;
  CHECK(refit_scene_bvh(merged, moved.flat(), JobControl{}) == Status::Ok, "refit rebuild failed");
  CHECK(merged.stats().skipped_instances == 1 && merged.stats().merged_instances == 3, "after rebuild: skipped %llu merged %llu",
        (unsigned long long)merged.stats().skipped_instances, (unsigned long long)merged.stats().merged_instances);
  CHECK(!trace_any(merged.view(), make_ray({10.2f, 0.3f, 5}, {0, 0, -1}), kRayNone), "singular merged instance still hit");
}

static void test_render_smoke() {
  Scene sc;
  sc.add_mesh(sphere(16, 32, 1.0f));
  sc.add_instance(0, kIdentity);
  SceneBvh b = build(sc);
  RenderParams p{};
  const float cam[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 4, 1};
  std::copy(cam, cam + 16, p.camera_to_world);
  p.yfov = 0.8f, p.width = 32, p.height = 24, p.znear = 0.01f, p.zfar = 100, p.mode = RenderMode::Shaded, p.spp = 4;
  p.ao_samples = 4, p.ao_distance = 1, p.sun_dir[0] = 0, p.sun_dir[1] = 0, p.sun_dir[2] = 1, p.default_color[0] = p.default_color[1] = p.default_color[2] = 0.8f;
  std::vector<float> img(4 * 32 * 24);
  CHECK(render_view(b, p, img.data(), Backend::Cpu, JobControl{}) == Status::Ok, "render failed");
  const float* centre = &img[4 * (12 * 32 + 16)];
  CHECK(centre[3] == 1.0f && centre[0] > 0.5f, "centre pixel %g %g", centre[0], centre[3]);
  CHECK(img[3] == 0.0f, "corner pixel covered");
}

int main() {
  test_front_face_sign();
  for (uint32_t leaf : {1u, 3u, 4u, 8u, 32u}) test_random_vs_brute(leaf);
  test_watertight();
  test_bad_input();
  test_refit();
  test_merged_matches_instanced();
  test_render_smoke();
  if (failures) {
    std::fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
#ifdef OTE_TRAVERSE_SSE
  std::printf("test_bvh: all passed (SSE walk)\n");
#else
  std::printf("test_bvh: all passed (scalar walk, as in the CUDA kernels)\n");
#endif
  return 0;
}
