import { planBatch, planningWorld, type BatchPlan } from '../../economy/batch.js';
import { loadPlanningInputs } from '../../economy/inputs.js';
import { loadJobs } from '../../economy/jobs-file.js';
import { OBJECTIVES, type Objective } from '../../economy/schedule.js';
import { EXIT } from '../../exit-codes.js';
import { readJsonFile } from '../../io/text-file.js';
import { parseDateTimeMs } from '../../util/duration.js';
import { choiceFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command } from '../command.js';

const USAGE =
  'ote economy plan jobs.json [--pool pool.json] [--objective cost|carbon|mix] [--traces DIR] [--at ISO] [--json]';

/** "2026-12-03 21:00Z": minutes are enough for a plan. */
const utcMinute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;

export const economyCommand: Command = {
  name: 'economy',
  summary: 'plan jobs into cheap, low-carbon windows over a priced pool of machines (Economy Offline)',
  usage: USAGE,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      pool: { type: 'string' },
      objective: { type: 'string' },
      traces: { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [action, ...args] = positionals;
    if (action !== 'plan') throw new UsageError(action ? `unknown action "${action}"` : 'missing action (plan)');
    const file = requirePositional(args, 0, 'the jobs file (JSON)');
    const objective = choiceFlag(values.objective, 'objective', OBJECTIVES, 'cost');
    const nowMs = values.at === undefined ? Date.now() : parseDateTimeMs(values.at);
    if (nowMs === undefined)
      throw new UsageError(`--at must be an ISO 8601 date-time with its zone, got "${values.at}"`);
    const jobs = loadJobs(readJsonFile(file, 'economy'), file, nowMs);
    const inputs = loadPlanningInputs({ poolFile: values.pool, tracesDir: values.traces });
    const world = planningWorld(inputs.pool, jobs, inputs.world);
    const t0 = performance.now();
    const plan = planBatch(world, jobs, { objective });
    const planningSeconds = (performance.now() - t0) / 1000;
    if (values.json)
      ctx.stdout(
        `${JSON.stringify({ objective, carbonSource: inputs.carbonSource, spotSource: inputs.spotSource, planningSeconds, ...jsonPlan(plan) }, null, 2)}\n`,
      );
    else ctx.stdout(planText(plan, objective, inputs.carbonSource, inputs.spotSource));
    return plan.jobs.some((j) => j.status !== 'ok') ? EXIT.TOO_BIG : EXIT.OK;
  },
};

/** The plan without the placements' per-interval detail (the windows carry it). */
function jsonPlan(plan: BatchPlan) {
  return {
    jobs: plan.jobs.map((j) => ({
      id: j.id,
      status: j.status,
      ...(j.refusal ? { reason: j.refusal.reason } : {}),
      ...(j.refusal?.later
        ? {
            laterDeadline: new Date(j.refusal.later.deadlineMs).toISOString(),
            laterCostUsd: j.refusal.later.result.optimized.cost,
          }
        : {}),
      ...(j.refusal?.dearer ? { ceilingNeededUsd: j.refusal.dearer.optimized.cost } : {}),
      ...(j.cheapestTaken ? { cheapestTaken: true } : {}),
      windows: j.windows.map((w) => ({
        ...w,
        from: new Date(w.fromMs).toISOString(),
        to: new Date(w.toMs).toISOString(),
      })),
      baseline: j.result.baseline,
      optimized: j.result.optimized,
      savingsPct: j.result.savingsPct,
      roiPct: j.result.roiPct,
      co2SavingsPct: j.result.co2SavingsPct,
    })),
    totals: plan.totals,
  };
}

function planText(plan: BatchPlan, objective: Objective, carbonSource: string, spotSource: string): string {
  const rows: string[][] = [
    ['job', 'status', 'windows (UTC)', 'baseline $', 'plan $', 'saved', 'ROI', 'kg CO2 base → plan'],
  ];
  for (const j of plan.jobs) {
    const r = j.result;
    const windows = j.windows.map(
      (w) => `${w.classId} ${utcMinute(w.fromMs)}–${utcMinute(w.toMs).slice(11)} ${w.tier}`,
    );
    rows.push([
      j.id,
      j.status,
      windows[0] ?? '-',
      r.baseline.cost.toFixed(2),
      j.status === 'ok' ? r.optimized.cost.toFixed(2) : '-',
      j.status === 'ok' ? `${r.savingsPct.toFixed(1)}%` : '-',
      j.status === 'ok' ? `${r.roiPct.toFixed(0)}%` : '-',
      j.status === 'ok' ? `${r.baseline.kgCo2.toFixed(3)} → ${r.optimized.kgCo2.toFixed(3)}` : '-',
    ]);
    for (const w of windows.slice(1)) rows.push(['', '', w, '', '', '', '', '']);
  }
  const t = plan.totals;
  rows.push([
    'total',
    `${t.jobs - t.infeasible}/${t.jobs} ok`,
    '',
    t.baseline.cost.toFixed(2),
    t.optimized.cost.toFixed(2),
    `${t.savingsPct.toFixed(1)}%`,
    `${t.roiPct.toFixed(0)}%`,
    `${t.baseline.kgCo2.toFixed(3)} → ${t.optimized.kgCo2.toFixed(3)}`,
  ]);
  const width = rows[0].map((_h, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) =>
    r
      .map((v, c) => v.padEnd(width[c]))
      .join('  ')
      .trimEnd(),
  );
  const refusals = plan.jobs.filter((j) => j.refusal).map((j) => `refused ${j.id}: ${j.refusal!.reason}`);
  return `${[
    `objective: ${objective}; baseline: run on submit on the default class at the standard price`,
    `carbon: ${carbonSource}`,
    `spot: ${spotSource}`,
    '',
    ...lines,
    ...(refusals.length ? ['', ...refusals] : []),
  ].join('\n')}\n`;
}
