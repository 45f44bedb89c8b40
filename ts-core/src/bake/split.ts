/**
 * A lightmap bake split into tasks of equal estimated cost, and merged back bit-identical to the single bake.
 *
 * A texel's result depends only on its ordinal among the layout's covered texels (page-major, raster order), the
 * options and the scene: it is seeded from (seed, ordinal, sample), and the early stop's scene mean comes from a
 * fixed subsample of texels that every bake traces (native bake.h BakeParams::texel_begin, texel_step.h). So a
 * bake of the ordinal ranges [b0, b1), [b1, b2), … taken anywhere, merged texel by texel, is the single bake with
 * the same seed, float for float; post (denoise, dilation, seams) then runs once on the merged pages
 * (bake.ts finishBake), as it does on a single bake.
 *
 *   const bake = await prepareBake(scene, opts);               // once, by the coordinator
 *   const cost = await estimateBakeCost(bake);                 // a strided bake: rays per sampled texel
 *   const { ranges } = planBakeSplit(cost, 4);                 // 4 ranges of equal predicted rays
 *   const parts = await Promise.all(ranges.map((r) => bakeRange(bake, r)));   // one per worker
 *   const result = await finishBake(bake, mergeBakeRanges(parts));   // identical to bakeScene(scene, opts)
 *
 * Texels of very different cost sit side by side (a sunlit yard converges at minSamples, a room lit through a
 * skylight takes every sample with longer paths), so equal texel counts are not equal work: the cost pre-pass
 * bakes every k-th texel with the bake's own options and records the rays each traced, a deterministic proxy for
 * its time (the same on any machine, and exactly the rays that texel traces in the whole bake), and the ranges cut
 * the prefix sum of that cost into equal parts.
 */
import { OteError } from '../errors.js';
import type { BakeNativePages, BakeNativeStats } from '../native/bake.js';
import { type PreparedBake, type RawBake, traceBake } from './bake.js';

/** Covered-texel ordinals [begin, end) of a layout (page-major, raster order). */
export interface BakeRange {
  begin: number;
  end: number;
}

/** What the cost pre-pass measured: the rays of every `stride`-th covered texel (ordinal j × stride). */
export interface BakeCostProfile {
  /** Covered texels of the layout: ordinals are [0, covered). */
  covered: number;
  stride: number;
  /** Per sampled texel j (ordinal j × stride): rays it traced, all its samples. */
  rays: Float64Array;
  /** Wall seconds the pre-pass took (setup and tracing). */
  seconds: number;
}

export interface CostPrepassOptions {
  /** About this many texels are baked (every k-th covered texel): the pre-pass costs about this / covered of the bake. */
  sampleTexels?: number;
  onProgress?: (f: number) => void;
}
export const COST_PREPASS_DEFAULTS = { sampleTexels: 4096 } as const;

export interface SplitOptions {
  /**
   * Rays' worth of per-texel work besides tracing, added to every texel's cost: texel setup's leak-repair rays
   * (8 per texel) and its bookkeeping (default 8).
   */
  texelOverheadRays?: number;
}
export const SPLIT_DEFAULTS = { texelOverheadRays: 8 } as const;

/** Ranges in ordinal order that partition [0, covered), and each range's predicted cost (rays). */
export interface BakeSplit {
  ranges: BakeRange[];
  predictedRays: number[];
}

/** One range's raw bake: what a farm worker returns. */
export interface BakeRangePart extends RawBake {
  range: BakeRange;
}

/** Covered texels an atlas is expected to have (page texels × the packer's utilization): to pick a stride. */
function expectedCovered(bake: PreparedBake): number {
  return bake.atlas.pages.reduce((s, p) => s + p.width * p.height * p.utilization, 0);
}

/**
 * The cost pre-pass: bakes every k-th covered texel with the bake's own options (no guides, no post) and records
 * the rays each traced. About COST_PREPASS_DEFAULTS.sampleTexels texels, so on a large layout a small fraction of
 * the bake; the sampled texels take exactly the samples they take in the whole bake (the stop rule's scene mean is
 * the same, texel_step.h).
 */
