/**
 * Lightmap post-processing on float pages (RGBA: L and AO), in plain TypeScript:
 * - dilation: texels no triangle covers take the mean of their covered neighbours, ring by ring, so bilinear
 *   filtering and mipmaps at chart borders never read black;
 * - denoising: an edge-aware à-trous wavelet filter (Dammertz et al. 2010, the spatial part of SVGF) guided by
 *   the texel's world position and normal, so it smooths within a surface and never across a crease, a contact
 *   or a chart border (neighbouring texels of different charts are far apart in world space), plus a relative
 *   luminance stop so that shadow edges survive the wider steps. Albedo is not a guide: a lightmap stores
 *   incident light, which albedo edges do not change. Two iterations (5×5 at steps 1 and 2) measured best on the
 *   Cornell box: +2.2 dB PSNR at 64 spp; more iterations blur contact shadows;
 * - split denoising (denoiseLightmap): the direct light that next-event samples found (shadow rays to lights,
 *   emitters and the sky through portals) and what bounce rays brought (bounced light, and the direct light a
 *   bounce ray finds by itself) are filtered apart, as Unity's Progressive Lightmapper filters its direct and
 *   indirect buffers apart. The first holds the sharp edges (the sun's shadows) and little noise away from them;
 *   the second most of the noise and few edges. One filter for their sum must stop at the edges and so leaves the
 *   noise; apart, each gets its own reach.
 */
import type { FloatImage } from '../image/float-image.js';
import { OteError } from '../errors.js';
import { normalize, triangleCross } from '../util/vec3.js';

export interface PageGuides {
  valid: Uint8Array;
  position: Float32Array;
  normal: Float32Array;
  /**
   * World size of a texel where the page cannot tell (a texel with no covered neighbour on its surface). Elsewhere
   * the position weight is scaled by the texel's own size, measured from its neighbours (localTexelSizes): parts of
   * one page differ in density by 10× and more under view weights (bake/view-weights.ts).
   */
  texelSize: number;
}

/**
 * Per covered texel, the world distance to its nearest covered 4-neighbour on the same surface (normals within
 * 25°): the texel's size where it is. A texel with no such neighbour takes `g.texelSize`.
 */
export function localTexelSizes(W: number, H: number, g: PageGuides): Float32Array {
  const size = new Float32Array(W * H);
  const { valid, position: p, normal: n } = g;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      if (!valid[i]) continue;
      let best = Infinity;
      for (let k = 0; k < 4; k++) {
        const X = x + (k === 0 ? -1 : k === 1 ? 1 : 0),
          Y = y + (k === 2 ? -1 : k === 3 ? 1 : 0);
        if (X < 0 || Y < 0 || X >= W || Y >= H) continue;
        const j = Y * W + X;
        if (!valid[j]) continue;
        if (n[3 * i] * n[3 * j] + n[3 * i + 1] * n[3 * j + 1] + n[3 * i + 2] * n[3 * j + 2] < 0.9) continue;
        const d = Math.hypot(p[3 * j] - p[3 * i], p[3 * j + 1] - p[3 * i + 1], p[3 * j + 2] - p[3 * i + 2]);
        if (d > 0 && d < best) best = d;
      }
      size[i] = Number.isFinite(best) ? best : g.texelSize;
    }
  return size;
}

/** Fill uncovered texels from covered neighbours for `rings` rings (3×3 mean of already filled texels). */
export function dilate(img: FloatImage, valid: Uint8Array, rings: number): Uint8Array {
  const { width: W, height: H, data } = img;
  let filled = valid.slice();
  for (let r = 0; r < rings; r++) {
    const next = filled.slice();
    let changed = 0;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (filled[i]) continue;
        const acc = [0, 0, 0, 0];
        let n = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const X = x + dx,
              Y = y + dy;
            if (X < 0 || Y < 0 || X >= W || Y >= H || !filled[Y * W + X]) continue;
            for (let c = 0; c < 4; c++) acc[c] += data[4 * (Y * W + X) + c];
            n++;
          }
        if (!n) continue;
        for (let c = 0; c < 4; c++) data[4 * i + c] = acc[c] / n;
        next[i] = 1;
        changed++;
      }
    filled = next;
    if (!changed) break;
  }
  return filled;
}

