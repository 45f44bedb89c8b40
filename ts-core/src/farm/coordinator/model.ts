/**
 * The learning coordinator's model (issue #19, "Models"): how long a task will take on a worker, and how likely the
 * attempt is to fail, learned online from the workers' history (history.ts).
 *
 * Time, per (worker, kind): log(seconds) = a + b·(log size − centre) + c·load, fitted by recursive least squares with
 * exponential forgetting (so a worker that changes is followed), plus a worker's hour-of-day offsets once it has
 * `hourFrom` tasks. The spread of each level's a-priori residuals gives a log-normal: median = e^μ, p90 = median ·
 * e^(1.2816 σ). Levels shrink into each other ("heuristics first, patterns after 10, …", the issue): before any task of
 * a kind, a prior of seconds per unit; then the pool's fit of the kind (all workers); its group's (the class the
 * worker registered) offset from the pool for the kind, shrunk by the group's count; the worker's offset from its
 * group (all its kinds) from ~3 tasks; the (worker, kind) fit, weighed n / (n + k) with k the kind's ratio of task
 * scatter to workers' spread around the level above (empirical Bayes: a fit is trusted as soon as its scatter
 * allows, 2–5 tasks in bench:coordinator's world); its hour offsets from 100.
 *
 * Failure, per worker, of two kinds that the farm tells apart:
 * - an error (the worker reported the attempt failed): Beta-Bernoulli counts in two load buckets (above `hotLoad` or
 *   not), forgotten with a half-life of 50 of the bucket's tasks, under a Beta prior centred on the pool's rate of that
 *   bucket. A chance per attempt, whatever its length;
 * - a loss (its lease ran out: the machine was preempted, went offline or died): a hazard per second of running, with
 *   Gamma-Poisson counts (losses over seconds exposed) per worker and per local hour of day, each shrunk towards the
 *   level above (hour → worker → its group, the class it registered → pool). So a long task on a spot machine is riskier than a short one, and a volunteer
 *   that goes offline each morning is risky for a task that would run into that hour. An attempt's failure
 *   probability is 1 − (1 − p_error)·exp(−∫ hazard over its predicted run).
 *
 * Drift: a one-sided CUSUM of the worker's standardized residuals flags a worker that has become slower, and a
 * Bernoulli CUSUM one whose errors have risen; either way its evidence from before counts `driftKeep` of itself.
 * Measured: a worker whose speed halves is flagged after a median 3 of its tasks, at most 5 (bench/coordinator.ts,
 * 30 seeds; 0.2 false alarms per run over 50 workers); one whose failure rate goes from 2% to 50% is flagged after
 * 2–9 attempts and its pFail passes 0.25 after 12–36, against 37–64 on the half-life alone (10 seeds in
 * test/farm/coordinator.test.ts).
 *
 * A model of our own rather than an npm library: what is needed is a 3-parameter RLS with forgetting, a residual
 * variance and Beta counts; `ml-regression` and `simple-statistics` fit batches, not online with forgetting, and
 * would add a dependency the farm's dispatcher must carry for a few dozen lines of algebra.
 */
import { checkRecord, historyRecords, type TaskRecord, type WorkerHistory } from './history.js';

