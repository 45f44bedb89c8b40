/**
 * The scheduling world: the jobs' shape, and everything known about the future per resource class and hourly
 * interval (price, carbon intensity, free machines), built from a pool, the price tiers and the traces.
 */
import { OteError } from '../errors.js';
import type { Pool, TaskKind } from './pool.js';
import {
  capacityTimeline,
  HOUR_MS,
  priceTimeline,
  resample,
  TIER_DEFAULTS,
  type Timeline,
  type TierOptions,
} from './timeline.js';

export interface Job {
  id: string;
  submitMs: number;
  deadlineMs: number;
  kind: TaskKind;
  /** Hours of work on the reference machine (speed 1.0). */
  work: number;
  /** May run on spot capacity, which can be taken away. */
  preemptible: boolean;
}

/** Everything the scheduler knows about the future, per class and interval. */
export interface World {
  pool: Pool;
  startMs: number;
  stepMs: number;
  slots: number;
  /** Per class (pool order): USD per machine-hour in each interval (cost × tier multiplier). */
  rate: Float64Array[];
  /** Per class: gCO2eq/kWh of its grid region in each interval (mean over the interval). */
  carbon: Float64Array[];
  /** Per class: machines free in each interval. */
  capacity: Float64Array[];
}

export interface WorldOptions {
  startMs: number;
  hours: number;
  /** Carbon-intensity trace per grid region used by the pool. */
  carbon: Record<string, Timeline>;
  /** Spot availability trace (0/1 ticks) for spot classes; without one spot is always available. */
  spot?: Timeline;
  tiers?: TierOptions;
}

/**
 * Builds the hourly world. The scheduler treats the carbon trace as a perfect forecast, as Wiesner et al. do in
 * their main experiments. `spot` is what the planner expects of spot capacity (the trace itself is an oracle; its
 * mean is an honest expectation, which replay.ts then runs against the real trace).
 */
export function buildWorld(pool: Pool, o: WorldOptions): World {
  if (o.startMs % HOUR_MS !== 0) throw new OteError('BAD_INPUT', 'economy: world: startMs must be on a whole UTC hour');
  const n = o.hours;
  const rate: Float64Array[] = [],
    carbon: Float64Array[] = [],
    capacity: Float64Array[] = [];
  const ci = new Map<string, Float64Array>();
  for (const c of pool.classes) {
    const trace = o.carbon[c.grid];
    if (!trace) throw new OteError('BAD_INPUT', `economy: world: no carbon trace for grid region "${c.grid}"`);
    if (!ci.has(c.grid)) ci.set(c.grid, resample(trace, o.startMs, HOUR_MS, n).values);
    const mult = priceTimeline(c, o.startMs, HOUR_MS, n, o.tiers ?? TIER_DEFAULTS).values;
    rate.push(mult.map((m) => m * c.costPerHour));
    carbon.push(ci.get(c.grid)!);
    capacity.push(capacityTimeline(c, o.startMs, HOUR_MS, n, o.spot).values);
  }
  return { pool, startMs: o.startMs, stepMs: HOUR_MS, slots: n, rate, carbon, capacity };
}

/** First and one-past-last interval that overlaps [submit, deadline] (clipped to the world). */
export function jobWindow(w: World, job: Job): [number, number] {
  const first = Math.max(0, Math.floor((job.submitMs - w.startMs) / w.stepMs));
  const last = Math.min(w.slots, Math.ceil((job.deadlineMs - w.startMs) / w.stepMs));
  return [first, Math.max(first, last)];
}

/** Share of interval t inside [submit, deadline]: the most machine-hours the job can use there. */
export function slotShare(w: World, job: Job, t: number): number {
  const a = w.startMs + t * w.stepMs;
  return Math.max(0, Math.min(a + w.stepMs, job.deadlineMs) - Math.max(a, job.submitMs)) / w.stepMs;
}
