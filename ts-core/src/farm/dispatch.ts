/**
 * The learning coordinator in the farm's dispatch (issue #19): workers pull, and this decides whether the worker
 * that asks takes a ready job or leaves it to a worker expected to end it sooner.
 *
 * - With a deep backlog (more ready jobs than the other idle workers and the live workers together) the asking
 *   worker takes the most urgent job: every worker will be busy anyway, and leaving a job to another only delays it.
 * - Otherwise, for each ready job the worker may take (most urgent first), `assign` (coordinator/assign.ts) picks, among the
 *   asking worker and the live workers that run its kind and could be free before it would end the job (the
 *   soonest free few), the least wait + predicted median / (1 − pFail). The wait counts the jobs they run
 *   (predicted remaining time, or what its progress rate says) and the jobs already left to them. What the running
 *   jobs' reported progress says of their workers' speed counts before they end (assign.ts liveEvidence): a new
 *   worker, or a new class of them, that runs its first job far slower than predicted is known as such at once.
 * - Chosen itself, or another by less than `slack` and `handoverSeconds`: the worker takes it, and the job's row and events say why.
 *   Chosen another: the job is left to that worker (a reservation, until its predicted wait × 1.5 + `graceMs`; then
 *   anyone may take it, so a worker that went away holds nothing for long), which is woken if it waits, and the
 *   next ready job is tried.
 * - Every ended attempt goes into the worker's history in the farm's store (the last 1,000 per worker) and into the
 *   model; a restarted farm replays the history (CoordinatorModel.fromHistory), so it keeps what it learned.
 *
 * - A worker that asks and is given no job may get a **backup copy** of a straggler instead (after LATE, Zaharia et
 *   al. 2008; coordinator/assign.ts backupFor): a running task (by default only a split job's tasks, which its job
 *   waits on: the critical path) that has run past its predicted p90, where the asking worker is predicted to end a
 *   fresh copy before the straggler's expected remaining time; the longest-running first, with at most
 *   `backup.cap` of the live workers on backups. The copy is a job of its own (`spec.backupOf`); whichever finishes
 *   first completes the task, and the other is stopped (queue.ts).
 *
 * A live worker is one that asked for work within `liveMs`, or runs a job now. A new worker is explored (assign's
 * optimism), so none starves. Sizes are in each kind's unit (taskSize). Loads are what each worker reported when
 * it last asked for work (farm/telemetry.ts; 0 for one that reports none): the views `assign` compares carry them,
 * and an attempt's record carries its worker's load when it started (a worker asks only when idle, so the load it
 * last reported is its running attempt's), so the model learns, per worker, time against load and failures above
 * `hotLoad` apart.
 */
import {
  ASSIGN_DEFAULTS,
  type AssignOptions,
  assign,
  BACKUP_DEFAULTS,
  type BackupOptions,
  backupFor,
  CoordinatorModel,
  type Decision,
  HISTORY_DEFAULTS,
  liveEvidence,
  type ModelOptions,
  predictedWait,
  type QueuedTask,
  type Outcome,
  type TaskRecord,
  type WorkerSummary,
  type WorkerView,
} from './coordinator/index.js';
import { type FarmStore, type JobRow, progressOf } from './store.js';

