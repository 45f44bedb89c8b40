/**
 * `ote optimize --deadline`: Economy Offline for a run on this machine. The pool is this one machine, priced as a
 * class of the pool (default `consumer`) on its own clock (the local time zone) and always available to its owner;
 * the plan picks the cheapest (or cleanest) hours before the deadline, and the run waits for them, cancellable.
 */
import type { PlanningInputs } from '../economy/inputs.js';
import { OteError } from '../errors.js';
import { RunEconomy, type RunAdmitted } from '../optimize/run-economy.js';
import type { Objective } from '../economy/schedule.js';
import type { Profile } from '../plan/profile.js';

export interface LocalRunOptions {
  /** The pool class this machine is priced as. */
  machineClass: string;
  /** IANA zone of the machine's clock; default the process's. */
  zone?: string;
  objective: Objective;
}

export function localInputs(inputs: PlanningInputs, o: LocalRunOptions): PlanningInputs {
  const cls = inputs.pool.classes.find((c) => c.id === o.machineClass);
  if (!cls)
    throw new OteError(
      'BAD_INPUT',
      `economy: --machine-class "${o.machineClass}" is not a class of the pool (${inputs.pool.classes.map((c) => c.id).join(', ')})`,
    );
  const zone = o.zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  const local = { ...cls, id: 'this-machine', zone, availability: 'always' as const, count: 1 };
  return { ...inputs, pool: { classes: [local], defaultClass: local.id } };
}

/** The plan for a run on this machine, or the refusal as an OteError (exit 4: over a budget). */
export function planLocalRun(
  inputs: PlanningInputs,
  profile: Profile,
  deadlineMs: number,
  nowMs: number,
  o: LocalRunOptions,
): RunAdmitted {
  const plan = new RunEconomy(localInputs(inputs, o), { objective: o.objective }).plan({
    id: 'this run',
    profile,
    deadlineMs,
    history: [],
    priority: 0,
    nowMs,
  });
  if ('refused' in plan) throw new OteError('TOO_BIG', plan.refused);
  return plan;
}

/** Longest single timer: Node fires a timer of more than 2^31 − 1 ms at once, so long waits go in steps. */
const STEP_MS = 6 * 3_600_000;

/** Resolves at `ms`, or rejects with CANCELLED when `signal` aborts first. */
export function waitUntil(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let t: ReturnType<typeof setTimeout> | undefined;
    const cancelled = () => {
      clearTimeout(t);
      reject(new OteError('CANCELLED', 'economy: cancelled while waiting for the planned window'));
    };
    const step = () => {
      const left = ms - Date.now();
      if (left <= 0) {
        signal.removeEventListener('abort', cancelled);
        resolve();
      } else t = setTimeout(step, Math.min(left, STEP_MS));
    };
    if (signal.aborted) return cancelled();
    signal.addEventListener('abort', cancelled, { once: true });
    step();
  });
}