export interface ModelOptions {
  /** Forgetting per task of a worker's fits and spreads: 0.98 keeps ~50 tasks of memory, so slow drift is followed. */
  forgetting: number;
  /** The pool's fits (all workers, per kind) forget per task of the pool: slower, they average every worker. */
  poolForgetting: number;
  /** The worker's offset from its group replaces the group's level from this many (effective) tasks; blended before. */
  workerFrom: number;
  /**
   * A (worker, kind) fit of n tasks weighs n / (n + k) against the level above. k is the ratio of one task's spread to
   * the spread of workers' kind fits around that level (empirical Bayes), estimated per kind from the a-priori
   * residuals of both once `kindRatioFrom` (effective) pairs are in, within `kindRatio`; this k stands until then.
   */
  kindPrior: number;
  kindRatioFrom: number;
  kindRatio: readonly [number, number];
  /** Hour-of-day offsets are applied once the worker has ended this many tasks. */
  hourFrom: number;
  /** Pseudo-tasks with which a level's residual spread shrinks towards the level above's. */
  spreadPrior: number;
  /** Before any task of a kind has been seen: seconds per unit of size, and the log-spread. */
  priorSecondsPerUnit: number;
  priorSigma: number;
  /**
   * RLS prior variances of intercept, log-size slope and load coefficient around the level above's values, in units
   * of the residual variance (RLS's recursion takes the noise variance as 1).
   */
  priorVariance: readonly [number, number, number];
  /** Failure counts of a bucket halve over this many of the bucket's tasks. */
  failHalfLife: number;
  poolFailHalfLife: number;
  /** Strength (pseudo-attempts) of the pool's rate as a worker's Beta prior. */
  failPriorStrength: number;
  /** Loss counts (and seconds exposed) halve over this many of the worker's records; the pool's over its own. */
  lossHalfLife: number;
  poolLossHalfLife: number;
  /** Before the pool has seen any running time: the mean seconds between losses assumed, and its strength in losses. */
  lossPriorSeconds: number;
  /** Pseudo-losses at the level above's rate: the pool's in a worker's hazard, the worker's in each hour's. */
  lossPriorStrength: number;
  lossHourPrior: number;
  /** Load above which an attempt falls in the "hot" failure bucket (the design's "fails 20% when GPU load > 95%"). */
  hotLoad: number;
  /** Slowdown CUSUM: slack k and threshold h on standardized residuals, each clipped to `cusumClip` (so one outlier
   * cannot raise it alone: with 3, 5 needs three tasks in a row 2.2 σ above), counted once the worker has
   * `cusumFrom` (effective) tasks, before which its predictions are mostly the pool's. */
  cusumSlack: number;
  cusumThreshold: number;
  cusumClip: number;
  cusumFrom: number;
  /** Failure CUSUM: log-likelihood ratio of rate p + `failShift` against the predicted p; flags at this threshold. */
  failShift: number;
  failThreshold: number;
  /** On a flag, the worker's evidence from before counts this much (faster forgetting, at once). */
  driftKeep: number;
}

export const MODEL_DEFAULTS: ModelOptions = {
  forgetting: 0.98,
  poolForgetting: 0.995,
  workerFrom: 3,
  kindPrior: 2,
  kindRatioFrom: 20,
  kindRatio: [0.25, 10],
  hourFrom: 100,
  spreadPrior: 3,
  priorSecondsPerUnit: 1,
  priorSigma: 0.7,
  priorVariance: [4, 0.5, 4],
  failHalfLife: 50,
  poolFailHalfLife: 500,
  failPriorStrength: 8,
  lossHalfLife: 50,
  poolLossHalfLife: 500,
  lossPriorSeconds: 86400,
  lossPriorStrength: 1,
  lossHourPrior: 0.5,
  hotLoad: 0.95,
  cusumSlack: 0.5,
  cusumThreshold: 5,
  cusumClip: 3,
  cusumFrom: 5,
  failShift: 0.2,
  failThreshold: 4,
  driftKeep: 0.25,
};

/** z of the 90th percentile of a standard normal. */
export const Z90 = 1.2816;

export interface Prediction {
  /** Log of the median, and the log-spread. */
  mu: number;
  sigma: number;
  median: number;
  p90: number;
  /** The model's confidence: effective tasks of this kind behind the (worker, kind) fit (0 for a new worker). */
  n: number;
  /** The deepest level that contributed: 'prior' (nothing of the kind yet), 'pool', 'worker' or 'kind'. */
  level: 'prior' | 'pool' | 'worker' | 'kind';
  /** Whether an hour-of-day offset was applied. */
  hour: boolean;
}

export interface DriftEvent {
  worker: string;
  /** 'slower': durations above prediction; 'failing': failures above the predicted rate. */
  what: 'slower' | 'failing';
  /** End of the record that raised it, and the worker's records ended by then. */
  at: number;
  records: number;
}

/** A worker's learned figures, for `ote farm workers` (a later part). */
export interface WorkerSummary {
  worker: string;
  records: number;
  done: number;
  /** Per kind: predicted median seconds per unit at the kind's central size and no load, and the confidence. */
  kinds: { kind: string; secondsPerUnit: number; n: number }[];
  /** Chance that an attempt ends in an error, at normal and at hot load. */
  pFail: { normal: number; hot: number };
  /** Its losses (lease ran out) per hour of running, over all hours of the day. */
  lossPerHour: number;
  drifts: DriftEvent[];
}

