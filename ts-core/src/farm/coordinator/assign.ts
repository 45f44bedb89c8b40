/**
 * Where a task goes (issue #19, "Assignment"): three policies over the same view of the workers.
 * - `assign`, the learning coordinator's: the worker with the least expected completion, wait until a slot is free
 *   (its queue's predicted remaining time) + predicted median / (1 − pFail), since a failed attempt costs another
 *   whole one. pFail is the attempt's: an error, or the worker lost over the hours its predicted run would span.
 *   The wait is the load balancing: a fast worker's queue makes it dearer, so it is not swamped. A worker with fewer
 *   than `minTasks` of the kind gets an optimistic median (×`optimism`) for tasks no larger than the
 *   kind's typical size, so new workers are tried, on tasks whose loss costs little if they turn out slow or flaky.
 *   Running tasks count before they end (`liveEvidence`): a task whose worker reports progress projects its total
 *   time, so a new worker that is 20× slower than its class or the pool predicted is known as such minutes into its
 *   first task, not hours later when it ends, and so is its class for members that have run nothing yet.
 * - `heuristicAssign`, the design's: argmin(latency + load × 15), latency the worker's last task time, load its tasks
 *   per slot. The baseline the coordinator must beat.
 * - `oracleAssign`: the same rule as `assign` on true figures (a simulator's), the reference for what is reachable.
 * - `backupFor` (after LATE, Zaharia et al. 2008): a task that has run past its p90 gets a copy on the idle worker
 *   expected to finish it first, if that is sooner than the straggler's predicted remaining time; the first copy to
 *   finish wins. The dispatcher caps how many run at once (`BACKUP_DEFAULTS.cap`).
 * Each returns the figures it chose by and a short reason (report.json records it, a later part).
 */
import { type CoordinatorModel, type Prediction, type Run, remainingMedian } from './model.js';

export interface Task {
  id: string;
  kind: string;
  size: number;
}

/** A task on a worker: running ones have `elapsed` seconds and the load they started at. */
export interface RunningTask {
  kind: string;
  size: number;
  load: number;
  elapsed: number;
  /** The fraction done (0..1) its worker last reported, where it reports one… */
  progress?: number;
  /**
   * …and the seconds it had run when it reported it (default `elapsed`: just now). A report read later than it was
   * made would otherwise project too long a total (the fraction of a moment ago over the time to now).
   */
  progressElapsed?: number;
}

export interface QueuedTask {
  kind: string;
  size: number;
}

/** What the dispatcher knows of a worker that can take tasks now (offline ones are left out). */
export interface WorkerView {
  id: string;
  /** Tasks it runs at once (GPUs). */
  slots: number;
  /** Its GPU load now (telemetry), 0..1. */
  load: number;
  running: RunningTask[];
  /** Assigned, not started, in the order they will start. */
  queued: QueuedTask[];
  /** Seconds its last completed task took (any kind), for the heuristic. */
  lastSeconds?: number;
  /** Its predicted wait (predictedWait), when the caller has it already. */
  wait?: number;
}

export interface AssignState {
  /** Now, in seconds (any epoch; the seconds into the hour are read with `hour`). */
  now: number;
  /** Local hour (0..23) now. */
  hour: number;
  /**
   * What the farm's running tasks say of their workers (`liveEvidence`), where the caller keeps it for all of them;
   * without it, `assign` reads it from the running tasks of the workers it is given.
   */
  live?: LiveEvidence;
}

/** A predicted run of `seconds` that starts after `wait`, for the model's chance of losing its worker on the way. */
export function runAfter(state: AssignState, wait: number, seconds: number): Run {
  const into = (((state.now % 3600) + 3600) % 3600) + wait;
  return { seconds, hour: (state.hour + Math.floor(into / 3600)) % 24, start: state.now + wait };
}

export interface Decision {
  worker: string;
  /** What the policy minimized, in seconds. */
  score: number;
  /** Predicted wait, median, p90 and failure probability (those the policy has; the heuristic has none). */
  wait?: number;
  median?: number;
  p90?: number;
  pFail?: number;
  reason: string;
}

export interface AssignOptions {
  /** Workers with fewer completed tasks of the kind than this are explored. */
  minTasks: number;
  /** Their predicted median is multiplied by this (an optimistic bonus)… */
  optimism: number;
  /** …for tasks up to this × the kind's typical size (a long task on an unknown worker is an expensive probe). */
  exploreSize: number;
  /** 1 / (1 − pFail) is capped here, so a worker that always fails is dear but finite. */
  maxPFail: number;
  /** Whether running tasks' progress counts as evidence of their workers' speed (`liveEvidence`). */
  live: boolean;
}

