// Finding a scene's sky portals (bake/sky_portals.h): surface points sampled by area each send cosine rays; the
// points that see little sky are the sheltered ones, and the cells of the grown bounds their escaping rays leave
// through become portals, each taking a share of portal samples in proportion to those escapes. Seeded and
// independent of the thread count, so the bake, the reference renderer, every verifier node and every worker of a
// split render find the same portals.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ote/bake/bake.h"
#include "ote/thread_pool.h"

namespace ote {
namespace {

constexpr uint32_t kPoints = 2048;           // surface points, sampled by area
constexpr uint32_t kRays = 32;               // cosine rays per point
constexpr uint32_t kCellsLong = 32;          // cells along the longest side of the bounds
constexpr uint32_t kShelteredEscapes = kRays / 2;  // a point is sheltered when at most half its rays escape
// Portals only where a quarter of the surface is sheltered: in an open scene bounce rays find the sky on their own,
// and a portal sample would cost a shadow ray for little.
constexpr float kMinShelteredShare = 0.25f;
constexpr uint32_t kMinEscapes = 32;
// The most of the bounds' area the portals may cover. Measured on the shared scenes under the default sky
// (2026-12-04, two 8-spp halves of the first planned view): Sponza's open roof is 7.9% of its bounds, and portals
// took the halves from 19.4 to 21.8 dB for 21% more time; the living room (19.8%), zdm2 (32%), the ship (48%), the
// engine (62%) and the ivy atrium (80%) changed by -0.6 to +0.3 dB for 5-27% more time.
constexpr double kMaxPortalArea = 0.15;         // fewer sheltered escapes than this: the sky does not get in to speak of
constexpr uint32_t kSeed = 0x51c9u;
constexpr uint32_t kNone = 0xffffffffu;

struct AreaTri {
  uint32_t inst, prim;
};

}  // namespace

Status find_sky_portals(const BakeInputs& in, const SceneBvhView& bvh, BakeSceneData& d, const JobControl& ctl) {
  d.portal_share.clear();
  d.portal_cells.clear();
  d.portal_cdf.clear();
  d.portals = SkyPortalView{};
  const bool sky = in.sky_type != kSkyNone &&
                   (std::max({in.sky_zenith[0], in.sky_zenith[1], in.sky_zenith[2], in.sky_horizon[0],
                              in.sky_horizon[1], in.sky_horizon[2], in.sky_ground[0], in.sky_ground[1],
                              in.sky_ground[2]}) > 0);
  if (!sky || !in.flat) return Status::Ok;
  const FlatScene& f = *in.flat;
  // World triangles by area, and the bounds.
  std::vector<AreaTri> tris;
  std::vector<double> cdf;
  float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  double total = 0;
  for (uint32_t i = 0; i < f.instance_count; ++i) {
    const uint32_t mesh = f.instance_mesh[i];
    for (uint32_t t = f.mesh_first_triangle[mesh]; t < f.mesh_first_triangle[mesh + 1]; ++t) {
      const WorldTri w = world_triangle(f, t, i);
      const Vec3* p = w.p;
      const double area = 0.5 * double(length(cross(p[1] - p[0], p[2] - p[0])));
      if (!(area > 0) || !std::isfinite(area)) continue;
      for (int k = 0; k < 3; ++k)
        for (int a = 0; a < 3; ++a) {
          const float c = (&p[k].x)[a];
          lo[a] = std::min(lo[a], c), hi[a] = std::max(hi[a], c);
        }
      total += area;
      tris.push_back({i, t});
      cdf.push_back(total);
    }
  }
  if (tris.empty()) return Status::Ok;
  // Grown so that every surface point lies strictly inside and each face has an extent.
  const float diag = std::sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) +
                               (hi[2] - lo[2]) * (hi[2] - lo[2]));
  const float margin = 1e-3f * diag + 1e-3f * std::max({1.0f, std::fabs(lo[0]), std::fabs(lo[1]), std::fabs(lo[2]),
                                                         std::fabs(hi[0]), std::fabs(hi[1]), std::fabs(hi[2])});
  SkyPortalView g{};
  float longest = 0;
  for (int a = 0; a < 3; ++a) {
    g.lo[a] = lo[a] - margin, g.hi[a] = hi[a] + margin;
    longest = std::max(longest, g.hi[a] - g.lo[a]);
  }
  const float cell = longest / float(kCellsLong);
  uint32_t first = 0;
  for (int a = 0; a < 3; ++a) {
    for (int k = 0; k < 2; ++k) {
      const int ax = (a + 1 + k) % 3;
      g.cells[a][k] = std::max(1u, std::min(kCellsLong, uint32_t(std::lround((g.hi[ax] - g.lo[ax]) / cell))));
    }
    g.face_first[2 * a] = first;
    first += g.cells[a][0] * g.cells[a][1];
    g.face_first[2 * a + 1] = first;
    first += g.cells[a][0] * g.cells[a][1];
  }
  g.face_first[6] = first;

  // The transport's view without portals (d.portals.count is 0 here): what a bounce ray meets.
  const BakeSceneView s = d.view(in, bvh);
  std::vector<uint32_t> escapes(uint64_t(kPoints) * kRays, kNone);
  JobControl quiet;  // the caller's cancel, not its progress: this is a step of its setup
  quiet.cancel = ctl.cancel;
  const Status st = parallel_for(kPoints, 16, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) {
      uint32_t rng = transport::sample_seed(kSeed, uint32_t(i), 0);
      // Stratified by area: point i's uniform lies in the i-th of kPoints equal slices.
      const double u = (double(i) + transport::rnd(rng)) / kPoints * total;
      const size_t k = std::min(size_t(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin()), tris.size() - 1);
      const AreaTri t = tris[k];
      const WorldTri w = world_triangle(f, t.prim, t.inst);
      float b1 = transport::rnd(rng), b2 = transport::rnd(rng);
      if (b1 + b2 > 1) b1 = 1 - b1, b2 = 1 - b2;
      const Vec3 x = w.p[0] + (w.p[1] - w.p[0]) * b1 + (w.p[2] - w.p[0]) * b2;
      Vec3 n = w.ng;
      // A double-sided surface is seen, and lit, from both sides.
      if (transport::material_of(s, t.prim).double_sided && transport::rnd(rng) < 0.5f) n = -n;
      const Vec3 org = x + n * transport::ray_eps(x);
      for (uint32_t r = 0; r < kRays; ++r) {
        const float u1 = transport::rnd(rng), u2 = transport::rnd(rng);
        const Vec3 dir = transport::cosine_hemisphere(n, u1, u2);
        Hit h;
        if (surf::trace_visible(s.bvh, s, make_ray(org, dir, 0.0f, INFINITY), false, rng, h)) continue;
        uint32_t c;
        float dist;
        int axis;
        if (portals::exit_cell(g, org, dir, c, dist, axis)) escapes[i * kRays + r] = c;
      }
    }
  }, quiet);
  if (st != Status::Ok) return st;

  // The sheltered points' escapes, cell by cell, in point order (the same sums on any thread count).
  std::vector<uint32_t> count(g.face_first[6], 0);
  uint32_t sheltered = 0, escaped = 0;
  for (uint32_t i = 0; i < kPoints; ++i) {
    const uint32_t* e = &escapes[uint64_t(i) * kRays];
    const uint32_t n = uint32_t(std::count_if(e, e + kRays, [](uint32_t c) { return c != kNone; }));
    if (n > kShelteredEscapes) continue;
    ++sheltered;
    for (uint32_t r = 0; r < kRays; ++r)
      if (e[r] != kNone) ++count[e[r]], ++escaped;
  }
  if (float(sheltered) < kMinShelteredShare * kPoints || escaped < kMinEscapes) return Status::Ok;
  // Portals pay where the openings are a small part of the bounds: there a portal sample finds the sky far more
  // often than a cosine ray. Where the sky gets in everywhere they only add a shadow ray per vertex.
  double open = 0, all = 0;
  for (int f = 0; f < 6; ++f) {
    const double a = portals::cell_area(g, f >> 1);
    all += a * (g.face_first[f + 1] - g.face_first[f]);
    for (uint32_t c = g.face_first[f]; c < g.face_first[f + 1]; ++c) open += count[c] ? a : 0.0;
  }
  if (open > kMaxPortalArea * all) return Status::Ok;
  d.portal_share.assign(g.face_first[6], 0.0f);
  double run = 0;
  for (uint32_t c = 0; c < g.face_first[6]; ++c) {
    if (!count[c]) continue;
    d.portal_share[c] = float(double(count[c]) / escaped);
    run += count[c];
    d.portal_cells.push_back(c);
    d.portal_cdf.push_back(float(run / escaped));
  }
  d.portal_cdf.back() = 1.0f;
  d.portals = g;
  d.portals.count = uint32_t(d.portal_cells.size());
  return Status::Ok;
}

