/**
 * The farm's state in SQLite (schema.ts): API keys, replay nonces, jobs with their queue lease, each job's ordered
 * events, and the workers seen. Only this module writes SQL. Every state change of a job and the event that tells
 * it are written in one transaction, so a client that follows the events sees each change once, in order, across
 * server restarts.
 */
import type { Sky } from '../native/transport-inputs.js';
import type { View } from '../scene/view.js';
import type { EconomyReport } from '../report/types.js';
import Database from 'better-sqlite3';
import { createHistory, pushRecord, type TaskRecord, type WorkerHistory } from './coordinator/history.js';
import { migrateFarm } from './schema.js';

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const TERMINAL_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];
/** `work` is a worker's: claim jobs, report on them, fetch scenes and store artifacts. */
export type Scope = 'submit' | 'read' | 'cancel' | 'work' | 'admin';
export const SCOPES: readonly Scope[] = ['submit', 'read', 'cancel', 'work', 'admin'];

export interface KeyRow {
  id: string;
  name: string;
  scopes: Scope[];
  secretSha256: string;
  sealedSecret: string;
  created: number;
  revoked: number | null;
}

/**
 * What a job asks for; the farm stores it as given (validated by the API's schemas first). Kinds: `optimize` (a
 * scene and a profile) and `simulated` (`simulatedSeconds` of waiting, standing in for GPU time in load tests and
 * benchmarks).
 */
export interface JobSpec {
  scene?: { hash: string; name: string };
  /** A built-in profile's name or a TD file's JSON. */
  profile?: string | Record<string, unknown>;
  verify?: boolean;
  /** An optimize job's bake: split into this many tasks; absent or 0, by its predicted time (farm/bake-tasks.ts). */
  bakeTasks?: number;
  /** Its path-traced images: split into this many tasks per batch; absent or 0, by predicted time (render-tasks.ts). */
  renderTasks?: number;
  simulatedSeconds?: number;
  /** Economy Offline's plan, when the job was given a deadline (optimize/run-economy.ts): it goes into report.json. */
  economy?: EconomyReport;
  /**
   * Added when a worker claims an optimize job on a farm that verifies (not stored): the farm's Trust Engine, which
   * the worker submits its results to.
   */
  engine?: { url: string; apiKey: { id: string; secret: string } };
  /**
   * A `bake-range` task: the covered texels [begin, end) of the bake package blob `package` (farm/bake-tasks.ts); in
   * a final gather's second pass, `gather` is the blob of the first pass's pages that its bounce rays read.
   */
  bakeRange?: { package: string; begin: number; end: number; gather?: string };
  /**
   * A backup copy (after LATE; dispatch.ts): the same work as job `backupOf`, run on another worker because that
   * job's attempt overran its predicted p90. Whichever finishes first completes the job; the other is stopped.
   */
  backupOf?: string;
  /** A `render-rows` task: bands of path-traced images of a scene package (farm/render-tasks.ts). */
  renderRows?: {
    /** The scene package's blob hash. */
    package: string;
    requests: PathtraceRequestJson[];
    bands: { request: number; begin: number; end: number }[];
    bounces: number;
    sky?: Sky;
    /** Lighting-only nodes of the package's scene (render/pathtrace.ts PathtraceOptions.cameraHidden). */
    cameraHidden?: number[];
  };
}

/** A path-traced image asked for (render/pathtrace.ts PathtraceRequest) as JSON: float32 values survive JSON. */
export interface PathtraceRequestJson {
  view: Omit<View, 'cameraToWorld'> & { cameraToWorld: number[] };
  spp: number;
  seed: number;
}

