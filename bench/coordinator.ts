/**
 * `npm run bench:coordinator`: the learning coordinator (ts-core/src/farm/coordinator, issue #19) against the design's
 * heuristic and an oracle, in a seeded discrete-event simulation of a farm (no real processes: waiting is simulated).
 *
 * - The world (fixed below from the issue's description before any result was looked at): 50 workers in four
 *   classes: data-centre (10, 2 GPUs, fast, idle GPUs), consumer (15, its owner's load comes and goes, 2× faster at
 *   render than at splat), spot (15, fast but preempted now and then: the running task fails, the worker is gone for
 *   10–30 min), volunteer (10, slow, offline 8–11 h of each day: a task running then fails). Time grows with size
 *   and GPU load (×(1 + 0.8·load)); failures with load, and 5 "unstable peers" fail 20% of attempts above 95% load.
 *   Home networks (consumer, volunteer) are 3× slower 20:00–21:00. 10% of the workers halve their speed halfway.
 * - The tasks: 2,000 per run over ~2 days, Poisson arrivals, kinds bake 40% / splat 30% / render 30%, sizes
 *   log-uniform over 1.5 decades, scaled so that the work offered is 70% of the pool's capacity.
 * - The policies, each on the same world and task stream per seed (common random numbers: an attempt's noise and
 *   fate depend on the task, attempt and worker, not on the policy): the learned coordinator (`assign`), the design's
 *   heuristic (`heuristicAssign`, latency + load × 15), a queue-aware variant of it (latency × (1 + load)), for
 *   honesty about how much the constant 15 costs, and the oracle (true speeds and failure probabilities).
 * - Over 30 seeds: mean and p95 completion time (arrival to success, retries included), failed attempts, the
 *   failure predictions' Brier score against the pool's running mean as a predictor, the p90's coverage, and the
 *   drift detector's delay in tasks. The learned policy's mean improvement over the heuristic with a 95% t-interval
 *   of the paired per-seed differences; its p95 against the oracle's.
 * - Then the real farm (bench/coordinator-farm.ts; the embedded queue, then BullMQ on Redis): a server and 3 worker
 *   processes, one slowed and one flaky on purpose, under the learned dispatch and first come, first served.
 * Prints a table and writes bench/results/coordinator.json. `--seeds N` and `--tasks N` for a quicker look,
 * `--first-seed N` for another range of seeds, `--no-farm` without the real farm, `--no-live` with the learned policies
 * judging workers by ended attempts alone (not their running tasks' progress).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assign,
  BACKUP_DEFAULTS,
  backupFor,
  CoordinatorModel,
  createHistory,
  type Decision,
  heuristicAssign,
  oracleAssign,
  pushRecord,
  runAfter,
  type Task,
  type TaskRecord,
  type Truth,
  type WorkerHistory,
  type WorkerView,
} from '../ts-core/src/farm/coordinator/index.js';
import { Rng } from '../ts-core/src/util/rng.js';
import {
  benchBackupFarm,
  benchRealFarm,
  benchRealFarmRedis,
  printBackupFarm,
  printRealFarm,
} from './coordinator-farm.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Kind = 'bake' | 'splat' | 'render';
type ClassName = 'datacentre' | 'consumer' | 'spot' | 'volunteer';
const KINDS: Kind[] = ['bake', 'splat', 'render'];

/** A load regime: weight, and the uniform range a half-hour's load is drawn from. */
type LoadMix = [number, number, number][];

interface ClassSpec {
  count: number;
  slots: number;
  /** Units of size per second at no load, per kind; each worker's is this × e^(jitter·N(0,1)) per kind. */
  speed: Record<Kind, number>;
  jitter: number;
  /** Log-spread of a task's time around its expectation. */
  sigma: number;
  /** Failure probability per attempt: baseFail·(1 + load), + hotFail above 95% load. */
  baseFail: number;
  hotFail: number;
  load: LoadMix;
  /** Seconds per unit of size to move the task's data (3× at 20:00–21:00 on home networks). */
  transfer: number;
  residential: boolean;
}

