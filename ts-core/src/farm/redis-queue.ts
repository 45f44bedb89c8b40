/**
 * The distributed backend (`ote farm serve --redis URL`): BullMQ on Redis holds the queue. Workers still reach the
 * farm through the server's HTTP routes (nothing but the server talks to Redis), and the server takes jobs for them
 * with BullMQ's manual processing: `getNextJob` under a lock token, the lock extended by each heartbeat, the job
 * moved to delayed for a retry's backoff and to completed or failed at its end.
 *
 * What each side owns:
 * - BullMQ: which job goes next (per kind, by priority, then first in first out) under `--dispatch fifo`, delays,
 *   locks, and taking back jobs whose holder vanished (its stalled-job check, which covers a server killed while it
 *   held locks). Under the learned dispatch the coordinator chooses from the store's ready jobs, as on the embedded
 *   queue, and BullMQ hands the chosen one over under a lock (`take`); its reservations for other workers live in
 *   the server that made them, so with several servers a job left to a worker may be taken through another. A
 *   backup copy of a straggler (LATE) lives in the store alone, as on the embedded queue: BullMQ never holds it, and
 *   its job's BullMQ entry is completed when the copy wins;
 * - the store (queue.ts StoreQueue): the job's record, its attempts and events. It has the last word: a job BullMQ
 *   hands out that the store no longer holds as queued (cancelled, or failed for good) is dropped, not run.
 *
 * One BullMQ queue per job kind (`<prefix>:farm-<kind>`), so a worker takes only kinds it can run; a worker of
 * several kinds looks at them in the order it lists them. Within a kind, a job's priority orders it; its deadline
 * does not (the embedded queue uses both).
 */
import { randomBytes } from 'node:crypto';
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import { OteError } from '../errors.js';
import { type QueueListener, type QueueOptions, StoreQueue } from './queue.js';
import { type FarmStore, type JobRow, machineOf } from './store.js';

export interface RedisQueueOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** Key prefix of the farm's BullMQ queues; farms on one Redis need their own. Default `ote`. */
  prefix: string;
}

export const REDIS_QUEUE_DEFAULTS: Omit<RedisQueueOptions, 'url'> = { prefix: 'ote' };

/** BullMQ orders smaller numbers first (1 to 2^21; 0 would mean "no priority", ahead of all); ours larger first. */
const bullPriority = (p: number) => Math.max(1, Math.min(2 ** 21, 2 ** 20 - p));

export function redisConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OteError('BAD_INPUT', `"${url}" is not a URL (redis://host:port)`, { path: '--redis' });
  }
  if (u.protocol !== 'redis:')
    throw new OteError('BAD_INPUT', `"${url}" must start with redis://`, { path: '--redis' });
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    // BullMQ's blocking calls need this; a lost connection is retried rather than failing the request.
    maxRetriesPerRequest: null,
  };
}

export class RedisQueue extends StoreQueue {
  private connection: ConnectionOptions;
  private prefix: string;
  private queues = new Map<string, Queue>();
  private takers = new Map<string, Worker>();
  /** Jobs this server holds a BullMQ lock on: id → the job and its lock token. */
  private held = new Map<string, { job: Job; token: string }>();
  /**
   * BullMQ's lock outlives the store's lease, so that when the reaper finds a lease run out the server still holds
   * the lock and can move the job itself; a lock left behind by a killed server expires after this and BullMQ's
   * stalled check puts the job back in its queue.
   */
  private lockMs: number;

  private constructor(
    store: FarmStore,
    redis: RedisQueueOptions,
    options: Partial<QueueOptions>,
    listener: QueueListener,
    now: () => number,
  ) {
    super(store, options, listener, now);
    this.connection = redisConnection(redis.url);
    this.prefix = redis.prefix;
    this.lockMs = 2 * this.options.leaseMs;
    // Jobs a stalled check releases are not announced here: waiting workers look again at least this often.
    this.maxWaitMs = this.options.leaseMs;
  }

