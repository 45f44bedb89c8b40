/**
 * Rechecks: an accepted job whose quorum agreed at once gets two more seats before its certificate is issued, on a
 * random share of jobs and on every high-value one. A quorum that happens to be all colluders has nobody to
 * dissent (at a third of 40 nodes, C(13,5)/C(40,5) = 0.2% of quorums of 5), and targeted liars lie only where the
 * stakes are high; two fresh voters who disagree make the votes disagree, and the quorum widens (consensus.ts
 * widenedQuorum) until the liars are a minority that gets flagged.
 *
 * The draw must be one no node can predict, or colluders would lie only where no recheck follows, and one anyone
 * can check afterwards: it comes from the engine's Ed25519 signature of the job id (deterministic, unforgeable, and
 * checkable with the engine's public key), as a verifiable random function would give it.
 *
 * After a flag the rate rises (`alert`): a caught lie says liars are in the pool, and a liar that lies where it
 * is outvoted will also lie where its ring holds the whole quorum, which only a recheck can catch. Every accepted
 * job is rechecked until `alert.jobs` verdicts in a row pass without a flag. It costs evaluations only while there
 * is evidence of an attack (or an honest node's rare false flag). Pure.
 */
export interface RecheckOptions {
  /** Share of the other accepted jobs rechecked. */
  rate: number;
  /** Profiles whose jobs are always rechecked (their results are worth the most). */
  highValueProfiles: readonly string[];
  /** Seats a recheck adds. */
  seats: number;
  /** After a verdict that flagged a node, `rate` becomes `alert.rate` for the next `alert.jobs` verdicts. */
  alert?: { jobs: number; rate: number };
}

export const RECHECK_DEFAULTS: RecheckOptions = {
  rate: 0.1,
  highValueProfiles: ['quality'],
  seats: 2,
  alert: { jobs: 200, rate: 1 },
};

/** The share of accepted jobs rechecked, `jobsSinceFlag` verdicts after the last one that flagged a node. */
export function recheckRate(o: RecheckOptions, jobsSinceFlag: number): number {
  return o.alert && jobsSinceFlag < o.alert.jobs ? Math.max(o.rate, o.alert.rate) : o.rate;
}

/** The message the engine signs for a job's recheck draw. */
export function recheckMessage(jobId: string): Uint8Array {
  return new TextEncoder().encode(`ote-recheck:${jobId}`);
}

/** A draw in [0, 1) from a signature's bytes (hex): its first 48 bits, uniform for a signature. */
export function recheckDraw(signatureHex: string): number {
  return Number.parseInt(signatureHex.slice(0, 12), 16) / 2 ** 48;
}

/**
 * Whether an accepted job that was never widened is rechecked; `jobsSinceFlag` (verdicts since the last that flagged
 * a node; absent: none ever did) raises the rate on alert.
 */
export function shouldRecheck(
  o: RecheckOptions,
  job: { profile: string; draw: number; jobsSinceFlag?: number },
): boolean {
  return (
    o.highValueProfiles.includes(job.profile.toLowerCase()) ||
    job.draw < recheckRate(o, job.jobsSinceFlag ?? Number.POSITIVE_INFINITY)
  );
}