/** The world's parameters, fixed from the issue before looking at results. */
const WORLD = {
  days: 2,
  busy: 0.7,
  decades: 1.5,
  kindMix: { bake: 0.4, splat: 0.3, render: 0.3 } as Record<Kind, number>,
  classes: {
    datacentre: {
      count: 10,
      slots: 2,
      speed: { bake: 3, splat: 3.5, render: 3 },
      jitter: 0.15,
      sigma: 0.1,
      baseFail: 0.005,
      hotFail: 0.02,
      load: [[1, 0, 0.3]],
      transfer: 0.02,
      residential: false,
    },
    consumer: {
      count: 15,
      slots: 1,
      speed: { bake: 1, splat: 0.6, render: 1.2 },
      jitter: 0.3,
      sigma: 0.25,
      baseFail: 0.02,
      hotFail: 0.03,
      load: [
        [0.55, 0, 0.4],
        [0.3, 0.4, 0.9],
        [0.15, 0.95, 1],
      ],
      transfer: 0.1,
      residential: true,
    },
    spot: {
      count: 15,
      slots: 1,
      speed: { bake: 2, splat: 2.5, render: 2 },
      jitter: 0.2,
      sigma: 0.15,
      baseFail: 0.01,
      hotFail: 0.02,
      load: [[1, 0, 0.3]],
      transfer: 0.02,
      residential: false,
    },
    volunteer: {
      count: 10,
      slots: 1,
      speed: { bake: 0.4, splat: 0.3, render: 0.5 },
      jitter: 0.3,
      sigma: 0.35,
      baseFail: 0.03,
      hotFail: 0.03,
      load: [
        [0.7, 0, 0.3],
        [0.2, 0.3, 0.9],
        [0.1, 0.95, 1],
      ],
      transfer: 0.1,
      residential: true,
    },
  } as Record<ClassName, ClassSpec>,
  /** Spot: mean time between preemptions per worker, log-uniform in hours; then down for 10–30 minutes. */
  spotMtbpHours: [4, 48],
  spotDownMinutes: [10, 30],
  /** Volunteers: offline daily from an hour in 7..11 for 8..11 hours. */
  volunteerOfflineStart: [7, 11],
  volunteerOfflineHours: [8, 11],
  /** The design's Unstable_Peer: these many consumers and volunteers fail 20% above 95% load. */
  unstable: { consumer: 3, volunteer: 2, hotFail: 0.2 },
  /** GPU load changes each half hour, keeping its value with this probability. */
  loadSlotSeconds: 1800,
  loadKeep: 0.7,
  loadSlowdown: 0.8,
  eveningFrom: 20,
  eveningTo: 21,
  eveningFactor: 3,
  drifters: 0.1,
  driftFactor: 0.5,
  /** A task that fails this many times is abandoned (counted; none should be). */
  maxAttempts: 30,
  /** Precomputed schedules (loads, outages) cover this long; the runs end well before. */
  scheduleDays: 12,
};

const args = process.argv.slice(2);
const argNum = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SEEDS = argNum('--seeds', 30);
const TASKS = argNum('--tasks', 2000);
/** The first seed: seeds FIRST..FIRST+SEEDS−1 (another range checks that nothing was fitted to 1..30). */
const FIRST = argNum('--first-seed', 1);
/**
 * `--no-live`: the learned policies judge workers by ended attempts alone, as before 2026-12-08: no progress in the
 * views they get (predicted waits from the fit, not the progress rate) and assign's `live` off. For comparison.
 */
const LIVE = !args.includes('--no-live');

interface SimWorker {
  id: string;
  cls: ClassName;
  slots: number;
  speed: Record<Kind, number>;
  sigma: number;
  baseFail: number;
  hotFail: number;
  transfer: number;
  residential: boolean;
  /** Spot: mean seconds between preemptions. */
  mtbp?: number;
  drifts: boolean;
  loads: number[];
  /** Offline intervals [from, to), sorted. */
  offline: [number, number][];
}

interface World {
  seed: number;
  workers: SimWorker[];
  tasks: (Task & { arrival: number })[];
  driftAt: number;
  sizeScale: number;
}

function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function drawLoad(rng: Rng, mix: LoadMix): number {
  let u = rng.next();
  for (const [w, lo, hi] of mix) {
    if (u < w) return rng.range(lo, hi);
    u -= w;
  }
  const [, lo, hi] = mix[mix.length - 1];
  return rng.range(lo, hi);
}

function makeWorld(seed: number, taskCount: number): World {
  const rng = new Rng(`coordinator-world/${seed}`);
  const workers: SimWorker[] = [];
  const horizon = WORLD.scheduleDays * 86400;
  const slotsN = Math.ceil(horizon / WORLD.loadSlotSeconds);
  for (const cls of Object.keys(WORLD.classes) as ClassName[]) {
    const c = WORLD.classes[cls];
    for (let i = 0; i < c.count; i++) {
      const speed = {} as Record<Kind, number>;
      for (const k of KINDS) speed[k] = c.speed[k] * Math.exp(c.jitter * gauss(rng));
      const loads: number[] = [];
      let load = drawLoad(rng, c.load);
      for (let s = 0; s < slotsN; s++) {
        if (s > 0 && rng.next() >= WORLD.loadKeep) load = drawLoad(rng, c.load);
        loads.push(load);
      }
      const offline: [number, number][] = [];
      let mtbp: number | undefined;
      if (cls === 'spot') {
        const [lo, hi] = WORLD.spotMtbpHours;
        mtbp = 3600 * Math.exp(rng.range(Math.log(lo), Math.log(hi)));
        for (let t = -Math.log(1 - rng.next()) * mtbp; t < horizon; ) {
          const down = 60 * rng.range(WORLD.spotDownMinutes[0], WORLD.spotDownMinutes[1]);
          offline.push([t, t + down]);
          t += down - Math.log(1 - rng.next()) * mtbp;
        }
      } else if (cls === 'volunteer') {
        const from = 3600 * rng.range(WORLD.volunteerOfflineStart[0], WORLD.volunteerOfflineStart[1]);
        const hours = 3600 * rng.range(WORLD.volunteerOfflineHours[0], WORLD.volunteerOfflineHours[1]);
        for (let d = 0; d < WORLD.scheduleDays; d++) offline.push([d * 86400 + from, d * 86400 + from + hours]);
      }
      const short = { datacentre: 'dc', consumer: 'con', spot: 'spot', volunteer: 'vol' }[cls];
      workers.push({
        id: `${short}${String(i + 1).padStart(2, '0')}`,
        cls,
        slots: c.slots,
        speed,
        sigma: c.sigma,
        baseFail: c.baseFail,
        hotFail: c.hotFail,
        transfer: c.transfer,
        residential: c.residential,
        mtbp,
        drifts: false,
        loads,
        offline,
      });
    }
  }
  for (const cls of ['consumer', 'volunteer'] as const) {
    const pool = workers.filter((w) => w.cls === cls);
    for (let i = 0; i < WORLD.unstable[cls]; i++) {
      const w = pool.splice(rng.int(pool.length), 1)[0];
      w.hotFail = WORLD.unstable.hotFail;
    }
  }
  const candidates = workers.slice();
  for (let i = 0; i < Math.round(WORLD.drifters * workers.length); i++)
    candidates.splice(rng.int(candidates.length), 1)[0].drifts = true;

  // Capacity in units of size per second, each worker at its own mean load and availability (before drift).
  let capacity = 0;
  for (const w of workers) {
    const meanLoad = w.loads.reduce((a, b) => a + b, 0) / w.loads.length;
    let perUnit = 0;
    for (const k of KINDS) perUnit += (WORLD.kindMix[k] / w.speed[k]) * (1 + WORLD.loadSlowdown * meanLoad);
    perUnit += w.transfer * (w.residential ? 1 + (WORLD.eveningFactor - 1) / 24 : 1);
    const down = w.offline.reduce((a, [f, t]) => a + Math.min(t, horizon) - f, 0);
    capacity += (w.slots * (1 - down / horizon)) / perUnit;
  }
  const rate = taskCount / (WORLD.days * 86400);
  const span = 10 ** WORLD.decades;
  const meanWork = (WORLD.busy * capacity) / rate;
  const sizeScale = (meanWork * Math.log(span)) / (span - 1);

  const trng = new Rng(`coordinator-tasks/${seed}`);
  const tasks: World['tasks'] = [];
  let t = 0;
  for (let i = 0; i < taskCount; i++) {
    t += -Math.log(1 - trng.next()) / rate;
    let u = trng.next();
    let kind: Kind = 'render';
    for (const k of KINDS) {
      if (u < WORLD.kindMix[k]) {
        kind = k;
        break;
      }
      u -= WORLD.kindMix[k];
    }
    tasks.push({ id: `t${i}`, kind, size: sizeScale * span ** trng.next(), arrival: t });
  }
  return { seed, workers, tasks, driftAt: (WORLD.days * 86400) / 2, sizeScale };
}

