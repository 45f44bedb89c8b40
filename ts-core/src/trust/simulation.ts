/**
 * The Trust Engine's policy (consensus.ts, reputation.ts, the scheduler's seats) run against adversaries
 * (adversaries.ts) over thousands of simulated jobs, without renders: each vote is the job's true metrics with an
 * honest node's jitter, or the attacker's lie. What `npm run bench:trust` reports, and what tests hold the policy to.
 *
 * Per job, as the engine does: a quorum of k trusted nodes in random order (the scheduler's least-loaded-first
 * order, whose ties are random, is random order for nodes of equal load); a quorum whose votes disagree is widened
 * by two up to 4k + 1 (consensus.ts widenedQuorum); an accepted job its first quorum agreed on is rechecked by two
 * more voters on a random share of jobs and on every high-value one (recheck.ts); one untrusted node takes a non-voting spot
 * check, judged against the consensus medians; reputations move only on an uncontested result. Deterministic for a
 * given seed. Pure.
 */
import type { Strategy } from './adversaries.js';
import { decide, deviates, DEFAULT_CONSENSUS, widenedQuorum } from './consensus.js';
import {
  DEFAULT_REPUTATION,
  isTrusted,
  lowerBound,
  type Reputation,
  type ReputationOptions,
  updateReputation,
  voteWeight,
} from './reputation.js';
import { RECHECK_DEFAULTS, type RecheckOptions, shouldRecheck } from './recheck.js';
import { METRICS, passes } from './sampling.js';
import { betaQuantile } from './stats.js';
import type { MetricName, Thresholds, Vote } from './types.js';
import { Rng } from '../util/rng.js';

export interface SimulationOptions {
  /** Nodes at the start. */
  nodes: number;
  /** Share of the starting nodes that follow `strategy` (one attacker: they know each other). */
  adversaryShare: number;
  strategy: Strategy;
  /**
   * Fresh keys of the same attacker that join at job `at` (a Sybil attack). `oneOperator`: they are allow-listed
   * under one operator's name, and a quorum seats one node per operator (the engine's rule, scheduler.ts).
   */
  sybils?: { at: number; count: number; strategy: Strategy; oneOperator?: boolean };
  /**
   * The reputation keys that join after the start begin with (default: the reputation options' prior, trusted at
   * once, as the engine does today). An untrusted prior puts them on probation: they vote only once spot checks
   * earned them trust.
   */
  newcomerPrior?: Reputation;
  /**
   * BOINC's adaptive replication, as a candidate policy (not the engine's): a job whose first drawn node has a
   * reputation lower bound of at least `soloBound` is verified by that node alone, then rechecked by two more at
   * `rate` (and always when high-value), whatever its verdict. Absent: every job gets a full quorum.
   */
  adaptive?: { soloBound: number; rate: number };
  quorum: number;
  jobs: number;
  /** Share of jobs whose result is truly bad. */
  badRate: number;
  /** Share of jobs that are high-value (large scenes, QUALITY profile). */
  highValueRate: number;
  /** An honest node's relative jitter on each metric. */
  jitter: number;
  thresholds: Thresholds;
  reputation: ReputationOptions;
  recheck: RecheckOptions;
  seed: string;
}

export const SIMULATION_DEFAULTS: Omit<SimulationOptions, 'strategy' | 'adversaryShare'> = {
  nodes: 40,
  quorum: 5,
  jobs: 2000,
  badRate: 0.5,
  highValueRate: 0.1,
  jitter: 0.01,
  thresholds: { psnr: 30, ssim: 0.95, flip: 0.08 },
  reputation: DEFAULT_REPUTATION,
  recheck: RECHECK_DEFAULTS,
  seed: 'trust-sim',
};

export interface SimulationResult {
  strategy: string;
  adversaries: number;
  sybils: number;
  nodes: number;
  jobs: number;
  badJobs: number;
  acceptedBad: number;
  acceptedBadRate: number;
  /** One-sided 95% upper bound on the rate of accepting a bad result (Clopper–Pearson). */
  acceptedBadUpper95: number;
  falseRejectionRate: number;
  inconclusiveRate: number;
  /** Votes and spot checks per job. */
  evaluationsPerJob: number;
  /** Adversary nodes that lied at least once. */
  lied: number;
  /** Of those, the share flagged at least once after their first lie. */
  liarsFlagged: number;
  /** Median jobs a liar served from its first lie to its first flag after it (Infinity: most never flagged). */
  medianJobsToFlag: number;
  /** Lies told, and the share of them on which their node was flagged. */
  lies: number;
  liesFlagged: number;
  honestEverFlagged: number;
  /** The attacker's share of the trusted nodes' voting weight at the end. */
  adversaryWeightAtEnd: number;
}

