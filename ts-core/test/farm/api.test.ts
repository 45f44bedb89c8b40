/**
 * The farm's API over real sockets: signed requests (tampered body, stale timestamp, replayed nonce, unknown key,
 * wrong scope each refused with its status), rate limits (429 with Retry-After), ordered WebSocket events that end in
 * one terminal state, cancellation, a malformed upload refused beside jobs that finish, artifacts, /metrics and the
 * OpenAPI document, and jobs that survive a server restart; each with both queues, the embedded one and BullMQ on a
 * real Redis (a redis-server of the test's own on a loopback port). Workers run a fake executor (simulated work), so this
 * tests the farm, not the optimizer; test/farm/bake-split.test.ts runs real optimize jobs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { FarmClient, type FarmEvent, FarmHttpError } from '../../src/farm/client.js';
import { simulatedExecutor } from '../../src/farm/executors.js';
import type { Executor, ExecutorResult } from '../../src/farm/worker.js';
import { type FarmServer, startFarmServer } from '../../src/farm/server.js';
import { spawnRedis } from '../../src/farm/processes.js';
import { type Provenance, verifyProvenance } from '../../src/farm/provenance.js';
import { signRequest } from '../../src/farm/signing.js';
import { sha256Hex } from '../../src/trust/bytes.js';
import { sceneToGlb } from '../../src/io/gltf-write.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const glb = await sceneToGlb(cornellBox());
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r, j) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      j(new Error('aborted'));
    });
  });

/** The tasks a scene named split*.glb splits into: simulated work of these seconds, then of SPLIT_AGAIN's. */
const SPLIT = [0.3, 0.1, 0.2, 0.4];
const SPLIT_AGAIN = [0.05, 0.06];
const ALL_TASKS = [...SPLIT, ...SPLIT_AGAIN];

/**
 * Simulated work: 5 steps of `stepMs`, each a progress event; a scene named fail.glb throws; one named split*.glb
 * splits into SPLIT's tasks, waits for them, then into SPLIT_AGAIN's (as an optimize job splits its bake, then its
 * preview).
 */
const fake =
  (stepMs: number): Executor =>
  async (job, ctx): Promise<ExecutorResult> => {
    if (job.spec.scene?.name === 'fail.glb') throw new Error('the executor failed on purpose');
    if (job.spec.scene?.name.startsWith('split')) {
      const run = (seconds: number[], from: number, to: number) =>
        ctx.runTasks(
          seconds.map((s) => ({ kind: 'simulated', spec: { simulatedSeconds: s }, predictedSeconds: s })),
          (f) => ctx.progress('tasks', from + f * (to - from)),
        );
      const done = [await run(SPLIT, 0, 0.8), await run(SPLIT_AGAIN, 0.8, 1)];
      const summary = JSON.stringify(done.map((d) => d.map((t) => ({ index: t.index, worker: t.worker }))));
      return { exitCode: 0, artifacts: { 'tasks.json': new TextEncoder().encode(summary) } };
    }
    for (let i = 1; i <= 5; i++) {
      await sleep(stepMs, ctx.signal);
      ctx.progress(`step${i}`, i / 5);
    }
    return { exitCode: 0, verdict: 'accepted', artifacts: { 'report.json': new TextEncoder().encode('{"ok":true}') } };
  };

async function refused(p: Promise<unknown>, status: number, code: RegExp): Promise<FarmHttpError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, FarmHttpError, String(e));
    assert.is((e as FarmHttpError).status, status, (e as Error).message);
    assert.match((e as FarmHttpError).code, code);
    return e as FarmHttpError;
  }
  throw new Error(`expected a ${status} refusal`);
}

