/**
 * The learning coordinator on a real farm (issue #19, "The real farm"), part of `npm run bench:coordinator`: an
 * `ote farm serve` process (embedded queue, SQLite) and 3 `ote farm worker` processes on loopback: one plain, one
 * slowed on purpose (`--slowdown 3`) and one failing 20% of its attempts (`--fail-rate 0.2`). The same stream of
 * simulated jobs (waiting stands in for GPU time; 2 cores here) runs once with `--dispatch learned` and once with
 * `--dispatch fifo` (the first worker to ask), on fresh farms. Reported per policy: mean and p95 completion time
 * (created to finished, retries included), failed attempts, and each worker's attempts, failures and learned
 * seconds per unit (`GET /v1/workers`, what `ote farm workers` prints). The same again with BullMQ on a Redis of the
 * bench's own (`ote farm serve --redis`), where the coordinator chooses too (redis-queue.ts).
 *
 * Then backup copies (LATE, farm/dispatch.ts) on a real farm: two plain workers and one that slows down 8× after its
 * first 4 jobs (`--slowdown 8 --slow-after 4`), the learned dispatch with `--backups off` and `--backups all` (the
 * jobs are independent here; the default copies only a split job's tasks). Reported: mean, p95 and longest job,
 * and the jobs a backup copy completed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FarmClient } from '../ts-core/src/farm/client.js';
import type { WorkerSummary } from '../ts-core/src/farm/coordinator/index.js';
import {
  createKey,
  freePort,
  spawnRedis,
  spawnServer,
  spawnWorker,
  stopProcesses,
} from '../ts-core/src/farm/processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RealFarmOptions {
  jobs: number;
  /** Nominal seconds per job (the plain worker's time). */
  seconds: number;
  /** Seconds between submissions. */
  every: number;
}

/**
 * 80 jobs of 1 s, one a second: the plain worker alone could nearly keep up, so choosing well matters (at 0.6 s the
 * farm is 80% busy and the flaky worker must be used: mean 9.5% lower, failed attempts 8 against 6, one run).
 */
export const REAL_FARM_DEFAULTS: RealFarmOptions = { jobs: 80, seconds: 1, every: 1 };

export const REAL_FARM_WORKERS = [
  { id: 'plain', flags: [] as string[] },
  { id: 'slowed', flags: ['--slowdown', '3'] },
  { id: 'flaky', flags: ['--fail-rate', '0.2'] },
];

export interface RealFarmResult {
  dispatch: 'learned' | 'fifo';
  /** The queue: the embedded one, or BullMQ on Redis. */
  queue: 'embedded' | 'BullMQ';
  /** `--backups` of the run. */
  backups: 'off' | 'tasks' | 'all';
  maxSeconds: number;
  /** Jobs a backup copy completed. */
  completedByBackup: number;
  options: RealFarmOptions;
  meanSeconds: number;
  p95Seconds: number;
  failedAttempts: number;
  wallSeconds: number;
  workers: { id: string; attempts: number; failed: number; secondsPerUnit: number | null }[];
}

/** The straggler world of the backup comparison: a worker that slows down 8× after its first 4 jobs. */
export const LATE_FARM_WORKERS = [
  { id: 'plain-a', flags: [] as string[] },
  { id: 'plain-b', flags: [] as string[] },
  { id: 'drifting', flags: ['--slowdown', '8', '--slow-after', '4'] },
];
export const LATE_FARM_DEFAULTS: RealFarmOptions = { jobs: 30, seconds: 1, every: 0.7 };