interface SimNode {
  key: string;
  operator: string;
  strategy: Strategy;
  adversary: boolean;
  rep: Reputation;
  served: number;
  flags: number;
  firstLie: number;
  flaggedAfterLie: number;
}

/** The truth of a good and of a bad result, and the lie about each. */
const TRUTH = { good: { psnr: 48, ssim: 0.995, flip: 0.01 }, bad: { psnr: 22, ssim: 0.8, flip: 0.15 } };
const LIE = { aboutGood: TRUTH.bad, aboutBad: { psnr: 55, ssim: 0.999, flip: 0.002 } };

export function simulateTrust(options: Partial<SimulationOptions> & Pick<SimulationOptions, 'strategy'>) {
  const o: SimulationOptions = { adversaryShare: 0, ...SIMULATION_DEFAULTS, ...options };
  const rng = new Rng(`${o.seed}-${o.strategy.name}-${o.adversaryShare}-${o.sybils?.count ?? 0}`);
  const newNode = (
    key: string,
    strategy: Strategy | undefined,
    prior = o.reputation.prior,
    operator = key,
  ): SimNode => ({
    key,
    operator,
    strategy: strategy ?? { name: 'honest', lies: () => false },
    adversary: strategy !== undefined,
    rep: { ...prior },
    served: 0,
    flags: 0,
    firstLie: -1,
    flaggedAfterLie: -1,
  });
  const bad = Math.round(o.adversaryShare * o.nodes);
  const nodes = Array.from({ length: o.nodes }, (_, i) => newNode(`n${i}`, i < bad ? o.strategy : undefined));
  const weight = (n: SimNode) => voteWeight(n.rep, 1, true, o.reputation);
  let badJobs = 0,
    acceptedBad = 0,
    goodJobs = 0,
    rejectedGood = 0,
    inconclusive = 0,
    evaluations = 0,
    lies = 0,
    liesFlagged = 0,
    // The last job whose verdict flagged a node (the recheck alert, recheck.ts); none yet.
    lastFlag = Number.NEGATIVE_INFINITY;
  const shuffle = <T>(xs: T[]) => {
    const c = [...xs];
    for (let i = c.length - 1; i > 0; i--) {
      const r = rng.int(i + 1);
      [c[i], c[r]] = [c[r], c[i]];
    }
    return c;
  };
  for (let j = 0; j < o.jobs; j++) {
    if (o.sybils && j === o.sybils.at)
      for (let i = 0; i < o.sybils.count; i++)
        nodes.push(newNode(`s${i}`, o.sybils.strategy, o.newcomerPrior, o.sybils.oneOperator ? 'sybil' : `s${i}`));
    const isGood = rng.next() >= o.badRate;
    if (isGood) goodJobs++;
    else badJobs++;
    const job = { index: j, highValue: rng.next() < o.highValueRate };
    const truth = isGood ? TRUTH.good : TRUTH.bad;
    const lie = isGood ? LIE.aboutGood : LIE.aboutBad;
    // One seat per operator: the first of each operator's trusted nodes in the draw.
    const operators = new Set<string>();
    const order = shuffle(nodes.filter((n) => isTrusted(n.rep, o.reputation))).filter(
      (n) => !operators.has(n.operator) && operators.add(n.operator) !== undefined,
    );
    const untrusted = nodes.filter((n) => !isTrusted(n.rep, o.reputation));
    const spot = untrusted.length ? [untrusted[rng.int(untrusted.length)]] : [];
    const lied = new Set<string>();
    const voteOf = (n: SimNode, seated: readonly SimNode[], spot = false): Vote => {
      const lying =
        n.adversary &&
        n.strategy.lies({
          job,
          served: n.served,
          quorum: seated.map((q) => ({ colluding: q.adversary, weight: weight(q) })),
          spot,
          rng,
        });
      if (lying) {
        lied.add(n.key);
        lies++;
        if (n.firstLie < 0) n.firstLie = n.served;
      }
      const m = lying
        ? lie
        : (Object.fromEntries(METRICS.map((k) => [k, truth[k] * (1 + o.jitter * (rng.next() * 2 - 1))])) as Record<
            MetricName,
            number
          >);
      const samples = Array.from({ length: 5 }, (_, i) => ({ index: i, ...m }));
      return { jobId: `j${j}`, nodeKey: n.key, samples, means: m, pass: passes(m, o.thresholds), sig: '' };
    };
    const solo =
      o.adaptive !== undefined && order.length > 0 && lowerBound(order[0].rep, o.reputation) >= o.adaptive.soloBound;
    let quorum = order.slice(0, solo ? 1 : o.quorum);
    const votes = quorum.map((n) => voteOf(n, quorum));
    const weights = () => new Map(quorum.map((n) => [n.key, weight(n)]));
    let r = decide(votes, weights(), o.thresholds);
    const seat = (size: number) => {
      const extra = order.slice(quorum.length, size);
      quorum = [...quorum, ...extra];
      votes.push(...extra.map((n) => voteOf(n, quorum)));
      r = decide(votes, weights(), o.thresholds);
    };
    const settle = () => {
      for (;;) {
        const size = widenedQuorum(r, quorum.length, o.quorum, order.length);
        if (size === quorum.length) return;
        seat(size);
      }
    };
    settle();
    // The engine's recheck (recheck.ts): its draw is one the nodes cannot predict, as this one is.
    const draw = rng.next();
    const profile = job.highValue ? 'quality' : 'balanced';
    const recheck =
      o.adaptive && solo
        ? quorum.length === 1 && shouldRecheck({ ...o.recheck, rate: o.adaptive.rate }, { profile, draw })
        : r.verdict === 'accepted' &&
          quorum.length === o.quorum &&
          shouldRecheck(o.recheck, { profile, draw, jobsSinceFlag: j - lastFlag - 1 });
    if (recheck && order.length > quorum.length) {
      seat(Math.min(order.length, quorum.length + o.recheck.seats));
      settle();
    }
    evaluations += quorum.length + spot.length;
    if (r.verdict === 'inconclusive') inconclusive++;
    const accepted = r.verdict === 'accepted';
    if (!isGood && accepted) acceptedBad++;
    if (isGood && !accepted) rejectedGood++;
    const judge = (n: SimNode, flagged: boolean) => {
      n.served++;
      if (flagged) {
        n.flags++;
        if (n.firstLie >= 0 && n.flaggedAfterLie < 0) n.flaggedAfterLie = n.served;
        if (lied.has(n.key)) liesFlagged++;
      }
      n.rep = updateReputation(n.rep, flagged ? 'flagged' : 'agree', o.reputation);
    };
    // The engine counts every verdict that names a flagged node, contested or not.
    if (r.flagged.length) lastFlag = j;
    // Reputations do not move on a contested result (it must not be how honest nodes get flagged).
    if (r.contested) {
      for (const n of [...quorum, ...spot]) n.served++;
      continue;
    }
    for (const n of quorum) judge(n, r.flagged.includes(n.key));
    for (const n of spot) {
      const v = voteOf(n, [n], true);
      judge(
        n,
        METRICS.some((k) => deviates(v.means[k], r.medians[k], k, DEFAULT_CONSENSUS)),
      );
    }
  }
  const adversaries = nodes.filter((n) => n.adversary),
    honestNodes = nodes.filter((n) => !n.adversary),
    liars = adversaries.filter((n) => n.firstLie >= 0);
  const toFlag = liars
    .map((n) => (n.flaggedAfterLie < 0 ? Number.POSITIVE_INFINITY : n.flaggedAfterLie - n.firstLie))
    .sort((a, b) => a - b);
  const trustedWeight = (xs: SimNode[]) =>
    xs.filter((n) => isTrusted(n.rep, o.reputation)).reduce((s, n) => s + lowerBound(n.rep, o.reputation), 0);
  const advWeight = trustedWeight(adversaries),
    allWeight = trustedWeight(nodes);
  return {
    strategy: o.sybils ? `${o.strategy.name} + ${o.sybils.count} sybils (${o.sybils.strategy.name})` : o.strategy.name,
    adversaries: adversaries.length - (o.sybils?.count ?? 0),
    sybils: o.sybils?.count ?? 0,
    nodes: nodes.length,
    jobs: o.jobs,
    badJobs,
    acceptedBad,
    acceptedBadRate: acceptedBad / Math.max(1, badJobs),
    acceptedBadUpper95: acceptedBad < badJobs ? betaQuantile(0.95, acceptedBad + 1, badJobs - acceptedBad) : 1,
    falseRejectionRate: rejectedGood / Math.max(1, goodJobs),
    inconclusiveRate: inconclusive / o.jobs,
    evaluationsPerJob: evaluations / o.jobs,
    lied: liars.length,
    liarsFlagged: liars.length ? liars.filter((n) => n.flaggedAfterLie >= 0).length / liars.length : 1,
    medianJobsToFlag: toFlag.length ? toFlag[Math.floor((toFlag.length - 1) / 2)] : 0,
    lies,
    liesFlagged: lies ? liesFlagged / lies : 1,
    honestEverFlagged: honestNodes.filter((n) => n.flags > 0).length / honestNodes.length,
    adversaryWeightAtEnd: allWeight > 0 ? advWeight / allWeight : 0,
  } satisfies SimulationResult;
}