  /**
   * Connects, and puts back in BullMQ any job the store holds as queued that BullMQ lacks (a server stopped between
   * the two writes; BullMQ ignores a job id it already has).
   */
  static async open(
    store: FarmStore,
    redis: Partial<RedisQueueOptions> & { url: string },
    options: Partial<QueueOptions> = {},
    listener: QueueListener = {},
    now: () => number = Date.now,
  ): Promise<RedisQueue> {
    const q = new RedisQueue(
      store,
      { url: redis.url, prefix: redis.prefix ?? REDIS_QUEUE_DEFAULTS.prefix },
      options,
      listener,
      now,
    );
    // A Redis that is not there is retried forever by the client: give up on it at start, with a clear error.
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        q.queue('optimize').waitUntilReady(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
        }),
      ]);
    } catch (e) {
      void q.close();
      throw new OteError('ENGINE_UNREACHABLE', `cannot reach Redis at ${redis.url}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    for (const job of store.queuedJobs()) await q.dispatchSubmitted(job);
    return q;
  }

  private queue(kind: string): Queue {
    let q = this.queues.get(kind);
    if (!q) {
      q = new Queue(`farm-${kind}`, { connection: this.connection, prefix: this.prefix });
      // BullMQ emits connection errors as events: unheard, one (a connection closed under a pending call) would
      // end the process. The calls that failed reject on their own; the client reconnects.
      q.on('error', () => {});
      this.queues.set(kind, q);
    }
    return q;
  }

  private taker(kind: string): Worker {
    let w = this.takers.get(kind);
    if (!w) {
      w = new Worker(`farm-${kind}`, null, {
        connection: this.connection,
        prefix: this.prefix,
        autorun: false,
        lockDuration: this.lockMs,
        stalledInterval: this.options.leaseMs,
        // The store counts attempts; a stall must never fail a job in BullMQ on its own.
        maxStalledCount: 1_000_000,
      });
      w.on('error', () => {});
      // Takes back jobs whose lock ran out (a server killed while it held them).
      void w.startStalledCheckTimer().catch(() => {});
      this.takers.set(kind, w);
    }
    return w;
  }

  protected override async dispatchSubmitted(job: JobRow): Promise<void> {
    await this.queue(job.kind).add(
      job.kind,
      { id: job.id },
      {
        jobId: job.id,
        priority: bullPriority(job.priority),
        delay: Math.max(0, job.notBefore - this.now()),
        // Retries are the store's (attempts, backoff): BullMQ ends a job only when told.
        attempts: 1,
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    );
  }

  protected async take(worker: string, kinds: readonly string[]): Promise<JobRow | undefined> {
    const now = this.now();
    // With the learning coordinator, the choice is the store's, as on the embedded queue (dispatch.ts): which ready
    // job this worker takes, or none when each is better left to another. BullMQ then hands that job over under a
    // lock: the jobs ahead of it are held while it is looked for, and put back in their order after.
    if (this.coordinator?.options.chooses) {
      const chosen = this.chooseFor(worker, kinds, now);
      if (!chosen) return this.backupCopy(worker, kinds, now);
      const job = await this.takeFromKind(worker, chosen.job.kind, {
        id: chosen.job.id,
        reason: chosen.decision.reason,
        within: this.coordinator.options.lookahead,
      });
      if (job?.id === chosen.job.id) this.dispatched(job, chosen.decision.reason, this.now());
      return job;
    }
    // The store knows whether a kind has a job to hand out: asking BullMQ when it has none costs a script run in
    // Redis per idle claim (a worker that just finished claims again at once), which under load delays the rest.
    const ready = this.store.readyKinds(kinds, now);
    for (const kind of kinds) {
      if (!ready.has(kind)) continue;
      const job = await this.takeFromKind(worker, kind);
      if (job) return job;
    }
    return undefined;
  }

  /**
   * The next job of `kind` BullMQ hands out that the store still holds as queued, started for `worker`. With
   * `wanted`, that job: the ones ahead of it (at most `within`) are held and put back in their order; if it is not
   * among them (BullMQ orders by priority alone, the store by deadline too; or it is delayed there), the first that
   * can be taken is.
   */
  private async takeFromKind(
    worker: string,
    kind: string,
    wanted?: { id: string; reason: string; within: number },
  ): Promise<JobRow | undefined> {
    const passed = new Set<string>();
    // Jobs held while the chosen one is looked for, in the order BullMQ gave them; the first that could be taken
    // is the fallback.
    const held: { job: Job; token: string }[] = [];
    let fallback = -1;
    let started: JobRow | undefined;
    try {
      for (;;) {
        const token = randomBytes(12).toString('hex');
        const job = await this.taker(kind).getNextJob(token, { block: false });
        if (!job?.id) break;
        const now = this.now();
        const row = this.store.job(job.id);
        if (row?.state === 'queued' && row.notBefore > now) {
          // Released early by a stalled check while the store still backs it off.
          await job.moveToDelayed(row.notBefore, token);
          continue;
        }
        if (
          row?.state === 'queued' &&
          row.avoidWorkers.includes(machineOf(worker)) &&
          now < row.notBefore + this.options.avoidMs
        ) {
          // This machine's work on the job was turned down: leave it to another. Looking for the coordinator's
          // choice, it is held with the others ahead of it; else it goes back, and the search in this kind ends
          // once it comes round again.
          if (wanted) {
            held.push({ job, token });
            if (held.length >= wanted.within) break;
            continue;
          }
          await job.moveToWait(token);
          if (passed.has(job.id)) break;
          passed.add(job.id);
          continue;
        }
        if (row?.state === 'running') {
          // Its lock ran out (the server that held it was killed) before this server's reaper found the store's
          // lease run out. Dropping it here would lose it: the reaper's retry then finds no job in BullMQ to move.
          // Back in a lease after the store's lease ends, by when the reaper has decided it.
          await job.moveToDelayed(Math.max(now, row.leaseUntil ?? now) + this.options.leaseMs, token);
          continue;
        }
        if (row?.state !== 'queued') {
          // Cancelled or failed for good while BullMQ still held it: drop it.
          await job.moveToFailed(new Error('no longer queued in the farm store'), token, false);
          continue;
        }
        if (wanted && job.id !== wanted.id) {
          // Not the coordinator's choice: held until it is found, the first of them kept as the fallback.
          if (fallback < 0) fallback = held.length;
          held.push({ job, token });
          if (held.length >= wanted.within) break;
          continue;
        }
        started = this.startHeld(job, token, worker, wanted?.reason);
        if (started) return started;
        await job.moveToFailed(new Error('no longer queued in the farm store'), token, false);
      }
      if (fallback >= 0) {
        started = this.startHeld(held[fallback].job, held[fallback].token, worker);
        if (started) held.splice(fallback, 1);
      }
      return started;
    } finally {
      // Back in BullMQ in reverse: each goes to the front of its priority, so the original order is restored.
      for (const h of held.reverse()) await h.job.moveToWait(h.token).catch(() => {});
    }
  }

  /** Starts a job BullMQ handed this server under `token`, for `worker`; undefined if the store no longer can. */
  private startHeld(job: Job, token: string, worker: string, reason?: string): JobRow | undefined {
    const now = this.now();
    const started = this.store.start(job.id!, worker, now, now + this.options.leaseMs, reason);
    if (started) this.held.set(job.id!, { job, token });
    return started;
  }

  /**
   * Lock extensions and completions are not waited for: the store has already recorded the change, and a worker's
   * request should not wait on a Redis round trip. One that fails leaves a lock to run out: the stalled check then
   * hands the job out again, and `take` drops it, since the store no longer holds it as queued.
   */
  private background(p: Promise<unknown>): void {
    p.catch(() => {});
  }

  protected override async dispatchHeartbeat(id: string): Promise<void> {
    const h = this.held.get(id);
    if (h) this.background(h.job.extendLock(h.token, this.lockMs));
  }

  protected override async dispatchEnded(id: string, retryAt?: number): Promise<void> {
    const h = this.held.get(id);
    this.held.delete(id);
    if (!h) {
      // Not taken through this server: a queued job, or one held by a server that was killed (its stalled check
      // releases it, and `take` drops it then if it has ended). A queued job is removed now. A backup copy was
      // never in BullMQ.
      const job = this.store.job(id);
      if (retryAt === undefined && job?.spec.backupOf === undefined)
        await this.queue(job?.kind ?? 'optimize').remove(id);
      return;
    }
    if (retryAt !== undefined) await h.job.moveToDelayed(retryAt, h.token);
    else if (this.store.job(id)?.state === 'completed') this.background(h.job.moveToCompleted(null, h.token, false));
    else await h.job.moveToFailed(new Error(this.store.job(id)?.reason ?? 'ended'), h.token, false);
  }

  override async close(): Promise<void> {
    await super.close();
    const closed = Promise.allSettled([
      ...[...this.takers.values()].map((w) => w.close(true)),
      ...[...this.queues.values()].map((q) => q.close()),
    ]);
    // A Redis that went away first would be waited for forever: drop the connections after a while.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), 3000);
      }),
    ]);
    clearTimeout(timer);
    if (late)
      await Promise.allSettled([
        ...[...this.takers.values()].map((w) => w.disconnect()),
        ...[...this.queues.values()].map((q) => q.disconnect()),
      ]);
  }
}