/** Every test below, against one queue backend: `redis` is a Redis URL for BullMQ, absent for the embedded queue. */
function farmSuite(name: string, redis?: string) {
  const test = suite(`farm API, ${name} queue`);
  const dataDir = mkdtempSync(join(tmpdir(), 'ote-farm-test-'));
  const start = (stepMs = 30, extra: Parameters<typeof startFarmServer>[0] = {}): Promise<FarmServer> =>
    startFarmServer({
      dataDir,
      port: 0,
      workers: 2,
      verifiers: 0,
      redis,
      executors: { optimize: fake(stepMs), simulated: simulatedExecutor },
      ...extra,
    });
  test('signed requests: tampered, stale, replayed, unknown and out-of-scope requests are refused', async () => {
    const farm = await start();
    try {
      const key = farm.keys.create(['submit', 'read']);
      const reader = farm.keys.create(['read']);
      const c = new FarmClient(farm.url, key);
      const job = await c.submit({ data: glb, name: 'cornell.glb' }, { profile: 'economy' });
      assert.is(job.state, 'queued');
      const path = `/v1/jobs/${job.id}`;
      const raw = (headers: Record<string, string>, method = 'GET', body?: string, p = path) =>
        fetch(farm.url + p, {
          method,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          body,
        });
      // Unsigned, unknown key, tampered body, stale timestamp, replayed nonce, wrong scope.
      assert.is((await raw({})).status, 401);
      assert.is((await raw(signRequest({ id: 'otek_0000000000000000', secret: 'x' }, 'GET', path))).status, 401);
      const body = JSON.stringify({ scene: { hash: 'a'.repeat(64), name: 'x.glb' } });
      const signed = signRequest(key, 'POST', '/v1/jobs', body);
      const tampered = await raw(signed, 'POST', body.replace('x.glb', 'y.glb'), '/v1/jobs');
      assert.is(tampered.status, 401);
      assert.match(((await tampered.json()) as { error: string }).error, 'BAD_SIGNATURE');
      const stale = await raw(signRequest(key, 'GET', path, '', Date.now() - 6 * 60 * 1000));
      assert.is(stale.status, 401);
      assert.match(((await stale.json()) as { error: string }).error, 'STALE_TIMESTAMP');
      const once = signRequest(key, 'GET', path);
      assert.is((await raw(once)).status, 200);
      const replay = await raw(once);
      assert.is(replay.status, 409);
      assert.match(((await replay.json()) as { error: string }).error, 'REPLAYED');
      await refused(new FarmClient(farm.url, reader).cancel(job.id), 403, /FORBIDDEN/);
      // A revoked key is unknown from then on.
      farm.keys.revoke(reader.id);
      await refused(new FarmClient(farm.url, reader).job(job.id), 401, /UNKNOWN_KEY/);
    } finally {
      await farm.close();
    }
  });

  test('rate limits answer 429 with Retry-After', async () => {
    const farm = await start(30, { rateLimit: { perSecond: 2, burst: 5 } });
    try {
      const c = new FarmClient(farm.url, farm.keys.create(['read']));
      let limited: FarmHttpError | undefined;
      for (let i = 0; i < 10 && !limited; i++)
        await c.workers().catch((e) => {
          limited = e;
        });
      assert.ok(limited, 'never limited');
      assert.is(limited!.status, 429);
      assert.ok(limited!.retryAfter! >= 1, `Retry-After ${limited!.retryAfter}`);
    } finally {
      await farm.close();
    }
  });

  test('events arrive in order and end in exactly one terminal state; cancel stops a running job', async () => {
    const farm = await start(400); // progress is sent at most twice a second
    try {
      const c = new FarmClient(farm.url, farm.keys.create(['submit', 'read', 'cancel']));
      const a = await c.submit({ data: glb, name: 'cornell.glb' });
      const events: FarmEvent[] = [];
      const end = await c.follow(a.id, (e) => events.push(e));
      assert.equal(
        events.map((e) => e.seq),
        events.map((_, i) => i + 1),
      );
      assert.is(events.filter((e) => e.type === 'end').length, 1);
      assert.is(end.state, 'completed');
      assert.is(end.exitCode, 0);
      const fractions = events.filter((e) => e.type === 'progress').map((e) => e.fraction!);
      assert.ok(
        fractions.length >= 3 && fractions.every((f, i) => i === 0 || f >= fractions[i - 1]),
        String(fractions),
      );
      assert.equal(
        events.filter((e) => e.type === 'state').map((e) => e.state),
        ['queued', 'running'],
      );
      const done = await c.job(a.id);
      assert.is(done.verdict, 'accepted');
      assert.equal(new TextDecoder().decode(await c.artifact(a.id, 'report.json')), '{"ok":true}');
      // Following a finished job replays its events and ends.
      assert.is((await c.follow(a.id)).state, 'completed');

      const b = await c.submit({ data: glb, name: 'cornell.glb' });
      const followed = c.follow(b.id);
      while ((await c.job(b.id)).state !== 'running') await sleep(20);
      assert.is((await c.cancel(b.id)).state, 'cancelled');
      const bEnd = await followed;
      assert.is(bEnd.state, 'cancelled');
      await sleep(200);
      assert.is((await c.job(b.id)).state, 'cancelled', 'the cancelled job must not be finished by its worker');
    } finally {
      await farm.close();
    }
  });

  test('a job split into tasks: the tasks run as jobs, the job shows each one and the balance; cancel stops them', async () => {
    // One local worker: the split job's worker runs its tasks itself while it waits (no deadlock).
    const farm = await start(20, { workers: 1 });
    try {
      const c = new FarmClient(farm.url, farm.keys.create(['submit', 'read', 'cancel']));
      const a = await c.submit({ data: glb, name: 'split.glb' });
      const events: FarmEvent[] = [];
      assert.is((await c.follow(a.id, (e) => events.push(e))).state, 'completed');
      const done = await c.job(a.id);
      assert.is(done.tasks?.length, ALL_TASKS.length);
      for (const [i, t] of done.tasks!.entries()) {
        assert.is(t.index, i);
        assert.is(t.state, 'completed');
        assert.is(t.predictedSeconds, ALL_TASKS[i]);
        assert.ok(t.seconds! >= ALL_TASKS[i] && t.seconds! < ALL_TASKS[i] + 1, `task ${i}: ${t.seconds} s`);
        assert.match(String(t.worker), /^local-1\.h$/);
        assert.is((await c.job(t.id)).parent, a.id);
      }
      const mean = done.tasks!.reduce((x, t) => x + t.seconds!, 0) / ALL_TASKS.length;
      assert.ok(Math.abs(done.balance! - Math.max(...done.tasks!.map((t) => t.seconds!)) / mean) < 1e-9);
      assert.ok(done.balance! > 1.3, 'unequal tasks: the balance shows it');
      // The farm's signed record names the job's worker and each task's; altered, it no longer verifies.
      const record = JSON.parse(new TextDecoder().decode(await c.artifact(a.id, 'provenance.json'))) as Provenance;
      assert.equal(verifyProvenance(record, { farmKey: farm.farmKey }), { ok: true, problems: [] });
      assert.is(record.producedBy.worker, 'local-1');
      assert.equal(
        record.tasks.map((t) => [t.index, t.worker]),
        ALL_TASKS.map((_, i) => [i, 'local-1.h']),
      );
      assert.equal(record.scene, { name: 'split.glb', sha256: sha256Hex(glb) });
      const tasksJson = await c.artifact(a.id, 'tasks.json');
      assert.equal(verifyProvenance(record, { files: { 'tasks.json': sha256Hex(tasksJson) } }).ok, true);
      assert.equal(verifyProvenance(record, { files: { 'tasks.json': sha256Hex(new Uint8Array(1)) } }).ok, false);
      const forged = { ...record, producedBy: { ...record.producedBy, worker: 'someone-else' } };
      assert.match(verifyProvenance(forged).problems.join(), /signature does not match/);
      assert.match(verifyProvenance(record, { farmKey: 'ab'.repeat(32) }).problems.join(), /not the expected/);
      const summary = JSON.parse(new TextDecoder().decode(tasksJson));
      // Each call's outcomes in its own request order.
      assert.equal(
        summary.map((d: { index: number }[]) => d.map((t) => t.index)),
        [
          [0, 1, 2, 3],
          [0, 1],
        ],
      );
      const fractions = events.filter((e) => e.type === 'progress').map((e) => e.fraction!);
      assert.ok(
        fractions.every((f, i) => i === 0 || f >= fractions[i - 1]),
        String(fractions),
      );

      // Cancelling the job cancels its tasks that have not ended.
      const b = await c.submit({ data: glb, name: 'split-b.glb' });
      while (!(await c.job(b.id)).tasks?.length) await sleep(20);
      assert.is((await c.cancel(b.id)).state, 'cancelled');
      const tasks = (await c.job(b.id)).tasks!;
      assert.ok(
        tasks.every((t) => t.state === 'cancelled' || t.state === 'completed'),
        tasks.map((t) => t.state).join(),
      );
      assert.ok(tasks.some((t) => t.state === 'cancelled'));
      await sleep(300);
      assert.equal(
        (await c.job(b.id)).tasks!.map((t) => t.state),
        tasks.map((t) => t.state),
        'a cancelled task must not be finished by its worker',
      );
    } finally {
      await farm.close();
    }
  });

  test('a malformed upload is refused by name, and the jobs beside it finish; a failing job fails after its attempts', async () => {
    const farm = await start(20, { queue: { maxAttempts: 2, backoffMs: 50 } });
    try {
      const c = new FarmClient(farm.url, farm.keys.create(['submit', 'read']));
      const good = await c.upload(glb);
      const bad = await c.upload(new TextEncoder().encode('glTF but not really'));
      const r = (await c.request('POST', '/v1/batches', {
        jobs: [
          { scene: { hash: good, name: 'a.glb' } },
          { scene: { hash: bad, name: 'broken.glb' } },
          { scene: { hash: good, name: 'fail.glb' } },
          { scene: { hash: 'f'.repeat(64), name: 'missing.glb' } },
        ],
      })) as { jobs: { id?: string; error?: string; index?: number }[] };
      assert.is(r.jobs.length, 4);
      assert.match(r.jobs[1].error!, /broken\.glb/);
      assert.match(r.jobs[3].error!, /was not uploaded/);
      await refused(c.request('POST', '/v1/jobs', { scene: { hash: bad, name: 'broken.glb' } }), 422, /BAD_SCENE/);
      await refused(c.request('POST', '/v1/jobs', { scene: { hash: good, name: '../x.glb' } }), 400, /.*/);
      const noProfile = await refused(
        c.request('POST', '/v1/jobs', { scene: { hash: good, name: 'a.glb' }, profile: 'fastest' }),
        422,
        /BAD_SCENE/,
      );
      assert.match(noProfile.message, /profile: .*fastest/);
      assert.is((await c.follow(r.jobs[0].id!)).state, 'completed');
      const failed = await c.follow(r.jobs[2].id!);
      assert.is(failed.state, 'failed');
      assert.match(failed.reason!, /failed on every attempt \(2\); last: the executor failed on purpose/);
    } finally {
      await farm.close();
    }
  });

  test('/metrics and /v1/openapi.json are open and describe the farm', async () => {
    const farm = await start();
    try {
      const metrics = await (await fetch(`${farm.url}/metrics`)).text();
      for (const name of [
        'ote_farm_queue_depth',
        'ote_farm_jobs{state="queued"}',
        'ote_farm_workers 2',
        'ote_farm_worker_utilization_ratio',
        'ote_farm_task_duration_seconds',
        'ote_farm_retries_total',
        'ote_farm_failures_total',
        'ote_farm_verification_verdicts_total',
      ])
        assert.ok(metrics.includes(name), `missing ${name}`);
      // The Grafana dashboard in the repo asks only for metrics the farm exports.
      const dashboard = readFileSync(join(repoRoot, 'deploy', 'grafana', 'ote-farm.json'), 'utf8');
      const asked = new Set(dashboard.match(/ote_farm_[a-z_]+/g));
      assert.ok(asked.size >= 8, `dashboard asks for ${asked.size} metrics`);
      for (const m of asked)
        assert.ok(metrics.includes(`# TYPE ${m.replace(/_bucket$/, '')} `), `dashboard metric ${m} not exported`);
      const doc = (await (await fetch(`${farm.url}/v1/openapi.json`)).json()) as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
      };
      assert.is(doc.openapi, '3.1.0');
      for (const p of [
        '/v1/jobs',
        '/v1/batches',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/artifacts/{name}',
        '/v1/blobs/{hash}',
      ])
        assert.ok(doc.paths[p], `OpenAPI lacks ${p}`);
      assert.ok(doc.paths['/v1/jobs'].post, 'POST /v1/jobs');
    } finally {
      await farm.close();
    }
  });

  test('queued and running jobs survive a server restart and finish', async () => {
    let farm = await start(100, { workers: 1, queue: { leaseMs: 400, backoffMs: 10 } });
    const key = farm.keys.create(['submit', 'read']);
    let c = new FarmClient(farm.url, key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await c.submit({ data: glb, name: `s${i}.glb` })).id);
    while ((await c.job(ids[0])).state !== 'running') await sleep(20);
    await farm.close(); // one job mid-run, two queued
    farm = await start(20, { workers: 2, queue: { leaseMs: 400, backoffMs: 10 } });
    try {
      c = new FarmClient(farm.url, key);
      for (const id of ids) assert.is((await c.follow(id)).state, 'completed', id);
      assert.ok((await c.job(ids[0])).attempts >= 2, 'the interrupted job was retried');
    } finally {
      await farm.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
  return test;
}

const redisDir = mkdtempSync(join(tmpdir(), 'ote-farm-redis-'));
const redis = await spawnRedis(redisDir);
farmSuite('embedded').run();
const last = farmSuite('BullMQ/Redis', redis.url);
last.after(async () => {
  await redis.stop();
  rmSync(redisDir, { recursive: true, force: true });
});
last.run();
