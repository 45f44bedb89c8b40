/** `ote optimize --deadline` on this machine: the one-class pool it plans on, and the cancellable wait. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPlanningInputs } from '../../src/economy/inputs.js';
import { localInputs, planLocalRun, waitUntil } from '../../src/cli/local-economy.js';
import { builtinProfile } from '../../src/plan/profile.js';
import { sharedTracesDir } from '../helpers.js';

const inputs = loadPlanningInputs({ tracesDir: sharedTracesDir });

test('this machine is one always-available machine of the chosen class, on its own clock', () => {
  const l = localInputs(inputs, { machineClass: 'volunteer', zone: 'Asia/Tokyo', objective: 'cost' });
  assert.is(l.pool.classes.length, 1);
  const c = l.pool.classes[0];
  assert.equal(
    [c.id, c.zone, c.availability, c.count, c.costPerHour],
    ['this-machine', 'Asia/Tokyo', 'always', 1, 0.1],
  );
  assert.is(l.pool.defaultClass, 'this-machine');
  assert.throws(
    () => localInputs(inputs, { machineClass: 'mainframe', objective: 'cost' }),
    /--machine-class "mainframe" is not a class of the pool \(consumer, datacentre/,
  );
});

test('a plan on this machine waits for the off-peak hours of its own clock', () => {
  // Thursday 10:00 in Tokyo is 01:00 UTC: ECONOMY's 3 minutes with 24 hours to go wait for 21:00 Tokyo (12:00 UTC).
  const now = Date.parse('2026-12-03T01:00:00Z');
  const p = planLocalRun(inputs, builtinProfile('economy'), now + 24 * 3_600_000, now, {
    machineClass: 'consumer',
    zone: 'Asia/Tokyo',
    objective: 'cost',
  });
  assert.is(new Date(p.notBefore).toISOString(), '2026-12-03T12:00:00.000Z');
  assert.is(p.economy!.windows[0].tier, 'offPeak');
});

test('the wait resolves at its time and rejects with CANCELLED on abort', async () => {
  const t0 = Date.now();
  await waitUntil(t0 + 60, new AbortController().signal);
  assert.ok(Date.now() - t0 >= 55);
  const ac = new AbortController();
  const wait = waitUntil(Date.now() + 10 * 86_400_000, ac.signal);
  setTimeout(() => ac.abort(), 20);
  try {
    await wait;
    assert.unreachable('cancelled');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'CANCELLED');
  }
  await waitUntil(Date.now() - 1000, new AbortController().signal); // a time already past: at once
});

test.run();
