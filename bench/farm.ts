/**
 * `npm run bench:farm`: the farm (ts-core/src/farm) with real processes: `ote farm serve` and `ote farm worker`
 * processes on loopback, running simulated jobs (waiting stands in for GPU time, since this machine has 2 cores).
 *
 * - Throughput with 1, 2 and 4 workers on 24 jobs of 0.5 s: jobs/s, and the speed-up against 1 worker measured in
 *   the same run (target: 3.6× at 4 workers; the ideal is 4×).
 * - Enqueue-to-start latency at 200 submissions/s, and at 100/s (one job per request, 600 jobs of 10 ms, 32 worker
 *   slots): p50 and p99 of started − created as the server records them (target: p99 under 50 ms at 200/s), and
 *   how busy the machine's CPUs were meanwhile, with the CPU time per job over all the run's processes (client,
 *   server, Redis, workers share the 2 cores here: past their capacity, jobs queue).
 * - 500 concurrent jobs: 500 submitted at once as a batch (2 s each) onto 2 workers of 250 slots; all must complete,
 *   and the peak number running at once is reported.
 * Each on both queues: the embedded one, and BullMQ on a real Redis (a redis-server of the bench's own on loopback).
 * - Split balance of a real bake (bench/bake-split.ts): equal-cost against equal-size tasks on a scene whose
 *   per-texel cost varies more than 10×, and the whole bake as 2 concurrent tasks against 1 process.
 * - Split balance of the preview's path-traced reference (bench/render-split.ts): equal-cost against equal-row
 *   bands, and the pre-pass's predicted time against the measured.
 * Prints a table and writes bench/results/farm.json.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FarmClient } from '../ts-core/src/farm/client.js';
import { benchBakeSplit, printBakeSplit } from './bake-split.js';
import { benchRenderSplit, printRenderSplit } from './render-split.js';
import {
  createKey,
  freePort,
  spawnRedis,
  spawnServer,
  spawnWorker,
  stopProcesses,
} from '../ts-core/src/farm/processes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Farm {
  url: string;
  client: FarmClient;
  procs: ChildProcess[];
  dir: string;
}

/** The Redis of the BullMQ runs; each farm has its own key prefix on it. */
let redisUrl: string | undefined;
let farms = 0;

async function startFarm(workers: { concurrency: number }[]): Promise<Farm> {
  const dir = mkdtempSync(join(tmpdir(), 'ote-bench-farm-'));
  const key = createKey(dir, 'submit,read,work');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const flags = ['--rate-limit', '100000', '--verifiers', '0'];
  if (redisUrl) flags.push('--redis', `${redisUrl}`, '--redis-prefix', `bench${++farms}`);
  const procs: ChildProcess[] = [await spawnServer(dir, port, flags)];
  for (const [i, w] of workers.entries()) procs.push(spawnWorker(url, key, `w${i}`, w.concurrency));
  const client = new FarmClient(url, key);
  // Wait until every worker has registered.
  for (;;) {
    const r = (await client.request('GET', '/v1/workers')) as { workers: unknown[] };
    if (r.workers.length >= workers.length) break;
    await sleep(100);
  }
  await sleep(300);
  return { url, client, procs, dir };
}

/** Stops the workers, then the server, and waits for each to exit (SIGKILL after 10 s). */
async function stopFarm(f: Farm): Promise<void> {
  await stopProcesses(f.procs);
  rmSync(f.dir, { recursive: true, force: true });
}

async function waitAll(c: FarmClient, ids: string[], onPoll?: (running: number) => void) {
  for (;;) {
    const jobs = await Promise.all(ids.map((id) => c.job(id)));
    onPoll?.(jobs.filter((j) => j.state === 'running').length);
    if (jobs.every((j) => ['completed', 'failed', 'cancelled'].includes(j.state))) return jobs;
    await sleep(100);
  }
}