export async function estimateBakeCost(bake: PreparedBake, opts: CostPrepassOptions = {}): Promise<BakeCostProfile> {
  const sampleTexels = opts.sampleTexels ?? COST_PREPASS_DEFAULTS.sampleTexels;
  if (!(sampleTexels >= 1))
    throw new OteError('BAD_INPUT', `estimateBakeCost: sampleTexels must be at least 1, got ${sampleTexels}`);
  const stride = Math.max(1, Math.round(expectedCovered(bake) / sampleTexels));
  const t0 = performance.now();
  const raw = await traceBake(bake, { texelStride: stride, guides: false, rays: true, onProgress: opts.onProgress });
  const seconds = (performance.now() - t0) / 1000;
  const covered = raw.stats.coveredTexels;
  const rays = new Float64Array(Math.ceil(covered / stride));
  let j = 0;
  raw.pages.valid.forEach((valid, pg) => {
    const r = raw.pages.rays[pg];
    for (let i = 0; i < valid.length; i++) if (valid[i]) rays[j++] = r[i];
  });
  if (j !== rays.length)
    throw new Error(
      `estimateBakeCost: the pre-pass baked ${j} texels, expected ${rays.length} (every ${stride}-th of ${covered})`,
    );
  return { covered, stride, rays, seconds };
}

/**
 * Predicted cost (rays) of the covered texels before `ordinal`: sampled texel j stands for the `stride` texels
 * from its ordinal, each costing its rays plus the per-texel overhead, so the prefix sum is linear between samples.
 */
function costBefore(profile: BakeCostProfile, prefix: Float64Array, overhead: number, ordinal: number): number {
  const o = Math.min(Math.max(ordinal, 0), profile.covered);
  const j = Math.min(Math.floor(o / profile.stride), profile.rays.length - 1);
  if (j < 0) return 0;
  return prefix[j] + (o - j * profile.stride) * (profile.rays[j] + overhead);
}

/** prefix[j]: predicted cost of ordinals [0, j × stride). */
function costPrefix(profile: BakeCostProfile, overhead: number): Float64Array {
  const { rays, stride, covered } = profile;
  const prefix = new Float64Array(rays.length + 1);
  for (let j = 0; j < rays.length; j++)
    prefix[j + 1] = prefix[j] + Math.min(stride, covered - j * stride) * (rays[j] + overhead);
  return prefix;
}

function checkProfile(fn: string, profile: BakeCostProfile, tasks: number) {
  if (!Number.isInteger(tasks) || tasks < 1)
    throw new OteError('BAD_INPUT', `${fn}: tasks must be a positive integer, got ${tasks}`);
  if (!(profile.stride >= 1) || profile.rays.length !== Math.ceil(profile.covered / profile.stride))
    throw new OteError(
      'BAD_INPUT',
      `${fn}: a cost profile of ${profile.covered} covered texels every ${profile.stride}-th needs ${Math.ceil(profile.covered / profile.stride)} samples, got ${profile.rays.length}`,
    );
}

/** The predicted cost (rays plus per-texel overhead) of a range of covered texels. */
export function predictedRangeRays(profile: BakeCostProfile, range: BakeRange, opts: SplitOptions = {}): number {
  checkProfile('predictedRangeRays', profile, 1);
  const overhead = opts.texelOverheadRays ?? SPLIT_DEFAULTS.texelOverheadRays;
  const prefix = costPrefix(profile, overhead);
  return costBefore(profile, prefix, overhead, range.end) - costBefore(profile, prefix, overhead, range.begin);
}

/**
 * `tasks` contiguous ranges of covered texels of equal predicted cost: the cost prefix sum (linear between sampled
 * texels) cut at multiples of total / tasks, at whole ordinals. Ranges may be empty when there are fewer texels
 * than tasks.
 */
