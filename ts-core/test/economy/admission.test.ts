/**
 * Planning requests as a user makes them (issue #18): durations and date-times as typed, a carbon forecast for any
 * date from the recorded year, a jobs file whose errors name the field, admission that refuses a job up front with
 * the cheapest plan that would meet both its deadline and its ceiling, priority among jobs arriving together, and
 * `ote economy plan` as a process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { admit } from '../../src/economy/admission.js';
import { planBatch, planningWorld, windowsOf } from '../../src/economy/batch.js';
import { forecastHourly, recordedTimeFor } from '../../src/economy/forecast.js';
import { loadPlanningInputs } from '../../src/economy/inputs.js';
import { type JobRequest, loadJobs } from '../../src/economy/jobs-file.js';
import { DEFAULT_POOL, type Pool } from '../../src/economy/pool.js';
import { Scheduler } from '../../src/economy/schedule.js';
import { HOUR_MS, valueAt } from '../../src/economy/timeline.js';
import { parseDeadlineMs, parseDurationMs } from '../../src/util/duration.js';
import { oteBin, sharedTracesDir, tempDir } from '../helpers.js';

const inputs = loadPlanningInputs({ tracesDir: sharedTracesDir });
const NOW = Date.parse('2026-12-03T10:00:00Z'); // a Thursday, in the peak tier in London

test('durations and deadlines as typed', () => {
  assert.is(parseDurationMs('8h'), 8 * HOUR_MS);
  assert.is(parseDurationMs('1h30m'), 90 * 60_000);
  assert.is(parseDurationMs('1d12h'), 36 * HOUR_MS);
  assert.is(parseDurationMs('8'), undefined, 'a bare number could be hours or minutes');
  assert.is(parseDurationMs('soon'), undefined);
  assert.is(parseDeadlineMs('2h', NOW), NOW + 2 * HOUR_MS);
  assert.is(parseDeadlineMs('2026-12-04T08:00:00+01:00', NOW), Date.parse('2026-12-04T07:00:00Z'));
  assert.is(parseDeadlineMs('2026-12-04T08:00', NOW), undefined, 'no zone: refused');
});

test('carbon forecast: another year reads the recorded one at the same weekday and hour', () => {
  const gb = inputs.world.carbon!.gb;
  const at = recordedTimeFor(gb, NOW);
  const rec = DateTime.fromMillis(at, { zone: 'UTC' });
  const now = DateTime.fromMillis(NOW, { zone: 'UTC' });
  assert.is(rec.year, 2020);
  assert.is(rec.weekday, now.weekday);
  assert.is(rec.hour, now.hour);
  assert.ok(Math.abs(rec.ordinal - now.ordinal) <= 4, `season kept: day ${rec.ordinal} for ${now.ordinal}`);
  assert.is((NOW - at) % (7 * 24 * HOUR_MS), 0);
  // Hours inside the trace read the trace itself; a forecast hour holds the recorded hour's mean.
  const inside = Date.parse('2020-06-10T12:00:00Z');
  assert.is(recordedTimeFor(gb, inside), inside);
  const f = forecastHourly(gb, NOW, 3);
  let mean = 0; // minute by minute: the trace's step changes within 2020
  for (let m = 0; m < 60; m++) mean += valueAt(gb, at + m * 60_000) / 60;
  assert.ok(Math.abs(f.values[0] - mean) < 1e-9, `${f.values[0]} vs ${mean}`);
});

test('a jobs file with errors names each field', () => {
  const bad = {
    jobs: [
      { id: 'a', kind: 'bake', work: 1, deadline: 'tomorrow' },
      { id: 'a', kind: 'bake', work: 1, deadline: '8h', submit: '2026-12-03 10:00' },
      { id: 'c', kind: 'bake', work: 1, deadline: '2026-12-03T09:00:00Z' },
    ],
  };
  const err = (doc: unknown) => {
    try {
      loadJobs(doc, 'jobs.json', NOW);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  const m = err(bad);
  assert.match(m, /^economy: jobs\.json: /);
  assert.match(m, /jobs\[0\]\.deadline: expected an ISO 8601 date-time with its zone or a duration/);
  assert.match(m, /jobs\[1\]\.id: duplicate id "a"/);
  assert.match(m, /jobs\[1\]\.submit: expected an ISO 8601 date-time with its zone/);
  assert.match(m, /jobs\[2\]\.deadline: must be after the job's submission/);
  assert.match(err({ jobs: [{ id: 'x', kind: 'bake', work: -1, deadline: '1h' }] }), /jobs\[0\]\.work: must be > 0/);
  assert.match(
    err({ jobs: [{ id: 'x', kind: 'bak', work: 1, deadline: '1h', colour: 1 }] }),
    /jobs\[0\]\.colour: unknown field/,
  );
  assert.match(
    err({ jobs: [{ id: 'x', kind: 'bak', work: 1, deadline: '1h' }] }),
    /jobs\[0\]\.kind: must be one of "bake"/,
  );
  const ok = loadJobs({ jobs: [{ id: 'x', kind: 'splat', work: 2, deadline: '8h', priority: 3 }] }, 'jobs.json', NOW);
  assert.equal(ok[0], {
    id: 'x',
    kind: 'splat',
    work: 2,
    submitMs: NOW,
    deadlineMs: NOW + 8 * HOUR_MS,
    preemptible: true,
    priority: 3,
  });
});

/** A one-class pool (the on-demand cloud in London) so the cheapest plan is easy to check by hand. */
const cloudOnly: Pool = {
  defaultClass: 'cloud',
  classes: [{ ...DEFAULT_POOL.classes.find((c) => c.id === 'cloud')!, zone: 'Europe/London', grid: 'gb' }],
};
const req = (over: Partial<JobRequest>): JobRequest => ({
  id: 'j',
  kind: 'bake',
  work: 2.4, // 2 machine-hours at the cloud's speed 1.2
  submitMs: NOW,
  deadlineMs: NOW + 4 * HOUR_MS,
  preemptible: false,
  priority: 0,
  ...over,
});

