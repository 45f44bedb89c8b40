// CPU driver of the splat rasterizer: project in parallel over Gaussians, bucket the (tile, depth) keys by tile
// (the high radix digit) and radix-sort each tile's depths, then blend and back-propagate in parallel over tiles.
// Per-tile gradient slots are reduced in sorted order, so results do not depend on the thread count.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "ote/splat/splat.h"
#include "ote/thread_pool.h"

namespace ote {
namespace splat {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// A tile's splat, gathered contiguously, with the tile-local pixel box outside which its alpha is certainly under
// 1/255 (so skipping those pixels changes nothing). Blending runs splat-major over that box: every pixel still
// sees its splats front to back, but each splat only visits the pixels it can touch.
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

// LSD radix sort of (depth bits, id) pairs, 8 bits at a time; stable, so equal depths keep Gaussian order.
void radix_sort_depth(uint32_t* keys, uint32_t* ids, uint32_t n, std::vector<uint32_t>& tk, std::vector<uint32_t>& ti) {
  if (n < 48) {  // insertion sort is faster and equally stable for short lists
    for (uint32_t i = 1; i < n; ++i) {
      const uint32_t k = keys[i], v = ids[i];
      uint32_t j = i;
      for (; j > 0 && keys[j - 1] > k; --j) keys[j] = keys[j - 1], ids[j] = ids[j - 1];
      keys[j] = k, ids[j] = v;
    }
    return;
  }
  tk.resize(n), ti.resize(n);
  uint32_t *sk = keys, *si = ids, *dk = tk.data(), *di = ti.data();
  for (int shift = 0; shift < 32; shift += 8) {
    uint32_t count[257] = {0};
    for (uint32_t i = 0; i < n; ++i) ++count[((sk[i] >> shift) & 255) + 1];
    for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t pos = count[(sk[i] >> shift) & 255]++;
      dk[pos] = sk[i], di[pos] = si[i];
    }
    std::swap(sk, dk), std::swap(si, di);
  }
  // Four passes: the result is back in the caller's arrays.
}

// Forward state kept for the backward pass.
struct Frame {
  std::vector<Projected> proj;
  std::vector<uint32_t> tile_start;  // tiles + 1
  std::vector<uint32_t> ids;         // Gaussian per sorted intersection
  std::vector<float> T_final;
  std::vector<uint32_t> n_contrib;   // per pixel: sorted-list offset within the tile + 1 of the last contributor
};

Status forward(const Model& g, const Camera& cam, const RenderOptions& opts, Frame& f, Image& out, Stats* stats,
               const JobControl& ctl) {
  const int W = cam.width, H = cam.height, TX = tiles_x(cam), TY = tiles_y(cam), tiles = TX * TY;
  auto t0 = std::chrono::steady_clock::now();
  f.proj.resize(size_t(g.count));
  Status st = parallel_for(uint64_t(g.count), 4096, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) project_gaussian(g, cam, int(i), f.proj[i]);
  }, JobControl{ctl.cancel, {}});
  if (st != Status::Ok) return st;
  const double project_ms = ms_since(t0);

  // Bucket by tile (the high digit of the 64-bit key), in Gaussian order, then sort each bucket by depth.
  t0 = std::chrono::steady_clock::now();
  std::vector<uint32_t> count(size_t(tiles) + 1, 0);
  uint64_t visible = 0;
  for (int i = 0; i < g.count; ++i) {
    const Projected& p = f.proj[i];
    if (!p.radius) continue;
    ++visible;
    for (int ty = p.rect[1]; ty < p.rect[3]; ++ty)
      for (int tx = p.rect[0]; tx < p.rect[2]; ++tx) ++count[size_t(ty) * TX + tx + 1];
  }
  for (int t = 0; t < tiles; ++t) count[t + 1] += count[t];
  const uint64_t isect = count[tiles];
  if (isect > 0xffffffffull) return Status::OutOfMemory;
  f.tile_start = count;
  f.ids.resize(isect);
  std::vector<uint32_t> depth_bits(isect);
  for (int i = 0; i < g.count; ++i) {
    const Projected& p = f.proj[i];
    if (!p.radius) continue;
    const uint32_t bits = uint32_t(tile_depth_key(0, p.depth));
    for (int ty = p.rect[1]; ty < p.rect[3]; ++ty)
      for (int tx = p.rect[0]; tx < p.rect[2]; ++tx) {
        const uint32_t pos = count[size_t(ty) * TX + tx]++;
        f.ids[pos] = uint32_t(i), depth_bits[pos] = bits;
      }
  }
  st = parallel_for(uint64_t(tiles), 16, [&](uint64_t b, uint64_t e) {
    std::vector<uint32_t> tk, ti;
    for (uint64_t t = b; t < e; ++t) {
      const uint32_t s0 = f.tile_start[t], s1 = f.tile_start[t + 1];
      radix_sort_depth(depth_bits.data() + s0, f.ids.data() + s0, s1 - s0, tk, ti);
    }
  }, JobControl{ctl.cancel, {}});
  if (st != Status::Ok) return st;
  const double sort_ms = ms_since(t0);

  // Blend front to back, one tile per task.
  t0 = std::chrono::steady_clock::now();
  f.T_final.assign(size_t(W) * H, 1.f);
  f.n_contrib.assign(size_t(W) * H, 0);
  const float* bg = opts.background;
  st = parallel_for(uint64_t(tiles), 1, [&](uint64_t b, uint64_t e) {
    std::vector<TileSplat> local;
    float T[kTile * kTile], C[kTile * kTile][3], D[kTile * kTile];
    uint32_t last[kTile * kTile];
    bool done[kTile * kTile];
    for (uint64_t t = b; t < e; ++t) {
      const uint32_t s0 = f.tile_start[t], s1 = f.tile_start[t + 1];
      const int x0 = int(t % TX) * kTile, y0 = int(t / TX) * kTile;
      const int tw = std::min(kTile, W - x0), th = std::min(kTile, H - y0);
      local.resize(s1 - s0);
      for (uint32_t k = s0; k < s1; ++k) {
        const Projected& p = f.proj[f.ids[k]];
        TileSplat& s = local[k - s0];
        s.mean2d[0] = p.mean2d[0], s.mean2d[1] = p.mean2d[1];
        s.conic[0] = p.conic[0], s.conic[1] = p.conic[1], s.conic[2] = p.conic[2];
        s.opacity = p.opacity, s.rgb[0] = p.rgb[0], s.rgb[1] = p.rgb[1], s.rgb[2] = p.rgb[2], s.depth = p.depth;
        splat_box(p, x0, y0, tw, th, s);
      }
      const int npx = kTile * kTile;
      for (int i = 0; i < npx; ++i) T[i] = 1.f, C[i][0] = C[i][1] = C[i][2] = 0.f, D[i] = 0.f, last[i] = 0, done[i] = false;
      int remaining = tw * th;
      for (uint32_t k = 0; k < local.size() && remaining > 0; ++k) {
        const TileSplat& s = local[k];
        for (int ly = s.y0; ly < s.y1; ++ly)
          for (int lx = s.x0; lx < s.x1; ++lx) {
            const int i = ly * kTile + lx;
            if (done[i]) continue;
            bool stop;
            const float alpha = blend_alpha(s.conic, s.mean2d, s.opacity, x0 + lx + 0.5f, y0 + ly + 0.5f, T[i], &stop);
            if (stop) {
              done[i] = true;
              --remaining;
              continue;
            }
            if (alpha == 0.f) continue;
            const float w = alpha * T[i];
            C[i][0] += s.rgb[0] * w, C[i][1] += s.rgb[1] * w, C[i][2] += s.rgb[2] * w;
            D[i] += s.depth * w;
            T[i] *= 1.f - alpha;
            last[i] = k + 1;
          }
      }
      for (int ly = 0; ly < th; ++ly)
        for (int lx = 0; lx < tw; ++lx) {
          const int i = ly * kTile + lx;
          const size_t pix = size_t(y0 + ly) * W + (x0 + lx);
          f.T_final[pix] = T[i];
          f.n_contrib[pix] = last[i];
          if (out.rgb)
            for (int c = 0; c < 3; ++c) out.rgb[3 * pix + c] = C[i][c] + T[i] * bg[c];
          if (out.alpha) out.alpha[pix] = 1.f - T[i];
          if (out.depth) out.depth[pix] = D[i];
        }
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
  Frame f;
  return forward(g, cam, opts, f, out, stats, ctl);
}

Status backward_cpu(const Model& g, const Camera& cam, const RenderOptions& opts, FrameLoss& loss, Grads& grads,
                    Image& out, Stats* stats, const JobControl& ctl) {
  const int W = cam.width, H = cam.height, TX = tiles_x(cam), tiles = TX * tiles_y(cam);
  const size_t npix = size_t(W) * H;
  // The forward image is needed for the loss even when the caller does not want it back.
  std::vector<float> rgb(out.rgb ? 0 : 3 * npix), alpha(out.alpha ? 0 : npix), depth(out.depth ? 0 : npix);
  Image img{out.rgb ? out.rgb : rgb.data(), out.alpha ? out.alpha : alpha.data(), out.depth ? out.depth : depth.data()};
  Frame f;
  Status st = forward(g, cam, opts, f, img, stats, ctl);
  if (st != Status::Ok) return st;
  std::vector<float> d_rgb(3 * npix, 0.f), d_alpha(npix, 0.f), d_depth(npix, 0.f);
  loss(img.rgb, img.alpha, img.depth, d_rgb.data(), d_alpha.data(), d_depth.data());

  auto t0 = std::chrono::steady_clock::now();
  std::vector<ProjectedGrad> slot(f.ids.size());
  std::memset(slot.data(), 0, slot.size() * sizeof(ProjectedGrad));
  const float* bg = opts.background;
  st = parallel_for(uint64_t(tiles), 1, [&](uint64_t b, uint64_t e) {
    float T[kTile * kTile], accum[kTile * kTile][4];
    for (uint64_t t = b; t < e; ++t) {
      const uint32_t s0 = f.tile_start[t], s1 = f.tile_start[t + 1];
      const int x0 = int(t % TX) * kTile, y0 = int(t / TX) * kTile;
      const int tw = std::min(kTile, W - x0), th = std::min(kTile, H - y0);
      uint32_t max_last = 0;
      for (int ly = 0; ly < th; ++ly)
        for (int lx = 0; lx < tw; ++lx) {
          const size_t pix = size_t(y0 + ly) * W + (x0 + lx);
          const int i = ly * kTile + lx;
          T[i] = f.T_final[pix];
          accum[i][0] = accum[i][1] = accum[i][2] = accum[i][3] = 0.f;
          max_last = std::max(max_last, f.n_contrib[pix]);
        }
      (void)s1;
      // Back to front over the splats; each visits only its pixel box, and only pixels it contributed to.
      for (uint32_t k = max_last; k-- > 0;) {
        const Projected& p = f.proj[f.ids[s0 + k]];
        TileSplat box;
        splat_box(p, x0, y0, tw, th, box);
        ProjectedGrad& g = slot[s0 + k];
        for (int ly = box.y0; ly < box.y1; ++ly)
          for (int lx = box.x0; lx < box.x1; ++lx) {
            const size_t pix = size_t(y0 + ly) * W + (x0 + lx);
            if (k >= f.n_contrib[pix]) continue;
            const int i = ly * kTile + lx;
            const float px = x0 + lx + 0.5f, py = y0 + ly + 0.5f;
            const float power = splat_power(p.conic, p.mean2d[0] - px, p.mean2d[1] - py);
            if (power > 0.f) continue;
            const float a = fminf(kAlphaMax, p.opacity * expf(power));
            if (a < kAlphaMin) continue;
            T[i] /= 1.f - a;
            const float dp[3] = {d_rgb[3 * pix], d_rgb[3 * pix + 1], d_rgb[3 * pix + 2]};
            blend_backward_step(p.conic, p.mean2d, p.opacity, p.rgb, p.depth, px, py, T[i], f.T_final[pix], bg, dp,
                                d_alpha[pix], d_depth[pix], accum[i], g);
          }
      }
    }
  }, ctl);
  if (st != Status::Ok) return st;

  // Reduce the per-intersection slots into per-Gaussian gradients in sorted order (deterministic).
  std::vector<ProjectedGrad> pg(size_t(g.count));
  std::memset(pg.data(), 0, pg.size() * sizeof(ProjectedGrad));
  for (size_t k = 0; k < f.ids.size(); ++k) {
    ProjectedGrad& d = pg[f.ids[k]];
    const ProjectedGrad& s = slot[k];
    d.mean2d[0] += s.mean2d[0], d.mean2d[1] += s.mean2d[1];
    d.conic[0] += s.conic[0], d.conic[1] += s.conic[1], d.conic[2] += s.conic[2];
    d.rgb[0] += s.rgb[0], d.rgb[1] += s.rgb[1], d.rgb[2] += s.rgb[2];
    d.opacity += s.opacity, d.depth += s.depth;
  }
  const size_t shn = size_t(g.count) * g.sh_stride * 3;
  std::fill(grads.means, grads.means + 3 * size_t(g.count), 0.f);
  std::fill(grads.log_scales, grads.log_scales + 3 * size_t(g.count), 0.f);
  std::fill(grads.quats, grads.quats + 4 * size_t(g.count), 0.f);
  std::fill(grads.opacity, grads.opacity + size_t(g.count), 0.f);
  std::fill(grads.sh, grads.sh + shn, 0.f);
  ParamGrad out_g{grads.means, grads.log_scales, grads.quats, grads.opacity, grads.sh};
  st = parallel_for(uint64_t(g.count), 4096, [&](uint64_t b, uint64_t e) {
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
