// Reading a baked lightmap at a ray hit, written once (OTE_HD) for the lightmapped reference render
// (cpu/reference_render_cpu.cpp) and the bake's final gather (transport.h incident, CPU and CUDA drivers).
//
//   LightmapView lm = ...;              // the pages, and per triangle its UV1 corners and page
//   Vec3 L;
//   if (lightmap::lookup(lm, h.prim, h.u, h.v, L)) ...   // L = the texel value, bilinear at the hit's UV1
//
// Buffer contracts: pages[p] holds page p's width × height texels, 4 floats each (RGB = L, irradiance / π; A = AO),
// row-major, top row first.
// triangle_uv1: 6 floats per triangle (page-normalized UV1 corners); triangle_page: 1 int per triangle, -1 = not
// lightmapped. Pointers are host or device memory, as the caller runs.
#pragma once
#include <math.h>
#include <stdint.h>

#include "../hd.h"
#include "../vec3.h"

namespace ote {

struct LightmapView {
  const float* const* pages;  // page_count pointers; null: no lightmap (lookup finds nothing)
  const uint32_t* page_width;
  const uint32_t* page_height;
  uint32_t page_count;
  const float* triangle_uv1;
  const int32_t* triangle_page;
  uint32_t triangle_count;
  // Optional (null: none), per triangle: the world length of one lightmap texel's side on it, sqrt(world area /
  // texel area). The final gather reads the lightmap only farther than a few texels (transport.h incident).
  const float* triangle_texel;
};

namespace lightmap {

// The lightmap of triangle `prim` at barycentrics (u, v) into L: bilinear, texel centres at (i + 0.5) / W, clamped
// to the page (as the engines sample a lightmap with clamp-to-edge). False, L untouched, where the triangle has no
// page or the view no lightmap.
OTE_HD OTE_INLINE bool lookup(const LightmapView& lm, uint32_t prim, float u, float v, Vec3& L) {
  if (!lm.pages || prim >= lm.triangle_count) return false;
  const int32_t pg = lm.triangle_page[prim];
  if (pg < 0 || uint32_t(pg) >= lm.page_count) return false;
  const float* uv = lm.triangle_uv1 + 6ull * prim;
  const float w0 = 1.0f - u - v;
  const float U = w0 * uv[0] + u * uv[2] + v * uv[4], V = w0 * uv[1] + u * uv[3] + v * uv[5];
  const int W = int(lm.page_width[pg]), H = int(lm.page_height[pg]);
  if (W <= 0 || H <= 0 || !(fabsf(U) < 1e6f) || !(fabsf(V) < 1e6f)) return false;
  const float fx = U * float(W) - 0.5f, fy = V * float(H) - 0.5f;
  const float x0f = floorf(fx), y0f = floorf(fy), ax = fx - x0f, ay = fy - y0f;
  const int ix = int(x0f), iy = int(y0f);
  const float* page = lm.pages[pg];
  Vec3 sum = make_vec3(0, 0, 0);
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 2; ++i) {
      const int x = ix + i, y = iy + j;
      const int X = x < 0 ? 0 : (x >= W ? W - 1 : x), Y = y < 0 ? 0 : (y >= H ? H - 1 : y);
      const float wgt = (i ? ax : 1.0f - ax) * (j ? ay : 1.0f - ay);
      const float* t = page + 4ull * (uint64_t(Y) * uint64_t(W) + uint64_t(X));
      sum = sum + make_vec3(t[0], t[1], t[2]) * wgt;
    }
  L = sum;
  return true;
}

}  // namespace lightmap
}  // namespace ote