/**
 * An attempt's predicted run, for its chance of being lost: its seconds, the local hour it starts in, and its start
 * in seconds of any epoch (only the seconds into the hour are read, so time zones of whole hours are fine).
 */
export interface Run {
  seconds: number;
  hour: number;
  start: number;
}

/** Recursive least squares with forgetting, 3 parameters; P in units of the noise variance. */
class Rls {
  readonly theta: number[];
  readonly p: number[];
  private readonly pMax: readonly number[];
  /** Effective observations: Σ λ^age. */
  n = 0;

  constructor(theta: number[], pDiag: readonly number[]) {
    this.theta = theta.slice();
    this.p = [pDiag[0], 0, 0, 0, pDiag[1], 0, 0, 0, pDiag[2]];
    this.pMax = pDiag.slice();
  }

  predict(x: readonly number[]): number {
    return this.theta[0] * x[0] + this.theta[1] * x[1] + this.theta[2] * x[2];
  }

  update(x: readonly number[], y: number, lambda: number): void {
    const p = this.p;
    const px = [
      p[0] * x[0] + p[1] * x[1] + p[2] * x[2],
      p[3] * x[0] + p[4] * x[1] + p[5] * x[2],
      p[6] * x[0] + p[7] * x[1] + p[8] * x[2],
    ];
    const denom = lambda + x[0] * px[0] + x[1] * px[1] + x[2] * px[2];
    const e = y - this.predict(x);
    for (let i = 0; i < 3; i++) this.theta[i] += (px[i] / denom) * e;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) p[i * 3 + j] = (p[i * 3 + j] - (px[i] * px[j]) / denom) / lambda;
    this.n = lambda * this.n + 1;
    this.bound();
  }

  /** Forgets at once: evidence counts `keep` of itself. */
  discount(keep: number): void {
    for (let i = 0; i < 9; i++) this.p[i] /= keep;
    this.n *= keep;
    this.bound();
  }

  /**
   * Forgetting with an input that does not vary (a worker always at the same load) inflates P without bound in that
   * direction ("wind-up"). Each variance is held to its prior by scaling its row and column (D·P·D, which keeps P
   * positive definite), so the directions the data do inform keep their gain; scaling all of P would freeze them.
   */
  private bound(): void {
    const d = [0, 1, 2].map((i) => Math.min(1, Math.sqrt(this.pMax[i] / this.p[i * 4])));
    if (d[0] === 1 && d[1] === 1 && d[2] === 1) return;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) this.p[i * 3 + j] *= d[i] * d[j];
  }
}

/** An exponentially weighted mean of squares: a residual variance. */
interface Spread {
  s2: number;
  n: number;
}

function addSquare(s: Spread, e: number, lambda: number): void {
  const w = lambda * s.n;
  s.s2 = (w * s.s2 + e * e) / (w + 1);
  s.n = w + 1;
}

interface PoolKind {
  rls: Rls;
  /** log size that the fits of this kind centre on (the first one seen), for conditioning. */
  centre: number;
  spread: Spread;
  /** Running mean of log size over the kind's completed tasks (the pool's forgetting). */
  logSize: number;
  /** A-priori residuals of workers' kind fits and of their level above, where both predicted: for `kindPrior`. */
  residuals: { kind: Spread; above: Spread };
}

interface KindFit {
  rls: Rls;
  spread: Spread;
  done: number;
}

/** Failure counts (forgotten): [failed, done]. */
type Counts = [number, number];

/** Loss counts (forgotten): losses and the seconds of running they came in, overall and per local hour of day. */
interface LossCounts {
  losses: number;
  exposure: number;
  hourLosses: number[];
  hourExposure: number[];
}

interface WorkerState {
  records: number;
  done: number;
  /** The worker's offset from its group's level (the pool's, without a group) in log time, all kinds; its count. */
  bias: number;
  biasN: number;
  spread: Spread;
  kinds: Map<string, KindFit>;
  hour: number[];
  hourN: number[];
  fail: [Counts, Counts];
  loss: LossCounts;
  cusum: number;
  failCusum: number;
  drifts: DriftEvent[];
}

/** A group's (a worker class's) offset from the pool for one kind, in log time, with its count and spread. */
interface GroupKind {
  bias: number;
  n: number;
  spread: Spread;
}