export interface JobRow {
  id: string;
  key: string;
  batch: string | null;
  kind: string;
  spec: JobSpec;
  state: JobState;
  priority: number;
  deadline: number | null;
  created: number;
  started: number | null;
  finished: number | null;
  stage: string | null;
  progress: number;
  /** When its worker reported `progress` (ms; null before its first report of this attempt). */
  progressAt: number | null;
  /** The running attempt's predicted seconds to go, from its last progress report. */
  etaSeconds: number | null;
  attempts: number;
  /** When the running (or last) attempt began. */
  attemptStarted: number | null;
  maxAttempts: number;
  notBefore: number;
  /** A task's job (the job that split itself into tasks), its place among them and its predicted seconds. */
  parent: string | null;
  taskIndex: number | null;
  predictedSeconds: number | null;
  /** Workers (machine ids: a worker id up to its first dot) this job avoids: their work on it was turned down. */
  avoidWorkers: string[];
  /** Why its running (or last) attempt went to its worker, when the learning coordinator chose (dispatch.ts). */
  dispatch: string | null;
  worker: string | null;
  leaseUntil: number | null;
  exitCode: number | null;
  reason: string | null;
  result: JobResult | null;
}

export interface JobResult {
  /** Artifact name → content hash in the blob store. */
  artifacts: Record<string, string>;
  verdict?: string;
  /** The worker that produced the artifacts, and the API key it authenticated with (absent: a local worker). */
  worker?: string;
  workerKey?: string;
}

export type JobEvent =
  | { type: 'state'; state: JobState; attempt?: number; worker?: string; reason?: string }
  | { type: 'progress'; stage: string; fraction: number; etaSeconds?: number }
  | { type: 'log'; message: string }
  | { type: 'end'; state: JobState; exitCode?: number; reason?: string };

export interface StoredEvent {
  seq: number;
  ts: number;
  event: JobEvent;
}

interface RawJob {
  id: string;
  key: string;
  batch: string | null;
  kind: string;
  spec: string;
  state: JobState;
  priority: number;
  deadline: number | null;
  created: number;
  started: number | null;
  finished: number | null;
  stage: string | null;
  progress: number;
  progress_at: number | null;
  eta: number | null;
  attempts: number;
  attempt_started: number | null;
  max_attempts: number;
  not_before: number;
  parent: string | null;
  task_index: number | null;
  predicted_seconds: number | null;
  avoid_workers: string | null;
  dispatch: string | null;
  worker: string | null;
  lease_until: number | null;
  exit_code: number | null;
  reason: string | null;
  result: string | null;
}

/** A running job's last reported fraction done and the seconds its attempt had run when it reported it. */
export function progressOf(j: Pick<JobRow, 'progress' | 'progressAt' | 'attemptStarted'>): {
  progress: number;
  progressElapsed?: number;
} {
  return j.progressAt != null && j.attemptStarted != null
    ? { progress: j.progress, progressElapsed: Math.max(0, j.progressAt - j.attemptStarted) / 1000 }
    : { progress: j.progress };
}

function toJob(r: RawJob): JobRow {
  return {
    id: r.id,
    key: r.key,
    batch: r.batch,
    kind: r.kind,
    spec: JSON.parse(r.spec),
    state: r.state,
    priority: r.priority,
    deadline: r.deadline,
    created: r.created,
    started: r.started,
    finished: r.finished,
    stage: r.stage,
    progress: r.progress,
    progressAt: r.progress_at,
    etaSeconds: r.eta,
    attempts: r.attempts,
    attemptStarted: r.attempt_started,
    maxAttempts: r.max_attempts,
    notBefore: r.not_before,
    parent: r.parent,
    taskIndex: r.task_index,
    predictedSeconds: r.predicted_seconds,
    avoidWorkers: r.avoid_workers ? JSON.parse(r.avoid_workers) : [],
    dispatch: r.dispatch,
    worker: r.worker,
    leaseUntil: r.lease_until,
    exitCode: r.exit_code,
    reason: r.reason,
    result: r.result ? JSON.parse(r.result) : null,
  };
}

/** A job's (a task's) wall time: its last attempt's, once it has ended; else null. */
export function attemptSeconds(t: JobRow): number | null {
  return t.finished !== null && t.attemptStarted !== null ? Math.max(0, t.finished - t.attemptStarted) / 1000 : null;
}

