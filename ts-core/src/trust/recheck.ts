/**
 * Rechecks: an accepted job whose quorum agreed at once gets two more seats before its certificate is issued, on a
 * random share of jobs and on every high-value one. A quorum that happens to be all colluders has nobody to
 * dissent (at a third of 40 nodes, C(13,5)/C(40,5) = 0.2% of quorums of 5), and targeted liars lie only where the
 * stakes are high; two fresh voters who disagree make the votes disagree, and the quorum widens (consensus.ts
 * widenedQuorum) until the liars are a minority that gets flagged.
 *
 * The draw must be one no node can predict, or colluders would lie only where no recheck follows, and one anyone
 * can check afterwards: it comes from the engine's Ed25519 signature of the job id (deterministic, unforgeable, and
 * checkable with the engine's public key), as a verifiable random function would give it. Pure.
 */
export interface RecheckOptions {
  /** Share of the other accepted jobs rechecked. */
  rate: number;
  /** Profiles whose jobs are always rechecked (their results are worth the most). */
  highValueProfiles: readonly string[];
  /** Seats a recheck adds. */
  seats: number;
}

export const RECHECK_DEFAULTS: RecheckOptions = { rate: 0.1, highValueProfiles: ['quality'], seats: 2 };

/** The message the engine signs for a job's recheck draw. */
export function recheckMessage(jobId: string): Uint8Array {
  return new TextEncoder().encode(`ote-recheck:${jobId}`);
}

/** A draw in [0, 1) from a signature's bytes (hex): its first 48 bits, uniform for a signature. */
export function recheckDraw(signatureHex: string): number {
  return Number.parseInt(signatureHex.slice(0, 12), 16) / 2 ** 48;
}

/** Whether an accepted job that was never widened is rechecked. */
export function shouldRecheck(o: RecheckOptions, job: { profile: string; draw: number }): boolean {
  return o.highValueProfiles.includes(job.profile.toLowerCase()) || job.draw < o.rate;
}
