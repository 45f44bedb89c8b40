/**
 * Verdict helpers: compare a MetricsResult with thresholds. Verdicts use SSIM on luma (VERDICT_SSIM): SSIM was
 * defined on a single intensity channel, and the per-channel mean double-counts noise that luma averages, while
 * colour errors are caught by FLIP (which works in an opponent colour space) and by PSNR over R, G and B.
 */
import type { MetricId, MetricsResult } from './types.js';

export const VERDICT_SSIM: MetricId = 'ssimLuma';

export interface Thresholds {
  /** dB; PSNR at or above passes. */
  minPsnr?: number;
  /** SSIM on luma at or above passes. */
  minSsim?: number;
  minMsssim?: number;
  /** Mean LDR-FLIP at or below passes. */
  maxFlip?: number;
}

/**
 * Starting points for "visually the same" at 1:1 viewing: a JPEG at quality 30 of a rendered image scores about
 * PSNR 27 dB, SSIM(luma) 0.84, FLIP 0.09, so these reject that clearly while allowing noise-level differences.
 */
export const DEFAULT_THRESHOLDS: Required<Omit<Thresholds, 'minMsssim'>> = {
  minPsnr: 35,
  minSsim: 0.95,
  maxFlip: 0.05,
};

export interface Check {
  metric: MetricId;
  value: number;
  limit: number;
  op: '>=' | '<=';
  pass: boolean;
}

export interface Verdict {
  pass: boolean;
  checks: Check[];
}

/** Metric ids computeMetrics must produce to judge these thresholds. */
export function metricsFor(t: Thresholds): MetricId[] {
  const ids: MetricId[] = [];
  if (t.minPsnr !== undefined) ids.push('psnr');
  if (t.minSsim !== undefined) ids.push(VERDICT_SSIM);
  if (t.minMsssim !== undefined) ids.push('msssim');
  if (t.maxFlip !== undefined) ids.push('flip');
  return ids;
}

/** Each threshold becomes a check; a missing or NaN value fails its check rather than passing silently. */
export function judge(r: MetricsResult, t: Thresholds = DEFAULT_THRESHOLDS): Verdict {
  const checks: Check[] = [];
  const add = (metric: MetricId, limit: number | undefined, op: '>=' | '<=') => {
    if (limit === undefined) return;
    const value = typeof r[metric] === 'number' ? (r[metric] as number) : NaN;
    const pass = op === '>=' ? value >= limit : value <= limit;
    checks.push({ metric, value, limit, op, pass });
  };
  add('psnr', t.minPsnr, '>=');
  add(VERDICT_SSIM, t.minSsim, '>=');
  add('msssim', t.minMsssim, '>=');
  add('flip', t.maxFlip, '<=');
  return { pass: checks.every((c) => c.pass), checks };
}
