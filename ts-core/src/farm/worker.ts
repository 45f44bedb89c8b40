/**
 * A farm worker: claims jobs, runs each through an executor (executors.ts), heartbeats its lease, streams progress
 * with an ETA, and hands back the artifacts content-addressed. It reaches the queue through a WorkLink: directly in
 * the server's process (LocalLink, `ote farm serve --workers N`) or over signed HTTP (HttpLink, `ote farm worker`,
 * on other machines: nothing assumes a shared disk). A cancelled job, or one whose lease was taken back, aborts the
 * executor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskRequest } from './queue.js';
import { attemptSeconds, type JobResult, type JobRow } from './store.js';
import type { WorkerTelemetry } from './telemetry.js';

/** How a worker waits for a server that is away (restarting, not up yet): doubling from firstMs up to maxMs. */
export const LINK_BACKOFF = { firstMs: 100, maxMs: 5000 };

/**
 * Whether a failed request is a refusal that waiting will not change: HTTP 4xx but 429 (a bad key, a wrong scope, a
 * request the server cannot take). Anything else (no connection, 5xx, 429) is the server away or busy.
 */
export function isRefusal(e: unknown): boolean {
  const status = (e as { status?: number } | undefined)?.status;
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
}

/**
 * `request()` again, backing off as LINK_BACKOFF says, until it succeeds: a worker started before its server, or
 * while the server restarts, waits for it instead of exiting. A refusal rejects at once, as does `signal`;
 * `onWait` hears the first failure it waits out.
 */
export async function whenReachable<T>(
  request: () => Promise<T>,
  signal: AbortSignal,
  onWait?: (e: unknown) => void,
): Promise<T> {
  for (let backoff = LINK_BACKOFF.firstMs, waited = false; ; backoff = Math.min(LINK_BACKOFF.maxMs, 2 * backoff)) {
    try {
      return await request();
    } catch (e) {
      if (isRefusal(e) || signal.aborted) throw e;
      if (!waited) onWait?.(e);
      waited = true;
      // An abort ends the wait early; the link error is what the caller then hears.
      await sleep(backoff, undefined, { signal }).catch(() => {});
      if (signal.aborted) throw e;
    }
  }
}

/** A completed task of a split job: where and how long it ran, and its artifacts (name → content hash). */
export interface TaskOutcome {
  index: number;
  id: string;
  worker: string | null;
  seconds: number | null;
  artifacts: Record<string, string>;
  /** Why the farm's learning coordinator gave it to that worker (null: first come, first served). */
  dispatch: string | null;
}

export interface ExecutorContext {
  /** The id of the worker running the job. */
  worker: string;
  signal: AbortSignal;
  /** The job's scene bytes (fetched on demand). */
  scene(): Promise<Uint8Array>;
  /** A blob of the farm by content hash (a task's artifact). */
  blob(hash: string): Promise<Uint8Array>;
  /** Stores a blob (content-addressed, idempotent) for this job's tasks; returns its hash. */
  put(data: Uint8Array): Promise<string>;
  /**
   * Splits this job into tasks that any worker may run, and resolves when all have completed (rejects with the
   * reason when one fails for good, or the job is cancelled). Meanwhile this worker runs such tasks too, so a split
   * job never waits on a farm whose every slot holds a job waiting for its tasks. `onProgress` gets the fraction
   * of the predicted time done. A job may call it more than once, one call at a time (its bake, then its
   * preview); an attempt that retries the job and asks for the same tasks gets those made before, results and all.
   */
  runTasks(tasks: TaskRequest[], onProgress?: (fraction: number) => void): Promise<TaskOutcome[]>;
  /** Overall fraction in [0, 1] and the stage it is in. */
  progress(stage: string, fraction: number): void;
  log(message: string): void;
  /** An empty directory for this attempt (made on first use), removed afterwards. */
  readonly workDir: string;
}

export interface ExecutorResult {
  exitCode: number;
  reason?: string;
  verdict?: string;
  /** Files to keep as the job's artifacts: name → bytes. */
  artifacts: Record<string, Uint8Array>;
}

export type Executor = (job: JobRow, ctx: ExecutorContext) => Promise<ExecutorResult>;

