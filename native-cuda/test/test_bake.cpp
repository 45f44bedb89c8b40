// Native tests of the baking math (no Node): 2D triangle overlap with tolerance, conservative texel coverage
// against dense point sampling, direction sampling, the stretch of known maps, lightmap UVs on a closed sphere (no overlaps, padding),
// and the transport on a closed white furnace (an enclosure of albedo a lit by emission E converges to the
// analytic E·a/(1-a) series). Exits non-zero on the first failure.
#include <cmath>
#include <cstdio>
#include <vector>

#include "ote/bake/bake.h"
#include "ote/bake/lightmap_uv.h"
#include "ote/bake/uv_math.h"

#include "check.h"

using namespace ote;


static void test_overlap() {
  const Vec2d a[3] = {{0, 0}, {1, 0}, {0, 1}};
  const Vec2d shared_edge[3] = {{1, 0}, {1, 1}, {0, 1}};  // touches a along the hypotenuse
  const Vec2d inside[3] = {{0.1, 0.1}, {0.3, 0.1}, {0.1, 0.3}};
  const Vec2d far[3] = {{2, 2}, {3, 2}, {2, 3}};
  const Vec2d sliver[3] = {{0, 0.5}, {1, 0.5}, {0.5, 0.5 + 1e-9}};  // thinner than eps
  CHECK(!triangles_overlap_2d(a, shared_edge, 1e-9), "shared edge counted as overlap");
  CHECK(triangles_overlap_2d(a, inside, 1e-9), "contained triangle not seen");
  CHECK(!triangles_overlap_2d(a, far, 1e-9), "disjoint triangles overlap");
  CHECK(!triangles_overlap_2d(a, sliver, 1e-6), "sliver thinner than eps overlaps");
}

static void test_touch() {
  // Conservative coverage must include every texel that dense samples of the triangle land in.
  const float tx[3] = {0.3f, 7.6f, 2.2f}, ty[3] = {0.7f, 2.1f, 6.9f};
  int missed = 0, extra = 0;
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 9; ++x) {
      bool sampled = false;
      for (int j = 0; j <= 40 && !sampled; ++j)
        for (int i = 0; i <= 40 && !sampled; ++i) {
          const double px = x + i / 40.0, py = y + j / 40.0;
          const Vec2d t[3] = {{tx[0], ty[0]}, {tx[1], ty[1]}, {tx[2], ty[2]}};
          const double w0 = cross2(t[1], t[2], {px, py}), w1 = cross2(t[2], t[0], {px, py}), w2 = cross2(t[0], t[1], {px, py});
          sampled = (w0 >= 0 && w1 >= 0 && w2 >= 0) || (w0 <= 0 && w1 <= 0 && w2 <= 0);
        }
      const bool touched = triangle_touches_texel(tx, ty, x, y);
      missed += sampled && !touched;
      extra += touched && !sampled;
    }
  CHECK(missed == 0, "%d texels with samples not covered", missed);
  CHECK(extra <= 6, "%d texels covered without any sample inside (only edge-grazing ones may be)", extra);
}

static void test_stretch() {
  double smax, smin;
  map_singular_values(make_vec3(0, 0, 0), make_vec3(1, 0, 0), make_vec3(0, 0, 1), {0, 0}, {1, 0}, {0, 1}, &smax, &smin);
  CHECK(std::fabs(smax - 1) < 1e-6 && std::fabs(smin - 1) < 1e-6, "isometry: %g %g", smax, smin);
  map_singular_values(make_vec3(0, 0, 0), make_vec3(1, 0, 0), make_vec3(0, 0, 1), {0, 0}, {2, 0}, {0, 0.5}, &smax, &smin);
  CHECK(std::fabs(smax - 2) < 1e-6 && std::fabs(smin - 0.5) < 1e-6, "axis scale: %g %g", smax, smin);
}

static void sphere(int rings, int segs, std::vector<float>& pos, std::vector<uint32_t>& idx, float r) {
  for (int i = 0; i <= rings; ++i)
    for (int j = 0; j <= segs; ++j) {
      const float th = float(M_PI) * i / rings, ph = 2.0f * float(M_PI) * j / segs;
      pos.insert(pos.end(), {r * std::sin(th) * std::cos(ph), r * std::cos(th), r * std::sin(th) * std::sin(ph)});
    }
  for (int i = 0; i < rings; ++i)
    for (int j = 0; j < segs; ++j) {
      const uint32_t a = i * (segs + 1) + j, b = a + segs + 1;
      // Outward counter-clockwise winding.
      idx.insert(idx.end(), {a, a + 1, b, a + 1, b + 1, b});
    }
}