/** À-trous iterations and the relative luminance stop of one denoised part of a lightmap. */
export interface DenoiseStep {
  iterations: number;
  lumaSigma: number;
}

/** The parts of a lightmap and how each is denoised (denoiseLightmap). */
export interface LightmapDenoiseOptions {
  /** The direct light that next-event samples found: its edges are the sharpest. */
  direct: DenoiseStep;
  /** What bounce rays brought: most of the noise. */
  bounced: DenoiseStep;
  /** Pages without the direct part: the sum, filtered as one. */
  whole: DenoiseStep;
}

/**
 * Measured under BALANCED, own check PSNR / SSIM / FLIP, the raw bake cached. sponza_crytek at one fixed
 * 1.7M-texel, 128-spp layout: the sum at 2 iterations 30.21 / 0.953 / 0.093; these defaults 30.65 / 0.960 / 0.088
 * (twice the samples give the sum 31.33 / 0.965 / 0.086); the rest's stop on its own light, not the sum's, 0.089;
 * direct at 2 iterations 0.091; the rest at 3 iterations 0.088, at 4 or more or without the stop 0.097–0.16 (texels
 * of a view-weighted page are up to half a metre wide). cylinder_engine_2, whose sky comes by bounce rays alone (no
 * portals): the sum 45.5 / 0.996 / 0.014; these defaults 45.5 / 0.996 / 0.016; the rest at 3 iterations 44.3 /
 * 0.995 / 0.019.
 */
export const LIGHTMAP_DENOISE_DEFAULTS: LightmapDenoiseOptions = {
  direct: { iterations: 1, lumaSigma: 0.25 },
  bounced: { iterations: 2, lumaSigma: 0.35 },
  whole: { iterations: 2, lumaSigma: 0.25 },
};

/**
 * Denoises a lightmap page's RGB in place: with `direct` (3 floats per texel, the part of RGB that next-event
 * samples found; empty or absent: not known), that part and the rest apart, then summed; without it, the sum as
 * one. Alpha (AO) is left as it is.
 */
export function denoiseLightmap(
  img: FloatImage,
  direct: Float32Array | undefined,
  g: PageGuides,
  o: LightmapDenoiseOptions = LIGHTMAP_DENOISE_DEFAULTS,
): void {
  if (!direct || direct.length === 0) {
    denoise(img, g, o.whole.iterations, o.whole.lumaSigma);
    return;
  }
  const n = img.width * img.height;
  if (direct.length !== 3 * n)
    throw new OteError(
      'BAD_INPUT',
      `denoiseLightmap: direct holds ${direct.length} floats for ${n} texels, not 3 each`,
    );
  const d = new Float32Array(4 * n),
    b = new Float32Array(4 * n);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) {
      d[4 * i + c] = direct[3 * i + c];
      // Each sample's rest is its L less its direct part, never negative but for rounding.
      b[4 * i + c] = Math.max(0, img.data[4 * i + c] - direct[3 * i + c]);
    }
  const dImg = { width: img.width, height: img.height, data: d },
    bImg = { width: img.width, height: img.height, data: b };
  denoise(dImg, g, o.direct.iterations, o.direct.lumaSigma);
  // The rest stops where the whole light has an edge: in sunlight its noise is small beside the sum.
  denoise(bImg, g, o.bounced.iterations, o.bounced.lumaSigma, d);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) img.data[4 * i + c] = d[4 * i + c] + b[4 * i + c];
}

/** Rec. 709 luminance of RGBA texel i. */
function rgbLuminance(rgba: ArrayLike<number>, i: number): number {
  return 0.2126 * rgba[4 * i] + 0.7152 * rgba[4 * i + 1] + 0.0722 * rgba[4 * i + 2];
}

/**
 * Edge-aware à-trous denoise of the RGB channels of covered texels, in place. `base` (RGBA like img, optional): light
 * that is added to img's where the luminance stop looks, so that the stop sees the whole light (a part filtered
 * alone takes the stop of the sum it belongs to).
 */
