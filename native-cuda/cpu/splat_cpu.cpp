// CPU driver of the splat rasterizer: project in parallel over Gaussians, bucket the (tile, depth) keys by tile
// (the high radix digit) in parallel and radix-sort each tile's depths, then blend (eight pixels at once with
// AVX2, scalar otherwise) and back-propagate in parallel over tiles. Frames are pooled across calls.
// Per-tile gradient slots are reduced in sorted order, so results do not depend on the thread count.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ote/cpu_simd.h"
#include "ote/splat/splat.h"
#include "ote/object_pool.h"
#include "ote/thread_pool.h"

namespace ote {
namespace splat {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// A tile's splat, gathered contiguously, with the tile-local pixel box outside which its alpha is certainly under
// 1/255 (so skipping those pixels changes nothing).
struct TileSplat {
  float mean2d[2], conic[3], opacity, rgb[3], depth;
  int x0, y0, x1, y1;  // [x0, x1) x [y0, y1) in tile-local pixels; empty when the splat never reaches 1/255
};

void splat_box(const Projected& p, int tile_x0, int tile_y0, int tw, int th, TileSplat& s) {
  s.x0 = s.y0 = 0, s.x1 = s.y1 = 0;
  const float L = logf(255.f * p.opacity);  // alpha >= 1/255 needs d^T C d <= 2L
  const float det = p.conic[0] * p.conic[2] - p.conic[1] * p.conic[1];
  if (!(L > 0.f) || !(det > 0.f)) return;
  // Half extents of the ellipse d^T C d = 2L, padded by a pixel against rounding.
  const float ex = sqrtf(2.f * L * p.conic[2] / det) + 1.f, ey = sqrtf(2.f * L * p.conic[0] / det) + 1.f;
  const float cx = p.mean2d[0] - tile_x0 - 0.5f, cy = p.mean2d[1] - tile_y0 - 0.5f;  // in pixel-centre units
  s.x0 = std::max(0, int(ceilf(cx - ex))), s.x1 = std::min(tw, int(floorf(cx + ex)) + 1);
  s.y0 = std::max(0, int(ceilf(cy - ey))), s.y1 = std::min(th, int(floorf(cy + ey)) + 1);
  if (s.x1 < s.x0) s.x1 = s.x0;
  if (s.y1 < s.y0) s.y1 = s.y0;
}

// Forward state. `proj`, `tile_start` and `ids` are what blending reads; `T_final` and `n_contrib` are kept only
// for the backward pass (a forward-only render skips them).
struct Frame {
  std::vector<Projected> proj;
  std::vector<uint32_t> tile_start;  // tiles + 1
  std::vector<uint32_t> ids;         // Gaussian per sorted intersection
  std::vector<uint32_t> depth_bits;  // sort key per intersection (the low word of the (tile, depth) key)
  std::vector<uint32_t> bin;         // binning histograms, [chunk][tile]
  std::vector<float> T_final;
  std::vector<uint32_t> n_contrib;   // per pixel: sorted-list offset within the tile + 1 of the last contributor
  // Backward only: image gradients, per-intersection gradient slots and their per-Gaussian sums.
  std::vector<float> rgb, alpha, depth, d_rgb, d_alpha, d_depth;
  std::vector<ProjectedGrad> slot, pg;
};

// Frames are reused across calls (a training run renders thousands of frames of the same size): page-faulting
// fresh 100 MB buffers in every frame cost more than the projection itself. Buffers far larger than the frame
// that last used them are dropped so one huge render does not pin its memory for good.
class FramePool {
 public:
  std::unique_ptr<Frame> acquire() { return pool_.acquire(); }
  // `count`, `isect` and `npix` are what the call used (npix 0 for a forward-only render, which keeps no image
  // state for the backward pass).
  void release(std::unique_ptr<Frame> f, size_t count, size_t isect, size_t npix) {
    for (std::vector<float>* v : {&f->T_final, &f->rgb, &f->alpha, &f->depth, &f->d_rgb, &f->d_alpha, &f->d_depth})
      if (v->capacity() > 12 * npix + 65536) std::vector<float>().swap(*v);
    if (f->n_contrib.capacity() > 4 * npix + 65536) std::vector<uint32_t>().swap(f->n_contrib);
    if (f->proj.capacity() > 4 * count + 65536) std::vector<Projected>().swap(f->proj);
    if (f->pg.capacity() > 4 * count + 65536) std::vector<ProjectedGrad>().swap(f->pg);
    if (f->ids.capacity() > 4 * isect + 65536) {
      std::vector<uint32_t>().swap(f->ids);
      std::vector<uint32_t>().swap(f->depth_bits);
      std::vector<ProjectedGrad>().swap(f->slot);
    }
    pool_.release(std::move(f));
  }

