/**
 * The learning coordinator (farm/coordinator, issue #19) on small seeded worlds: it learns a per-kind speed
 * difference and routes by it, takes share from a worker that starts failing, does not starve new workers, predicts
 * the same numbers for the same seed, gives a p90 that covers ~90% of log-normal durations, flags a worker that
 * slows down, and rebuilds from its stored history. bench/coordinator.ts measures it on a 50-worker farm.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AssignOptions,
  assign,
  backupFor,
  CoordinatorModel,
  createHistory,
  historyFromJSON,
  historyRecords,
  liveEvidence,
  liveOffset,
  MODEL_DEFAULTS,
  predictedWait,
  remainingMedian,
  pushRecord,
  type TaskRecord,
  type WorkerView,
} from '../../src/farm/coordinator/index.js';
import { Rng } from '../../src/util/rng.js';

const gauss = (rng: Rng) => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const idle = (id: string, load = 0.3): WorkerView => ({ id, slots: 1, load, running: [], queued: [] });
/** A completed attempt of size 100 at no load, at noon. */
const doneRecord = (worker: string, group: string, kind: string, start: number, seconds: number): TaskRecord => ({
  worker,
  group,
  kind,
  size: 100,
  start,
  end: start + seconds,
  outcome: 'done',
  load: 0,
  hour: 12,
});

interface MiniWorker {
  id: string;
  speed: Record<string, number>;
  /** Failure probability of the task with this index, if assigned to this worker. */
  fail: (task: number) => number;
  /** Index of the first task it can take (joins the farm then). */
  from?: number;
}

interface Planned {
  task: number;
  kind: string;
  size: number;
  start: number;
  end: number;
  ok: boolean;
}

/**
 * A one-slot-per-worker farm: a task every `gap` seconds, assigned on arrival to a worker's FIFO; its time and fate
 * are drawn then (size / speed × log-normal noise), and the model learns each attempt when it ends. Failed attempts
 * are not retried (the share of tasks is what is measured). Returns each decision.
 */
function miniSim(
  seed: number,
  workers: MiniWorker[],
  tasks: number,
  gap: number,
  options: Partial<AssignOptions> = {},
  kinds = ['bake'],
) {
  const rng = new Rng(seed);
  const model = new CoordinatorModel();
  const plans = new Map<string, Planned[]>(workers.map((w) => [w.id, []]));
  const pending: (Planned & { worker: string })[] = [];
  const decisions: { task: number; worker: string; median: number; p90: number; pFail: number; reason: string }[] = [];
  const load = 0.3;
  for (let i = 0; i < tasks; i++) {
    const now = i * gap;
    const hour = Math.floor(now / 3600) % 24;
    // Learn what has ended by now, in order of ending.
    pending.sort((a, b) => a.end - b.end);
    while (pending.length > 0 && pending[0].end <= now) {
      const p = pending.shift()!;
      const r: TaskRecord = {
        worker: p.worker,
        kind: p.kind,
        size: p.size,
        start: p.start,
        end: p.end,
        outcome: p.ok ? 'done' : 'failed',
        load,
        hour: Math.floor(p.start / 3600) % 24,
      };
      model.observe(r);
    }
    const views: WorkerView[] = workers
      .filter((w) => (w.from ?? 0) <= i)
      .map((w) => {
        const mine = plans.get(w.id)!.filter((p) => p.end > now);
        return {
          id: w.id,
          slots: 1,
          load,
          running: mine
            .filter((p) => p.start <= now)
            .map((p) => ({ kind: p.kind, size: p.size, load, elapsed: now - p.start })),
          queued: mine.filter((p) => p.start > now).map((p) => ({ kind: p.kind, size: p.size })),
        };
      });
    const kind = kinds[rng.int(kinds.length)];
    const size = 50 * 3 ** rng.next();
    const d = assign({ id: `t${i}`, kind, size }, views, model, { now, hour }, options);
    decisions.push({ task: i, worker: d.worker, median: d.median!, p90: d.p90!, pFail: d.pFail!, reason: d.reason });
    const w = workers.find((x) => x.id === d.worker)!;
    const mine = plans.get(w.id)!;
    const start = Math.max(now, mine.length ? mine[mine.length - 1].end : 0);
    const seconds = (size / w.speed[kind]) * Math.exp(0.2 * gauss(rng));
    const ok = rng.next() >= w.fail(i);
    const p: Planned = { task: i, kind, size, start, end: start + (ok ? seconds : seconds / 2), ok };
    mine.push(p);
    pending.push({ ...p, worker: w.id });
  }
  return { decisions, model };
}

