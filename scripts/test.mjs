#!/usr/bin/env node
// Runs the uvu suites compiled to dist/ and ends with the line "N passed, N failed".
// GPU tests are files named *.gpu.test.js; they run only with --gpu (npm run test:gpu), on a machine with a device.
// Whole-scene tests are files named *.scenes.test.js; they run only with --scenes (npm run test:scenes, CI's step
// after npm test): every shared scene optimized end to end.
// Extra arguments filter test files by substring: `npm test -- scene`.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const gpu = argv.includes('--gpu');
const scenes = argv.includes('--scenes');
const kind = (f) => (f.endsWith('.gpu.test.js') ? 'gpu' : f.endsWith('.scenes.test.js') ? 'scenes' : 'unit');
const filters = argv.filter((a) => !a.startsWith('--'));

const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

function walk(dir, out = []) {
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'dist/ts-core/test'))
  .filter((f) => kind(f) === (gpu ? 'gpu' : scenes ? 'scenes' : 'unit'))
  .filter((f) => !filters.length || filters.some((s) => relative(root, f).includes(s)))
  .sort();

// One process per file: a crash or a leaked handle in one suite cannot hide another suite's result. Files run two
// at a time on a 2-core machine (OTE_TEST_JOBS sets how many; 1 runs them one by one): most use one core and many
// wait on sockets and child processes. A file whose header says "test-runner: alone" runs with nothing beside it:
// it uses every core itself (a bake, a whole optimize), or holds wall-clock bounds that a neighbour would skew.
const slots = Math.max(1, Number(process.env.OTE_TEST_JOBS) || Math.min(2, availableParallelism()));
const alone = files.map((file) => /test-runner: alone/.test(readFileSync(file, 'utf8').slice(0, 4000)));

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(
      process.execPath,
      [
        join(root, 'node_modules/uvu/bin.js'),
        '--no-color',
        dirname(file),
        `^${file.split('/').pop().replace(/\./g, '\\.')}$`,
      ],
      { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), scenes ? 3_600_000 : 600_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ file, out, status, secs: (Date.now() - t0) / 1000 });
    });
  });
}

let passed = 0,
  failed = 0,
  skipped = 0;
const started = Date.now();
const results = new Array(files.length);
let printed = 0;
/** Prints the results that are ready, in file order. */
function report() {
  for (; printed < files.length && results[printed]; printed++) {
    const { file, out, status, secs } = results[printed];
    // uvu 0.5 (node_modules/uvu/dist/index.mjs exec): Total counts the tests it ran (the .only ones where there are
    // any), Passed those that passed, and Skipped the test.skip ones and those left out by .only, which are not in
    // Total. So what failed is Total − Passed.
    const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
    let bad = total - ok;
    if (status !== 0 && bad === 0) bad = 1; // the file crashed before uvu could count
    passed += ok;
    failed += bad;
    skipped += skip;
    const rel = relative(root, file);
    console.log(
      `${bad ? 'FAIL' : 'ok  '} ${rel}  ${ok}/${total}${skip ? ` (${skip} skipped)` : ''}  ${secs.toFixed(1)}s`,
    );
    // A failing file's whole output; and the scenes step's always (each scene's exit and seconds).
    if (bad || scenes)
      console.log(
        out
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
      );
  }
}

const running = new Set();
const start = (i) => {
  const p = runFile(files[i]).then((r) => {
    results[i] = r;
    running.delete(p);
    report();
  });
  running.add(p);
};
// The files that run alone go first, one by one, then the rest share the slots: run in file order, each alone file
// waited for its neighbour to finish, and a core stood idle for part of a file at each of them (about 50 s of CI's
// npm test, 14 such files, 2026-12-06). Results still print in file order.
const order = [...files.keys()].sort((a, b) => Number(alone[b]) - Number(alone[a]) || a - b);
for (const i of order) {
  const solo = alone[i];
  while (running.size >= (solo ? 1 : slots)) await Promise.race(running);
  start(i);
  if (solo) await Promise.all(running);
}
await Promise.all(running);
console.log(
  `\n${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)}s${slots > 1 && files.length > 1 ? `, up to ${slots} at a time` : ''}`,
);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
