// CPU drivers for SSIM and LDR-FLIP. Rows are processed in fixed chunks (each chunk recomputes the filter halo it
// needs, so no chunk waits on another); per-row sums are kept in double and added in row order, so results do not
// depend on the thread count. Inner loops run over x with the filter taps outside, which compilers vectorise; on
// x86-64 with GCC they are also built for AVX2 (no FMA, so both versions round identically).
#if defined(__GNUC__) && !defined(__clang__)
// Value-preserving only: FP operations may be evaluated speculatively (so per-pixel loops with selects vectorise),
// and no unroll-and-jam or interchange of the tap loops (GCC 12 leaves them scalar). No multiply-add contraction,
// even with -march=native: results must be the same bits on every node.
#pragma GCC optimize("no-trapping-math", "no-loop-unroll-and-jam", "no-loop-interchange", "fp-contract=off")
#endif

#include <math.h>

#include <algorithm>
#include <vector>

#include "ote/metrics/fast_math.h"
#include "ote/metrics/flip_math.h"
#include "ote/metrics/metrics.h"
#include "ote/metrics/ssim_math.h"
#include "ote/thread_pool.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__CUDACC__)
#define OTE_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define OTE_MULTIVERSION
#endif

namespace ote {
namespace {

constexpr int kR = int(kSsimRadius), kTaps = int(kSsimWindow);

// Separable filter passes, blocked over x: each block of 64 outputs accumulates in a local array over all taps (in
// tap order, so every x sums alike) and is stored once. The fixed block size lets the compiler vectorise the tap loop
// without alias checks; a scalar tail does the same operations per element.
constexpr size_t kBlock = 64;

// out[x] = sum_k w[k] * src_k[x], where src_k = base(k) + x0.
template <typename Src>
OTE_MINLINE void filter_block(const Src& src, const float* w, int taps, size_t x0, size_t m, float* __restrict out) {
  if (m == kBlock) {
    float acc[kBlock] = {};
    for (int k = 0; k < taps; ++k) {
      const float wk = w[k];
      const float* __restrict p = src(k) + x0;
      for (size_t i = 0; i < kBlock; ++i) acc[i] += wk * p[i];
    }
    for (size_t i = 0; i < kBlock; ++i) out[x0 + i] = acc[i];
  } else {
    for (size_t i = 0; i < m; ++i) {
      float acc = 0.0f;
      for (int k = 0; k < taps; ++k) acc += w[k] * src(k)[x0 + i];
      out[x0 + i] = acc;
    }
  }
}

// out[x] = sum_k w[k] * in[x + k], for x in [0, n).
OTE_MULTIVERSION void filter_row(const float* __restrict in, const float* w, int taps, uint32_t n, float* __restrict out) {
  auto src = [in](int k) { return in + k; };
  for (size_t x0 = 0; x0 < n; x0 += kBlock) filter_block(src, w, taps, x0, std::min<size_t>(kBlock, n - x0), out);
}

// out[x] = sum_k w[k] * rows[k][x].
OTE_MULTIVERSION void filter_column(const float* const* rows, const float* w, int taps, uint32_t n, float* __restrict out) {
  auto src = [rows](int k) { return rows[k]; };
  for (size_t x0 = 0; x0 < n; x0 += kBlock) filter_block(src, w, taps, x0, std::min<size_t>(kBlock, n - x0), out);
}

// One image row: centred samples and products (the five SSIM signals), filtered horizontally over the valid x.
// With a noise row `n`, the reference's square loses the noise's (ssim_from_denoised_moments clamps after filtering).
OTE_MULTIVERSION void ssim_hpass(const float* __restrict a, const float* __restrict b, const float* __restrict n,
                                 uint32_t w, const float* wt, float* __restrict scratch, float* const* out) {
  const uint32_t vw = w - 2 * kR;
  float* __restrict ca = scratch;
  float* __restrict cb = scratch + w;
  float* __restrict caa = scratch + 2 * w;
  float* __restrict cbb = scratch + 3 * w;
  float* __restrict cab = scratch + 4 * w;
  for (size_t x = 0; x < w; ++x) {
    const float u = a[x] - kSsimCentre, v = b[x] - kSsimCentre;
    ca[x] = u, cb[x] = v, caa[x] = u * u, cbb[x] = v * v, cab[x] = u * v;
  }
  if (n)
    for (size_t x = 0; x < w; ++x) cbb[x] -= n[x] * n[x];
  for (int q = 0; q < 5; ++q) {
    const float* __restrict s = scratch + uint64_t(q) * w;
    float* __restrict o = out[q];
    // size_t index: with uint32_t, x + k could wrap, and GCC would gather instead of loading contiguously.
    for (size_t x = 0; x < vw; ++x) {
      const float* p = s + x;
      o[x] = ssim_fold11(wt, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10]);
    }
  }
}

// Vertical pass of one signal over 11 ring rows.
OTE_MULTIVERSION void ssim_vpass(const float* const* r, const float* wt, uint32_t n, float* __restrict out) {
  const float *__restrict r0 = r[0], *__restrict r1 = r[1], *__restrict r2 = r[2], *__restrict r3 = r[3];
  const float *__restrict r4 = r[4], *__restrict r5 = r[5], *__restrict r6 = r[6], *__restrict r7 = r[7];
  const float *__restrict r8 = r[8], *__restrict r9 = r[9], *__restrict r10 = r[10];
  for (size_t x = 0; x < n; ++x)
    out[x] = ssim_fold11(wt, r0[x], r1[x], r2[x], r3[x], r4[x], r5[x], r6[x], r7[x], r8[x], r9[x], r10[x]);
}

OTE_MULTIVERSION void ssim_row(const float* __restrict ma, const float* __restrict mb, const float* __restrict maa,
                               const float* __restrict mbb, const float* __restrict mab, uint32_t n, float c1, float c2,
                               bool denoised, float* __restrict ssim, float* __restrict cs) {
  if (denoised)
    for (size_t x = 0; x < n; ++x) {
      const SsimTerms t = ssim_from_denoised_moments(ma[x], mb[x], maa[x], mbb[x], mab[x], c1, c2);
      ssim[x] = t.ssim, cs[x] = t.cs;
    }
  else
    for (size_t x = 0; x < n; ++x) {
      const SsimTerms t = ssim_from_moments(ma[x], mb[x], maa[x], mbb[x], mab[x], c1, c2);
      ssim[x] = t.ssim, cs[x] = t.cs;
    }
}

uint64_t rows_per_chunk(uint32_t rows) {
  // Enough chunks to balance the pool, few enough that the recomputed halo stays small.
  const uint64_t target = std::max<uint64_t>(1, uint64_t(thread_count()) * 4);
  return std::max<uint64_t>(32, (rows + target - 1) / target);
}

}  // namespace