export function planBakeSplit(profile: BakeCostProfile, tasks: number, opts: SplitOptions = {}): BakeSplit {
  checkProfile('planBakeSplit', profile, tasks);
  const overhead = opts.texelOverheadRays ?? SPLIT_DEFAULTS.texelOverheadRays;
  if (!(overhead >= 0))
    throw new OteError('BAD_INPUT', `planBakeSplit: texelOverheadRays must be >= 0, got ${overhead}`);
  const prefix = costPrefix(profile, overhead);
  const total = prefix[prefix.length - 1];
  const cuts = [0];
  for (let i = 1; i < tasks; i++) {
    const target = (total * i) / tasks;
    // The sample whose span holds the target, then the ordinal within it (each texel there costs the same).
    let lo = 0,
      hi = profile.rays.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (prefix[mid] <= target) lo = mid;
      else hi = mid - 1;
    }
    const per = profile.rays[lo] + overhead;
    const within = per > 0 ? (target - prefix[lo]) / per : 0;
    const o = Math.round(lo * profile.stride + Math.min(within, profile.stride));
    cuts.push(Math.min(profile.covered, Math.max(cuts[cuts.length - 1], o)));
  }
  cuts.push(profile.covered);
  return splitOf(profile, cuts, prefix, overhead);
}

/** `tasks` contiguous ranges of equal texel counts (the baseline equal-cost ranges are measured against). */
export function equalSizeSplit(profile: BakeCostProfile, tasks: number, opts: SplitOptions = {}): BakeSplit {
  checkProfile('equalSizeSplit', profile, tasks);
  const overhead = opts.texelOverheadRays ?? SPLIT_DEFAULTS.texelOverheadRays;
  const cuts = Array.from({ length: tasks + 1 }, (_, i) => Math.round((profile.covered * i) / tasks));
  return splitOf(profile, cuts, costPrefix(profile, overhead), overhead);
}

function splitOf(profile: BakeCostProfile, cuts: number[], prefix: Float64Array, overhead: number): BakeSplit {
  const ranges = cuts.slice(1).map((end, i) => ({ begin: cuts[i], end }));
  return {
    ranges,
    predictedRays: ranges.map(
      (r) => costBefore(profile, prefix, overhead, r.end) - costBefore(profile, prefix, overhead, r.begin),
    ),
  };
}

/**
 * Bakes one range of a prepared bake's covered texels: what a farm task runs. Raw pages (before post) with every
 * texel outside the range invalid and zero; position and normal guides for the merged post.
 */
export async function bakeRange(
  bake: PreparedBake,
  range: BakeRange,
  opts: { onProgress?: (f: number) => void } = {},
): Promise<BakeRangePart> {
  const u32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
  if (!u32(range.begin) || !u32(range.end) || range.end < range.begin)
    throw new OteError(
      'BAD_INPUT',
      `bakeRange: a range is two integer ordinals 0 <= begin <= end < 2^32, got [${range.begin}, ${range.end})`,
    );
  const raw = await traceBake(bake, { texelBegin: range.begin, texelEnd: range.end, onProgress: opts.onProgress });
  if (range.end > raw.stats.coveredTexels)
    throw new OteError(
      'BAD_INPUT',
      `bakeRange: range [${range.begin}, ${range.end}) ends past the layout's ${raw.stats.coveredTexels} covered texels`,
    );
  return { ...raw, range: { begin: range.begin, end: range.end } };
}

/**
 * The raw pages of the whole bake from parts whose ranges partition [0, covered): each texel from the part that
 * baked it. Stats add up (seconds are summed work, not wall time; texelSamples and rays include each part's
 * scene-mean texels); min and max texel samples over all parts.
 */
