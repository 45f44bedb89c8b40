/**
 * Reputation-weighted consensus over the votes of one job. Per metric: the weighted median of the nodes' means;
 * a node whose mean deviates from it by more than rel·|median| + abs (any metric) dissents and its vote is
 * discarded. Only when the agreeing side holds a 2/3 weight supermajority is anything decided: the dissenters are
 * flagged Byzantine, and the job is accepted when the agreeing pass votes weigh at least 2/3 of the agreeing votes.
 * Without that supermajority the median may belong to colluding liars, so nobody is flagged and the verdict is
 * inconclusive (the engine widens the quorum first, and never accepts on an inconclusive result).
 * Confidence intervals come from the per-sample medians across agreeing nodes. Pure.
 */
import { HIGHER_IS_BETTER, METRICS, passes } from './sampling.js';
import { meanInterval, type Interval } from './stats.js';
import type { MetricName, Thresholds, Vote } from './types.js';

export interface ConsensusOptions {
  /** Relative deviation from the median that flags a node (default 0.2, the design's 20%). */
  relTolerance: number;
  /** Absolute slack per metric added to the relative one (so tiny medians do not flag honest jitter). */
  absTolerance: Record<MetricName, number>;
  /** Share of agreeing weight that must vote pass (default 2/3). */
  acceptShare: number;
  confidence: number;
}

export const DEFAULT_CONSENSUS: ConsensusOptions = {
  relTolerance: 0.2,
  absTolerance: { psnr: 0.5, ssim: 0.01, flip: 0.01 },
  acceptShare: 2 / 3,
  confidence: 0.95,
};

export type Verdict = 'accepted' | 'rejected' | 'inconclusive';

export interface ConsensusResult {
  verdict: Verdict;
  reason: string;
  medians: Record<MetricName, number>;
  intervals: Record<MetricName, Interval>;
  /** Flagged Byzantine: the dissenters of a supermajority (empty when contested). */
  flagged: string[];
  /** Votes that deviate from the median, whether or not a supermajority stands behind it. */
  dissenting: string[];
  agreeing: string[];
  passWeight: number;
  agreeWeight: number;
  totalWeight: number;
  /**
   * The agreeing side holds less than `acceptShare` of all the weight: the median may belong to a colluding
   * majority of this quorum. The engine widens the quorum before trusting such a result, and does not move
   * reputations on it (a contested quorum must not be how honest nodes get flagged).
   */
  contested: boolean;
}

/**
 * How far a job's quorum k may be widened while its votes disagree: up to 4k + 1. Colluders under a third of the
 * pool hold under a third of a large enough sample of it, but not of a small one: when they happen to hold 2/3 of
 * the first quorum, the honest minority dissents, and a widening that stopped at 2k + 1 still left them the
 * supermajority now and then (bench:trust, quorum-aware colluders at (n − 1)/3: 5 bad results of 969 accepted, and
 * 22% of honest nodes flagged). Honest nodes do not dissent among themselves, so the cost falls on jobs where
 * someone lied.
 */
export function widenCap(quorum: number): number {
  return 4 * quorum + 1;
}

/**
 * The quorum a job's votes call for: two more while they disagree (a dissenting vote, no supermajority, or no
 * verdict), up to widenCap and the `eligible` trusted nodes that could still vote; `current` when the result stands.
 * A job still without a verdict at the cap keeps widening to every eligible node: colluders holding a third of a
 * widened quorum by chance would otherwise deny a good result its verdict (bench:trust at a share of 0.325: false
 * rejections 1.2% → 0.2% for colluders lying at a third, 1.2% → 0 for targeted liars, +0.06 evaluations per job).
 */
export function widenedQuorum(result: ConsensusResult, current: number, base: number, eligible: number): number {
  const undecided = result.verdict === 'inconclusive' || result.contested;
  const disagree = undecided || result.dissenting.length > 0;
  const cap = undecided ? eligible : widenCap(base);
  return disagree ? Math.max(current, Math.min(current + 2, cap, eligible)) : current;
}

export function weightedMedian(values: number[], weights: number[]): number {
  const idx = values
    .map((_, i) => i)
    .filter((i) => weights[i] > 0)
    .sort((a, b) => values[a] - values[b]);
  if (idx.length === 0) return NaN;
  const total = idx.reduce((s, i) => s + weights[i], 0);
  let acc = 0;
  for (let j = 0; j < idx.length; j++) {
    acc += weights[idx[j]];
    // Exactly half: average with the next value, as the unweighted median does for even counts.
    if (Math.abs(acc - total / 2) < 1e-12 * total && j + 1 < idx.length)
      return (values[idx[j]] + values[idx[j + 1]]) / 2;
    if (acc > total / 2) return values[idx[j]];
  }
  return values[idx[idx.length - 1]];
}