test('admission: over the ceiling, refused up front with the cheapest plan that would meet both', () => {
  // Thursday 10:00–14:00 London is all peak (2.0×): 2 h × $0.90 × 2 = $3.60 at best.
  const w = planningWorld(cloudOnly, [req({})], inputs.world);
  const s = new Scheduler(w);
  const a = admit(s, req({ ceilingUsd: 1.5 }));
  assert.ok(a.refusal, 'refused');
  assert.ok(Math.abs(a.refusal!.dearer!.optimized.cost - 3.6) < 1e-9, String(a.refusal!.dearer!.optimized.cost));
  assert.match(
    a.refusal!.reason,
    /costs \$3\.60, over the ceiling of \$1\.50; raise the ceiling to \$3\.60, or move the deadline to 2026-12-03T22:00Z \(\$1\.44\)/,
  );
  // The earliest deadline within $1.50: 20:00–21:00 standard ($0.90) and 21:00–22:00 off-peak ($0.54).
  const later = a.refusal!.later!;
  assert.is(later.deadlineMs, Date.parse('2026-12-03T22:00:00Z'));
  assert.ok(later.result.optimized.cost <= 1.5);
  // Nothing was placed: the same job without a ceiling gets the peak hours as if the refusal never happened.
  const b = admit(s, req({ id: 'k' }));
  assert.not.ok(b.refusal);
  assert.ok(Math.abs(b.result.optimized.cost - 3.6) < 1e-9);
  const win = windowsOf(w, b.result.placements);
  assert.ok(win.length >= 1 && win.every((x) => x.classId === 'cloud' && x.tier === 'peak'));
  assert.ok(win[0].fromMs >= NOW && win[win.length - 1].toMs <= NOW + 4 * HOUR_MS);
  assert.ok(Math.abs(win.reduce((h, x) => h + x.hours, 0) - 2) < 1e-9);
  // The refusal's later deadline, asked for, is admitted at the price it named.
  const c = admit(new Scheduler(w), req({ ceilingUsd: 1.5, deadlineMs: later.deadlineMs }));
  assert.not.ok(c.refusal);
  assert.ok(Math.abs(c.result.optimized.cost - later.result.optimized.cost) < 1e-9);
});

test('admission: a deadline the capacity cannot meet is refused with the earliest one that works', () => {
  const one: Pool = { ...cloudOnly, classes: [{ ...cloudOnly.classes[0], count: 1 }] };
  const w = planningWorld(one, [req({})], inputs.world);
  const a = admit(new Scheduler(w), req({ work: 6, deadlineMs: NOW + 2 * HOUR_MS })); // 5 machine-hours, one machine
  assert.ok(a.refusal);
  assert.match(a.refusal!.reason, /cannot finish by 2026-12-03T12:00Z/);
  assert.is(a.refusal!.later!.deadlineMs, NOW + 5 * HOUR_MS);
  assert.not.ok(a.refusal!.dearer, 'no ceiling would help');
});