export const ASSIGN_DEFAULTS: AssignOptions = {
  minTasks: 3,
  optimism: 0.7,
  exploreSize: 1,
  maxPFail: 0.95,
  live: true,
};

/** Per worker: the log-ratios of its running tasks' projected times to the model's medians (`liveEvidence`). */
export type LiveEvidence = ReadonlyMap<string, readonly number[]>;

/** A running task's projected total counts once this fraction is done (earlier reports are mostly start-up)… */
export const LIVE_FROM_PROGRESS = 0.05;
/**
 * …and once it had run this many seconds at the report. A report reaches the dispatcher late by the heartbeat that
 * carries it and the claim's round trip (a farm worker's lag is up to ~0.6 s), and the time to the report over the
 * fraction inflates a total by lag / fraction: 2× at the first report of a 1 s job, under 6% after 10 s.
 */
export const LIVE_FROM_SECONDS = 10;
/** A class speaks for its members through those that have completed fewer than this (the model's levels after). */
export const LIVE_CLASS_BELOW = 3;

/**
 * What running tasks say of their workers' speed before they end: for each, log(projected total / the model's
 * median), the projection (seconds run / fraction done, at its last report) once that report is one to go by
 * (`LIVE_FROM_PROGRESS`, `LIVE_FROM_SECONDS`); without one, log(elapsed / median) once it has run past its p90 (a
 * lower bound: it has not ended yet). The model learns from ended attempts only, so without this a class of
 * machines 20× slower than the pool (volunteers) is sent task after task until its first one ends, hours later
 * (bench:coordinator's cold start).
 */
export function liveEvidence(
  running: Iterable<{ worker: string; task: RunningTask }>,
  model: CoordinatorModel,
  hour: number,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { worker, task: t } of running) {
    const p = model.predict(worker, t.kind, t.size, t.load, hour);
    const total = liveTotal(t);
    let z: number | undefined;
    if (total !== undefined) z = Math.log(total / p.median);
    else if (t.elapsed > p.p90) z = Math.log(t.elapsed / p.median);
    if (z === undefined) continue;
    const list = out.get(worker) ?? [];
    list.push(z);
    out.set(worker, list);
  }
  return out;
}

/**
 * The log-offset live evidence puts on a worker's predicted time: its own running tasks' ratios, weighed as that many
 * tasks against those it has completed (which the model's prediction already holds) and one of prior; for a worker
 * that runs nothing and has completed nothing, the ratios of its class's members that have completed fewer than
 * `LIVE_CLASS_BELOW`, weighed against one of prior. 0 where there is none.
 */
export function liveOffset(worker: string, live: LiveEvidence, model: CoordinatorModel): number {
  const own = live.get(worker);
  const done = model.completed(worker);
  if (own?.length) return sum(own) / (own.length + 1 + done);
  const group = model.group(worker);
  if (done > 0 || group === undefined) return 0;
  const zs: number[] = [];
  for (const [other, z] of live)
    if (other !== worker && model.group(other) === group && model.completed(other) < LIVE_CLASS_BELOW) zs.push(...z);
  return sum(zs) / (zs.length + 1);
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** A running task's total at its progress rate where its report is one to go by (see LIVE_FROM_*), else undefined. */
function liveTotal(t: RunningTask): number | undefined {
  const total = projectedTotal(t);
  const usable = (t.progress ?? 0) >= LIVE_FROM_PROGRESS && (t.progressElapsed ?? t.elapsed) >= LIVE_FROM_SECONDS;
  return usable && total > t.elapsed ? total : undefined;
}

/**
 * Predicted seconds until one of the worker's slots is free, its queue included (FIFO onto the first free slot). A
 * running task whose worker reports progress ends when its progress rate says.
 */
export function predictedWait(w: WorkerView, model: CoordinatorModel, hour: number): number {
  const free = new Array<number>(Math.max(1, w.slots)).fill(0);
  w.running.forEach((t, i) => {
    const total = liveTotal(t);
    free[i % free.length] +=
      total !== undefined
        ? total - t.elapsed
        : remainingMedian(model.predict(w.id, t.kind, t.size, t.load, hour), t.elapsed);
  });
  for (const t of w.queued) {
    let k = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[k]) k = i;
    free[k] += model.predict(w.id, t.kind, t.size, w.load, hour).median;
  }
  return Math.min(...free);
}

