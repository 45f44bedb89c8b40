/**
 * The farm's queue: what a worker sees of it (claim, heartbeat, progress, finish, fail) and what the API does to it
 * (submit, cancel). Two backends behind one interface:
 * - `EmbeddedQueue`, the default: the farm's SQLite store chooses the next job, so nothing needs setting up;
 * - `RedisQueue` (redis-queue.ts, `ote farm serve --redis URL`): BullMQ on Redis chooses and leases it.
 * In both, the store keeps each job's record (state, attempts, ordered events, result), which is what the API
 * serves, and both survive a server restart. A job is one task until splitting lands (README, "The farm").
 *
 * Faults: a worker heartbeats its lease; a lease that runs out (the worker died, or hangs) puts the job back in the
 * queue after an exponential backoff, until it has used its attempts, and then fails it with the reason.
 */
import { randomBytes } from 'node:crypto';
import { projectedTotal } from './coordinator/assign.js';
import type { LearnedDispatch } from './dispatch.js';
import { type FarmStore, type JobResult, type JobRow, type JobSpec, progressOf } from './store.js';
import { checkedLoad, type WorkerTelemetry } from './telemetry.js';

export interface QueueOptions {
  /** A running job whose worker has not heartbeat for this long is taken back. Default 30 s. */
  leaseMs: number;
  /** Attempts per job before it fails. Default 3. */
  maxAttempts: number;
  /** Backoff before retry n (1-based) is backoffMs × 2^(n − 1). Default 1 s. */
  backoffMs: number;
  /**
   * A job whose result was turned down (farm verification) avoids that machine for this long after it is queued
   * again; then any worker may take it, so a farm of one machine still ends it. Default 30 s.
   */
  avoidMs: number;
}

export const QUEUE_DEFAULTS: QueueOptions = { leaseMs: 30_000, maxAttempts: 3, backoffMs: 1_000, avoidMs: 30_000 };

export interface SubmitRequest {
  key: string;
  batch?: string;
  kind: 'optimize' | 'simulated';
  spec: JobSpec;
  priority?: number;
  deadline?: number;
  /** Not handed out before this time (Economy Offline's window, optimize/run-economy.ts). */
  notBefore?: number;
}

/** One task of a split job: its kind and spec, as a job's, and what it is predicted to take. */
export interface TaskRequest {
  kind: string;
  spec: JobSpec;
  predictedSeconds?: number;
}

/**
 * What the queue reports to whoever counts (the Prometheus metrics), for local and remote workers alike: each
 * attempt's start and end (with its wall time), retries, jobs failed for good, and finished jobs.
 */
export interface QueueListener {
  started?(job: JobRow): void;
  attemptEnded?(job: JobRow, seconds: number, outcome: 'completed' | 'failed' | 'cancelled'): void;
  retried?(job: JobRow, reason: string): void;
  failed?(job: JobRow, reason: string): void;
  finished?(job: JobRow): void;
}

export interface FarmQueue {
  readonly options: QueueOptions;
  submit(r: SubmitRequest): Promise<JobRow>;
  /**
   * Leases the most urgent ready job of one of `kinds` to `worker`; `telemetry` is what the worker reports of its
   * machine (its load), for the learning coordinator.
   */
  claim(worker: string, kinds: readonly string[], telemetry?: WorkerTelemetry): Promise<JobRow | undefined>;
  /**
   * Resolves when a job may have become ready, or after `ms`. A job that became ready while no claimer waited (all
   * were busy claiming, which may await a distributed queue, or between two long polls) is kept as a pending wake
   * that the next wait takes at once, so no job sits until a long poll runs out.
   */
  waitForReady(ms: number, kinds: readonly string[], worker?: string): Promise<void>;
  heartbeat(id: string, worker: string): Promise<boolean>;
  progress(id: string, worker: string, stage: string, fraction: number, etaSeconds?: number): void;
  log(id: string, message: string): void;
  finish(id: string, worker: string, end: { exitCode: number; reason?: string; result: JobResult }): Promise<boolean>;
  /**
   * A failed attempt: retried after backoff, or failed for good. With `worker`, only if the job is still its. `how`:
   * `error` when its worker said so, `lost` when its lease ran out (the worker vanished).
   */
  fail(id: string, reason: string, worker?: string, how?: 'error' | 'lost'): Promise<'retried' | 'failed' | 'gone'>;
  /** A result turned down (farm verification): a failed attempt, and the job avoids that machine when retried. */
  turnDown(id: string, worker: string, reason: string): Promise<'retried' | 'failed' | 'gone'>;
  /** Cancels a job and its tasks; the ids cancelled (none when it had ended). */
  cancel(id: string): Promise<string[]>;
  /**
   * Splits running job `parent` (of `worker`) into tasks: each is queued as a job of its own, with the parent's key
   * and priority. The same tasks made before (by an earlier attempt of the parent, redone elsewhere) are returned
   * instead, and tasks of an abandoned plan are cancelled (store.ts addTasks). Returns the tasks in request order.
   */
  addTasks(parent: string, worker: string, tasks: readonly TaskRequest[]): Promise<JobRow[]>;
  /** Takes back jobs whose lease ran out; returns how many. */
  reap(): Promise<number>;
  close(): Promise<void>;
}

