// World-space measures of one triangle: the analyzer's raw input (area, orientation, bounds).
#pragma once
#include "vec3.h"

namespace ote {

struct TriangleMeasure {
  float area;    // world-space area; 0 when degenerate
  Vec3 normal;   // unit geometric normal (counter-clockwise winding); zero when degenerate
  Vec3 lo, hi;   // world-space bounds of the three corners
  bool degenerate;
};

// A triangle is degenerate when a corner is not finite or its area is negligible against its longest edge,
// so that slivers from fp16-gridded assets (Sponza) do not count as real surface.
OTE_HD OTE_INLINE TriangleMeasure measure_triangle(Vec3 a, Vec3 b, Vec3 c) {
  TriangleMeasure m;
  m.lo = vmin(a, vmin(b, c));
  m.hi = vmax(a, vmax(b, c));
  const Vec3 n = cross(b - a, c - a);
  const float twice_area = length(n);
  const Vec3 e0 = b - a, e1 = c - b, e2 = a - c;
  const float longest2 = fmaxf(dot(e0, e0), fmaxf(dot(e1, e1), dot(e2, e2)));
  const bool finite = is_finite(a) && is_finite(b) && is_finite(c) && isfinite(twice_area);
  m.degenerate = !finite || !(twice_area > 1e-7f * longest2);
  if (m.degenerate) {
    m.area = 0.0f;
    m.normal = make_vec3(0.0f, 0.0f, 0.0f);
    if (!finite) {
      m.lo = make_vec3(INFINITY, INFINITY, INFINITY);
      m.hi = make_vec3(-INFINITY, -INFINITY, -INFINITY);
    }
  } else {
    m.area = 0.5f * twice_area;
    m.normal = n * (1.0f / twice_area);
  }
  return m;
}

// Measure triangle t of the flat scene as drawn by the instance with world matrix m.
OTE_HD OTE_INLINE TriangleMeasure measure_instance_triangle(const float* positions, const unsigned* indices,
                                                            const float* m, unsigned t) {
  const Vec3 a = transform_point(m, load_vec3(positions, indices[3 * t]));
  const Vec3 b = transform_point(m, load_vec3(positions, indices[3 * t + 1]));
  const Vec3 c = transform_point(m, load_vec3(positions, indices[3 * t + 2]));
  return measure_triangle(a, b, c);
}

}  // namespace ote
