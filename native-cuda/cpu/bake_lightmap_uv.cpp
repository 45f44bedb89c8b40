// Lightmap UV generation: normal-cone chart growing, orthographic flattening onto the chart plane (stretch is
// bounded by the cone: 1/cos), eviction of any triangle that would fold or overlap, minimum-area rotation, and a
// bitmap skyline packer that keeps `padding` empty texels between the conservative footprints of any two charts.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "ote/bake/lightmap_uv.h"
#include "ote/bake/uv_math.h"
#include "ote/thread_pool.h"
#include "ote/vec3.h"

namespace ote {
namespace {

struct Chart {
  uint32_t object;
  std::vector<uint32_t> tris;  // global triangle ids
};

// Per-object charting result: charts plus 2D coordinates (metres, or scaled existing UVs) per corner.
struct ObjectCharts {
  std::vector<Chart> charts;
};

Vec3 corner(const LightmapUvInput& in, uint32_t t, int k) { return load_vec3(in.positions, in.indices[3 * t + k]); }

// Flags triangles (indices into `tris`) whose 2D corners overlap another's by more than eps. Uniform grid over
// the set's bounds; each pair is tested once, in the cell holding the low corner of their bounds' intersection.
void flag_overlaps(const std::vector<Vec2d>& uv, const std::vector<uint32_t>& tris, const uint32_t* group, double eps,
                   std::vector<uint8_t>& flags) {
  const size_t n = tris.size();
  flags.assign(n, 0);
  if (n < 2) return;
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (uint32_t t : tris)
    for (int k = 0; k < 3; ++k) {
      const Vec2d p = uv[3 * t + k];
      lo[0] = std::min(lo[0], p.x), lo[1] = std::min(lo[1], p.y);
      hi[0] = std::max(hi[0], p.x), hi[1] = std::max(hi[1], p.y);
    }
  const int g = std::max(1, std::min(2048, int(std::sqrt(double(n)))));
  const double sx = g / std::max(hi[0] - lo[0], 1e-30), sy = g / std::max(hi[1] - lo[1], 1e-30);
  auto cell = [&](double v, double l, double s) { return std::min(g - 1, std::max(0, int((v - l) * s))); };
  std::vector<uint32_t> count(size_t(g) * g + 1, 0);
  std::vector<int> box(4 * n);
  for (size_t i = 0; i < n; ++i) {
    const Vec2d* p = &uv[3 * tris[i]];
    box[4 * i] = cell(std::min(p[0].x, std::min(p[1].x, p[2].x)), lo[0], sx);
    box[4 * i + 1] = cell(std::min(p[0].y, std::min(p[1].y, p[2].y)), lo[1], sy);
    box[4 * i + 2] = cell(std::max(p[0].x, std::max(p[1].x, p[2].x)), lo[0], sx);
    box[4 * i + 3] = cell(std::max(p[0].y, std::max(p[1].y, p[2].y)), lo[1], sy);
    for (int y = box[4 * i + 1]; y <= box[4 * i + 3]; ++y)
      for (int x = box[4 * i]; x <= box[4 * i + 2]; ++x) ++count[size_t(y) * g + x + 1];
  }
  std::partial_sum(count.begin(), count.end(), count.begin());
  std::vector<uint32_t> items(count.back()), fill(count.begin(), count.end() - 1);
  for (size_t i = 0; i < n; ++i)
    for (int y = box[4 * i + 1]; y <= box[4 * i + 3]; ++y)
      for (int x = box[4 * i]; x <= box[4 * i + 2]; ++x) items[fill[size_t(y) * g + x]++] = uint32_t(i);
  for (int y = 0; y < g; ++y)
    for (int x = 0; x < g; ++x) {
      const size_t c = size_t(y) * g + x;
      for (uint32_t a = count[c]; a < count[c + 1]; ++a)
        for (uint32_t b = a + 1; b < count[c + 1]; ++b) {
          const uint32_t i = items[a], j = items[b];
          if (group && group[tris[i]] != group[tris[j]]) continue;
          // Test the pair only in the first cell both share.
          if (std::max(box[4 * i], box[4 * j]) != x || std::max(box[4 * i + 1], box[4 * j + 1]) != y) continue;
          if (triangles_overlap_2d(&uv[3 * tris[i]], &uv[3 * tris[j]], eps)) flags[i] = flags[j] = 1;
        }
    }
}

// Welds corners by exact position, builds edge adjacency, grows normal-cone charts and flattens them.
void chart_object(const LightmapUvInput& in, const LightmapUvOptions& opt, uint32_t o, std::vector<Vec2d>& uv,
                  ObjectCharts& result) {
  const uint32_t t0 = in.object_first_triangle[o], t1 = in.object_first_triangle[o + 1], nt = t1 - t0;
  result.charts.clear();
  if (!nt) return;

  if (in.object_keep_uv && in.object_keep_uv[o] && in.corner_uv) {
    // Existing UV1: one chart, scaled so that its mean density matches the target.
    Chart c{o, {}};
    double a3 = 0, a2 = 0;
    for (uint32_t t = t0; t < t1; ++t) {
      c.tris.push_back(t);
      for (int k = 0; k < 3; ++k) uv[3 * t + k] = {in.corner_uv[6 * t + 2 * k], in.corner_uv[6 * t + 2 * k + 1]};
      a3 += 0.5 * length(cross(corner(in, t, 1) - corner(in, t, 0), corner(in, t, 2) - corner(in, t, 0)));
      a2 += 0.5 * std::fabs(cross2(uv[3 * t], uv[3 * t + 1], uv[3 * t + 2]));
    }
    const double s = a2 > 0 ? std::sqrt(a3 / a2) : 1.0;
    for (uint32_t t = t0; t < t1; ++t)
      for (int k = 0; k < 3; ++k) uv[3 * t + k].x *= s, uv[3 * t + k].y *= s;
    result.charts.push_back(std::move(c));
    return;
  }

  // Weld: canonical id per vertex used by this object, by exact position.
  std::vector<uint32_t> verts;
  verts.reserve(3 * nt);
  for (uint32_t t = t0; t < t1; ++t)
    for (int k = 0; k < 3; ++k) verts.push_back(in.indices[3 * t + k]);
  std::sort(verts.begin(), verts.end());
  verts.erase(std::unique(verts.begin(), verts.end()), verts.end());
  std::vector<uint32_t> order(verts.size());
  std::iota(order.begin(), order.end(), 0);
  auto key = [&](uint32_t i) {
    const float* p = in.positions + 3ull * verts[i];
    return std::make_tuple(p[0], p[1], p[2]);
  };
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return key(a) < key(b) || (key(a) == key(b) && a < b); });
  std::vector<uint32_t> canon(verts.size());
  uint32_t next = 0;
  for (size_t r = 0; r < order.size(); ++r) {
    if (r && key(order[r]) != key(order[r - 1])) ++next;
    canon[order[r]] = next;
  }
  auto canon_of = [&](uint32_t v) { return canon[std::lower_bound(verts.begin(), verts.end(), v) - verts.begin()]; };
  std::vector<uint32_t> tc(3 * size_t(nt));
  for (uint32_t t = 0; t < nt; ++t)
    for (int k = 0; k < 3; ++k) tc[3 * t + k] = canon_of(in.indices[3 * (t0 + t) + k]);

