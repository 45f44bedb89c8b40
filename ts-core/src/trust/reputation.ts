/**
 * Beta reputation with forgetting. Each job a node agrees with the consensus is a success, each flag a failure:
 * α ← λ·α + s, β ← λ_f·β + f, so old behaviour fades and a reformed node can recover. Flags fade more slowly than
 * agreement (λ_f > λ: asymmetric forgetting, as in trust models that forgive slowly), so a node that lies now and
 * then, or a sleeper that woke, keeps its flags in view for longer than its honest jobs between them. The weight
 * uses the lower credible bound of Beta(α, β), not its mean, so a node with little history cannot outweigh a
 * proven one.
 * A node whose lower bound is under `trustFloor` is left out of quorums and only sees spot-check jobs. Pure.
 */
import { betaQuantile } from './stats.js';

export interface Reputation {
  alpha: number;
  beta: number;
}

export interface ReputationOptions {
  /** Forgetting factor λ of α (agreement) applied before each update: half-life ln 0.5 / ln λ jobs. */
  forgetting: number;
  /**
   * Forgetting factor λ_f of β (flags), at least λ: a flag's half-life is ln 0.5 / ln λ_f jobs (69 at 0.99,
   * against 23 for agreement at 0.97). Measured in `npm run bench:trust -- --sim-only` (2026-12-05): liars that
   * lie on 20% of their jobs keep 0–5% of the weight at the end instead of 7–25%, and cost 7.8–9.1 evaluations per
   * job instead of 7.7–10.9; at 0.995 they keep none, but adaptive replication let sleepers through (5 of 1,016 at
   * a share of 0.325) and spent 1.94 evaluations per honest job, against 1.83 at 0.99 and 1.67 at 0.97.
   */
  flagForgetting: number;
  /** Lower credible bound quantile (0.05 → the 5% quantile). */
  credibleQuantile: number;
  /** Below this lower bound a node is untrusted. */
  trustFloor: number;
  /** Prior for a new node: optimistic enough to be trusted, weak enough that two flags make it untrusted. */
  prior: Reputation;
}

export const DEFAULT_REPUTATION: ReputationOptions = {
  forgetting: 0.97,
  flagForgetting: 0.99,
  credibleQuantile: 0.05,
  trustFloor: 0.5,
  prior: { alpha: 12, beta: 1 },
};

export function updateReputation(
  r: Reputation,
  outcome: 'agree' | 'flagged',
  o: ReputationOptions = DEFAULT_REPUTATION,
): Reputation {
  const s = outcome === 'agree' ? 1 : 0;
  return { alpha: o.forgetting * r.alpha + s, beta: o.flagForgetting * r.beta + (1 - s) };
}

export function lowerBound(r: Reputation, o: ReputationOptions = DEFAULT_REPUTATION): number {
  return betaQuantile(o.credibleQuantile, r.alpha, r.beta);
}

export function isTrusted(r: Reputation, o: ReputationOptions = DEFAULT_REPUTATION): boolean {
  return lowerBound(r, o) >= o.trustFloor;
}

/**
 * Voting weight = reputation lower bound × compute capability × specialization. Capability is self-reported and
 * therefore clamped to [0.25, 1] so a node cannot buy weight by boasting; specialization is 1 for a node that
 * declares the artifact kind and 0.5 otherwise.
 */
export function voteWeight(
  r: Reputation,
  capability: number,
  specialized: boolean,
  o: ReputationOptions = DEFAULT_REPUTATION,
): number {
  const cap = Math.min(1, Math.max(0.25, Number.isFinite(capability) ? capability : 0.25));
  return lowerBound(r, o) * cap * (specialized ? 1 : 0.5);
}