export interface DispatchOptions {
  /** Whether it chooses who takes a job (false: it learns only, and the first worker to ask takes it). */
  chooses: boolean;
  /** A worker that asked for work within this many ms (or runs a job) is live: work may be left to it. */
  liveMs: number;
  /** A reservation lasts the chosen worker's predicted wait × 1.5 plus this. */
  graceMs: number;
  /** Ready jobs looked at per claim, most urgent first. */
  lookahead: number;
  /** Other workers compared per job: those free before the asking worker would end it, the soonest first. */
  maxCandidates: number;
  /** The running jobs are read from the store again after this many ms (dispatch.ts LearnedDispatch.state). */
  refreshMs: number;
  /**
   * The asking worker takes a job unless another is expected to end it more than this fraction sooner: handing it
   * over costs a wake and a claim, and near-ties are noise in the predictions.
   */
  slack: number;
  /** …and more than this many seconds sooner (what a hand-over costs: a wake, a claim, a lease). */
  handoverSeconds: number;
  /** Records kept per worker. */
  historyCapacity: number;
  /**
   * Backup copies of stragglers (LATE): `tasks` for a split job's tasks only (the default: the job waits on each),
   * `all` for any job but an optimize job (which splits itself), `off` for none.
   */
  backups: 'off' | 'tasks' | 'all';
  backup: Partial<BackupOptions>;
  assign: Partial<AssignOptions>;
  model: Partial<ModelOptions>;
}

export const DISPATCH_DEFAULTS: DispatchOptions = {
  chooses: true,
  liveMs: 10_000,
  graceMs: 10_000,
  lookahead: 16,
  maxCandidates: 8,
  refreshMs: 1_000,
  slack: 0.1,
  handoverSeconds: 0.1,
  historyCapacity: HISTORY_DEFAULTS.capacity,
  backups: 'tasks',
  backup: BACKUP_DEFAULTS,
  assign: ASSIGN_DEFAULTS,
  model: {},
};

/**
 * A job's size in its kind's unit: a bake range's texels, a render task's samples (pixels × spp), a simulated job's
 * nominal seconds; 1 for an optimize job (its time is learned per worker, not per scene).
 */
export function taskSize(job: Pick<JobRow, 'kind' | 'spec'>): number {
  const s = job.spec;
  if (s.bakeRange) return Math.max(1, s.bakeRange.end - s.bakeRange.begin);
  if (s.renderRows) {
    const { requests, bands } = s.renderRows;
    return Math.max(
      1,
      bands.reduce((a, b) => a + (b.end - b.begin) * requests[b.request].view.width * requests[b.request].spp, 0),
    );
  }
  if (job.kind === 'simulated') return Math.max(1e-3, s.simulatedSeconds ?? 0);
  return 1;
}

/** Local hour 0..23 of a time in ms. */
const hourOf = (ms: number) => new Date(ms).getHours();

export class LearnedDispatch {
  readonly options: DispatchOptions;
  readonly model: CoordinatorModel;
  /** Who asked for work when, and for which kinds. */
  private asked = new Map<string, { at: number; kinds: readonly string[] }>();
  /** The load each worker last reported (reported()). */
  private loads = new Map<string, number>();
  /** Jobs left to another worker: job id → that worker, until when, what the job is, and why. */
  private reservations = new Map<string, { worker: string; until: number; task: QueuedTask; decision: Decision }>();
  /**
   * The running jobs by worker and the workers waiting on their own tasks, read from the store at most every
   * `refreshMs` and kept current between reads by the starts and ends this process sees: a farm of hundreds of slots
   * asks for work hundreds of times a second.
   */
  private state:
    | { at: number; running: Map<string, RunningJob[]>; parents: Set<string>; live: Map<string, number[]> }
    | undefined;

  constructor(
    private store: FarmStore,
    options: Partial<DispatchOptions> = {},
  ) {
    this.options = { ...DISPATCH_DEFAULTS, ...options };
    this.model = CoordinatorModel.fromHistory(store.taskHistories(this.options.historyCapacity), this.options.model);
    for (const w of store.workers()) if (typeof w.info.class === 'string') this.model.setGroup(w.id, w.info.class);
  }

  /** A worker registered as a machine of this class: its class's figures stand for it until its own do. */
  registered(worker: string, group: string): void {
    this.model.setGroup(worker, group);
  }

