#!/usr/bin/env node
// `npm run bench`: runs every `bench:<area>` script in package.json in turn (each prints its own table and writes
// bench/results/<area>.json), then prints which ran and where their results are. `npm run bench -- rays` runs one.
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const only = process.argv.slice(2);
const areas = Object.keys(pkg.scripts)
  .filter((s) => s.startsWith('bench:'))
  .map((s) => s.slice(6))
  .filter((a) => !only.length || only.includes(a));
if (!areas.length) {
  console.error(only.length ? `no bench:${only.join(', bench:')} script` : 'no bench:<area> scripts yet');
  process.exit(only.length ? 2 : 0);
}
const summary = [];
for (const area of areas) {
  console.log(`\n=== bench:${area} ===`);
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', '--silent', `bench:${area}`], { cwd: root, stdio: 'inherit' });
  const json = join(root, 'bench', 'results', `${area}.json`);
  summary.push({
    area,
    status: r.status === 0 ? 'ok' : `failed (${r.status})`,
    seconds: (Date.now() - t0) / 1000,
    results: existsSync(json) ? json : '-',
  });
}
console.log('\narea        status      time     results');
for (const s of summary)
  console.log(`${s.area.padEnd(11)} ${s.status.padEnd(11)} ${s.seconds.toFixed(1).padStart(6)} s  ${s.results}`);
process.exit(summary.every((s) => s.status === 'ok') ? 0 : 1);