/** What a worker needs of the farm. Every call names the worker, so a lease taken back is refused. */
export interface WorkLink {
  /**
   * The next job this worker may run, waiting up to `waitMs` for one; undefined when none came. `telemetry`: what
   * the worker reports of its machine as it asks (its load), which the learning coordinator learns with.
   */
  claim(worker: string, kinds: string[], waitMs: number, telemetry?: WorkerTelemetry): Promise<JobRow | undefined>;
  /** Extends the lease and reports progress; false when the job is no longer this worker's (cancelled, taken back). */
  heartbeat(
    job: string,
    worker: string,
    progress?: { stage: string; fraction: number; etaSeconds?: number },
  ): Promise<boolean>;
  log(job: string, worker: string, message: string): Promise<void>;
  /** A stored blob (a scene, a task's artifact) by content hash. */
  blob(hash: string): Promise<Uint8Array>;
  /**
   * Splits `job` (this worker's, running) into tasks; the same tasks made before (by an attempt that failed) are
   * returned instead (store.ts addTasks).
   */
  addTasks(job: string, worker: string, tasks: TaskRequest[]): Promise<JobRow[]>;
  /** The tasks of `job` (this worker's, running), by index. */
  tasks(job: string, worker: string): Promise<JobRow[]>;
  /** Stores an artifact; returns its content hash. */
  put(data: Uint8Array): Promise<string>;
  finish(job: string, worker: string, end: { exitCode: number; reason?: string; result: JobResult }): Promise<boolean>;
  fail(job: string, worker: string, reason: string): Promise<void>;
  /** The lease length, so heartbeats come often enough. */
  leaseMs: number;
}

/** Least time between two progress reports of one job. */
const PROGRESS_MS = 500;

export class FarmWorker {
  private stopped = false;
  private current: AbortController | undefined;
  busy = false;
  /** The job running now. */
  jobId: string | undefined;

  constructor(
    readonly id: string,
    private link: WorkLink,
    private executors: Record<string, Executor>,
    private scratchDir: string,
    /** Reads the machine's load when the worker asks for work (telemetry.ts); absent: none reported. */
    private loadProbe?: () => number,
  ) {}

  /**
   * Runs until stop(): claims a job whenever one is ready. Link errors (the server away) are retried with backoff;
   * a refusal (HTTP 4xx but 429) rejects, since waiting will not change it.
   */
  async run(): Promise<void> {
    let backoff = LINK_BACKOFF.firstMs;
    while (!this.stopped) {
      let job: JobRow | undefined;
      try {
        job = await this.link.claim(this.id, Object.keys(this.executors), 2000, { load: this.loadProbe?.() });
        backoff = LINK_BACKOFF.firstMs;
      } catch (e) {
        if (isRefusal(e)) throw e;
        await new Promise((r) => setTimeout(r, backoff).unref?.());
        backoff = Math.min(LINK_BACKOFF.maxMs, 2 * backoff);
        continue;
      }
      if (job && !this.stopped) await this.execute(job);
    }
  }

  /** Aborts the running job if it is `id` (it was cancelled). */
  cancelIf(id: string): void {
    if (this.jobId === id) this.current?.abort();
  }

  /** Stops claiming and aborts the running job (it goes back to the queue when its lease runs out). */
  stop(): void {
    this.stopped = true;
    this.current?.abort();
  }

