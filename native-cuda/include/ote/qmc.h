// Low-discrepancy samples for the first path vertex (bake/transport.h incident): the first two dimensions of Sobol'
// (van der Corput and the second Sobol' dimension), Owen-scrambled by hashing (Burley 2020, "Practical Hash-based
// Owen Scrambling"), padded: every 1D or 2D decision of a sample (the bounce direction, a light's sample point, the
// light vertex) takes its own shuffle and scramble of the same sequence, so decisions are decorrelated while each
// one is stratified across the samples. The Laine-Karras hash is Vegdahl's variant (2021), which he shows to
// scramble more evenly than Burley's constants; test_bake could not tell the two apart within its noise.
//
// What it buys: the n samples of one texel (or pixel) place their bounce directions and light samples in the n
// strata of an elementary (0,m,2)-net instead of independently, so the estimate of a smooth-ish integrand (a
// bright patch seen from a texel, a sun penumbra, a portal) converges faster than 1/√n. Expectation is unchanged:
// each scrambled point is uniform on [0,1)^d.
//
// Contract: `index` is the sample's index within its item (texel or pixel), `seed` is per item (hash the item and
// the bake's seed). Prefixes of 2^k samples are (0,k,2)-nets, and so is every aligned block of 2^k samples in the
// shuffled order (the shuffle is itself a nested scramble), so a progressive bake that stops a texel after a
// multiple of its batch (16) keeps the stratification. Up to 65,536 samples per item; past that an item's points
// are those of its first 65,536 again, in another order (unbiased, but they add no stratification). Pure functions of (index, seed, dim): CPU threads and CUDA
// threads draw the same numbers.
#pragma once
#include <stdint.h>

#include "hd.h"
#include "random.h"

namespace ote {
namespace qmc {

OTE_HD OTE_INLINE uint32_t reverse_bits(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return __brev(x);
#else
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
  return (x >> 16) | (x << 16);
#endif
}

// Laine and Karras' hash: each output bit depends only on the input bits below it (adds and multiplications by even
// constants carry upwards), which on bit-reversed values is a nested uniform (Owen) scramble in base 2.
OTE_HD OTE_INLINE uint32_t laine_karras(uint32_t x, uint32_t seed) {
  x ^= x * 0x3d20adeau;
  x += seed;
  x *= (seed >> 16) | 1u;
  x ^= x * 0x05526c56u;
  x ^= x * 0x53a22864u;
  return x;
}

// Owen scramble of a 32-bit fixed-point number in [0,1) (bit 31 = 1/2).
OTE_HD OTE_INLINE uint32_t owen_scramble(uint32_t x, uint32_t seed) {
  return reverse_bits(laine_karras(reverse_bits(x), seed));
}

// Sobol's second dimension (primitive polynomial x + 1): direction numbers v_{k+1} = v_k ^ (v_k >> 1), over the
// low 16 bits of i (enough: see get_2d).
OTE_HD OTE_INLINE uint32_t sobol_dim1(uint32_t i) {
  uint32_t r = 0;
  for (uint32_t v = 1u << 31; i; i >>= 1, v ^= v >> 1) r ^= v & (0u - (i & 1u));
  return r;
}

// One sample's place in its item's sequence.
struct Sample {
  uint32_t index;  // the sample's index within its item
  uint32_t seed;   // per item
};

// The sample's index in decision `dim`'s own shuffle of the sequence (each decision shuffles the order apart, so
// that decisions are not correlated), and that decision's scramble seeds h, pcg_hash(h) and so on. The shuffle
// keeps aligned blocks of 2^k indices together, and so does keeping the low 16 bits of the shuffled index: an
// aligned block of 2^k <= 65536 indices stays an aligned block of the sequence, a (0,k,2)-net.
OTE_HD OTE_INLINE uint32_t shuffled(const Sample& q, uint32_t dim, uint32_t& h) {
  h = pcg_hash(q.seed ^ (dim * 0x9e3779b9u));
  const uint32_t i = owen_scramble(q.index, h) & 0xffffu;
  h = pcg_hash(h);
  return i;
}

// Point `q.index` of the 2D sequence for decision `dim`: in [0,1)².
OTE_HD OTE_INLINE void get_2d(const Sample& q, uint32_t dim, float& u1, float& u2) {
  uint32_t h;
  const uint32_t i = shuffled(q, dim, h);
  u1 = unit_float(reverse_bits(laine_karras(i, h)));  // owen_scramble(reverse_bits(i)): van der Corput
  u2 = unit_float(owen_scramble(sobol_dim1(i), pcg_hash(h)));
}

// Point `q.index` of the 1D sequence for decision `dim`: in [0,1).
OTE_HD OTE_INLINE float get_1d(const Sample& q, uint32_t dim) {
  uint32_t h;
  const uint32_t i = shuffled(q, dim, h);
  return unit_float(reverse_bits(laine_karras(i, h)));
}

}  // namespace qmc
}  // namespace ote