  // Edge adjacency: an edge used by exactly two triangles links them (non-manifold edges are chart borders).
  struct Edge {
    uint32_t a, b, tri;
  };
  std::vector<Edge> edges;
  edges.reserve(3 * size_t(nt));
  for (uint32_t t = 0; t < nt; ++t)
    for (int k = 0; k < 3; ++k) {
      const uint32_t a = tc[3 * t + k], b = tc[3 * t + (k + 1) % 3];
      if (a != b) edges.push_back({std::min(a, b), std::max(a, b), t});
    }
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    return x.a != y.a ? x.a < y.a : x.b != y.b ? x.b < y.b : x.tri < y.tri;
  });
  std::vector<uint32_t> adj_first(nt + 1, 0), adj;
  std::vector<std::pair<uint32_t, uint32_t>> links;
  for (size_t i = 0; i < edges.size();) {
    size_t j = i;
    while (j < edges.size() && edges[j].a == edges[i].a && edges[j].b == edges[i].b) ++j;
    if (j - i == 2 && edges[i].tri != edges[i + 1].tri) links.push_back({edges[i].tri, edges[i + 1].tri});
    i = j;
  }
  for (auto& l : links) ++adj_first[l.first + 1], ++adj_first[l.second + 1];
  std::partial_sum(adj_first.begin(), adj_first.end(), adj_first.begin());
  adj.resize(adj_first[nt]);
  {
    std::vector<uint32_t> f(adj_first.begin(), adj_first.end() - 1);
    for (auto& l : links) adj[f[l.first]++] = l.second, adj[f[l.second]++] = l.first;
  }

  // Normals and areas.
  std::vector<Vec3> normal(nt);
  std::vector<double> area(nt);
  for (uint32_t t = 0; t < nt; ++t) {
    const Vec3 n = cross(corner(in, t0 + t, 1) - corner(in, t0 + t, 0), corner(in, t0 + t, 2) - corner(in, t0 + t, 0));
    const double l = length(n);
    area[t] = 0.5 * l;
    normal[t] = l > 0 && std::isfinite(l) ? n * float(1.0 / l) : make_vec3(0, 0, 0);
  }
  double max_area = 0;
  for (double a : area) max_area = std::max(max_area, a);
  // Degenerate: no area against the object, or collinear corners up to rounding (area against the longest edge).
  std::vector<uint8_t> flat(nt);
  for (uint32_t t = 0; t < nt; ++t) {
    const Vec3 a = corner(in, t0 + t, 0), b = corner(in, t0 + t, 1), c = corner(in, t0 + t, 2);
    const double l2 = std::max(dot(b - a, b - a), std::max(dot(c - b, c - b), dot(a - c, a - c)));
    flat[t] = !(2 * area[t] > 1e-6 * l2);
  }
  auto degenerate = [&](uint32_t t) { return flat[t] || !(area[t] > 1e-12 * max_area) || !std::isfinite(area[t]); };

  // Grow charts from the largest triangles, breadth first, against the running area-weighted normal.
  const float cos_cone = std::cos(opt.max_cone_degrees * float(M_PI / 180.0));
  std::vector<uint32_t> seeds(nt);
  std::iota(seeds.begin(), seeds.end(), 0);
  std::stable_sort(seeds.begin(), seeds.end(), [&](uint32_t a, uint32_t b) { return area[a] > area[b]; });
  std::vector<int32_t> chart_of(nt, -1);
  std::vector<std::vector<uint32_t>> members;
  std::vector<Vec3> chart_normal;
  for (uint32_t seed : seeds) {
    if (chart_of[seed] >= 0) continue;
    const int32_t c = int32_t(members.size());
    members.emplace_back();
    std::vector<uint32_t>& m = members.back();
    Vec3 sum = normal[seed] * float(area[seed]);
    chart_of[seed] = c;
    m.push_back(seed);
    for (size_t q = 0; q < m.size(); ++q) {
      const uint32_t t = m[q];
      const float ls = length(sum);
      const Vec3 cn = ls > 0 ? sum * (1.0f / ls) : normal[seed];
      for (uint32_t e = adj_first[t]; e < adj_first[t + 1]; ++e) {
        const uint32_t u = adj[e];
        if (chart_of[u] >= 0) continue;
        if (!degenerate(u) && (dot(normal[u], cn) < cos_cone || dot(normal[u], normal[seed]) < cos_cone * 0.9f)) continue;
        chart_of[u] = c;
        m.push_back(u);
        sum = sum + normal[u] * float(area[u]);
      }
    }
    const float ls = length(sum);
    chart_normal.push_back(ls > 0 ? sum * (1.0f / ls) : (length(normal[seed]) > 0 ? normal[seed] : make_vec3(0, 0, 1)));
  }

  // Flatten by orthographic projection; evict triangles that face away (would fold) or overlap.
  auto project = [&](const std::vector<uint32_t>& tris, Vec3 n) {
    const Vec3 helper = std::fabs(n.x) < 0.6f ? make_vec3(1, 0, 0) : make_vec3(0, 1, 0);
    Vec3 u = cross(helper, n);
    u = u * (1.0f / length(u));
    const Vec3 v = cross(n, u);
    for (uint32_t t : tris)
      for (int k = 0; k < 3; ++k) {
        const Vec3 p = corner(in, t0 + t, k);
        uv[3 * (t0 + t) + k] = {double(dot(p, u)), double(dot(p, v))};
      }
  };
  std::vector<uint32_t> singles;
  std::vector<uint8_t> flags;
  for (size_t c = 0; c < members.size(); ++c) {
    std::vector<uint32_t>& m = members[c];
    if (m.size() > 1) {
      std::vector<uint32_t> keep;
      for (uint32_t t : m)
        if (!degenerate(t) && dot(normal[t], chart_normal[c]) < 0.5f) singles.push_back(t);
        else keep.push_back(t);
      m.swap(keep);
    }
    project(m, chart_normal[c]);
    if (m.size() > 1) {
      std::vector<uint32_t> global(m.size());
      double ext = 0;
      for (size_t i = 0; i < m.size(); ++i) global[i] = t0 + m[i];
      for (uint32_t t : m) ext = std::max(ext, std::sqrt(area[t]));
      flag_overlaps(uv, global, nullptr, 1e-6 * ext, flags);
      std::vector<uint32_t> keep;
      for (size_t i = 0; i < m.size(); ++i)
        if (flags[i]) singles.push_back(m[i]);
        else keep.push_back(m[i]);
      m.swap(keep);
    }
  }
  for (uint32_t t : singles) {
    members.push_back({t});
    chart_normal.push_back(length(normal[t]) > 0 ? normal[t] : make_vec3(0, 0, 1));
    project(members.back(), chart_normal.back());
  }
  for (auto& m : members)
    if (!m.empty()) {
      Chart c{o, {}};
      for (uint32_t t : m) c.tris.push_back(t0 + t);
      result.charts.push_back(std::move(c));
    }
}