Status ssim_plane_cpu(const float* a, const float* b, uint32_t w, uint32_t h, float c1, float c2, double* ssim_out,
                      double* cs_out, float* map, const JobControl& ctl, const float* noise) {
  const SsimRowSource rows = [a, b, w](uint32_t y, float*, float*, const float** ra, const float** rb) {
    *ra = a + uint64_t(y) * w, *rb = b + uint64_t(y) * w;
  };
  return ssim_rows_cpu(rows, w, h, c1, c2, ssim_out, cs_out, map, ctl, noise);
}

Status ssim_rows_cpu(const SsimRowSource& rows, uint32_t w, uint32_t h, float c1, float c2, double* ssim_out,
                     double* cs_out, float* map, const JobControl& ctl, const float* noise) {
  if (w < kSsimWindow || h < kSsimWindow) return Status::InvalidArgument;
  const uint32_t vw = w - 2 * kR, vh = h - 2 * kR;  // valid region
  float wt[kTaps];
  ssim_window(wt);
  std::vector<double> row_ssim(vh), row_cs(vh);
  const uint64_t chunk = rows_per_chunk(vh);
  const uint64_t chunks = (vh + chunk - 1) / chunk;
  const Status st = parallel_for(chunks, 1, [&](uint64_t c0, uint64_t c1e) {
    // Per chunk: a ring of the last 11 horizontally filtered rows of each of the five signals.
    std::vector<float> prod(5ull * w), ring(5ull * kTaps * vw), vert(5ull * vw), s(vw), cs(vw), sa(w), sb(w);
    for (uint64_t c = c0; c < c1e; ++c) {
      const uint32_t y0 = uint32_t(c * chunk), y1 = uint32_t(std::min<uint64_t>(vh, (c + 1) * chunk));
      auto hrow = [&](uint32_t src_row) {  // filter image row src_row into ring slot src_row % 11
        float* outs[5];
        for (int q = 0; q < 5; ++q) outs[q] = ring.data() + (uint64_t(q) * kTaps + src_row % kTaps) * vw;
        const float *ra = nullptr, *rb = nullptr;
        rows(src_row, sa.data(), sb.data(), &ra, &rb);
        ssim_hpass(ra, rb, noise ? noise + uint64_t(src_row) * w : nullptr, w, wt, prod.data(), outs);
      };
      // Output row y (valid coordinates) centres on image row y + kR and reads image rows y .. y + 10.
      for (uint32_t r = y0; r < y0 + kTaps - 1; ++r) hrow(r);
      for (uint32_t y = y0; y < y1; ++y) {
        hrow(y + kTaps - 1);
        for (int q = 0; q < 5; ++q) {
          const float* rows[kTaps];
          for (int k = 0; k < kTaps; ++k) rows[k] = ring.data() + (uint64_t(q) * kTaps + (y + k) % kTaps) * vw;
          ssim_vpass(rows, wt, vw, vert.data() + uint64_t(q) * vw);
        }
        const float* v = vert.data();
        ssim_row(v, v + vw, v + 2 * vw, v + 3 * vw, v + 4 * vw, vw, c1, c2, noise != nullptr, s.data(), cs.data());
        double ss = 0, sc = 0;
        for (uint32_t x = 0; x < vw; ++x) ss += s[x], sc += cs[x];
        row_ssim[y] = ss, row_cs[y] = sc;
        if (map) std::copy(s.begin(), s.end(), map + uint64_t(y + kR) * w + kR);
      }
    }
  }, ctl);
  if (st != Status::Ok) return st;
  if (map) {  // the border SSIM does not measure
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x)
        if (y < uint32_t(kR) || y >= h - kR || x < uint32_t(kR) || x >= w - kR) map[uint64_t(y) * w + x] = 1.0f;
  }
  double ss = 0, sc = 0;
  for (uint32_t y = 0; y < vh; ++y) ss += row_ssim[y], sc += row_cs[y];
  const double count = double(vw) * double(vh);
  if (ssim_out) *ssim_out = ss / count;
  if (cs_out) *cs_out = sc / count;
  return Status::Ok;
}

