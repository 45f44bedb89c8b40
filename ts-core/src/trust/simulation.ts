/**
 * The Trust Engine's policy (consensus.ts, reputation.ts, the scheduler's seats) run against adversaries
 * (adversaries.ts) over thousands of simulated jobs, without renders: each vote is the job's true metrics with an
 * honest node's jitter, or the attacker's lie. What `npm run bench:trust` reports, and what tests hold the policy to.
 *
 * Per job, as the engine does: a quorum of k trusted nodes in random order (the scheduler's least-loaded-first
 * order, whose ties are random, is random order for nodes of equal load); a quorum whose votes disagree is widened
 * by two up to 4k + 1 (consensus.ts widenedQuorum); an accepted job its first quorum agreed on is rechecked by two
 * more voters on a random share of jobs and on every high-value one (recheck.ts); one untrusted node takes a non-voting spot
 * check, judged against the consensus medians; reputations move only on an uncontested result. Under adaptive
 * replication (replication.ts, the engine's decision code), a job whose first drawn node is long-trusted goes to it
 * alone, and a flag audits the flagged node's provisional verdicts with a full quorum. Deterministic for a given
 * seed. Pure.
 */
import type { SimJob, Strategy } from './adversaries.js';
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
import {
  isProvisional,
  nextStreak,
  type ReplicationOptions,
  replicationOptions,
  soloRecheck,
  verifiesAlone,
} from './replication.js';
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
  /** Replication (replication.ts): `full` by default; `adaptive` lets long-trusted nodes verify alone. */
  replication: ReplicationOptions;
  /** The confidence each job is submitted with (sets the solo recheck rate). */
  confidence: number;
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
  replication: replicationOptions(),
  confidence: 0.95,
  seed: 'trust-sim',
};

