/**
 * Deadlines under replayed spot preemptions (issue #18): plans made with the mean spot availability, replayed
 * against a real AWS V100 spot trace (Wu et al., "Can't Be Late", NSDI 2024) over the real 2020 carbon traces
 * (Wiesner et al., Middleware 2021). With the spot reserve every deadline holds; without it some are lost, which
 * is what the reserve is for.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { DEFAULT_POOL, type Pool } from '../../src/economy/pool.js';
import { replaySpot } from '../../src/economy/replay.js';
import { buildWorld } from '../../src/economy/world.js';
import { HOUR_MS, shiftTimeline, type Timeline } from '../../src/economy/timeline.js';
import { parseCarbonTraces, parseSpotTrace } from '../../src/economy/traces.js';
import { syntheticJobs } from '../../src/economy/workload.js';
import { readCarbonCsv, readSpotJson } from '../../src/io/traces.js';
import { sharedTracesDir } from '../helpers.js';

const START = Date.parse('2020-02-03T00:00Z');
/** The preemption trace covers 7.4 days. */
const HOURS = 170;
const carbon = parseCarbonTraces({
  gb: readCarbonCsv(sharedTracesDir, 'gb'),
  de: readCarbonCsv(sharedTracesDir, 'de'),
  fr: readCarbonCsv(sharedTracesDir, 'fr'),
});
const file = join(sharedTracesDir, 'spot', 'preemption', '1-node', 'aws-04-22-2023', 'us-west-2b_v100_1.json');
const spotText = readSpotJson(file);
const actual = shiftTimeline(parseSpotTrace(spotText.text, spotText.name, 0).availability, START);
const mean = actual.values.reduce((a, b) => a + b, 0) / actual.values.length;
const expected: Timeline = {
  startMs: START,
  stepMs: HOUR_MS,
  values: new Float64Array(HOURS).fill(mean),
  unit: 'spot',
};
/** Spot is the cheapest class here, so the scheduler leans on it. */
const pool: Pool = {
  ...DEFAULT_POOL,
  classes: DEFAULT_POOL.classes.map((c) => (c.availability === 'spot' ? { ...c, costPerHour: 0.2, count: 200 } : c)),
};
const jobs = syntheticJobs({
  seed: 11,
  jobs: 300,
  startMs: START + 60_000,
  perHour: 3,
  maxWindowH: 48,
  preemptibleShare: 1,
});

test('with the spot reserve every deadline holds under real preemptions', () => {
  const world = buildWorld(pool, { startMs: START, hours: HOURS, carbon, spot: expected });
  const r = replaySpot(world, jobs, actual, { objective: 'cost', spotReserve: true });
  assert.ok(r.results.every((x) => x.status === 'ok'));
  assert.ok(r.lostWork > 1, `only ${r.lostWork} h lost: the trace did not preempt anything`);
  assert.ok(r.remainders.length > 10);
  assert.ok(r.remainders.every((x) => x.status === 'ok' && x.placements.every((p) => !p.classId.includes('spot'))));
  assert.equal(r.misses, []);
  console.log(
    `  preempted ${r.lostWork.toFixed(1)} ref-h in ${r.remainders.length} remainders; unbilled $${r.unbilledCost.toFixed(2)}, fallback cost $${r.remainderCost.toFixed(2)}`,
  );
});

test('without the reserve the same preemptions cost deadlines', () => {
  const world = buildWorld(pool, { startMs: START, hours: HOURS, carbon, spot: expected });
  const r = replaySpot(world, jobs, actual, { objective: 'cost', spotReserve: false });
  assert.ok(r.misses.length > 0, 'no job missed: the reserve is untested');
  console.log(`  without the reserve: ${r.misses.length} of ${jobs.length} jobs miss their deadline`);
});

test.run();
