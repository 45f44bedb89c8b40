// Sky portals: where the sky gets into a scene. An interior lit only by daylight (an atrium under an open roof, a
// hall with windows) sees the sky through openings that cosine-sampled bounce rays rarely find: on Sponza a few
// percent of them, so its lightmap and its path-traced reference are noise. Renderers let the artist place portals
// over the openings (Cycles' portal lights, Bakery's sky portals); here they are found: the scene's bounds, grown
// by a margin, are cut into cells face by face, and a portal is a cell through which rays from the scene's sheltered
// surfaces escape (cpu/sky_portals_cpu.cpp, once per scene, seeded). Next-event estimation then picks a portal cell
// by its share of those escapes, a point in it, and traces a shadow ray there; a bounce ray that escapes through a
// portal is weighted against that strategy by MIS (power heuristic), so the estimate is unchanged in expectation
// and a ray that escapes elsewhere counts in full. Nothing lies past the bounds, so a shadow ray that reaches the
// cell sees the sky.
//
// Written once (OTE_HD) for the CPU drivers and the CUDA kernel. A view with `count` 0 (no sky, an open scene, no
// sheltered surface) samples nothing and draws no random numbers: such scenes trace exactly as without portals.
#pragma once
#include <math.h>
#include <stdint.h>

#include "../hd.h"
#include "../vec3.h"