const share = (decisions: { task: number; worker: string }[], worker: string, from: number, to: number) =>
  decisions.filter((d) => d.task >= from && d.task < to && d.worker === worker).length / (to - from);

test('a worker 2× faster at render is preferred for render, and the other, 2× faster at bake, for bake, after N = 3 tasks of each', () => {
  // A renders at 2 units/s and bakes at 1; B the other way round. Both idle: after n tasks per (worker, kind), which
  // does the coordinator pick? One that did not tell kinds apart would see two equal workers and pick one for both.
  const speed: Record<string, Record<string, number>> = { A: { bake: 1, render: 2 }, B: { bake: 2, render: 1 } };
  const picks: { n: number; render: string[]; bake: string[] }[] = [];
  for (let n = 1; n <= 15; n++) {
    const rng = new Rng(`faster/${n}`);
    const model = new CoordinatorModel();
    let t = 0;
    for (let k = 0; k < n; k++)
      for (const worker of ['A', 'B'])
        for (const kind of ['bake', 'render']) {
          const size = 50 * 10 ** rng.next();
          const load = rng.range(0, 0.6);
          const seconds = (size / speed[worker][kind]) * (1 + 0.5 * load) * Math.exp(0.25 * gauss(rng));
          model.observe({ worker, kind, size, start: t, end: t + seconds, outcome: 'done', load, hour: 12 });
          t += seconds;
        }
    const pick = (kind: string, size: number) =>
      assign({ id: 'q', kind, size }, [idle('A'), idle('B')], model, { now: t, hour: 12 }).worker;
    picks.push({
      n,
      render: [60, 150, 400].map((s) => pick('render', s)),
      bake: [60, 150, 400].map((s) => pick('bake', s)),
    });
  }
  const right = (p: (typeof picks)[0]) => p.render.every((w) => w === 'A') && p.bake.every((w) => w === 'B');
  let N = picks.length + 1;
  for (let i = picks.length - 1; i >= 0 && right(picks[i]); i--) N = picks[i].n;
  console.log(`  2× faster at render: right for every n ≥ ${N} tasks per (worker, kind)`);
  assert.ok(N <= 3, `expected the right picks from 3 tasks per (worker, kind), got from ${N}`);
});

test('a worker that starts failing half its tasks loses its share, and is flagged within a few attempts', () => {
  const onset = 300;
  const workers: MiniWorker[] = [
    { id: 'A', speed: { bake: 1.2 }, fail: (i) => (i < onset ? 0.02 : 0.5) },
    { id: 'B', speed: { bake: 1 }, fail: () => 0.02 },
    { id: 'C', speed: { bake: 1 }, fail: () => 0.02 },
  ];
  // ~60% busy: mean size ≈ 91 units, ≈ 85 s at these speeds, over 3 workers.
  const { decisions, model } = miniSim(11, workers, 600, 48);
  const before = share(decisions, 'A', 150, onset);
  const after = share(decisions, 'A', 450, 600);
  // Its attempts assigned before the onset (all ended by the time it is flagged), then the first flag after them.
  const aBefore = decisions.filter((d) => d.task < onset && d.worker === 'A').length;
  const flag = model.drifts.find((d) => d.worker === 'A' && d.what === 'failing' && d.records > aBefore);
  const delay = flag ? flag.records - aBefore : Number.POSITIVE_INFINITY;
  console.log(
    `  A's share: ${(100 * before).toFixed(0)}% before it starts failing, ${(100 * after).toFixed(0)}% after; ` +
      `flagged 'failing' ${delay} of its attempts after the onset; pFail(A) now ${model.pFail('A', 0.3).toFixed(2)}`,
  );
  assert.ok(before > 0.3, `A (the fastest) should take the largest share first, took ${before}`);
  assert.ok(after < before / 2, `A's share should at least halve, went ${before} → ${after}`);
  assert.ok(delay <= 10, `A should be flagged within 10 attempts of the onset, was after ${delay}`);
  assert.ok(model.pFail('A', 0.3) > 0.3 && model.pFail('B', 0.3) < 0.1);
});