  /**
   * Which of `ready` (the jobs `worker` may take, most urgent first) it takes now, and why; undefined when each is
   * better left to another worker. `left` gets the workers jobs were left to (to be woken if they wait).
   */
  choose(
    worker: string,
    kinds: readonly string[],
    ready: readonly JobRow[],
    now: number,
    left: Set<string> = new Set(),
  ): { job: JobRow; decision: Decision } | undefined {
    this.asked.set(worker, { at: now, kinds });
    if (ready.length === 0) return undefined;
    const { running, parents, live: evidence } = this.current(now);
    const live = this.liveWorkers(running, now);
    const state = { now: now / 1000, hour: hourOf(now), live: evidence };
    // What each worker is left already, built once per claim; jobs left to one during it join its queue.
    const queued = new Map<string, QueuedTask[]>();
    for (const [id, r] of this.reservations)
      if (r.until <= now) this.reservations.delete(id);
      else queued.set(r.worker, [...(queued.get(r.worker) ?? []), r.task]);
    // Each worker's free time as predicted when its jobs started (no prediction per claim: a farm of hundreds of
    // slots asks hundreds of times a second); the few candidates assign compares get exact views.
    // Cached for the claim; a worker left a job during it is computed again.
    const free = new Map<string, number>();
    const freeIn = (w: string) => {
      let t = free.get(w);
      if (t !== undefined) return t;
      t = 0;
      for (const j of running.get(w) ?? []) t = Math.max(t, j.freeAt - now);
      t /= 1000;
      for (const q of queued.get(w) ?? [])
        t += this.model.predict(w, q.kind, q.size, this.loadOf(w), state.hour).median;
      free.set(w, t);
      return t;
    };
    const viewOf = (w: string): WorkerView => {
      const view: WorkerView = {
        id: w,
        slots: 1,
        load: this.loadOf(w),
        running: w === worker ? [] : (running.get(w) ?? []).map((j) => ({ ...j, elapsed: (now - j.started) / 1000 })),
        queued: queued.get(w) ?? [],
      };
      return { ...view, wait: predictedWait(view, this.model, state.hour) };
    };
    const mine = viewOf(worker);
    // A deep backlog (more ready jobs than the other idle workers and every live worker could take one each) keeps
    // every worker busy: leaving a job to another then only delays it, so the asking worker takes the most urgent one
    // that is not held for someone else. A shallow one does not: a slow worker that took the one job waiting would
    // end it long after a fast one that frees up in a moment (a worker slowed 8× took 1 s jobs for 8 s in
    // bench:coordinator's real farm), so it is weighed as any other.
    let idle = 0;
    for (const w of live) if (w !== worker && !running.has(w) && !queued.has(w)) idle++;
    const backlog = ready.length > idle + live.size;
    for (const job of ready) {
      const r = this.reservations.get(job.id);
      if (r && r.worker === worker) {
        this.reservations.delete(job.id);
        return { job, decision: r.decision };
      }
      if (r && live.has(r.worker)) continue;
      this.reservations.delete(job.id);
      const task = { id: job.id, kind: job.kind, size: taskSize(job) };
      const own = assign(task, [mine], this.model, state, this.options.assign);
      if (backlog)
        return {
          job,
          decision: { ...own, reason: `${own.reason}; backlog: ${ready.length} ready, ${idle} other idle` },
        };
      // Who could end it sooner: free before the asking worker would end it. A worker whose job waits on its own
      // tasks is none: it ends only after them. The soonest free first, a few only.
      const others = [...live]
        .filter((w) => w !== worker && this.asked.get(w)?.kinds.includes(job.kind) !== false && !parents.has(w))
        .map((w) => ({ w, free: freeIn(w) }))
        .filter((o) => o.free < this.beaten(own.score))
        .sort((a, b) => a.free - b.free || (a.w < b.w ? -1 : 1))
        .slice(0, this.options.maxCandidates);
      if (others.length === 0) return { job, decision: own };
      // The asking worker first: a tie is its.
      const decision = assign(task, [mine, ...others.map((o) => viewOf(o.w))], this.model, state, this.options.assign);
      if (decision.worker === worker) return { job, decision };
      if (own.score <= decision.score * (1 + this.options.slack) + this.options.handoverSeconds)
        return {
          job,
          decision: {
            ...own,
            reason: `${own.reason}; within ${100 * this.options.slack}% + ${this.options.handoverSeconds} s of ${decision.worker}'s ${decision.score.toFixed(2)} s`,
          },
        };
      const queuedTask = { kind: task.kind, size: task.size };
      queued.set(decision.worker, [...(queued.get(decision.worker) ?? []), queuedTask]);
      free.delete(decision.worker);
      this.reservations.set(job.id, {
        worker: decision.worker,
        until: now + 1500 * (decision.wait ?? 0) + this.options.graceMs,
        task: queuedTask,
        decision,
      });
      left.add(decision.worker);
    }
    return undefined;
  }

