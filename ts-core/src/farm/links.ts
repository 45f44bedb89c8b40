/**
 * How a worker reaches the farm (worker.ts WorkLink): LocalLink calls the queue and the blob store in the server's
 * process; HttpLink speaks the server's worker routes (/v1/workers/*, scope `work`) with signed requests, so a
 * worker on another machine needs only the URL and a key.
 */
import type { FarmBlobs } from './blobs.js';
import type { FarmClient } from './client.js';
import type { FarmQueue, TaskRequest } from './queue.js';
import type { FarmStore, JobResult, JobRow } from './store.js';
import type { WorkerTelemetry } from './telemetry.js';
import type { WorkLink } from './worker.js';

export type FinishRequest = { exitCode: number; reason?: string; result: JobResult };

export class LocalLink implements WorkLink {
  /**
   * `attest` checks and adds to a result before it is recorded (the server's verification and provenance record),
   * or turns it down; `key` is the API key a remote worker authenticated with. `forWorker` adds what a worker needs
   * to a job it claims (the farm's Trust Engine).
   */
  constructor(
    private queue: FarmQueue,
    private store: FarmStore,
    private blobs: FarmBlobs,
    private attest: (
      job: string,
      worker: string,
      key: string | undefined,
      end: FinishRequest,
    ) => FinishRequest | { turnDown: string } = (_j, _w, _k, end) => end,
    private forWorker: (job: JobRow) => JobRow = (job) => job,
  ) {}

  get leaseMs(): number {
    return this.queue.options.leaseMs;
  }

  async claim(
    worker: string,
    kinds: string[],
    waitMs: number,
    telemetry?: WorkerTelemetry,
  ): Promise<JobRow | undefined> {
    const until = Date.now() + waitMs;
    for (;;) {
      const job = await this.queue.claim(worker, kinds, telemetry);
      if (job) return this.forWorker(job);
      if (Date.now() >= until) return undefined;
      await this.queue.waitForReady(until - Date.now(), kinds, worker);
    }
  }

  async heartbeat(job: string, worker: string, p?: { stage: string; fraction: number; etaSeconds?: number }) {
    if (p) this.queue.progress(job, worker, p.stage, p.fraction, p.etaSeconds);
    return await this.queue.heartbeat(job, worker);
  }

  async log(job: string, _worker: string, message: string): Promise<void> {
    this.queue.log(job, message);
  }

  async blob(hash: string): Promise<Uint8Array> {
    return this.blobs.read(hash);
  }

  addTasks(job: string, worker: string, tasks: TaskRequest[]): Promise<JobRow[]> {
    return this.queue.addTasks(job, worker, tasks);
  }

  async tasks(job: string, worker: string): Promise<JobRow[]> {
    if (this.store.job(job)?.worker !== worker) throw new Error(`job ${job} is not worker ${worker}'s`);
    return this.store.tasks(job);
  }

  async put(data: Uint8Array): Promise<string> {
    return this.blobs.put(data);
  }

  /** Records a result; false when the job is no longer this worker's, or its result was turned down. */
  async finish(job: string, worker: string, end: FinishRequest, key?: string) {
    const checked = this.attest(job, worker, key, end);
    if ('turnDown' in checked) {
      await this.queue.turnDown(job, worker, checked.turnDown);
      return false;
    }
    return this.queue.finish(job, worker, checked);
  }

  async fail(job: string, worker: string, reason: string): Promise<void> {
    await this.queue.fail(job, reason, worker);
  }
}

export class HttpLink implements WorkLink {
  constructor(
    private client: FarmClient,
    readonly leaseMs: number,
  ) {}

  async claim(
    worker: string,
    kinds: string[],
    waitMs: number,
    telemetry?: WorkerTelemetry,
  ): Promise<JobRow | undefined> {
    // JSON leaves an undefined load out of the body.
    const body = { worker, kinds, waitMs, load: telemetry?.load };
    const r = (await this.client.request('POST', '/v1/workers/claim', body)) as {
      job: JobRow | null;
    };
    return r.job ?? undefined;
  }

  async heartbeat(job: string, worker: string, progress?: { stage: string; fraction: number; etaSeconds?: number }) {
    const r = (await this.client.request('POST', '/v1/workers/heartbeat', { worker, job, progress })) as {
      ok: boolean;
    };
    return r.ok;
  }

  async log(job: string, worker: string, message: string): Promise<void> {
    await this.client.request('POST', '/v1/workers/log', { worker, job, message });
  }

  async blob(hash: string): Promise<Uint8Array> {
    return (await this.client.request('GET', `/v1/blobs/${hash}`, undefined, true)) as Uint8Array;
  }

  async addTasks(job: string, worker: string, tasks: TaskRequest[]): Promise<JobRow[]> {
    return ((await this.client.request('POST', '/v1/workers/tasks', { worker, job, tasks })) as { tasks: JobRow[] })
      .tasks;
  }

  async tasks(job: string, worker: string): Promise<JobRow[]> {
    return ((await this.client.request('POST', '/v1/workers/tasks/list', { worker, job })) as { tasks: JobRow[] })
      .tasks;
  }

  put(data: Uint8Array): Promise<string> {
    return this.client.upload(data);
  }

  async finish(job: string, worker: string, end: { exitCode: number; reason?: string; result: JobResult }) {
    const r = (await this.client.request('POST', '/v1/workers/finish', { worker, job, ...end })) as { ok: boolean };
    return r.ok;
  }

  async fail(job: string, worker: string, reason: string): Promise<void> {
    await this.client.request('POST', '/v1/workers/fail', { worker, job, reason });
  }
}