// ---------------------------------------------------------------------------------------------------------------
namespace {

// Rows of 8 planes filtered horizontally for the colour pipeline and 6 for features, per image pair.
enum FlipPlane { kY, kCx, kCz1, kCz2, kFeatG, kFeatD, kFeatDD, kFlipPlanes };

OTE_MULTIVERSION void to_ycxcz_row(const float* __restrict r, const float* __restrict g, const float* __restrict b,
                                   uint32_t n, float* __restrict y, float* __restrict cx, float* __restrict cz,
                                   float* __restrict lum) {
  for (size_t x = 0; x < n; ++x) {
    const FlipColor c = flip_srgb_to_ycxcz(r[x], g[x], b[x]);
    y[x] = c.x, cx[x] = c.y, cz[x] = c.z;
    lum[x] = c.x * (1.0f / 116.0f) + 16.0f / 116.0f;  // lightness normalised to [0, 1] for feature detection
  }
}

// Per-pixel FLIP from the 8 vertically filtered rows of each image (Y, Cx, Cz1, Cz2, dx, ddx, dy, ddy).
OTE_MULTIVERSION void flip_error_row(const float* __restrict r, const float* __restrict t, uint32_t w, float cmax,
                                     float* __restrict err) {
  // Two loops (colour, then features and the combination): as one, the body is too large for GCC to if-convert.
  for (size_t x = 0; x < w; ++x) {
    const FlipColor lr = flip_filtered_to_hunt_lab({r[x], r[w + x], r[2 * w + x] + r[3 * w + x]});
    const FlipColor lt = flip_filtered_to_hunt_lab({t[x], t[w + x], t[2 * w + x] + t[3 * w + x]});
    err[x] = flip_color_error(lr, lt, cmax);
  }
  for (size_t x = 0; x < w; ++x) {
    const float fe = flip_feature_error(r[4 * w + x], r[6 * w + x], r[5 * w + x], r[7 * w + x], t[4 * w + x], t[6 * w + x],
                                        t[5 * w + x], t[7 * w + x]);
    err[x] = flip_combine(err[x], fe);
  }
}

void pad_row(const float* src, uint32_t w, int r, float* dst) {
  for (int i = 0; i < r; ++i) dst[i] = src[0], dst[r + w + i] = src[w - 1];
  std::copy(src, src + w, dst + r);
}

}  // namespace