test('a batch: jobs arriving together are placed by priority', () => {
  const one: Pool = { ...cloudOnly, classes: [{ ...cloudOnly.classes[0], count: 1 }] };
  // Two 2-hour jobs at once with 10 hours to go and one machine: the three standard-tier hours (17–20 London) fit
  // one job and half the other, which pays the peak tier for its second hour.
  const jobs = [
    req({ id: 'low', deadlineMs: NOW + 10 * HOUR_MS }),
    req({ id: 'high', priority: 5, deadlineMs: NOW + 10 * HOUR_MS }),
  ];
  const w = planningWorld(one, jobs, inputs.world);
  const plan = planBatch(w, jobs);
  assert.equal(
    plan.jobs.map((j) => j.id),
    ['low', 'high'],
    'reported in the file order',
  );
  const high = plan.jobs[1].result.optimized.cost;
  const low = plan.jobs[0].result.optimized.cost;
  assert.ok(high < low, `the higher priority took the cheaper hours: ${high} vs ${low}`);
  assert.is(plan.totals.deadlineMisses, 0);
  // Swapping the priorities swaps the plans.
  const swapped = planBatch(w, [{ ...jobs[0], priority: 9 }, jobs[1]]);
  assert.ok(Math.abs(swapped.jobs[0].result.optimized.cost - high) < 1e-9);
});

test('ote economy plan: a table, --json, and exit 4 with the refusal when a job cannot meet both limits', () => {
  const dir = tempDir();
  const file = join(dir, 'jobs.json');
  writeFileSync(
    file,
    JSON.stringify({
      jobs: [
        { id: 'hero', kind: 'bake', work: 3, deadline: '24h' },
        { id: 'rush', kind: 'splat', work: 20, deadline: '2h', ceilingUsd: 5 },
      ],
    }),
  );
  const ote = (...a: string[]) =>
    spawnSync(
      process.execPath,
      [oteBin, 'economy', 'plan', file, '--at', '2026-12-03T10:00:00Z', '--traces', sharedTracesDir, ...a],
      {
        encoding: 'utf8',
      },
    );
  const r = ote();
  assert.is(r.status, 4, r.stderr);
  assert.match(r.stdout, /carbon: carbon intensity from the recorded year/);
  assert.match(r.stdout, /\nhero\s+ok\s+/);
  // One machine at a time: 2 hours on the fastest class (2.5× at splats) fit 5 of the 20 reference hours.
  assert.match(
    r.stdout,
    /refused rush: it cannot finish by 2026-12-03T12:00Z: needs 20\.000 reference hours; the capacity left fits 5\.000 before the deadline; move the deadline to \S+ \(\$\d+\.\d\d\)/,
  );
  assert.match(r.stdout, /\ntotal\s+1\/2 ok/);
  const j = JSON.parse(ote('--json').stdout);
  const hero = j.jobs[0];
  assert.is(hero.status, 'ok');
  assert.ok(hero.savingsPct > 0, `time shifting saves: ${hero.savingsPct}`);
  assert.ok(Math.abs(hero.roiPct - ((hero.baseline.cost - hero.optimized.cost) / hero.optimized.cost) * 100) < 1e-6);
  assert.ok(
    hero.windows.every((w: { from: string; to: string }) => w.from >= '2026-12-03T10:00' && w.to <= '2026-12-04T10:00'),
  );
  assert.is(j.jobs[1].status, 'refused');
  assert.ok(j.jobs[1].laterCostUsd <= 5, 'the later deadline keeps the ceiling');
  assert.ok(Date.parse(j.jobs[1].laterDeadline) >= Date.parse('2026-12-03T18:00:00Z'), '20 h of work at 2.5× take 8 h');
  // A bad file: exit 3, one line naming the field.
  writeFileSync(file, JSON.stringify({ jobs: [{ id: 'x', kind: 'bake', work: 1, deadline: 'later' }] }));
  const b = ote();
  assert.is(b.status, 3);
  assert.match(b.stderr.trim(), /^[^\n]*jobs\.json: jobs\[0\]\.deadline: expected/);
});

test.run();
