/**
 * The exact yardstick for the online scheduler: the same placement problem, with every job known up front, written
 * as a linear program (CPLEX LP format) and solved with HiGHS compiled to WebAssembly (the `highs` package, no
 * network at run time). Placements are fractional in both, so this LP is exact for the scheduler's model, and the
 * scheduler can never score below it; the gap says how much deciding online, job by job, costs.
 *
 * Variables x_j_c_t: machine-hours job j runs on class c in interval t.
 *   min  Σ score(c,t)·x                                (scoreFn: the scheduler's own objective), x ≥ 0
 *   s.t. Σ_c,t speed(c, kind j)·x_j_c_t = work_j       every job finishes inside its window
 *        Σ_c x_j_c_t ≤ share of t inside j's window   one machine at a time per job
 *        Σ_j x_j_c_t ≤ free machines of c in t          capacity
 */
import * as highsModule from 'highs';
import { OteError } from '../errors.js';
import { canUse, SCHEDULE_DEFAULTS, type ScheduleOptions, scoreFn } from './schedule.js';
import { type Job, jobWindow, slotShare, type World } from './world.js';

export interface LpModel {
  text: string;
  /** Column name → [job index, class index, interval]. */
  vars: Map<string, [number, number, number]>;
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(12));

/** Writes the LP. Lines are wrapped (HiGHS reads long lines, other LP readers stop at 255 characters). */
export function buildLp(w: World, jobs: Job[], options: Partial<ScheduleOptions> = {}): LpModel {
  const o = { ...SCHEDULE_DEFAULTS, ...options };
  const score = scoreFn(w, o);
  const vars = new Map<string, [number, number, number]>();
  const obj: string[] = [];
  const rows: string[] = [];
  const cap = new Map<string, string[]>();
  const wrap = (name: string, terms: string[], rhs: string) => {
    const lines: string[] = [];
    for (let i = 0; i < terms.length; i += 8) lines.push(`  ${terms.slice(i, i + 8).join(' + ')}`);
    rows.push(` ${name}:\n${lines.join('\n +')}\n  ${rhs}`);
  };
  jobs.forEach((job, j) => {
    const [first, last] = jobWindow(w, job);
    const workTerms: string[] = [];
    for (let t = first; t < last; t++) {
      const hourTerms: string[] = [];
      w.pool.classes.forEach((cls, c) => {
        const sp = cls.speed[job.kind];
        if (!canUse(w, job, c, t, o) || w.capacity[c][t] <= 0) return;
        const x = `x_${j}_${c}_${t}`;
        vars.set(x, [j, c, t]);
        obj.push(`${num(score(c, t))} ${x}`);
        workTerms.push(`${num(sp)} ${x}`);
        hourTerms.push(x);
        const key = `${c}_${t}`;
        if (!cap.has(key)) cap.set(key, []);
        cap.get(key)!.push(x);
      });
      if (hourTerms.length) wrap(`h_${j}_${t}`, hourTerms, `<= ${num(slotShare(w, job, t))}`);
    }
    // An empty window still gets its row, so the model is reported infeasible rather than silently dropping the job.
    if (workTerms.length === 0) rows.push(` w_${j}: 0 x_none >= ${num(job.work)}`);
    else wrap(`w_${j}`, workTerms, `= ${num(job.work)}`);
  });
  for (const [key, xs] of cap) {
    const [c, t] = key.split('_').map(Number);
    wrap(`c_${key}`, xs, `<= ${num(w.capacity[c][t])}`);
  }
  const objLines: string[] = [];
  for (let i = 0; i < obj.length; i += 8) objLines.push(`  ${obj.slice(i, i + 8).join(' + ')}`);
  const text = ['Minimize', ` obj:\n${objLines.join('\n +') || '  0 x_none'}`, 'Subject To', ...rows, 'End', ''].join(
    '\n',
  );
  return { text, vars };
}

export interface Optimum {
  status: 'optimal' | 'infeasible';
  /** The scheduler's objective at the optimum (compare with the sum of JobResult.score). */
  score: number;
  cost: number;
  kgCo2: number;
  /** Columns of the model, for tests and reports. */
  columns: number;
  rows: number;
}

/** The part of the highs API used here. Its typings are CommonJS while Node loads its ES module, hence the cast. */
interface Solver {
  solve(text: string): { Status: string; ObjectiveValue: number; Columns: Record<string, { Primal?: number }> };
}
const loadHighs = (highsModule as unknown as { default: () => Promise<Solver> }).default;
let solver: Solver | undefined;

/** Solves the offline problem exactly; small instances only (it is one LP over every job × class × interval). */
export async function solveOptimum(w: World, jobs: Job[], options: Partial<ScheduleOptions> = {}): Promise<Optimum> {
  const model = buildLp(w, jobs, options);
  solver ??= await loadHighs();
  const r = solver.solve(model.text);
  const rows = (model.text.match(/^ [hwc]_[^:]*:/gm) ?? []).length;
  if (r.Status === 'Infeasible')
    return {
      status: 'infeasible',
      score: Number.NaN,
      cost: Number.NaN,
      kgCo2: Number.NaN,
      columns: model.vars.size,
      rows,
    };
  if (r.Status !== 'Optimal')
    throw new OteError('BAD_INPUT', `economy: optimum: HiGHS stopped with status ${r.Status}`);
  let cost = 0,
    kg = 0;
  for (const [name, col] of Object.entries(r.Columns)) {
    const at = model.vars.get(name);
    const x = col.Primal ?? 0;
    if (!at || x === 0) continue;
    const [, c, t] = at;
    cost += x * w.rate[c][t];
    kg += (x * w.pool.classes[c].powerKw * w.carbon[c][t]) / 1000;
  }
  return { status: 'optimal', score: r.ObjectiveValue, cost, kgCo2: kg, columns: model.vars.size, rows };
}