interface Parts extends Prediction {
  x: number[];
  poolMu: number;
  groupMu: number;
  fallbackMu: number;
  kindMu: number | undefined;
  wW: number;
  hourAdj: number;
}

export class CoordinatorModel {
  readonly options: ModelOptions;
  private readonly pool = new Map<string, PoolKind>();
  private readonly workers = new Map<string, WorkerState>();
  private readonly poolFail: [Counts, Counts] = [
    [0, 0],
    [0, 0],
  ];
  private readonly poolLoss = { losses: 0, exposure: 0 };
  private readonly groupLoss = new Map<string, LossCounts>();
  private readonly groupOf = new Map<string, string>();
  private readonly groupTime = new Map<string, Map<string, GroupKind>>();
  private readonly failLambda: number;
  private readonly poolFailLambda: number;
  private readonly lossLambda: number;
  private readonly poolLossLambda: number;
  private readonly driftLog: DriftEvent[] = [];

  constructor(options: Partial<ModelOptions> = {}) {
    this.options = { ...MODEL_DEFAULTS, ...options };
    const o = this.options;
    if (!(o.forgetting > 0 && o.forgetting <= 1 && o.poolForgetting > 0 && o.poolForgetting <= 1))
      throw new Error('model: forgetting factors must be in (0, 1]');
    if (!(o.driftKeep > 0 && o.driftKeep <= 1)) throw new Error('model: driftKeep must be in (0, 1]');
    this.failLambda = 0.5 ** (1 / o.failHalfLife);
    this.poolFailLambda = 0.5 ** (1 / o.poolFailHalfLife);
    this.lossLambda = 0.5 ** (1 / o.lossHalfLife);
    this.poolLossLambda = 0.5 ** (1 / o.poolLossHalfLife);
  }

  /** A model that has observed these histories' records, in the order they ended (the state after a restart). */
  static fromHistory(histories: WorkerHistory[], options: Partial<ModelOptions> = {}): CoordinatorModel {
    const m = new CoordinatorModel(options);
    const all = histories.flatMap(historyRecords);
    // Stable: records ending together keep their workers' order.
    all.sort((a, b) => a.end - b.end);
    for (const r of all) m.observe(r);
    return m;
  }

  /** Every drift flag raised so far, oldest first. */
  get drifts(): readonly DriftEvent[] {
    return this.driftLog;
  }

  /** Records this worker has ended (0 for one never seen). */
  records(worker: string): number {
    return this.workers.get(worker)?.records ?? 0;
  }

  /** Tasks this worker has completed (any kind). */
  completed(worker: string): number {
    return this.workers.get(worker)?.done ?? 0;
  }

  /** Tasks of this kind this worker has completed (all of them, not the forgotten count of the confidence). */
  kindTasks(worker: string, kind: string): number {
    return this.workers.get(worker)?.kinds.get(kind)?.done ?? 0;
  }

  /** The kind's typical size (geometric mean of recent ones), or undefined before one has completed. */
  typicalSize(kind: string): number | undefined {
    const pk = this.pool.get(kind);
    return pk ? Math.exp(pk.logSize) : undefined;
  }

  predict(worker: string, kind: string, size: number, load: number, hour: number): Prediction {
    const { mu, sigma, median, p90, n, level, hour: h } = this.parts(worker, kind, size, load, hour);
    return { mu, sigma, median, p90, n, level, hour: h };
  }

  /**
   * Probability that an attempt started on this worker at this load fails: ends in an error, or, given its predicted
   * `run`, is lost on the way (without `run`, errors alone).
   */
  pFail(worker: string, load: number, run?: Run): number {
    const pError = this.pError(worker, load);
    return run ? 1 - (1 - pError) * Math.exp(-this.lossHazard(worker, run)) : pError;
  }

  /** Probability that an attempt on this worker at this load ends in an error (posterior mean). */
  pError(worker: string, load: number): number {
    const b = load > this.options.hotLoad ? 1 : 0;
    const p0 = this.poolRate(b);
    const c = this.workers.get(worker)?.fail[b];
    const m = this.options.failPriorStrength;
    return c ? (c[0] + m * p0) / (c[0] + c[1] + m) : p0;
  }

  /** Probability that the worker is lost (its lease runs out) during this run. */
  pLost(worker: string, run: Run): number {
    return -Math.expm1(-this.lossHazard(worker, run));
  }

