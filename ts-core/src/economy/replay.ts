/**
 * Replays real spot preemptions against online plans. The scheduler plans spot capacity from an expectation (e.g.
 * the mean availability); the replay then runs each spot part against the actual trace (Wu et al., "Can't Be Late",
 * NSDI 2024): in interval t a spot machine works only the share of t the trace had an instance, and the work lost is
 * known at the end of t. That remainder is submitted at once as a new, non-preemptible job with the same deadline,
 * in time order with the other arrivals, so the fallback competes for capacity like any job.
 */
import { type JobResult, type Placement, Scheduler, type ScheduleOptions } from './schedule.js';
import type { Job, World } from './world.js';
import { resample, type Timeline } from './timeline.js';

export interface ReplayResult {
  /** One per original job, in arrival order; its spot parts keep their planned figures. */
  results: JobResult[];
  /** Remainders re-placed after a preemption, in the order they were submitted. */
  remainders: JobResult[];
  /** Reference hours lost to preemptions and re-placed. */
  lostWork: number;
  /** Cost of the planned spot hours that did not run (not billed) and of the remainders' placements. */
  unbilledCost: number;
  remainderCost: number;
  /** Jobs whose work, remainders included, did not all finish by their deadline. */
  misses: string[];
}

/** Plans `jobs` online on `world` (whose spot capacity is the planning expectation) and replays `actual` spot. */
export function replaySpot(
  world: World,
  jobs: Job[],
  actual: Timeline,
  options: Partial<ScheduleOptions> = {},
): ReplayResult {
  const avail = resample(actual, world.startMs, world.stepMs, world.slots).values;
  const s = new Scheduler(world, options);
  const spotIds = new Set(world.pool.classes.filter((c) => c.availability === 'spot').map((c) => c.id));
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const finish = new Map<string, number>();
  const failed = new Set<string>();
  // Pending preemption checks: at the end of a spot part's interval, what it failed to do becomes a remainder.
  const pending: { at: number; job: Job; part: Placement }[] = [];
  const out: ReplayResult = { results: [], remainders: [], lostWork: 0, unbilledCost: 0, remainderCost: 0, misses: [] };
  const record = (job: Job, r: JobResult) => {
    if (r.status !== 'ok') failed.add(job.id);
    finish.set(job.id, Math.max(finish.get(job.id) ?? 0, r.optimized.finishMs));
    for (const p of r.placements)
      if (spotIds.has(p.classId)) pending.push({ at: world.startMs + (p.slot + 1) * world.stepMs, job, part: p });
    pending.sort((a, b) => a.at - b.at);
  };
  const drain = (until: number) => {
    while (pending.length && pending[0].at <= until) {
      const { at, job, part } = pending.shift()!;
      const lost = part.work * (1 - avail[part.slot]);
      if (lost <= 1e-12) continue;
      out.lostWork += lost;
      out.unbilledCost += part.cost * (1 - avail[part.slot]);
      const orig = byId.get(job.id.replace(/#.*$/, ''))!;
      const rest: Job = { ...orig, id: `${orig.id}#${at}`, submitMs: at, work: lost, preemptible: false };
      const r = s.submit(rest);
      out.remainders.push(r);
      out.remainderCost += r.optimized.cost;
      if (r.status !== 'ok') failed.add(orig.id);
      finish.set(orig.id, Math.max(finish.get(orig.id) ?? 0, r.optimized.finishMs));
    }
  };
  for (const job of jobs) {
    drain(job.submitMs);
    const r = s.submit(job);
    out.results.push(r);
    record(job, r);
  }
  drain(Number.POSITIVE_INFINITY);
  for (const job of jobs)
    if (failed.has(job.id) || (finish.get(job.id) ?? 0) > job.deadlineMs + 1) out.misses.push(job.id);
  return out;
}