export interface SimulationResult {
  strategy: string;
  adversaries: number;
  sybils: number;
  nodes: number;
  jobs: number;
  badJobs: number;
  /** Bad results accepted, at the moment of their verdict. */
  acceptedBad: number;
  acceptedBadRate: number;
  /** One-sided 95% upper bound on the rate of accepting a bad result (Clopper–Pearson). */
  acceptedBadUpper95: number;
  /** Of those, still accepted at the end: not revoked by an audit (replication.ts). */
  acceptedBadStanding: number;
  acceptedBadStandingUpper95: number;
  /** Good results rejected, at the moment of their verdict and still at the end. */
  falseRejectionRate: number;
  falseRejectionStandingRate: number;
  /** Verdicts reached by one node alone (adaptive replication), and audits run after flags. */
  soloJobs: number;
  audits: number;
  revoked: number;
  inconclusiveRate: number;
  /** Votes, spot checks and audit votes per job, over all jobs and over the second half (the steady state). */
  evaluationsPerJob: number;
  evaluationsPerJobSteady: number;
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
  /** Verdicts agreed with since the last flag (replication.ts). */
  streak: number;
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
    streak: 0,
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
  /** A verdict reached by fewer votes than the full quorum, kept for audits (replication.ts). */
  interface Provisional {
    job: SimJob;
    isGood: boolean;
    accepted: boolean;
    votes: Vote[];
    voters: SimNode[];
    lied: Set<string>;
    audited: boolean;
  }
  const provisional: Provisional[] = [];
  const flaggedNow: SimNode[] = [];
  const perJob: number[] = [];
  let solos = 0,
    audits = 0,
    revoked = 0,
    // What audits changed: bad results no longer (−) or newly (+) accepted, good ones newly (+) or no longer rejected.
    acceptedBadChange = 0,
    rejectedGoodChange = 0;
  const repOptions = o.reputation;
  /**
   * One verification of a job: the trusted nodes in random order (one per operator, `without` left out), a solo
   * seat or a full quorum, widened while the votes disagree, then the recheck when `recheck` holds a draw. An audit
   * passes the votes already cast (`cast`): the quorum is filled up to its full size around them.
   */
  const verify = (
    job: SimJob,
    isGood: boolean,
    lied: Set<string>,
    how: {
      without?: SimNode;
      spot: boolean;
      recheck: boolean;
      jobsSinceFlag?: number;
      cast?: { voters: SimNode[]; votes: Vote[] };
    },
  ) => {
    const truth = isGood ? TRUTH.good : TRUTH.bad;
    const lie = isGood ? LIE.aboutGood : LIE.aboutBad;
    const operators = new Set<string>();
    const before = how.cast?.voters ?? [];
    for (const n of before) operators.add(n.operator);
    const order = [
      ...before,
      ...shuffle(nodes.filter((n) => n !== how.without && !before.includes(n) && isTrusted(n.rep, repOptions))).filter(
        (n) => !operators.has(n.operator) && operators.add(n.operator) !== undefined,
      ),
    ];
    const untrusted = how.spot ? nodes.filter((n) => !isTrusted(n.rep, repOptions)) : [];
    const spot = untrusted.length ? [untrusted[rng.int(untrusted.length)]] : [];
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
      return { jobId: `j${job.index}`, nodeKey: n.key, samples, means: m, pass: passes(m, o.thresholds), sig: '' };
    };
    const solo = how.recheck && order.length > 0 && verifiesAlone(order[0], o.replication, repOptions);
    let quorum = order.slice(0, solo ? 1 : Math.max(o.quorum, before.length));
    const votes = quorum.map((n, i) => how.cast?.votes[i] ?? voteOf(n, quorum));
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
    if (how.recheck) {
      // The engine's recheck (recheck.ts): its draw is one the nodes cannot predict, as this one is.
      const draw = rng.next();
      const profile = job.highValue ? 'quality' : 'balanced';
      const at = { profile, draw, jobsSinceFlag: how.jobsSinceFlag };
      const recheck = solo
        ? quorum.length === 1 && soloRecheck(o.recheck, o.replication, { ...at, confidence: o.confidence })
        : r.verdict === 'accepted' && quorum.length === o.quorum && shouldRecheck(o.recheck, at);
      if (recheck && order.length > quorum.length) {
        seat(Math.min(order.length, quorum.length + o.recheck.seats));
        settle();
      }
    }
    return { r, quorum, votes, spot, solo, voteOf };
  };
  const flag = (n: SimNode, lied: Set<string>) => {
    n.flags++;
    if (n.firstLie >= 0 && n.flaggedAfterLie < 0) n.flaggedAfterLie = n.served;
    if (lied.has(n.key)) liesFlagged++;
    n.streak = nextStreak(n.streak, 'flagged');
    n.rep = updateReputation(n.rep, 'flagged', repOptions);
    flaggedNow.push(n);
  };
  const judge = (n: SimNode, flagged: boolean, lied: Set<string>) => {
    n.served++;
    if (flagged) flag(n, lied);
    else {
      n.streak = nextStreak(n.streak, 'agree');
      n.rep = updateReputation(n.rep, 'agree', repOptions);
    }
  };
  /**
   * Audits every provisional verdict of a node flagged since the last call (replication.ts): the job is reopened
   * without that node's vote, and its quorum filled to full size and widened like any job's, the other votes kept.
   * A verdict it overturns is revoked; a voter it flags (an original one too) has its own provisional verdicts
   * audited in turn. Returns the votes cast.
   */
  const audit = (): number => {
    let cast = 0;
    for (let x = flaggedNow.shift(); x; x = flaggedNow.shift())
      for (const p of provisional) {
        if (p.audited || !p.voters.includes(x)) continue;
        p.audited = true;
        audits++;
        const lied = new Set<string>(p.lied);
        const kept = p.voters.map((n, i) => ({ n, v: p.votes[i] })).filter((e) => e.n !== x);
        const a = verify(p.job, p.isGood, lied, {
          without: x,
          spot: false,
          recheck: false,
          cast: { voters: kept.map((e) => e.n), votes: kept.map((e) => e.v) },
        });
        cast += a.quorum.length - kept.length;
        if (a.r.flagged.length) lastFlag = p.job.index;
        if (a.r.contested) continue;
        // Original voters were graded on their verdict; only a flag is news for them.
        for (const n of a.quorum)
          if (kept.some((e) => e.n === n)) {
            if (a.r.flagged.includes(n.key)) flag(n, lied);
          } else judge(n, a.r.flagged.includes(n.key), lied);
        if ((a.r.verdict === 'accepted') !== p.accepted) {
          // An audit is a full-quorum verdict like any other: it may be wrong too (colluders holding it).
          p.accepted = !p.accepted;
          revoked++;
          if (p.isGood) rejectedGoodChange += p.accepted ? -1 : 1;
          else acceptedBadChange += p.accepted ? 1 : -1;
        }
      }
    return cast;
  };
  for (let j = 0; j < o.jobs; j++) {
    if (o.sybils && j === o.sybils.at)
      for (let i = 0; i < o.sybils.count; i++)
        nodes.push(newNode(`s${i}`, o.sybils.strategy, o.newcomerPrior, o.sybils.oneOperator ? 'sybil' : `s${i}`));
    const isGood = rng.next() >= o.badRate;
    if (isGood) goodJobs++;
    else badJobs++;
    const job = { index: j, highValue: rng.next() < o.highValueRate };
    const lied = new Set<string>();
    const { r, quorum, votes, spot, solo, voteOf } = verify(job, isGood, lied, {
      spot: true,
      recheck: true,
      jobsSinceFlag: j - lastFlag - 1,
    });
    if (solo) solos++;
    let cast = quorum.length + spot.length;
    if (r.verdict === 'inconclusive') inconclusive++;
    const accepted = r.verdict === 'accepted';
    if (!isGood && accepted) acceptedBad++;
    if (isGood && !accepted) rejectedGood++;
    // The engine counts every verdict that names a flagged node, contested or not.
    if (r.flagged.length) lastFlag = j;
    // Reputations do not move on a contested result (it must not be how honest nodes get flagged).
    if (r.contested) {
      for (const n of [...quorum, ...spot]) n.served++;
    } else {
      if (isProvisional(quorum.length, o.quorum))
        provisional.push({ job, isGood, accepted, votes, voters: quorum, lied, audited: false });
      for (const n of quorum) judge(n, r.flagged.includes(n.key), lied);
      for (const n of spot) {
        const v = voteOf(n, [n], true);
        judge(
          n,
          METRICS.some((k) => deviates(v.means[k], r.medians[k], k, DEFAULT_CONSENSUS)),
          lied,
        );
      }
      cast += audit();
    }
    evaluations += cast;
    perJob.push(cast);
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
    acceptedBadUpper95: upper95(acceptedBad, badJobs),
    acceptedBadStanding: acceptedBad + acceptedBadChange,
    acceptedBadStandingUpper95: upper95(acceptedBad + acceptedBadChange, badJobs),
    falseRejectionRate: rejectedGood / Math.max(1, goodJobs),
    falseRejectionStandingRate: (rejectedGood + rejectedGoodChange) / Math.max(1, goodJobs),
    soloJobs: solos,
    audits,
    revoked,
    inconclusiveRate: inconclusive / o.jobs,
    evaluationsPerJob: evaluations / o.jobs,
    evaluationsPerJobSteady: perJob.slice(o.jobs >> 1).reduce((a, b) => a + b, 0) / Math.max(1, o.jobs - (o.jobs >> 1)),
    lied: liars.length,
    liarsFlagged: liars.length ? liars.filter((n) => n.flaggedAfterLie >= 0).length / liars.length : 1,
    medianJobsToFlag: toFlag.length ? toFlag[Math.floor((toFlag.length - 1) / 2)] : 0,
    lies,
    liesFlagged: lies ? liesFlagged / lies : 1,
    honestEverFlagged: honestNodes.filter((n) => n.flags > 0).length / honestNodes.length,
    adversaryWeightAtEnd: allWeight > 0 ? advWeight / allWeight : 0,
  } satisfies SimulationResult;
}

/** One-sided 95% upper bound on a rate of k in n (Clopper–Pearson). */
function upper95(k: number, n: number): number {
  return k < n ? betaQuantile(0.95, k + 1, n - k) : 1;
}
