/**
 * A farm optimize job whose bake (both passes of its final gather) and path-traced preview are split into tasks
 * (farm/bake-tasks.ts, farm/render-tasks.ts) on a real shared scene: the tasks run on the farm's workers, the job shows each one's
 * predicted and actual seconds, and the lightmapped scene and the preview it returns are byte-identical to the same
 * job's with its bake traced and its preview rendered in one piece. The jobs and their tasks run on an
 * `ote farm worker` process that shares nothing with the server but HTTP: the bake and scene packages and each
 * part travel as blobs, as they would between machines.
 *
 * test-runner: alone (a bake split over workers uses both cores; scripts/test.mjs).
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FarmClient } from '../../src/farm/client.js';
import { spawnWorker } from '../../src/farm/processes.js';
import { startFarmServer } from '../../src/farm/server.js';
import { oteBin, sharedScenesDir, tempDir } from '../helpers.js';

const scenePath = join(sharedScenesDir, 'cornell_box', 'CornellBox-Original.glb');
const glb = readFileSync(scenePath);
const execFileP = promisify(execFile);

test('a split job: 3 bake tasks per pass of its final gather and 3 render tasks on the farm give the scene and preview of one piece, byte for byte', async () => {
  const dataDir = tempDir('ote-farm-bake-');
  const farm = await startFarmServer({ dataDir, port: 0, workers: 0, verifiers: 0 });
  const worker = spawnWorker(farm.url, farm.keys.create(['work']), 'remote', 2, 'optimize,bake-range,render-rows');
  try {
    const key = farm.keys.create(['submit', 'read', 'cancel']);
    const c = new FarmClient(farm.url, key);
    const split = await c.submit(
      { data: glb, name: 'cornell.glb' },
      { profile: 'economy', verify: false, bakeTasks: 3, renderTasks: 3 },
    );
    // The one-piece job through the CLI, as the editor plugins submit: outputs written to a folder, and the
    // progress and result lines `ote optimize --json` gives.
    const out = join(dataDir, 'out');
    const cli = execFileP(process.execPath, [
      oteBin,
      ...['farm', 'submit', scenePath, '--server', farm.url, '--api-key', `${key.id}:${key.secret}`],
      ...[
        '--profile',
        'economy',
        '--no-verify',
        '--bake-tasks',
        '1',
        '--render-tasks',
        '1',
        '--wait',
        '--json',
        '-o',
        out,
      ],
    ]);
    const a = await c.follow(split.id);
    assert.is(a.state, 'completed', a.reason);
    const { stdout, stderr } = await cli;
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    assert.is(result.type, 'result');
    assert.is(result.state, 'completed');
    assert.is(result.exitCode, 0);
    assert.ok(result.outputs.includes('scene.glb') && result.outputs.includes('report.json'), stdout);
    assert.is(result.report, join(out, 'report.html'));
    const progress = stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'progress');
    assert.ok(
      progress.some((e) => e.stage === 'bake'),
      stderr.slice(0, 500),
    );
    const whole = { id: result.job as string };
    const s = await c.job(split.id);
    const kinds = s.tasks!.map((t) => t.kind);
    // The bake's 3 per pass of its final gather (the lamp is an emissive quad: no point light, so it gathers; the
    // second pass's tasks download the first pass's pages), then the reference's 3 (the first planned view shows it).
    assert.equal(kinds, [...Array(6).fill('bake-range'), 'render-rows', 'render-rows', 'render-rows']);
    for (const t of s.tasks!) {
      assert.is(t.state, 'completed');
      assert.match(String(t.worker), /^remote\.\d/);
      assert.ok(t.predictedSeconds! > 0 && t.seconds! > 0, JSON.stringify(t));
    }
    assert.ok(s.balance! >= 1, String(s.balance));
    // report.json says where each task went and why (the learning coordinator's figures, farm/dispatch.ts).
    const report = JSON.parse(new TextDecoder().decode(await c.artifact(split.id, 'report.json')));
    assert.equal(
      report.farm.tasks.map((t: { kind: string }) => t.kind),
      kinds,
    );
    assert.is(report.lightmap.finalGather.firstSamples, 8);
    for (const t of report.farm.tasks) {
      assert.match(String(t.worker), /^remote\.\d/);
      assert.match(String(t.dispatch), /^remote\.\d+(\.h)?: wait .* median .* pFail/);
    }
    assert.is((await c.job(whole.id)).tasks, undefined, 'a bake of one task is traced in place');
    const [sceneA, sceneB] = [await c.artifact(split.id, 'scene.glb'), readFileSync(join(out, 'scene.glb'))];
    assert.ok(sceneA.length > 10_000);
    assert.ok(Buffer.from(sceneA).equals(Buffer.from(sceneB)), 'the split bake must equal the one-piece bake');
    for (const name of ['before.png', 'after.png']) {
      const [a, b] = [await c.artifact(split.id, name), readFileSync(join(out, name))];
      assert.ok(Buffer.from(a).equals(Buffer.from(b)), `the split job's ${name} must equal the one-piece job's`);
    }
    // The farm's record of who produced what, checked offline as a user would, against the files and the farm's key.
    const check = await execFileP(process.execPath, [
      oteBin,
      ...['farm', 'verify-provenance', join(out, 'provenance.json'), '--dir', out, '--farm-key', farm.farmKey],
    ]);
    assert.match(check.stdout, /valid; job job_[0-9a-f]+ produced by remote\.\d; \d+ files match/);
    console.log(
      `  split job: tasks ${s.tasks!.map((t) => `${t.seconds!.toFixed(2)} s (predicted ${t.predictedSeconds!.toFixed(2)})`).join(', ')}; balance ${s.balance!.toFixed(2)}`,
    );
  } finally {
    worker.kill('SIGTERM');
    await farm.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
