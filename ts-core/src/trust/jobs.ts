/**
 * A job's life on the engine: submission (the seed is fixed here, after both blobs are committed, from their
 * hashes and a nonce the producer never sees first), votes (checked, logged and stored with their assignment),
 * node errors (the seat reopens for another node) and status. Every state change commits with its log event.
 */
import type { AuditLog } from './audit-log.js';
import type { EngineEvent } from './events.js';
import type { BlobStore } from './blob-store.js';
import { voteSigningBytes } from './certificate.js';
import { ed25519Verify, randomHex } from './crypto.js';
import type { RequestBody } from './messages.js';
import { ProtocolError } from './protocol.js';
import type { JobStatus } from './replies.js';
import { deriveSeed, METRICS, MIN_SAMPLES, sampleSize } from './sampling.js';
import type { EngineStore, JobSpec } from './store.js';
import { DEFAULT_RENDER, type Vote } from './types.js';
import type { Verdicts } from './verdict.js';

export class Jobs {
  constructor(
    private store: EngineStore,
    private log: AuditLog<EngineEvent>,
    private blobs: BlobStore,
    private verdicts: Verdicts,
    private o: { quorum: number; log?: (line: string) => void },
  ) {}

  /** Stores a job submitted with `apiKey`; returns its id. Both blobs must be committed. */
  submit(b: RequestBody<'job.submit'>, apiKey: string): string {
    for (const [field, h] of [
      ['referenceHash', b.referenceHash],
      ['artifactHash', b.artifactHash],
    ] as const)
      if (!this.blobs.has(h))
        throw new ProtocolError(
          'NOT_FOUND',
          `job.submit.${field}: blob ${h.slice(0, 12)}… is not committed; upload it first`,
        );
    const complexity = b.complexity ?? 0.5,
      confidence = b.confidence ?? 0.95;
    const engineNonce = randomHex(32);
    const spec: JobSpec = {
      referenceHash: b.referenceHash,
      artifactHash: b.artifactHash,
      kind: b.kind,
      profile: b.profile ?? 'default',
      thresholds: b.thresholds,
      claimedMetrics: b.claimedMetrics ?? {},
      complexity,
      confidence,
      producer: b.producer,
      engineNonce,
      seed: deriveSeed(b.referenceHash, b.artifactHash, engineNonce),
      maxSamples: sampleSize(complexity, confidence),
      quorum: b.quorum ?? this.o.quorum,
      issuedAt: Date.now(),
      render: b.render ?? DEFAULT_RENDER,
    };
    const id = randomHex(16);
    this.store.tx(() => {
      const idx = this.log.append({
        type: 'job.submitted',
        jobId: id,
        apiKey,
        spec: { ...spec, engineNonce: undefined, seed: undefined },
      });
      this.log.append({ type: 'job.seed', jobId: id, engineNonce, seed: spec.seed, maxSamples: spec.maxSamples });
      this.store.insertJob(id, spec, Date.now(), idx);
    });
    this.o.log?.(`job ${id} submitted (${spec.maxSamples} samples max, quorum ${spec.quorum})`);
    return id;
  }

  status(id: string): JobStatus {
    const j = this.store.job(id);
    if (!j) throw new ProtocolError('NOT_FOUND', `job.get.jobId: no job ${id}`);
    return {
      state: j.state,
      votes: this.store.quorumVotes(id),
      assignments: this.store.assignments(id),
      result: j.result,
      certificate: j.cert ? JSON.parse(j.cert) : null,
      ...(j.failure ? { failure: j.failure } : {}),
    };
  }

  /** Accepts a vote from the node `nodeKey` on its open assignment; throws ProtocolError naming what is wrong. */
  acceptVote(nodeKey: string, vote: Vote) {
    if (vote.nodeKey !== nodeKey)
      throw new ProtocolError('FORBIDDEN', "node.vote.vote.nodeKey: not this connection's node");
    const a = this.store.assignment(vote.jobId, nodeKey);
    if (a?.state !== 'assigned')
      throw new ProtocolError('CONFLICT', `node.vote.vote.jobId: no open assignment of ${vote.jobId} for this node`);
    const { sig, ...unsigned } = vote;
    if (!ed25519Verify(nodeKey, voteSigningBytes(unsigned), sig))
      throw new ProtocolError('UNAUTHENTICATED', 'node.vote.vote.sig: signature does not verify');
    const job = this.store.job(vote.jobId);
    if (!job) throw new Error(`trust store: assignment of ${vote.jobId} without its job`);
    const n = vote.samples.length,
      least = Math.min(MIN_SAMPLES, job.spec.maxSamples);
    if (n < least || n > job.spec.maxSamples || vote.samples.some((s, i) => s.index !== i))
      throw new ProtocolError(
        'BAD_MESSAGE',
        `node.vote.vote.samples: must be the first ${least}..${job.spec.maxSamples} seeded samples in order`,
      );
    for (const k of METRICS) {
      const m = vote.samples.reduce((s, x) => s + x[k], 0) / n;
      if (!(Math.abs(m - vote.means[k]) <= 1e-9 * (1 + Math.abs(m))))
        throw new ProtocolError('BAD_MESSAGE', `node.vote.vote.means.${k}: not the mean of the samples`);
    }
    this.store.tx(() => {
      const idx = this.log.append({ type: 'vote', jobId: vote.jobId, role: a.role, vote });
      this.store.insertVote(vote, a.role, idx);
      // A spot check that arrives after the verdict is graded against the stored consensus.
      if (a.role === 'spot' && job.state === 'done' && job.result && !job.result.contested)
        this.verdicts.gradeSpot(vote.jobId, vote, job.result.medians);
    });
  }

  /** The node cannot verify the job (its own failure, never the producer's): the seat reopens for another node. */
  nodeError(nodeKey: string, jobId: string, reason: string) {
    this.store.tx(() => {
      if (!this.store.failAssignment(jobId, nodeKey)) return;
      this.log.append({ type: 'node.error', jobId, node: nodeKey, reason });
      this.o.log?.(`node ${nodeKey.slice(0, 8)} could not verify ${jobId}: ${reason}; reassigning`);
    });
  }

  /**
   * Fails a running job that cannot reach its quorum: nodes reported errors (or timed out) and no other trusted
   * node is connected. The client hears at once, with each node's reason, instead of waiting out its timeout.
   */
  fail(jobId: string, why: string) {
    const errors = this.store.loggedNodeErrors(jobId);
    // A seat that timed out left no reason of its own: it is named too, so that every seat given up is accounted for.
    const late = this.store
      .assignments(jobId)
      .filter((a) => a.role === 'quorum' && a.state === 'timeout')
      .map((a) => `node ${a.node.slice(0, 12)}: no vote before its assignment's deadline`);
    const each = [...errors.map((e) => `node ${e.node.slice(0, 12)}: ${e.reason}`), ...late];
    const reason = `${why}${each.length ? `; ${each.join('; ')}` : ''}`;
    this.store.tx(() => {
      this.log.append({ type: 'job.failed', jobId, reason, errors });
      this.store.failJob(jobId, { reason, errors });
    });
    this.o.log?.(`job ${jobId} failed: ${reason}`);
  }
}