export function deviates(value: number, median: number, metric: MetricName, o: ConsensusOptions): boolean {
  return !(Math.abs(value - median) <= o.relTolerance * Math.abs(median) + o.absTolerance[metric]);
}

export function decide(
  votes: Vote[],
  weights: Map<string, number>,
  thresholds: Thresholds,
  options: Partial<ConsensusOptions> = {},
): ConsensusResult {
  const o = {
    ...DEFAULT_CONSENSUS,
    ...options,
    absTolerance: { ...DEFAULT_CONSENSUS.absTolerance, ...options.absTolerance },
  };
  const w = votes.map((v) => Math.max(0, weights.get(v.nodeKey) ?? 0));
  const medians = {} as Record<MetricName, number>;
  for (const k of METRICS)
    medians[k] = weightedMedian(
      votes.map((v) => v.means[k]),
      w,
    );
  const dissenting: string[] = [],
    agreeing: Vote[] = [];
  votes.forEach((v) =>
    METRICS.some((k) => deviates(v.means[k], medians[k], k, o)) ? dissenting.push(v.nodeKey) : agreeing.push(v),
  );
  const weightOf = (vs: Vote[]) => vs.reduce((s, v) => s + Math.max(0, weights.get(v.nodeKey) ?? 0), 0);
  const totalWeight = w.reduce((a, b) => a + b, 0);
  const agreeWeight = weightOf(agreeing);
  // A vote's pass bit must match its own numbers; otherwise it is a lie about its own measurement.
  const passWeight = weightOf(agreeing.filter((v) => v.pass && passes(v.means, thresholds)));

  // Per sample, the median across agreeing nodes; intervals over those.
  const intervals = {} as Record<MetricName, Interval>;
  const n = agreeing.length ? Math.min(...agreeing.map((v) => v.samples.length)) : 0;
  for (const k of METRICS) {
    const perSample: number[] = [];
    for (let i = 0; i < n; i++)
      perSample.push(
        weightedMedian(
          agreeing.map((v) => v.samples[i][k]),
          agreeing.map((v) => weights.get(v.nodeKey) ?? 0),
        ),
      );
    intervals[k] = meanInterval(perSample, o.confidence);
  }
  const contested = agreeWeight < o.acceptShare * totalWeight - 1e-9 * totalWeight;
  let verdict: Verdict, reason: string;
  if (votes.length === 0 || totalWeight <= 0) {
    verdict = 'inconclusive';
    reason = 'no weighted votes';
  } else if (contested) {
    verdict = 'inconclusive';
    reason = `only ${((100 * agreeWeight) / totalWeight).toFixed(0)}% of the voting weight agrees with the median (a 2/3 supermajority is needed)`;
  } else if (passWeight >= o.acceptShare * agreeWeight - 1e-12) {
    verdict = 'accepted';
    reason = `${((100 * passWeight) / agreeWeight).toFixed(0)}% of the agreeing weight votes pass`;
  } else {
    verdict = 'rejected';
    const failing = METRICS.filter(
      (k) =>
        thresholds[k] !== undefined &&
        (HIGHER_IS_BETTER[k] ? medians[k] < thresholds[k]! : medians[k] > thresholds[k]!),
    );
    reason = failing.length
      ? `below threshold: ${failing.map((k) => `${k} ${medians[k].toFixed(4)} vs ${thresholds[k]}`).join(', ')}`
      : `only ${((100 * passWeight) / agreeWeight).toFixed(0)}% of the agreeing weight votes pass`;
  }
  const flagged = contested ? [] : dissenting;
  return {
    verdict,
    reason,
    medians,
    intervals,
    flagged,
    dissenting,
    agreeing: agreeing.map((v) => v.nodeKey),
    passWeight,
    agreeWeight,
    totalWeight,
    contested,
  };
}

/**
 * The producer's claimed metrics must be reproduced: a claim better than the consensus by more than the tolerance
 * is a misstatement, and the certificate must not carry it. Returns the metrics whose claim is not reproduced.
 */
export function unreproducedClaims(
  claimed: Partial<Record<MetricName, number>>,
  medians: Record<MetricName, number>,
  options: Partial<ConsensusOptions> = {},
): MetricName[] {
  const o = {
    ...DEFAULT_CONSENSUS,
    ...options,
    absTolerance: { ...DEFAULT_CONSENSUS.absTolerance, ...options.absTolerance },
  };
  return METRICS.filter((k) => {
    const c = claimed[k];
    if (c === undefined) return false;
    const better = HIGHER_IS_BETTER[k] ? c - medians[k] : medians[k] - c;
    return better > o.relTolerance * Math.abs(medians[k]) + o.absTolerance[k];
  });
}
