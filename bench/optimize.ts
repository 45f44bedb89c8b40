/**
 * `npm run bench:optimize`: time per stage of `ote optimize` on the example scenes (fresh cache, with verification),
 * and the total wall time of `npm start` (target: at most 2 minutes on 2 cores). Each wall time is also given as a
 * ratio to that 120 s target.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../scripts/temp-dir.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ote = join(root, 'ts-core', 'bin', 'ote.js');
const work = tempDir('ote-bench-optimize-');
const env = { ...process.env, OTE_CACHE_DIR: join(work, 'cache') };
const run = (args: string[], cwd = work, cacheDir = join(work, 'cache')) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [ote, ...args], {
    cwd,
    env: { ...env, OTE_CACHE_DIR: cacheDir },
    encoding: 'utf8',
  });
  return { r, seconds: (performance.now() - t0) / 1000 };
};

const rows: Record<string, unknown>[] = [];
for (const [kind, scale, profile] of [
  ['cornell', '1', 'balanced'],
  ['hero', '1', 'realtime'],
  ['foliage', '0.5', 'realtime'],
] as const) {
  run(['gen', kind, '--scale', scale, '-o', `${kind}.glb`]);
  const { r, seconds } = run(['optimize', `${kind}.glb`, '-o', `out-${kind}`, '--profile', profile]);
  const report = JSON.parse(readFileSync(join(work, `out-${kind}`, 'report.json'), 'utf8'));
  const stages = Object.fromEntries(
    report.timings.map((t: { stage: string; seconds: number }) => [t.stage, t.seconds]),
  );
  rows.push({
    scene: `${kind}@${scale}`,
    profile,
    exit: r.status,
    wallSeconds: seconds,
    stages,
    pipeline: report.plan.pipeline,
    ratioToTarget: seconds / 120,
  });
}
// A cache of its own: the Cornell row above would otherwise make npm start a cache hit.
const start = run(['start', '-o', join(work, 'start')], work, join(work, 'cache-start'));
rows.push({
  scene: 'npm start (cornell, BALANCED, embedded engine)',
  profile: 'balanced',
  exit: start.r.status,
  wallSeconds: start.seconds,
  targetSeconds: 120,
  ratioToTarget: start.seconds / 120,
});

console.log('scene                                   profile    exit   wall (s)  stages (s)');
for (const r of rows)
  console.log(
    `${String(r.scene).padEnd(40)}${String(r.profile).padEnd(11)}${String(r.exit).padEnd(7)}${(r.wallSeconds as number).toFixed(1).padStart(8)}  ${
      r.stages
        ? Object.entries(r.stages as Record<string, number>)
            .map(([k, v]) => `${k} ${v.toFixed(1)}`)
            .join(', ')
        : `target 120 s → ${((r.ratioToTarget as number) * 100).toFixed(0)}% of it`
    }  (${((r.ratioToTarget as number) * 100).toFixed(0)}% of 120 s)`,
  );
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'optimize.json'),
  JSON.stringify({ date: new Date().toISOString(), rows }, null, 2),
);