  /**
   * Expected losses over the run: the worker's hazard of each local hour it runs through, times its seconds there.
   * Each rate is shrunk towards the level above: the pool's, its group's (machines of one class share their
   * preemptions and owners' hours), the group's at that hour scaled by how this worker differs from its group.
   */
  private lossHazard(worker: string, run: Run): number {
    const b = this.options.lossHourPrior;
    const { group, rateG, loss, rateW } = this.lossLevels(worker);
    let sum = 0;
    overHours(run.hour, run.start, run.seconds, (h, s) => {
      const rateGH = group ? gammaMean(group.hourLosses[h], group.hourExposure[h], rateG, b) : rateG;
      const prior = (rateGH * rateW) / rateG;
      sum += s * (loss ? gammaMean(loss.hourLosses[h], loss.hourExposure[h], prior, b) : prior);
    });
    return sum;
  }

  /**
   * Losses per second of running at each level over all hours, each shrunk towards the one above: the pool's
   * (towards one per `lossPriorSeconds`), the worker's group's, the worker's; with the counts of the last two.
   */
  private lossLevels(worker: string): { group?: LossCounts; rateG: number; loss?: LossCounts; rateW: number } {
    const o = this.options;
    const a = o.lossPriorStrength;
    const pool = gammaMean(this.poolLoss.losses, this.poolLoss.exposure, 1 / o.lossPriorSeconds, a);
    const group = this.groupLoss.get(this.groupOf.get(worker) ?? '');
    const rateG = group ? gammaMean(group.losses, group.exposure, pool, a) : pool;
    const loss = this.workers.get(worker)?.loss;
    const rateW = loss ? gammaMean(loss.losses, loss.exposure, rateG, a) : rateG;
    return { group, rateG, loss, rateW };
  }

  /** Counts the record's running time, and its loss, into the worker's hours, its group's and the pool. */
  private countLoss(ws: WorkerState, r: TaskRecord): void {
    const lost = r.outcome === 'lost' ? 1 : 0;
    addLoss(ws.loss, r, lost, this.lossLambda);
    const group = this.groupOf.get(r.worker);
    if (group !== undefined) {
      const g = this.groupLoss.get(group) ?? newLossCounts();
      this.groupLoss.set(group, g);
      addLoss(g, r, lost, this.poolLossLambda);
    }
    const kp = this.poolLossLambda;
    this.poolLoss.losses = kp * this.poolLoss.losses + lost;
    this.poolLoss.exposure = kp * this.poolLoss.exposure + (r.end - r.start);
  }

  /**
   * The worker's group (its class: 'datacenter', 'spot', 'volunteer', …), whose figures stand for it until its own
   * records do. Records that carry a group set it too.
   */
  setGroup(worker: string, group: string): void {
    this.groupOf.set(worker, group);
  }

  /** The worker's group, if it registered one or its records carried one. */
  group(worker: string): string | undefined {
    return this.groupOf.get(worker);
  }