void find_sun_portals(const BakeInputs& in, BakeSceneData& d) {
  d.sun = SunPortalView{-1, 0, nullptr, nullptr, 0.0f};
  d.sun_cells.clear();
  d.sun_cdf.clear();
  const SkyPortalView& g = d.portals;
  if (g.count == 0) return;
  // The brightest directional light: a scene has one sun.
  int32_t sun = -1;
  float brightest = 0;
  for (uint32_t i = 0; i < in.light_count; ++i) {
    const BakeLight& l = in.lights[i];
    const float y = transport::luminance(surf::v3(l.color));
    if (l.type == kLightDirectional && y > brightest) sun = int32_t(i), brightest = y;
  }
  if (sun < 0) return;
  const Vec3 to = -surf::v3(in.lights[sun].direction);
  // Cells by area × cos on the faces the light enters through (outward normal towards it).
  double total = 0;
  std::vector<double> weight;
  for (uint32_t k = 0; k < g.count; ++k) {
    const uint32_t c = d.portal_cells[k];
    const int f = portals::face_of(g, c), a = f >> 1;
    const float cos_face = (f & 1 ? 1.0f : -1.0f) * portals::axis_of(to, a);
    if (!(cos_face > 1e-3f)) continue;
    const double w = double(portals::cell_area(g, a)) * cos_face;
    d.sun_cells.push_back(c);
    weight.push_back(w);
    total += w;
  }
  if (!(total > 0)) {
    d.sun_cells.clear();
    return;
  }
  double run = 0;
  for (const double w : weight) d.sun_cdf.push_back(float((run += w) / total));
  d.sun_cdf.back() = 1.0f;
  d.sun.light = sun;
  d.sun.count = uint32_t(d.sun_cells.size());
  d.sun.area = float(total);
}

}  // namespace ote