test('a worker whose failures jump from 2% to 50% is flagged within 10 attempts and its pFail passes 0.25 within 40, in each of 10 seeds', () => {
  const run = (seed: number, failThreshold: number) => {
    const rng = new Rng(`failing/${seed}`);
    const model = new CoordinatorModel({ failThreshold });
    let flagged = -1;
    let passed = -1;
    for (let i = 0; i < 500; i++) {
      const failed = rng.next() < (i < 300 ? 0.02 : 0.5);
      const raised = model.observe({
        worker: 'w',
        kind: 'bake',
        size: 100,
        start: i * 100,
        end: i * 100 + 90,
        outcome: failed ? 'failed' : 'done',
        load: 0.3,
        hour: 0,
      });
      if (raised.some((d) => d.what === 'failing') && flagged < 0) flagged = i - 299;
      if (i >= 300 && passed < 0 && model.pFail('w', 0.3) > 0.25) passed = i - 299;
    }
    return { flagged, passed };
  };
  const runs = Array.from({ length: 10 }, (_, k) => run(k + 1, MODEL_DEFAULTS.failThreshold));
  // The same counts without the flag's faster forgetting: the half-life alone.
  const slow = Array.from({ length: 10 }, (_, k) => run(k + 1, Number.POSITIVE_INFINITY).passed);
  console.log(
    `  flagged after ${runs.map((r) => r.flagged).join(', ')} attempts; pFail > 0.25 after ${runs.map((r) => r.passed).join(', ')}` +
      ` (without the flag ${slow.join(', ')})`,
  );
  for (const r of runs) {
    assert.ok(r.flagged >= 1 && r.flagged <= 10, `flagged after ${r.flagged}`);
    assert.ok(r.passed >= 1 && r.passed <= 40, `pFail passed 0.25 after ${r.passed}`);
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  assert.ok(median(runs.map((r) => r.passed)) < median(slow), 'the flag should make it notice sooner');
});

test('cold start: new workers get their first task within 10 of joining, in each of 5 seeds; without the bonus they wait', () => {
  // Three fast workers and a slow one have run 300 tasks (~40% busy); then a fast and a slow newcomer join. Both are
  // unknown: the model can only guess the pool's speed for them, which the slow old worker drags down.
  const K = 10;
  const join = 300;
  const workers: MiniWorker[] = [
    ...['e1', 'e2', 'e3'].map((id) => ({ id, speed: { bake: 2 }, fail: () => 0.02 })),
    { id: 'e4', speed: { bake: 0.7 }, fail: () => 0.02 },
    { id: 'new-fast', speed: { bake: 2 }, fail: () => 0.02, from: join },
    { id: 'new-slow', speed: { bake: 0.6 }, fail: () => 0.02, from: join },
  ];
  const first = (decisions: { task: number; worker: string }[], id: string) =>
    (decisions.find((d) => d.task >= join && d.worker === id)?.task ?? Number.POSITIVE_INFINITY) - join;
  const waits: number[] = [];
  const plainWaits: number[] = [];
  let fastShare = 0;
  let slowShare = 0;
  for (let seed = 1; seed <= 5; seed++) {
    const { decisions } = miniSim(seed, workers, join + 100, 60);
    waits.push(first(decisions, 'new-fast'), first(decisions, 'new-slow'));
    fastShare += share(decisions, 'new-fast', join, join + 100);
    slowShare += share(decisions, 'new-slow', join, join + 100);
    const plain = miniSim(seed, workers, join + 100, 60, { optimism: 1, minTasks: 0 }).decisions;
    plainWaits.push(first(plain, 'new-fast'), first(plain, 'new-slow'));
  }
  console.log(
    `  tasks until each newcomer's first (fast, slow per seed): ${waits.join(' ')}; without the bonus: ${plainWaits.join(' ')}`,
  );
  assert.ok(Math.max(...waits) < K, `a newcomer waited ${Math.max(...waits)} tasks for its first`);
  // The bonus is what does it: without it, some newcomer waits longer than K.
  assert.ok(Math.max(...plainWaits) >= K);
  // Once probed, the slow newcomer is used less than the fast one.
  assert.ok(slowShare < fastShare / 2, `slow ${slowShare / 5} vs fast ${fastShare / 5}`);
});

test('predictions and decisions are deterministic for a seed (and differ for another)', () => {
  const workers: MiniWorker[] = [
    { id: 'A', speed: { bake: 1.5, render: 0.8 }, fail: () => 0.05 },
    { id: 'B', speed: { bake: 1, render: 1.2 }, fail: (i) => (i % 7 === 0 ? 0.5 : 0.02) },
    { id: 'C', speed: { bake: 0.7, render: 0.7 }, fail: () => 0.1 },
  ];
  const run = (seed: number) => JSON.stringify(miniSim(seed, workers, 300, 40, {}, ['bake', 'render']).decisions);
  const a = run(3);
  assert.is(run(3), a);
  assert.is.not(run(4), a);
  assert.ok(a.includes('kind fit'), 'the decisions should come from per-kind fits by the end');
});

test('the p90 covers ~90% of log-normal durations (85–95%), and the median about half', () => {
  const rng = new Rng('coverage');
  const model = new CoordinatorModel();
  let covered = 0;
  let below = 0;
  let n = 0;
  for (let i = 0; i < 800; i++) {
    const size = 10 * 100 ** rng.next();
    const load = rng.next();
    const seconds = Math.exp(0.5 + 0.9 * Math.log(size) + 0.6 * load + 0.3 * gauss(rng));
    const p = model.predict('w', 'splat', size, load, 3);
    if (i >= 100) {
      n++;
      if (seconds <= p.p90) covered++;
      if (seconds <= p.median) below++;
    }
    model.observe({
      worker: 'w',
      kind: 'splat',
      size,
      start: i * 1000,
      end: i * 1000 + seconds,
      outcome: 'done',
      load,
      hour: 3,
    });
  }
  console.log(`  p90 covers ${((100 * covered) / n).toFixed(1)}%, median ${((100 * below) / n).toFixed(1)}% of ${n}`);
  assert.ok(covered / n >= 0.85 && covered / n <= 0.95, `p90 coverage ${covered / n}`);
  assert.ok(below / n >= 0.44 && below / n <= 0.56, `median coverage ${below / n}`);
});

test('a worker that halves its speed is flagged within 5 tasks, with no flag in the 80 before, in each of 10 seeds', () => {
  const delays: number[] = [];
  for (let seed = 1; seed <= 10; seed++) {
    const rng = new Rng(`drift/${seed}`);
    const model = new CoordinatorModel();
    let flaggedAt = -1;
    for (let i = 0; i < 120; i++) {
      const size = 100 * 10 ** rng.next();
      const speed = i < 80 ? 2 : 1;
      const seconds = (size / speed) * Math.exp(0.2 * gauss(rng));
      const record: TaskRecord = {
        worker: 'w',
        kind: 'render',
        size,
        start: i * 1e4,
        end: i * 1e4 + seconds,
        outcome: 'done',
        load: 0.2,
        hour: 10,
      };
      if (model.observe(record).some((d) => d.what === 'slower') && flaggedAt < 0) flaggedAt = i;
    }
    assert.ok(flaggedAt >= 80, `seed ${seed}: a false alarm at task ${flaggedAt}`);
    delays.push(flaggedAt - 79);
    // By the end it has followed the change: the median is about twice what it was.
    const p = model.predict('w', 'render', 300, 0.2, 10);
    assert.ok(p.median > 240 && p.median < 360, `seed ${seed}: median ${p.median} for ~300 s`);
  }
  console.log(`  halved at task 80: flagged after ${delays.join(', ')} tasks`);
  assert.ok(Math.max(...delays) <= 5, `flagged ${Math.max(...delays)} tasks after the drift`);
});

test('history: a ring of the last 1,000 that survives JSON, and a model replayed from it predicts as the live one', () => {
  const ring = createHistory('r');
  const rec = (i: number): TaskRecord => ({
    worker: 'r',
    kind: 'bake',
    size: 10,
    start: i,
    end: i + 1,
    outcome: 'done',
    load: 0.5,
    hour: 0,
  });
  for (let i = 0; i < 1005; i++) pushRecord(ring, rec(i));
  assert.is(ring.records.length, 1000);
  assert.is(ring.total, 1005);
  assert.equal(
    historyRecords(ring).map((r) => r.start),
    Array.from({ length: 1000 }, (_, i) => i + 5),
  );
  assert.throws(() => pushRecord(ring, { ...rec(0), load: 2 }), /history: record of r: load/);

  // The live model learns attempts as they end; a restarted one replays the stored rings.
  const rng = new Rng('history');
  const records: TaskRecord[] = [];
  for (let i = 0; i < 900; i++) {
    const worker = i % 3 === 0 ? 'a' : 'b';
    const size = 10 + 90 * rng.next();
    records.push({
      worker,
      kind: i % 2 ? 'bake' : 'render',
      size,
      start: i * 100,
      end: i * 100 + size * (worker === 'a' ? 1 : 2) * Math.exp(0.1 * gauss(rng)),
      outcome: rng.next() < 0.05 ? 'failed' : 'done',
      load: rng.next(),
      hour: Math.floor(i / 36) % 24,
    });
  }
  records.sort((x, y) => x.end - y.end);
  const live = new CoordinatorModel();
  const hs = { a: createHistory('a'), b: createHistory('b') };
  for (const r of records) {
    pushRecord(hs[r.worker as 'a' | 'b'], r);
    live.observe(r);
  }
  const stored = [hs.a, hs.b].map((h) => historyFromJSON(JSON.stringify(h)));
  assert.equal(historyRecords(stored[1]), historyRecords(hs.b));
  const replayed = CoordinatorModel.fromHistory(stored);
  for (const w of ['a', 'b']) {
    assert.equal(replayed.predict(w, 'bake', 50, 0.5, 7), live.predict(w, 'bake', 50, 0.5, 7), `worker ${w}`);
    assert.is(replayed.pFail(w, 0.99), live.pFail(w, 0.99));
  }
});

test("a lost lease is a hazard per second run: long runs on a preempted machine are riskier, an owner's 09:00 shutdown is learned by hour, and a class stands for its new machines", () => {
  const model = new CoordinatorModel();
  const rng = new Rng('losses');
  const H = 3600;
  const ran = (worker: string, group: string, start: number, end: number, lost: boolean) =>
    model.observe({
      worker,
      kind: 'bake',
      size: 10,
      start,
      end,
      outcome: lost ? 'lost' : 'done',
      load: 0.2,
      hour: Math.floor(start / H) % 24,
      group,
    });
  // Back-to-back runs of 5 min to 2 h over 20 days. 'spot1' is preempted as a Poisson process, one per 3 h of
  // running; 'dc1' never. 'vol1' runs 1-hour tasks from 17:00 to 09:00 and its owner takes it offline at 09:00.
  for (const [id, group] of [
    ['spot1', 'spot'],
    ['dc1', 'dc'],
  ] as const) {
    for (let t = 0; t < 20 * 24 * H; ) {
      const seconds = 300 * 24 ** rng.next();
      const lostAfter = id === 'spot1' ? -Math.log(1 - rng.next()) * 3 * H : Number.POSITIVE_INFINITY;
      const lost = lostAfter < seconds;
      const end = t + (lost ? lostAfter : seconds);
      ran(id, group, t, end, lost);
      t = end + (lost ? 900 : 0);
    }
  }
  for (let day = 0; day < 20; day++)
    for (let t = day * 24 * H + 17 * H + 1800; t < (day + 1) * 24 * H + 9 * H; t += H) {
      const end = Math.min(t + H, (day + 1) * 24 * H + 9 * H);
      ran('vol1', 'vol', t, end, end < t + H);
    }
  const run = (seconds: number, hour = 14) => ({ seconds, hour, start: hour * H });
  const truth = (seconds: number) => 1 - Math.exp(-seconds / (3 * H));
  const long = model.pLost('spot1', run(2 * H));
  const short = model.pLost('spot1', run(300));
  console.log(
    `  spot1: p(lost) ${long.toFixed(3)} over 2 h (true ${truth(2 * H).toFixed(3)}), ${short.toFixed(3)} over 5 min (true ${truth(300).toFixed(3)}); dc1 ${model.pLost('dc1', run(2 * H)).toFixed(3)} over 2 h`,
  );
  assert.ok(long > 0.35 && long < 0.65, `spot1 over 2 h: ${long}`);
  assert.ok(short < 0.06, `spot1 over 5 min: ${short}`);
  assert.ok(model.pLost('dc1', run(2 * H)) < 0.05);
  // Losses are not errors: the error rate is the pool's prior still, and a run's pFail holds both.
  assert.ok(model.pError('spot1', 0.2) < 0.06, `spot1 p(error) ${model.pError('spot1', 0.2)}`);
  assert.ok(
    Math.abs(model.pFail('spot1', 0.2, run(2 * H)) - (1 - (1 - model.pError('spot1', 0.2)) * (1 - long))) < 1e-12,
  );
  // The owner's hours: a run across 09:00, against one in the evening.
  const across = model.pLost('vol1', { seconds: H, hour: 8, start: 8 * H + 1800 });
  const evening = model.pLost('vol1', { seconds: H, hour: 20, start: 20 * H });
  console.log(`  vol1: p(lost) ${across.toFixed(3)} for an hour across 09:00, ${evening.toFixed(3)} from 20:00`);
  // Hours are the grain: the 09:00 shutdown is spread over the hour before it (the true chance is 1).
  assert.ok(across > 0.3 && across > 10 * evening, `across 09:00 ${across}, evening ${evening}`);
  // New machines of a class, before any record of their own: the class's rate, not the pool's.
  model.setGroup('spot2', 'spot');
  model.setGroup('dc2', 'dc');
  const spot2 = model.pLost('spot2', run(2 * H));
  const dc2 = model.pLost('dc2', run(2 * H));
  assert.ok(spot2 > 0.25 && dc2 < 0.1, `new spot ${spot2}, new dc ${dc2}`);
  assert.is(model.summary('spot1').lossPerHour > 0.2, true);
});

test("a class stands for its new machines' speed per kind, and a worker's own fit of a kind takes over as its scatter allows", () => {
  // Two classes 4× apart in speed, render 2× faster than bake in 'fast' only; 6 workers each, 15 tasks of each kind.
  const rng = new Rng('groups');
  const model = new CoordinatorModel();
  const classes = { fast: { bake: 0.5, render: 0.25 }, slow: { bake: 2, render: 2 } } as const;
  let t = 0;
  for (let i = 0; i < 15; i++)
    for (const [group, perUnit] of Object.entries(classes))
      for (let w = 0; w < 6; w++)
        for (const kind of ['bake', 'render'] as const) {
          model.observe(doneRecord(`${group}${w}`, group, kind, t, 100 * perUnit[kind] * Math.exp(0.1 * gauss(rng))));
          t += 1;
        }
  // New machines, nothing of their own yet: their class's seconds per kind, not the pool's average of both classes.
  model.setGroup('fastNew', 'fast');
  model.setGroup('slowNew', 'slow');
  const p = (worker: string, kind: string) => model.predict(worker, kind, 100, 0, 12).median;
  for (const [worker, group] of [
    ['fastNew', 'fast'],
    ['slowNew', 'slow'],
  ] as const)
    for (const kind of ['bake', 'render'] as const) {
      const want = 100 * classes[group][kind];
      assert.ok(
        Math.abs(Math.log(p(worker, kind) / want)) < 0.15,
        `${worker} ${kind}: ${p(worker, kind)} s, class ${want} s`,
      );
    }
  assert.ok(Math.abs(Math.log(p('nobody', 'bake') / 125)) < 0.3, `no class: the pool's ${p('nobody', 'bake')} s`);
  // A fast machine 1.5× slower at bake than its class, with little scatter: after 3 tasks its fit carries most of it.
  for (let i = 0; i < 3; i++)
    model.observe({
      worker: 'fastNew',
      group: 'fast',
      kind: 'bake',
      size: 100,
      start: t + 100 * i,
      end: t + 100 * i + 75,
      outcome: 'done',
      load: 0,
      hour: 12,
    });
  const after = p('fastNew', 'bake');
  assert.ok(after > 66 && after < 80, `after 3 tasks of 75 s: ${after} s`);
});

test('backup copies (LATE): past its p90, or on course to it at its progress rate; a copy only where it would end first', () => {
  // Two workers that took 10 s per unit of bake, 30 times each: p90 a little over 10 s.
  const model = new CoordinatorModel();
  const rng = new Rng(7);
  let t = 0;
  for (let i = 0; i < 60; i++) {
    const seconds = 10 * Math.exp(0.05 * gauss(rng));
    const worker = i % 2 ? 'a' : 'b';
    model.observe({ worker, kind: 'bake', size: 1, start: t, end: t + seconds, outcome: 'done', load: 0, hour: 12 });
    t += seconds;
  }
  const state = { now: t, hour: 12 };
  const task = { id: 't', kind: 'bake', size: 1 };
  const on = (elapsed: number, progress?: number) => ({
    task,
    worker: 'a',
    kind: 'bake',
    size: 1,
    load: 0,
    elapsed,
    progress,
  });
  const p = model.predict('a', 'bake', 1, 0, 12);
  assert.ok(p.p90 > 10 && p.p90 < 12, `p90 ${p.p90}`);
  // Before its median, nothing; past its p90 without progress, the fit's own tail says it ends soon: no copy wins.
  assert.is(backupFor(on(4), [idle('b', 0)], model, state), undefined);
  assert.is(backupFor(on(1.2 * p.p90), [idle('b', 0)], model, state), undefined);
  // Its progress rate says it is at a third after 12 s (a slowed worker): 24 s to go, so a fresh copy on b wins.
  const d = backupFor(on(12, 1 / 3), [idle('b', 0)], model, state);
  assert.is(d?.worker, 'b');
  assert.match(d!.reason, /24\.0 s to go at its progress rate/);
  // On course only: past its median (10 s) at a fifth done, it projects 55 s against a p90 of ~11.
  assert.is(backupFor(on(11, 0.2), [idle('b', 0)], model, state)?.worker, 'b');
  // On time: at 11 s and 95% done, 0.6 s to go; no copy.
  assert.is(backupFor(on(11, 0.95), [idle('b', 0)], model, state), undefined);
  // Never on its own worker, nor on a busy one.
  assert.is(backupFor(on(12, 1 / 3), [idle('a', 0)], model, state), undefined);
  assert.is(
    backupFor(
      on(12, 1 / 3),
      [{ ...idle('b', 0), running: [{ kind: 'bake', size: 1, load: 0, elapsed: 1 }] }],
      model,
      state,
    ),
    undefined,
  );
});

test.run();

test('running tasks count before they end: a new class far slower than predicted loses its next task as soon as its first one reports progress', () => {
  // A pool that knows a fast class (100 s a task); six volunteers registered, none has ended a task.
  const model = new CoordinatorModel();
  const rng = new Rng('live');
  let t = 0;
  for (let i = 0; i < 40; i++) {
    model.observe(doneRecord(`dc${i % 4}`, 'dc', 'bake', t, 100 * Math.exp(0.1 * gauss(rng))));
    t += 30;
  }
  for (let i = 1; i <= 6; i++) model.setGroup(`vol${i}`, 'vol');
  // Every data-centre machine is busy for about 200 s more; vol1 is 10% into a task that will take 3,000 s.
  const busy = (id: string): WorkerView => ({
    id,
    slots: 1,
    load: 0,
    running: [{ kind: 'bake', size: 100, load: 0, elapsed: 0 }],
    queued: [{ kind: 'bake', size: 100 }],
  });
  const vol1: WorkerView = {
    id: 'vol1',
    slots: 1,
    load: 0,
    running: [{ kind: 'bake', size: 100, load: 0, elapsed: 300, progress: 0.1 }],
    queued: [],
  };
  const views = [...[0, 1, 2, 3].map((i) => busy(`dc${i}`)), vol1, ...[2, 3, 4, 5, 6].map((i) => idle(`vol${i}`, 0))];
  const state = { now: t, hour: 12 };
  const task = { id: 'next', kind: 'bake', size: 100 };

  const live = liveEvidence([{ worker: 'vol1', task: vol1.running[0] }], model, 12);
  const z = live.get('vol1')![0];
  const median = model.predict('vol1', 'bake', 100, 0, 12).median;
  assert.ok(Math.abs(z - Math.log(3000 / median)) < 1e-9, `vol1's evidence: ${z}, log(3000 / ${median})`);
  // Half of it moves vol1's and each idle volunteer's prediction (one task of evidence against one of prior).
  assert.ok(Math.abs(liveOffset('vol2', live, model) - z / 2) < 1e-9);
  assert.ok(Math.abs(liveOffset('vol1', live, model) - z / 2) < 1e-9);
  assert.is(liveOffset('dc0', live, model), 0, 'another class is not moved');
  // vol1's wait is what its progress rate says: 2,700 s to go.
  assert.ok(Math.abs(predictedWait(vol1, model, 12) - 2700) < 1e-6);

  const before = assign(task, views, model, state, { live: false });
  assert.ok(
    before.worker.startsWith('vol'),
    `judged by ended attempts only, an idle volunteer takes it: ${before.reason}`,
  );
  const after = assign(task, views, model, state);
  assert.ok(after.worker.startsWith('dc'), `with vol1's progress, a data-centre machine does: ${after.reason}`);

  // Without progress reports, a task past its p90 is a lower bound on its time, and counts once past it.
  const silent = { kind: 'bake', size: 100, load: 0, elapsed: 3000 };
  assert.ok(
    liveEvidence([{ worker: 'vol1', task: silent }], model, 12).get('vol1')![0] >= Math.log(3000 / median) - 1e-9,
  );
  assert.is(liveEvidence([{ worker: 'vol1', task: { ...silent, elapsed: 60 } }], model, 12).size, 0);
  // A report read later than it was made: the fraction over the time to the report, not to now (0.5 done at 20 s,
  // read at 36 s, ends at 40 s; elapsed / fraction would say 72 s).
  const late: WorkerView = {
    ...idle('dc9', 0),
    running: [{ kind: 'bake', size: 40, load: 0, elapsed: 36, progress: 0.5, progressElapsed: 20 }],
  };
  assert.ok(Math.abs(predictedWait(late, model, 12) - 4) < 1e-9, `${predictedWait(late, model, 12)} s to go`);
  // The first reports of a short task are mostly the report's lag: not gone by (the fit's time left is).
  const early = { ...late.running[0], elapsed: 1.5, progress: 0.2, progressElapsed: 1 };
  assert.is(liveEvidence([{ worker: 'dc9', task: early }], model, 12).size, 0);
  const fit = model.predict('dc9', 'bake', 40, 0, 12);
  assert.ok(Math.abs(predictedWait({ ...late, running: [early] }, model, 12) - remainingMedian(fit, 1.5)) < 1e-9);
  // Once a volunteer has ended tasks of its own, the model's levels speak for the class, not its running tasks.
  for (let i = 0; i < 3; i++) model.observe(doneRecord('vol2', 'vol', 'bake', t + 3000 * i, 3000));
  assert.is(liveOffset('vol2', live, model), 0);
});
