/**
 * Chaos, with real processes: `ote farm serve` (no local workers) and three `ote farm worker` processes on other
 * "machines" (they share nothing with the server but HTTP) run 120 small simulated jobs while workers are SIGKILLed
 * at random and respawned, and the server itself is SIGKILLed and started again once. Every job must end, exactly
 * once, completed: zero lost, zero duplicated terminal events. Run twice: on the embedded queue, and on BullMQ with
 * a real Redis (a redis-server of the test's own on a loopback port).
 *
 * test-runner: alone (five processes with 1 s leases, killed on a timer; scripts/test.mjs).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FarmClient, type FarmEvent } from '../../src/farm/client.js';
import { createKey, freePort, spawnRedis, spawnServer, spawnWorker } from '../../src/farm/processes.js';
import { Rng } from '../../src/util/rng.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const test = suite('farm chaos');
// 120 jobs of 0.1–0.4 s: about 4 s of work for 3 workers × 2 slots. Once jobs run, a random worker is SIGKILLed at
// every poll (every 0.5–1 s) and a new one started in its place, MAX_KILLS times, so every kill lands while jobs are
// in flight (the retried count below says so); the server is SIGKILLed and restarted at 3 s. Kills used to go on
// until the end, and a worker respawned while its server was down exited (worker-start.test), so most workers were
// starting up and a backend took 20–40 s, of CI's 30 minutes, for 2.5 s of jobs.
const JOBS = 120;
const MAX_KILLS = 8;

for (const backend of ['embedded', 'BullMQ/Redis'] as const)
  test(`${backend}: ${JOBS} jobs survive SIGKILLed workers and a SIGKILLed server: each ends once, completed`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ote-farm-chaos-'));
    const redis = backend === 'embedded' ? undefined : await spawnRedis(dataDir);
    const flags = ['--lease-ms', '1000', '--max-attempts', '8', '--rate-limit', '5000', '--verifiers', '0'];
    const startServer = (port: number) => spawnServer(dataDir, port, redis ? [...flags, '--redis', redis.url] : flags);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const key = createKey(dataDir, 'submit,read,work');
    let server = await startServer(port);
    const workers: ChildProcess[] = [0, 1, 2].map((i) => spawnWorker(url, key, `w${i}`, 2));
    const c = new FarmClient(url, key);
    const rng = new Rng(2026);
    try {
      const r = (await c.request('POST', '/v1/batches', {
        jobs: Array.from({ length: JOBS }, () => ({ kind: 'simulated', simulatedSeconds: 0.1 + 0.3 * rng.next() })),
      })) as { jobs: { id: string }[] };
      const ids = r.jobs.map((j) => j.id);
      assert.is(new Set(ids).size, JOBS);
      let kills = 0,
        restarted = false,
        working = false;
      const t0 = Date.now();
      for (;;) {
        await sleep(300);
        // Kill a random worker and start a new one in its place (a spot instance coming back).
        if (working && kills < MAX_KILLS) {
          const i = rng.int(workers.length);
          workers[i].kill('SIGKILL');
          kills++;
          workers[i] = spawnWorker(url, key, `w${10 + kills}`, 2);
        }
        if (!restarted && Date.now() - t0 > 3000) {
          server.kill('SIGKILL');
          await new Promise((r) => server.once('exit', r));
          await sleep(500);
          server = await startServer(port);
          restarted = true;
        }
        const states = await Promise.all(ids.map((id) => c.job(id).then((j) => j.state)));
        working ||= states.some((s) => s === 'running' || s === 'completed');
        if (restarted && states.every((s) => s === 'completed' || s === 'failed' || s === 'cancelled')) {
          assert.equal(
            states.filter((s) => s !== 'completed'),
            [],
          );
          break;
        }
        assert.ok(
          Date.now() - t0 < 240_000,
          `not done after 240 s: ${states.filter((s) => s === 'completed').length} completed`,
        );
      }
      assert.ok(kills >= 3, `only ${kills} kills`);
      // Each job's event stream ends with exactly one terminal event.
      let retried = 0;
      for (const id of ids) {
        const events: FarmEvent[] = [];
        const end = await c.follow(id, (e) => events.push(e));
        assert.is(events.filter((e) => e.type === 'end').length, 1, id);
        assert.is(end.state, 'completed');
        assert.equal(
          events.map((e) => e.seq),
          events.map((_, i) => i + 1),
        );
        if (events.filter((e) => e.type === 'state' && e.state === 'running').length > 1) retried++;
      }
      // The kills hit work in flight: some jobs ran again elsewhere.
      assert.ok(retried > 0, 'no job was retried: the kills missed every job in flight');
      console.log(
        `  ${backend}: ${JOBS} jobs completed in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${kills} workers SIGKILLed, 1 server SIGKILLed, ${retried} jobs retried`,
      );
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      server.kill('SIGTERM');
      await sleep(300);
      await redis?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

test.run();