/**
 * What both backends share: the job's record in the store (every transition and its event in one transaction),
 * attempts and backoff, the listener, and the waiting workers. A backend decides which job a worker gets
 * (`take`) and mirrors each transition in its own dispatch state (the `dispatch*` hooks).
 */
export abstract class StoreQueue implements FarmQueue {
  readonly options: QueueOptions;
  /** Workers waiting for a job, oldest first; a new job wakes one that can run it, not all (no thundering herd). */
  private waiters: { kinds: readonly string[]; worker?: string; done: () => void }[] = [];
  /** Per kind: jobs that became ready when no waiter could take them (bounded: past it, waits poll). */
  private pendingWakes = new Map<string, number>();

  constructor(
    protected store: FarmStore,
    options: Partial<QueueOptions> = {},
    private listener: QueueListener = {},
    protected now: () => number = Date.now,
  ) {
    this.options = { ...QUEUE_DEFAULTS, ...options };
  }

  /** Leases the next job of one of `kinds` to `worker` in the store, or undefined. */
  protected abstract take(worker: string, kinds: readonly string[]): Promise<JobRow | undefined>;
  protected async dispatchSubmitted(_job: JobRow): Promise<void> {}
  protected async dispatchHeartbeat(_id: string): Promise<void> {}
  /** The job's attempt ended: `retryAt` when it goes back to the queue then, else it ended for good. */
  protected async dispatchEnded(_id: string, _retryAt?: number): Promise<void> {}
  /** The longest a waiting worker sleeps before looking again (jobs the backend may release unannounced). */
  protected maxWaitMs = Number.POSITIVE_INFINITY;
  /**
   * The learning coordinator (dispatch.ts): it learns from every ended attempt and, where the backend lets it
   * choose (the embedded queue) and it is set to, decides which ready job a claiming worker takes. Otherwise: first
   * come, first served.
   */
  coordinator: LearnedDispatch | undefined;

  async submit(r: SubmitRequest): Promise<JobRow> {
    const job = this.store.addJob({
      id: `job_${randomBytes(8).toString('hex')}`,
      key: r.key,
      batch: r.batch,
      kind: r.kind,
      spec: r.spec,
      priority: r.priority ?? 0,
      deadline: r.deadline,
      maxAttempts: this.options.maxAttempts,
      now: this.now(),
      notBefore: r.notBefore,
    });
    await this.dispatchSubmitted(job);
    this.wake(job.kind);
    return job;
  }

  async claim(worker: string, kinds: readonly string[], telemetry?: WorkerTelemetry): Promise<JobRow | undefined> {
    const load = checkedLoad(telemetry?.load);
    if (load !== undefined) this.coordinator?.reported(worker, load);
    const job = await this.take(worker, kinds);
    if (job) this.listener.started?.(job);
    return job;
  }

  /**
   * An attempt ended. `overtaken`: its backup copy completed the job first, and the attempt is stopped; the
   * coordinator learns it as done after the time its progress rate projected (coordinator/assign.ts projectedTotal;
   * without progress, its time so far, a lower bound), so that a worker whose jobs keep being overtaken is known
   * for as slow as it is.
   */
  private ended(job: JobRow | undefined, outcome: 'completed' | 'failed' | 'lost' | 'cancelled' | 'overtaken'): void {
    if (job?.attemptStarted == null) return;
    const seconds = Math.max(0, this.now() - job.attemptStarted) / 1000;
    this.listener.attemptEnded?.(
      job,
      seconds,
      outcome === 'overtaken' ? 'cancelled' : outcome === 'lost' ? 'failed' : outcome,
    );
    if (outcome === 'overtaken') {
      const projected = job.attemptStarted + 1000 * projectedTotal({ elapsed: seconds, ...progressOf(job) });
      this.coordinator?.ended(job, 'done', Math.max(this.now(), projected));
    } else if (outcome === 'lost') {
      // Lost at its last heartbeat, a lease before the reaper saw it: the running time the loss hazard counts.
      const last = job.leaseUntil != null ? job.leaseUntil - this.options.leaseMs : this.now();
      this.coordinator?.ended(job, 'lost', Math.max(job.attemptStarted, Math.min(this.now(), last)));
    } else if (outcome !== 'cancelled')
      this.coordinator?.ended(job, outcome === 'completed' ? 'done' : outcome, this.now());
  }

