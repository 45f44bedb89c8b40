#!/usr/bin/env node
// `npm install` runs this: builds the native addon with cmake-js (CUDA when nvcc is found), better-sqlite3's addon,
// and the TypeScript, all three at once. Flags: --native-only, --ts-only, --cpu-only (skip CUDA even if nvcc exists).
//
// Why at once: each was waiting on the one before, and none needs another's output. better-sqlite3 builds SQLite
// from source wherever its prebuilt binary cannot be downloaded (no network, as on CI): one 9 MB C file that keeps
// a single core busy for about two minutes (118 s on the 2-core VM, 2026-12-07), while the other core idled; our
// addon (about 370 core-seconds, 185 s on 2 cores) and tsc (37 core-seconds) then ran after it. package.json's
// allowScripts therefore keeps npm from running better-sqlite3's install script, and this script runs that same
// script itself, beside the other two. Each job's output is kept and printed when it ends, so the logs do not mix.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

/** Runs `cmd argv` (or a shell line when argv is null); resolves with its exit and output, and the seconds it took. */
function run(label, cmd, argv, opts = {}) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv ?? [], {
      cwd: root,
      env: process.env,
      shell: argv === null,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (e) => (out += `${e.message}\n`));
    child.on('close', (code, signal) =>
      resolve({ label, code: code ?? 1, signal, out, seconds: (Date.now() - t0) / 1000 }),
    );
  });
}

function findNvcc() {
  if (process.env.OTE_CUDA === 'OFF' || args.has('--cpu-only')) return null;
  const candidates = [process.env.CUDACXX, '/usr/local/cuda/bin/nvcc'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    if (dir && existsSync(join(dir, 'nvcc'))) return join(dir, 'nvcc');
  return null;
}

/**
 * better-sqlite3's own install script (prebuild-install, else node-gyp), run where npm left it unbuilt. Under npm the
 * `node-gyp` it calls is npm's (npm puts its shim on PATH and names the script in npm_config_node_gyp); run by hand,
 * the shim beside the npm that ships with this Node is put on PATH.
 */
function sqliteJob() {
  const dir = join(root, 'node_modules', 'better-sqlite3');
  if (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'build', 'Release', 'better_sqlite3.node')))
    return null;
  const script = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.install;
  if (!script) return null;
  const npmRoot = process.env.npm_config_node_gyp
    ? join(dirname(process.env.npm_config_node_gyp), '..', '..', '..')
    : join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const gypShim = join(npmRoot, 'node_modules', '@npmcli', 'run-script', 'lib', 'node-gyp-bin');
  // Node's own headers where this Node ships them (npm's config says so on the CI image: nodedir=/usr), so that
  // node-gyp does not try to download them when this script is run without npm.
  const prefix = join(dirname(process.execPath), '..');
  const nodedir =
    process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined);
  // SQLite at -O1, not node-gyp's -O3: 56 s of one core instead of 139 for the whole addon on this project's 2-core
  // machine (2026-12-07), and the embedded store runs a few small queries per job. CFLAGS / CXXFLAGS set by the user
  // win (node-gyp appends them after its own flags).
  const env = {
    ...process.env,
    CFLAGS: process.env.CFLAGS ?? '-O1',
    CXXFLAGS: process.env.CXXFLAGS ?? '-O1',
    ...(nodedir ? { npm_config_nodedir: nodedir } : {}),
    PATH: [join(root, 'node_modules', '.bin'), gypShim, process.env.PATH].join(delimiter),
    npm_config_node_gyp:
      process.env.npm_config_node_gyp ?? join(npmRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  };
  return run('better-sqlite3 (SQLite from source where no prebuilt binary downloads)', script, null, {
    cwd: dir,
    env,
  });
}

function nativeJob() {
  const nvcc = findNvcc();
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  const defines = [nvcc ? `--CDCMAKE_CUDA_COMPILER=${nvcc}` : '--CDOTE_CUDA=OFF'];
  const env = {
    ...process.env,
    CMAKE_BUILD_PARALLEL_LEVEL: process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? String(availableParallelism()),
  };
  return run(
    `native addon ${nvcc ? `with CUDA (${nvcc}, sm_90 + compute_90 PTX)` : 'CPU-only (no nvcc found)'}`,
    process.execPath,
    [cmakeJs, 'compile', '--out', 'build', ...defines],
    { env },
  );
}

const tsJob = () =>
  run('TypeScript to dist/', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);

const t0 = Date.now();
const jobs = [
  args.has('--ts-only') ? null : sqliteJob(),
  args.has('--ts-only') ? null : nativeJob(),
  args.has('--native-only') ? null : tsJob(),
].filter(Boolean);
let failed = 0;
await Promise.all(
  jobs.map((job) =>
    job.then((r) => {
      const ok = r.code === 0 && !r.signal;
      if (!ok) {
        failed++;
        process.stderr.write(r.out);
      } else if (process.env.OTE_BUILD_VERBOSE) process.stdout.write(r.out);
      console.log(
        `build: ${r.label} ${ok ? 'built' : `FAILED (exit ${r.signal ?? r.code})`} in ${r.seconds.toFixed(0)} s`,
      );
    }),
  ),
);
console.log(
  `build: ${failed ? `${failed} of ${jobs.length} failed` : 'done'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
process.exit(failed ? 1 : 0);
