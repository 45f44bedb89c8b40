/**
 * The events the engine records in its audit log (audit-log.ts), one leaf each, in the order they happen. Every
 * state row is explained by one of them, which is what `ote trust audit verify` (audit.ts) re-checks.
 */
import type { CertificateBody } from './certificate.js';
import type { JobSpec, SeatRole } from './store.js';
import type { MetricName, Vote } from './types.js';

export type EngineEvent =
  /** The job as submitted; its seed fields are cleared here and logged by the next event. */
  | { type: 'job.submitted'; jobId: string; apiKey: string; spec: Partial<JobSpec> }
  | { type: 'job.seed'; jobId: string; engineNonce: string; seed: string; maxSamples: number }
  | { type: 'vote'; jobId: string; role: SeatRole; vote: Vote }
  | {
      type: 'reputation';
      node: string;
      jobId: string;
      role: SeatRole;
      outcome: 'agree' | 'flagged';
      alpha: number;
      beta: number;
    }
  | {
      type: 'verdict';
      jobId: string;
      verdict: 'accepted' | 'rejected';
      reason: string;
      medians: Record<MetricName, number>;
      flagged: string[];
    }
  | { type: 'certificate'; body: CertificateBody }
  /** A node could not verify the job (its own failure): its seat reopens for another node. */
  | { type: 'node.error'; jobId: string; node: string; reason: string }
  /** The job goes to `node` alone: it agreed with `streak` verdicts since its last flag (replication.ts). */
  | { type: 'job.solo'; jobId: string; node: string; streak: number }
  /**
   * A provisional verdict is audited (replication.ts): `node`, one of its voters, was flagged, so the job runs again
   * with that vote set aside and its quorum filled to full size.
   */
  | { type: 'job.audit'; jobId: string; node: string }
  /** The audit overturned the verdict: the earlier certificate no longer stands. */
  | {
      type: 'job.revoked';
      jobId: string;
      previous: 'accepted' | 'rejected';
      verdict: 'accepted' | 'rejected';
      reason: string;
    }
  /** No quorum can be reached: nodes failed and no other trusted node is connected. No certificate is issued. */
  | { type: 'job.failed'; jobId: string; reason: string; errors: { node: string; reason: string }[] };
