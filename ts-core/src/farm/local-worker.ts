/**
 * A worker inside the server process (`ote farm serve --workers N`): claims jobs from the queue, runs each through
 * an executor (optimize-executor.ts; tests give their own), heartbeats its lease, streams progress with an ETA, and
 * stores the artifacts content-addressed. A cancelled job, or one whose lease was taken back, aborts the executor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FarmBlobs } from './blobs.js';
import type { FarmQueue } from './queue.js';
import type { JobRow } from './store.js';

export interface ExecutorContext {
  signal: AbortSignal;
  /** Overall fraction in [0, 1] and the stage it is in. */
  progress(stage: string, fraction: number): void;
  log(message: string): void;
  /** An empty directory for this attempt, removed afterwards. */
  workDir: string;
}

export interface ExecutorResult {
  exitCode: number;
  reason?: string;
  verdict?: string;
  /** Files to keep as the job's artifacts: name → bytes. */
  artifacts: Record<string, Uint8Array>;
}

export type Executor = (job: JobRow, ctx: ExecutorContext) => Promise<ExecutorResult>;

export interface WorkerObserver {
  taskStarted?(job: JobRow): void;
  taskEnded?(job: JobRow, seconds: number, outcome: 'completed' | 'failed' | 'aborted'): void;
}

export class LocalWorker {
  private stopped = false;
  private wake: (() => void) | undefined;
  private current: AbortController | undefined;
  busy = false;
  /** The job running now. */
  jobId: string | undefined;

  constructor(
    readonly id: string,
    private queue: FarmQueue,
    private blobs: FarmBlobs,
    private executor: Executor,
    private scratchDir: string,
    private observer: WorkerObserver = {},
  ) {
    queue.onReady(() => this.wake?.());
  }

  /** Runs until stop(): claims a job whenever one is ready. */
  async run(): Promise<void> {
    while (!this.stopped) {
      const job = this.queue.claim(this.id);
      if (!job) {
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, 500).unref?.();
        });
        this.wake = undefined;
        continue;
      }
      await this.execute(job);
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
    this.wake?.();
  }

  private async execute(job: JobRow): Promise<void> {
    const abort = new AbortController();
    this.current = abort;
    this.busy = true;
    this.jobId = job.id;
    this.observer.taskStarted?.(job);
    const t0 = Date.now();
    const beat = setInterval(
      () => {
        if (!this.queue.heartbeat(job.id, this.id)) abort.abort();
      },
      Math.max(50, this.queue.options.leaseMs / 3),
    );
    const workDir = mkdtempSync(join(this.scratchDir, `${job.id}-`));
    let lastReport = 0;
    let outcome: 'completed' | 'failed' | 'aborted' = 'failed';
    try {
      const r = await this.executor(job, {
        signal: abort.signal,
        workDir,
        log: (m) => this.queue.log(job.id, m),
        progress: (stage, fraction) => {
          const now = Date.now();
          // At most 5 events a second: the store keeps every event for replay.
          if (now - lastReport < 200 && fraction < 1) return;
          lastReport = now;
          const f = Math.min(1, Math.max(0, fraction));
          const eta = f > 0.02 ? ((now - t0) / 1000) * ((1 - f) / f) : undefined;
          this.queue.progress(job.id, this.id, stage, f, eta === undefined ? undefined : Math.round(eta));
        },
      });
      if (abort.signal.aborted) {
        outcome = 'aborted';
        return;
      }
      const artifacts: Record<string, string> = {};
      for (const [name, data] of Object.entries(r.artifacts)) artifacts[name] = this.blobs.put(data);
      this.queue.finish(job.id, this.id, {
        exitCode: r.exitCode,
        reason: r.reason,
        result: { artifacts, verdict: r.verdict },
      });
      outcome = 'completed';
    } catch (e) {
      if (abort.signal.aborted) outcome = 'aborted';
      else this.queue.fail(job.id, (e as Error)?.message ?? String(e));
    } finally {
      clearInterval(beat);
      rmSync(workDir, { recursive: true, force: true });
      this.busy = false;
      this.current = undefined;
      this.jobId = undefined;
      this.observer.taskEnded?.(job, (Date.now() - t0) / 1000, outcome);
    }
  }
}