  /**
   * The running job `worker` (idle: it was given no job) should run a backup copy of, and why; undefined when none
   * qualifies (see the header) or `backup.cap` of the live workers already run backups.
   */
  straggler(worker: string, kinds: readonly string[], now: number): { job: JobRow; decision: Decision } | undefined {
    if (this.options.backups === 'off') return undefined;
    const { running, parents } = this.current(now);
    // The running jobs a copy could be made of, from the state kept in memory; the store is read only if any.
    const candidates = [...running]
      .filter(([w]) => w !== worker && !parents.has(w))
      .flatMap(([w, jobs]) => jobs.map((j) => ({ w, j })))
      .filter(
        ({ j }) =>
          kinds.includes(j.kind) && !j.backup && j.kind !== 'optimize' && (this.options.backups === 'all' || j.task),
      );
    if (!candidates.length) return undefined;
    const live = this.liveWorkers(running, now);
    const backups = this.store.openBackups();
    const o = { ...BACKUP_DEFAULTS, ...this.options.backup };
    if (backups.length >= Math.max(1, Math.floor(o.cap * live.size))) return undefined;
    const backedUp = new Set(backups.map((b) => b.spec.backupOf));
    const state = { now: now / 1000, hour: hourOf(now) };
    const mine: WorkerView = { id: worker, slots: 1, load: this.loadOf(worker), running: [], queued: [] };
    // The fraction done each running job last reported, and when (its progress rate estimates its time left).
    const progress = new Map(this.store.running().map((j) => [j.id, progressOf(j)]));
    let best: { id: string; elapsed: number; decision: Decision } | undefined;
    for (const { w, j } of candidates) {
      if (backedUp.has(j.id)) continue;
      const elapsed = (now - j.started) / 1000;
      const s = {
        task: { id: j.id, kind: j.kind, size: j.size },
        worker: w,
        kind: j.kind,
        size: j.size,
        load: j.load,
        elapsed,
        ...progress.get(j.id),
      };
      const decision = backupFor(s, [mine], this.model, state, { ...this.options.assign, ...o });
      if (decision && (!best || elapsed > best.elapsed)) best = { id: j.id, elapsed, decision };
    }
    const job = best && this.store.job(best.id);
    return job?.state === 'running' && best ? { job, decision: best.decision } : undefined;
  }

  /** The score another worker must beat to be left a job the asking worker would end at `score`. */
  private beaten(score: number): number {
    return (score - this.options.handoverSeconds) / (1 + this.options.slack);
  }

  /** The load `worker` reports as it asks for work (queue.claim); kept until it reports another. */
  reported(worker: string, load: number): void {
    this.loads.set(worker, load);
  }

  /** The load `worker` last reported, if it reports any. */
  lastLoad(worker: string): number | undefined {
    return this.loads.get(worker);
  }

  private loadOf(worker: string): number {
    return this.loads.get(worker) ?? 0;
  }

  /** A job started on its worker (kept in the running state until the next read of the store). */
  started(job: JobRow, now: number): void {
    if (!this.state || !job.worker) return;
    const list = this.state.running.get(job.worker) ?? [];
    list.push(this.runningJob(job, now));
    this.state.running.set(job.worker, list);
  }