/** Busy and total jiffies of all CPUs (Linux /proc/stat; zeros elsewhere). */
function cpuTimes(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function benchQueue(queue: string) {
  // ---- throughput ---------------------------------------------------------------------------------------------------
  const throughput: { workers: number; seconds: number; jobsPerSecond: number; speedup: number }[] = [];
  for (const n of [1, 2, 4]) {
    const f = await startFarm(Array.from({ length: n }, () => ({ concurrency: 1 })));
    const t0 = performance.now();
    const r = (await f.client.request('POST', '/v1/batches', {
      jobs: Array.from({ length: 24 }, () => ({ kind: 'simulated', simulatedSeconds: 0.5 })),
    })) as { jobs: { id: string }[] };
    const jobs = await waitAll(
      f.client,
      r.jobs.map((j) => j.id),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (jobs.some((j) => j.state !== 'completed')) throw new Error('throughput: a job did not complete');
    console.error(`throughput: ${n} worker(s), ${seconds.toFixed(2)} s`);
    throughput.push({
      workers: n,
      seconds,
      jobsPerSecond: 24 / seconds,
      speedup: throughput[0] ? throughput[0].seconds / seconds : 1,
    });
    await stopFarm(f);
  }

  // ---- enqueue-to-start latency at 200 submissions/s (and at 100/s, below where this VM saturates) -------------------
  const latencyAt = async (perSecond: number) => {
    const f = await startFarm([{ concurrency: 16 }, { concurrency: 16 }]);
    const ids: string[] = [];
    const c0 = cpuTimes();
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 600; i++) {
      const due = t0 + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(
        (
          f.client.request('POST', '/v1/jobs', { kind: 'simulated', simulatedSeconds: 0.01 }) as Promise<{ id: string }>
        ).then((j) => {
          ids.push(j.id);
        }),
      );
    }
    await Promise.all(pending);
    const seconds = (performance.now() - t0) / 1000;
    const rate = 600 / seconds;
    // Every process of the run (client, server, Redis, workers) shares this machine's cores: how busy they were.
    const c1 = cpuTimes();
    const busy = c1.total > c0.total ? (c1.busy - c0.busy) / (c1.total - c0.total) : Number.NaN;
    const cores = availableParallelism();
    console.error(`latency: 600 submitted at ${rate.toFixed(0)}/s`);
    const jobs = await waitAll(f.client, ids);
    const ms = jobs.map((j) => Date.parse(j.started!) - Date.parse(j.created));
    await stopFarm(f);
    return {
      submissions: 600,
      ratePerSecond: rate,
      p50Ms: pct(ms, 50),
      p99Ms: pct(ms, 99),
      maxMs: Math.max(...ms),
      cpuBusy: busy,
      cpuMsPerJob: (1000 * busy * cores * seconds) / 600,
    };
  };
  const latency = [await latencyAt(200), await latencyAt(100)];

  // ---- 500 concurrent jobs ---------------------------------------------------------------------------------------------
  const concurrent = await (async () => {
    const f = await startFarm([{ concurrency: 250 }, { concurrency: 250 }]);
    const t0 = performance.now();
    const r = (await f.client.request('POST', '/v1/batches', {
      jobs: Array.from({ length: 500 }, () => ({ kind: 'simulated', simulatedSeconds: 2 })),
    })) as { jobs: { id: string }[] };
    let peak = 0;
    const jobs = await waitAll(
      f.client,
      r.jobs.map((j) => j.id),
      (running) => {
        peak = Math.max(peak, running);
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    await stopFarm(f);
    return {
      jobs: 500,
      completed: jobs.filter((j) => j.state === 'completed').length,
      lost: jobs.filter((j) => j.state !== 'completed').length,
      peakRunning: peak,
      seconds,
    };
  })();

  return { queue, throughput, latency, concurrent };
}

const embedded = await benchQueue('embedded');
const redis = await spawnRedis(mkdtempSync(join(tmpdir(), 'ote-bench-redis-')));
redisUrl = redis.url;
const bullmq = await benchQueue('BullMQ/Redis');
await redis.stop();
const results = [embedded, bullmq];
const split = await benchBakeSplit();
const renderSplit = await benchRenderSplit();

console.log('farm (simulated jobs, real processes on loopback, 2-core VM)');
console.log('queue          workers  seconds  jobs/s  speed-up vs 1 worker');
for (const r of results)
  for (const t of r.throughput)
    console.log(
      `${r.queue.padEnd(13)}  ${String(t.workers).padStart(7)}  ${t.seconds.toFixed(2).padStart(7)}  ${t.jobsPerSecond.toFixed(2).padStart(6)}  ${t.speedup.toFixed(2)}×`,
    );
for (const { queue, latency } of results)
  for (const l of latency)
    console.log(
      `${queue}: enqueue-to-start at ${l.ratePerSecond.toFixed(0)} submissions/s: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (target p99 < 50 ms at 200/s); CPUs ${(100 * l.cpuBusy).toFixed(0)}% busy, ${l.cpuMsPerJob.toFixed(1)} CPU ms per job over all processes`,
    );
for (const { queue, concurrent } of results)
  console.log(
    `${queue}: 500 concurrent jobs: ${concurrent.completed} completed, ${concurrent.lost} lost, peak ${concurrent.peakRunning} running at once, ${concurrent.seconds.toFixed(1)} s`,
  );
console.log('');
printBakeSplit(split);
console.log('');
printRenderSplit(renderSplit);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'farm.json'),
  `${JSON.stringify({ date: new Date().toISOString(), queues: results, bakeSplit: split, renderSplit }, null, 2)}\n`,
);