export function denoise(img: FloatImage, g: PageGuides, iterations = 2, lumaSigma = 0.25, base?: Float32Array): void {
  const { width: W, height: H } = img;
  const kernel = [1 / 16, 1 / 4, 3 / 8, 1 / 4, 1 / 16];
  let src = img.data.slice();
  const dst = new Float32Array(src.length);
  const sizes = localTexelSizes(W, H, g);
  const baseLum = base && Float32Array.from({ length: W * H }, (_, i) => rgbLuminance(base, i));
  // What the luminance stop compares, once per texel and step rather than once per neighbour.
  const lum = new Float64Array(W * H);
  for (let it = 0; it < iterations; it++) {
    const step = 1 << it;
    dst.set(src);
    for (let i = 0; i < W * H; i++) lum[i] = rgbLuminance(src, i) + (baseLum ? baseLum[i] : 0);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (!g.valid[i]) continue;
        const px = g.position[3 * i],
          py = g.position[3 * i + 1],
          pz = g.position[3 * i + 2];
        const nx = g.normal[3 * i],
          ny = g.normal[3 * i + 1],
          nz = g.normal[3 * i + 2];
        const li = lum[i];
        const sigmaP = 1.5 * sizes[i];
        let r = 0,
          gg = 0,
          b = 0,
          wsum = 0;
        for (let ky = -2; ky <= 2; ky++) {
          const Y = y + ky * step;
          if (Y < 0 || Y >= H) continue;
          for (let kx = -2; kx <= 2; kx++) {
            const X = x + kx * step;
            if (X < 0 || X >= W) continue;
            const j = Y * W + X;
            if (!g.valid[j]) continue;
            const ndot = nx * g.normal[3 * j] + ny * g.normal[3 * j + 1] + nz * g.normal[3 * j + 2];
            if (ndot <= 0.5) continue;
            const dx = g.position[3 * j] - px,
              dy = g.position[3 * j + 1] - py,
              dz = g.position[3 * j + 2] - pz;
            // Texels `step` apart on a surface are about step × their size apart in the world; farther means a
            // different surface (another chart, or the far side of a contact).
            const d2 = (dx * dx + dy * dy + dz * dz) / (sigmaP * sigmaP * step * step * (kx * kx + ky * ky + 1));
            // Luminance stop (relative): keeps shadow edges and contact darkening that a pure geometric
            // guide would blur at the wider steps.
            const lj = lum[j];
            const dl = Math.abs(lj - li) / (lumaSigma * (li + lj) * 0.5 + 1e-6);
            // ndot³² by five squarings: Math.pow per tap was a fifth of this loop's time (2026-12-07).
            const n2 = ndot * ndot,
              n4 = n2 * n2,
              n8 = n4 * n4,
              n16 = n8 * n8;
            const w = kernel[kx + 2] * kernel[ky + 2] * (n16 * n16) * Math.exp(-d2 - dl);
            r += w * src[4 * j];
            gg += w * src[4 * j + 1];
            b += w * src[4 * j + 2];
            wsum += w;
          }
        }
        if (wsum > 0) {
          dst[4 * i] = r / wsum;
          dst[4 * i + 1] = gg / wsum;
          dst[4 * i + 2] = b / wsum;
        }
      }
    src = dst.slice();
  }
  img.data.set(src);
}

/**
 * Seam stitching: where a smooth surface was cut into two charts, the two sides of the cut sample different
 * texels and bilinear filtering shows a line. For every mesh edge shared by two triangles of different charts
 * whose faces meet at less than `maxCreaseDegrees` (a crease is a real lighting edge and is left alone), points
 * along the edge are read on both sides and the texels under each side are nudged towards the mean, a few
 * Gauss–Seidel sweeps (a light version of the least-squares seam solve of The Witness).
 */