  /** An attempt ended: its record goes into the worker's history (the store) and the model. */
  ended(job: JobRow, outcome: Outcome, now: number): void {
    if (!job.worker || job.attemptStarted == null) return;
    const r: TaskRecord = {
      worker: job.worker,
      kind: job.kind,
      size: taskSize(job),
      start: job.attemptStarted / 1000,
      end: Math.max(job.attemptStarted, now) / 1000,
      outcome,
      load: this.loadOf(job.worker),
      hour: hourOf(job.attemptStarted),
      group: this.model.group(job.worker),
    };
    this.store.addTaskRecord(r, this.options.historyCapacity);
    this.model.observe(r);
    // Its running job's evidence is in the record now (the worker's other slots' comes back at the next read).
    this.state?.live.delete(job.worker);
    const list = this.state?.running.get(job.worker);
    if (list) {
      const rest = list.filter((j) => j.id !== job.id);
      if (rest.length) this.state!.running.set(job.worker, rest);
      else this.state!.running.delete(job.worker);
    }
  }

  /** What the model has learned of a worker (undefined before its first ended attempt). */
  summary(worker: string): WorkerSummary | undefined {
    return this.model.records(worker) > 0 ? this.model.summary(worker) : undefined;
  }

  /** Live workers: asked within liveMs, or running a job. */
  private liveWorkers(running: ReadonlyMap<string, RunningJob[]>, now: number): Set<string> {
    const live = new Set<string>(running.keys());
    for (const [w, a] of this.asked)
      if (now - a.at <= this.options.liveMs) live.add(w);
      else if (now - a.at > 100 * this.options.liveMs) this.asked.delete(w);
    return live;
  }

  private runningJob(j: JobRow, now: number): RunningJob {
    const started = j.attemptStarted ?? now;
    const size = taskSize(j);
    const load = this.loadOf(j.worker!);
    const median = this.model.predict(j.worker!, j.kind, size, load, hourOf(started)).median;
    return {
      id: j.id,
      kind: j.kind,
      size,
      load,
      started,
      freeAt: started + 1000 * median,
      ...progressOf(j),
      task: j.parent !== null,
      backup: j.spec.backupOf !== undefined,
    };
  }

  /** The running state, read again from the store when older than refreshMs. */
  private current(now: number): NonNullable<LearnedDispatch['state']> {
    if (this.state && now - this.state.at >= 0 && now - this.state.at < this.options.refreshMs) return this.state;
    const running = new Map<string, RunningJob[]>();
    const open = this.store.parentsWithOpenTasks();
    const parents = new Set<string>();
    for (const j of this.store.running()) {
      if (!j.worker) continue;
      const list = running.get(j.worker) ?? [];
      list.push(this.runningJob(j, now));
      running.set(j.worker, list);
      if (open.has(j.id)) parents.add(j.worker);
    }
    // What the running jobs' progress says of their workers (coordinator/assign.ts liveEvidence), once per read.
    const views = [...running].flatMap(([worker, jobs]) =>
      jobs.map((j) => ({ worker, task: { ...j, elapsed: (now - j.started) / 1000 } })),
    );
    const live = liveEvidence(views, this.model, hourOf(now));
    this.state = { at: now, running, parents, live };
    return this.state;
  }
}

/** A running job as the dispatch keeps it. */
interface RunningJob {
  id: string;
  kind: string;
  size: number;
  load: number;
  /** When its attempt started, and when it is predicted to end (its median), in ms. */
  started: number;
  freeAt: number;
  /** The fraction done its worker last reported (as of the last read of the store), and its seconds run then. */
  progress: number;
  progressElapsed?: number;
  /** A split job's task (its job waits on it), and a backup copy. */
  task: boolean;
  backup: boolean;
}
