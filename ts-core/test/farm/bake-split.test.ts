/**
 * A farm optimize job whose bake is split into tasks (farm/bake-tasks.ts) on a real shared scene: the tasks run on
 * the farm's workers, the job shows each one's predicted and actual seconds, and the lightmapped scene it returns
 * is byte-identical to the same job's with its bake traced in one piece. The jobs and their tasks run on an
 * `ote farm worker` process that shares nothing with the server but HTTP: the bake package and each part travel as
 * blobs, as they would between machines.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FarmClient } from '../../src/farm/client.js';
import { spawnWorker } from '../../src/farm/processes.js';
import { startFarmServer } from '../../src/farm/server.js';
import { sharedScenesDir, tempDir } from '../helpers.js';

const glb = readFileSync(join(sharedScenesDir, 'cornell_box', 'CornellBox-Original.glb'));

test('a split bake: 3 tasks on the farm give the scene the one-piece bake gives, byte for byte', async () => {
  const dataDir = tempDir('ote-farm-bake-');
  const farm = await startFarmServer({ dataDir, port: 0, workers: 0 });
  const worker = spawnWorker(farm.url, farm.keys.create(['work']), 'remote', 2, 'optimize,bake-range');
  try {
    const c = new FarmClient(farm.url, farm.keys.create(['submit', 'read']));
    const opts = { profile: 'economy', verify: false };
    const split = await c.submit({ data: glb, name: 'cornell.glb' }, { ...opts, bakeTasks: 3 });
    const whole = await c.submit({ data: glb, name: 'cornell.glb' }, { ...opts, bakeTasks: 1 });
    const [a, b] = [await c.follow(split.id), await c.follow(whole.id)];
    assert.is(a.state, 'completed', a.reason);
    assert.is(b.state, 'completed', b.reason);
    const s = await c.job(split.id);
    assert.is(s.tasks?.length, 3);
    for (const t of s.tasks!) {
      assert.is(t.kind, 'bake-range');
      assert.is(t.state, 'completed');
      assert.match(String(t.worker), /^remote\.\d/);
      assert.ok(t.predictedSeconds! > 0 && t.seconds! > 0, JSON.stringify(t));
    }
    assert.ok(s.balance! >= 1, String(s.balance));
    assert.is((await c.job(whole.id)).tasks, undefined, 'a bake of one task is traced in place');
    const [sceneA, sceneB] = [await c.artifact(split.id, 'scene.glb'), await c.artifact(whole.id, 'scene.glb')];
    assert.ok(sceneA.length > 10_000);
    assert.ok(Buffer.from(sceneA).equals(Buffer.from(sceneB)), 'the split bake must equal the one-piece bake');
    console.log(
      `  split bake: tasks ${s.tasks!.map((t) => `${t.seconds!.toFixed(2)} s (predicted ${t.predictedSeconds!.toFixed(2)})`).join(', ')}; balance ${s.balance!.toFixed(2)}`,
    );
  } finally {
    worker.kill('SIGTERM');
    await farm.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
