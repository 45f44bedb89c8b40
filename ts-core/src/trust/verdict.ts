/**
 * Closing a job once its quorum has voted: weigh the votes (reputation, capability, kind), run consensus
 * (consensus.ts), widen the quorum on any disagreement, and otherwise record the verdict, grade every voter's
 * reputation, and issue the signed certificate, all in one transaction with the log events that explain them.
 */
import type { AuditLog } from './audit-log.js';
import type { EngineEvent } from './events.js';
import type { CertificateBody } from './certificate.js';
import {
  decide,
  deviates,
  unreproducedClaims,
  widenedQuorum,
  DEFAULT_CONSENSUS,
  type ConsensusOptions,
} from './consensus.js';
import { type Identity, signHex } from './crypto.js';
import { RECHECK_DEFAULTS, type RecheckOptions, recheckDraw, recheckMessage, shouldRecheck } from './recheck.js';
import { isTrusted, updateReputation, voteWeight, type ReputationOptions } from './reputation.js';
import {
  isProvisional,
  nextStreak,
  type ReplicationOptions,
  REPLICATION_DEFAULTS,
  soloRecheck,
} from './replication.js';
import { METRICS } from './sampling.js';
import { issueCertificate } from './signing.js';
import type { EngineStore, SeatRole } from './store.js';
import type { MetricName, Vote } from './types.js';

export interface VerdictOptions {
  consensus?: Partial<ConsensusOptions>;
  reputation: ReputationOptions;
  /** Rechecks of accepted jobs (recheck.ts); default RECHECK_DEFAULTS. */
  recheck?: RecheckOptions;
  /** A node's operator (SchedulerOptions.operatorOf): a quorum seats one node per operator. */
  operatorOf?: (key: string) => string;
  /** Adaptive replication (replication.ts); default REPLICATION_DEFAULTS (full quorums). */
  replication?: ReplicationOptions;
  log?: (line: string) => void;
}

export class Verdicts {
  constructor(
    private store: EngineStore,
    private log: AuditLog<EngineEvent>,
    private identity: Identity,
    private o: VerdictOptions,
    /** Keys of the nodes connected now (a widened quorum never waits for more votes than they can cast). */
    private connected: () => Iterable<string>,
  ) {}

  /** Grades a spot-check vote against the consensus medians (inside the caller's transaction). */
  gradeSpot(jobId: string, vote: Vote, medians: Record<MetricName, number>) {
    const o = {
      ...DEFAULT_CONSENSUS,
      ...this.o.consensus,
      absTolerance: { ...DEFAULT_CONSENSUS.absTolerance, ...this.o.consensus?.absTolerance },
    };
    const bad = METRICS.some((k) => deviates(vote.means[k], medians[k], k, o));
    this.setReputation(vote.nodeKey, bad ? 'flagged' : 'agree', jobId, 'spot');
  }

  /** Verdicts each node agreed with since its last flag (replication.ts), read from the log once, then counted. */
  private streaks = new Map<string, number>();
  streak(node: string): number {
    const known = this.streaks.get(node);
    if (known !== undefined) return known;
    const s = this.store.streak(node);
    this.streaks.set(node, s);
    return s;
  }

  /** Verdicts since the last that flagged a node (recheck.ts alert); read from the audit log once, then counted. */
  private sinceFlag: number | undefined;
  private jobsSinceFlag(): number {
    this.sinceFlag ??= this.store.verdictsSinceFlag();
    return this.sinceFlag;
  }

  private setReputation(node: string, outcome: 'agree' | 'flagged', jobId: string, role: SeatRole) {
    const r = updateReputation(this.store.node(node), outcome, this.o.reputation);
    this.store.setReputation(node, r.alpha, r.beta);
    this.log.append({ type: 'reputation', node, jobId, role, outcome, alpha: r.alpha, beta: r.beta });
    this.streaks.set(node, nextStreak(this.streak(node), outcome));
    if (outcome === 'flagged') this.auditProvisional(node);
  }

