/**
 * Assigning jobs to nodes. Every running job's quorum is filled from connected trusted nodes, least loaded first,
 * ties broken by seatDraw: a hash of the job's seed and the node's key. The seed comes from the engine's nonce once
 * the job's blobs are committed, so no node can choose its jobs beforehand, and anyone holding the log can recompute
 * who was drawn; a node never verifies its producer's work, and untrusted nodes do not vote. One
 * untrusted node may take a non-voting spot-check seat, to earn its way back. A job whose votes are all in is
 * handed to the verdict. Assignments past their deadline time out, and their seats reopen for other nodes; when
 * nodes failed and no trusted node is left to take their seats, the job fails with the nodes' reasons.
 */
import { sha256Hex } from './bytes.js';
import type { Assign } from './messages.js';
import { isTrusted, type ReputationOptions } from './reputation.js';
import { type ReplicationOptions, REPLICATION_DEFAULTS, verifiesAlone } from './replication.js';
import type { EngineStore, JobSpec, SeatRole } from './store.js';

export interface SchedulerOptions {
  reputation: ReputationOptions;
  /** Give one untrusted node a non-voting seat on each job. */
  spotChecks: boolean;
  /** How long a node has to vote after assignment. */
  assignTimeoutMs: number;
  /**
   * A node's operator (its key where the allow-list names none): a job's quorum seats at most one node per
   * operator, so an operator with many keys votes once. Absent: every key is its own operator.
   */
  operatorOf?: (key: string) => string;
  /** Adaptive replication (replication.ts): a job whose first drawn node is long-trusted goes to it alone. */
  replication?: ReplicationOptions;
  log?: (line: string) => void;
}

/** What the scheduler needs of the rest of the engine. */
export interface SchedulerHooks {
  /** Keys of the nodes connected now. */
  connected(): Iterable<string>;
  /** Sends the assignment to a connected node. */
  send(node: string, assign: Assign): void;
  /** Size of a committed blob. */
  blobSize(hash: string): number;
  /** Called for a running job whose quorum has voted. */
  finalize(jobId: string): void;
  /** Called for a running job that cannot reach its quorum (nodes failed, none other connected). */
  fail(jobId: string, why: string): void;
  /** Verdicts a node agreed with since its last flag (replication.ts); absent: never long-trusted. */
  streak?(node: string): number;
  /** Sets a job's quorum; `solo` names the node it goes to alone (logged, replication.ts). */
  setQuorum(jobId: string, quorum: number, solo?: { node: string; streak: number }): void;
}

/** A node's place among equally loaded candidates for a job: sha256(seed, key), compared as hex. */
export function seatDraw(jobSeed: string, nodeKey: string): string {
  return sha256Hex(`ote-seat:${jobSeed}:${nodeKey}`);
}

export class Scheduler {
  constructor(
    private store: EngineStore,
    private o: SchedulerOptions,
    private hooks: SchedulerHooks,
  ) {}

  /** Fills every running job's quorum and spot-check seat, and finalizes jobs whose votes are in. */
  schedule() {
    for (const j of this.store.runningJobs()) {
      const rows = this.store.assignments(j.id);
      const voted = rows.filter((r) => r.role === 'quorum' && r.state === 'voted').length;
      if (voted >= j.quorum) {
        this.hooks.finalize(j.id);
        continue;
      }
      const open = rows.filter((r) => r.role === 'quorum' && r.state === 'assigned').length;
      const used = new Set(rows.map((r) => r.node));
      const candidates = [...this.hooks.connected()]
        .filter((k) => !used.has(k) && k !== j.spec.producer)
        .map((k) => ({ k, row: this.store.node(k), load: this.store.openAssignments(k), r: seatDraw(j.spec.seed, k) }))
        .sort((a, b) => a.load - b.load || (a.r < b.r ? -1 : a.r > b.r ? 1 : 0));
      const operator = this.o.operatorOf ?? ((k: string) => k);
      const seatedOperators = new Set(
        rows
          .filter((r) => r.role === 'quorum' && (r.state === 'assigned' || r.state === 'voted'))
          .map((r) => operator(r.node)),
      );
      // Before its first seat, a job goes to its first drawn node alone if that node is long-trusted, and back to its
      // full quorum if that node gave up its seat and the next is not (replication.ts). An audit keeps its votes.
      if (voted === 0 && open === 0 && j.spec.quorum > 1 && (j.quorum === 1 || j.quorum === j.spec.quorum)) {
        const first = candidates.find((c) => isTrusted(c.row, this.o.reputation));
        const replication = this.o.replication ?? REPLICATION_DEFAULTS;
        const streak = first ? (this.hooks.streak?.(first.k) ?? 0) : 0;
        const alone = first !== undefined && verifiesAlone({ rep: first.row, streak }, replication, this.o.reputation);
        const quorum = alone ? 1 : j.spec.quorum;
        if (quorum !== j.quorum) {
          this.hooks.setQuorum(j.id, quorum, alone ? { node: first.k, streak } : undefined);
          j.quorum = quorum;
          if (alone)
            this.o.log?.(`job ${j.id.slice(0, 12)}: verified alone by long-trusted node ${first.k.slice(0, 8)}`);
        }
      }
      let need = j.quorum - voted - open;
      for (const c of candidates) {
        if (need <= 0) break;
        if (!isTrusted(c.row, this.o.reputation) || seatedOperators.has(operator(c.k))) continue;
        this.assign(j.id, j.spec, c.k, 'quorum');
        seatedOperators.add(operator(c.k));
        need--;
      }
      // Seats that nodes gave up on (errors, timeouts), no trusted node left to take them, and no node still at
      // work: the quorum cannot be reached, so the job fails now, with every node's reason, rather than leave its
      // client waiting out a timeout. A job that merely waits for nodes to connect (nobody failed) keeps waiting.
      const failed = rows.filter((r) => r.role === 'quorum' && (r.state === 'error' || r.state === 'timeout')).length;
      const working = j.quorum - voted - need;
      if (need > 0 && failed > 0 && working === 0) {
        this.hooks.fail(
          j.id,
          `${failed} node(s) could not verify the job and no other trusted node is connected to reach the quorum of ${j.quorum} (${voted} voted)`,
        );
        continue;
      }
      if (this.o.spotChecks && !rows.some((r) => r.role === 'spot')) {
        const spot = candidates.find((c) => !isTrusted(c.row, this.o.reputation));
        if (spot) this.assign(j.id, j.spec, spot.k, 'spot');
      }
    }
  }

  /** Times out late assignments, then schedules (their seats go to other nodes). */
  tick(now = Date.now()) {
    const late = this.store.timeOutAssignments(now);
    if (late) this.o.log?.(`${late} assignment(s) timed out; reassigning`);
    this.schedule();
  }

  private assign(jobId: string, spec: JobSpec, node: string, role: SeatRole) {
    this.store.assign(jobId, node, role, Date.now() + this.o.assignTimeoutMs);
    this.o.log?.(`job ${jobId.slice(0, 12)}: ${role} seat to node ${node.slice(0, 8)}`);
    this.hooks.send(node, {
      jobId,
      referenceHash: spec.referenceHash,
      artifactHash: spec.artifactHash,
      kind: spec.kind,
      seed: spec.seed,
      maxSamples: spec.maxSamples,
      thresholds: spec.thresholds,
      confidence: spec.confidence,
      ...(spec.render ? { render: spec.render } : {}),
      sizes: { reference: this.hooks.blobSize(spec.referenceHash), artifact: this.hooks.blobSize(spec.artifactHash) },
    });
  }
}
