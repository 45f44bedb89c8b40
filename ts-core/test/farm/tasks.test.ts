/**
 * A job's tasks across attempts, on the embedded queue and its SQLite store (farm/queue.ts, store.ts addTasks): a
 * retried attempt that asks for the same tasks gets them back, results and all; one that asks for other tasks (a
 * split planned from timings that changed) gets new ones after the old, and the old ones that have not ended are
 * cancelled, so no worker finishes work that nobody will read.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedQueue, type TaskRequest } from '../../src/farm/queue.js';
import { FarmStore } from '../../src/farm/store.js';
import { tempDir } from '../helpers.js';

const sim = (s: number): TaskRequest => ({ kind: 'simulated', spec: { simulatedSeconds: s }, predictedSeconds: s });

test('a retried job gets its tasks back when it asks for the same ones, and new ones (the old cancelled) when not', async () => {
  const dir = tempDir('ote-farm-tasks-');
  const store = new FarmStore(join(dir, 'farm.db'));
  let clock = 1_000_000;
  const queue = new EmbeddedQueue(store, { backoffMs: 10, avoidMs: 0 }, {}, () => clock);
  try {
    const job = await queue.submit({ key: 'k', kind: 'optimize', spec: {} });
    assert.is((await queue.claim('w1', ['optimize']))?.id, job.id);
    const first = await queue.addTasks(job.id, 'w1', [sim(1), sim(2), sim(3)]);
    assert.equal(
      first.map((t) => t.taskIndex),
      [0, 1, 2],
    );
    // Task 0 completes; w1 dies; the job is retried on w2.
    assert.is((await queue.claim('t', ['simulated']))?.id, first[0].id);
    await queue.finish(first[0].id, 't', { exitCode: 0, result: { worker: 't', artifacts: {} } });
    assert.is(await queue.fail(job.id, 'worker w1 stopped heartbeating', 'w1'), 'retried');
    clock += 1000;
    assert.is((await queue.claim('w2', ['optimize']))?.id, job.id);

    // The same tasks: the same jobs, task 0's result kept.
    const again = await queue.addTasks(job.id, 'w2', [sim(1), sim(2), sim(3)]);
    assert.equal(
      again.map((t) => t.id),
      first.map((t) => t.id),
    );
    assert.is(store.job(again[0].id)!.state, 'completed');

    // The attempt waits for its tasks, then (its preview after its bake) asks for more: they take the next indexes.
    for (const t of again.slice(1)) {
      assert.is((await queue.claim('t', ['simulated']))?.id, t.id);
      await queue.finish(t.id, 't', { exitCode: 0, result: { worker: 't', artifacts: {} } });
    }
    const later = await queue.addTasks(job.id, 'w2', [sim(5), sim(6)]);
    assert.equal(
      later.map((t) => t.taskIndex),
      [3, 4],
    );
    assert.is((await queue.claim('t', ['simulated']))?.id, later[0].id);

    // Another retry that plans differently: new tasks after the last, and the old ones not ended are cancelled.
    assert.is(await queue.fail(job.id, 'worker w2 stopped heartbeating', 'w2'), 'retried');
    clock += 1000;
    assert.is((await queue.claim('w3', ['optimize']))?.id, job.id);
    const other = await queue.addTasks(job.id, 'w3', [sim(1.5), sim(2.5)]);
    assert.equal(
      other.map((t) => t.taskIndex),
      [5, 6],
    );
    // The running task and the queued one of the abandoned plan are cancelled; a heartbeat then stops the first.
    assert.equal(
      store.tasks(job.id).map((t) => t.state),
      ['completed', 'completed', 'completed', 'cancelled', 'cancelled', 'queued', 'queued'],
    );
    assert.match(store.job(later[0].id)!.reason ?? '', /superseded/);
    assert.is(await queue.heartbeat(later[0].id, 't'), false);
    // A cancelled task is never handed back, even when asked for again; completed ones are.
    const redo = await queue.addTasks(job.id, 'w3', [sim(5)]);
    assert.is(redo[0].taskIndex, 7);
    assert.equal(
      (await queue.addTasks(job.id, 'w3', [sim(2), sim(3)])).map((t) => t.id),
      first.slice(1).map((t) => t.id),
    );
  } finally {
    await queue.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
