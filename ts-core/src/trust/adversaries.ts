/**
 * How verifier nodes behave in the Trust Engine's simulation (simulation.ts): each strategy decides, job by job,
 * whether its node reports the truth or the lie that serves the attacker (a bad result reported good, so it is
 * accepted; a good result reported bad, so honest work is rejected). What a strategy may know is what a real
 * attacker on an open network knows: its own history, the job's visible value, and, for colluders, which of the
 * job's quorum are its own. Pure.
 */
import type { Rng } from '../util/rng.js';

/** A job as a verifier node sees it. */
export interface SimJob {
  index: number;
  /** A large scene or a QUALITY profile: worth more to an attacker (and to a re-check). */
  highValue: boolean;
}

/** What a strategy knows when it decides. */
export interface StrategyContext {
  job: SimJob;
  /** Jobs this node has voted or spot-checked on so far. */
  served: number;
  /** The job's voters so far, including this node; `colluding` marks those of the same attacker. */
  quorum: readonly { colluding: boolean; weight: number }[];
  /** A non-voting spot-check seat (an untrusted node earning its way back): a lie there wins nothing. */
  spot: boolean;
  rng: Rng;
}

export interface Strategy {
  /** Shown in tables: "sleeper(100)", "colluder(≥2/3)". */
  name: string;
  /** Whether the node lies on this job. */
  lies(ctx: StrategyContext): boolean;
}

export const honest: Strategy = { name: 'honest', lies: () => false };

/** Today's liar: lies on every job from its first. */
export const alwaysLies: Strategy = { name: 'always', lies: () => true };

/** Builds reputation honestly for `after` jobs, then lies on every job. */
export function sleeper(after: number): Strategy {
  return { name: `sleeper(${after})`, lies: (c) => c.served >= after };
}

/** Lies on a random fraction `rate` of jobs: under the flagging rate, it hopes. */
export function intermittent(rate: number): Strategy {
  return { name: `intermittent(${rate})`, lies: (c) => c.rng.next() < rate };
}

/**
 * Lies only when the attacker's nodes hold at least `share` of the quorum's weight so far: 2/3 to carry the vote
 * (the consensus' supermajority), 1/3 to deny one (force "inconclusive"). Otherwise it votes honestly and keeps
 * its reputation.
 */
export function colluder(share: number): Strategy {
  const label = share >= 0.6 ? '≥2/3' : '≥1/3';
  return {
    name: `colluder(${label})`,
    lies: (c) => {
      if (c.spot) return false;
      const total = c.quorum.reduce((s, q) => s + q.weight, 0);
      const ours = c.quorum.reduce((s, q) => s + (q.colluding ? q.weight : 0), 0);
      return total > 0 && ours >= share * total - 1e-12;
    },
  };
}

/** Lies only on high-value jobs. */
export const targeted: Strategy = { name: 'targeted', lies: (c) => c.job.highValue };

/** Lies only when both strategies would: a sleeper that, once trusted, lies only when its colluders can win. */
export function both(a: Strategy, b: Strategy): Strategy {
  return { name: `${a.name} & ${b.name}`, lies: (c) => a.lies(c) && b.lies(c) };
}