 private:
  ObjectPool<Frame> pool_;
};
FramePool& frame_pool() {
  static FramePool pool;
  return pool;
}

// Holds a pooled frame for the length of one call.
struct PooledFrame {
  std::unique_ptr<Frame> f = frame_pool().acquire();
  size_t count = 0, npix = 0;
  ~PooledFrame() {
    const size_t isect = f->ids.size();
    frame_pool().release(std::move(f), count, isect, npix);
  }
};

// Scratch that lives with the worker thread (sort buffers and a tile's gathered splats).
struct ThreadScratch {
  std::vector<uint32_t> tk, ti;
  std::vector<TileSplat> local;
  std::vector<uint32_t> segment_lists;  // the AVX2 blender's per-segment splat lists
};
ThreadScratch& scratch() {
  thread_local ThreadScratch s;
  return s;
}

// Per-tile blend state for one 8-pixel row segment, and what the tile writes out.
struct TileOut {
  float* rgb;
  float* alpha;
  float* depth;
  float* T_final;
  uint32_t* n_contrib;
  const float* bg;
  int W;
};

void store_pixel(const TileOut& o, size_t pix, float T, const float C[3], float D, uint32_t last) {
  if (o.rgb)
    for (int c = 0; c < 3; ++c) o.rgb[3 * pix + c] = blend_pixel(C[c], T, o.bg[c]);
  if (o.alpha) o.alpha[pix] = 1.f - T;
  if (o.depth) o.depth[pix] = D;
  if (o.T_final) o.T_final[pix] = T;
  if (o.n_contrib) o.n_contrib[pix] = last;
}

// Scalar blender: pixel-major, each pixel walks the tile's splats front to back through blend_alpha (the shared
// math) and stops at the first splat that would take T under 1e-4. The box test only skips splats whose alpha
// is certainly under 1/255 there, so it changes nothing.
void blend_tile_scalar(const TileSplat* s, uint32_t n, int x0, int y0, int tw, int th, const TileOut& o) {
  for (int ly = 0; ly < th; ++ly)
    for (int lx = 0; lx < tw; ++lx) {
      const float px = x0 + lx + 0.5f, py = y0 + ly + 0.5f;
      float T = 1.f, C[3] = {0.f, 0.f, 0.f}, D = 0.f;
      uint32_t last = 0;
      for (uint32_t k = 0; k < n; ++k) {
        const TileSplat& q = s[k];
        if (ly < q.y0 || ly >= q.y1 || lx < q.x0 || lx >= q.x1) continue;
        bool stop;
        const float alpha = blend_alpha(q.conic, q.mean2d, q.opacity, px, py, T, &stop);
        if (stop) break;
        if (alpha == 0.f) continue;
        blend_accumulate(alpha, q.rgb, q.depth, T, C, D);
        last = k + 1;
      }
      store_pixel(o, size_t(y0 + ly) * o.W + (x0 + lx), T, C, D, last);
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define OTE_AVX2 __attribute__((target("avx2,fma")))

// splat_exp (splat_math.h) on eight lanes: the same operations in the same order, so each lane is bit-for-bit
// the scalar result.
OTE_AVX2 inline __m256 exp256(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// AVX2 blender: blend_alpha and blend_accumulate, eight pixels of a row at once, in their order of operations, so
// its images equal the scalar blender's bit-for-bit (tested). Each 8-pixel segment
// keeps its state in registers and leaves the splat list as soon as all its pixels have stopped.
OTE_AVX2 void blend_tile_avx2(const TileSplat* s, uint32_t n, int x0, int y0, int tw, int th, const TileOut& o,
                              std::vector<uint32_t>& lists) {
  // Bucket the splats by the 8-pixel row segments their boxes touch (front to back within each bucket), so a
  // segment walks only splats that can reach it instead of testing every box in the tile.
  constexpr int kSeg = kTile * kTile / 8;
  uint32_t start[kSeg + 1] = {0};
  for (uint32_t k = 0; k < n; ++k) {
    const TileSplat& q = s[k];
    if (q.x1 <= q.x0) continue;
    for (int ly = q.y0; ly < q.y1; ++ly)
      for (int h = q.x0 >> 3; h <= (q.x1 - 1) >> 3; ++h) ++start[ly * 2 + h + 1];
  }
  for (int i = 0; i < kSeg; ++i) start[i + 1] += start[i];
  if (lists.size() < start[kSeg]) lists.resize(start[kSeg]);
  {
    uint32_t fill[kSeg];
    std::memcpy(fill, start, sizeof(fill));
    for (uint32_t k = 0; k < n; ++k) {
      const TileSplat& q = s[k];
      if (q.x1 <= q.x0) continue;
      for (int ly = q.y0; ly < q.y1; ++ly)
        for (int h = q.x0 >> 3; h <= (q.x1 - 1) >> 3; ++h) lists[fill[ly * 2 + h]++] = k;
    }
  }
  const __m256 lane = _mm256_setr_ps(0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f), half = _mm256_set1_ps(-0.5f);
  const __m256 amax = _mm256_set1_ps(kAlphaMax), amin = _mm256_set1_ps(kAlphaMin);
  const __m256 tmin = _mm256_set1_ps(kTransmittanceMin);
  for (int ly = 0; ly < th; ++ly) {
    const float py = y0 + ly + 0.5f;
    for (int cx = 0; cx < tw; cx += 8) {
      const __m256 px = _mm256_add_ps(_mm256_set1_ps(float(x0 + cx)), lane);
      __m256 T = one, C0 = zero, C1 = zero, C2 = zero, D = zero;
      __m256i last = _mm256_setzero_si256();
      // Lanes past the tile's right edge start out done so they never hold the segment back.
      __m256 done = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(tw - cx - 1)));
      const int seg = ly * 2 + (cx >> 3);
      for (uint32_t j = start[seg]; j < start[seg + 1]; ++j) {
        const uint32_t k = lists[j];
        const TileSplat& q = s[k];
        const __m256 dx = _mm256_sub_ps(_mm256_set1_ps(q.mean2d[0]), px);
        const float dy = q.mean2d[1] - py;
        // splat_power's two fused multiply-adds.
        const __m256 quad = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(q.conic[0]), dx), dx,
                                            _mm256_set1_ps(q.conic[2] * dy * dy));
        const __m256 power = _mm256_fnmadd_ps(_mm256_set1_ps(q.conic[1] * dy), dx, _mm256_mul_ps(half, quad));
        const __m256 alpha = _mm256_min_ps(amax, _mm256_mul_ps(_mm256_set1_ps(q.opacity), exp256(power)));
        // Live lanes: inside the support (power <= 0), alpha >= 1/255, and not stopped yet.
        __m256 live = _mm256_and_ps(_mm256_cmp_ps(power, zero, _CMP_LE_OQ), _mm256_cmp_ps(alpha, amin, _CMP_GE_OQ));
        live = _mm256_andnot_ps(done, live);
        if (_mm256_testz_ps(live, live)) continue;
        const __m256 one_minus = _mm256_sub_ps(one, alpha);
        const __m256 Tn = _mm256_mul_ps(T, one_minus);
        const __m256 stop = _mm256_and_ps(live, _mm256_cmp_ps(Tn, tmin, _CMP_LT_OQ));
        const __m256 add = _mm256_andnot_ps(stop, live);
        done = _mm256_or_ps(done, stop);
        const __m256 w = _mm256_and_ps(add, _mm256_mul_ps(alpha, T));
        C0 = _mm256_fmadd_ps(_mm256_set1_ps(q.rgb[0]), w, C0);
        C1 = _mm256_fmadd_ps(_mm256_set1_ps(q.rgb[1]), w, C1);
        C2 = _mm256_fmadd_ps(_mm256_set1_ps(q.rgb[2]), w, C2);
        D = _mm256_fmadd_ps(_mm256_set1_ps(q.depth), w, D);
        T = _mm256_blendv_ps(T, Tn, add);
        last = _mm256_castps_si256(
            _mm256_blendv_ps(_mm256_castsi256_ps(last), _mm256_castsi256_ps(_mm256_set1_epi32(int(k + 1))), add));
        if (_mm256_movemask_ps(done) == 0xff) break;
      }
      alignas(32) float t[8], c0[8], c1[8], c2[8], d[8];
      alignas(32) uint32_t l[8];
      _mm256_store_ps(t, T), _mm256_store_ps(c0, C0), _mm256_store_ps(c1, C1), _mm256_store_ps(c2, C2);
      _mm256_store_ps(d, D), _mm256_store_si256(reinterpret_cast<__m256i*>(l), last);
      const int m = std::min(8, tw - cx);
      for (int j = 0; j < m; ++j) {
        const float C[3] = {c0[j], c1[j], c2[j]};
        store_pixel(o, size_t(y0 + ly) * o.W + (x0 + cx + j), t[j], C, d[j], l[j]);
      }
    }
  }
}
#undef OTE_AVX2
#endif

// What a tile's backward pass reads and writes.
struct TileBackward {
  const Frame& f;
  const float *d_rgb, *d_alpha, *d_depth, *bg;
  ProjectedGrad* slot;
  int W, TX;
};

// Scalar backward of one tile: back to front over the splats; each visits only its pixel box, and only the pixels
// it contributed to (k < n_contrib), through blend_backward_step (the shared math).
void backward_tile_scalar(const TileBackward& c, uint64_t t, int tw, int th, uint32_t max_last) {
  const Frame& f = c.f;
  const uint32_t s0 = f.tile_start[t];
  const int x0 = int(t % c.TX) * kTile, y0 = int(t / c.TX) * kTile;
  float T[kTile * kTile], accum[kTile * kTile][4];
  for (int ly = 0; ly < th; ++ly)
    for (int lx = 0; lx < tw; ++lx) {
      const int i = ly * kTile + lx;
      T[i] = f.T_final[size_t(y0 + ly) * c.W + (x0 + lx)];
      accum[i][0] = accum[i][1] = accum[i][2] = accum[i][3] = 0.f;
    }
  for (uint32_t k = max_last; k-- > 0;) {
    const Projected& p = f.proj[f.ids[s0 + k]];
    TileSplat box;
    splat_box(p, x0, y0, tw, th, box);
    ProjectedGrad& g = c.slot[s0 + k];
    for (int ly = box.y0; ly < box.y1; ++ly)
      for (int lx = box.x0; lx < box.x1; ++lx) {
        const size_t pix = size_t(y0 + ly) * c.W + (x0 + lx);
        if (k >= f.n_contrib[pix]) continue;
        const int i = ly * kTile + lx;
        const float px = x0 + lx + 0.5f, py = y0 + ly + 0.5f;
        const float a = splat_alpha(p.conic, p.mean2d, p.opacity, px, py);
        if (a == 0.f) continue;
        T[i] /= 1.f - a;
        const float dp[3] = {c.d_rgb[3 * pix], c.d_rgb[3 * pix + 1], c.d_rgb[3 * pix + 2]};
        blend_backward_step(p.conic, p.mean2d, p.opacity, p.rgb, p.depth, px, py, T[i], f.T_final[pix], c.bg, dp,
                            c.d_alpha[pix], c.d_depth[pix], accum[i], g);
      }
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define OTE_AVX2 __attribute__((target("avx2,fma")))

OTE_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// AVX2 backward of one tile: blend_backward_step on eight pixels of a row at once. Splats are walked back to
// front as in the scalar pass; the per-pixel state (T, the colour and depth blended behind) lives in tile-sized
// arrays, and each splat's gradient is summed over its lanes and rows, then stored once. Alpha comes from the
// same splat_exp as the forward, so the T it divides out is the one the forward multiplied in.
OTE_AVX2 void backward_tile_avx2(const TileBackward& c, uint64_t t, int tw, int th, uint32_t max_last) {
  constexpr int kPx = kTile * kTile;
  const Frame& f = c.f;
  const uint32_t s0 = f.tile_start[t];
  const int x0 = int(t % c.TX) * kTile, y0 = int(t / c.TX) * kTile;
  alignas(32) float T[kPx], A0[kPx], A1[kPx], A2[kPx], A3[kPx], TF[kPx], P0[kPx], P1[kPx], P2[kPx], DA[kPx], DD[kPx],
      BGDP[kPx];
  alignas(32) int32_t LAST[kPx];
  for (int i = 0; i < kPx; ++i) {
    const int ly = i / kTile, lx = i % kTile;
    T[i] = A0[i] = A1[i] = A2[i] = A3[i] = TF[i] = P0[i] = P1[i] = P2[i] = DA[i] = DD[i] = BGDP[i] = 0.f;
    LAST[i] = 0;  // pixels outside the image never take part
    if (lx >= tw || ly >= th) continue;
    const size_t pix = size_t(y0 + ly) * c.W + (x0 + lx);
    T[i] = TF[i] = f.T_final[pix];
    LAST[i] = int32_t(f.n_contrib[pix]);
    P0[i] = c.d_rgb[3 * pix], P1[i] = c.d_rgb[3 * pix + 1], P2[i] = c.d_rgb[3 * pix + 2];
    DA[i] = c.d_alpha[pix], DD[i] = c.d_depth[pix];
    BGDP[i] = c.bg[0] * P0[i] + c.bg[1] * P1[i] + c.bg[2] * P2[i];
  }
  const __m256 lane = _mm256_setr_ps(0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f), mhalf = _mm256_set1_ps(-0.5f);
  const __m256 amax = _mm256_set1_ps(kAlphaMax), amin = _mm256_set1_ps(kAlphaMin);
  for (uint32_t k = max_last; k-- > 0;) {
    const Projected& p = f.proj[f.ids[s0 + k]];
    TileSplat box;
    splat_box(p, x0, y0, tw, th, box);
    if (box.x1 <= box.x0 || box.y1 <= box.y0) continue;
    const __m256i kk = _mm256_set1_epi32(int32_t(k));
    const __m256 mx = _mm256_set1_ps(p.mean2d[0]), ca = _mm256_set1_ps(p.conic[0]), cb = _mm256_set1_ps(p.conic[1]),
                 cc = _mm256_set1_ps(p.conic[2]), op = _mm256_set1_ps(p.opacity);
    const __m256 r0 = _mm256_set1_ps(p.rgb[0]), r1 = _mm256_set1_ps(p.rgb[1]), r2 = _mm256_set1_ps(p.rgb[2]),
                 dz = _mm256_set1_ps(p.depth);
    __m256 g_m0 = zero, g_m1 = zero, g_c0 = zero, g_c1 = zero, g_c2 = zero, g_r0 = zero, g_r1 = zero, g_r2 = zero,
           g_op = zero, g_d = zero;
    const int cx0 = box.x0 & ~7;
    for (int ly = box.y0; ly < box.y1; ++ly) {
      const float dyf = p.mean2d[1] - (y0 + ly + 0.5f);
      const __m256 dy = _mm256_set1_ps(dyf);
      for (int cx = cx0; cx < box.x1; cx += 8) {
        const int i = ly * kTile + cx;
        const __m256i last = _mm256_load_si256(reinterpret_cast<const __m256i*>(LAST + i));
        __m256 live = _mm256_castsi256_ps(_mm256_cmpgt_epi32(last, kk));  // k < n_contrib
        if (_mm256_testz_ps(live, live)) continue;
        const __m256 dx = _mm256_sub_ps(mx, _mm256_add_ps(_mm256_set1_ps(float(x0 + cx)), lane));
        const __m256 quad = _mm256_fmadd_ps(_mm256_mul_ps(ca, dx), dx, _mm256_set1_ps(p.conic[2] * dyf * dyf));
        const __m256 power = _mm256_fnmadd_ps(_mm256_set1_ps(p.conic[1] * dyf), dx, _mm256_mul_ps(mhalf, quad));
        const __m256 G = exp256(power);
        const __m256 raw = _mm256_mul_ps(op, G);
        const __m256 alpha = _mm256_min_ps(amax, raw);
        live = _mm256_and_ps(live, _mm256_and_ps(_mm256_cmp_ps(power, zero, _CMP_LE_OQ), _mm256_cmp_ps(alpha, amin, _CMP_GE_OQ)));
        if (_mm256_testz_ps(live, live)) continue;
        const __m256 oma = _mm256_sub_ps(one, alpha), ra = _mm256_div_ps(one, oma);
        const __m256 T0 = _mm256_load_ps(T + i);
        const __m256 Tn = _mm256_blendv_ps(T0, _mm256_div_ps(T0, oma), live);  // T in front of this splat
        _mm256_store_ps(T + i, Tn);
        const __m256 p0 = _mm256_load_ps(P0 + i), p1 = _mm256_load_ps(P1 + i), p2 = _mm256_load_ps(P2 + i);
        const __m256 dd = _mm256_load_ps(DD + i), tf = _mm256_load_ps(TF + i);
        const __m256 a0 = _mm256_load_ps(A0 + i), a1 = _mm256_load_ps(A1 + i), a2 = _mm256_load_ps(A2 + i),
                     a3 = _mm256_load_ps(A3 + i);
        const __m256 w = _mm256_and_ps(live, _mm256_mul_ps(alpha, Tn));
        g_d = _mm256_fmadd_ps(w, dd, g_d);
        g_r0 = _mm256_fmadd_ps(w, p0, g_r0), g_r1 = _mm256_fmadd_ps(w, p1, g_r1), g_r2 = _mm256_fmadd_ps(w, p2, g_r2);
        // dL/dalpha, as blend_backward_step.
        __m256 s = _mm256_mul_ps(_mm256_sub_ps(r0, a0), p0);
        s = _mm256_fmadd_ps(_mm256_sub_ps(r1, a1), p1, s);
        s = _mm256_fmadd_ps(_mm256_sub_ps(r2, a2), p2, s);
        s = _mm256_fmadd_ps(_mm256_sub_ps(dz, a3), dd, s);
        __m256 d_alpha = _mm256_mul_ps(s, Tn);
        const __m256 tfra = _mm256_mul_ps(tf, ra);
        d_alpha = _mm256_fmadd_ps(tfra, _mm256_sub_ps(_mm256_load_ps(DA + i), _mm256_load_ps(BGDP + i)), d_alpha);
        // The colour and depth blended behind, for the splats in front.
        _mm256_store_ps(A0 + i, _mm256_blendv_ps(a0, _mm256_fmadd_ps(alpha, r0, _mm256_mul_ps(oma, a0)), live));
        _mm256_store_ps(A1 + i, _mm256_blendv_ps(a1, _mm256_fmadd_ps(alpha, r1, _mm256_mul_ps(oma, a1)), live));
        _mm256_store_ps(A2 + i, _mm256_blendv_ps(a2, _mm256_fmadd_ps(alpha, r2, _mm256_mul_ps(oma, a2)), live));
        _mm256_store_ps(A3 + i, _mm256_blendv_ps(a3, _mm256_fmadd_ps(alpha, dz, _mm256_mul_ps(oma, a3)), live));
        // Clamped alpha passes no gradient to opacity or shape.
        const __m256 shape = _mm256_and_ps(live, _mm256_cmp_ps(raw, amax, _CMP_LE_OQ));
        const __m256 Gs = _mm256_and_ps(shape, G);
        g_op = _mm256_fmadd_ps(Gs, d_alpha, g_op);
        const __m256 dG = _mm256_mul_ps(_mm256_mul_ps(op, d_alpha), Gs);
        g_m0 = _mm256_fmadd_ps(dG, _mm256_fnmadd_ps(ca, dx, _mm256_mul_ps(_mm256_sub_ps(zero, cb), dy)), g_m0);
        g_m1 = _mm256_fmadd_ps(dG, _mm256_fnmadd_ps(cc, dy, _mm256_mul_ps(_mm256_sub_ps(zero, cb), dx)), g_m1);
        g_c0 = _mm256_fmadd_ps(_mm256_mul_ps(mhalf, _mm256_mul_ps(dx, dx)), dG, g_c0);
        g_c1 = _mm256_fnmadd_ps(_mm256_mul_ps(dx, dy), dG, g_c1);
        g_c2 = _mm256_fmadd_ps(_mm256_mul_ps(mhalf, _mm256_mul_ps(dy, dy)), dG, g_c2);
      }
    }
    ProjectedGrad& g = c.slot[s0 + k];
    g.mean2d[0] = hsum(g_m0), g.mean2d[1] = hsum(g_m1);
    g.conic[0] = hsum(g_c0), g.conic[1] = hsum(g_c1), g.conic[2] = hsum(g_c2);
    g.rgb[0] = hsum(g_r0), g.rgb[1] = hsum(g_r1), g.rgb[2] = hsum(g_r2);
    g.opacity = hsum(g_op), g.depth = hsum(g_d);
  }
}
#undef OTE_AVX2
#endif

// Stable LSD radix sort of (depth bits, id) pairs, 8 bits at a time, skipping digits every key shares (depths
// in one tile usually share their top byte). Equal depths keep Gaussian order.
void radix_sort_depth(uint32_t* keys, uint32_t* ids, uint32_t n, std::vector<uint32_t>& tk, std::vector<uint32_t>& ti) {
  if (n < 64) {  // insertion sort is faster and equally stable for short lists
    for (uint32_t i = 1; i < n; ++i) {
      const uint32_t k = keys[i], v = ids[i];
      uint32_t j = i;
      for (; j > 0 && keys[j - 1] > k; --j) keys[j] = keys[j - 1], ids[j] = ids[j - 1];
      keys[j] = k, ids[j] = v;
    }
    return;
  }
  if (tk.size() < n) tk.resize(n), ti.resize(n);
  uint32_t count[4][257] = {{0}};
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t k = keys[i];
    ++count[0][(k & 255) + 1], ++count[1][((k >> 8) & 255) + 1], ++count[2][((k >> 16) & 255) + 1], ++count[3][(k >> 24) + 1];
  }
  uint32_t *sk = keys, *si = ids, *dk = tk.data(), *di = ti.data();
  for (int d = 0; d < 4; ++d) {
    uint32_t* c = count[d];
    const int shift = 8 * d;
    if (c[((keys[0] >> shift) & 255) + 1] == n) continue;  // one bucket holds every key: nothing to move
    for (int b = 0; b < 256; ++b) c[b + 1] += c[b];
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t pos = c[(sk[i] >> shift) & 255]++;
      dk[pos] = sk[i], di[pos] = si[i];
    }
    std::swap(sk, dk), std::swap(si, di);
  }
  if (sk != keys) std::memcpy(keys, sk, n * sizeof(uint32_t)), std::memcpy(ids, si, n * sizeof(uint32_t));
}

// Project, bin and sort, then blend. `keep_for_backward` stores T_final and n_contrib.
Status forward(const Model& g, const Camera& cam, const RenderOptions& opts, Frame& f, Image& out, Stats* stats,
               bool keep_for_backward, const JobControl& ctl) {
  const int W = cam.width, H = cam.height, TX = tiles_x(cam), TY = tiles_y(cam), tiles = TX * TY;
  const size_t N = size_t(g.count);
  auto t0 = std::chrono::steady_clock::now();
  f.proj.resize(N);
  Status st = parallel_for(N, 8192, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) project_gaussian(g, cam, int(i), f.proj[i]);
  }, JobControl{ctl.cancel, {}});
  if (st != Status::Ok) return st;
  const double project_ms = ms_since(t0);

  // Bin by tile (the high word of the 64-bit key) in parallel over chunks of Gaussians: per-chunk histograms,
  // a scan in (tile, chunk) order, then a scatter, so every tile lists its Gaussians in index order whatever the
  // thread count. Then sort each tile's depths (the low word).
  t0 = std::chrono::steady_clock::now();
  const size_t chunk_cap = std::max<size_t>(1, std::min<size_t>(64, (size_t(1) << 22) / size_t(tiles)));
  const size_t chunks = std::max<size_t>(1, std::min(chunk_cap, N / 16384));
  const size_t per = (N + chunks - 1) / chunks;
  f.bin.assign(chunks * size_t(tiles), 0);
  std::vector<uint64_t> visible_per(chunks, 0);
  st = parallel_for(chunks, 1, [&](uint64_t b, uint64_t e) {
    for (uint64_t c = b; c < e; ++c) {
      uint32_t* h = f.bin.data() + c * tiles;
      uint64_t v = 0;
      for (size_t i = c * per, end = std::min(N, (c + 1) * per); i < end; ++i) {
        const Projected& p = f.proj[i];
        if (!p.radius) continue;
        ++v;
        for (int ty = p.rect[1]; ty < p.rect[3]; ++ty)
          for (int tx = p.rect[0]; tx < p.rect[2]; ++tx) ++h[size_t(ty) * TX + tx];
      }
      visible_per[c] = v;
    }
  }, JobControl{ctl.cancel, {}});
  if (st != Status::Ok) return st;
  uint64_t visible = 0;
  for (uint64_t v : visible_per) visible += v;
  f.tile_start.resize(size_t(tiles) + 1);
  uint64_t isect = 0;
  for (int t = 0; t < tiles; ++t) {
    f.tile_start[t] = uint32_t(isect);
    for (size_t c = 0; c < chunks; ++c) {
      uint32_t& h = f.bin[c * tiles + t];
      const uint32_t n = h;
      h = uint32_t(isect);
      isect += n;
    }
    if (isect > 0xffffffffull) return Status::OutOfMemory;
  }
  f.tile_start[tiles] = uint32_t(isect);
  f.ids.resize(isect);
  f.depth_bits.resize(isect);
  st = parallel_for(chunks, 1, [&](uint64_t b, uint64_t e) {
    for (uint64_t c = b; c < e; ++c) {
      uint32_t* h = f.bin.data() + c * tiles;
      for (size_t i = c * per, end = std::min(N, (c + 1) * per); i < end; ++i) {
        const Projected& p = f.proj[i];
        if (!p.radius) continue;
        const uint32_t bits = uint32_t(tile_depth_key(0, p.depth));
        for (int ty = p.rect[1]; ty < p.rect[3]; ++ty)
          for (int tx = p.rect[0]; tx < p.rect[2]; ++tx) {
            const uint32_t pos = h[size_t(ty) * TX + tx]++;
            f.ids[pos] = uint32_t(i), f.depth_bits[pos] = bits;
          }
      }
    }
  }, JobControl{ctl.cancel, {}});
  if (st != Status::Ok) return st;
  st = parallel_for(uint64_t(tiles), 16, [&](uint64_t b, uint64_t e) {
    ThreadScratch& s = scratch();
    for (uint64_t t = b; t < e; ++t) {
      const uint32_t s0 = f.tile_start[t], s1 = f.tile_start[t + 1];
      radix_sort_depth(f.depth_bits.data() + s0, f.ids.data() + s0, s1 - s0, s.tk, s.ti);
    }
  }, JobControl{ctl.cancel, {}});
  if (st != Status::Ok) return st;
  const double sort_ms = ms_since(t0);

  // Blend front to back, one tile per task.
  t0 = std::chrono::steady_clock::now();
  if (keep_for_backward) {
    f.T_final.resize(size_t(W) * H);
    f.n_contrib.resize(size_t(W) * H);
  }
  const TileOut o{out.rgb, out.alpha, out.depth, keep_for_backward ? f.T_final.data() : nullptr,
                  keep_for_backward ? f.n_contrib.data() : nullptr, opts.background, W};
  const bool simd = use_simd_avx2();
  st = parallel_for(uint64_t(tiles), 4, [&](uint64_t b, uint64_t e) {
    ThreadScratch& scr = scratch();
    std::vector<TileSplat>& local = scr.local;
    for (uint64_t t = b; t < e; ++t) {
      const uint32_t s0 = f.tile_start[t], s1 = f.tile_start[t + 1];
      const int x0 = int(t % TX) * kTile, y0 = int(t / TX) * kTile;
      const int tw = std::min(kTile, W - x0), th = std::min(kTile, H - y0);
      if (local.size() < s1 - s0) local.resize(s1 - s0);
      for (uint32_t k = s0; k < s1; ++k) {
        const Projected& p = f.proj[f.ids[k]];
        TileSplat& s = local[k - s0];
        s.mean2d[0] = p.mean2d[0], s.mean2d[1] = p.mean2d[1];
        s.conic[0] = p.conic[0], s.conic[1] = p.conic[1], s.conic[2] = p.conic[2];
        s.opacity = p.opacity, s.rgb[0] = p.rgb[0], s.rgb[1] = p.rgb[1], s.rgb[2] = p.rgb[2], s.depth = p.depth;
        splat_box(p, x0, y0, tw, th, s);
      }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
      if (simd) {
        blend_tile_avx2(local.data(), s1 - s0, x0, y0, tw, th, o, scr.segment_lists);
        continue;
      }
#endif
      blend_tile_scalar(local.data(), s1 - s0, x0, y0, tw, th, o);
    }
  }, ctl);
  if (st != Status::Ok) return st;
  if (stats) {
    stats->visible = visible;
    stats->intersections = isect;
    stats->project_ms = project_ms;
    stats->sort_ms = sort_ms;
    stats->raster_ms = ms_since(t0);
  }
  return Status::Ok;
}

}  // namespace

