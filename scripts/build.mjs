#!/usr/bin/env node
// `npm install` runs this: builds the native addon with cmake-js (CUDA when nvcc is found), then the TypeScript.
// Flags: --native-only, --ts-only, --cpu-only (skip CUDA even if nvcc exists).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`build: '${cmd} ${argv.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function findNvcc() {
  if (process.env.OTE_CUDA === 'OFF' || args.has('--cpu-only')) return null;
  const candidates = [process.env.CUDACXX, '/usr/local/cuda/bin/nvcc'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  const which = spawnSync('which', ['nvcc'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

if (!args.has('--ts-only')) {
  const nvcc = findNvcc();
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  const defines = [nvcc ? `--CDCMAKE_CUDA_COMPILER=${nvcc}` : '--CDOTE_CUDA=OFF'];
  const jobs = String(Math.max(1, (await import('node:os')).availableParallelism()));
  process.env.CMAKE_BUILD_PARALLEL_LEVEL ??= jobs;
  run(process.execPath, [cmakeJs, 'compile', '--out', 'build', ...defines]);
  console.log(
    `build: native addon built ${nvcc ? `with CUDA (${nvcc}, sm_90 + compute_90 PTX)` : 'CPU-only (no nvcc found)'}`,
  );
}
if (!args.has('--native-only')) {
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);
  console.log('build: TypeScript compiled to dist/');
}