  waitForReady(ms: number, kinds: readonly string[], worker?: string): Promise<void> {
    for (const k of kinds) {
      const n = this.pendingWakes.get(k) ?? 0;
      if (n > 0) {
        this.pendingWakes.set(k, n - 1);
        return Promise.resolve();
      }
    }
    // A backed-off job becomes ready at its not_before: wake then, too.
    const now = this.now();
    const next = this.store.nextReady(kinds, now);
    const wait = Math.max(0, Math.min(ms, this.maxWaitMs, next === undefined ? ms : next - now));
    return new Promise((resolve) => {
      const w = {
        kinds,
        worker,
        done: () => {
          clearTimeout(t);
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        },
      };
      const t = setTimeout(w.done, wait);
      this.waiters.push(w);
    });
  }

  async heartbeat(id: string, worker: string): Promise<boolean> {
    const ok = this.store.heartbeat(id, worker, this.now() + this.options.leaseMs);
    if (ok) await this.dispatchHeartbeat(id);
    return ok;
  }

  progress(id: string, worker: string, stage: string, fraction: number, etaSeconds?: number): void {
    this.store.progress(id, worker, stage, fraction, etaSeconds, this.now());
  }

  log(id: string, message: string): void {
    this.store.log(id, message, this.now());
  }

  async finish(id: string, worker: string, end: { exitCode: number; reason?: string; result: JobResult }) {
    const ok = this.store.finish(id, worker, { state: 'completed', ...end }, this.now());
    if (ok) {
      await this.dispatchEnded(id);
      const job = this.store.job(id)!;
      this.ended(job, 'completed');
      this.listener.finished?.(job);
      // A backup copy that ends first completes its job (LATE, dispatch.ts); the first to end stops the others.
      const original = job.spec.backupOf;
      if (original) {
        const before = this.store.job(original);
        if (this.store.completeFromBackup(original, job, this.now())) {
          await this.dispatchEnded(original);
          if (before?.state === 'running') this.ended(before, 'overtaken');
          this.listener.finished?.(this.store.job(original)!);
        }
      }
      await this.stopBackups(original ?? id, `job ${original ?? id} ended first`);
    }
    return ok;
  }

  /** Cancels the backup copies of job `id` that have not ended. */
  private async stopBackups(id: string, reason: string): Promise<void> {
    for (const b of this.store.openBackups(id))
      for (const c of this.store.cancel(b.id, this.now(), reason)) {
        await this.dispatchEnded(c);
        this.ended(b, 'cancelled');
      }
  }

  async fail(
    id: string,
    reason: string,
    worker?: string,
    how: 'error' | 'lost' = 'error',
  ): Promise<'retried' | 'failed' | 'gone'> {
    const job = this.store.job(id);
    const attempt = job?.attempts ?? 1;
    const now = this.now();
    const backoff = this.options.backoffMs * 2 ** (attempt - 1);
    const r = this.store.retryOrFail(id, reason, now + backoff, now, worker);
    if (r === 'gone') return r;
    await this.dispatchEnded(id, r === 'retried' ? now + backoff : undefined);
    this.ended(job, how === 'lost' ? 'lost' : 'failed');
    if (r === 'retried') {
      this.listener.retried?.(job!, reason);
      const kind = job!.kind;
      setTimeout(() => this.wake(kind), backoff).unref?.();
    }
    if (r === 'failed') {
      this.listener.failed?.(this.store.job(id)!, reason);
      await this.cancelTasks(id);
      await this.stopBackups(id, `job ${id} failed`);
    }
    return r;
  }

  async turnDown(id: string, worker: string, reason: string): Promise<'retried' | 'failed' | 'gone'> {
    if (this.store.job(id)?.worker === worker) this.store.avoid(id, worker);
    return this.fail(id, reason, worker);
  }

  async cancel(id: string): Promise<string[]> {
    await this.stopBackups(id, `job ${id} was cancelled`);
    const jobs = [id, ...this.store.tasks(id).map((t) => t.id)].map((j) => this.store.job(j));
    const cancelled = this.store.cancel(id, this.now());
    for (const c of cancelled) {
      await this.dispatchEnded(c);
      const job = jobs.find((j) => j?.id === c);
      if (job?.state === 'running') this.ended(job, 'cancelled');
    }
    return cancelled;
  }

