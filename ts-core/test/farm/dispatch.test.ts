/**
 * The learning coordinator in the farm's dispatch (farm/dispatch.ts, issue #19): the embedded queue and its SQLite
 * store, driven on a virtual clock by workers whose true speed and failure rate the test sets. Each idle worker asks
 * for work (queue.claim, the path local and remote workers take); a job it gets ends after its true time, done or
 * failed (queue.finish / queue.fail), which is what the coordinator learns from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { workersTable } from '../../src/cli/commands/farm.js';
import { LearnedDispatch, taskSize } from '../../src/farm/dispatch.js';
import { spawnRedis } from '../../src/farm/processes.js';
import { EmbeddedQueue, type StoreQueue } from '../../src/farm/queue.js';
import { RedisQueue } from '../../src/farm/redis-queue.js';
import { FarmStore, type JobRow } from '../../src/farm/store.js';

interface SimWorker {
  id: string;
  /** True seconds per unit of size, per kind. */
  speed: Record<string, number>;
  /** Probability that an attempt fails, from job `failFrom` on (by submission order). */
  failRate?: number;
  failFrom?: number;
  /** Joins the farm at this virtual second. */
  joins?: number;
  /** Its machine's load by virtual second (absent: 0), which it reports when it asks for work unless `silent`. */
  load?: (t: number) => number;
  silent?: boolean;
  /** Probability that an attempt started at a load over 0.95 fails (the design's unstable peer). */
  hotFailRate?: number;
  /** From job `slowFrom` on (by submission order), its attempts take `slowdown` times as long. */
  slowFrom?: number;
  slowdown?: number;
  /** The class it registers as (`ote farm worker --class`). */
  cls?: string;
}

interface Sim {
  dir: string;
  store: FarmStore;
  queue: StoreQueue;
  /** Per job (in submission order): the worker of each attempt, and whether it failed. */
  attempts: { job: number; worker: string; failed: boolean; at: number; hot: boolean }[];
  /** Job ids in submission order. */
  ids: string[];
  /** Attempts stopped because their job ended elsewhere (a backup copy won): the heartbeat was refused. */
  stopped: { job: number; worker: string }[];
  close(): Promise<void>;
}

/** A deterministic hash in [0, 1) of a string: the simulated workers' coin. */
function coin(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  return ((h ^ (h >>> 15)) >>> 0) / 2 ** 32;
}

/**
 * Runs `jobs` (kind and size, submitted `burst` (1) at a time every `every` seconds) on `workers` until all ended,
 * in steps of 0.5 s.
 * `dispatch` false: first come, first served (the baseline).
 */