/** The machine a worker id names: the id up to its first dot (`gpu7.2`, slot 2 of `gpu7`, and its helper `gpu7.2.h`). */
export function machineOf(worker: string): string {
  const dot = worker.indexOf('.');
  return dot < 0 ? worker : worker.slice(0, dot);
}

export class FarmStore {
  readonly db: Database.Database;
  /** Called after each job event is committed (the server tells the job's WebSocket followers). */
  onEvent: (job: string) => void = () => {};
  private pending = new Set<string>();

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    migrateFarm(this.db, path);
  }

  close(): void {
    this.db.close();
  }

  /** Prepared once per statement text: preparing costs more than running on the hot paths (claim, submit). */
  private statements = new Map<string, Database.Statement>();
  private sql(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  // ---- keys -----------------------------------------------------------------------------------------------------
  addKey(k: KeyRow): void {
    this.sql(
      'INSERT INTO api_keys (id, name, scopes, secret_sha256, sealed_secret, created, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(k.id, k.name, k.scopes.join(','), k.secretSha256, k.sealedSecret, k.created, k.revoked);
  }

  key(id: string): KeyRow | undefined {
    const r = this.sql('SELECT * FROM api_keys WHERE id = ?').get(id) as Record<string, never> | undefined;
    return r && this.toKey(r);
  }

  keys(): KeyRow[] {
    return (this.sql('SELECT * FROM api_keys ORDER BY created').all() as Record<string, never>[]).map((r) =>
      this.toKey(r),
    );
  }

  revokeKey(id: string, now: number): boolean {
    return this.sql('UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL').run(now, id).changes > 0;
  }

  private toKey(r: Record<string, never>): KeyRow {
    return {
      id: r.id,
      name: r.name,
      scopes: (r.scopes as string).split(',').filter(Boolean) as Scope[],
      secretSha256: r.secret_sha256,
      sealedSecret: r.sealed_secret,
      created: r.created,
      revoked: r.revoked,
    };
  }

  private lastPrune = 0;

  /**
   * Records a nonce; false when this key already used it. Nonces older than `forgetBefore` (which the clock check
   * refuses anyway) are dropped, at most once a second.
   */
  useNonce(key: string, nonce: string, ts: number, forgetBefore: number): boolean {
    if (forgetBefore - this.lastPrune > 1000) {
      this.sql('DELETE FROM nonces WHERE ts < ?').run(forgetBefore);
      this.lastPrune = forgetBefore;
    }
    return this.sql('INSERT OR IGNORE INTO nonces (key, nonce, ts) VALUES (?, ?, ?)').run(key, nonce, ts).changes > 0;
  }

  // ---- jobs -----------------------------------------------------------------------------------------------------
  addJob(j: {
    id: string;
    key: string;
    batch?: string;
    kind: string;
    spec: JobSpec;
    priority: number;
    deadline?: number;
    maxAttempts: number;
    now: number;
    /** Held in the queue until then (Economy Offline's window); default `now`. */
    notBefore?: number;
    task?: { parent: string; index: number; predictedSeconds?: number };
  }): JobRow {
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO jobs (id, key, batch, kind, spec, state, priority, deadline, created, max_attempts, not_before,
                             parent, task_index, predicted_seconds)
           VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        j.id,
        j.key,
        j.batch ?? null,
        j.kind,
        JSON.stringify(j.spec),
        j.priority,
        j.deadline ?? null,
        j.now,
        j.maxAttempts,
        Math.max(j.now, j.notBefore ?? j.now),
        j.task?.parent ?? null,
        j.task?.index ?? null,
        j.task?.predictedSeconds ?? null,
      );
      this.appendEvent(j.id, { type: 'state', state: 'queued' }, j.now);
    })();
    return this.job(j.id)!;
  }

  job(id: string): JobRow | undefined {
    const r = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as RawJob | undefined;
    return r && toJob(r);
  }

  /**
   * Wall seconds of the last attempt of recently completed optimize jobs (not tasks) run with profile `name`, newest
   * first: the history Economy Offline estimates a new job's work from (economy/estimate.ts).
   */
  recentRunSeconds(name: string, limit = 20): number[] {
    // A job's profile is a built-in's name or a TD file's JSON with its own name; absent, BALANCED.
    const rows = this.sql(
      `SELECT finished - COALESCE(attempt_started, started) AS ms FROM jobs
         WHERE kind = 'optimize' AND state = 'completed' AND parent IS NULL AND finished IS NOT NULL
           AND COALESCE(attempt_started, started) IS NOT NULL
           AND lower(COALESCE(json_extract(spec, '$.profile.name'), json_extract(spec, '$.profile'), 'balanced')) = lower(?)
         ORDER BY finished DESC LIMIT ?`,
    ).all(name, limit) as { ms: number }[];
    return rows.map((r) => r.ms / 1000);
  }

  jobsByState(): Record<JobState, number> {
    const out: Record<JobState, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const r of this.sql('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as {
      state: JobState;
      n: number;
    }[])
      out[r.state] = r.n;
    return out;
  }

  /**
   * Leases the most urgent ready job to `worker` until `leaseUntil`: highest priority, then earliest deadline, then
   * oldest. Undefined when none is ready.
   */
  claim(worker: string, kinds: readonly string[], now: number, leaseUntil: number, avoidForMs = 0): JobRow | undefined {
    return this.db.transaction(() => {
      const [first] = this.ready(worker, kinds, now, avoidForMs, 1);
      return first && this.start(first.id, worker, now, leaseUntil);
    })();
  }

  /**
   * The ready jobs `worker` may take, most urgent first (the order claim takes them in), at most `limit`. A job
   * avoids the machines whose work on it was turned down, for avoidForMs after it was queued again: then any worker
   * may take it, so a farm of one machine still ends it.
   */
  ready(worker: string, kinds: readonly string[], now: number, avoidForMs: number, limit: number): JobRow[] {
    return (
      this.sql(
        `SELECT * FROM jobs WHERE state = 'queued' AND not_before <= ? AND kind IN (SELECT value FROM json_each(?))
           AND (avoid_workers IS NULL OR not_before + ? <= ?
                OR NOT EXISTS (SELECT 1 FROM json_each(avoid_workers) WHERE value = ?))
           ORDER BY priority DESC, deadline IS NULL, deadline, created LIMIT ?`,
      ).all(now, JSON.stringify(kinds), avoidForMs, now, machineOf(worker), limit) as RawJob[]
    ).map(toJob);
  }

  /** Jobs with tasks that have not ended: their workers wait on those tasks. */
  parentsWithOpenTasks(): Set<string> {
    const rows = this.sql(
      `SELECT DISTINCT parent FROM jobs WHERE parent IS NOT NULL AND state IN ('queued', 'running')`,
    ).all() as { parent: string }[];
    return new Set(rows.map((r) => r.parent));
  }

  /** The running jobs, each with the worker that holds it. */
  running(): JobRow[] {
    return (this.sql(`SELECT * FROM jobs WHERE state = 'running'`).all() as RawJob[]).map(toJob);
  }

  /**
   * Leases one queued job to `worker` (a distributed queue chose it). Undefined when the job is not queued (it was
   * cancelled, or has failed for good, while the queue still held it).
   */
  start(id: string, worker: string, now: number, leaseUntil: number, dispatch?: string): JobRow | undefined {
    return this.db.transaction(() => {
      const changed = this.sql(
        `UPDATE jobs SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1,
           started = COALESCE(started, ?), attempt_started = ?, stage = NULL, progress = 0, progress_at = NULL, eta = NULL,
           dispatch = ?
           WHERE id = ? AND state = 'queued'`,
      ).run(worker, leaseUntil, now, now, dispatch ?? null, id).changes;
      if (!changed) return undefined;
      const job = this.job(id)!;
      this.appendEvent(id, { type: 'state', state: 'running', attempt: job.attempts, worker }, now);
      return job;
    })();
  }

  /**
   * Starts a backup copy of running job `original` on `worker` (LATE; dispatch.ts): a job of its own (same kind,
   * key, priority and spec, `spec.backupOf` naming the original, one attempt, no parent), logged on the original.
   * Undefined when the original is no longer running.
   */
  addBackup(original: string, id: string, worker: string, now: number, leaseUntil: number, why: string) {
    return this.db.transaction(() => {
      const o = this.job(original);
      if (o?.state !== 'running') return undefined;
      this.addJob({
        id,
        key: o.key,
        kind: o.kind,
        spec: { ...o.spec, backupOf: o.id },
        priority: o.priority,
        deadline: o.deadline ?? undefined,
        maxAttempts: 1,
        now,
      });
      this.appendEvent(o.id, { type: 'log', message: `backup copy ${id} started on ${worker}: ${why}` }, now);
      return this.start(id, worker, now, leaseUntil, why);
    })();
  }

  /** Backup copies not ended: all of them, or those of job `original`. */
  openBackups(original?: string): JobRow[] {
    return (
      (original === undefined
        ? this.sql(
            `SELECT * FROM jobs WHERE json_extract(spec, '$.backupOf') IS NOT NULL AND state IN ('queued', 'running')`,
          ).all()
        : this.sql(
            `SELECT * FROM jobs WHERE json_extract(spec, '$.backupOf') = ? AND state IN ('queued', 'running')`,
          ).all(original)) as RawJob[]
    ).map(toJob);
  }

  /**
   * Completes job `original` (queued for a retry, or running on its slow worker) with the result of its backup copy
   * `backup`, which completed first; false when the original had ended. Its worker's next heartbeat is refused, so
   * it stops.
   */
  completeFromBackup(original: string, backup: JobRow, now: number): boolean {
    return this.db.transaction(() => {
      const reason = `completed by its backup copy ${backup.id} on ${backup.worker}`;
      const changed = this.sql(
        `UPDATE jobs SET state = 'completed', finished = ?, exit_code = ?, reason = ?, result = ?, lease_until = NULL,
           progress = 1 WHERE id = ? AND state IN ('queued', 'running')`,
      ).run(now, backup.exitCode ?? 0, reason, backup.result ? JSON.stringify(backup.result) : null, original).changes;
      if (changed)
        this.appendEvent(original, { type: 'end', state: 'completed', exitCode: backup.exitCode ?? 0, reason }, now);
      return changed > 0;
    })();
  }

  /** A job's tasks, by index. */
  tasks(parent: string): JobRow[] {
    return (this.sql('SELECT * FROM jobs WHERE parent = ? ORDER BY task_index').all(parent) as RawJob[]).map(toJob);
  }

  /**
   * Adds the tasks of `parent`, running on `worker`, in one transaction, after its last task; throws when the
   * parent is not `worker`'s running job. When the parent already has the same tasks in a row (same kinds and
   * specs, none failed or cancelled: an earlier attempt of the parent asked for them), those are returned instead,
   * results and all. A job asks for tasks one call at a time and waits for them, so when new tasks are made, its
   * tasks that have not ended belong to an abandoned attempt's other plan: they are returned as `superseded`, for
   * the queue to cancel. Returns the tasks in request order, and those added now.
   */
  addTasks(
    parent: string,
    worker: string,
    tasks: readonly { id: string; kind: string; spec: JobSpec; predictedSeconds?: number }[],
    maxAttempts: number,
    now: number,
  ): { tasks: JobRow[]; added: JobRow[]; superseded: string[] } {
    return this.db.transaction(() => {
      const p = this.job(parent);
      if (p?.state !== 'running' || p.worker !== worker)
        throw new Error(`job ${parent} is not running on worker ${worker}; it cannot add tasks`);
      const old = this.tasks(parent);
      const same = (had: JobRow | undefined, t: (typeof tasks)[number]) =>
        had !== undefined &&
        had.state !== 'failed' &&
        had.state !== 'cancelled' &&
        had.kind === t.kind &&
        JSON.stringify(had.spec) === JSON.stringify(t.spec);
      for (let s = 0; s + tasks.length <= old.length; s++)
        if (tasks.every((t, i) => same(old[s + i], t)))
          return { tasks: old.slice(s, s + tasks.length), added: [], superseded: [] };
      const superseded = old.filter((t) => t.state === 'queued' || t.state === 'running').map((t) => t.id);
      const first = old.reduce((m, t) => Math.max(m, (t.taskIndex ?? -1) + 1), 0);
      const added = tasks.map((t, i) =>
        this.addJob({
          id: t.id,
          key: p.key,
          kind: t.kind,
          spec: t.spec,
          priority: p.priority,
          deadline: p.deadline ?? undefined,
          maxAttempts,
          now,
          task: { parent, index: first + i, predictedSeconds: t.predictedSeconds },
        }),
      );
      return { tasks: added, added, superseded };
    })();
  }

  /** Every queued job (a distributed queue checks at start that it holds each). */
  queuedJobs(): JobRow[] {
    return (this.sql(`SELECT * FROM jobs WHERE state = 'queued'`).all() as RawJob[]).map(toJob);
  }

  /** Extends a lease; false when the job is no longer this worker's running job (cancelled, or reassigned). */
  heartbeat(id: string, worker: string, leaseUntil: number): boolean {
    return (
      this.sql(`UPDATE jobs SET lease_until = ? WHERE id = ? AND worker = ? AND state = 'running'`).run(
        leaseUntil,
        id,
        worker,
      ).changes > 0
    );
  }

  progress(id: string, worker: string, stage: string, fraction: number, etaSeconds: number | undefined, now: number) {
    this.db.transaction(() => {
      const changed = this.sql(
        `UPDATE jobs SET stage = ?, progress = ?, progress_at = ?, eta = ?
           WHERE id = ? AND worker = ? AND state = 'running'`,
      ).run(stage, fraction, now, etaSeconds ?? null, id, worker).changes;
      if (changed) this.appendEvent(id, { type: 'progress', stage, fraction, etaSeconds }, now);
    })();
  }

  log(id: string, message: string, now: number): void {
    this.db.transaction(() => this.appendEvent(id, { type: 'log', message }, now))();
  }

  /** Ends a running job of `worker`; false when it was not (cancelled meanwhile, or its lease was lost). */
  finish(
    id: string,
    worker: string,
    end: { state: 'completed' | 'failed'; exitCode?: number; reason?: string; result?: JobResult },
    now: number,
  ): boolean {
    return this.db.transaction(() => {
      const changed = this.sql(
        `UPDATE jobs SET state = ?, finished = ?, exit_code = ?, reason = ?, result = ?, lease_until = NULL,
           progress = CASE WHEN ? = 'completed' THEN 1 ELSE progress END
           WHERE id = ? AND worker = ? AND state = 'running'`,
      ).run(
        end.state,
        now,
        end.exitCode ?? null,
        end.reason ?? null,
        end.result ? JSON.stringify(end.result) : null,
        end.state,
        id,
        worker,
      ).changes;
      if (changed)
        this.appendEvent(id, { type: 'end', state: end.state, exitCode: end.exitCode, reason: end.reason }, now);
      return changed > 0;
    })();
  }

  /**
   * Puts a running job back in the queue after a failed attempt (not before `notBefore`), or fails it for good when
   * it has used its attempts. Returns what happened.
   */
  retryOrFail(
    id: string,
    reason: string,
    notBefore: number,
    now: number,
    worker?: string,
  ): 'retried' | 'failed' | 'gone' {
    return this.db.transaction(() => {
      const j = this.job(id);
      if (j?.state !== 'running' || (worker !== undefined && j.worker !== worker)) return 'gone';
      if (j.attempts >= j.maxAttempts) {
        const why = `failed on every attempt (${j.attempts}); last: ${reason}`;
        this.sql(`UPDATE jobs SET state = 'failed', finished = ?, reason = ?, lease_until = NULL WHERE id = ?`).run(
          now,
          why,
          id,
        );
        this.appendEvent(id, { type: 'end', state: 'failed', reason: why }, now);
        return 'failed';
      }
      this.sql(`UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, not_before = ? WHERE id = ?`).run(
        notBefore,
        id,
      );
      this.appendEvent(id, { type: 'state', state: 'queued', attempt: j.attempts, reason }, now);
      return 'retried';
    })();
  }

  /** Those of `kinds` that have a queued job ready to run now (its backoff over). */
  readyKinds(kinds: readonly string[], now: number): Set<string> {
    const rows = this.sql(
      `SELECT DISTINCT kind FROM jobs WHERE state = 'queued' AND not_before <= ?
         AND kind IN (SELECT value FROM json_each(?))`,
    ).all(now, JSON.stringify(kinds)) as { kind: string }[];
    return new Set(rows.map((r) => r.kind));
  }

  /** When the next backed-off job of one of `kinds` becomes ready, if one is waiting past `now`. */
  nextReady(kinds: readonly string[], now: number): number | undefined {
    const r = this.sql(
      `SELECT MIN(not_before) AS t FROM jobs WHERE state = 'queued' AND not_before > ?
         AND kind IN (SELECT value FROM json_each(?))`,
    ).get(now, JSON.stringify(kinds)) as { t: number | null };
    return r.t ?? undefined;
  }

  /** Running jobs whose lease ran out (their worker died or hangs). */
  expiredLeases(now: number): JobRow[] {
    return (this.sql(`SELECT * FROM jobs WHERE state = 'running' AND lease_until < ?`).all(now) as RawJob[]).map(toJob);
  }

  /**
   * Cancels a job that has not ended, and its tasks that have not; returns the ids cancelled (the job first; none
   * when it had ended).
   */
  cancel(id: string, now: number, reason = 'cancelled by request'): string[] {
    return this.db.transaction(() => {
      const stop = this.sql(
        `UPDATE jobs SET state = 'cancelled', finished = ?, reason = ?, lease_until = NULL
         WHERE id = ? AND state IN ('queued', 'running')`,
      );
      if (!stop.run(now, reason, id).changes) return [];
      this.appendEvent(id, { type: 'end', state: 'cancelled', reason }, now);
      const out = [id];
      for (const t of this.tasks(id))
        if (stop.run(now, `its job ${id} was cancelled`, t.id).changes) {
          this.appendEvent(t.id, { type: 'end', state: 'cancelled', reason: `its job ${id} was cancelled` }, now);
          out.push(t.id);
        }
      return out;
    })();
  }

  events(id: string, after = 0): StoredEvent[] {
    return (
      this.sql('SELECT seq, ts, data FROM events WHERE job = ? AND seq > ? ORDER BY seq').all(id, after) as {
        seq: number;
        ts: number;
        data: string;
      }[]
    ).map((r) => ({ seq: r.seq, ts: r.ts, event: JSON.parse(r.data) }));
  }

  /** Inside a transaction: the job's next event. */
  private appendEvent(id: string, event: JobEvent, now: number): void {
    const { last_seq } = this.sql('SELECT last_seq FROM jobs WHERE id = ?').get(id) as { last_seq: number };
    this.sql('UPDATE jobs SET last_seq = ? WHERE id = ?').run(last_seq + 1, id);
    // Announced once the synchronous transaction is over; a rolled-back one only costs its followers an empty read.
    if (!this.pending.size) queueMicrotask(() => this.announce());
    this.pending.add(id);
    this.sql('INSERT INTO events (job, seq, ts, data) VALUES (?, ?, ?, ?)').run(
      id,
      last_seq + 1,
      now,
      JSON.stringify(event),
    );
  }

  private announce(): void {
    const ids = [...this.pending];
    this.pending.clear();
    for (const id of ids) this.onEvent(id);
  }

  // ---- workers ----------------------------------------------------------------------------------------------------
  workerSeen(id: string, info: Record<string, unknown>, busy: boolean, now: number): void {
    this.sql(
      `INSERT INTO workers (id, info, seen, busy) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET info = excluded.info, seen = excluded.seen, busy = excluded.busy`,
    ).run(id, JSON.stringify(info), now, busy ? 1 : 0);
  }

  /** Marks a registered worker seen now (and busy or idle); unknown ids are ignored. */
  touchWorker(id: string, busy: boolean, now: number): void {
    this.sql('UPDATE workers SET seen = ?, busy = ? WHERE id = ?').run(now, busy ? 1 : 0, id);
  }

  /** Adds `worker`'s machine to the machines job `id` avoids. */
  avoid(id: string, worker: string): void {
    const j = this.job(id);
    if (!j) return;
    const m = machineOf(worker);
    if (!j.avoidWorkers.includes(m))
      this.sql('UPDATE jobs SET avoid_workers = ? WHERE id = ?').run(JSON.stringify([...j.avoidWorkers, m]), id);
  }

  /**
   * Counts a verdict on work a machine returned: accepted and rejected by the farm's verifier nodes, or invalid (no
   * certificate, a certificate the farm did not issue, or one for other bytes).
   */
  workerVerdict(worker: string, verdict: 'accepted' | 'rejected' | 'invalid'): void {
    this.sql(
      `INSERT INTO worker_verdicts (worker, ${verdict}) VALUES (?, 1)
       ON CONFLICT (worker) DO UPDATE SET ${verdict} = ${verdict} + 1`,
    ).run(machineOf(worker));
  }

  /**
   * A machine's standing: verdicts on its work, and its reputation, (accepted + 1) / (accepted + 4 × (rejected +
   * invalid) + 2): 0.5 with no history, near 1 for a record of accepted work, and each turned-down result weighs
   * as four accepted ones, so a machine that cheats now and then sinks.
   */
  reputation(worker: string): { accepted: number; rejected: number; invalid: number; reputation: number } {
    const r = (this.sql('SELECT * FROM worker_verdicts WHERE worker = ?').get(machineOf(worker)) as
      | { accepted: number; rejected: number; invalid: number }
      | undefined) ?? { accepted: 0, rejected: 0, invalid: 0 };
    const bad = r.rejected + r.invalid;
    return {
      accepted: r.accepted,
      rejected: r.rejected,
      invalid: r.invalid,
      reputation: (r.accepted + 1) / (r.accepted + 4 * bad + 2),
    };
  }

  // ---- the learning coordinator's history ------------------------------------------------------------------------
  /** Appends an ended attempt to its worker's history, keeping that worker's last `capacity` records. */
  addTaskRecord(r: TaskRecord, capacity: number): void {
    this.db.transaction(() => {
      const last = this.sql('SELECT MAX(seq) AS seq FROM task_history WHERE worker = ?').get(r.worker) as {
        seq: number | null;
      };
      const seq = (last.seq ?? 0) + 1;
      this.sql('INSERT INTO task_history (worker, seq, record) VALUES (?, ?, ?)').run(r.worker, seq, JSON.stringify(r));
      this.sql('DELETE FROM task_history WHERE worker = ? AND seq <= ?').run(r.worker, seq - capacity);
    })();
  }

  /** Every worker's history, oldest record first. */
  taskHistories(capacity: number): WorkerHistory[] {
    const out = new Map<string, WorkerHistory>();
    for (const row of this.sql('SELECT worker, record FROM task_history ORDER BY worker, seq').all() as {
      worker: string;
      record: string;
    }[]) {
      const h = out.get(row.worker) ?? createHistory(row.worker, { capacity });
      out.set(row.worker, h);
      pushRecord(h, JSON.parse(row.record) as TaskRecord);
    }
    return [...out.values()];
  }

  workers(): { id: string; info: Record<string, unknown>; seen: number; busy: boolean }[] {
    return (this.sql('SELECT * FROM workers ORDER BY id').all() as Record<string, never>[]).map((r) => ({
      id: r.id,
      info: JSON.parse(r.info),
      seen: r.seen,
      busy: !!r.busy,
    }));
  }
}