  async addTasks(parent: string, worker: string, tasks: readonly TaskRequest[]): Promise<JobRow[]> {
    // All in the store first (it refuses a parent that is not `worker`'s running job), in one go: a cancel that comes meanwhile then finds every task to stop.
    const made = this.store.addTasks(
      parent,
      worker,
      tasks.map((t) => ({
        id: `job_${randomBytes(8).toString('hex')}`, // a task is a job: the same routes serve it
        kind: t.kind,
        spec: t.spec,
        predictedSeconds: t.predictedSeconds,
      })),
      this.options.maxAttempts,
      this.now(),
    );
    for (const id of made.superseded)
      for (const c of this.store.cancel(id, this.now(), `superseded: job ${parent} asked for other tasks on a retry`))
        await this.dispatchEnded(c);
    for (const job of made.added) {
      await this.dispatchSubmitted(job);
      this.wake(job.kind);
    }
    return made.tasks;
  }

  async reap(): Promise<number> {
    const expired = this.store.expiredLeases(this.now());
    for (const j of expired)
      await this.fail(
        j.id,
        `worker ${j.worker} stopped heartbeating (lease of ${this.options.leaseMs / 1000} s ran out)`,
        undefined,
        'lost',
      );
    return expired.length;
  }

  /** A job that failed for good stops its tasks that have not ended. */
  private async cancelTasks(id: string): Promise<void> {
    for (const t of this.store.tasks(id))
      for (const c of this.store.cancel(t.id, this.now(), `its job ${id} failed`)) await this.dispatchEnded(c);
  }

  async close(): Promise<void> {
    for (const w of [...this.waiters]) w.done();
  }

  /**
   * The coordinator's choice for `worker` among the store's ready jobs (undefined: each is better left to another),
   * both backends' first step under the learned dispatch. A worker a job was left to may be waiting: it is woken.
   */
  protected chooseFor(worker: string, kinds: readonly string[], now: number) {
    const c = this.coordinator!;
    const left = new Set<string>();
    const ready = this.store.ready(worker, kinds, now, this.options.avoidMs, c.options.lookahead);
    const chosen = c.choose(worker, kinds, ready, now, left);
    for (const w of left) this.wakeWorker(w);
    return chosen;
  }

  /**
   * For a worker the coordinator gave nothing: a backup copy of a straggler, started for it, if one qualifies (LATE,
   * dispatch.ts). Both backends' second step. The copy lives in the store alone (one attempt, never requeued): the
   * first of it and its job to end completes the job, and the other is stopped.
   */
  protected backupCopy(worker: string, kinds: readonly string[], now: number): JobRow | undefined {
    const s = this.coordinator?.straggler(worker, kinds, now);
    if (!s) return undefined;
    const id = `job_${randomBytes(8).toString('hex')}`;
    const copy = this.store.addBackup(s.job.id, id, worker, now, now + this.options.leaseMs, s.decision.reason);
    if (copy) this.dispatched(copy, s.decision.reason, now);
    return copy;
  }

  /** A job the coordinator gave `worker` has started: its running state, and why it went there in its events. */
  protected dispatched(job: JobRow, reason: string, now: number): void {
    this.coordinator?.started(job, now);
    this.store.log(job.id, `dispatch: ${reason}`, now);
  }

  /** Wakes `worker` if it is waiting (a job was left to it). */
  protected wakeWorker(worker: string): void {
    this.waiters.find((x) => x.worker === worker)?.done();
  }

  protected wake(kind: string): void {
    const w = this.waiters.find((x) => x.kinds.includes(kind));
    if (w) w.done();
    else this.pendingWakes.set(kind, Math.min(10_000, (this.pendingWakes.get(kind) ?? 0) + 1));
  }
}

/**
 * The default backend: the store's own order (priority, then deadline, then age) over its queued jobs; with a
 * coordinator, the first of them that it gives the claiming worker.
 */
export class EmbeddedQueue extends StoreQueue {
  protected async take(worker: string, kinds: readonly string[]): Promise<JobRow | undefined> {
    const now = this.now();
    const { leaseMs, avoidMs } = this.options;
    if (!this.coordinator?.options.chooses) return this.store.claim(worker, kinds, now, now + leaseMs, avoidMs);
    const chosen = this.chooseFor(worker, kinds, now);
    if (!chosen) return this.backupCopy(worker, kinds, now);
    const job = this.store.start(chosen.job.id, worker, now, now + leaseMs, chosen.decision.reason);
    if (job) this.dispatched(job, chosen.decision.reason, now);
    return job;
  }
}