async function simulate(
  workers: SimWorker[],
  jobs: { kind: string; size: number }[],
  opts: {
    every?: number;
    burst?: number;
    dispatch?: boolean;
    backups?: 'off' | 'tasks' | 'all';
    /** A Redis URL: BullMQ holds the queue (jobs are then all of the kind 'simulated'). */
    redis?: string;
    /** Running jobs' progress as evidence of their workers' speed (assign's `live`; default on). */
    live?: boolean;
  } = {},
): Promise<Sim> {
  const dir = mkdtempSync(join(tmpdir(), 'ote-dispatch-'));
  const store = new FarmStore(join(dir, 'farm.db'));
  let clock = 1_700_000_000_000;
  const queueOptions = { backoffMs: 10, maxAttempts: 20, leaseMs: 3_600_000 };
  const queue: StoreQueue = opts.redis
    ? await RedisQueue.open(store, { url: opts.redis, prefix: `ote-test-${Date.now()}` }, queueOptions, {}, () => clock)
    : new EmbeddedQueue(store, queueOptions, {}, () => clock);
  const dispatch = new LearnedDispatch(store, {
    liveMs: 5_000,
    chooses: opts.dispatch !== false,
    ...(opts.backups ? { backups: opts.backups } : {}),
    ...(opts.live === false ? { assign: { live: false } } : {}),
  });
  for (const w of workers) if (w.cls) dispatch.registered(w.id, w.cls);
  queue.coordinator = dispatch;
  const every = opts.every ?? 1;
  const ids: string[] = [];
  const attempts: Sim['attempts'] = [];
  const stopped: Sim['stopped'] = [];
  const running = new Map<string, { job: JobRow; started: number; ends: number; fails: boolean; hot: boolean }>();
  const t0 = clock;
  const pending = jobs.slice();
  let nextSubmit = t0;
  const run = async () => {
    for (let step = 0; step < 200_000; step++) {
      for (let b = 0; pending.length && clock >= nextSubmit; b++) {
        const j = pending.shift()!;
        const row = await queue.submit({
          key: 'k',
          kind: 'simulated',
          spec: { simulatedSeconds: j.size },
        });
        // The kind is what the coordinator fits by: give the row the test's kind (BullMQ's queues are by kind).
        if (!opts.redis) store.db.prepare('UPDATE jobs SET kind = ? WHERE id = ?').run(j.kind, row.id);
        ids.push(row.id);
        if ((b + 1) % (opts.burst ?? 1) === 0) nextSubmit += every * 1000;
      }
      for (const [w, r] of [...running]) {
        // A worker heartbeats its lease; a refused heartbeat (its job ended elsewhere) stops the attempt.
        if (!(await queue.heartbeat(r.job.id, w))) {
          running.delete(w);
          stopped.push({ job: ids.indexOf(r.job.spec.backupOf ?? r.job.id), worker: w });
          continue;
        }
        if (clock < r.ends) {
          // …and reports how far it is, as real workers do (the progress rate is LATE's estimate of time left).
          queue.progress(r.job.id, w, 'run', (clock - r.started) / (r.ends - r.started));
          continue;
        }
        running.delete(w);
        attempts.push({ job: ids.indexOf(r.job.id), worker: w, failed: r.fails, at: (clock - t0) / 1000, hot: r.hot });
        if (r.fails) await queue.fail(r.job.id, 'simulated failure', w);
        else await queue.finish(r.job.id, w, { exitCode: 0, result: { artifacts: {} } });
      }
      for (const w of workers) {
        if (running.has(w.id) || (w.joins ?? 0) * 1000 > clock - t0) continue;
        const kinds = Object.keys(w.speed);
        const load = w.load?.((clock - t0) / 1000);
        const job = await queue.claim(w.id, kinds, w.silent ? undefined : { load });
        if (!job) continue;
        // A backup copy is the same work as its job.
        const n = ids.indexOf(job.spec.backupOf ?? job.id);
        const hot = (load ?? 0) > 0.95;
        const draw = coin(`${w.id}/${n}/${job.attempts}`);
        const fails = (n >= (w.failFrom ?? 0) && draw < (w.failRate ?? 0)) || (hot && draw < (w.hotFailRate ?? 0));
        const seconds = w.speed[job.kind] * taskSize(job) * (n >= (w.slowFrom ?? Infinity) ? (w.slowdown ?? 1) : 1);
        running.set(w.id, { job, started: clock, ends: clock + 1000 * (fails ? seconds / 2 : seconds), fails, hot });
      }
      const open = store.jobsByState();
      if (!pending.length && open.queued === 0 && open.running === 0) return;
      clock += 500;
    }
    throw new Error('simulation did not end');
  };
  const close = async () => {
    await queue.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run();
  } catch (e) {
    await close();
    throw e;
  }
  return { dir, store, queue, attempts, ids, stopped, close };
}

const share = (s: Sim, worker: string, from = 0, to = Infinity) => {
  const done = s.attempts.filter((a) => !a.failed && a.job >= from && a.job < to);
  return done.filter((a) => a.worker === worker).length / Math.max(1, done.length);
};

test('a worker 2× faster at one kind gets most of that kind once the coordinator has seen a few tasks', async () => {
  const workers: SimWorker[] = [
    // The plain worker asks first: first come, first served would give it every job.
    { id: 'plain', speed: { bake: 1, render: 1 } },
    { id: 'gpu-beast', speed: { bake: 0.5, render: 1 } },
  ];
  // Jobs arrive more slowly than the pair can run them, so choosing well costs nobody a slot.
  const jobs = Array.from({ length: 60 }, (_, i) => ({ kind: i % 2 ? 'render' : 'bake', size: 1 }));
  const s = await simulate(workers, jobs, { every: 3 });
  try {
    const late = s.attempts.filter((a) => a.job >= 20 && !a.failed);
    const bakesOnBeast = late.filter((a) => a.job % 2 === 0 && a.worker === 'gpu-beast').length;
    const bakes = late.filter((a) => a.job % 2 === 0).length;
    assert.ok(bakesOnBeast / bakes > 0.8, `bake on the fast worker: ${bakesOnBeast} of ${bakes}`);
    // Its reasons are in the job's events.
    const first = s.store.events(firstJob(s), 0);
    assert.ok(
      first.some((e) => e.event.type === 'log' && e.event.message.startsWith('dispatch: ')),
      'the dispatch reason is logged',
    );
  } finally {
    s.close();
  }
});

