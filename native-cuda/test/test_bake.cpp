// Native tests of the baking math (no Node): 2D triangle overlap with tolerance, conservative texel coverage
// against dense point sampling, direction sampling, the stretch of known maps, lightmap UVs on a closed sphere (no overlaps, padding),
// the transport on a closed white furnace (an enclosure of albedo a lit by emission E converges to the analytic
// E·a/(1-a) series), sphere lights against their analytic irradiance, light vertices (same expectation, less
// variance), the scrambled Sobol' nets of ote/qmc.h and what they do to a texel's estimate, metal/rough albedo, and which hits alpha cut-outs and single-sided back faces leave to which ray.
// Reports every failure and exits non-zero if there was one.
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


// A scene of quads, each two triangles with a material, one mesh drawn once: for transport and visibility tests.
struct QuadScene {
  std::vector<float> pos, uv0;
  std::vector<uint32_t> idx;
  std::vector<int32_t> mat;
  uint32_t mesh_first[2] = {0, 0}, inst_mesh[1] = {0};
  float xf[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  FlatScene flat{};
  SceneBvh bvh;
  // Corner o, edges a and b: front face (counter-clockwise) along a × b. UV0 (0,0) at o, (1,0) at o+a, (0,1) at o+b.
  void quad(Vec3 o, Vec3 a, Vec3 b, int32_t material) {
    const uint32_t v = uint32_t(pos.size() / 3);
    for (Vec3 p : {o, o + a, o + a + b, o + b}) pos.insert(pos.end(), {p.x, p.y, p.z});
    idx.insert(idx.end(), {v, v + 1, v + 2, v, v + 2, v + 3});
    // Per triangle corner, as the bake stores UV0.
    uv0.insert(uv0.end(), {0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1});
    mat.insert(mat.end(), {material, material});
  }
  void build() {
    mesh_first[1] = uint32_t(idx.size() / 3);
    flat = FlatScene{pos.data(), uint32_t(pos.size() / 3), idx.data(), mesh_first[1], mesh_first, 1, inst_mesh, xf, 1};
    CHECK(build_scene_bvh(flat, BvhBuildOptions{}, bvh, JobControl{}) == Status::Ok, "bvh");
  }
};

// A closed 2 m room of albedo 0.5 (inward faces), for the light tests.
static void room(QuadScene& q) {
  const Vec3 X = make_vec3(2, 0, 0), Y = make_vec3(0, 2, 0), Z = make_vec3(0, 0, 2);
  q.quad(make_vec3(-1, 0, -1), Z, X, 0);   // floor, +y
  q.quad(make_vec3(-1, 2, -1), X, Z, 0);   // ceiling, -y
  q.quad(make_vec3(-1, 0, -1), X, Y, 0);   // back, +z
  q.quad(make_vec3(-1, 0, 1), Y, X, 0);    // front, -z
  q.quad(make_vec3(-1, 0, -1), Y, Z, 0);   // left, +x
  q.quad(make_vec3(1, 0, -1), Z, Y, 0);    // right, -x
  q.build();
}

static BakeSceneView scene_view(const QuadScene& q, BakeInputs& in, BakeSceneData& data, const BakeMaterial* mats,
                                uint32_t nmat, const BakeLight* lights, uint32_t nlights) {
  in = BakeInputs{};
  in.flat = &q.flat;
  in.triangle_material = q.mat.data();
  in.materials = mats;
  in.material_count = nmat;
  in.default_material = BakeMaterial{{1, 1, 1}, {0, 0, 0}, 0};
  in.lights = lights;
  in.light_count = nlights;
  in.triangle_uv0 = q.uv0.data();
  gather_emitters(in, data);
  return data.view(in, q.bvh.view());
}

// Sphere lights: outside, the analytic irradiance of a uniform sphere (I cos β / (π D²) while it is above the
// horizon) with every sample bounded by 2 Le; inside, Le (1 + n·axis) / 2; the two meet at the sphere.
static void test_sphere_light() {
  BakeLight l{};
  l.type = kLightPoint;
  l.color[0] = l.color[1] = l.color[2] = 8.0f;
  l.size = 0.05f;
  const float Le = 8.0f / (3.14159265f * l.size * l.size);
  for (float D : {0.5f, 0.1f, 0.06f}) {
    const Vec3 org = make_vec3(0, -D, 0), n = transport::unit(make_vec3(0.3f, 1, 0));
    double sum = 0, worst = 0;
    int bad_segments = 0;
    uint32_t rng = 11;
    const int count = 100000;
    for (int k = 0; k < count; ++k) {
      Vec3 wi;
      float dist;
      const Vec3 c = transport::light_sample(l, org, n, rand01(rng), rand01(rng), wi, dist);
      sum += c.x;
      worst = std::fmax(worst, c.x);
      // The segment ends on the sphere: between the nearest point and the tangent points.
      const bool on_sphere = dist >= (D - l.size) * 0.999f && dist <= std::sqrt(D * D - l.size * l.size) * 1.001f;
      if (c.x != 0 && !on_sphere) ++bad_segments;
    }
    const double expect = 8.0 * dot(n, make_vec3(0, 1, 0)) / (3.14159265 * D * D);
    CHECK(std::fabs(sum / count - expect) < 0.01 * expect, "sphere light at D %g: L %g, expected %g", D, sum / count, expect);
    CHECK(worst <= 2.0 * Le * 1.0001, "a sample of %g past 2 Le = %g", worst, 2.0 * Le);
    CHECK(bad_segments == 0, "%d shadow segments at D %g do not end on the sphere", bad_segments, D);
  }
  Vec3 wi;
  float dist;
  const Vec3 n = make_vec3(0, 1, 0);
  const Vec3 inside = transport::light_sample(l, make_vec3(0, -0.03f, 0), n, 0.5f, 0.5f, wi, dist);
  CHECK(std::fabs(inside.x - Le) < 1e-3f * Le && dist == 0, "inside facing the centre: %g, expected Le %g", inside.x, Le);
  const Vec3 side = transport::light_sample(l, make_vec3(0, -0.03f, 0), make_vec3(1, 0, 0), 0.5f, 0.5f, wi, dist);
  CHECK(std::fabs(side.x - 0.5f * Le) < 1e-3f * Le, "inside, normal across the axis: %g, expected Le/2", side.x);
  // Just outside the sphere the cone is the half-space: the mean meets the inside value.
  double sum = 0;
  uint32_t rng = 5;
  for (int k = 0; k < 100000; ++k) sum += transport::light_sample(l, make_vec3(0, -0.0501f, 0), n, rand01(rng), rand01(rng), wi, dist).x;
  CHECK(std::fabs(sum / 100000 - Le) < 0.02 * Le, "just outside: %g, inside: %g", sum / 100000, Le);
}

// Light vertices change the variance, not the expectation: a point light 0.1 under the ceiling of a closed room
// (its hotspot lights the room by bounce light), L on the back wall with and without them, for a hard and a
// sphere light (whose MIS weight tests the centre stochastically) and a spot.
static void test_light_vertices() {
  QuadScene q, shaded;
  room(q);
  // The same room with a small plate between the bulb and the ceiling: the ceiling right above is hidden from the
  // bulb's centre (where light vertices start) but not from its whole sphere (penumbra).
  shaded.quad(make_vec3(-0.03f, 1.96f, -0.03f), make_vec3(0.06f, 0, 0), make_vec3(0, 0, 0.06f), 1);
  room(shaded);
  const BakeMaterial mats[2] = {{{0.5f, 0.5f, 0.5f}, {0, 0, 0}, 0}, {{0.5f, 0.5f, 0.5f}, {0, 0, 0}, 1}};
  for (int variant = 0; variant < 4; ++variant) {
    BakeLight l{};
    l.type = variant == 2 ? kLightSpot : kLightPoint;
    l.color[0] = l.color[1] = l.color[2] = 8.0f;
    l.position[1] = 1.9f;
    l.direction[1] = 1.0f;  // the spot shines at the ceiling
    l.cos_inner = 0.5f, l.cos_outer = 0.2f;
    l.size = variant == 1 || variant == 3 ? 0.05f : 0.0f;
    BakeInputs in;
    BakeSceneData data;
    const BakeSceneView s = scene_view(variant == 3 ? shaded : q, in, data, mats, 2, &l, 1);
    CHECK(s.light_vertex_power > 0, "no light vertex power");
    double mean[2], var[2];
    uint32_t rays[2] = {0, 0};
    const int n = variant == 3 ? 800000 : 200000;  // the plate's bias check needs the smaller error
    for (int on = 0; on < 2; ++on) {
      TransportParams tp{3, 2, 0.1f, 0.0f};
      tp.light_vertices = on;
      double sum = 0, sum2 = 0;
      for (int k = 0; k < n; ++k) {
        uint32_t rng = transport::sample_seed(3 + on, 0, k);
        // On the back wall; with the plate, on its top, lit by the ceiling it hides from the bulb's centre alone.
        const Vec3 p = variant == 3 ? make_vec3(0.01f, 1.9601f, 0.005f) : make_vec3(0.3f, 0.8f, -0.999f);
        const Vec3 L = transport::incident(s, tp, p, make_vec3(0, variant == 3 ? 1.0f : 0.0f, variant == 3 ? 0.0f : 1.0f), rng, nullptr, &rays[on]);
        sum += L.x, sum2 += double(L.x) * L.x;
      }
      mean[on] = sum / n, var[on] = sum2 / n - mean[on] * mean[on];
    }
    const double se = std::sqrt(var[0] / n + var[1] / n);
    CHECK(std::fabs(mean[1] - mean[0]) < 4 * se, "variant %d: L %g with light vertices, %g without (4σ = %g)", variant, mean[1], mean[0], 4 * se);
    // Efficiency (1 / (variance × rays)) several times higher: the point of them.
    const double gain = (var[0] * rays[0]) / (var[1] * rays[1]);
    CHECK(gain > (variant == 3 ? 0.5 : 3), "variant %d: variance %g → %g, rays %u → %u: efficiency ×%.2f", variant, var[0], var[1], rays[0], rays[1], gain);
    std::printf("light vertices, %s: L %.4f vs %.4f, per-sample σ/L %.2f → %.2f, efficiency ×%.1f\n",
                variant == 0 ? "point" : variant == 1 ? "sphere R 0.05" : variant == 2 ? "spot" : "sphere, centre hidden from the ceiling",
                mean[1], mean[0],
                std::sqrt(var[0]) / mean[0], std::sqrt(var[1]) / mean[1], gain);
  }
}

// A closed 2 m room whose ceiling has a 0.5 m hole (sun_light() shines through it onto the floor).
static void sun_room(QuadScene& q) {
  const Vec3 X = make_vec3(2, 0, 0), Y = make_vec3(0, 2, 0), Z = make_vec3(0, 0, 2);
  q.quad(make_vec3(-1, 0, -1), Z, X, 0);  // floor, +y
  // The ceiling (-y) around a hole over [-0.25, 0.25]²: four strips.
  q.quad(make_vec3(-1, 2, -1), make_vec3(2, 0, 0), make_vec3(0, 0, 0.75f), 0);
  q.quad(make_vec3(-1, 2, 0.25f), make_vec3(2, 0, 0), make_vec3(0, 0, 0.75f), 0);
  q.quad(make_vec3(-1, 2, -0.25f), make_vec3(0.75f, 0, 0), make_vec3(0, 0, 0.5f), 0);
  q.quad(make_vec3(0.25f, 2, -0.25f), make_vec3(0.75f, 0, 0), make_vec3(0, 0, 0.5f), 0);
  q.quad(make_vec3(-1, 0, -1), X, Y, 0);  // back, +z
  q.quad(make_vec3(-1, 0, 1), Y, X, 0);   // front, -z
  q.quad(make_vec3(-1, 0, -1), Y, Z, 0);  // left, +x
  q.quad(make_vec3(1, 0, -1), Z, Y, 0);   // right, -x
  q.build();
}

static BakeLight sun_light() {
  BakeLight sun{};
  sun.type = kLightDirectional;
  sun.color[0] = sun.color[1] = sun.color[2] = 5.0f;
  const Vec3 d = transport::unit(make_vec3(0.25f, -1.0f, 0.15f));
  sun.direction[0] = d.x, sun.direction[1] = d.y, sun.direction[2] = d.z;
  sun.size = 0.035f;  // 2°, as the default sun
  return sun;
}

// The sun room under a constant sky, its sky portals found, and the sun's too when `sun_vertices`.
static BakeSceneView sun_room_view(QuadScene& q, BakeInputs& in, BakeSceneData& data, const BakeMaterial* mats,
                                   const BakeLight& sun, bool sun_vertices) {
  scene_view(q, in, data, mats, 1, &sun, 1);
  in.sky_type = kSkyConstant;
  in.sky_zenith[0] = in.sky_zenith[1] = in.sky_zenith[2] = 0.3f;
  CHECK(find_sky_portals(in, q.bvh.view(), data, JobControl{}) == Status::Ok, "portals");
  CHECK(data.portals.count > 0, "the room's opening takes no portal");
  if (sun_vertices) find_sun_portals(in, data);
  return data.view(in, q.bvh.view());
}

// The sun through an opening (sky_portals.h, SunPortalView): the sun through the room's hole lights a patch of floor
// whose bounce light reaches the walls in shadow. L on a wall in shadow is the same with and without the sun's light
// vertices, and is found more cheaply with them.
static void test_sun_vertices() {
  QuadScene q;
  sun_room(q);
  const BakeMaterial mats[1] = {{{0.6f, 0.6f, 0.6f}, {0, 0, 0}, 0}};
  const BakeLight sun = sun_light();
  double mean[2], var[2];
  uint32_t rays[2] = {0, 0};
  const int n = 400000;
  for (int on = 0; on < 2; ++on) {
    BakeInputs in;
    BakeSceneData data;
    const BakeSceneView s = sun_room_view(q, in, data, mats, sun, on);
    CHECK((s.light_vertex_power > 0) == bool(on), "sun light vertices %s", on ? "missing" : "without find_sun_portals");
    TransportParams tp{3, 2, 0.1f, 0.0f};
    double sum = 0, sum2 = 0;
    for (int k = 0; k < n; ++k) {
      uint32_t rng = transport::sample_seed(5 + on, 0, k);
      // The back wall, out of the sun.
      const Vec3 L = transport::incident(s, tp, make_vec3(-0.5f, 1.2f, -0.999f), make_vec3(0, 0, 1), rng, nullptr, &rays[on]);
      sum += L.x, sum2 += double(L.x) * L.x;
    }
    mean[on] = sum / n, var[on] = sum2 / n - mean[on] * mean[on];
  }
  const double se = std::sqrt(var[0] / n + var[1] / n);
  CHECK(std::fabs(mean[1] - mean[0]) < 4 * se, "L %g with sun vertices, %g without (4σ = %g)", mean[1], mean[0], 4 * se);
  const double gain = (var[0] * rays[0]) / (var[1] * rays[1]);
  CHECK(gain > 2, "variance %g → %g, rays %u → %u: efficiency ×%.2f", var[0], var[1], rays[0], rays[1], gain);
  std::printf("sun vertices: L %.4f vs %.4f, per-sample σ/L %.2f → %.2f, efficiency ×%.1f\n", mean[1], mean[0],
              std::sqrt(var[0]) / mean[0], std::sqrt(var[1]) / mean[1], gain);
}

// The scrambled Sobol' points of ote/qmc.h: every prefix of 2^m points, and every aligned block of them, is an
// elementary (0,m,2)-net (each of the 2^m boxes of every shape 2^-a × 2^-(m-a) holds one point), and 1D points
// stratify likewise, for several item seeds and decisions.
static void test_qmc_nets() {
  for (uint32_t seed = 1; seed < 4; ++seed)
    for (uint32_t dim = 0; dim < 3; ++dim)
      for (uint32_t m = 1; m <= 7; ++m)
        for (uint32_t start = 0; start < 256; start += 1u << m) {
          const uint32_t n = 1u << m;
          std::vector<int> box(n);
          for (uint32_t a = 0; a <= m; ++a) {
            std::fill(box.begin(), box.end(), 0);
            int bad = 0;
            for (uint32_t i = start; i < start + n; ++i) {
              float u1, u2;
              qmc::get_2d(qmc::Sample{i, transport::hash(seed)}, dim, u1, u2);
              const uint32_t bx = uint32_t(u1 * float(1u << a)), by = uint32_t(u2 * float(1u << (m - a)));
              bad += box[(bx << (m - a)) + by]++ > 0;
            }
            CHECK(bad == 0, "seed %u dim %u: points [%u, %u) fill a 2^-%u × 2^-%u box twice (%d)", seed, dim, start, start + n, a, m - a, bad);
          }
          std::fill(box.begin(), box.end(), 0);
          int bad = 0;
          for (uint32_t i = start; i < start + n; ++i) bad += box[uint32_t(qmc::get_1d(qmc::Sample{i, transport::hash(seed)}, dim) * float(n))]++ > 0;
          CHECK(bad == 0, "seed %u dim %u: 1D points [%u, %u) share a stratum (%d)", seed, dim, start, start + n, bad);
        }
}

// Low-discrepancy first vertices change the error of a texel's estimate, not its expectation: in the sun room,
// 128-sample estimates of L (a texel's samples at a bake's default) on a wall in shadow (bounce light of the sunlit
// patch) and on the floor at the patch's edge (the sun's penumbra), for 16,000 texel seeds with and without.
static void test_low_discrepancy() {
  QuadScene q;
  sun_room(q);
  const BakeMaterial mats[1] = {{{0.6f, 0.6f, 0.6f}, {0, 0, 0}, 0}};
  const BakeLight sun = sun_light();
  BakeInputs in;
  BakeSceneData data;
  const BakeSceneView s = sun_room_view(q, in, data, mats, sun, true);
  // Where the sun's centre lands on the floor: the hole's edge at x = 0.25 casts its penumbra around x = 0.25 + 2 × 0.25.
  const Vec3 points[2][2] = {{make_vec3(-0.5f, 1.2f, -0.999f), make_vec3(0, 0, 1)}, {make_vec3(0.75f, 0.0f, 0.3f), make_vec3(0, 1, 0)}};
  const int items = 16000, spp = 128;
  for (int at = 0; at < 2; ++at) {
    double mean[2], var[2];
    for (int on = 0; on < 2; ++on) {
      TransportParams tp{3, 2, 0.1f, 0.0f};
      tp.qmc = on;
      double sum = 0, sum2 = 0;
      uint32_t rays = 0;
      for (int k = 0; k < items; ++k) {
        const uint32_t seq_seed = transport::sequence_seed(11, k);
        double est = 0;
        for (int smp = 0; smp < spp; ++smp) {
          uint32_t rng = transport::sample_seed(7, k, smp);
          const qmc::Sample seq{uint32_t(smp), seq_seed};
          est += transport::incident(s, tp, points[at][0], points[at][1], rng, nullptr, &rays, nullptr, &seq).x;
        }
        est /= spp;
        sum += est, sum2 += est * est;
      }
      mean[on] = sum / items, var[on] = sum2 / items - mean[on] * mean[on];
    }
    const double se = std::sqrt((var[0] + var[1]) / items);
    const char* where = at ? "floor in the penumbra" : "wall in shadow";
    CHECK(std::fabs(mean[1] - mean[0]) < 4 * se, "%s: L %g low-discrepancy, %g random (4σ = %g)", where, mean[1], mean[0], 4 * se);
    // The penumbra is the sun's 2D integral, stratified outright; the wall's bounce light also has the later
    // vertices' random decisions in it: ×0.90–0.92 over two seed derivations at 16,000 texels (at 2,000 the
    // estimate of the ratio itself spread over 0.82–0.95: its heavy tail needs the many texels).
    CHECK(var[1] < (at ? 0.1 : 0.97) * var[0], "%s: variance of a 128-sample estimate %g → %g", where, var[0], var[1]);
    std::printf("low discrepancy, %s: L %.4f vs %.4f, σ of a 128-sample estimate / L %.3f → %.3f (variance ×%.2f)\n", where,
                mean[1], mean[0], std::sqrt(var[0]) / mean[0], std::sqrt(var[1]) / mean[1], var[1] / var[0]);
  }
}

// glTF metal/rough folded into a Lambertian albedo as Unity's meta pass does: a dielectric keeps its base colour, a
// rough metal half of it, a smooth metal nothing; the metallicRoughness texture (linear) multiplies the factors.
static void test_metallic() {
  const Vec3 base = make_vec3(0.8f, 0.4f, 0.2f);
  auto near = [](Vec3 a, Vec3 b) { return std::fabs(a.x - b.x) < 1e-5f && std::fabs(a.y - b.y) < 1e-5f && std::fabs(a.z - b.z) < 1e-5f; };
  CHECK(near(surf::lambert_albedo(base, 0, 0.3f), base), "dielectric");
  CHECK(near(surf::lambert_albedo(base, 1, 1), base * 0.5f), "rough metal");
  CHECK(near(surf::lambert_albedo(base, 1, 0.5f), base * 0.125f), "metal of roughness 0.5: base × 0.5² / 2");
  CHECK(near(surf::lambert_albedo(base, 1, 0), make_vec3(0, 0, 0)), "mirror");
  // A 2x1 metallicRoughness texture: left texel dielectric (B 0), right texel metal (B 255), G 255 (rough).
  const uint8_t texels[8] = {0, 255, 0, 255, 0, 255, 255, 255};
  const BakeTexture tex{2, 1, 0};
  BakeMaterial m{{0.8f, 0.4f, 0.2f}, {0, 0, 0}, 0};
  m.metallic = 1, m.roughness = 1;
  m.metallic_roughness_texture = BakeTextureRef{0, {1, 0, 0, 0, 1, 0}};
  const float uv0[6] = {0.25f, 0.5f, 0.25f, 0.5f, 0.25f, 0.5f}, uv1[6] = {0.75f, 0.5f, 0.75f, 0.5f, 0.75f, 0.5f};
  SurfaceView s{};
  s.textures = &tex, s.texture_count = 1, s.texels = texels, s.srgb_to_linear = srgb_to_linear_table();
  s.triangle_count = 1;
  Vec3 a, e;
  s.triangle_uv0 = uv0;
  surf::shade(s, m, 0, 0.3f, 0.3f, a, e);
  CHECK(near(a, base), "texture B = 0: dielectric, got %g %g %g", a.x, a.y, a.z);
  s.triangle_uv0 = uv1;
  surf::shade(s, m, 0, 0.3f, 0.3f, a, e);
  CHECK(near(a, base * 0.5f), "texture B = 1, G = 1: rough metal, got %g %g %g", a.x, a.y, a.z);
}

// Which hits are there for which ray: a MASK quad below its cutoff lets every ray through, a BLEND quad a share
// 1 − alpha of them, the alpha of a base colour texture cuts half a quad, and the back face of a single-sided quad
// is skipped by camera rays but blocks bounce and shadow rays.
static void test_visibility() {
  QuadScene q;
  const Vec3 X = make_vec3(1, 0, 0), Y = make_vec3(0, 1, 0);
  q.quad(make_vec3(0, 0, 0), X, Y, 0);     // z = 0, front +z: single-sided, opaque
  q.quad(make_vec3(0, 0, -1), X, Y, 1);    // z = -1: MASK, alpha 0.3 < 0.5
  q.quad(make_vec3(0, 0, -2), X, Y, 2);    // z = -2: BLEND, alpha 0.25
  q.quad(make_vec3(0, 0, -3), X, Y, 3);    // z = -3: MASK by texture: u < 0.5 cut (alpha 0), u > 0.5 there
  q.quad(make_vec3(0, 0, -4), X, Y, 4);    // z = -4: the backstop, double-sided
  q.build();
  BakeMaterial mats[5] = {{{1, 1, 1}, {0, 0, 0}, 0}, {{1, 1, 1}, {0, 0, 0}, 0}, {{1, 1, 1}, {0, 0, 0}, 0},
                          {{1, 1, 1}, {0, 0, 0}, 0}, {{1, 1, 1}, {0, 0, 0}, 1}};
  mats[1].alpha = 0.3f, mats[1].alpha_mode = kAlphaMask;
  mats[2].alpha = 0.25f, mats[2].alpha_mode = kAlphaBlend;
  mats[3].alpha_mode = kAlphaMask, mats[3].base_color_texture = BakeTextureRef{0, {1, 0, 0, 0, 1, 0}};
  const uint8_t texels[8] = {255, 255, 255, 0, 255, 255, 255, 255};
  const BakeTexture tex{2, 1, 0};
  SurfaceView s{};
  s.triangle_material = q.mat.data(), s.triangle_count = uint32_t(q.mat.size());
  s.materials = mats, s.material_count = 5;
  s.triangle_uv0 = q.uv0.data();
  s.textures = &tex, s.texture_count = 1, s.texels = texels;
  s.cutout = 1;
  const SceneBvhView bvh = q.bvh.view();
  uint32_t rng = 1;
  Hit h;
  // From behind the first quad (z = 0.5 looking -z sees its front); from z = -0.5 looking +z sees its back.
  auto hit_z = [&](Vec3 org, Vec3 dir, bool camera) {
    return surf::trace_visible(bvh, s, make_ray(org, dir), camera, rng, h) ? org.z + dir.z * h.t : 99.0f;
  };
  CHECK(std::fabs(hit_z(make_vec3(0.2f, 0.5f, -0.5f), make_vec3(0, 0, 1), true) - 99) < 1e-3f, "camera sees a single-sided back face");
  CHECK(std::fabs(hit_z(make_vec3(0.2f, 0.5f, -0.5f), make_vec3(0, 0, 1), false)) < 1e-4f, "a bounce ray passes a back face");
  CHECK(std::fabs(hit_z(make_vec3(0.2f, 0.5f, 0.5f), make_vec3(0, 0, -1), true)) < 1e-4f, "camera does not stop at a front face");
  // Past the MASK quad at z = -1 always; at u = 0.2 the texture cuts z = -3 out, at u = 0.8 it is there.
  int blend_hits = 0;
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    const float z = hit_z(make_vec3(0.2f, 0.5f, -0.5f), make_vec3(0, 0, -1), true);
    CHECK(std::fabs(z + 2) < 1e-4f || std::fabs(z + 4) < 1e-4f, "a ray stopped at z = %g", z);
    blend_hits += std::fabs(z + 2) < 1e-4f;
  }
  CHECK(std::fabs(blend_hits / double(n) - 0.25) < 0.015, "BLEND alpha 0.25 stopped %g of the rays", blend_hits / double(n));
  int deep = 0;
  for (int k = 0; k < 200; ++k) deep += std::fabs(hit_z(make_vec3(0.8f, 0.5f, -0.5f), make_vec3(0, 0, -1), false) + 3) < 1e-4f;
  CHECK(deep > 120 && deep < 180, "texture alpha 0.9 at u = 0.8 should stop the 75%% of rays the BLEND quad lets by: %d of 200", deep);
  // Shadow rays: the MASK quad does not occlude, the opaque one does (back face included).
  CHECK(!surf::occluded(bvh, s, make_ray(make_vec3(0.2f, 0.5f, -0.5f), make_vec3(0, 0, -1), 0.0f, 0.9f), rng), "MASK quad occludes");
  CHECK(surf::occluded(bvh, s, make_ray(make_vec3(0.2f, 0.5f, -0.5f), make_vec3(0, 0, 1), 0.0f, 1.0f), rng), "a back face lets light through");
}