// Rotate a chart's coordinates so that its minimum-area bounding rectangle is axis aligned (hull edge directions).
void align_chart(const Chart& c, std::vector<Vec2d>& uv) {
  std::vector<Vec2d> pts;
  pts.reserve(3 * c.tris.size());
  for (uint32_t t : c.tris)
    for (int k = 0; k < 3; ++k) pts.push_back(uv[3 * t + k]);
  std::sort(pts.begin(), pts.end(), [](Vec2d a, Vec2d b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  std::vector<Vec2d> hull(2 * pts.size());
  size_t h = 0;
  for (size_t i = 0; i < pts.size(); ++i) {  // Andrew's monotone chain
    while (h >= 2 && cross2(hull[h - 2], hull[h - 1], pts[i]) <= 0) --h;
    hull[h++] = pts[i];
  }
  for (size_t i = pts.size() - 1, lo = h + 1; i-- > 0;) {
    while (h >= lo && cross2(hull[h - 2], hull[h - 1], pts[i]) <= 0) --h;
    hull[h++] = pts[i];
  }
  if (h < 3) return;
  --h;
  double best = INFINITY, bc = 1, bs = 0;
  const size_t step = std::max<size_t>(1, h / 128);
  for (size_t i = 0; i < h; i += step) {
    double dx = hull[i + 1].x - hull[i].x, dy = hull[i + 1].y - hull[i].y;
    const double l = std::sqrt(dx * dx + dy * dy);
    if (!(l > 0)) continue;
    dx /= l, dy /= l;
    double lo0 = INFINITY, hi0 = -INFINITY, lo1 = INFINITY, hi1 = -INFINITY;
    for (size_t j = 0; j < h; ++j) {
      const double a = hull[j].x * dx + hull[j].y * dy, b = -hull[j].x * dy + hull[j].y * dx;
      lo0 = std::min(lo0, a), hi0 = std::max(hi0, a), lo1 = std::min(lo1, b), hi1 = std::max(hi1, b);
    }
    const double area = (hi0 - lo0) * (hi1 - lo1);
    if (area < best) best = area, bc = dx, bs = dy;
  }
  for (uint32_t t : c.tris)
    for (int k = 0; k < 3; ++k) {
      const Vec2d p = uv[3 * t + k];
      uv[3 * t + k] = {p.x * bc + p.y * bs, -p.x * bs + p.y * bc};
    }
}

// A chart rasterized at its object's density: raw conservative footprint and the footprint dilated by padding.
struct ChartRaster {
  int w = 0, h = 0;            // dilated bitmap size; raw texels sit at [pad, w-pad) x [pad, h-pad)
  double ox = 0, oy = 0;       // texel coords = chart coords * scale + (ox, oy)
  std::vector<int> top;        // per column: first dilated row (h when empty)
  std::vector<int> raw_end;    // per column: one past the last raw row (0 when empty)
  uint64_t raw_texels = 0;
};

// Rasterizes chart c at `scale` once and fills both orientations: r[0] as is, r[1] transposed (x and y swapped;
// the offsets are symmetric, so the transposed raster is exactly the transposed bitmap).
void raster_chart(const Chart& c, const std::vector<Vec2d>& uv, double scale, int pad, ChartRaster* r) {
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (uint32_t t : c.tris)
    for (int k = 0; k < 3; ++k) {
      const Vec2d p = uv[3 * t + k];
      lo[0] = std::min(lo[0], p.x * scale), lo[1] = std::min(lo[1], p.y * scale);
      hi[0] = std::max(hi[0], p.x * scale), hi[1] = std::max(hi[1], p.y * scale);
    }
  // Place the chart's low corner half a texel into its first raw texel, so that vertices avoid texel borders.
  const double ox = pad + 0.5 - lo[0], oy = pad + 0.5 - lo[1];
  const int rw = int(std::floor(hi[0] + ox)) + 1 - pad, rh = int(std::floor(hi[1] + oy)) + 1 - pad;
  std::vector<uint8_t> raw(size_t(rw) * rh, 0);
  for (uint32_t t : c.tris) {
    float tx[3], ty[3];
    for (int k = 0; k < 3; ++k) {
      const Vec2d p = uv[3 * t + k];
      tx[k] = float(p.x * scale + ox - pad), ty[k] = float(p.y * scale + oy - pad);
    }
    const int x0 = std::max(0, int(std::floor(std::min(tx[0], std::min(tx[1], tx[2])))) - 1);
    const int x1 = std::min(rw - 1, int(std::floor(std::max(tx[0], std::max(tx[1], tx[2])))));
    const int y0 = std::max(0, int(std::floor(std::min(ty[0], std::min(ty[1], ty[2])))) - 1);
    const int y1 = std::min(rh - 1, int(std::floor(std::max(ty[0], std::max(ty[1], ty[2])))));
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x)
        if (!raw[size_t(y) * rw + x] && triangle_touches_texel(tx, ty, x, y)) raw[size_t(y) * rw + x] = 1;
  }
  uint64_t count = 0;
  for (uint8_t b : raw) count += b;
  // Column envelopes of the raw footprint for each orientation, then the top profile dilated by pad (Chebyshev).
  for (int o = 0; o < 2; ++o) {
    ChartRaster& R = r[o];
    const int cw = o ? rh : rw, ch = o ? rw : rh;
    R.w = cw + 2 * pad, R.h = ch + 2 * pad;
    R.ox = o ? oy : ox, R.oy = o ? ox : oy;
    R.raw_texels = count;
    R.top.assign(R.w, R.h);
    R.raw_end.assign(R.w, 0);
    std::vector<int> rtop(cw, INT32_MAX), rend(cw, 0);
    for (int y = 0; y < rh; ++y)
      for (int x = 0; x < rw; ++x)
        if (raw[size_t(y) * rw + x]) {
          const int col = o ? y : x, row = o ? x : y;
          rtop[col] = std::min(rtop[col], row);
          rend[col] = std::max(rend[col], row + 1);
        }
    for (int x = 0; x < cw; ++x) {
      if (!rend[x]) continue;
      R.raw_end[x + pad] = rend[x] + pad;
      for (int d = -pad; d <= pad; ++d) R.top[x + pad + d] = std::min(R.top[x + pad + d], rtop[x]);
    }
  }
}

struct Page {
  std::vector<int> sky;  // per column: first row below every raw texel placed so far
  int used = 0;          // rows used (raw extent + pad)
  int used_w = 0;        // columns used
  uint64_t texels = 0;
  uint64_t boxes = 0;    // padded chart box texels placed: a page with too little box room left is not tried
};

// Lowest placement of r on the page: returns (x, y) with y = INT_MAX when it does not fit.
std::pair<int, int> skyline_fit(const Page& p, const ChartRaster& r, int W, int H) {
  int bx = -1, by = INT32_MAX;
  for (int x = 0; x + r.w <= W; ++x) {
    int y = 0;
    for (int c = 0; c < r.w && y < by; ++c)
      if (r.top[c] < r.h) y = std::max(y, p.sky[x + c] - r.top[c]);
    if (y < by) by = y, bx = x;
  }
  if (by == INT32_MAX || by + r.h > H) return {-1, INT32_MAX};
  return {bx, by};
}

}  // namespace