export interface SeamEdge {
  /** Pages of side A and side B: different where a split primitive's pieces meet (bake/split-primitives.ts). */
  pageA: number;
  pageB: number;
  /** UV of the edge's two ends on side A and on side B (page-normalized). */
  a0: [number, number];
  a1: [number, number];
  b0: [number, number];
  b1: [number, number];
}

export interface SeamMesh {
  positions: Float32Array;
  indices: Uint32Array;
  uv1: Float32Array;
  /** The page of every triangle, or one page for all. */
  page: number | ArrayLike<number>;
}

export function findSeams(meshes: SeamMesh[], maxCreaseDegrees = 30): SeamEdge[] {
  const cosMax = Math.cos((maxCreaseDegrees * Math.PI) / 180);
  const seams: SeamEdge[] = [];
  for (const m of meshes) {
    const I = m.indices;
    const triangles = I.length / 3;
    // Vertices at one position are one vertex of the surface (a UV cut duplicates them): an id per position, and
    // its rank in the order of the positions' text, which orients each edge the same way from both sides.
    const idOf = new Map<string, number>();
    const keys: string[] = [];
    const id = new Int32Array(m.positions.length / 3).fill(-1);
    for (let k = 0; k < I.length; k++) {
      const v = I[k];
      if (id[v] >= 0) continue;
      const key = `${m.positions[3 * v]},${m.positions[3 * v + 1]},${m.positions[3 * v + 2]}`;
      let i = idOf.get(key);
      if (i === undefined) {
        i = keys.length;
        keys.push(key);
        idOf.set(key, i);
      }
      id[v] = i;
    }
    const rank = new Int32Array(keys.length);
    keys
      .map((_, i) => i)
      .sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0))
      .forEach((i, r) => {
        rank[i] = r;
      });
    // Each edge (a pair of positions, by rank) in the order it is first met, with its first two triangles, each's
    // ends ordered by rank, and how many triangles share it. An open-addressing table of the rank pairs finds an
    // edge's slot: a Map of pairs needs a string or a float key per edge, and was most of this function's time.
    const size = 1 << Math.ceil(Math.log2(2 * I.length + 2));
    const tableLo = new Int32Array(size).fill(-1),
      tableHi = new Int32Array(size),
      tableSlot = new Int32Array(size);
    const side = new Int32Array(6 * I.length),
      shared = new Uint32Array(I.length);
    let slots = 0;
    for (let t = 0; t < triangles; t++)
      for (let k = 0; k < 3; k++) {
        const a = I[3 * t + k],
          b = I[3 * t + ((k + 1) % 3)];
        const ra = rank[id[a]],
          rb = rank[id[b]];
        const lo = Math.min(ra, rb),
          hi = Math.max(ra, rb);
        let h = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) & (size - 1);
        while (tableLo[h] >= 0 && (tableLo[h] !== lo || tableHi[h] !== hi)) h = (h + 1) & (size - 1);
        if (tableLo[h] < 0) {
          tableLo[h] = lo;
          tableHi[h] = hi;
          tableSlot[h] = slots++;
        }
        const slot = tableSlot[h];
        const n = shared[slot]++;
        if (n < 2) {
          const at = 6 * slot + 3 * n;
          side[at] = t;
          side[at + 1] = ra < rb ? a : b;
          side[at + 2] = ra < rb ? b : a;
        }
      }
    const normal = (t: number) =>
      normalize(triangleCross(m.positions, 3 * I[3 * t], 3 * I[3 * t + 1], 3 * I[3 * t + 2]));
    const uv = (v: number): [number, number] => [m.uv1[2 * v], m.uv1[2 * v + 1]];
    const page = (t: number) => (typeof m.page === 'number' ? m.page : m.page[t]);
    const same = (p: number, q: number) => m.uv1[2 * p] === m.uv1[2 * q] && m.uv1[2 * p + 1] === m.uv1[2 * q + 1];
    for (let slot = 0; slot < slots; slot++) {
      if (shared[slot] !== 2) continue;
      const [xt, xa, xb, yt, ya, yb] = side.subarray(6 * slot, 6 * slot + 6);
      if (same(xa, ya) && same(xb, yb) && page(xt) === page(yt)) continue; // not a seam
      const nx = normal(xt),
        ny = normal(yt);
      if (nx[0] * ny[0] + nx[1] * ny[1] + nx[2] * ny[2] < cosMax) continue; // a crease
      seams.push({ pageA: page(xt), pageB: page(yt), a0: uv(xa), a1: uv(xb), b0: uv(ya), b1: uv(yb) });
    }
  }
  return seams;
}

