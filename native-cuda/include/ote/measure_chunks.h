// Work split shared by the CPU and CUDA measure drivers: fixed chunks of one instance's triangles,
// each producing a Partial; partials are reduced in chunk order so both backends sum alike.
#pragma once
#include <math.h>
#include <stdint.h>
#include <vector>

#include "flat_scene.h"
#include "measure.h"

namespace ote {

struct MeasureChunk {
  uint32_t instance, begin, end;  // mesh-local triangle range
  uint64_t first_slot;            // first per-instance-triangle output slot
};

struct MeasurePartial {
  double area;
  float lo[3], hi[3];
  uint32_t degenerate;
};

constexpr uint32_t kMeasureGrain = 1 << 14;

// Chunks in instance order; returns the total number of instance triangles.
inline uint64_t make_measure_chunks(const FlatScene& s, std::vector<MeasureChunk>& chunks) {
  uint64_t slots = 0;
  for (uint32_t i = 0; i < s.instance_count; ++i) {
    const uint32_t n = instance_triangle_count(s, i);
    for (uint32_t b = 0; b < n; b += kMeasureGrain)
      chunks.push_back({i, b, n - b < kMeasureGrain ? n : b + kMeasureGrain, slots + b});
    slots += n;
  }
  return slots;
}

void reduce_measure_partials(const FlatScene& s, const std::vector<MeasureChunk>& chunks,
                             const std::vector<MeasurePartial>& partials, MeasureOutput& out);

}  // namespace ote