  /** Learns from one ended attempt; returns the drift flags it raised. */
  observe(r: TaskRecord): DriftEvent[] {
    checkRecord(r);
    const o = this.options;
    const ws = this.worker(r.worker);
    ws.records++;
    const raised: DriftEvent[] = [];

    // A lost attempt neither failed nor finished: it teaches the loss hazard only.
    if (r.group !== undefined) this.groupOf.set(r.worker, r.group);
    this.countLoss(ws, r);
    if (r.outcome === 'lost') return raised;

    // Error counts, with a Bernoulli CUSUM against the rate predicted before this attempt.
    const b = r.load > o.hotLoad ? 1 : 0;
    const p0 = Math.min(0.95, Math.max(0.005, this.pError(r.worker, r.load)));
    const p1 = Math.min(0.99, p0 + o.failShift);
    const failed = r.outcome === 'failed' ? 1 : 0;
    ws.failCusum = Math.max(0, ws.failCusum + (failed ? Math.log(p1 / p0) : Math.log((1 - p1) / (1 - p0))));
    if (ws.failCusum > o.failThreshold) {
      ws.failCusum = 0;
      for (const c of ws.fail) for (let i = 0; i < 2; i++) c[i] *= o.driftKeep;
      raised.push(this.flag(ws, r, 'failing'));
    }
    decayAdd(ws.fail[b], failed, this.failLambda);
    decayAdd(this.poolFail[b], failed, this.poolFailLambda);
    if (failed) return raised;

    // Time: the a-priori prediction, its residual for the slowdown CUSUM, then each level's update.
    const y = Math.log(Math.max(r.end - r.start, 1e-3));
    const pr = this.parts(r.worker, r.kind, r.size, r.load, r.hour);
    const kf0 = ws.kinds.get(r.kind);
    if (ws.biasN >= o.cusumFrom) {
      const z = Math.min(o.cusumClip, (y - pr.mu) / pr.sigma);
      ws.cusum = Math.max(0, ws.cusum + z - o.cusumSlack);
      if (ws.cusum > o.cusumThreshold) {
        ws.cusum = 0;
        this.forgetWorker(ws);
        raised.push(this.flag(ws, r, 'slower'));
      }
    }
    const lambda = o.forgetting;

    // Hour offsets learn from the residual without them; the fits learn from the time without the applied offset.
    const yAdj = y - pr.hourAdj;
    const r0 = y - (pr.mu - pr.hourAdj);
    const hw = lambda * ws.hourN[r.hour];
    ws.hour[r.hour] = (hw * ws.hour[r.hour] + r0) / (hw + 1);
    ws.hourN[r.hour] = hw + 1;

    let pk = this.pool.get(r.kind);
    if (!pk) {
      const centre = Math.log(r.size);
      const pv = o.priorVariance;
      pk = {
        rls: new Rls([centre + Math.log(o.priorSecondsPerUnit), 1, 0], [4 * pv[0], 4 * pv[1], 4 * pv[2]]),
        centre,
        spread: { s2: 0, n: 0 },
        logSize: centre,
        residuals: { kind: { s2: 0, n: 0 }, above: { s2: 0, n: 0 } },
      };
      this.pool.set(r.kind, pk);
    }
    pk.logSize += (1 - o.poolForgetting) * (Math.log(r.size) - pk.logSize);
    const x = [1, Math.log(r.size) - pk.centre, r.load];
    const poolMu = pk.rls.predict(x);
    addSquare(pk.spread, yAdj - poolMu, o.poolForgetting);
    addSquare(ws.spread, yAdj - pr.fallbackMu, lambda);
    const bw = lambda * ws.biasN;
    ws.bias = (bw * ws.bias + (yAdj - pr.groupMu)) / (bw + 1);
    ws.biasN = bw + 1;
    const group = this.groupOf.get(r.worker);
    if (group !== undefined) {
      const byKind = this.groupTime.get(group) ?? new Map<string, GroupKind>();
      this.groupTime.set(group, byKind);
      const gk = byKind.get(r.kind) ?? { bias: 0, n: 0, spread: { s2: 0, n: 0 } };
      byKind.set(r.kind, gk);
      addSquare(gk.spread, yAdj - pr.groupMu, o.poolForgetting);
      const gw = o.poolForgetting * gk.n;
      gk.bias = (gw * gk.bias + (yAdj - poolMu)) / (gw + 1);
      gk.n = gw + 1;
    }

    let kf = kf0;
    if (!kf) {
      // Starts where the level above stands, so its first tasks move it only as far as their evidence goes.
      const t = pk.rls.theta;
      const rls = new Rls([t[0] + pr.fallbackMu - pr.poolMu, t[1], t[2]], o.priorVariance);
      kf = { rls, spread: { s2: 0, n: 0 }, done: 0 };
      ws.kinds.set(r.kind, kf);
    }
    if (pr.kindMu !== undefined) {
      addSquare(pk.residuals.kind, yAdj - pr.kindMu, o.poolForgetting);
      addSquare(pk.residuals.above, yAdj - pr.fallbackMu, o.poolForgetting);
    }
    addSquare(kf.spread, yAdj - (pr.kindMu ?? pr.fallbackMu), lambda);
    kf.rls.update(x, yAdj, lambda);
    kf.done++;
    pk.rls.update(x, yAdj, o.poolForgetting);
    ws.done++;
    return raised;
  }

