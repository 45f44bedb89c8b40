/**
 * A farm of real processes on this machine: `ote farm keys create`, `ote farm serve` and `ote farm worker`, spawned
 * as a user would run them. The chaos test and `npm run bench:farm` use it; each process shares nothing with the
 * others but the server's data directory (the server's own) and HTTP.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `ote` entry point of this checkout. */
export const OTE_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../ts-core/bin/ote.js');

export async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

/** A new key in the farm at `dataDir`, through the CLI. */
export function createKey(dataDir: string, scopes: string): { id: string; secret: string } {
  return JSON.parse(
    execFileSync(
      process.execPath,
      [OTE_BIN, 'farm', 'keys', 'create', '--data', dataDir, '--scopes', scopes, '--json'],
      {
        encoding: 'utf8',
      },
    ),
  );
}

/** `ote farm serve` with no local workers; resolves once it listens. `flags` are further serve flags. */
export function spawnServer(dataDir: string, port: number, flags: string[] = []): Promise<ChildProcess> {
  const p = spawn(
    process.execPath,
    [OTE_BIN, 'farm', 'serve', '--data', dataDir, '--port', String(port), '--workers', '0', '--json', ...flags],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((res, rej) => {
    p.stdout!.on('data', (d) => String(d).includes('"listening"') && res(p));
    p.on('exit', (c) => rej(new Error(`ote farm serve exited with ${c}`)));
  });
}

/** `ote farm worker` with `concurrency` slots for jobs of `kinds` (default: simulated ones), and `extra` flags. */
export function spawnWorker(
  url: string,
  key: { id: string; secret: string },
  id: string,
  concurrency: number,
  kinds = 'simulated',
  extra: string[] = [],
): ChildProcess {
  return spawn(
    process.execPath,
    [OTE_BIN, 'farm', 'worker', '--server', url, '--api-key', `${key.id}:${key.secret}`, '--id', id].concat([
      '--kinds',
      kinds,
      '--concurrency',
      String(concurrency),
      ...extra,
    ]),
    { stdio: 'ignore' },
  );
}

/**
 * Stops a farm's processes: the workers (all but the first) first, then the server (the first), each with SIGTERM
 * and SIGKILL after 10 s; resolves once all have exited.
 */
export async function stopProcesses(procs: readonly ChildProcess[]): Promise<void> {
  const exit = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => {
          const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
          p.once('exit', () => {
            clearTimeout(t);
            r();
          });
          p.kill('SIGTERM');
        });
  await Promise.all(procs.slice(1).map(exit));
  if (procs[0]) await exit(procs[0]);
}

/**
 * A Redis of its own on a free loopback port (Debian's `redis-server`, which `.ci/run` installs), with its data in
 * `dir` and append-only persistence, as a farm's Redis should run. Resolves once it accepts connections.
 */
export async function spawnRedis(dir: string): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const p = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((res, rej) => {
    let out = '';
    p.on('error', (e) =>
      rej(new Error(`redis-server could not start (${e.message}); install it: apt-get install redis-server`)),
    );
    p.on('exit', (c) => rej(new Error(`redis-server exited with ${c}: ${out.slice(-500)}`)));
    p.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('Ready to accept connections')) res();
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    process: p,
    stop: () =>
      new Promise((r) => {
        if (p.exitCode !== null) return r();
        p.once('exit', () => r());
        p.kill('SIGTERM');
      }),
  };
}