function firstJob(s: Sim): string {
  const r = s.store.db.prepare('SELECT id FROM jobs ORDER BY created LIMIT 1').get() as { id: string };
  return r.id;
}

test('a worker that starts failing loses its share; first come, first served keeps feeding it', async () => {
  const workers: SimWorker[] = [
    // The flaky worker asks first: first come, first served gives it every job it is idle for.
    { id: 'flaky', speed: { bake: 1 }, failRate: 0.5, failFrom: 30 },
    { id: 'steady', speed: { bake: 1 } },
  ];
  const jobs = Array.from({ length: 100 }, () => ({ kind: 'bake', size: 1 }));
  const learned = await simulate(workers, jobs, { every: 1.2 });
  const fifo = await simulate(workers, jobs, { every: 1.2, dispatch: false });
  try {
    const before = share(learned, 'flaky', 0, 30);
    const after = share(learned, 'flaky', 60);
    assert.ok(before > 0.3, `flaky's share before it fails: ${before.toFixed(2)}`);
    assert.ok(after < 0.5 * before, `flaky's share after: ${after.toFixed(2)} (before ${before.toFixed(2)})`);
    const failed = (s: Sim) => s.attempts.filter((a) => a.failed).length;
    assert.ok(
      failed(learned) < 0.6 * failed(fifo),
      `failed attempts: learned ${failed(learned)}, fifo ${failed(fifo)}`,
    );
    // `ote farm workers` shows what was learned: attempts, failures and seconds per unit per kind.
    const table = workersTable(
      ['flaky', 'steady'].map((id) => ({ id, busy: false, learned: learned.queue.coordinator!.summary(id) ?? null })),
    );
    // Columns after the class: busy, attempts, failed, p(fail).
    const row = (id: string) =>
      table
        .split('\n')
        .find((l) => l.startsWith(id))!
        .match(/ (yes|no) +(\d+) +(\d+) +([\d.]+) /)!;
    const flakyFailed = learned.attempts.filter((a) => a.worker === 'flaky' && a.failed).length;
    assert.is(Number(row('flaky')[3]), flakyFailed, table);
    assert.is(Number(row('steady')[3]), 0, table);
    assert.ok(Number(row('flaky')[4]) > Number(row('steady')[4]), `p(fail) column:\n${table}`);
    assert.match(table, /bake: 1\.\d+ \(n /);
  } finally {
    learned.close();
    fifo.close();
  }
});

test('a worker that fails when its machine is hot (its reported load) gets jobs while cool, few while hot, and is not dropped', async () => {
  // The design's unstable peer: the fastest, and it fails 60% of the attempts it starts above 95% load. Its
  // owner's work makes it hot for 30 s of each minute.
  const unstable = (silent: boolean): SimWorker => ({
    id: 'unstable',
    speed: { render: 0.8 },
    hotFailRate: 0.6,
    load: (t) => (Math.floor(t / 30) % 2 ? 0.97 : 0.2),
    silent,
  });
  const steady: SimWorker = { id: 'steady', speed: { render: 1 }, load: () => 0.3 };
  const jobs = Array.from({ length: 240 }, () => ({ kind: 'render', size: 1 }));
  const told = await simulate([unstable(false), steady], jobs, { every: 1.2 });
  // The same world with no telemetry: the model cannot tell hot from cool.
  const silent = await simulate([unstable(true), steady], jobs, { every: 1.2 });
  try {
    const model = told.queue.coordinator!.model;
    assert.ok(
      model.pFail('unstable', 0.97) > 0.3 && model.pFail('unstable', 0.2) < 0.15,
      `learned p(fail) hot ${model.pFail('unstable', 0.97).toFixed(2)}, cool ${model.pFail('unstable', 0.2).toFixed(2)}`,
    );
    // Once learned (the second half), it starts few attempts while hot and most of the work while cool.
    const late = told.attempts.filter((a) => a.job >= 120);
    const on = (hot: boolean) => late.filter((a) => a.worker === 'unstable' && a.hot === hot).length;
    assert.ok(on(false) > 3 * on(true), `unstable's attempts while cool ${on(false)}, while hot ${on(true)}`);
    assert.ok(share(told, 'unstable', 120) > 0.3, `its share of the work ${share(told, 'unstable', 120).toFixed(2)}`);
    // `ote farm workers` shows both error rates, its losses per hour (none here) and the load it last reported.
    const table = workersTable([
      { id: 'unstable', busy: false, load: 0.97, learned: told.queue.coordinator!.summary('unstable') ?? null },
    ]);
    const cols = table.split('\n')[1].trim().split(/ +/);
    assert.ok(Number(cols[4]) < 0.15 && Number(cols[5]) > 0.3 && Number(cols[6]) < 0.1 && cols[7] === '0.97', table);
    // Without telemetry its failures look random: the coordinator learns only that it fails, and stops using it.
    assert.ok(
      share(silent, 'unstable', 120) < 0.5 * share(told, 'unstable', 120),
      `its share with no telemetry ${share(silent, 'unstable', 120).toFixed(2)}`,
    );
  } finally {
    told.close();
    silent.close();
  }
});

test('cold start: a new worker joining an experienced farm gets tasks soon (explored), and keeps them if fast', async () => {
  const workers: SimWorker[] = [
    { id: 'veteran', speed: { bake: 1 } },
    { id: 'newcomer', speed: { bake: 0.5 }, joins: 60 },
  ];
  const jobs = Array.from({ length: 80 }, () => ({ kind: 'bake', size: 1 }));
  const s = await simulate(workers, jobs, { every: 1.5 });
  try {
    const firstNew = s.attempts.find((a) => a.worker === 'newcomer');
    assert.ok(firstNew && firstNew.at < 70, `the newcomer's first task at ${firstNew?.at} s (joined at 60)`);
    assert.ok(share(s, 'newcomer', 60) > 0.5, `the faster newcomer's share: ${share(s, 'newcomer', 60).toFixed(2)}`);
  } finally {
    s.close();
  }
});

test("a new class 60× slower than predicted: once its first member's job reports progress, the members that join later are left alone", async () => {
  // Two data-centre machines serve 1 s jobs every 0.8 s; a volunteer (60 s a job) registers at 60 s, three more at 75.
  const workers: SimWorker[] = [
    { id: 'dc1', speed: { bake: 1 }, cls: 'dc' },
    { id: 'dc2', speed: { bake: 1 }, cls: 'dc' },
    ...[1, 2, 3, 4].map((i) => ({ id: `vol${i}`, speed: { bake: 60 }, cls: 'volunteer', joins: i === 1 ? 60 : 75 })),
  ];
  const jobs = Array.from({ length: 140 }, () => ({ kind: 'bake', size: 1 }));
  const volunteered = async (live: boolean) => {
    const s = await simulate(workers, jobs, { every: 0.8, live });
    try {
      // Attempts started on volunteers before the first of theirs could end (by 120 s), and over the whole run.
      const vol = s.attempts.filter((a) => a.worker.startsWith('vol'));
      return { early: vol.filter((a) => a.at - 60 < 120).length, all: vol.length };
    } finally {
      await s.close();
    }
  };
  const on = await volunteered(true);
  const off = await volunteered(false);
  console.log(`  volunteer jobs started by 120 s: ${on.early} with progress as evidence, ${off.early} without`);
  assert.ok(on.early <= 2, `with progress as evidence: ${on.early} volunteer jobs started by 120 s`);
  assert.ok(
    off.early >= 3,
    `judged by ended jobs only: ${off.early} (each new volunteer is tried at the pool's speed)`,
  );
  assert.ok(on.all < off.all, `volunteer jobs over the run: ${on.all} against ${off.all}`);
});

test('deterministic, and what it learned survives a restart (the history is in the store)', async () => {
  const workers: SimWorker[] = [
    { id: 'a', speed: { bake: 0.5 } },
    { id: 'b', speed: { bake: 1 }, failRate: 0.2 },
  ];
  const jobs = Array.from({ length: 40 }, () => ({ kind: 'bake', size: 1 }));
  const one = await simulate(workers, jobs, { every: 1 });
  const two = await simulate(workers, jobs, { every: 1 });
  try {
    assert.equal(
      one.attempts.map((a) => [a.job, a.worker, a.failed]),
      two.attempts.map((a) => [a.job, a.worker, a.failed]),
    );
    const live = one.queue.coordinator!;
    const restarted = new LearnedDispatch(one.store);
    // Replayed in order of end time (records ending together may replay in another order: equal to rounding).
    for (const w of ['a', 'b']) {
      const x = restarted.summary(w)!,
        y = live.summary(w)!;
      assert.equal([x.records, x.done], [y.records, y.done], `worker ${w}`);
      const near = (p: number, q: number) => Math.abs(p - q) <= 1e-6 * Math.max(1, Math.abs(q));
      assert.ok(near(x.kinds[0].secondsPerUnit, y.kinds[0].secondsPerUnit), `worker ${w} speed`);
      assert.ok(near(x.pFail.normal, y.pFail.normal), `worker ${w} pFail`);
    }
    assert.ok(live.summary('a')!.kinds[0].secondsPerUnit < live.summary('b')!.kinds[0].secondsPerUnit);
  } finally {
    one.close();
    two.close();
  }
});

for (const backend of ['embedded', 'BullMQ/Redis'] as const)
  test(`${backend}: backup copies (LATE): a straggler past its p90 is copied to an idle worker, the first to end completes the job, and the overtaken attempt is stopped and learned from`, async () => {
    // On BullMQ every job is of the kind 'simulated' (simulate()), and the copies live in the store alone.
    const dir = mkdtempSync(join(tmpdir(), 'ote-dispatch-backups-'));
    const redis = backend === 'embedded' ? undefined : await spawnRedis(dir);
    const kind = redis ? 'simulated' : 'render';
    // Three equal workers given a job each every 3 s (a split job's three tasks, say); from job 40 on, c takes 12×
    // as long (its disk died). The jobs are independent here, so backups are asked for every job ('all'; the
    // default copies only a split job's tasks).
    const workers: SimWorker[] = ['a', 'b', 'c'].map((id) => ({
      id,
      speed: { [kind]: 1 },
      ...(id === 'c' ? { slowFrom: 40, slowdown: 12 } : {}),
    }));
    const jobs = Array.from({ length: 80 }, () => ({ kind, size: 1 }));
    const times = (s: Sim, from: number) => {
      const t = s.ids.slice(from).map((id) => {
        const j = s.store.job(id)!;
        assert.is(j.state, 'completed', `${id}: ${j.reason}`);
        return (j.finished! - j.created) / 1000;
      });
      return { mean: t.reduce((a, b) => a + b, 0) / t.length, max: Math.max(...t) };
    };
    let off: Sim | undefined, on: Sim | undefined;
    try {
      off = await simulate(workers, jobs, { every: 3, burst: 3, backups: 'off', redis: redis?.url });
      on = await simulate(workers, jobs, { every: 3, burst: 3, backups: 'all', redis: redis?.url });
      const [before, after] = [times(off, 40), times(on, 40)];
      const backups = on.store.db
        .prepare("SELECT id, spec, state, reason FROM jobs WHERE json_extract(spec, '$.backupOf') IS NOT NULL")
        .all() as { id: string; spec: string; state: string; reason: string | null }[];
      const won = backups.filter((b) => b.state === 'completed');
      console.log(
        `  jobs 40-79: mean ${before.mean.toFixed(2)} s, longest ${before.max.toFixed(1)} s without backups; ${after.mean.toFixed(2)} s, ${after.max.toFixed(1)} s with ${backups.length} (${won.length} won, ${on.stopped.length} attempts stopped)`,
      );
      assert.ok(before.max >= 10, `without backups a job on c takes its 12 s (${before.max} s)`);
      assert.ok(after.max < 0.75 * before.max, `with backups the longest takes ${after.max} s`);
      assert.ok(after.mean < before.mean, `${after.mean} against ${before.mean}`);
      // Each winning copy completed its job, whose events say so; the overtaken attempt on c was stopped.
      assert.ok(won.length > 0);
      for (const b of won) {
        const original = on.store.job(JSON.parse(b.spec).backupOf)!;
        assert.is(original.state, 'completed');
        assert.match(original.reason ?? '', new RegExp(`completed by its backup copy ${b.id}`));
      }
      assert.ok(
        on.stopped.some((s) => s.worker === 'c'),
        'the straggling attempt on c stops',
      );
      // An overtaken attempt teaches the coordinator a lower bound on c's time: its predicted median rises from 1 s
      // (and later copies start later, at its new p90: what keeps the longest job above the first rescues' 3.5 s).
      const c = on.queue.coordinator!.model.predict('c', kind, 1, 0, 12).median;
      assert.ok(c > 2, `c's predicted median: ${c} s`);
      // No copy when nothing straggles: before c slowed down, every job ended on its first attempt alone.
      const ids = on.ids;
      assert.not.ok(
        backups.some((b) => ids.indexOf(JSON.parse(b.spec).backupOf) < 40),
        'a backup before any straggler',
      );
    } finally {
      await off?.close();
      await on?.close();
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

test('a lease that runs out is learned as the worker lost, not as an error, under the class it registered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ote-dispatch-'));
  const store = new FarmStore(join(dir, 'farm.db'));
  let clock = 1_700_000_000_000;
  const queue = new EmbeddedQueue(store, { backoffMs: 10, maxAttempts: 5, leaseMs: 30_000 }, {}, () => clock);
  const dispatch = new LearnedDispatch(store, { liveMs: 5_000 });
  queue.coordinator = dispatch;
  try {
    dispatch.registered('spot-1', 'spot');
    const job = await queue.submit({ key: 'k', kind: 'simulated', spec: { simulatedSeconds: 1 } });
    const taken = await queue.claim('spot-1', ['simulated'], { load: 0.2 });
    assert.is(taken?.id, job.id);
    clock += 20_000;
    assert.ok(await queue.heartbeat(job.id, 'spot-1'));
    clock += 31_000;
    assert.is(await queue.reap(), 1);
    const [h] = store.taskHistories(10);
    assert.is(h.worker, 'spot-1');
    assert.is(h.records[0].outcome, 'lost');
    assert.is(h.records[0].group, 'spot');
    // It ran until its last heartbeat, not until the reaper found its lease run out.
    assert.is(h.records[0].end - h.records[0].start, 20);
    const learned = dispatch.summary('spot-1')!;
    // The error rate is still the pool's prior; the loss rate rose above the pool's prior of one a day.
    assert.ok(learned.pFail.normal < 0.06, `p(error) ${learned.pFail.normal}`);
    assert.ok(learned.lossPerHour > 1 / 24, `lost/h ${learned.lossPerHour}`);
    assert.match(workersTable([{ id: 'spot-1', class: 'spot', busy: false, load: 0.2, learned }]), /lost\/h/);
  } finally {
    await queue.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on BullMQ the coordinator chooses too: a worker 3× slower is left few jobs once learned, where first come, first served gives it half', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ote-dispatch-redis-'));
  const redis = await spawnRedis(dir);
  try {
    // The slow worker asks first; jobs come every 1.5 s, which the plain worker alone can run.
    const workers: SimWorker[] = [
      { id: 'slow', speed: { simulated: 3 } },
      { id: 'plain', speed: { simulated: 1 } },
    ];
    const jobs = Array.from({ length: 40 }, () => ({ kind: 'simulated', size: 1 }));
    const learned = await simulate(workers, jobs, { every: 1.5, redis: redis.url });
    const fifo = await simulate(workers, jobs, { every: 1.5, redis: redis.url, dispatch: false });
    try {
      const slowLearned = share(learned, 'slow', 20);
      const slowFifo = share(fifo, 'slow', 20);
      console.log(
        `  BullMQ: the slow worker's share of jobs 20-39: ${slowLearned.toFixed(2)} learned, ${slowFifo.toFixed(2)} first come, first served`,
      );
      assert.ok(slowLearned < 0.2 && slowFifo > 0.35, `slow share learned ${slowLearned}, fifo ${slowFifo}`);
      // Every job ended once, and the learned run's reasons are in the jobs' events.
      assert.is(learned.store.jobsByState().completed, 40);
      assert.ok(
        learned.store
          .events(firstJob(learned), 0)
          .some((e) => e.event.type === 'log' && e.event.message.startsWith('dispatch: ')),
      );
    } finally {
      await learned.close();
      await fifo.close();
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('history: each worker keeps its last N records in the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ote-dispatch-'));
  const store = new FarmStore(join(dir, 'farm.db'));
  try {
    for (let i = 0; i < 30; i++)
      store.addTaskRecord(
        { worker: 'w', kind: 'bake', size: 1, start: i, end: i + 1, outcome: 'done', load: 0, hour: 3 },
        10,
      );
    const [h] = store.taskHistories(10);
    assert.is(h.records.length, 10);
    assert.equal(
      h.records.map((r) => r.start),
      [20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
    );
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