export function assign(
  task: Task,
  workers: readonly WorkerView[],
  model: CoordinatorModel,
  state: AssignState,
  options: Partial<AssignOptions> = {},
): Decision {
  const o = { ...ASSIGN_DEFAULTS, ...options };
  if (workers.length === 0) throw new Error(`assign: no workers to take task ${task.id}`);
  const typical = model.typicalSize(task.kind);
  const probe = typical === undefined || task.size <= typical * o.exploreSize;
  const live = !o.live
    ? undefined
    : (state.live ??
      liveEvidence(
        workers.flatMap((w) => w.running.map((t) => ({ worker: w.id, task: t }))),
        model,
        state.hour,
      ));
  let best: Decision | undefined;
  for (const w of workers) {
    const offset = live ? liveOffset(w.id, live, model) : 0;
    const p = shifted(model.predict(w.id, task.kind, task.size, w.load, state.hour), offset);
    const explore = probe && model.kindTasks(w.id, task.kind) < o.minTasks;
    const median = explore ? p.median * o.optimism : p.median;
    const wait = w.wait ?? predictedWait(w, model, state.hour);
    const pFail = Math.min(o.maxPFail, model.pFail(w.id, w.load, runAfter(state, wait, p.median)));
    const score = wait + median / (1 - pFail);
    if (best && score >= best.score) continue;
    best = {
      worker: w.id,
      score,
      wait,
      median: p.median,
      p90: p.p90,
      pFail,
      reason:
        `${w.id}: wait ${fmt(wait)} + median ${fmt(p.median)} (p90 ${fmt(p.p90)}, ${p.level} fit, n ${p.n.toFixed(1)}` +
        `${offset !== 0 ? `, running tasks ×${Math.exp(offset).toFixed(2)}` : ''}` +
        `${explore ? `, explored ×${o.optimism}` : ''}) / (1 − pFail ${pFail.toFixed(3)}) = ${fmt(score)}`,
    };
  }
  return best!;
}

/** A prediction with its time scaled by e^offset. */
function shifted(p: Prediction, offset: number): Prediction {
  if (offset === 0) return p;
  const k = Math.exp(offset);
  return { ...p, mu: p.mu + offset, median: p.median * k, p90: p.p90 * k };
}

export interface BackupOptions {
  /** Backup copies running at once, at most this fraction of the farm's slots (LATE's SpeculativeCap). */
  cap: number;
  /** A task is a straggler once it has run past its predicted p90 × this. */
  overrun: number;
}

export const BACKUP_DEFAULTS: BackupOptions = { cap: 0.1, overrun: 1 };

/** A running task, for `backupFor`: where it runs and since when, and the fraction done its worker reported. */
export interface Straggler extends RunningTask {
  task: Task;
  worker: string;
  progress?: number;
}

/**
 * The time a straggler has left. LATE's estimate is the progress rate: elapsed × (1 − f) / f for the fraction f its
 * worker last reported, which sees a worker that slowed down or hangs. Without one, the fit's conditional remaining
 * time, which for a tight log-normal says a task past its p90 ends soon. Taking a task past twice its p90 as off
 * its model instead (at least what it has overrun its median by) sent 6× the copies in bench:coordinator's world,
 * whose durations scatter log-normally, and made the mean 3% worse (43.4 against 42.1 min, 30 seeds).
 */
export function stragglerRemaining(s: Straggler, p: Pick<Prediction, 'mu' | 'sigma' | 'median'>): number {
  const total = projectedTotal(s);
  return total > s.elapsed ? total - s.elapsed : remainingMedian(p, s.elapsed);
}

/**
 * A running task's total time at its progress rate (the seconds it had run at its last report / the fraction it
 * reported), or its elapsed time without a usable fraction. Callers treat a total not past `elapsed` as unknown.
 */
export function projectedTotal(s: { elapsed: number; progress?: number; progressElapsed?: number }): number {
  const f = s.progress ?? 0;
  return f >= 0.02 && f < 1 ? (s.progressElapsed ?? s.elapsed) / f : s.elapsed;
}