namespace ote {

// Face f = 2a + side of the grown bounds lies across axis a (side 0 at lo[a], side 1 at hi[a]). Its cells run along
// the axes u = (a + 1) % 3 (cells[a][0] of them) and v = (a + 2) % 3 (cells[a][1]); cell (i, j) of face f is number
// face_first[f] + j * cells[a][0] + i.
struct SkyPortalView {
  float lo[3], hi[3];          // the grown bounds
  uint32_t cells[3][2];        // cells along u and v on the two faces across each axis
  uint32_t face_first[7];      // first cell of each face; face_first[6] = all cells
  const float* cell_share;     // face_first[6] entries: the share of portal samples the cell takes (0: no portal)
  const uint32_t* portal_cell; // `count` cells with a share, in cdf order
  const float* portal_cdf;     // `count` entries, ascending, last = 1
  uint32_t count;              // 0: no portals
};

// The sun through the portals. Daylight that gets in through an opening lands on a small patch (of an atrium's
// floor, say), and that patch's bounce light is most of what lights the rest of the interior; cosine-sampled bounce
// rays rarely find it. So a directional light also gets light vertices (transport.h), shot from the portal cells
// of the faces it enters through along the light into the scene: they land where the sunlight does. A cell is
// picked by its area × the cosine between the light and its face, and a point uniformly in it, so the rays are
// uniform over the beam's cross-section, `area`: one lands on a surface point x with density cos_x / area per unit
// area wherever the ray from x towards the light leaves the bounds through a portal cell (and 0 elsewhere).
struct SunPortalView {
  int32_t light;           // index of the directional light that has light vertices; -1: none
  uint32_t count;          // its cells
  const uint32_t* cells;   // portal cells on the faces it enters through, in cdf order
  const float* cdf;        // `count` entries, ascending, last = 1
  float area;              // Σ cell area × cos: the cross-section of the beam the light vertices are shot in
};

namespace portals {

OTE_HD OTE_INLINE float axis_of(Vec3 v, int a) { return a == 0 ? v.x : (a == 1 ? v.y : v.z); }

// The face (2 × axis + side) a cell lies on.
OTE_HD OTE_INLINE int face_of(const SkyPortalView& g, uint32_t cell) {
  int f = 0;
  while (f < 5 && cell >= g.face_first[f + 1]) ++f;
  return f;
}

// The cell's rectangle on its face: the corner, the two edges along u and v, and the axis across the face.
OTE_HD OTE_INLINE void cell_rect(const SkyPortalView& g, uint32_t cell, Vec3& corner, Vec3& eu, Vec3& ev, int& axis) {
  const int f = face_of(g, cell);
  const int a = f >> 1, u = (a + 1) % 3, v = (a + 2) % 3;
  const uint32_t k = cell - g.face_first[f], nu = g.cells[a][0], nv = g.cells[a][1];
  const uint32_t i = k % nu, j = k / nu;
  const float du = (g.hi[u] - g.lo[u]) / float(nu), dv = (g.hi[v] - g.lo[v]) / float(nv);
  float c[3], e1[3] = {0, 0, 0}, e2[3] = {0, 0, 0};
  c[a] = (f & 1) ? g.hi[a] : g.lo[a];
  c[u] = g.lo[u] + du * float(i);
  c[v] = g.lo[v] + dv * float(j);
  e1[u] = du;
  e2[v] = dv;
  corner = make_vec3(c[0], c[1], c[2]);
  eu = make_vec3(e1[0], e1[1], e1[2]);
  ev = make_vec3(e2[0], e2[1], e2[2]);
  axis = a;
}

OTE_HD OTE_INLINE float cell_area(const SkyPortalView& g, int a) {
  const int u = (a + 1) % 3, v = (a + 2) % 3;
  return (g.hi[u] - g.lo[u]) / float(g.cells[a][0]) * ((g.hi[v] - g.lo[v]) / float(g.cells[a][1]));
}

OTE_HD OTE_INLINE bool inside(const SkyPortalView& g, Vec3 o) {
  return o.x >= g.lo[0] && o.x <= g.hi[0] && o.y >= g.lo[1] && o.y <= g.hi[1] && o.z >= g.lo[2] && o.z <= g.hi[2];
}

// Where a ray from `o` (inside the bounds) along unit `d` leaves them: the cell, the distance and the axis of the
// face. False when `o` is not inside or the exit is degenerate.
OTE_HD OTE_INLINE bool exit_cell(const SkyPortalView& g, Vec3 o, Vec3 d, uint32_t& cell, float& t, int& axis) {
  t = INFINITY;
  int a = -1, side = 0;
  if (!inside(g, o)) return false;
  for (int k = 0; k < 3; ++k) {
    const float dk = axis_of(d, k), ok = axis_of(o, k);
    if (dk == 0.0f) continue;
    const float tk = ((dk > 0 ? g.hi[k] : g.lo[k]) - ok) / dk;
    if (tk < t) t = tk, a = k, side = dk > 0;
  }
  if (a < 0 || !(t >= 0) || !(t < INFINITY)) return false;
  const int u = (a + 1) % 3, v = (a + 2) % 3;
  const uint32_t nu = g.cells[a][0], nv = g.cells[a][1];
  const float fu = (axis_of(o, u) + axis_of(d, u) * t - g.lo[u]) / (g.hi[u] - g.lo[u]);
  const float fv = (axis_of(o, v) + axis_of(d, v) * t - g.lo[v]) / (g.hi[v] - g.lo[v]);
  const uint32_t i = fu > 0 ? (fu < 1 ? uint32_t(fu * float(nu)) : nu) : 0u;
  const uint32_t j = fv > 0 ? (fv < 1 ? uint32_t(fv * float(nv)) : nv) : 0u;
  cell = g.face_first[2 * a + side] + (j < nv ? j : nv - 1) * nu + (i < nu ? i : nu - 1);
  axis = a;
  return true;
}

// The solid-angle density with which portal sampling picks direction `d` from `o`: 0 where the ray leaves through
// no portal.
OTE_HD OTE_INLINE float pdf(const SkyPortalView& g, Vec3 o, Vec3 d) {
  if (g.count == 0) return 0.0f;
  uint32_t cell;
  float t;
  int a;
  if (!exit_cell(g, o, d, cell, t, a)) return 0.0f;
  const float share = g.cell_share[cell], cos_face = fabsf(axis_of(d, a));
  if (!(share > 0) || !(cos_face > 1e-6f)) return 0.0f;
  return share / cell_area(g, a) * t * t / cos_face;
}

// A point on a portal for the uniforms (u0, u1, u2): u0 picks the cell by the cdf, (u1, u2) the point in it.
// Returns the cell's share over its area (the area density of the point), 0 without portals.
OTE_HD OTE_INLINE float sample_point(const SkyPortalView& g, float u0, float u1, float u2, Vec3& q, int& axis) {
  if (g.count == 0) return 0.0f;
  uint32_t lo = 0, hi = g.count - 1;
  while (lo < hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (g.portal_cdf[mid] < u0) lo = mid + 1;
    else hi = mid;
  }
  const uint32_t cell = g.portal_cell[lo];
  Vec3 corner, eu, ev;
  cell_rect(g, cell, corner, eu, ev, axis);
  q = corner + eu * u1 + ev * u2;
  return g.cell_share[cell] / cell_area(g, axis);
}

// Whether a ray from `o` (inside the bounds) towards unit `to_light` leaves them through a portal cell: where a sun
// light vertex can come from (SunPortalView).
OTE_HD OTE_INLINE bool sun_enters(const SkyPortalView& g, Vec3 o, Vec3 to_light) {
  if (g.count == 0) return false;
  uint32_t cell;
  float t;
  int a;
  return exit_cell(g, o, to_light, cell, t, a) && g.cell_share[cell] > 0;
}

// A point on the sun's portal cells for the uniforms (u0, u1, u2): u0 picks the cell by the cdf, (u1, u2) the point.
OTE_HD OTE_INLINE Vec3 sample_sun_point(const SkyPortalView& g, const SunPortalView& sun, float u0, float u1, float u2) {
  uint32_t lo = 0, hi = sun.count - 1;
  while (lo < hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (sun.cdf[mid] < u0) lo = mid + 1;
    else hi = mid;
  }
  Vec3 corner, eu, ev;
  int axis;
  cell_rect(g, sun.cells[lo], corner, eu, ev, axis);
  return corner + eu * u1 + ev * u2;
}

}  // namespace portals
}  // namespace ote