  /** What the model has learned of a worker. */
  summary(worker: string): WorkerSummary {
    const ws = this.workers.get(worker);
    const kinds = [...(ws?.kinds.keys() ?? [])].sort().map((kind) => {
      const size = Math.exp(this.pool.get(kind)!.centre);
      return {
        kind,
        secondsPerUnit: this.predict(worker, kind, size, 0, 12).median / size,
        n: ws!.kinds.get(kind)!.rls.n,
      };
    });
    return {
      worker,
      records: ws?.records ?? 0,
      done: ws?.done ?? 0,
      kinds,
      pFail: { normal: this.pError(worker, 0), hot: this.pError(worker, 1) },
      lossPerHour: 3600 * this.lossLevels(worker).rateW,
      drifts: ws?.drifts.slice() ?? [],
    };
  }

  private worker(id: string): WorkerState {
    let ws = this.workers.get(id);
    if (!ws) {
      ws = {
        records: 0,
        done: 0,
        bias: 0,
        biasN: 0,
        spread: { s2: 0, n: 0 },
        kinds: new Map(),
        hour: new Array(24).fill(0),
        hourN: new Array(24).fill(0),
        fail: [
          [0, 0],
          [0, 0],
        ],
        loss: newLossCounts(),
        cusum: 0,
        failCusum: 0,
        drifts: [],
      };
      this.workers.set(id, ws);
    }
    return ws;
  }

  private flag(ws: WorkerState, r: TaskRecord, what: DriftEvent['what']): DriftEvent {
    const e: DriftEvent = { worker: r.worker, what, at: r.end, records: ws.records };
    ws.drifts.push(e);
    this.driftLog.push(e);
    return e;
  }

  private forgetWorker(ws: WorkerState): void {
    const keep = this.options.driftKeep;
    ws.biasN *= keep;
    ws.spread.n *= keep;
    for (const kf of ws.kinds.values()) {
      kf.rls.discount(keep);
      kf.spread.n *= keep;
    }
  }

  /** The pool's rate of a bucket: the hot bucket's prior is the normal bucket's rate, that one's 5%. */
  private poolRate(b: 0 | 1): number {
    const [f0, d0] = this.poolFail[0];
    const normal = (f0 + 2 * 0.05) / (f0 + d0 + 2);
    if (b === 0) return normal;
    const [f1, d1] = this.poolFail[1];
    return (f1 + 2 * normal) / (f1 + d1 + 2);
  }

  /**
   * k of `kindPrior` for a kind: a task's variance over the variance of workers' fits around their level above. The
   * level above's residuals hold both, the fits' own hold the first (and the fits' own error, so k errs high).
   */
  private kindRatio(pk: PoolKind | undefined): number {
    const o = this.options;
    const r = pk?.residuals;
    if (!r || r.kind.n < o.kindRatioFrom) return o.kindPrior;
    const between = r.above.s2 - r.kind.s2;
    const k = between > 0 ? r.kind.s2 / between : o.kindRatio[1];
    return Math.min(o.kindRatio[1], Math.max(o.kindRatio[0], k));
  }

  private parts(worker: string, kind: string, size: number, load: number, hour: number): Parts {
    const o = this.options;
    const shrink = (s: Spread, prior: number) => (s.n * s.s2 + o.spreadPrior * prior) / (s.n + o.spreadPrior);
    const pk = this.pool.get(kind);
    const ws = this.workers.get(worker);
    const x = [1, Math.log(size) - (pk?.centre ?? 0), load];
    const poolMu = pk ? pk.rls.predict(x) : Math.log(size * o.priorSecondsPerUnit);
    const s2Pool = pk ? shrink(pk.spread, o.priorSigma ** 2) : o.priorSigma ** 2;
    let level: Prediction['level'] = pk ? 'pool' : 'prior';

    // The worker's group (its registered class) stands between the pool and the worker, shrunk by its count.
    const group = this.groupOf.get(worker);
    const gk = group === undefined ? undefined : this.groupTime.get(group)?.get(kind);
    const wG = gk ? gk.n / (gk.n + o.spreadPrior) : 0;
    const groupMu = poolMu + wG * (gk?.bias ?? 0);
    const s2Group = gk ? wG * shrink(gk.spread, s2Pool) + (1 - wG) * s2Pool : s2Pool;

    const wW = ws ? Math.min(1, ws.biasN / o.workerFrom) : 0;
    const fallbackMu = groupMu + wW * (ws?.bias ?? 0);
    const s2Fallback = ws ? wW * shrink(ws.spread, s2Group) + (1 - wW) * s2Group : s2Group;
    if (wW > 0) level = 'worker';

    const kf = ws?.kinds.get(kind);
    let mu = fallbackMu;
    let s2 = s2Fallback;
    let kindMu: number | undefined;
    if (kf) {
      const wK = kf.rls.n / (kf.rls.n + this.kindRatio(pk));
      kindMu = kf.rls.predict(x);
      mu = wK * kindMu + (1 - wK) * fallbackMu;
      s2 = wK * shrink(kf.spread, s2Fallback) + (1 - wK) * s2Fallback;
      level = 'kind';
    }

    let hourAdj = 0;
    if (ws && ws.done >= o.hourFrom) {
      // Offsets relative to the worker's mean over hours, so they and the fits do not trade a constant.
      let sum = 0;
      let w = 0;
      for (let h = 0; h < 24; h++) {
        sum += ws.hour[h] * ws.hourN[h];
        w += ws.hourN[h];
      }
      const n = ws.hourN[hour];
      hourAdj = ((ws.hour[hour] - sum / w) * n) / (n + o.spreadPrior);
      mu += hourAdj;
    }
    const sigma = Math.sqrt(Math.max(s2, 1e-6));
    return {
      mu,
      sigma,
      median: Math.exp(mu),
      p90: Math.exp(mu + Z90 * sigma),
      n: kf?.rls.n ?? 0,
      level,
      hour: hourAdj !== 0,
      x,
      poolMu,
      groupMu,
      fallbackMu,
      kindMu,
      wW,
      hourAdj,
    };
  }
}

