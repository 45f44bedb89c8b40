// 2D math for lightmap UVs, written once for the CPU drivers and the CUDA kernels: triangle overlap with a
// tolerance, texel/triangle coverage for conservative rasterization, and the stretch of a 3D->2D map.
#pragma once
#include <math.h>
#include "../hd.h"
#include "../vec3.h"

namespace ote {

struct Vec2d {
  double x, y;
};

OTE_HD OTE_INLINE double cross2(Vec2d o, Vec2d a, Vec2d b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

// Signed gap along the outward normal of edge (a,b) of triangle abc between the edge line and the point set q:
// positive when every q lies strictly outside. Computed with the edge normal unnormalized, then scaled.
OTE_HD OTE_INLINE bool separated_by_edge(Vec2d a, Vec2d b, Vec2d c, const Vec2d* q, double eps) {
  const double nx = b.y - a.y, ny = a.x - b.x;  // perpendicular to ab
  const double len = sqrt(nx * nx + ny * ny);
  if (!(len > 0)) return false;
  // Orient the normal away from c.
  const double side = nx * (c.x - a.x) + ny * (c.y - a.y);
  const double s = side > 0 ? -1.0 : 1.0;
  for (int k = 0; k < 3; ++k) {
    const double d = s * (nx * (q[k].x - a.x) + ny * (q[k].y - a.y)) / len;
    if (d < -eps) return false;  // q[k] reaches into the triangle's half-plane by more than eps
  }
  return true;
}

// Thinnest width of a triangle: twice its area over its longest edge.
OTE_HD OTE_INLINE double triangle_thickness(const Vec2d* p) {
  double l2 = 0;
  for (int k = 0; k < 3; ++k) {
    const double dx = p[(k + 1) % 3].x - p[k].x, dy = p[(k + 1) % 3].y - p[k].y;
    l2 = fmax(l2, dx * dx + dy * dy);
  }
  return l2 > 0 ? fabs(cross2(p[0], p[1], p[2])) / sqrt(l2) : 0.0;
}

// True when triangles p and q overlap by more than `eps` (touching along a shared edge or vertex is not an overlap).
// Triangles thinner than eps (collinear corners up to rounding) cannot overlap anything by more than eps.
OTE_HD OTE_INLINE bool triangles_overlap_2d(const Vec2d* p, const Vec2d* q, double eps) {
  if (triangle_thickness(p) <= eps || triangle_thickness(q) <= eps) return false;
  for (int e = 0; e < 3; ++e) {
    if (separated_by_edge(p[e], p[(e + 1) % 3], p[(e + 2) % 3], q, eps)) return false;
    if (separated_by_edge(q[e], q[(e + 1) % 3], q[(e + 2) % 3], p, eps)) return false;
  }
  return true;
}

// Conservative coverage: does triangle t (texel units) touch the closed texel square [x,x+1]x[y,y+1]?
// Separating-axis test between the square and the triangle (box axes, then the three edge normals).
OTE_HD OTE_INLINE bool triangle_touches_texel(const float* tx, const float* ty, int x, int y) {
  const float x0 = float(x), x1 = float(x + 1), y0 = float(y), y1 = float(y + 1);
  if (fmaxf(tx[0], fmaxf(tx[1], tx[2])) < x0 || fminf(tx[0], fminf(tx[1], tx[2])) > x1) return false;
  if (fmaxf(ty[0], fmaxf(ty[1], ty[2])) < y0 || fminf(ty[0], fminf(ty[1], ty[2])) > y1) return false;
  const float area = (tx[1] - tx[0]) * (ty[2] - ty[0]) - (ty[1] - ty[0]) * (tx[2] - tx[0]);
  const float s = area >= 0 ? 1.0f : -1.0f;
  for (int e = 0; e < 3; ++e) {
    const int a = e, b = (e + 1) % 3;
    // Inside is s * ((b-a) x (p-a)) >= 0; the square is outside if its most-inside corner is still outside.
    const float ex = tx[b] - tx[a], ey = ty[b] - ty[a];
    const float px = s * -ey >= 0 ? x1 : x0;  // corner maximizing s*(ex*(py-ay) - ey*(px-ax))
    const float py = s * ex >= 0 ? y1 : y0;
    if (s * (ex * (py - ty[a]) - ey * (px - tx[a])) < 0) return false;
  }
  return true;
}

// Singular values (max, min) of the linear map taking triangle (a,b,c) in 3D to (ua,ub,uc) in 2D.
// For a lightmap at the target density the ideal is (1,1); stretch = max(smax, 1/smin).
OTE_HD OTE_INLINE void map_singular_values(Vec3 a, Vec3 b, Vec3 c, Vec2d ua, Vec2d ub, Vec2d uc, double* smax,
                                           double* smin) {
  // Local orthonormal frame of the 3D triangle.
  const Vec3 e1 = b - a, e2 = c - a;
  const double l1 = length(e1);
  const Vec3 n = cross(e1, e2);
  const double ln = length(n);
  if (!(l1 > 0) || !(ln > 0)) {
    *smax = 0, *smin = 0;
    return;
  }
  const Vec3 X = e1 * float(1.0 / l1);
  const Vec3 Y = cross(n * float(1.0 / ln), X);
  const double x1 = l1, x2 = dot(e2, X), y2 = dot(e2, Y);  // 3D triangle in 2D: (0,0), (x1,0), (x2,y2)
  const double du1 = ub.x - ua.x, dv1 = ub.y - ua.y, du2 = uc.x - ua.x, dv2 = uc.y - ua.y;
  // J maps local (x,y) to (u,v): J*(x1,0)=(du1,dv1), J*(x2,y2)=(du2,dv2).
  const double a11 = du1 / x1, a21 = dv1 / x1;
  const double a12 = (du2 - a11 * x2) / y2, a22 = (dv2 - a21 * x2) / y2;
  const double e = a11 * a11 + a21 * a21, f = a11 * a12 + a21 * a22, g = a12 * a12 + a22 * a22;
  const double r = sqrt((e - g) * (e - g) + 4 * f * f);
  *smax = sqrt(fmax(0.0, 0.5 * (e + g + r)));
  *smin = sqrt(fmax(0.0, 0.5 * (e + g - r)));
}

}  // namespace ote
