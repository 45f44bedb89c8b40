/**
 * Plans a batch of job requests online, as the farm would receive them: in arrival order, jobs arriving together by
 * priority (highest first), each admitted or refused (admission.ts) on the capacity the earlier ones left. Also the
 * world such a plan runs in (prices from the tiers, carbon from the recorded year, spot at its expected availability)
 * and the windows a plan reads as.
 */
import { type Admission, admit } from './admission.js';
import { forecastHourly } from './forecast.js';
import type { JobRequest } from './jobs-file.js';
import type { Pool } from './pool.js';
import { type JobResult, type Placement, type ScheduleOptions, Scheduler, summarize, type Totals } from './schedule.js';
import { HOUR_MS, type Tier, type Timeline, tierAt } from './timeline.js';
import { buildWorld, type World } from './world.js';

export interface PlanningWorldOptions {
  /** Carbon traces by grid region (any year: forecastHourly maps the plan's hours onto it). */
  carbon?: Record<string, Timeline>;
  /** Flat intensity (gCO2eq/kWh) for regions without a trace. */
  flatCarbon: number;
  /** Expected share of time a spot instance can be had (e.g. a spot trace's mean). */
  spotAvailability: number;
  /** Hours after the last deadline the world reaches, so a refusal can offer a later deadline. */
  slackHours: number;
}

export const PLANNING_WORLD_DEFAULTS: PlanningWorldOptions = { flatCarbon: 400, spotAvailability: 0.5, slackHours: 72 };

/** The hourly world from the earliest arrival to past the latest deadline. */
export function planningWorld(pool: Pool, jobs: JobRequest[], options: Partial<PlanningWorldOptions> = {}): World {
  const o = { ...PLANNING_WORLD_DEFAULTS, ...options };
  const startMs = Math.floor(Math.min(...jobs.map((j) => j.submitMs)) / HOUR_MS) * HOUR_MS;
  const hours = Math.ceil((Math.max(...jobs.map((j) => j.deadlineMs)) - startMs) / HOUR_MS) + o.slackHours;
  const carbon: Record<string, Timeline> = {};
  for (const c of pool.classes) {
    const tl = o.carbon?.[c.grid];
    carbon[c.grid] ??= tl
      ? forecastHourly(tl, startMs, hours)
      : { startMs, stepMs: HOUR_MS, values: new Float64Array(hours).fill(o.flatCarbon), unit: 'gCO2eq/kWh (flat)' };
  }
  const spot: Timeline = {
    startMs,
    stepMs: HOUR_MS,
    values: new Float64Array(hours).fill(o.spotAvailability),
    unit: 'spot (expected)',
  };
  return buildWorld(pool, { startMs, hours, carbon, spot });
}

/** Consecutive hours on one class, as a plan is read: where and when the work runs and at which tier. */
export interface Window {
  classId: string;
  fromMs: number;
  toMs: number;
  /** Machine-hours used. */
  hours: number;
  /** Reference hours of work done. */
  work: number;
  cost: number;
  kgCo2: number;
  /** Price tier at the window's start on the class's local clock. */
  tier: Tier;
}

/** Merges a job's placements into windows (same class, adjacent intervals). */
export function windowsOf(w: World, placements: readonly Placement[]): Window[] {
  const out: Window[] = [];
  const sorted = [...placements].sort((a, b) => a.classId.localeCompare(b.classId) || a.slot - b.slot);
  let lastSlot = -2;
  for (const p of sorted) {
    const prev = out[out.length - 1];
    // A part of an interval runs from the interval's start (or the job's arrival), back to back.
    const end = p.startMs + p.hours * w.stepMs;
    if (prev && prev.classId === p.classId && p.slot === lastSlot + 1) {
      prev.toMs = end;
      prev.hours += p.hours;
      prev.work += p.work;
      prev.cost += p.cost;
      prev.kgCo2 += p.kgCo2;
    } else {
      const cls = w.pool.classes.find((c) => c.id === p.classId)!;
      out.push({
        classId: p.classId,
        fromMs: p.startMs,
        toMs: end,
        hours: p.hours,
        work: p.work,
        cost: p.cost,
        kgCo2: p.kgCo2,
        tier: tierAt(p.startMs, cls.zone, cls.availability === 'spot'),
      });
    }
    lastSlot = p.slot;
  }
  return out.sort((a, b) => a.fromMs - b.fromMs || a.classId.localeCompare(b.classId));
}

export interface PlannedJob extends Admission {
  id: string;
  /** 'refused': over its ceiling or past its deadline; nothing was placed. */
  status: 'ok' | 'refused';
  windows: Window[];
}

export interface BatchPlan {
  /** In the requests' order. */
  jobs: PlannedJob[];
  /** Figures over the admitted jobs; `jobs` counts every request and `infeasible` the refused ones. */
  totals: Totals;
}

/** Plans `requests` on `world` online (see the file's comment). */
export function planBatch(world: World, requests: JobRequest[], options: Partial<ScheduleOptions> = {}): BatchPlan {
  const s = new Scheduler(world, options);
  const order = requests
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.submitMs - b.r.submitMs || b.r.priority - a.r.priority || a.i - b.i);
  const planned: PlannedJob[] = new Array(requests.length);
  for (const { r, i } of order) {
    const a = admit(s, r);
    planned[i] = {
      ...a,
      id: r.id,
      status: a.refusal ? 'refused' : 'ok',
      windows: a.refusal ? [] : windowsOf(world, a.result.placements),
    };
  }
  const admitted: JobResult[] = planned.filter((p) => p.status === 'ok').map((p) => p.result);
  const totals = summarize(admitted, requests);
  return { jobs: planned, totals: { ...totals, jobs: requests.length, infeasible: requests.length - admitted.length } };
}