uint64_t count_uv_overlaps(const float* corner_uv, uint32_t triangle_count, const uint32_t* page, double eps,
                           uint8_t* flags) {
  std::vector<Vec2d> uv(3 * size_t(triangle_count));
  for (size_t i = 0; i < uv.size(); ++i) uv[i] = {corner_uv[2 * i], corner_uv[2 * i + 1]};
  // One grid per page: pages all span [0,1]^2, so a shared grid would compare every page's triangles pairwise.
  std::vector<uint32_t> order(triangle_count);
  std::iota(order.begin(), order.end(), 0);
  if (page) std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return page[a] < page[b]; });
  uint64_t n = 0;
  std::vector<uint8_t> f;
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    while (page && j < order.size() && page[order[j]] == page[order[i]]) ++j;
    if (!page) j = order.size();
    std::vector<uint32_t> tris(order.begin() + i, order.begin() + j);
    flag_overlaps(uv, tris, nullptr, eps, f);
    for (size_t k = 0; k < tris.size(); ++k) {
      n += f[k];
      if (flags) flags[tris[k]] = f[k];
    }
    i = j;
  }
  return n;
}

Result validate_lightmap_uv_input(const LightmapUvInput& in) {
  for (uint64_t i = 0; i < 3ull * in.triangle_count; ++i)
    if (in.indices[i] >= in.vertex_count)
      return Result::invalid("indices[" + std::to_string(i) + "] is out of range (" + std::to_string(in.indices[i]) +
                             " of " + std::to_string(in.vertex_count) + " vertices)");
  if (!in.object_first_triangle || in.object_first_triangle[0] != 0 ||
      in.object_first_triangle[in.object_count] != in.triangle_count)
    return Result::invalid("objectFirstTriangle must run from 0 to the triangle count");
  for (uint32_t o = 0; o < in.object_count; ++o)
    if (in.object_first_triangle[o] > in.object_first_triangle[o + 1])
      return Result::invalid("objectFirstTriangle must not decrease");
  for (uint32_t o = 0; o < in.object_count; ++o)
    if (!(in.object_texels_per_meter[o] > 0) || !std::isfinite(in.object_texels_per_meter[o]))
      return Result::invalid("objectTexelsPerMeter[" + std::to_string(o) + "] must be a positive number");
  if (in.object_keep_uv && !in.corner_uv) return Result::invalid("objectKeepUv needs cornerUv");
  return Result::ok();
}

