/**
 * One admitted job's plan as report.json carries it (report/types.ts EconomyReport): figures, windows, and the
 * hourly prices, carbon and use of each class from submission to the deadline, for the chart.
 */
import type { Window } from '../economy/batch.js';
import type { JobResult, Objective } from '../economy/schedule.js';
import type { Job, World } from '../economy/world.js';
import type { EconomyReport } from './types.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function economyReport(
  w: World,
  job: Job,
  result: JobResult,
  windows: Window[],
  o: { objective: Objective; workSource: string; carbonSource: string; deferredUntilMs?: number },
): EconomyReport {
  const first = Math.max(0, Math.floor((job.submitMs - w.startMs) / w.stepMs));
  const last = Math.min(w.slots, Math.ceil((job.deadlineMs - w.startMs) / w.stepMs));
  const figures = (f: JobResult['baseline']) => ({ cost: f.cost, kWh: f.kWh, kgCo2: f.kgCo2, finish: iso(f.finishMs) });
  return {
    objective: o.objective,
    work: job.work,
    workSource: o.workSource,
    submitted: iso(job.submitMs),
    deadline: iso(job.deadlineMs),
    ...(o.deferredUntilMs !== undefined && o.deferredUntilMs > job.submitMs
      ? { deferredUntil: iso(o.deferredUntilMs) }
      : {}),
    baseline: figures(result.baseline),
    optimized: figures(result.optimized),
    savingsPct: result.savingsPct,
    roiPct: result.roiPct,
    co2SavingsPct: result.co2SavingsPct,
    windows: windows.map((x) => ({
      classId: x.classId,
      from: iso(x.fromMs),
      to: iso(x.toMs),
      hours: x.hours,
      work: x.work,
      cost: x.cost,
      kgCo2: x.kgCo2,
      tier: x.tier,
    })),
    carbonSource: o.carbonSource,
    timeline: {
      start: iso(w.startMs + first * w.stepMs),
      stepMinutes: w.stepMs / 60_000,
      classes: w.pool.classes.map((c, ci) => {
        const used = new Array<number>(last - first).fill(0);
        for (const p of result.placements)
          if (p.classId === c.id && p.slot >= first && p.slot < last) used[p.slot - first] += p.hours;
        return {
          id: c.id,
          usdPerHour: Array.from(w.rate[ci].subarray(first, last)),
          gCo2PerKWh: Array.from(w.carbon[ci].subarray(first, last)),
          usedHours: used,
        };
      }),
    },
  };
}
