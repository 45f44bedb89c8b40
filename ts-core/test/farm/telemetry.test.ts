/**
 * Worker telemetry (farm/telemetry.ts): the load probe reads the kernel's per-core counters over a recent window,
 * and a worker's report is checked before the coordinator learns from it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkerClaim } from '../../src/farm/api-schemas.js';
import { FarmClient } from '../../src/farm/client.js';
import { HttpLink } from '../../src/farm/links.js';
import { startFarmServer } from '../../src/farm/server.js';
import { checkedLoad, cpuLoadProbe } from '../../src/farm/telemetry.js';

type Cpu = ReturnType<typeof cpus>[number];
const core = (busy: number, idle: number): Cpu => ({
  model: 'test',
  speed: 1000,
  times: { user: busy, nice: 0, sys: 0, irq: 0, idle },
});

test('the load probe reports the busy share of the last period, not of the time since boot', async () => {
  // Two cores, mostly idle since boot; then, every period, one core busy and the other half busy.
  let t = -1;
  const read = () => {
    t++;
    return [core(100 + 50 * t, 900), core(100 + 25 * t, 900 + 25 * t)];
  };
  const probe = cpuLoadProbe(20, read);
  try {
    assert.is(probe.read(), 0.1, 'before the first period: since boot');
    // Wait for two periods by counting them, not by the clock: a loaded CI machine delays timers.
    for (let waited = 0; t < 2 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    assert.ok(t >= 2, `${t} periods`);
    assert.ok(Math.abs(probe.read() - 0.75) < 1e-9, `${probe.read()}`);
  } finally {
    probe.stop();
  }
});

test("a worker's reported load is used only when it is a number in [0, 1]", () => {
  for (const good of [0, 0.5, 1]) assert.is(checkedLoad(good), good);
  for (const bad of [-0.1, 1.5, Number.NaN, '0.5', null, undefined]) assert.is(checkedLoad(bad), undefined);
  // The claim route's schema refuses the same before a request is served.
  const load = (WorkerClaim as { properties: { load: { minimum: number; maximum: number } } }).properties.load;
  assert.equal([load.minimum, load.maximum], [0, 1]);
});

test("a remote worker's load goes over signed HTTP into the attempt's record and the workers' listing", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ote-farm-telemetry-'));
  const farm = await startFarmServer({ dataDir, port: 0, workers: 0, verifiers: 0 });
  try {
    const c = new FarmClient(farm.url, farm.keys.create(['submit', 'read']));
    const work = new FarmClient(farm.url, farm.keys.create(['work']));
    const link = new HttpLink(work, farm.queue.options.leaseMs);
    await work.request('POST', '/v1/workers/register', {
      worker: 'remote-1',
      cores: 2,
      isa: 'x64',
      gpu: null,
      region: 'local',
      class: 'edge',
      kinds: ['simulated'],
    });
    await c.submit({ data: new Uint8Array([1]), name: 'x.glb' }, { kind: 'simulated', simulatedSeconds: 0 });
    const job = await link.claim('remote-1', ['simulated'], 2000, { load: 0.42 });
    assert.ok(job, 'the job was handed out');
    assert.ok(await link.finish(job.id, 'remote-1', { exitCode: 0, result: { artifacts: {} } }));
    const records = farm.store.taskHistories(10).find((h) => h.worker === 'remote-1')?.records ?? [];
    assert.equal(
      records.map((r) => r.load),
      [0.42],
    );
    // `ote farm workers` (GET /v1/workers) shows the load it last reported beside what was learned.
    const listed = ((await c.workers()) as { workers: { id: string; load: number | null }[] }).workers;
    assert.is(listed.find((w) => w.id === 'remote-1')?.load, 0.42);
    // A load outside [0, 1] is refused by the route's schema.
    try {
      await link.claim('remote-1', ['simulated'], 0, { load: 1.5 });
      assert.unreachable('a load of 1.5 was taken');
    } catch (e) {
      assert.is((e as { status?: number }).status, 400);
    }
  } finally {
    await farm.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
