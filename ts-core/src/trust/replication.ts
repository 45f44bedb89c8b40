/**
 * Adaptive replication, after BOINC's: a job whose first drawn node is long-trusted is verified by that node alone,
 * and two more nodes recheck it on a random share of jobs set by the job's confidence, on every high-value job and
 * on every job during a recheck alert (recheck.ts). Where the votes disagree the quorum widens as for any job.
 *
 * What it gives up is the moment of detection, not the outcome. A verdict reached by fewer votes than the full
 * quorum is provisional: when any of its voters is flagged later, on any job, the job is audited, verified again by
 * a full quorum without that node. A verdict the audit overturns is revoked (the audit log says so), and the
 * original voters who disagree with the audit's medians are flagged, which audits their own provisional jobs in
 * turn. A liar that lies on its solo jobs is caught by a recheck within about 1/rate lies, and each lie it told
 * alone is then undone. What stands at any moment are the lies of liars not yet caught: bench:trust reports both
 * the bad results ever accepted and those still standing.
 *
 * Against colluders who behave until they hold every seat, no smaller quorum can be safe at the moment of the
 * verdict (README, "Known gaps": a share s^k of k-seat jobs has no honest seat). Adaptive replication is therefore
 * the engine's option, not its default: for pools of accountable nodes, where a revoked certificate has a price.
 * Pure: the simulation and the engine call these functions.
 */
import { isTrusted, type Reputation, type ReputationOptions } from './reputation.js';
import { type RecheckOptions, shouldRecheck } from './recheck.js';

export interface ReplicationOptions {
  /** `full`: every job gets its full quorum (the default). `adaptive`: long-trusted nodes verify alone. */
  mode: 'full' | 'adaptive';
  /**
   * Verdicts a node must have agreed with since its last flag (or since it joined) before it verifies alone. A
   * flag resets the count, so a caught node earns it again before its next solo job.
   */
  soloAfter: number;
  /**
   * The solo recheck rate: a node that lies on every job it verifies alone is caught within this many lies with
   * the job's confidence (when its rechecking nodes are honest): rate = 1 − (1 − confidence)^(1 / catchWithin).
   * 30 gives 0.074 at confidence 0.9, 0.095 at 0.95 and 0.142 at 0.99.
   */
  catchWithin: number;
}

export const REPLICATION_DEFAULTS: ReplicationOptions = { mode: 'full', soloAfter: 20, catchWithin: 30 };

/** A replication option set completed with the defaults, checked: a wrong value names its field. */
export function replicationOptions(o: Partial<ReplicationOptions> = {}): ReplicationOptions {
  const r = { ...REPLICATION_DEFAULTS, ...o };
  if (r.mode !== 'full' && r.mode !== 'adaptive')
    throw new Error(`replication.mode: "${String(r.mode)}" is neither "full" nor "adaptive"`);
  if (!(Number.isInteger(r.soloAfter) && r.soloAfter >= 0))
    throw new Error(`replication.soloAfter: ${r.soloAfter} is not a whole number of verdicts`);
  if (!(r.catchWithin >= 1)) throw new Error(`replication.catchWithin: ${r.catchWithin} must be at least 1`);
  return r;
}

/** The share of solo jobs rechecked at `confidence` (see catchWithin). */
export function soloRecheckRate(confidence: number, o: ReplicationOptions): number {
  const c = Math.min(0.999999, Math.max(0, confidence));
  return 1 - (1 - c) ** (1 / o.catchWithin);
}

/** What the engine and the simulation know of a node when they decide whether it may verify alone. */
export interface SoloCandidate {
  rep: Reputation;
  /** Verdicts agreed with since the node's last flag (or since it joined). */
  streak: number;
}

/** Whether a job's first drawn node verifies it alone. */
export function verifiesAlone(n: SoloCandidate, o: ReplicationOptions, reputation: ReputationOptions): boolean {
  return o.mode === 'adaptive' && n.streak >= o.soloAfter && isTrusted(n.rep, reputation);
}

/** A node's streak after one more graded verdict. */
export function nextStreak(streak: number, outcome: 'agree' | 'flagged'): number {
  return outcome === 'agree' ? streak + 1 : 0;
}

/**
 * Whether a solo verdict gets its recheck seats: every high-value job, every job during an alert, and a share
 * `soloRecheckRate` of the others, drawn as recheck.ts draws.
 */
export function soloRecheck(
  recheck: RecheckOptions,
  o: ReplicationOptions,
  job: { profile: string; confidence: number; draw: number; jobsSinceFlag?: number },
): boolean {
  return shouldRecheck({ ...recheck, rate: soloRecheckRate(job.confidence, o) }, job);
}

/** A verdict reached by fewer votes than the job's full quorum is provisional: audited if a voter is flagged later. */
export function isProvisional(votes: number, fullQuorum: number): boolean {
  return votes < fullQuorum;
}
