/**
 * Which views a job is checked at, and how many. The seed is fixed only after both blobs are committed:
 * SHA-256(reference hash ‖ artifact hash ‖ engine nonce), so a producer cannot choose views it knows look good.
 * Views are abstract (orbit angles and a crop in unit coordinates); each node turns them into a camera around the
 * reference scene's bounds, so the engine never has to parse a scene. Pure.
 */
import { fromHex, sha256Hex, utf8, concatBytes } from './bytes.js';
import { Rng } from '../util/rng.js';
import { meanInterval } from './stats.js';
import type { MetricName, SampleMetrics, Thresholds } from './types.js';

/** n = ceil(10 · (1 + 2·complexity) · (1 + 10·(confidence − 0.9))), the design's formula. */
export function sampleSize(complexity: number, confidence: number): number {
  if (!(complexity >= 0 && complexity <= 1)) throw new RangeError(`complexity must be in [0, 1], got ${complexity}`);
  if (!(confidence >= 0.9 && confidence < 1)) throw new RangeError(`confidence must be in [0.9, 1), got ${confidence}`);
  return Math.ceil(10 * (1 + 2 * complexity) * (1 + 10 * (confidence - 0.9)) - 1e-9);
}

/** Fewest samples before the sequential test may stop: a t interval on fewer is too wide to mean anything. */
export const MIN_SAMPLES = 5;

export function deriveSeed(referenceHash: string, artifactHash: string, engineNonce: string): string {
  return sha256Hex(
    concatBytes(fromHex(referenceHash), fromHex(artifactHash), fromHex(engineNonce), utf8('ote-trust/sample-seed/v1')),
  );
}

export interface SampleSpec {
  index: number;
  /** Orbit angles around the scene's bounds centre, radians. */
  azimuth: number;
  elevation: number;
  /** Camera distance as a multiple of the framing distance. */
  distance: number;
  /** Crop in unit image coordinates (x, y of the top-left corner, w, h). */
  crop: { x: number; y: number; w: number; h: number };
  /** Seed of the renderers' per-pixel random numbers for this sample: every node draws the same paths. */
  renderSeed: number;
}

export function sampleSpecs(seed: string, count: number): SampleSpec[] {
  const rng = new Rng(seed);
  const out: SampleSpec[] = [];
  for (let i = 0; i < count; i++) {
    const w = 0.25 + 0.25 * rng.next(),
      h = w;
    out.push({
      index: i,
      azimuth: rng.range(0, 2 * Math.PI),
      elevation: rng.range(0.05, 1.0), // from above: the underside of a ground plane has no baked light to check
      distance: rng.range(0.8, 1.3),
      crop: { x: rng.range(0, 1 - w), y: rng.range(0, 1 - h), w, h },
      renderSeed: 1 + rng.int(0x7fffffff),
    });
  }
  return out;
}

export const METRICS: MetricName[] = ['psnr', 'ssim', 'flip'];
/** Direction of "better": PSNR and SSIM must reach a minimum, FLIP (an error) must stay under a maximum. */
export const HIGHER_IS_BETTER: Record<MetricName, boolean> = { psnr: true, ssim: true, flip: false };

export function passes(m: Record<MetricName, number>, t: Thresholds): boolean {
  return METRICS.every((k) => t[k] === undefined || (HIGHER_IS_BETTER[k] ? m[k] >= t[k]! : m[k] <= t[k]!));
}

/**
 * Sequential early stop: after at least MIN_SAMPLES, stop once every thresholded metric's confidence interval lies
 * wholly on one side of its threshold (clearly passing or clearly failing). Deterministic evaluators stop at the
 * same count on every honest node.
 */
export function canStop(samples: SampleMetrics[], t: Thresholds, confidence: number): boolean {
  if (samples.length < MIN_SAMPLES) return false;
  return METRICS.every((k) => {
    if (t[k] === undefined) return true;
    const ci = meanInterval(
      samples.map((s) => s[k]),
      confidence,
    );
    return ci.lo > t[k]! || ci.hi < t[k]!;
  });
}