// The world's true figures.
const hourAt = (t: number) => Math.floor(t / 3600) % 24;
const loadAt = (w: SimWorker, t: number) =>
  w.loads[Math.min(w.loads.length - 1, Math.floor(t / WORLD.loadSlotSeconds))];
const speedAt = (world: World, w: SimWorker, kind: Kind, t: number) =>
  w.speed[kind] * (w.drifts && t >= world.driftAt ? WORLD.driftFactor : 1);
const transferAt = (w: SimWorker, hour: number) =>
  w.transfer * (w.residential && hour >= WORLD.eveningFrom && hour < WORLD.eveningTo ? WORLD.eveningFactor : 1);
const attemptFail = (w: SimWorker, load: number) =>
  Math.min(0.9, w.baseFail * (1 + load) + (load > 0.95 ? w.hotFail : 0));

/** Expected seconds of a task started at t on w (the mean of its log-normal noise included). */
function expectedSeconds(world: World, w: SimWorker, task: Task, t: number, load = loadAt(w, t)): number {
  const compute = (task.size / speedAt(world, w, task.kind as Kind, t)) * (1 + WORLD.loadSlowdown * load);
  return compute * Math.exp((w.sigma * w.sigma) / 2) + task.size * transferAt(w, hourAt(t));
}

interface Attempt {
  task: number;
  worker: number;
  start: number;
  end: number;
  /** Its full time had it run to the end (a failing attempt ends before): the rate its progress reports follow. */
  duration: number;
  ok: boolean;
  load: number;
  hour: number;
  expected: number;
  /** Cut short: by its worker going offline, or because another copy of its task finished first. */
  cancelled: boolean;
  over: boolean;
  backup: boolean;
  checks: number;
  /** The learned model's pFail and p90 at the start, and the pool's running failure rate then. */
  pFail?: number;
  p90?: number;
  poolRate?: number;
  /** The world's true probability that it fails (for the Brier score a perfect model would reach). */
  pTrue?: number;
}

interface Event {
  t: number;
  seq: number;
  type: 'arrive' | 'end' | 'offline' | 'online' | 'check';
  task?: number;
  attempt?: Attempt;
  worker?: number;
}

