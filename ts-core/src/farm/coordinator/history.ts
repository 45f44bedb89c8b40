/**
 * What the learning coordinator learns from (issue #19, "History"): one record per task attempt a worker ended, and
 * a ring of each worker's last 1,000 of them. Plain data (no class, no Map) so that the ring serializes to JSON as it
 * is: a later part keeps it in the farm's SQLite store so that the model survives a restart, by replaying it
 * (model.ts `CoordinatorModel.fromHistory`).
 */

/**
 * 'failed': the worker reported an error; 'lost': its lease ran out mid-attempt (preempted, offline, dead). The model
 * learns the first as a chance per attempt and the second as a hazard per second of running.
 */
export type Outcome = 'done' | 'failed' | 'lost';

/** One attempt of one task on one worker. */
export interface TaskRecord {
  worker: string;
  /** Task kind ('bake', 'splat', 'render', …): speed differs per kind, so the model fits each separately. */
  kind: string;
  /** The task's size in its kind's unit (texels, Gaussians × iterations, samples); time grows with it. */
  size: number;
  /** Start and end, in seconds (any epoch, the same for every record). */
  start: number;
  end: number;
  outcome: Outcome;
  /** The worker's GPU load (0..1) when the task started: a busy GPU is slower and, on some machines, fails. */
  load: number;
  /** The worker's local hour (0..23) at the start: networks and owners have daily rhythms. */
  hour: number;
  /** The worker's class as it registered ('datacenter', 'spot', 'volunteer', …): machines of a class share patterns. */
  group?: string;
}

export interface HistoryOptions {
  /** Records kept per worker; the oldest go first. */
  capacity: number;
}

export const HISTORY_DEFAULTS: HistoryOptions = { capacity: 1000 };

/** A worker's ring: `records` holds at most `capacity`; once full, `next` is where the next one overwrites. */
export interface WorkerHistory {
  worker: string;
  capacity: number;
  records: TaskRecord[];
  next: number;
  /** Records ever pushed, including those overwritten. */
  total: number;
}

export function createHistory(worker: string, options: Partial<HistoryOptions> = {}): WorkerHistory {
  const { capacity } = { ...HISTORY_DEFAULTS, ...options };
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`history: capacity must be a positive integer`);
  return { worker, capacity, records: [], next: 0, total: 0 };
}

/** Throws on a record that would poison a model (a NaN there spreads to every later prediction). */
export function checkRecord(r: TaskRecord): void {
  const bad = (what: string) => new Error(`history: record of ${r.worker}: ${what}`);
  if (!(r.size > 0) || !Number.isFinite(r.size)) throw bad(`size must be a positive number, not ${r.size}`);
  if (!Number.isFinite(r.start) || !Number.isFinite(r.end) || r.end < r.start)
    throw bad(`end (${r.end}) must not be before start (${r.start})`);
  if (!(r.load >= 0 && r.load <= 1)) throw bad(`load must be in 0..1, not ${r.load}`);
  if (!Number.isInteger(r.hour) || r.hour < 0 || r.hour > 23) throw bad(`hour must be an integer 0..23, not ${r.hour}`);
  if (r.group !== undefined && typeof r.group !== 'string') throw bad('group must be a string');
  if (r.outcome !== 'done' && r.outcome !== 'failed' && r.outcome !== 'lost')
    throw bad(`outcome must be 'done', 'failed' or 'lost', not ${JSON.stringify(r.outcome)}`);
}

export function pushRecord(h: WorkerHistory, r: TaskRecord): void {
  if (r.worker !== h.worker) throw new Error(`history: record of ${r.worker} pushed to the history of ${h.worker}`);
  checkRecord(r);
  if (h.records.length < h.capacity) h.records.push(r);
  else h.records[h.next] = r;
  h.next = (h.next + 1) % h.capacity;
  h.total++;
}

/** The records, oldest first. */
export function historyRecords(h: WorkerHistory): TaskRecord[] {
  if (h.records.length < h.capacity) return h.records.slice();
  return [...h.records.slice(h.next), ...h.records.slice(0, h.next)];
}

/** Reads a ring back from its JSON (as stored), checking what a model would trip on. */
export function historyFromJSON(json: string): WorkerHistory {
  const h = JSON.parse(json) as WorkerHistory;
  if (typeof h?.worker !== 'string' || !Array.isArray(h.records) || !(h.capacity >= 1) || h.records.length > h.capacity)
    throw new Error('history: not a worker history');
  for (const r of h.records) checkRecord(r);
  return h;
}
