/**
 * Seeded synthetic job streams for tests and bench/economy.ts: Poisson arrivals, log-normal work, deadlines spread
 * between a minimum and maximum slack. Deterministic for a seed (util/rng.ts).
 */
import { Rng } from '../util/rng.js';
import { TASK_KINDS, type TaskKind } from './pool.js';
import type { Job } from './world.js';
import { HOUR_MS } from './timeline.js';

export interface WorkloadOptions {
  seed: number | string;
  jobs: number;
  startMs: number;
  /** Mean arrivals per hour. */
  perHour: number;
  /** Log-normal work in reference hours: exp(N(mu, sigma)); the defaults give a median of 1 h and a mean of ~1.6 h. */
  workMu: number;
  workSigma: number;
  /** Work above this is clipped, so every job can finish in its window on the reference machine. */
  maxWork: number;
  /** Deadline = submit + work + slack, with the whole window drawn uniformly in [minWindowH, maxWindowH] hours. */
  minWindowH: number;
  maxWindowH: number;
  /** Share of jobs that may run on spot capacity. */
  preemptibleShare: number;
  kinds: readonly TaskKind[];
}

export const WORKLOAD_DEFAULTS: Omit<WorkloadOptions, 'startMs'> = {
  seed: 1,
  jobs: 100,
  perHour: 10,
  workMu: 0,
  workSigma: 1,
  maxWork: 24,
  minWindowH: 1,
  maxWindowH: 72,
  preemptibleShare: 0.5,
  kinds: TASK_KINDS,
};

export function syntheticJobs(options: Partial<WorkloadOptions> & { startMs: number }): Job[] {
  const o = { ...WORKLOAD_DEFAULTS, ...options };
  const rng = new Rng(o.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const jobs: Job[] = [];
  let t = o.startMs;
  for (let i = 0; i < o.jobs; i++) {
    t += (-Math.log(1 - rng.next()) / o.perHour) * HOUR_MS;
    const submitMs = Math.round(t);
    const windowH = rng.range(o.minWindowH, o.maxWindowH);
    // The window must hold the job on the reference machine with the first partial hour lost to alignment.
    const work = Math.min(Math.exp(o.workMu + o.workSigma * gauss()), o.maxWork, Math.max(0.05, windowH - 1.5));
    jobs.push({
      id: `job-${i}`,
      submitMs,
      deadlineMs: submitMs + Math.round(Math.max(windowH, work + 1.5) * HOUR_MS),
      kind: o.kinds[rng.int(o.kinds.length)],
      work,
      preemptible: rng.next() < o.preemptibleShare,
    });
  }
  return jobs;
}