async function runFarm(
  dispatch: 'learned' | 'fifo',
  o: RealFarmOptions,
  workers = REAL_FARM_WORKERS,
  backups: RealFarmResult['backups'] = 'tasks',
  redis?: string,
): Promise<RealFarmResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ote-bench-coordinator-'));
  const key = createKey(dir, 'submit,read,work');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const procs: ChildProcess[] = [
    await spawnServer(dir, port, [
      '--rate-limit',
      '100000',
      '--verifiers',
      '0',
      '--dispatch',
      dispatch,
      '--backups',
      backups,
      ...(redis ? ['--redis', redis, '--redis-prefix', `bench-${port}`] : []),
    ]),
  ];
  try {
    for (const w of workers) procs.push(spawnWorker(url, key, w.id, 1, 'simulated', w.flags));
    const client = new FarmClient(url, key);
    for (;;) {
      const r = (await client.request('GET', '/v1/workers')) as { workers: unknown[] };
      if (r.workers.length >= workers.length) break;
      await sleep(100);
    }
    await sleep(300);
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < o.jobs; i++) {
      const j = (await client.request('POST', '/v1/jobs', { kind: 'simulated', simulatedSeconds: o.seconds })) as {
        id: string;
      };
      ids.push(j.id);
      await sleep(o.every * 1000);
    }
    let jobs: Awaited<ReturnType<FarmClient['job']>>[];
    for (;;) {
      jobs = await Promise.all(ids.map((id) => client.job(id)));
      if (jobs.every((j) => ['completed', 'failed', 'cancelled'].includes(j.state))) break;
      await sleep(200);
    }
    const wallSeconds = (Date.now() - t0) / 1000;
    const times = jobs
      .filter((j) => j.finished)
      .map((j) => (Date.parse(j.finished!) - Date.parse(j.created)) / 1000)
      .sort((a, b) => a - b);
    const listed = (
      (await client.request('GET', '/v1/workers')) as { workers: { id: string; learned: WorkerSummary | null }[] }
    ).workers;
    return {
      dispatch,
      queue: redis ? 'BullMQ' : 'embedded',
      backups,
      options: o,
      meanSeconds: times.reduce((a, b) => a + b, 0) / times.length,
      p95Seconds: times[Math.min(times.length - 1, Math.floor(0.95 * times.length))],
      maxSeconds: times[times.length - 1],
      completedByBackup: jobs.filter((j) => j.reason?.startsWith('completed by its backup copy')).length,
      failedAttempts: jobs.reduce((a, j) => a + j.attempts - (j.state === 'completed' ? 1 : 0), 0),
      wallSeconds,
      workers: workers.map(({ id }) => {
        const l = listed.find((w) => w.id === id)?.learned;
        return {
          id,
          attempts: l?.records ?? 0,
          failed: l ? l.records - l.done : 0,
          secondsPerUnit: l?.kinds.find((k) => k.kind === 'simulated')?.secondsPerUnit ?? null,
        };
      }),
    };
  } finally {
    await stopProcesses(procs);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Both policies, learned first, each on a fresh farm with the same job stream. */
export async function benchRealFarm(options: Partial<RealFarmOptions> = {}): Promise<RealFarmResult[]> {
  const o = { ...REAL_FARM_DEFAULTS, ...options };
  return [await runFarm('learned', o), await runFarm('fifo', o)];
}

/** The same on BullMQ: a redis-server of its own, each policy on a fresh farm with its own key prefix. */
export async function benchRealFarmRedis(options: Partial<RealFarmOptions> = {}): Promise<RealFarmResult[]> {
  const o = { ...REAL_FARM_DEFAULTS, ...options };
  const dir = mkdtempSync(join(tmpdir(), 'ote-bench-coordinator-redis-'));
  const redis = await spawnRedis(dir);
  try {
    return [
      await runFarm('learned', o, REAL_FARM_WORKERS, 'tasks', redis.url),
      await runFarm('fifo', o, REAL_FARM_WORKERS, 'tasks', redis.url),
    ];
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The learned dispatch without and with backup copies, each on a fresh farm with the straggler world. */
export async function benchBackupFarm(options: Partial<RealFarmOptions> = {}): Promise<RealFarmResult[]> {
  const o = { ...LATE_FARM_DEFAULTS, ...options };
  return [await runFarm('learned', o, LATE_FARM_WORKERS, 'off'), await runFarm('learned', o, LATE_FARM_WORKERS, 'all')];
}

export function printBackupFarm(rs: RealFarmResult[]): void {
  const o = rs[0].options;
  console.log(
    `\nreal farm, backup copies: 1 server + 3 worker processes (2 plain, 1 --slowdown 8 --slow-after 4), ${o.jobs} simulated jobs of ${o.seconds} s every ${o.every} s, learned dispatch`,
  );
  console.log(
    'backups  mean s  p95 s  max s  completed by a backup  wall s  per worker: attempts / failed / learned s per unit',
  );
  for (const r of rs)
    console.log(
      `${r.backups.padEnd(7)}  ${r.meanSeconds.toFixed(2).padStart(6)}  ${r.p95Seconds.toFixed(2).padStart(5)}  ${r.maxSeconds.toFixed(2).padStart(5)}  ${String(r.completedByBackup).padStart(21)}  ${r.wallSeconds.toFixed(1).padStart(6)}  ${r.workers.map((w) => `${w.id} ${w.attempts}/${w.failed}/${w.secondsPerUnit?.toFixed(2) ?? '-'}`).join(', ')}`,
    );
  const [off, on] = rs;
  console.log(
    `with backups: mean ${(on.meanSeconds / off.meanSeconds).toFixed(2)}×, p95 ${(on.p95Seconds / off.p95Seconds).toFixed(2)}×, longest ${(on.maxSeconds / off.maxSeconds).toFixed(2)}× of without`,
  );
}

export function printRealFarm(rs: RealFarmResult[]): void {
  const o = rs[0].options;
  console.log(
    `\nreal farm (${rs[0].queue} queue): 1 server + 3 worker processes (plain, --slowdown 3, --fail-rate 0.2), ${o.jobs} simulated jobs of ${o.seconds} s every ${o.every} s`,
  );
  console.log('dispatch  mean s  p95 s  failed attempts  wall s  per worker: attempts / failed / learned s per unit');
  for (const r of rs)
    console.log(
      `${r.dispatch.padEnd(8)}  ${r.meanSeconds.toFixed(2).padStart(6)}  ${r.p95Seconds.toFixed(2).padStart(5)}  ${String(r.failedAttempts).padStart(15)}  ${r.wallSeconds.toFixed(1).padStart(6)}  ${r.workers.map((w) => `${w.id} ${w.attempts}/${w.failed}/${w.secondsPerUnit?.toFixed(2) ?? '-'}`).join(', ')}`,
    );
  const [l, f] = rs;
  console.log(
    `learned vs fifo: mean ${(100 * (1 - l.meanSeconds / f.meanSeconds)).toFixed(1)}% lower, p95 ${(100 * (1 - l.p95Seconds / f.p95Seconds)).toFixed(1)}% lower, failed attempts ${l.failedAttempts} vs ${f.failedAttempts}`,
  );
}