export function mergeBakeRanges(parts: readonly BakeRangePart[]): RawBake {
  if (parts.length === 0) throw new OteError('BAD_INPUT', 'mergeBakeRanges: no parts');
  const first = parts[0];
  const covered = first.stats.coveredTexels;
  const sizes = first.pages.valid.map((v) => v.length);
  const guides = first.pages.position.length > 0;
  parts.forEach((p, i) => {
    if (p.stats.coveredTexels !== covered || p.pages.valid.length !== sizes.length)
      throw new OteError(
        'BAD_INPUT',
        `mergeBakeRanges: part ${i} is of another layout (${p.stats.coveredTexels} covered texels on ${p.pages.valid.length} pages, part 0: ${covered} on ${sizes.length})`,
      );
    p.pages.valid.forEach((v, pg) => {
      if (v.length !== sizes[pg])
        throw new OteError(
          'BAD_INPUT',
          `mergeBakeRanges: part ${i} page ${pg} has ${v.length} texels, part 0 ${sizes[pg]}`,
        );
    });
    if (p.pages.position.length > 0 !== guides)
      throw new OteError('BAD_INPUT', `mergeBakeRanges: part ${i} ${guides ? 'lacks' : 'has'} guides, part 0 not`);
  });
  // The ranges must cover every ordinal exactly once.
  const sorted = [...parts].sort((a, b) => a.range.begin - b.range.begin || a.range.end - b.range.end);
  let next = 0;
  for (const p of sorted) {
    if (p.range.begin === p.range.end) continue;
    if (p.range.begin > next)
      throw new OteError('BAD_INPUT', `mergeBakeRanges: covered texels [${next}, ${p.range.begin}) are in no part`);
    if (p.range.begin < next)
      throw new OteError(
        'BAD_INPUT',
        `mergeBakeRanges: covered texels [${p.range.begin}, ${Math.min(next, p.range.end)}) are in two parts`,
      );
    next = p.range.end;
  }
  if (next !== covered)
    throw new OteError('BAD_INPUT', `mergeBakeRanges: covered texels [${next}, ${covered}) are in no part`);

  const pages: BakeNativePages = {
    rgba: sizes.map((n) => new Float32Array(4 * n)),
    valid: sizes.map((n) => new Uint8Array(n)),
    samples: sizes.map((n) => new Uint32Array(n)),
    position: guides ? sizes.map((n) => new Float32Array(3 * n)) : [],
    normal: guides ? sizes.map((n) => new Float32Array(3 * n)) : [],
    tangent: guides ? sizes.map((n) => new Float32Array(3 * n)) : [],
    bitangent: guides ? sizes.map((n) => new Float32Array(3 * n)) : [],
    direct: guides ? sizes.map((n) => new Float32Array(3 * n)) : [],
    rays: first.pages.rays.length ? sizes.map((n) => new Uint32Array(n)) : [],
  };
  const threes = ['position', 'normal', 'tangent', 'bitangent', 'direct'] as const;
  parts.forEach((p, i) => {
    p.pages.valid.forEach((valid, pg) => {
      const out = pages.valid[pg];
      for (let k = 0; k < valid.length; k++) {
        if (!valid[k]) continue;
        if (out[k])
          throw new OteError(
            'BAD_INPUT',
            `mergeBakeRanges: texel ${k} of page ${pg} is baked by part ${i} and another`,
          );
        out[k] = 1;
        for (let c = 0; c < 4; c++) pages.rgba[pg][4 * k + c] = p.pages.rgba[pg][4 * k + c];
        pages.samples[pg][k] = p.pages.samples[pg][k];
        if (guides)
          for (const g of threes) for (let c = 0; c < 3; c++) pages[g][pg][3 * k + c] = p.pages[g][pg][3 * k + c];
        if (pages.rays.length && p.pages.rays.length) pages.rays[pg][k] = p.pages.rays[pg][k];
      }
    });
  });
  return { pages, stats: mergeStats(parts.map((p) => p.stats)), untextured: first.untextured };
}