// Lighting-only instances: camera rays pass through them, shadow rays do not; the same after flatten_bake_inputs
// turns the per-instance flags into per-triangle ones. One quad drawn three times, at z = 0, -1 and -2; the first
// two are hidden.
static void test_camera_hidden() {
  const float pos[12] = {0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0};
  const uint32_t idx[6] = {0, 1, 2, 0, 2, 3}, mesh_first[2] = {0, 2}, inst_mesh[3] = {0, 0, 0};
  float xf[48];
  for (int i = 0; i < 3; ++i) {
    const float m[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, -float(i), 1};
    std::copy(m, m + 16, xf + 16 * i);
  }
  const FlatScene flat{pos, 4, idx, 2, mesh_first, 1, inst_mesh, xf, 3};
  const uint8_t hidden[3] = {1, 1, 0};
  const int32_t tmat[2] = {-1, -1}, tpage[2] = {-1, -1};
  const float tuv1[12] = {};
  BakeInputs in{};
  in.flat = &flat, in.triangle_material = tmat, in.triangle_page = tpage, in.triangle_uv1 = tuv1;
  in.default_material = BakeMaterial{{1, 1, 1}, {0, 0, 0}, 1};
  in.instance_camera_hidden = hidden;
  WorldBakeInputs w;
  CHECK(flatten_bake_inputs(in, w), "flatten");
  CHECK(w.in.instance_camera_hidden == nullptr && w.in.triangle_camera_hidden, "flattened: hidden per triangle");
  for (int flattened = 0; flattened < 2; ++flattened) {
    const BakeInputs& use = flattened ? w.in : in;
    SceneBvh bvh;
    CHECK(build_scene_bvh(*use.flat, BvhBuildOptions{}, bvh, JobControl{}) == Status::Ok, "bvh");
    SurfaceView s{};
    s.triangle_material = use.triangle_material, s.triangle_count = use.flat->triangle_count;
    s.default_material = use.default_material;
    s.instance_camera_hidden = use.instance_camera_hidden, s.triangle_camera_hidden = use.triangle_camera_hidden;
    uint32_t rng = 1;
    Hit h;
    const Ray down = make_ray(make_vec3(0.5f, 0.5f, 1), make_vec3(0, 0, -1));
    CHECK(surf::trace_visible(bvh.view(), s, down, true, rng, h) && std::fabs(1 - h.t + 2) < 1e-4f,
          "camera ray (flattened %d) should pass the hidden quads and stop at z = -2", flattened);
    CHECK(surf::trace_visible(bvh.view(), s, down, false, rng, h) && std::fabs(h.t - 1) < 1e-4f,
          "a transport ray (flattened %d) stops at the first quad", flattened);
    CHECK(surf::occluded(bvh.view(), s, make_ray(make_vec3(0.5f, 0.5f, 1), make_vec3(0, 0, -1), 0.0f, 1.5f), rng),
          "a hidden quad (flattened %d) casts its shadow", flattened);
    const Ray past = make_ray(make_vec3(0.5f, 0.5f, 1), make_vec3(0, 0, -1), 0.0f, 2.5f);
    CHECK(!surf::trace_visible(bvh.view(), s, past, true, rng, h), "only hidden quads within reach: a miss");
  }
}

int main() {
  test_overlap();
  test_touch();
  test_stretch();
  test_uvs();
  test_sampling();
  test_furnace();
  test_sphere_light();
  test_light_vertices();
  test_sun_vertices();
  test_qmc_nets();
  test_low_discrepancy();
  test_metallic();
  test_visibility();
  test_camera_hidden();
  if (failures) {
    std::fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
  std::printf("test_bake: ok\n");
  return 0;
}
