/**
 * Economy Offline in the farm (issue #18): every job is checked against its profile's cost ceiling and deadline
 * before it is queued, and a job given a deadline is held until its plan's window. The decisions are tested at a
 * fixed instant (a Thursday morning, the peak tier); the farm itself over real sockets, where a refused job gets a
 * 422 REFUSED naming the ceiling and a job with a deadline carries its plan and is not handed out before it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { loadPlanningInputs } from '../../src/economy/inputs.js';
import { FarmClient, FarmHttpError } from '../../src/farm/client.js';
import { RunEconomy, type RunPlanRequest } from '../../src/optimize/run-economy.js';
import { simulatedExecutor } from '../../src/farm/executors.js';
import { FarmStore, type JobSpec } from '../../src/farm/store.js';
import { startFarmServer } from '../../src/farm/server.js';
import { sceneToGlb } from '../../src/io/gltf-write.js';
import { builtinProfile, type Profile } from '../../src/plan/profile.js';
import { sharedTracesDir } from '../helpers.js';

const economy = new RunEconomy(loadPlanningInputs({ tracesDir: sharedTracesDir }));
const NOW = Date.parse('2026-12-03T10:00:00Z'); // Thursday, peak in London and Berlin
const H = 3_600_000;
const balanced = builtinProfile('balanced');
const withCost = (p: Profile, cost: Profile['cost']): Profile => ({ ...p, cost });
/** A plan at NOW with no history, unless said otherwise. */
const plan = (over: Partial<RunPlanRequest>) =>
  economy.plan({ id: 'j', profile: balanced, history: [], priority: 0, nowMs: NOW, ...over });