function mergeStats(all: readonly BakeNativeStats[]): BakeNativeStats {
  const sum = (f: (s: BakeNativeStats) => number) => all.reduce((t, s) => t + f(s), 0);
  const baked = all.filter((s) => s.texels > 0);
  return {
    backend: all[0].backend,
    flattened: all[0].flattened,
    coveredTexels: all[0].coveredTexels,
    texels: sum((s) => s.texels),
    probeTexels: sum((s) => s.probeTexels),
    texelSamples: sum((s) => s.texelSamples),
    rays: sum((s) => s.rays),
    repairedTexels: sum((s) => s.repairedTexels),
    setupSeconds: sum((s) => s.setupSeconds),
    rasterSeconds: sum((s) => s.rasterSeconds),
    sceneSeconds: sum((s) => s.sceneSeconds),
    traceSeconds: sum((s) => s.traceSeconds),
    traceCpuSeconds: sum((s) => s.traceCpuSeconds),
    minTexelSamples: baked.length ? Math.min(...baked.map((s) => s.minTexelSamples)) : 0,
    maxTexelSamples: baked.length ? Math.max(...baked.map((s) => s.maxTexelSamples)) : 0,
  };
}

const PART_MAGIC = 0x5450424f; // 'OBPT' little-endian: an OTE bake part

/**
 * A part as bytes, to send between processes or machines (a farm task's artifact): a JSON header (range, stats,
 * page sizes) and the pages' arrays, little-endian. decodeBakePart reads it back bit for bit.
 */
export function encodeBakePart(part: BakeRangePart): Uint8Array {
  const { pages } = part;
  const arrays: ArrayBufferView[] = [
    ...pages.rgba,
    ...pages.valid,
    ...pages.samples,
    ...pages.position,
    ...pages.normal,
    ...pages.tangent,
    ...pages.bitangent,
    ...pages.direct,
    ...pages.rays,
  ];
  const header = new TextEncoder().encode(
    JSON.stringify({
      range: part.range,
      stats: part.stats,
      untextured: part.untextured,
      texels: pages.valid.map((v) => v.length),
      guides: pages.position.length > 0,
      rays: pages.rays.length > 0,
    }),
  );
  // Arrays start at multiples of 4 bytes after the 8-byte prefix and the padded header.
  const headerBytes = (header.length + 3) & ~3;
  const total = 8 + headerBytes + arrays.reduce((s, a) => s + ((a.byteLength + 3) & ~3), 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PART_MAGIC, true);
  dv.setUint32(4, header.length, true);
  out.set(header, 8);
  let at = 8 + headerBytes;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += (a.byteLength + 3) & ~3;
  }
  return out;
}

export function decodeBakePart(bytes: Uint8Array): BakeRangePart {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || dv.getUint32(0, true) !== PART_MAGIC)
    throw new OteError('BAD_INPUT', 'decodeBakePart: not an encoded bake part');
  const n = dv.getUint32(4, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as {
    range: BakeRange;
    stats: BakeNativeStats;
    untextured: string[];
    texels: number[];
    guides: boolean;
    rays: boolean;
  };
  let at = 8 + ((n + 3) & ~3);
  // Copies, so that the arrays are aligned and own their memory whatever `bytes` is.
  const take = <T>(count: number, bytesPer: number, make: (b: ArrayBuffer) => T): T => {
    const len = count * bytesPer;
    if (at + len > bytes.byteLength) throw new OteError('BAD_INPUT', 'decodeBakePart: truncated');
    // Not bytes.slice: on a Node Buffer that is a view into a shared pool, not a copy.
    const copy = new Uint8Array(len);
    copy.set(bytes.subarray(at, at + len));
    at += (len + 3) & ~3;
    return make(copy.buffer);
  };
  const f32 = (per: number) => h.texels.map((t) => take(per * t, 4, (b) => new Float32Array(b)));
  const rgba = f32(4);
  const valid = h.texels.map((t) => take(t, 1, (b) => new Uint8Array(b)));
  const samples = h.texels.map((t) => take(t, 4, (b) => new Uint32Array(b)));
  const g = () => (h.guides ? f32(3) : []);
  const position = g(),
    normal = g(),
    tangent = g(),
    bitangent = g(),
    direct = g();
  const rays = h.rays ? h.texels.map((t) => take(t, 4, (b) => new Uint32Array(b))) : [];
  return {
    range: h.range,
    stats: h.stats,
    untextured: h.untextured,
    pages: { rgba, valid, samples, position, normal, tangent, bitangent, direct, rays },
  };
}