Status render_cpu(const Model& g, const Camera& cam, const RenderOptions& opts, Image& out, Stats* stats,
                  const JobControl& ctl) {
  PooledFrame pf;
  pf.count = size_t(g.count);
  return forward(g, cam, opts, *pf.f, out, stats, false, ctl);
}

Status backward_cpu(const Model& g, const Camera& cam, const RenderOptions& opts, FrameLoss& loss, Grads& grads,
                    Image& out, Stats* stats, const JobControl& ctl) {
  const int W = cam.width, H = cam.height, TX = tiles_x(cam), tiles = TX * tiles_y(cam);
  const size_t npix = size_t(W) * H;
  // The forward image is needed for the loss even when the caller does not want it back.
  PooledFrame pf;
  pf.count = size_t(g.count), pf.npix = npix;
  Frame& f = *pf.f;
  if (!out.rgb) f.rgb.resize(3 * npix);
  if (!out.alpha) f.alpha.resize(npix);
  if (!out.depth) f.depth.resize(npix);
  Image img{out.rgb ? out.rgb : f.rgb.data(), out.alpha ? out.alpha : f.alpha.data(),
            out.depth ? out.depth : f.depth.data()};
  Status st = forward(g, cam, opts, f, img, stats, true, ctl);
  if (st != Status::Ok) return st;
  f.d_rgb.assign(3 * npix, 0.f), f.d_alpha.assign(npix, 0.f), f.d_depth.assign(npix, 0.f);
  const float *d_rgb = f.d_rgb.data(), *d_alpha = f.d_alpha.data(), *d_depth = f.d_depth.data();
  auto t0 = std::chrono::steady_clock::now();
  loss(img.rgb, img.alpha, img.depth, f.d_rgb.data(), f.d_alpha.data(), f.d_depth.data());
  if (stats) stats->loss_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  std::vector<ProjectedGrad>& slot = f.slot;
  slot.resize(f.ids.size());  // each tile zeroes its own range below
  const float* bg = opts.background;
  const TileBackward ctx{f, d_rgb, d_alpha, d_depth, bg, slot.data(), W, TX};
  const bool simd = use_simd_avx2();
  st = parallel_for(uint64_t(tiles), 1, [&](uint64_t b, uint64_t e) {
    for (uint64_t t = b; t < e; ++t) {
      const uint32_t s0 = f.tile_start[t], s1 = f.tile_start[t + 1];
      std::memset(slot.data() + s0, 0, (s1 - s0) * sizeof(ProjectedGrad));
      const int x0 = int(t % TX) * kTile, y0 = int(t / TX) * kTile;
      const int tw = std::min(kTile, W - x0), th = std::min(kTile, H - y0);
      uint32_t max_last = 0;
      for (int ly = 0; ly < th; ++ly)
        for (int lx = 0; lx < tw; ++lx) max_last = std::max(max_last, f.n_contrib[size_t(y0 + ly) * W + (x0 + lx)]);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
      if (simd) {
        backward_tile_avx2(ctx, t, tw, th, max_last);
        continue;
      }
#endif
      backward_tile_scalar(ctx, t, tw, th, max_last);
    }
  }, ctl);
  if (st != Status::Ok) return st;

  // Reduce the per-intersection slots into per-Gaussian gradients in sorted order (deterministic): each task owns
  // a range of Gaussians and scans every slot, adding only its own, so the order of additions per Gaussian is the
  // sorted order whatever the thread count.
  std::vector<ProjectedGrad>& pg = f.pg;
  pg.resize(size_t(g.count));
  const uint64_t parts = std::max<uint64_t>(1, std::min<uint64_t>(thread_count(), uint64_t(g.count) / 4096 + 1));
  const uint32_t* ids = f.ids.data();
  const size_t nslot = f.ids.size();
  st = parallel_for(parts, 1, [&](uint64_t pb, uint64_t pe) {
    for (uint64_t part = pb; part < pe; ++part) {
      const uint32_t lo = uint32_t(uint64_t(g.count) * part / parts), hi = uint32_t(uint64_t(g.count) * (part + 1) / parts);
      std::memset(pg.data() + lo, 0, size_t(hi - lo) * sizeof(ProjectedGrad));
      for (size_t k = 0; k < nslot; ++k) {
        const uint32_t id = ids[k];
        if (id < lo || id >= hi) continue;
        ProjectedGrad& d = pg[id];
        const ProjectedGrad& s = slot[k];
        d.mean2d[0] += s.mean2d[0], d.mean2d[1] += s.mean2d[1];
        d.conic[0] += s.conic[0], d.conic[1] += s.conic[1], d.conic[2] += s.conic[2];
        d.rgb[0] += s.rgb[0], d.rgb[1] += s.rgb[1], d.rgb[2] += s.rgb[2];
        d.opacity += s.opacity, d.depth += s.depth;
      }
    }
  }, JobControl{ctl.cancel, {}});
  if (st != Status::Ok) return st;
  const size_t shs = size_t(g.sh_stride) * 3;
  ParamGrad out_g{grads.means, grads.log_scales, grads.quats, grads.opacity, grads.sh};
  st = parallel_for(uint64_t(g.count), 4096, [&](uint64_t b, uint64_t e) {
    // Zero this chunk's gradients here rather than in one serial pass (SH alone is 48 floats per Gaussian).
    std::fill(grads.means + 3 * b, grads.means + 3 * e, 0.f);
    std::fill(grads.log_scales + 3 * b, grads.log_scales + 3 * e, 0.f);
    std::fill(grads.quats + 4 * b, grads.quats + 4 * e, 0.f);
    std::fill(grads.opacity + b, grads.opacity + e, 0.f);
    std::fill(grads.sh + shs * b, grads.sh + shs * e, 0.f);
    for (uint64_t i = b; i < e; ++i) {
      const Projected& p = f.proj[i];
      if (grads.radii) grads.radii[i] = p.radius;
      if (grads.mean2d_grad_norm) grads.mean2d_grad_norm[i] = hypotf(pg[i].mean2d[0], pg[i].mean2d[1]);
      if (p.radius) project_gaussian_backward(g, cam, int(i), p, pg[i], out_g);
    }
  }, JobControl{ctl.cancel, {}});
  if (stats) stats->backward_ms = ms_since(t0);
  return st;
}

}  // namespace splat
}  // namespace ote