static void test_uvs() {
  std::vector<float> pos;
  std::vector<uint32_t> idx;
  sphere(40, 80, pos, idx, 1.0f);
  const uint32_t nt = uint32_t(idx.size() / 3);
  const uint32_t first[2] = {0, nt};
  const float density = 60;
  LightmapUvInput in{pos.data(), uint32_t(pos.size() / 3), idx.data(), nt, first, 1, &density, nullptr, nullptr};
  std::vector<float> uv(6ull * nt);
  std::vector<uint32_t> chart(nt), page(4), charts(1), overlaps(1), pw(4), ph(4);
  std::vector<uint64_t> texels(1), box(1), ptex(4);
  std::vector<float> maxs(1), means(1), dens(1);
  LightmapUvOutput out{uv.data(), chart.data(), page.data(), charts.data(), texels.data(), box.data(), maxs.data(),
                       means.data(), overlaps.data(), dens.data(), 0, 4, pw.data(), ph.data(), ptex.data(), 0};
  const Status st = generate_lightmap_uvs(in, LightmapUvOptions{}, out, JobControl{});
  CHECK(st == Status::Ok, "status %d", int(st));
  CHECK(overlaps[0] == 0, "%u overlapping triangles", overlaps[0]);
  CHECK(count_uv_overlaps(uv.data(), nt, nullptr, 1e-6, nullptr) == 0, "independent overlap check");
  CHECK(charts[0] >= 6 && charts[0] < 200, "%u charts", charts[0]);
  CHECK(maxs[0] < 2.0f && means[0] < 1.2f, "stretch max %g mean %g", maxs[0], means[0]);
  for (float v : uv) CHECK(v >= 0 && v <= 1, "uv %g outside [0,1]", v);
  // Sphere area ~4π m² at 60 texels/m: ~45k texels before conservative borders.
  CHECK(texels[0] > 40000 && texels[0] < 60000, "%llu texels", (unsigned long long)texels[0]);
  // Bad input is refused, not crashed on.
  const float bad_density = -1;
  LightmapUvInput bad = in;
  bad.object_texels_per_meter = &bad_density;
  CHECK(generate_lightmap_uvs(bad, LightmapUvOptions{}, out, JobControl{}) == Status::InvalidArgument, "negative density accepted");
}

// The azimuth's sine and cosine against double precision over a dense grid of u (including both ends), and the
// cosine-weighted hemisphere built on them: unit directions on the normal's side with E[cos θ] = 2/3.
static void test_sampling() {
  double err = 0;
  for (uint32_t i = 0; i <= (1u << 20); ++i) {
    const float u = float(i) / float(1u << 20);
    float s, c;
    sincos_turns(u, s, c);
    const double phi = 2.0 * M_PI * double(u);
    err = std::fmax(err, std::fmax(std::fabs(s - std::sin(phi)), std::fabs(c - std::cos(phi))));
  }
  CHECK(err < 2.5e-7, "sincos_turns error %g", err);
  const Vec3 n = transport::unit(make_vec3(0.3f, -0.5f, 0.8f));
  double mean_cos = 0, worst_len = 0;
  uint32_t below = 0, rng = 7;
  const int count = 200000;
  for (int k = 0; k < count; ++k) {
    const float u1 = rand01(rng), u2 = rand01(rng);
    const Vec3 d = cosine_hemisphere(n, u1, u2);
    worst_len = std::fmax(worst_len, std::fabs(length(d) - 1.0f));
    below += dot(d, n) < 0;
    mean_cos += dot(d, n);
  }
  mean_cos /= count;
  CHECK(worst_len < 1e-5, "direction length off by %g", worst_len);
  CHECK(below == 0, "%u directions below the surface", below);
  CHECK(std::fabs(mean_cos - 2.0 / 3.0) < 3e-3, "mean cosine %g, expected 2/3", mean_cos);
}

// A closed sphere seen from inside, albedo a, emitting E everywhere: L = E·(1 + a + a² + ...) truncated at the
// bounce count; with RR the estimate stays unbiased.
static void test_furnace() {
  std::vector<float> pos;
  std::vector<uint32_t> idx;
  sphere(24, 48, pos, idx, 1.0f);
  for (size_t t = 0; t < idx.size(); t += 3) std::swap(idx[t + 1], idx[t + 2]);  // face inwards
  const uint32_t nt = uint32_t(idx.size() / 3);
  const uint32_t mesh_first[2] = {0, nt}, inst_mesh[1] = {0};
  const float xf[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  FlatScene flat{pos.data(), uint32_t(pos.size() / 3), idx.data(), nt, mesh_first, 1, inst_mesh, xf, 1};
  SceneBvh bvh;
  CHECK(build_scene_bvh(flat, BvhBuildOptions{}, bvh, JobControl{}) == Status::Ok, "bvh");
  std::vector<int32_t> tmat(nt, 0);
  const float a = 0.5f, E = 1.0f;
  BakeMaterial mat{{a, a, a}, {E, E, E}, 0};
  BakeInputs in{};
  in.flat = &flat;
  in.triangle_material = tmat.data();
  in.materials = &mat;
  in.material_count = 1;
  BakeSceneData data;
  gather_emitters(in, data);
  const BakeSceneView s = data.view(in, bvh.view());
  CHECK(data.emitters.size() > nt / 2, "%zu emitters", data.emitters.size());
  const TransportParams tp{3, 2, 0.1f, 0.0f};
  double sum = 0;
  const int n = 20000;
  uint32_t rays = 0;
  for (int k = 0; k < n; ++k) {
    uint32_t rng = transport::sample_seed(5, 0, k);
    float ao;
    const Vec3 L = transport::incident(s, tp, make_vec3(0, -0.9f, 0), make_vec3(0, 1, 0), rng, &ao, &rays);
    sum += L.x;
  }
  // Direct E plus three bounces of albedo a: E(1 + a + a² + a³).
  const double expect = E * (1 + a + a * a + a * a * a), got = sum / n;
  CHECK(std::fabs(got - expect) < 0.03 * expect, "furnace L = %g, expected %g", got, expect);
}

int main() {
  test_overlap();
  test_touch();
  test_stretch();
  test_uvs();
  test_sampling();
  test_furnace();
  if (failures) {
    std::fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
  std::printf("test_bake: ok\n");
  return 0;
}