test('no deadline: runs at once, checked against the profile', () => {
  const r = plan({});
  assert.equal(r, { notBefore: NOW });
  const tight = plan({ profile: withCost(balanced, { ceilingUsd: 0.01, deadlineMinutes: 240 }) });
  assert.ok('refused' in tight);
  assert.match(tight.refused, /running now costs \$0\.20, over the profile's ceiling of \$0\.01/);
  assert.match(tight.refused, /cost model: 2× the BALANCED bake target of 240 s/);
  const short = plan({ profile: withCost(balanced, { ceilingUsd: 20, deadlineMinutes: 5 }) });
  assert.ok('refused' in short);
  assert.match(short.refused, /after the profile's deadline 2026-12-03T10:05:00\.000Z/);
});

test("a deadline: held until the cheapest window inside it and the profile's, with the plan for report.json", () => {
  // ECONOMY: a 90 s bake target (0.05 reference hours by the cost model), a 48-hour deadline and a $2 ceiling.
  const eco = builtinProfile('economy');
  const r = plan({ profile: eco, deadlineMs: NOW + 24 * H });
  assert.ok(!('refused' in r));
  const e = r.economy!;
  assert.is(e.deadline, new Date(NOW + 24 * H).toISOString(), 'the earlier of the two deadlines');
  // The peak hours are skipped: the work waits for the off-peak tier at 21:00 London.
  assert.is(r.notBefore, Date.parse('2026-12-03T21:00:00Z'));
  assert.is(e.deferredUntil, new Date(r.notBefore).toISOString());
  assert.is(e.windows[0].from, e.deferredUntil);
  assert.ok(e.windows.every((w) => w.tier !== 'peak' && w.to <= e.deadline));
  assert.ok(e.optimized.cost < e.baseline.cost && e.savingsPct > 0);
  assert.ok(Math.abs(e.windows.reduce((a, w) => a + w.work, 0) - e.work) < 1e-9, 'the windows do the work');
  // The chart's timeline: every class, one value per hour from submission to the deadline, use where it ran.
  assert.is(e.timeline.classes.length, 6);
  for (const c of e.timeline.classes) assert.is(c.usdPerHour.length, 24);
  const used = e.timeline.classes.reduce((a, c) => a + c.usedHours.reduce((x, y) => x + y, 0), 0);
  assert.ok(Math.abs(used - e.windows.reduce((a, w) => a + w.hours, 0)) < 1e-9);
  // At the same price a job does not wait: BALANCED's 4-hour deadline is all peak, so it starts now.
  const now = plan({ deadlineMs: NOW + 24 * H });
  assert.ok(
    !('refused' in now) && now.notBefore === NOW && now.economy!.deadline === new Date(NOW + 4 * H).toISOString(),
  );
  // Earlier runs of the profile replace the cost model once there are three.
  const h = plan({ deadlineMs: NOW + 8 * H, history: [600, 1200, 900] });
  assert.ok(!('refused' in h));
  assert.is(h.economy!.work, 900 / 3600);
  assert.match(h.economy!.workSource, /median of the last 3 BALANCED runs \(900 s\)/);
});

test('a farm refuses a job over its ceiling up front and holds a job with a deadline until its window', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ote-farm-economy-'));
  const farm = await startFarmServer({
    dataDir,
    port: 0,
    workers: 1,
    verifiers: 0,
    economy,
    executors: { simulated: simulatedExecutor },
  });
  try {
    const c = new FarmClient(farm.url, farm.keys.create(['submit', 'read']));
    const glb = await sceneToGlb(cornellBox());
    const over = { ...balanced, cost: { ceilingUsd: 0.0001, deadlineMinutes: 720 } } as unknown as Record<
      string,
      unknown
    >;
    try {
      await c.submit(
        { data: glb, name: 'cornell.glb' },
        { profile: over, deadline: new Date(Date.now() + 6 * H).toISOString() },
      );
      assert.unreachable('refused');
    } catch (e) {
      assert.instance(e, FarmHttpError);
      assert.is((e as FarmHttpError).status, 422);
      assert.is((e as FarmHttpError).code, 'REFUSED');
      assert.match(
        (e as Error).message,
        /REFUSED: economy: refused: the cheapest plan that meets the deadline \S+ costs \$0\.\d\d, over the ceiling of \$0\.00; raise the ceiling to/,
      );
    }
    // A simulated hour of work due in two days: planned now, on the real clock.
    const job = await c.submit(
      { data: glb, name: 'cornell.glb' },
      { kind: 'simulated', simulatedSeconds: 3600, deadline: new Date(Date.now() + 48 * H).toISOString() },
    );
    const e = job.economy!;
    assert.ok(e && e.windows.length > 0 && e.plannedUsd <= e.baselineUsd + 1e-9);
    // Held until its first window, and no worker takes it before then.
    if (job.deferredUntil) {
      assert.is(job.deferredUntil, e.windows[0].from);
      await new Promise((r) => setTimeout(r, 1500));
      assert.is((await c.job(job.id)).state, 'queued');
    } else assert.ok(Date.parse(e.windows[0].from) <= Date.now());
  } finally {
    await farm.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("the farm's history of a profile: the last attempts' wall seconds of completed top-level optimize jobs, newest first", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ote-farm-history-'));
  const store = new FarmStore(join(dir, 'farm.sqlite'));
  try {
    let t = 1_000_000;
    const run = (profile: JobSpec['profile'], seconds: number, state: 'completed' | 'failed' = 'completed') => {
      const id = `job_${t}`;
      store.addJob({ id, key: 'k', kind: 'optimize', spec: { profile }, priority: 0, maxAttempts: 1, now: t });
      store.start(id, 'w', t, t + 1e9);
      store.finish(id, 'w', { state }, t + seconds * 1000);
      t += 1e6;
    };
    run('balanced', 100);
    run('BALANCED', 200);
    run({ name: 'BALANCED', extends: 'balanced' }, 300);
    run('economy', 50);
    run('balanced', 999, 'failed');
    run(undefined, 400); // no profile: BALANCED
    assert.equal(store.recentRunSeconds('balanced'), [400, 300, 200, 100]);
    assert.equal(store.recentRunSeconds('Balanced', 2), [400, 300]);
    assert.equal(store.recentRunSeconds('economy'), [50]);
    assert.equal(store.recentRunSeconds('quality'), []);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
