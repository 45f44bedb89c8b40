#!/usr/bin/env node
// Runs the uvu suites compiled to dist/ and ends with the line "N passed, N failed".
// GPU tests are files named *.gpu.test.js; they run only with --gpu (npm run test:gpu), on a machine with a device.
// Whole-scene tests are files named *.scenes.test.js; they run only with --scenes (npm run test:scenes, CI's step
// after npm test): every shared scene optimized end to end.
// Extra arguments filter test files by substring: `npm test -- scene`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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

// One process per file: a crash or a leaked handle in one suite cannot hide another suite's result.
let passed = 0,
  failed = 0,
  skipped = 0;
const started = Date.now();
for (const file of files) {
  const rel = relative(root, file);
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/uvu/bin.js'),
      '--no-color',
      dirname(file),
      `^${file.split('/').pop().replace(/\./g, '\\.')}$`,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
      maxBuffer: 64 << 20,
      timeout: scenes ? 3_600_000 : 600_000,
    },
  );
  const out = (r.stdout || '') + (r.stderr || '');
  // uvu 0.5 (node_modules/uvu/dist/index.mjs exec): Total counts the tests it ran (the .only ones where there are
  // any), Passed those that passed, and Skipped the test.skip ones and those left out by .only, which are not in
  // Total. So what failed is Total − Passed.
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
  let bad = total - ok;
  if (r.status !== 0 && bad === 0) bad = 1; // the file crashed before uvu could count
  passed += ok;
  failed += bad;
  skipped += skip;
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`${bad ? 'FAIL' : 'ok  '} ${rel}  ${ok}/${total}${skip ? ` (${skip} skipped)` : ''}  ${secs}s`);
  if (bad)
    console.log(
      out
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );
}
console.log(`\n${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)}s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