  /** Queues `tasks` for `job`, runs such tasks here while they are pending, and returns them once all completed. */
  private async runTasks(
    job: JobRow,
    tasks: TaskRequest[],
    signal: AbortSignal,
    onProgress?: (fraction: number) => void,
  ): Promise<TaskOutcome[]> {
    const made = await this.link.addTasks(job.id, this.id, tasks);
    // Outcomes in request order: index i is made[i], whatever index the job gave it.
    const order = new Map(made.map((t, i) => [t.id, i]));
    const mine = (t: JobRow) => order.has(t.id);
    const kinds = [...new Set(tasks.map((t) => t.kind))].filter((k) => this.executors[k]);
    // The helper is a worker of its own to the farm (its own leases), so a task it runs is retried like any other.
    const helper = new FarmWorker(`${this.id}.h`, this.link, this.executors, this.scratchDir, this.loadProbe);
    const stop = () => helper.stop();
    signal.addEventListener('abort', stop, { once: true });
    const predicted = tasks.map((t) => t.predictedSeconds ?? 1);
    const total = predicted.reduce((a, b) => a + b, 0);
    try {
      for (;;) {
        if (signal.aborted) throw new Error(`job ${job.id} was cancelled`);
        const now = (await this.link.tasks(job.id, this.id)).filter(mine);
        const bad = now.find((t) => t.state === 'failed' || t.state === 'cancelled');
        if (bad) throw new Error(`task ${bad.taskIndex} (${bad.id}) ${bad.state}: ${bad.reason ?? 'no reason given'}`);
        const done = now.filter((t) => t.state === 'completed');
        onProgress?.(done.reduce((a, t) => a + predicted[order.get(t.id)!], 0) / total);
        if (done.length === tasks.length)
          return now
            .sort((a, b) => order.get(a.id)! - order.get(b.id)!)
            .map((t) => ({
              index: order.get(t.id)!,
              id: t.id,
              worker: t.result?.worker ?? t.worker,
              seconds: attemptSeconds(t),
              artifacts: t.result?.artifacts ?? {},
              dispatch: t.dispatch,
            }));
        const next = kinds.length
          ? await this.link.claim(helper.id, kinds, 250, { load: this.loadProbe?.() })
          : undefined;
        if (next && !signal.aborted) await helper.execute(next);
        else if (!kinds.length) await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private async execute(job: JobRow): Promise<void> {
    const abort = new AbortController();
    this.current = abort;
    this.busy = true;
    this.jobId = job.id;
    const t0 = Date.now();
    let latest: { stage: string; fraction: number; etaSeconds?: number } | undefined;
    let sent: typeof latest;
    let lastBeat = Date.now();
    let lastProgress = 0;
    let beating = false;
    // Progress rides on the heartbeat, at most every PROGRESS_MS; without news the lease is renewed at a third of its
    // length. A farm of hundreds of slots then costs the server a few requests per slot and second at most.
    const tick = async () => {
      const now = Date.now();
      const news = latest !== sent && now - lastProgress >= PROGRESS_MS;
      if (beating || (!news && now - lastBeat < this.link.leaseMs / 3)) return;
      beating = true;
      const p = news ? latest : undefined;
      if (news) {
        sent = latest;
        lastProgress = now;
      }
      lastBeat = now;
      try {
        if (!(await this.link.heartbeat(job.id, this.id, p))) abort.abort();
      } catch {
        // The server is away: keep working; the lease decides.
      } finally {
        beating = false;
      }
    };
    const timer = setInterval(() => void tick(), Math.min(100, Math.max(20, this.link.leaseMs / 10)));
    let dir: string | undefined;
    const scratch = this.scratchDir;
    try {
      const run = this.executors[job.kind];
      if (!run) throw new Error(`worker ${this.id} cannot run ${job.kind} jobs`);
      const r = await run(job, {
        worker: this.id,
        signal: abort.signal,
        get workDir() {
          dir ??= mkdtempSync(join(scratch, `${job.id}-`));
          return dir;
        },
        scene: () => this.link.blob(job.spec.scene!.hash),
        blob: (hash) => this.link.blob(hash),
        put: (data) => this.link.put(data),
        runTasks: (tasks, onProgress) => this.runTasks(job, tasks, abort.signal, onProgress),
        log: (m) => void this.link.log(job.id, this.id, m).catch(() => {}),
        progress: (stage, fraction) => {
          const f = Math.min(1, Math.max(0, fraction));
          const eta = f > 0.02 ? ((Date.now() - t0) / 1000) * ((1 - f) / f) : undefined;
          latest = { stage, fraction: f, etaSeconds: eta === undefined ? undefined : Math.round(eta) };
        },
      });
      if (abort.signal.aborted) return;
      const artifacts: Record<string, string> = {};
      for (const [name, data] of Object.entries(r.artifacts)) artifacts[name] = await this.link.put(data);
      const end = {
        exitCode: r.exitCode,
        reason: r.reason,
        result: { artifacts, verdict: r.verdict, worker: this.id },
      };
      // A finished result is worth a few tries while the server restarts; past the lease it is redone anyway.
      for (let wait = 100; ; wait *= 2) {
        try {
          await this.link.finish(job.id, this.id, end);
          break;
        } catch (e) {
          if (wait > this.link.leaseMs || this.stopped) throw e;
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    } catch (e) {
      if (!abort.signal.aborted)
        await this.link.fail(job.id, this.id, (e as Error)?.message ?? String(e)).catch(() => {});
    } finally {
      clearInterval(timer);
      if (dir) rmSync(dir, { recursive: true, force: true });
      this.busy = false;
      this.current = undefined;
      this.jobId = undefined;
    }
  }
}