/** The idle worker to run a backup copy of a straggler on, or undefined (not a straggler, or none would win). */
export function backupFor(
  s: Straggler,
  idle: readonly WorkerView[],
  model: CoordinatorModel,
  state: AssignState,
  options: Partial<BackupOptions & AssignOptions> = {},
): Decision | undefined {
  const o = { ...ASSIGN_DEFAULTS, ...BACKUP_DEFAULTS, ...options };
  const p = model.predict(s.worker, s.task.kind, s.task.size, s.load, state.hour);
  // A straggler has run past its p90, or, where its worker reports progress, is on course to: past its median, its
  // progress rate projects a total beyond the p90 (LATE's trigger is a slow progress rate). Where progress is
  // reported, a task whose copy would end in under half the time it still needs is copied too, whatever its own
  // worker's fit expected: a worker known to be slow (its fit learned it) is still the slow one when a fast worker
  // stands idle.
  const total = projectedTotal(s);
  const progressed = total > s.elapsed;
  const overran = s.elapsed > p.p90 * o.overrun || (s.elapsed > p.median && total > p.p90 * o.overrun);
  if (!overran && !progressed) return undefined;
  const remaining = stragglerRemaining(s, p);
  let best: Decision | undefined;
  for (const w of idle) {
    if (w.id === s.worker || w.running.length >= w.slots || w.queued.length > 0) continue;
    const q = model.predict(w.id, s.task.kind, s.task.size, w.load, state.hour);
    const pFail = Math.min(o.maxPFail, model.pFail(w.id, w.load, runAfter(state, 0, q.median)));
    const score = q.median / (1 - pFail);
    if (score >= (overran ? remaining : remaining / 2) || (best && score >= best.score)) continue;
    best = {
      worker: w.id,
      score,
      wait: 0,
      median: q.median,
      p90: q.p90,
      pFail,
      reason:
        `backup of ${s.task.id} on ${s.worker} (ran ${fmt(s.elapsed)}, ${overran ? `past its p90 ${fmt(p.p90)}` : `p90 ${fmt(p.p90)}`}, ${fmt(remaining)} to go${progressed ? ' at its progress rate' : ''}): ` +
        `${w.id} median ${fmt(q.median)} / (1 − pFail ${pFail.toFixed(3)}) = ${fmt(score)}`,
    };
  }
  return best;
}

export interface HeuristicOptions {
  /** Latency of a worker with no completed task yet. */
  defaultLatency: number;
  /** Seconds per task per slot: the design's 15. */
  loadWeight: number;
  /** Weigh load by the worker's own latency instead (latency × (1 + load)): a queue-aware variant for comparison. */
  scaleByLatency: boolean;
}

export const HEURISTIC_DEFAULTS: HeuristicOptions = { defaultLatency: 60, loadWeight: 15, scaleByLatency: false };

export function heuristicAssign(
  task: Task,
  workers: readonly WorkerView[],
  options: Partial<HeuristicOptions> = {},
): Decision {
  const o = { ...HEURISTIC_DEFAULTS, ...options };
  if (workers.length === 0) throw new Error(`heuristicAssign: no workers to take task ${task.id}`);
  let best: Decision | undefined;
  for (const w of workers) {
    const latency = w.lastSeconds ?? o.defaultLatency;
    const load = (w.running.length + w.queued.length) / Math.max(1, w.slots);
    const weight = o.scaleByLatency ? latency : o.loadWeight;
    const score = latency + load * weight;
    if (best && score >= best.score) continue;
    best = {
      worker: w.id,
      score,
      reason: `${w.id}: latency ${fmt(latency)} + load ${load.toFixed(2)} × ${fmt(weight)} = ${fmt(score)}`,
    };
  }
  return best!;
}

/** The true figures a simulator knows: expected duration and failure probability of the task there, and wait. */
export interface Truth {
  seconds(worker: string, task: Task): number;
  pFail(worker: string, task: Task): number;
  wait(worker: string): number;
}

export function oracleAssign(task: Task, workers: readonly WorkerView[], truth: Truth): Decision {
  if (workers.length === 0) throw new Error(`oracleAssign: no workers to take task ${task.id}`);
  let best: Decision | undefined;
  for (const w of workers) {
    const seconds = truth.seconds(w.id, task);
    const pFail = Math.min(ASSIGN_DEFAULTS.maxPFail, truth.pFail(w.id, task));
    const wait = truth.wait(w.id);
    const score = wait + seconds / (1 - pFail);
    if (best && score >= best.score) continue;
    best = {
      worker: w.id,
      score,
      wait,
      median: seconds,
      pFail,
      reason: `${w.id}: true wait ${fmt(wait)} + ${fmt(seconds)} / (1 − pFail ${pFail.toFixed(3)}) = ${fmt(score)}`,
    };
  }
  return best!;
}

function fmt(seconds: number): string {
  return seconds >= 100 ? `${seconds.toFixed(0)} s` : `${seconds.toFixed(1)} s`;
}