export function stitchSeams(pages: FloatImage[], seams: SeamEdge[], sweeps = 8): number {
  // Where each sample point of each seam reads and writes does not change between sweeps: its two sides' bilinear
  // taps (4 texels and weights each) and their Σw² are found once, into flat arrays, and each sweep runs over those.
  let points = 0;
  const counts = seams.map((e) => {
    const A = pages[e.pageA],
      B = pages[e.pageB];
    const lenA = Math.hypot((e.a1[0] - e.a0[0]) * A.width, (e.a1[1] - e.a0[1]) * A.height);
    const lenB = Math.hypot((e.b1[0] - e.b0[0]) * B.width, (e.b1[1] - e.b0[1]) * B.height);
    const n = Math.max(2, Math.ceil(2 * Math.max(lenA, lenB)));
    points += n + 1;
    return n;
  });
  // Per point and side: 4 texel indices, 4 weights, and Σw² (1 where it is 0).
  const texel = new Uint32Array(8 * points),
    weight = new Float64Array(8 * points),
    norm = new Float64Array(2 * points);
  const taps = (img: FloatImage, u: number, v: number, at: number) => {
    const fx = u * img.width - 0.5,
      fy = v * img.height - 0.5;
    const ix = Math.floor(fx),
      iy = Math.floor(fy),
      ax = fx - ix,
      ay = fy - iy;
    let q = 0;
    for (let j = 0; j < 2; j++)
      for (let i = 0; i < 2; i++) {
        const X = Math.min(img.width - 1, Math.max(0, ix + i)),
          Y = Math.min(img.height - 1, Math.max(0, iy + j));
        const w = (i ? ax : 1 - ax) * (j ? ay : 1 - ay);
        texel[at + 2 * j + i] = Y * img.width + X;
        weight[at + 2 * j + i] = w;
        q += w * w;
      }
    return q || 1;
  };
  let p = 0;
  seams.forEach((e, s) => {
    const n = counts[s];
    for (let k = 0; k <= n; k++, p++) {
      const t = k / n;
      norm[2 * p] = taps(pages[e.pageA], e.a0[0] + t * (e.a1[0] - e.a0[0]), e.a0[1] + t * (e.a1[1] - e.a0[1]), 8 * p);
      norm[2 * p + 1] = taps(
        pages[e.pageB],
        e.b0[0] + t * (e.b1[0] - e.b0[0]),
        e.b0[1] + t * (e.b1[1] - e.b0[1]),
        8 * p + 4,
      );
    }
  });
  for (let sweep = 0; sweep < sweeps; sweep++) {
    p = 0;
    seams.forEach((e, s) => {
      const A = pages[e.pageA].data,
        B = pages[e.pageB].data;
      for (let k = 0; k <= counts[s]; k++, p++) {
        const a = 8 * p,
          b = a + 4,
          wa = norm[2 * p],
          wb = norm[2 * p + 1];
        for (let c = 0; c < 3; c++) {
          let va = 0,
            vb = 0;
          for (let q = 0; q < 4; q++) va += weight[a + q] * A[4 * texel[a + q] + c];
          for (let q = 0; q < 4; q++) vb += weight[b + q] * B[4 * texel[b + q] + c];
          const d = 0.5 * (vb - va);
          // Move each side half-way, spread over its taps in proportion to their weights (Σw² normalization).
          for (let q = 0; q < 4; q++) A[4 * texel[a + q] + c] += ((d * weight[a + q]) / wa) * 0.5;
          for (let q = 0; q < 4; q++) B[4 * texel[b + q] + c] -= ((d * weight[b + q]) / wb) * 0.5;
        }
      }
    });
  }
  return points * sweeps;
}
