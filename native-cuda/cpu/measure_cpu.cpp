// CPU driver for measure_triangles: the thread pool runs the shared chunks.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ote/measure.h"
#include "ote/measure_chunks.h"
#include "ote/thread_pool.h"
#include "ote/triangle_measure.h"

namespace ote {

Status measure_triangles_cpu(const FlatScene& s, MeasureOutput& out, const JobControl& ctl) {
  std::vector<MeasureChunk> chunks;
  make_measure_chunks(s, chunks);
  std::vector<MeasurePartial> partials(chunks.size());
  const Status st = parallel_for(chunks.size(), 1, [&](uint64_t cb, uint64_t ce) {
    for (uint64_t k = cb; k < ce; ++k) {
      const MeasureChunk& c = chunks[k];
      const float* m = s.instance_transforms + 16ull * c.instance;
      const uint32_t base = s.mesh_first_triangle[s.instance_mesh[c.instance]];
      MeasurePartial p = {0, {INFINITY, INFINITY, INFINITY}, {-INFINITY, -INFINITY, -INFINITY}, 0};
      for (uint32_t t = c.begin; t < c.end; ++t) {
        const TriangleMeasure tm = measure_instance_triangle(s.positions, s.indices, m, base + t);
        const uint64_t slot = c.first_slot + (t - c.begin);
        if (out.triangle_area) out.triangle_area[slot] = tm.area;
        if (out.triangle_normal) {
          out.triangle_normal[3 * slot] = tm.normal.x;
          out.triangle_normal[3 * slot + 1] = tm.normal.y;
          out.triangle_normal[3 * slot + 2] = tm.normal.z;
        }
        if (tm.degenerate) {
          ++p.degenerate;
          continue;
        }
        p.area += tm.area;
        p.lo[0] = std::min(p.lo[0], tm.lo.x), p.lo[1] = std::min(p.lo[1], tm.lo.y), p.lo[2] = std::min(p.lo[2], tm.lo.z);
        p.hi[0] = std::max(p.hi[0], tm.hi.x), p.hi[1] = std::max(p.hi[1], tm.hi.y), p.hi[2] = std::max(p.hi[2], tm.hi.z);
      }
      partials[k] = p;
    }
  }, ctl);
  if (st != Status::Ok) return st;
  reduce_measure_partials(s, chunks, partials, out);
  return Status::Ok;
}

}  // namespace ote