Status flip_ldr_cpu(const float* ref, const float* test, uint32_t w, uint32_t h, float ppd, double* mean_out,
                    float* map, const JobControl& ctl) {
  if (w == 0 || h == 0) return Status::InvalidArgument;
  const int rs = flip_spatial_radius(ppd), rf = flip_feature_radius(ppd), halo = std::max(rs, rf);
  const int ts = 2 * rs + 1, tf = 2 * rf + 1;
  std::vector<float> wy(ts), wcx(ts), wcz1(ts), wcz2(ts), fg(tf), fdg(tf), fddg(tf);
  flip_spatial_filters(ppd, rs, wy.data(), wcx.data(), wcz1.data(), wcz2.data());
  flip_feature_filters(ppd, rf, fg.data(), fdg.data(), fddg.data());
  const float cmax = flip_cmax();
  const uint64_t n = uint64_t(w) * h;
  std::vector<double> row_sum(h);
  const uint64_t chunk = rows_per_chunk(h);
  const uint64_t chunks = (h + chunk - 1) / chunk;

  const Status st = parallel_for(chunks, 1, [&](uint64_t c0, uint64_t c1e) {
    for (uint64_t c = c0; c < c1e; ++c) {
      const int y0 = int(c * chunk), y1 = int(std::min<uint64_t>(h, (c + 1) * chunk));
      const int rows_in = (y1 - y0) + 2 * halo;
      const uint32_t pw = w + 2 * uint32_t(halo);
      // Horizontally filtered rows for both images: [image][plane][row][x]; Cz1/Cz2 are Cz through each Gaussian,
      // FeatG/FeatD/FeatDD the lightness through the feature Gaussian and its derivatives.
      std::vector<float> hf(2ull * kFlipPlanes * rows_in * w);
      std::vector<float> yrow(w), cxrow(w), czrow(w), lrow(w), padded(pw);
      auto plane_row = [&](int img, int plane, int j) { return hf.data() + ((uint64_t(img) * kFlipPlanes + plane) * rows_in + j) * w; };
      for (int j = 0; j < rows_in; ++j) {
        const int sy = std::min(std::max(y0 - halo + j, 0), int(h) - 1);  // clamp to edge, as the reference does
        for (int img = 0; img < 2; ++img) {
          const float* src = img == 0 ? ref : test;
          const uint64_t o = uint64_t(sy) * w;
          to_ycxcz_row(src + o, src + n + o, src + 2 * n + o, w, yrow.data(), cxrow.data(), czrow.data(), lrow.data());
          const int ds = halo - rs, df = halo - rf;
          pad_row(yrow.data(), w, halo, padded.data());
          filter_row(padded.data() + ds, wy.data(), ts, w, plane_row(img, kY, j));
          pad_row(cxrow.data(), w, halo, padded.data());
          filter_row(padded.data() + ds, wcx.data(), ts, w, plane_row(img, kCx, j));
          pad_row(czrow.data(), w, halo, padded.data());
          filter_row(padded.data() + ds, wcz1.data(), ts, w, plane_row(img, kCz1, j));
          filter_row(padded.data() + ds, wcz2.data(), ts, w, plane_row(img, kCz2, j));
          pad_row(lrow.data(), w, halo, padded.data());
          filter_row(padded.data() + df, fg.data(), tf, w, plane_row(img, kFeatG, j));
          filter_row(padded.data() + df, fdg.data(), tf, w, plane_row(img, kFeatD, j));
          filter_row(padded.data() + df, fddg.data(), tf, w, plane_row(img, kFeatDD, j));
        }
      }
      // Vertical pass: 7 colour sums and 8 feature sums per image pair, then the per-pixel error.
      std::vector<float> v(2ull * 8 * w), err(w);
      std::vector<const float*> rows(std::max(ts, tf));
      for (int y = y0; y < y1; ++y) {
        const int jc = (y - y0) + halo;  // row index of y in the chunk buffers
        for (int img = 0; img < 2; ++img) {
          float* o = v.data() + uint64_t(img) * 8 * w;
          auto column = [&](int plane, int r, const float* taps, int slot) {
            for (int k = 0; k <= 2 * r; ++k) rows[k] = plane_row(img, plane, jc - r + k);
            filter_column(rows.data(), taps, 2 * r + 1, w, o + uint64_t(slot) * w);
          };
          column(kY, rs, wy.data(), 0);
          column(kCx, rs, wcx.data(), 1);
          column(kCz1, rs, wcz1.data(), 2);
          column(kCz2, rs, wcz2.data(), 3);
          column(kFeatD, rf, fg.data(), 4);     // d/dx, smoothed in y
          column(kFeatDD, rf, fg.data(), 5);    // d2/dx2, smoothed in y
          column(kFeatG, rf, fdg.data(), 6);    // d/dy
          column(kFeatG, rf, fddg.data(), 7);   // d2/dy2
        }
        flip_error_row(v.data(), v.data() + 8ull * w, w, cmax, err.data());
        double sum = 0;
        for (uint32_t x = 0; x < w; ++x) sum += err[x];
        row_sum[y] = sum;
        if (map) std::copy(err.begin(), err.end(), map + uint64_t(y) * w);
      }
    }
  }, ctl);
  if (st != Status::Ok) return st;
  double total = 0;
  for (uint32_t y = 0; y < h; ++y) total += row_sum[y];
  *mean_out = total / double(n);
  return Status::Ok;
}

}  // namespace ote
