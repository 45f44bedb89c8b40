/**
 * Economy Offline for one optimize run, before it starts (the farm for each job it is sent, `ote optimize
 * --deadline` for the run on this machine): the profile's cost ceiling and deadline are checked against the cheapest
 * plan (economy/admission.ts) and a run that cannot meet both is refused with that plan; a run given a deadline is
 * deferred to the plan's first window (its not-before time), and its plan goes into report.json. Runs without a
 * deadline start at once, checked against the same limits.
 */
import { planBatch, planningWorld } from '../economy/batch.js';
import { estimateOptimizeWork, type WorkEstimate } from '../economy/estimate.js';
import type { PlanningInputs } from '../economy/inputs.js';
import type { JobRequest } from '../economy/jobs-file.js';
import { baselineOf, type Objective } from '../economy/schedule.js';
import type { Profile } from '../plan/profile.js';
import { economyReport } from '../report/economy-plan.js';
import type { EconomyReport } from '../report/types.js';

export interface RunEconomyOptions {
  objective: Objective;
}

export const RUN_ECONOMY_DEFAULTS: RunEconomyOptions = { objective: 'cost' };

/** An admitted job: when it may run, and its plan when it was given a deadline. */
export type RunAdmitted = { notBefore: number; economy?: EconomyReport };
export type RunPlan = RunAdmitted | { refused: string };

export interface RunPlanRequest {
  id: string;
  /** The job's profile (its cost ceiling and deadline); absent for simulated jobs. */
  profile?: Profile;
  /** The work, when it is known (a simulated job's seconds); otherwise estimated from the profile and history. */
  workSeconds?: number;
  /** Wall seconds of earlier runs with the same profile, newest first. */
  history: readonly number[];
  /** The deadline the submitter asked for, ms. */
  deadlineMs?: number;
  priority: number;
  nowMs: number;
}

export class RunEconomy {
  readonly options: RunEconomyOptions;
  constructor(
    readonly inputs: PlanningInputs,
    options: Partial<RunEconomyOptions> = {},
  ) {
    this.options = { ...RUN_ECONOMY_DEFAULTS, ...options };
  }

  plan(r: RunPlanRequest): RunPlan {
    const est: WorkEstimate =
      r.workSeconds !== undefined
        ? { hours: r.workSeconds / 3600, source: 'the job says' }
        : estimateOptimizeWork(r.profile?.name ?? 'unnamed', r.profile?.bake.targetSeconds, r.history);
    const profileDeadline = r.profile ? r.nowMs + r.profile.cost.deadlineMinutes * 60_000 : undefined;
    const deadlineMs = Math.min(r.deadlineMs ?? Number.POSITIVE_INFINITY, profileDeadline ?? Number.POSITIVE_INFINITY);
    if (!Number.isFinite(deadlineMs)) return { notBefore: r.nowMs };
    const job: JobRequest = {
      id: r.id,
      kind: 'bake',
      work: Math.max(est.hours, 1e-6),
      submitMs: r.nowMs,
      deadlineMs,
      preemptible: false,
      priority: r.priority,
      ...(r.profile ? { ceilingUsd: r.profile.cost.ceilingUsd } : {}),
    };
    const world = planningWorld(this.inputs.pool, [job], this.inputs.world);
    const limits = `(work: ${est.hours.toFixed(3)} reference hours, ${est.source})`;
    if (r.deadlineMs === undefined) {
      // No deadline asked for: the job runs now on the default class; only the limits are checked.
      const b = baselineOf(world, job, 'tier');
      if (b.finishMs > deadlineMs)
        return {
          refused: `economy: running now it would end ${iso(b.finishMs)}, after the profile's deadline ${iso(deadlineMs)} ${limits}; give it a later deadline or a profile with a longer one`,
        };
      if (b.cost > job.ceilingUsd!)
        return {
          refused: `economy: running now costs $${b.cost.toFixed(2)}, over the profile's ceiling of $${job.ceilingUsd!.toFixed(2)} ${limits}; give it a deadline so it can wait for a cheaper window`,
        };
      return { notBefore: r.nowMs };
    }
    // At one price a run starts at once rather than wait for a little less carbon ('mix' trades the two).
    const plan = planBatch(world, [job], { objective: this.options.objective, ties: 'earliest' }).jobs[0];
    if (plan.refusal) return { refused: `economy: refused: ${plan.refusal.reason} ${limits}` };
    const notBefore = Math.max(r.nowMs, plan.windows[0]?.fromMs ?? r.nowMs);
    return {
      notBefore,
      economy: economyReport(world, job, plan.result, plan.windows, {
        objective: this.options.objective,
        workSource: est.source,
        carbonSource: this.inputs.carbonSource,
        deferredUntilMs: notBefore,
      }),
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
