// Counter-based random numbers (PCG hash, Jarzynski & Olano 2020): a pure function of a seed counter, so CPU threads
// and GPU threads draw the same numbers for the same texel, pixel or sample whatever the scheduling.
#pragma once
#include <stdint.h>
#include "hd.h"

namespace ote {

OTE_HD OTE_INLINE uint32_t pcg_hash(uint32_t v) {
  const uint32_t state = v * 747796405u + 2891336453u;
  const uint32_t word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// The top 24 bits of x as a float in [0, 1).
OTE_HD OTE_INLINE float unit_float(uint32_t x) { return float(x >> 8) * (1.0f / 16777216.0f); }

// Advance the state and return a float in [0, 1) with 24 random bits.
OTE_HD OTE_INLINE float rand01(uint32_t& s) {
  s = pcg_hash(s);
  return unit_float(s);
}

}  // namespace ote
