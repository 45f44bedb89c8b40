/**
 * `ote farm worker` started before its server, as machines come up in any order and a server restarts: it waits for
 * the server and then works, instead of exiting (chaos.test lost every worker respawned while its server was down
 * this way). A refused key still ends it at once, since waiting will not change a refusal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FarmClient } from '../../src/farm/client.js';
import { createKey, freePort } from '../../src/farm/processes.js';
import { startFarmServer } from '../../src/farm/server.js';
import { oteBin, tempDir } from '../helpers.js';

/** `ote farm worker` for simulated jobs, its stderr collected. */
function worker(url: string, apiKey: string, id: string): { child: ChildProcess; stderr: () => string } {
  let err = '';
  const child = spawn(
    process.execPath,
    [oteBin, 'farm', 'worker', '--server', url, '--api-key', apiKey, '--id', id, '--kinds', 'simulated'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d) => (err += d));
  return { child, stderr: () => err };
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    assert.ok(Date.now() - t0 < ms, `${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a worker started before its server waits for it, then takes its job', async () => {
  const dataDir = tempDir('ote-farm-early-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const key = createKey(dataDir, 'submit,read,work');
  const w = worker(url, `${key.id}:${key.secret}`, 'early');
  let exited: number | null | undefined;
  w.child.on('exit', (code) => (exited = code));
  try {
    await until('the worker says it waits', () => /not reachable \(ECONNREFUSED\); waiting for it/.test(w.stderr()));
    // Down a while longer, so that it waits more than once (its backoff doubles from 100 ms).
    await new Promise((r) => setTimeout(r, 700));
    assert.is(exited, undefined, `the worker exited while its server was down: ${w.stderr()}`);
    const farm = await startFarmServer({ dataDir, port, workers: 0, verifiers: 0 });
    try {
      const c = new FarmClient(url, key);
      const { jobs } = (await c.request('POST', '/v1/batches', {
        jobs: [{ kind: 'simulated', simulatedSeconds: 0.05 }],
      })) as { jobs: { id: string }[] };
      const ranOn: unknown[] = [];
      const end = await c.follow(jobs[0].id, (e) => {
        if (e.state === 'running') ranOn.push((e as { worker?: string }).worker);
      });
      assert.is(end.state, 'completed');
      assert.equal(ranOn, ['early']);
    } finally {
      await farm.close();
    }
  } finally {
    w.child.kill('SIGKILL');
  }
});

test('a worker whose key the server refuses exits at once, naming the refusal', async () => {
  const dataDir = tempDir('ote-farm-refused-');
  const farm = await startFarmServer({ dataDir, port: 0, workers: 0, verifiers: 0 });
  try {
    const w = worker(farm.url, 'nobody:0000', 'refused');
    const code = await new Promise<number | null>((r) => w.child.on('exit', r));
    assert.ok(code !== 0 && code !== null, `exit ${code}`);
    assert.match(w.stderr(), /401/);
    assert.not.match(w.stderr(), /waiting for it/);
  } finally {
    await farm.close();
  }
});

test.run();