/** A binary min-heap of events by time, then by insertion. */
class Events {
  private readonly a: Event[] = [];
  private seq = 0;
  get size(): number {
    return this.a.length;
  }
  push(e: Omit<Event, 'seq'>): void {
    const a = this.a;
    a.push({ ...e, seq: this.seq++ });
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): Event {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
const less = (x: Event, y: Event) => x.t < y.t || (x.t === y.t && x.seq < y.seq);

type Policy = 'learned' | 'learned+backup' | 'heuristic' | 'heuristic×queue' | 'oracle';
const POLICIES: Policy[] = ['learned', 'learned+backup', 'heuristic', 'heuristic×queue', 'oracle'];

interface RunResult {
  policy: Policy;
  seed: number;
  mean: number;
  p95: number;
  failed: number;
  /** Failed attempts per worker class, and how many of them a preemption or a volunteer going offline cut short. */
  failedByClass: Record<ClassName, number>;
  cutShort: number;
  attempts: number;
  abandoned: number;
  /** Share of completed tasks per worker class. */
  share: Record<ClassName, number>;
  end: number;
  /** learned+backup: copies started, those that finished first, and the seconds the losing copies ran. */
  backups?: { started: number; won: number; wastedSeconds: number; busySeconds: number };
  learned?: {
    brier: number;
    brierPool: number;
    brierTrue: number;
    p90Coverage: number;
    /** Per bin of predicted pFail (RELIABILITY_BINS): attempts, summed predictions, failures. */
    reliability: number[][];
    /**
     * Per drifting worker: tasks it completed that started after the drift, and how many of them had ended when
     * it was flagged (the flagging one included; null: never flagged).
     */
    drifting: { worker: string; tasksAfter: number; delay: number | null }[];
    falseAlarms: number;
    failingFlags: number;
    examples: string[];
  };
}

/** Upper edges of the bins of predicted failure probability in which calibration is read. */
const RELIABILITY_BINS = [0.02, 0.05, 0.1, 0.2, 0.4, Number.POSITIVE_INFINITY];

function simulate(world: World, policy: Policy): RunResult {
  const { workers, tasks } = world;
  const ev = new Events();
  const online = workers.map(() => true);
  const running: Attempt[][] = workers.map(() => []);
  const queue: number[][] = workers.map(() => []);
  const lastSeconds: (number | undefined)[] = workers.map(() => undefined);
  const attempts = tasks.map(() => 0);
  const doneAt: number[] = tasks.map(() => Number.NaN);
  const doneBy: number[] = tasks.map(() => -1);
  let failed = 0;
  let cutShort = 0;
  const failedByClass = { datacentre: 0, consumer: 0, spot: 0, volunteer: 0 };
  let started = 0;
  let abandoned = 0;
  let remaining = tasks.length;
  let now = 0;
  const learning = policy === 'learned' || policy === 'learned+backup';
  const model = learning ? new CoordinatorModel() : undefined;
  // Workers register their class, as farm workers do (ote farm worker --class).
  if (model) for (const w of workers) model.setGroup(w.id, w.cls);
  const live: Attempt[][] = tasks.map(() => []);
  const backups = { started: 0, won: 0, wastedSeconds: 0, busySeconds: 0 };
  let backupsRunning = 0;
  const totalSlots = workers.reduce((a, w) => a + w.slots, 0);
  const histories: WorkerHistory[] = workers.map((w) => createHistory(w.id));
  const byId = new Map(workers.map((w, i) => [w.id, i]));
  let brier = 0;
  let brierPool = 0;
  let brierTrue = 0;
  let scored = 0;
  /** Per bin of predicted pFail: attempts, their summed predictions, their failures. */
  const reliability = RELIABILITY_BINS.map(() => [0, 0, 0]);
  let poolFailed = 0;
  let poolEnded = 0;
  let covered = 0;
  let coverN = 0;
  const examples: string[] = [];
  const doneStarts: number[][] = workers.map(() => []);
  const doneEnds: number[][] = workers.map(() => []);

  for (const [i, t] of tasks.entries()) ev.push({ t: t.arrival, type: 'arrive', task: i });
  for (const [i, w] of workers.entries())
    for (const [from, to] of w.offline) {
      ev.push({ t: from, type: 'offline', worker: i });
      ev.push({ t: to, type: 'online', worker: i });
    }

  const truth: Truth = {
    seconds: (id, task) => expectedSeconds(world, workers[byId.get(id)!], task, now),
    pFail: (id, task) => {
      const i = byId.get(id)!;
      const w = workers[i];
      const d = expectedSeconds(world, w, task, now);
      let ok = 1 - attemptFail(w, loadAt(w, now));
      if (w.mtbp) ok *= Math.exp(-d / w.mtbp);
      if (w.cls === 'volunteer') {
        const start = now + truth.wait(id);
        if (w.offline.some(([f, t]) => f < start + d && t > start)) ok = 0;
      }
      return 1 - ok;
    },
    wait: (id) => {
      const i = byId.get(id)!;
      const w = workers[i];
      const free = new Array<number>(w.slots).fill(0);
      running[i].forEach((a, k) => {
        free[k % w.slots] += Math.max(0, a.expected - (now - a.start));
      });
      for (const q of queue[i]) {
        let k = 0;
        for (let s = 1; s < free.length; s++) if (free[s] < free[k]) k = s;
        free[k] += expectedSeconds(world, w, tasks[q], now);
      }
      return Math.min(...free);
    },
  };

  const view = (i: number): WorkerView => {
    const w = workers[i];
    return {
      id: w.id,
      slots: w.slots,
      load: loadAt(w, now),
      running: running[i].map((a) => ({
        kind: tasks[a.task].kind,
        size: tasks[a.task].size,
        load: a.load,
        elapsed: now - a.start,
        // Workers report how far they are, as farm workers do; linear in time at its true speed.
        progress: LIVE ? (now - a.start) / a.duration : undefined,
      })),
      queued: queue[i].map((q) => ({ kind: tasks[q].kind, size: tasks[q].size })),
      lastSeconds: lastSeconds[i],
    };
  };

  const dispatch = (ti: number) => {
    const views: WorkerView[] = [];
    for (let i = 0; i < workers.length; i++) if (online[i]) views.push(view(i));
    const task = tasks[ti];
    let d: Decision;
    if (model) d = assign(task, views, model, { now, hour: hourAt(now) }, { live: LIVE });
    else if (policy === 'heuristic') d = heuristicAssign(task, views);
    else if (policy === 'heuristic×queue') d = heuristicAssign(task, views, { scaleByLatency: true });
    else d = oracleAssign(task, views, truth);
    if (policy === 'learned' && examples.length < 5 && ti % 400 === 0)
      examples.push(`${task.id} ${task.kind}: ${d.reason}`);
    const wi = byId.get(d.worker)!;
    queue[wi].push(ti);
    tryStart(wi);
  };

  const tryStart = (i: number) => {
    while (online[i] && running[i].length < workers[i].slots && queue[i].length > 0) start(i, queue[i].shift()!, false);
  };

  const start = (i: number, ti: number, backup: boolean) => {
    {
      const w = workers[i];
      const task = tasks[ti];
      // The attempt's fate depends on the task, attempt and worker only: the same under every policy.
      const rng = new Rng(`coordinator-attempt/${world.seed}/${task.id}/${attempts[ti]}/${w.id}`);
      const load = loadAt(w, now);
      const hour = hourAt(now);
      const compute = (task.size / speedAt(world, w, task.kind as Kind, now)) * (1 + WORLD.loadSlowdown * load);
      const seconds = compute * Math.exp(w.sigma * gauss(rng)) + task.size * transferAt(w, hour);
      const fails = rng.next() < attemptFail(w, load);
      const at = rng.range(0.1, 0.9);
      const a: Attempt = {
        task: ti,
        worker: i,
        start: now,
        end: now + (fails ? at * seconds : seconds),
        duration: seconds,
        ok: !fails,
        load,
        hour,
        expected: expectedSeconds(world, w, task, now, load),
        cancelled: false,
        over: false,
        backup,
        checks: 0,
      };
      if (model) {
        const p = model.predict(w.id, task.kind, task.size, load, hour);
        a.pFail = model.pFail(w.id, load, runAfter({ now, hour }, 0, p.median));
        a.p90 = p.p90;
        a.poolRate = poolEnded > 0 ? poolFailed / poolEnded : 0.05;
        let ok = 1 - attemptFail(w, load);
        if (w.mtbp) ok *= Math.exp(-a.expected / w.mtbp);
        if (w.offline.some(([f, t]) => f < now + a.expected && t > now)) ok = 0;
        a.pTrue = 1 - ok;
      }
      attempts[ti]++;
      started++;
      running[i].push(a);
      live[ti].push(a);
      if (backup) backupsRunning++;
      ev.push({ t: a.end, type: 'end', attempt: a });
      if (policy === 'learned+backup' && !backup) ev.push({ t: now + a.p90!, type: 'check', attempt: a });
    }
  };

  /** Stops an attempt that has not ended: its worker went offline, or another copy won. */
  const stop = (a: Attempt) => {
    a.cancelled = true;
    a.over = true;
    running[a.worker].splice(running[a.worker].indexOf(a), 1);
    live[a.task].splice(live[a.task].indexOf(a), 1);
    if (a.backup) backupsRunning--;
  };

  /** LATE: a straggler past its p90 gets a copy on the idle worker that would finish it first, within the cap. */
  const check = (a: Attempt) => {
    if (a.over || live[a.task].length > 1 || backupsRunning >= BACKUP_DEFAULTS.cap * totalSlots) return;
    const idle: WorkerView[] = [];
    for (let i = 0; i < workers.length; i++)
      if (online[i] && running[i].length < workers[i].slots && queue[i].length === 0) idle.push(view(i));
    const task = tasks[a.task];
    const s = {
      task,
      worker: workers[a.worker].id,
      kind: task.kind,
      size: task.size,
      load: a.load,
      elapsed: now - a.start,
      // Its worker reports how far it is, as farm workers do; linear in time at its true speed.
      progress: (now - a.start) / a.duration,
    };
    const d = backupFor(s, idle, model!, { now, hour: hourAt(now) });
    if (d) {
      backups.started++;
      if (examples.length < 8 && backups.started === 1) examples.push(d.reason);
      start(byId.get(d.worker)!, a.task, true);
    } else if (++a.checks < 8) {
      // Not (yet) a straggler by the model's current p90, or no idle worker would win: look again later.
      const p90 = model!.predict(s.worker, task.kind, task.size, a.load, hourAt(now)).p90;
      ev.push({ t: Math.max(a.start + p90, now + 0.25 * p90), type: 'check', attempt: a });
    }
  };

  /** An attempt has ended (or was cut short by its worker going offline): learn from it, then retry or finish. */
  const ended = (a: Attempt, ok: boolean) => {
    const i = a.worker;
    const w = workers[i];
    const task = tasks[a.task];
    if (!a.cancelled) {
      a.over = true;
      running[i].splice(running[i].indexOf(a), 1);
      live[a.task].splice(live[a.task].indexOf(a), 1);
      if (a.backup) backupsRunning--;
    }
    backups.busySeconds += now - a.start;
    const r: TaskRecord = {
      worker: w.id,
      kind: task.kind,
      size: task.size,
      start: a.start,
      end: now,
      // The farm tells a worker that reported an error from one whose lease ran out (preempted, gone offline).
      outcome: ok ? 'done' : a.cancelled ? 'lost' : 'failed',
      load: a.load,
      hour: a.hour,
      group: w.cls,
    };
    pushRecord(histories[i], r);
    if (model) {
      const y = ok ? 0 : 1;
      brier += (a.pFail! - y) ** 2;
      const bin = RELIABILITY_BINS.findIndex((hi) => a.pFail! < hi);
      reliability[bin][0]++;
      reliability[bin][1] += a.pFail!;
      reliability[bin][2] += y;
      brierPool += (a.poolRate! - y) ** 2;
      brierTrue += (a.pTrue! - y) ** 2;
      scored++;
      poolFailed += y;
      poolEnded++;
      if (ok) {
        coverN++;
        if (now - a.start <= a.p90!) covered++;
      }
      model.observe(r);
    }
    if (ok) {
      if (a.backup) backups.won++;
      for (const other of live[a.task].slice()) {
        backups.wastedSeconds += now - other.start;
        backups.busySeconds += now - other.start;
        stop(other);
        tryStart(other.worker);
      }
      lastSeconds[i] = now - a.start;
      doneAt[a.task] = now;
      doneBy[a.task] = i;
      remaining--;
      doneStarts[i].push(a.start);
      doneEnds[i].push(now);
    } else {
      failed++;
      failedByClass[w.cls]++;
      if (a.cancelled) cutShort++;
      // Another copy still runs: it carries the task on.
      if (live[a.task].length > 0) return;
      if (attempts[a.task] >= WORLD.maxAttempts) {
        abandoned++;
        doneAt[a.task] = now;
        remaining--;
      } else dispatch(a.task);
    }
  };

  while (ev.size > 0) {
    const e = ev.pop();
    now = e.t;
    if (e.type === 'arrive') dispatch(e.task!);
    else if (e.type === 'end') {
      if (e.attempt!.cancelled) continue;
      ended(e.attempt!, e.attempt!.ok);
      tryStart(e.attempt!.worker);
    } else if (e.type === 'offline') {
      const i = e.worker!;
      online[i] = false;
      for (const a of running[i].slice()) {
        stop(a);
        ended(a, false);
      }
      for (const q of queue[i].splice(0)) dispatch(q);
    } else if (e.type === 'check') check(e.attempt!);
    else {
      online[e.worker!] = true;
      tryStart(e.worker!);
    }
    if (remaining === 0) break;
  }

  const times = tasks.map((t, i) => doneAt[i] - t.arrival).sort((a, b) => a - b);
  const share = { datacentre: 0, consumer: 0, spot: 0, volunteer: 0 };
  for (const b of doneBy) if (b >= 0) share[workers[b].cls] += 1 / tasks.length;
  const result: RunResult = {
    policy,
    seed: world.seed,
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    p95: times[Math.ceil(0.95 * times.length) - 1],
    failed,
    failedByClass,
    cutShort,
    attempts: started,
    backups: policy === 'learned+backup' ? backups : undefined,
    abandoned,
    share,
    end: now,
  };
  if (model) {
    const drifting: { worker: string; tasksAfter: number; delay: number | null }[] = [];
    let falseAlarms = 0;
    for (const [i, w] of workers.entries()) {
      const flags = model.drifts.filter((d) => d.worker === w.id && d.what === 'slower');
      if (!w.drifts) {
        falseAlarms += flags.length;
        continue;
      }
      falseAlarms += flags.filter((d) => d.at < world.driftAt).length;
      const tasksAfter = doneStarts[i].filter((s) => s >= world.driftAt).length;
      const hit = flags.find((d) => d.at >= world.driftAt);
      const delay = hit ? doneStarts[i].filter((s, k) => s >= world.driftAt && doneEnds[i][k] <= hit.at).length : null;
      drifting.push({ worker: w.id, tasksAfter, delay });
    }
    result.learned = {
      brier: brier / scored,
      brierPool: brierPool / scored,
      brierTrue: brierTrue / scored,
      p90Coverage: covered / coverN,
      reliability,
      drifting,
      falseAlarms,
      failingFlags: model.drifts.filter((d) => d.what === 'failing').length,
      examples,
    };
  }
  return result;
}

// Statistics over seeds.
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
/** 97.5% quantile of Student's t (Cornish–Fisher expansion; 2.045 at 29 degrees of freedom). */
const t975 = (df: number) => {
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
};
interface Interval {
  mean: number;
  lo: number;
  hi: number;
}
const interval = (xs: number[]): Interval => {
  const m = mean(xs);
  const h = (t975(xs.length - 1) * sd(xs)) / Math.sqrt(xs.length);
  return { mean: m, lo: m - h, hi: m + h };
};
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ci = (c: Interval) => `${pct(c.mean)} [${pct(c.lo)}, ${pct(c.hi)}]`;

const t0 = performance.now();
const runs = Object.fromEntries(POLICIES.map((p) => [p, [] as RunResult[]])) as Record<Policy, RunResult[]>;
const worlds: { seed: number; sizeScale: number; drifting: string[]; unstable: string[] }[] = [];
for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
  const world = makeWorld(seed, TASKS);
  worlds.push({
    seed,
    sizeScale: world.sizeScale,
    drifting: world.workers.filter((w) => w.drifts).map((w) => w.id),
    unstable: world.workers.filter((w) => w.hotFail === WORLD.unstable.hotFail).map((w) => w.id),
  });
  for (const p of POLICIES) runs[p].push(simulate(world, p));
}
const seconds = (performance.now() - t0) / 1000;

const CLASSES: ClassName[] = ['datacentre', 'consumer', 'spot', 'volunteer'];
const by = (p: Policy, f: (r: RunResult) => number) => runs[p].map(f);
const summary = Object.fromEntries(
  POLICIES.map((p) => [
    p,
    {
      meanMinutes: mean(by(p, (r) => r.mean)) / 60,
      p95Minutes: mean(by(p, (r) => r.p95)) / 60,
      failedPerRun: mean(by(p, (r) => r.failed)),
      failedByClass: Object.fromEntries(CLASSES.map((c) => [c, mean(by(p, (r) => r.failedByClass[c]))])),
      cutShortPerRun: mean(by(p, (r) => r.cutShort)),
      attemptsPerRun: mean(by(p, (r) => r.attempts)),
      abandoned: by(p, (r) => r.abandoned).reduce((a, b) => a + b, 0),
      share: Object.fromEntries(CLASSES.map((c) => [c, mean(by(p, (r) => r.share[c]))])),
    },
  ]),
) as Record<
  Policy,
  {
    meanMinutes: number;
    p95Minutes: number;
    failedPerRun: number;
    failedByClass: Record<ClassName, number>;
    cutShortPerRun: number;
    attemptsPerRun: number;
    abandoned: number;
    share: Record<ClassName, number>;
  }
>;
/** Paired per-seed relative reduction of p against q (1 − p/q), mean and 95% t-interval. */
const lower = (p: Policy, q: Policy, f: (r: RunResult) => number) =>
  interval(runs[p].map((r, i) => 1 - f(r) / f(runs[q][i])));
/** Paired per-seed excess of p over q (p/q − 1). */
const above = (p: Policy, q: Policy, f: (r: RunResult) => number) =>
  interval(runs[p].map((r, i) => f(r) / f(runs[q][i]) - 1));
const compare = (p: Policy) => ({
  vsHeuristic: {
    meanLower: lower(p, 'heuristic', (r) => r.mean),
    p95Lower: lower(p, 'heuristic', (r) => r.p95),
    fewerFailedAttempts: lower(p, 'heuristic', (r) => r.failed),
  },
  vsQueueHeuristic: {
    meanLower: lower(p, 'heuristic×queue', (r) => r.mean),
    p95Lower: lower(p, 'heuristic×queue', (r) => r.p95),
    fewerFailedAttempts: lower(p, 'heuristic×queue', (r) => r.failed),
  },
  vsOracle: { meanAbove: above(p, 'oracle', (r) => r.mean), p95Above: above(p, 'oracle', (r) => r.p95) },
});
const comparisons = { learned: compare('learned'), 'learned+backup': compare('learned+backup') };
const oracleFewerFailed = lower('oracle', 'heuristic', (r) => r.failed);
const L = runs.learned.map((r) => r.learned!);
const drifting = L.flatMap((l) => l.drifting);
// The CUSUM needs three tasks at the least (its clip), so workers that ran fewer after the drift are counted apart.
const testable = drifting.filter((d) => d.tasksAfter >= 3);
const detected = testable
  .map((d) => d.delay)
  .filter((d): d is number => d !== null)
  .sort((a, b) => a - b);
const learnedModel = {
  brier: mean(L.map((l) => l.brier)),
  brierPoolMean: mean(L.map((l) => l.brierPool)),
  brierTrueProbabilities: mean(L.map((l) => l.brierTrue)),
  p90Coverage: mean(L.map((l) => l.p90Coverage)),
  /** Calibration over all seeds: per bin of predicted pFail, attempts, mean prediction and observed failure rate. */
  reliability: RELIABILITY_BINS.map((hi, b) => {
    const [n, sum, failed] = [0, 1, 2].map((k) => L.reduce((a, l) => a + l.reliability[b][k], 0));
    return { below: hi, attempts: n, predicted: n ? sum / n : 0, observed: n ? failed / n : 0 };
  }),
  drift: {
    workers: drifting.length,
    fewerThan3TasksAfter: drifting.length - testable.length,
    flaggedOfThose: drifting.filter((d) => d.tasksAfter < 3 && d.delay !== null).length,
    atLeast3TasksAfter: testable.length,
    detected: detected.length,
    medianDelayTasks: detected.length ? detected[Math.floor(detected.length / 2)] : null,
    p90DelayTasks: detected.length ? detected[Math.ceil(0.9 * detected.length) - 1] : null,
    maxDelayTasks: detected.length ? detected[detected.length - 1] : null,
    falseAlarmsPerRun: mean(L.map((l) => l.falseAlarms)),
  },
  failingFlagsPerRun: mean(L.map((l) => l.failingFlags)),
};
const B = runs['learned+backup'].map((r) => r.backups!);
const backupStats = {
  startedPerRun: mean(B.map((b) => b.started)),
  wonPerRun: mean(B.map((b) => b.won)),
  wastedShareOfBusy: mean(B.map((b) => b.wastedSeconds / b.busySeconds)),
};
/** 'met' when the whole interval meets it; 'point estimate only' when only its mean does. */
const verdict = (c: Interval, meets: (x: number) => boolean) =>
  meets(c.lo) && meets(c.hi) ? 'met' : meets(c.mean) ? 'met on the point estimate only' : 'NOT met';
const targets = Object.fromEntries(
  (['learned', 'learned+backup'] as const).map((p) => {
    const c = comparisons[p];
    return [
      p,
      {
        meanLower20: verdict(c.vsHeuristic.meanLower, (x) => x >= 0.2),
        fewerFailedAttempts50: verdict(c.vsHeuristic.fewerFailedAttempts, (x) => x >= 0.5),
        p95WithinOracle10: verdict(c.vsOracle.p95Above, (x) => x <= 0.1),
      },
    ];
  }),
);

console.log(
  `coordinator: ${SEEDS} seeds (${FIRST}..${FIRST + SEEDS - 1}) × ${TASKS} tasks, 50 workers, ${POLICIES.length} policies; simulated in ${seconds.toFixed(1)} s`,
);
const H = summary.heuristic;
const O = summary.oracle;
console.table(
  POLICIES.map((p) => {
    const s = summary[p];
    return {
      policy: p,
      'mean (min)': Number(s.meanMinutes.toFixed(1)),
      'p95 (min)': Number(s.p95Minutes.toFixed(1)),
      'mean / heur.': Number((s.meanMinutes / H.meanMinutes).toFixed(3)),
      'mean / oracle': Number((s.meanMinutes / O.meanMinutes).toFixed(3)),
      'p95 / oracle': Number((s.p95Minutes / O.p95Minutes).toFixed(3)),
      'failed/run': Number(s.failedPerRun.toFixed(1)),
      'failed / heur.': Number((s.failedPerRun / H.failedPerRun).toFixed(3)),
      'failed dc/con/spot/vol': CLASSES.map((c) => s.failedByClass[c].toFixed(1)).join('/'),
      'cut short': Number(s.cutShortPerRun.toFixed(1)),
      'tasks dc/con/spot/vol %': CLASSES.map((c) => (100 * s.share[c]).toFixed(0)).join('/'),
    };
  }),
);
for (const p of ['learned', 'learned+backup'] as const) {
  const c = comparisons[p];
  const t = targets[p];
  console.log(
    `${p} vs heuristic (paired over seeds, 95% t-interval): mean ${ci(c.vsHeuristic.meanLower)} lower [target ≥ 20%: ${t.meanLower20}]; p95 ${ci(c.vsHeuristic.p95Lower)} lower; failed attempts ${ci(c.vsHeuristic.fewerFailedAttempts)} fewer [target ≥ 50%: ${t.fewerFailedAttempts50}]`,
  );
  console.log(
    `${p} vs heuristic×queue: mean ${ci(c.vsQueueHeuristic.meanLower)} lower; p95 ${ci(c.vsQueueHeuristic.p95Lower)} lower; failed attempts ${ci(c.vsQueueHeuristic.fewerFailedAttempts)} fewer`,
  );
  console.log(
    `${p} vs oracle: p95 ${ci(c.vsOracle.p95Above)} above [target ≤ 10%: ${t.p95WithinOracle10}]; mean ${ci(c.vsOracle.meanAbove)} above`,
  );
}
console.log(`oracle vs heuristic: failed attempts ${ci(oracleFewerFailed)} fewer (what knowing everything reaches)`);
console.log(
  `learned+backup: ${backupStats.startedPerRun.toFixed(1)} backup copies per run, ${backupStats.wonPerRun.toFixed(1)} finished first; the losing copies took ${pct(backupStats.wastedShareOfBusy)} of busy time`,
);
console.log(
  `learned model: Brier ${learnedModel.brier.toFixed(4)}; the pool's running mean as the prediction ${learnedModel.brierPoolMean.toFixed(4)}; the world's true probabilities ${learnedModel.brierTrueProbabilities.toFixed(4)}; p90 covers ${pct(learnedModel.p90Coverage)} of completed durations`,
);
console.log(
  `calibration (learned, all seeds; predicted pFail bin: attempts, mean predicted → observed): ${learnedModel.reliability
    .filter((r) => r.attempts > 0)
    .map((r) => `<${Number.isFinite(r.below) ? r.below : '1'}: ${r.attempts}, ${pct(r.predicted)} → ${pct(r.observed)}`)
    .join('; ')}`,
);
const dr = learnedModel.drift;
console.log(
  `drift (speed halved): flagged ${dr.detected} of the ${dr.atLeast3TasksAfter} drifting workers that ran ≥ 3 tasks after it (${dr.fewerThan3TasksAfter} of ${dr.workers} ran fewer, ${dr.flaggedOfThose} of them flagged); delay in their tasks: median ${dr.medianDelayTasks}, p90 ${dr.p90DelayTasks}, max ${dr.maxDelayTasks}; false alarms ${dr.falseAlarmsPerRun.toFixed(1)} per run over 50 workers; 'failing' flags ${learnedModel.failingFlagsPerRun.toFixed(1)} per run`,
);
console.log(`why (learned, seed ${FIRST}): ${runs.learned[0].learned!.examples[0]}`);
console.log(`why (learned+backup, seed ${FIRST}): ${runs['learned+backup'][0].learned!.examples.at(-1)}`);

// The real farm: processes, sockets and SQLite, two policies one after the other (`--no-farm` skips it).
const realFarm = args.includes('--no-farm') ? undefined : await benchRealFarm();
if (realFarm) printRealFarm(realFarm);
const redisFarm = args.includes('--no-farm') ? undefined : await benchRealFarmRedis();
if (redisFarm) printRealFarm(redisFarm);
const backupFarm = args.includes('--no-farm') ? undefined : await benchBackupFarm();
if (backupFarm) printBackupFarm(backupFarm);

mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'coordinator.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      seeds: SEEDS,
      firstSeed: FIRST,
      tasks: TASKS,
      seconds,
      world: WORLD,
      worlds,
      summary,
      comparisons,
      oracleFewerFailed,
      targets,
      learnedModel,
      backups: backupStats,
      examples: { learned: runs.learned[0].learned!.examples, backup: runs['learned+backup'][0].learned!.examples },
      realFarm,
      redisFarm,
      backupFarm,
      runs,
    },
    null,
    2,
  )}\n`,
);