  /**
   * A flagged node's provisional verdicts are audited (replication.ts), inside the caller's transaction: each job
   * runs again with that node's vote set aside and room for a full quorum besides, keeping its other votes, so the
   * scheduler fills it and any disagreement widens it as for any job.
   */
  private auditProvisional(node: string) {
    for (const jobId of this.store.unauditedProvisionalJobs(node)) {
      const job = this.store.job(jobId)!;
      this.log.append({ type: 'job.audit', jobId, node });
      const setAside = this.store.auditOf(jobId)!.nodes.length;
      this.store.reopenJob(jobId, job.spec.quorum + setAside);
      this.o.log?.(`job ${jobId}: provisional verdict audited (node ${node.slice(0, 8)} was flagged)`);
    }
  }

  finalize(jobId: string) {
    const job = this.store.job(jobId);
    if (job?.state !== 'running') return;
    const spec = job.spec;
    // An audited job (replication.ts) sets aside the flagged voters' votes, which its quorum counts as seats.
    const audit = this.store.auditOf(jobId);
    const setAside = new Set(audit?.nodes ?? []);
    const current = job.quorum - setAside.size;
    const voteRows = this.store.votes(jobId);
    const quorumRows = voteRows.filter((r) => r.role === 'quorum' && !setAside.has(r.node));
    const votes = quorumRows.map((r) => r.vote);
    const weights = new Map<string, number>();
    for (const v of votes) {
      const row = this.store.node(v.nodeKey);
      weights.set(
        v.nodeKey,
        voteWeight(row, row.capability, (JSON.parse(row.kinds) as string[]).includes(spec.kind), this.o.reputation),
      );
    }
    const result = decide(votes, weights, spec.thresholds, { ...this.o.consensus, confidence: spec.confidence });
    // Any disagreement widens the quorum (by two, up to widenCap, never past the trusted nodes that could still vote,
    // so a widened job cannot wait for votes nobody can cast) before anyone is judged: a small quorum may be held by
    // colluding liars, and flagging the honest minority against their median is how honest nodes got flagged.
    // Seats that could still be filled: trusted connected nodes not seated yet, one per operator not seated yet.
    const seated = new Set(this.store.assignments(jobId).map((r) => r.node));
    const operator = this.o.operatorOf ?? ((k: string) => k);
    const seatedOperators = new Set(votes.map((v) => operator(v.nodeKey)));
    const eligible =
      votes.length +
      new Set(
        [...this.connected()]
          .filter(
            (k) =>
              !seated.has(k) &&
              k !== spec.producer &&
              !seatedOperators.has(operator(k)) &&
              isTrusted(this.store.node(k), this.o.reputation),
          )
          .map(operator),
      ).size;
    const widened = widenedQuorum(result, current, spec.quorum, eligible);
    if (widened > current) {
      this.store.setQuorum(jobId, widened + setAside.size);
      this.o.log?.(
        `job ${jobId}: ${result.contested ? `contested (${result.reason})` : `${result.dissenting.length} dissenting vote(s)`}; widening the quorum to ${widened}`,
      );
      return;
    }
    // An accepted job whose first quorum agreed may be rechecked by two more voters first (recheck.ts), and a solo
    // verdict, whatever it is, at the rate its confidence sets (replication.ts).
    const recheck = this.o.recheck ?? RECHECK_DEFAULTS;
    // A job that began alone is rechecked once, at the solo rate; an audit, never (it is the full quorum).
    const solo = !audit && job.quorum === 1 && spec.quorum > 1;
    const firstFullQuorum = () => !audit && job.quorum === spec.quorum && !this.store.soloOf(jobId);
    if ((result.verdict === 'accepted' && firstFullQuorum()) || solo) {
      const draw = recheckDraw(signHex(this.identity, recheckMessage(jobId)));
      const seats = Math.min(job.quorum + recheck.seats, eligible);
      const at = { profile: spec.profile, draw, jobsSinceFlag: this.jobsSinceFlag() };
      const replication = this.o.replication ?? REPLICATION_DEFAULTS;
      if (
        (solo
          ? soloRecheck(recheck, replication, { ...at, confidence: spec.confidence })
          : shouldRecheck(recheck, at)) &&
        seats > job.quorum
      ) {
        this.store.setQuorum(jobId, seats);
        this.o.log?.(
          `job ${jobId}: ${solo ? `${result.verdict} by one node alone` : 'accepted by its quorum'}; rechecked by ${seats - job.quorum} more (draw ${draw.toFixed(4)})`,
        );
        return;
      }
    }
    const provisional = isProvisional(votes.length, spec.quorum);
    let verdict: 'accepted' | 'rejected' = result.verdict === 'accepted' ? 'accepted' : 'rejected';
    let reason = result.reason;
    const unreproduced = unreproducedClaims(spec.claimedMetrics, result.medians, this.o.consensus);
    if (verdict === 'accepted' && unreproduced.length) {
      verdict = 'rejected';
      reason = `claimed ${unreproduced.join(', ')} not reproduced by the verifiers`;
    }
    const certBody: CertificateBody = {
      version: 1,
      engineKey: this.identity.publicKey,
      job: {
        id: jobId,
        sceneHash: spec.referenceHash,
        artifactHash: spec.artifactHash,
        kind: spec.kind,
        profile: spec.profile,
        thresholds: spec.thresholds,
        claimedMetrics: spec.claimedMetrics,
        complexity: spec.complexity,
        confidence: spec.confidence,
        engineNonce: spec.engineNonce,
        seed: spec.seed,
        maxSamples: spec.maxSamples,
        issuedAt: Date.now(),
        ...(spec.render ? { render: spec.render } : {}),
      },
      consensus: { ...this.o.consensus, confidence: spec.confidence },
      metrics: Object.fromEntries(
        METRICS.map((k) => [k, { median: result.medians[k], ...finite(result.intervals[k]) }]),
      ) as CertificateBody['metrics'],
      nodes: votes.map((v) => ({
        key: v.nodeKey,
        weight: weights.get(v.nodeKey)!,
        flagged: result.flagged.includes(v.nodeKey),
        vote: v,
      })),
      verdict,
      reason,
      ...(provisional ? { provisional: true as const } : {}),
      ...(job.cert ? { supersedes: (JSON.parse(job.cert) as { log: { index: number } }).log.index } : {}),
    };
    const previous = audit ? job.result?.verdict : undefined;
    const revoked = previous !== undefined && previous !== verdict;
    this.store.tx(() => {
      if (!result.contested) {
        // Votes cast before an audit were graded with the provisional verdict: only a flag is news for them.
        for (const r of quorumRows) {
          const flagged = result.flagged.includes(r.node);
          if (flagged || !audit || r.logIndex > audit.since)
            this.setReputation(r.node, flagged ? 'flagged' : 'agree', jobId, 'quorum');
        }
        for (const r of voteRows.filter((r) => r.role === 'spot')) this.gradeSpot(jobId, r.vote, result.medians);
      }
      this.log.append({ type: 'verdict', jobId, verdict, reason, medians: result.medians, flagged: result.flagged });
      this.sinceFlag = result.flagged.length ? 0 : this.jobsSinceFlag() + 1;
      const cert = issueCertificate(this.log, this.identity, certBody);
      this.store.finishJob(
        jobId,
        {
          verdict,
          reason,
          medians: result.medians,
          flagged: result.flagged,
          contested: result.contested,
          ...(provisional ? { provisional } : {}),
          ...(audit && previous ? { audit: { setAside: audit.nodes, previous, revoked } } : {}),
        },
        JSON.stringify(cert),
      );
      if (revoked && previous) {
        const why = `audited without the vote(s) of ${audit!.nodes.map((k) => k.slice(0, 12)).join(', ')}: ${verdict}`;
        this.log.append({ type: 'job.revoked', jobId, previous, verdict, reason: why });
      }
    });
    this.o.log?.(
      `job ${jobId}: ${verdict} (${reason})${result.flagged.length ? `; flagged ${result.flagged.map((k) => k.slice(0, 8)).join(', ')}` : ''}`,
    );
  }
}

/** Intervals from fewer than two samples are unbounded; certificates carry JSON numbers, so those become nulls-free ±1e308. */
function finite(i: { mean: number; lo: number; hi: number; n: number }) {
  const f = (x: number) => (Number.isFinite(x) ? x : x > 0 ? 1e308 : -1e308);
  return { mean: f(i.mean), lo: f(i.lo), hi: f(i.hi), n: i.n };
}