Status generate_lightmap_uvs(const LightmapUvInput& in, const LightmapUvOptions& opt, LightmapUvOutput& out,
                             const JobControl& ctl) {
  if (opt.page_size < 16 || opt.page_size > 16384 || !validate_lightmap_uv_input(in)) return Status::InvalidArgument;

  // OTE_BAKE_TRACE=1 prints the time of each stage to stderr.
  const bool trace = std::getenv("OTE_BAKE_TRACE") != nullptr;
  auto clock0 = std::chrono::steady_clock::now();
  auto stage = [&](const char* name) {
    if (!trace) return;
    const auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "lightmap uv: %s %.1f ms\n", name, std::chrono::duration<double, std::milli>(now - clock0).count());
    clock0 = now;
  };
  // 1. Charts, in parallel over objects (largest objects first so one big mesh does not finish last).
  std::vector<Vec2d> uv(3 * size_t(in.triangle_count));
  std::vector<ObjectCharts> per(in.object_count);
  std::vector<uint32_t> by_size(in.object_count);
  std::iota(by_size.begin(), by_size.end(), 0);
  auto tri_count = [&](uint32_t o) { return in.object_first_triangle[o + 1] - in.object_first_triangle[o]; };
  std::stable_sort(by_size.begin(), by_size.end(), [&](uint32_t a, uint32_t b) { return tri_count(a) > tri_count(b); });
  JobControl chart_ctl{ctl.cancel, [&](double f) { ctl.report(0.6 * f); }};
  Status st = parallel_for(in.object_count, 1, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) {
      const uint32_t o = by_size[i];
      chart_object(in, opt, o, uv, per[o]);
      for (const Chart& c : per[o].charts) align_chart(c, uv);
    }
  }, chart_ctl);
  if (st != Status::Ok) return st;
  stage("charts");

  // 2. Pack objects (largest area first) onto pages; an object's charts share one page.
  const int pad = int(opt.padding);
  std::vector<double> scale(in.object_count);
  std::vector<double> obj_area(in.object_count, 0.0);
  double total_texels = 0;
  for (uint32_t o = 0; o < in.object_count; ++o) {
    scale[o] = in.object_texels_per_meter[o];
    for (uint32_t t = in.object_first_triangle[o]; t < in.object_first_triangle[o + 1]; ++t)
      obj_area[o] += 0.5 * std::fabs(cross2(uv[3 * t], uv[3 * t + 1], uv[3 * t + 2]));
    total_texels += obj_area[o] * scale[o] * scale[o];
  }
  std::vector<uint32_t> pack_order(in.object_count);
  std::iota(pack_order.begin(), pack_order.end(), 0);
  std::stable_sort(pack_order.begin(), pack_order.end(),
                   [&](uint32_t a, uint32_t b) { return obj_area[a] * scale[a] * scale[a] > obj_area[b] * scale[b] * scale[b]; });

  // Small scenes get a smaller square page first, so that a box does not sit in a mostly empty 1024^2 page.
  int W = 64;
  while (W < int(opt.page_size) && double(W) * W * 0.5 < total_texels) W *= 2;
  W = std::min(W, int(opt.page_size));

  struct Placed {
    uint32_t chart;  // index into `charts`
    int x, y;
    bool transpose;
    double ox, oy;
  };
  std::vector<const Chart*> charts;
  for (uint32_t o = 0; o < in.object_count; ++o)
    for (const Chart& c : per[o].charts) charts.push_back(&c);
  std::vector<uint32_t> first_chart(in.object_count + 1, 0);
  for (uint32_t o = 0; o < in.object_count; ++o) first_chart[o + 1] = first_chart[o] + uint32_t(per[o].charts.size());

  std::vector<Page> pages;
  std::vector<Placed> placed(charts.size());
  std::vector<uint32_t> page_of(in.object_count, 0);
  std::vector<uint64_t> obj_texels(in.object_count, 0), obj_box(in.object_count, 0);
  for (;;) {  // grows W when a smaller trial page size spills onto a second page
    pages.clear();
    bool retry_bigger = false;
    for (size_t oi = 0; oi < pack_order.size() && !retry_bigger; ++oi) {
      if (ctl.cancelled()) return Status::Cancelled;
      ctl.report(0.6 + 0.4 * double(oi) / pack_order.size());
      const uint32_t o = pack_order[oi];
      for (int attempt = 0;; ++attempt) {
        // Rasterize the object's charts at the current scale, in both orientations; biggest charts first.
        const uint32_t nc = first_chart[o + 1] - first_chart[o];
        std::vector<ChartRaster> rs(2 * size_t(nc));
        // Shrink before rasterizing when the charts' boxes alone exceed the page (no raster at a hopeless size).
        if (attempt == 0 && W == int(opt.page_size)) {
          double boxes = 0;
          for (uint32_t i = 0; i < nc; ++i) {
            double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
            for (uint32_t t : charts[first_chart[o] + i]->tris)
              for (int k = 0; k < 3; ++k) {
                const Vec2d p = uv[3 * t + k];
                lo[0] = std::min(lo[0], p.x), lo[1] = std::min(lo[1], p.y), hi[0] = std::max(hi[0], p.x), hi[1] = std::max(hi[1], p.y);
              }
            boxes += ((hi[0] - lo[0]) * scale[o] + 1) * ((hi[1] - lo[1]) * scale[o] + 1);
          }
          if (boxes > 0.9 * W * W) scale[o] *= std::sqrt(0.7 * W * W / boxes);
        }
        for (uint32_t i = 0; i < nc; ++i) raster_chart(*charts[first_chart[o] + i], uv, scale[o], pad, &rs[2 * i]);
        std::vector<uint32_t> corder(nc);
        std::iota(corder.begin(), corder.end(), 0);
        std::stable_sort(corder.begin(), corder.end(), [&](uint32_t a, uint32_t b) {
          return std::min(rs[2 * a].h, rs[2 * a].w) > std::min(rs[2 * b].h, rs[2 * b].w);
        });
        // An object far larger than a page shrinks at once to about 70% of it, then in 10% steps.
        uint64_t box_area = 0;
        for (uint32_t i = 0; i < nc; ++i) box_area += uint64_t(rs[2 * i].w) * rs[2 * i].h;
        if (W == int(opt.page_size) && double(box_area) > 0.9 * W * W) {
          scale[o] *= std::sqrt(0.7 * W * W / double(box_area));
          continue;
        }
        uint64_t obj_raw = 0;
        for (uint32_t i = 0; i < nc; ++i) obj_raw += rs[2 * i].raw_texels;
        bool too_big = false;
        for (uint32_t i = 0; i < nc; ++i) too_big |= std::max(rs[2 * i].w, rs[2 * i].h) > W;
        auto try_page = [&](Page& pg) {
          Page trial = pg;
          std::vector<Placed> local(nc);
          for (uint32_t i : corder) {
            const auto a = skyline_fit(trial, rs[2 * i], W, W), b = skyline_fit(trial, rs[2 * i + 1], W, W);
            const bool useb = b.second != INT32_MAX && (a.second == INT32_MAX || b.second + rs[2 * i + 1].h < a.second + rs[2 * i].h);
            const auto best = useb ? b : a;
            if (best.second == INT32_MAX) return false;
            const ChartRaster& r = rs[2 * i + (useb ? 1 : 0)];
            for (int c = 0; c < r.w; ++c)
              if (r.raw_end[c]) trial.sky[best.first + c] = std::max(trial.sky[best.first + c], best.second + r.raw_end[c]);
            trial.used = std::max(trial.used, best.second + r.h);
            trial.used_w = std::max(trial.used_w, best.first + r.w);
            trial.texels += r.raw_texels;
            trial.boxes += uint64_t(r.w) * r.h;
            local[i] = {first_chart[o] + i, best.first, best.second, useb, r.ox, r.oy};
          }
          pg = std::move(trial);
          obj_texels[o] = obj_box[o] = 0;
          for (uint32_t i = 0; i < nc; ++i) {
            placed[first_chart[o] + i] = local[i];
            const ChartRaster& r = rs[2 * i + (local[i].transpose ? 1 : 0)];
            obj_texels[o] += r.raw_texels;
            obj_box[o] += uint64_t(r.w) * r.h;
          }
          return true;
        };
        bool done = false;
        if (!too_big) {
          for (size_t p = 0; p < pages.size() && !done; ++p)
            if (pages[p].texels + obj_raw <= uint64_t(W) * W && try_page(pages[p])) page_of[o] = uint32_t(p), done = true;
          if (!done) {
            if (!pages.empty() && W < int(opt.page_size)) {
              retry_bigger = true;
              break;
            }
            pages.push_back(Page{std::vector<int>(W, 0), 0, 0, 0, 0});
            if (try_page(pages.back())) page_of[o] = uint32_t(pages.size() - 1), done = true;
            else pages.pop_back();
          }
        }
        if (done) break;
        if (W < int(opt.page_size)) {
          retry_bigger = true;
          break;
        }
        scale[o] *= 0.9;  // does not fit one empty page at this density
        if (attempt > 60) return Status::InvalidArgument;
      }
    }
    if (!retry_bigger) break;
    W *= 2;
  }

  stage("pack");
  // 3. Final UVs, normalized per page. Pages are cropped to what they hold, rounded up to a multiple of 4 texels
  // (block compression), so a small scene does not sit in a mostly empty page.
  out.page_count = uint32_t(pages.size());
  std::vector<int> page_w(pages.size()), page_h(pages.size());
  for (size_t p = 0; p < pages.size(); ++p) {
    page_w[p] = std::min(W, (pages[p].used_w + 3) & ~3);
    page_h[p] = std::min(W, (pages[p].used + 3) & ~3);
    if (p < out.max_pages) {
      out.page_width[p] = page_w[p], out.page_height[p] = page_h[p];
      out.page_texels[p] = pages[p].texels;
    }
  }
  out.chart_count = uint32_t(charts.size());
  std::vector<uint32_t> tri_page(in.triangle_count, 0);
  for (uint32_t o = 0; o < in.object_count; ++o) {
    const double pw = page_w[page_of[o]], ph = page_h[page_of[o]];
    double max_s = 0, sum_s = 0, sum_a = 0;
    for (uint32_t ci = first_chart[o]; ci < first_chart[o + 1]; ++ci) {
      const Placed& pl = placed[ci];
      for (uint32_t t : charts[ci]->tris) {
        tri_page[t] = page_of[o];
        out.triangle_chart[t] = ci;
        Vec2d tex[3];
        for (int k = 0; k < 3; ++k) {
          const Vec2d p = uv[3 * t + k];
          const double cx = (pl.transpose ? p.y : p.x) * scale[o] + pl.ox + pl.x;
          const double cy = (pl.transpose ? p.x : p.y) * scale[o] + pl.oy + pl.y;
          tex[k] = {cx, cy};
          out.corner_uv[6ull * t + 2 * k] = float(cx / pw);
          out.corner_uv[6ull * t + 2 * k + 1] = float(cy / ph);
        }
        double smax, smin;
        const Vec3 a = corner(in, t, 0) * float(scale[o]), b = corner(in, t, 1) * float(scale[o]), c = corner(in, t, 2) * float(scale[o]);
        map_singular_values(a, b, c, tex[0], tex[1], tex[2], &smax, &smin);
        // Slivers (area tiny against the longest edge, as on fp16-gridded assets) have an ill-conditioned map;
        // their stretch says nothing about the parameterization, so they are left out of the figures.
        const Vec3 e0 = b - a, e1 = c - b, e2 = a - c;
        const double longest2 = std::max(dot(e0, e0), std::max(dot(e1, e1), dot(e2, e2)));
        const bool sliver = !(length(cross(b - a, c - a)) > 1e-3 * longest2);
        if (!sliver && smax > 0 && smin > 1e-9) {
          const double s = std::max(smax, 1.0 / smin);
          const double ar = 0.5 * length(cross(b - a, c - a));
          max_s = std::max(max_s, s), sum_s += s * ar, sum_a += ar;
        }
      }
    }
    out.object_page[o] = page_of[o];
    out.object_charts[o] = first_chart[o + 1] - first_chart[o];
    out.object_texels[o] = obj_texels[o];
    out.object_box_texels[o] = obj_box[o];
    out.object_max_stretch[o] = float(max_s);
    out.object_mean_stretch[o] = float(sum_a > 0 ? sum_s / sum_a : 0);
    out.object_texels_per_meter[o] = float(scale[o]);
    out.object_overlaps[o] = 0;
  }
  stage("final uv + stretch");
  // 4. Verify: overlaps among all triangles on each page, counted per object.
  std::vector<uint8_t> flags(in.triangle_count);
  count_uv_overlaps(out.corner_uv, in.triangle_count, tri_page.data(), 1e-6, flags.data());
  for (uint32_t o = 0; o < in.object_count; ++o)
    for (uint32_t t = in.object_first_triangle[o]; t < in.object_first_triangle[o + 1]; ++t) out.object_overlaps[o] += flags[t];
  stage("overlap check");
  ctl.report(1.0);
  return Status::Ok;
}

}  // namespace ote