/** Calls f(hour, seconds) for each local hour of day that a run of `seconds` from `start` (in `hour`) goes through. */
function overHours(hour: number, start: number, seconds: number, f: (hour: number, seconds: number) => void): void {
  const days = Math.floor(seconds / 86400);
  if (days > 0) for (let h = 0; h < 24; h++) f(h, days * 3600);
  let left = seconds - days * 86400;
  let h = hour;
  let into = ((start % 3600) + 3600) % 3600;
  while (left > 0) {
    const s = Math.min(left, 3600 - into);
    f(h, s);
    left -= s;
    into = 0;
    h = (h + 1) % 24;
  }
}

/** Gamma-Poisson posterior mean of a rate: `events` over `exposure`, with `strength` pseudo-events at `prior`. */
function gammaMean(events: number, exposure: number, prior: number, strength: number): number {
  return (events + strength) / (exposure + strength / prior);
}

function newLossCounts(): LossCounts {
  return { losses: 0, exposure: 0, hourLosses: new Array(24).fill(0), hourExposure: new Array(24).fill(0) };
}

/** Forgets by `lambda`, then adds the record's seconds over the hours it ran and its loss to the hour it ended in. */
function addLoss(l: LossCounts, r: TaskRecord, lost: number, lambda: number): void {
  const seconds = r.end - r.start;
  l.losses = lambda * l.losses + lost;
  l.exposure = lambda * l.exposure + seconds;
  for (let h = 0; h < 24; h++) {
    l.hourLosses[h] *= lambda;
    l.hourExposure[h] *= lambda;
  }
  let last = r.hour;
  overHours(r.hour, r.start, seconds, (h, s) => {
    l.hourExposure[h] += s;
    if (s > 0) last = h;
  });
  l.hourLosses[last] += lost;
}

function decayAdd(c: Counts, failed: number, lambda: number): void {
  c[0] = lambda * c[0] + failed;
  c[1] = lambda * c[1] + (1 - failed);
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), not ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo || p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(p < lo ? p : 1 - p));
    const v =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < lo ? v : -v;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * Median time still to run for a task predicted `p` that has run `elapsed` seconds: the median of D − e given D > e
 * under the log-normal (a task past its median has a longer remaining time than its median minus what it has run).
 */
export function remainingMedian(p: Pick<Prediction, 'mu' | 'sigma' | 'median'>, elapsed: number): number {
  if (elapsed <= 0) return p.median;
  const z = (Math.log(elapsed) - p.mu) / p.sigma;
  const survive = 1 - normalCdf(z);
  if (survive < 1e-9) {
    // Far in the tail: log D − log e is nearly exponential with mean σ/z.
    return elapsed * Math.expm1((Math.LN2 * p.sigma) / Math.max(z, 1));
  }
  return Math.exp(p.mu + p.sigma * normalQuantile(1 - survive / 2)) - elapsed;
}
