/**
 * Admission: a job whose deadline and cost ceiling cannot both hold is refused up front, with the cheapest plan that
 * would meet both (the deadline moved out, or the ceiling raised), instead of being accepted and missing one later.
 */
import type { JobRequest } from './jobs-file.js';
import type { JobResult, Scheduler } from './schedule.js';
import { HOUR_MS } from './timeline.js';

export interface Refusal {
  reason: string;
  /** The cheapest plan that meets the ceiling with the deadline moved out, in whole hours (none within the horizon). */
  later?: { deadlineMs: number; result: JobResult };
  /** The cheapest plan that meets the deadline (its cost is the ceiling that would admit the job). */
  dearer?: JobResult;
}

export interface Admission {
  /** The plan (kept in the scheduler) when admitted; otherwise the best quote that was refused. */
  result: JobResult;
  refusal?: Refusal;
  /** The objective's plan broke the ceiling and the cheapest plan, which keeps it, was taken instead. */
  cheapestTaken?: boolean;
}

const EPS_USD = 1e-9;
const iso = (ms: number) => new Date(ms).toISOString().replace(/:00\.000Z$/, 'Z');
const usd = (x: number) => `$${x.toFixed(2)}`;

/**
 * Quotes `job` on `s`; when the quote keeps its deadline and ceiling the plan is committed, else the job is refused
 * and nothing is placed. The later deadline is searched hour by hour to the world's end (a plan's cost only falls as
 * its window grows, so the first hour that fits is the earliest).
 */
export function admit(s: Scheduler, job: JobRequest): Admission {
  const ceiling = job.ceilingUsd ?? Number.POSITIVE_INFINITY;
  const fits = (r: JobResult) => r.status === 'ok' && r.optimized.cost <= ceiling + EPS_USD;
  const r = s.quote(job);
  if (fits(r)) return { result: s.commit(r) };
  if (r.status === 'ok' && s.options.objective !== 'cost') {
    const cheap = s.quote(job, 'cost');
    if (fits(cheap)) return { result: s.commit(cheap), cheapestTaken: true };
  }
  const dearer = r.status !== 'ok' ? undefined : s.options.objective === 'cost' ? r : s.quote(job, 'cost');
  const w = s.world;
  const end = w.startMs + w.slots * w.stepMs;
  let later: Refusal['later'];
  for (let d = Math.floor(job.deadlineMs / HOUR_MS) * HOUR_MS + HOUR_MS; d <= end; d += HOUR_MS) {
    const q = s.quote({ ...job, deadlineMs: d }, 'cost');
    if (fits(q)) {
      later = { deadlineMs: d, result: q };
      break;
    }
  }
  const ways = [
    ...(dearer ? [`raise the ceiling to ${usd(dearer.optimized.cost)}`] : []),
    ...(later ? [`move the deadline to ${iso(later.deadlineMs)} (${usd(later.result.optimized.cost)})`] : []),
  ];
  const why = dearer
    ? `the cheapest plan that meets the deadline ${iso(job.deadlineMs)} costs ${usd(dearer.optimized.cost)}, over the ceiling of ${usd(ceiling)}`
    : `it cannot finish by ${iso(job.deadlineMs)}: ${r.reason}`;
  return {
    result: r,
    refusal: {
      reason: `${why}; ${ways.length ? ways.join(', or ') : 'no plan within the horizon meets both'}`,
      ...(later ? { later } : {}),
      ...(dearer ? { dearer } : {}),
    },
  };
}
