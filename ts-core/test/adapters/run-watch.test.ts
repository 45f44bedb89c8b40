/**
 * The editor's reading of an `ote` run (adapters/run-watch.ts): progress lines, and the notice at the end with the
 * verdict, the reason and the report and certificate paths. The failures come from real `ote` processes; the result
 * lines of finished runs are as `ote optimize --json` and `ote farm submit --json` print them.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunWatch } from '../../src/adapters/run-watch.js';
import { oteBin, tempDir } from '../helpers.js';

const dir = tempDir();

/** A real `ote` process's lines (stdout, then stderr) fed to a RunWatch, and its notice. */
function watch(...args: string[]) {
  const r = spawnSync(process.execPath, [oteBin, ...args], { cwd: dir, encoding: 'utf8' });
  const w = new RunWatch();
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) w.line(line);
  return w.finish(r.status ?? -1);
}

test('a level ote cannot read, and a bad profile: the title says which, the text is the CLI message naming the file', () => {
  writeFileSync(join(dir, 'level.glb'), 'not a glb');
  const bad = watch('optimize', 'level.glb', '-o', 'out', '--json');
  assert.equal([bad.ok, bad.exitCode, bad.title], [false, 3, 'The level could not be read']);
  assert.match(bad.text, /level\.glb/);
  assert.is(bad.report, undefined);
  writeFileSync(join(dir, 'td.json'), JSON.stringify({ extends: 'balanced', bake: { samples: -1 } }));
  const profile = watch('optimize', 'level.glb', '-o', 'out', '--profile', 'td.json', '--json');
  assert.equal([profile.exitCode, profile.title], [5, 'The profile is not valid']);
  assert.match(profile.text, /td\.json: bake\.samples: must be >= 1/);
});

test('progress lines become stage percentages with their detail; other JSON lines and blank lines show nothing', () => {
  const w = new RunWatch();
  assert.equal(w.line('{"type":"progress","stage":"bake","fraction":0.4}'), {
    stage: 'bake',
    fraction: 0.4,
    text: 'bake 40%',
  });
  assert.is(
    w.line('{"type":"progress","stage":"reference","fraction":0.5,"detail":"rendering 256 spp"}')?.text,
    'reference 50%: rendering 256 spp',
  );
  assert.is(w.line('{"type":"progress","stage":"bake","fraction":7}')?.fraction, 1);
  assert.is(w.line('{"type":"log","message":"reused the cached result"}'), undefined);
  assert.is(w.line('   '), undefined);
});

test('finished runs: verified with its certificate beside the report; below the profile with the reason; a farm run', () => {
  const report = '/Project/Saved/Optimizer/out/report.html';
  const verified = new RunWatch();
  verified.line(
    JSON.stringify({
      type: 'result',
      exitCode: 0,
      reason: 'verified',
      cached: false,
      report,
      outputs: { scene: 'scene.glb', lightmaps: [], splats: [], certificate: 'certificate.json' },
      verdict: 'accepted',
    }),
  );
  assert.equal(verified.finish(0), {
    ok: true,
    exitCode: 0,
    title: 'Optimized and verified',
    text: 'verified',
    report,
    certificate: '/Project/Saved/Optimizer/out/certificate.json',
  });
  const below = new RunWatch();
  const reason =
    'own check below the profile: PSNR 23.22 (≥ 28), SSIM 0.7910 (≥ 0.92), FLIP 0.1756 (≤ 0.12); most error on "Sponza" (FLIP 0.176)';
  below.line(JSON.stringify({ type: 'result', exitCode: 6, reason, report, outputs: { lightmaps: [], splats: [] } }));
  const n = below.finish(6);
  assert.equal(
    [n.ok, n.title, n.text, n.report, n.certificate],
    [false, "Below the profile's quality", reason, report, undefined],
    'no certificate for a run that was not verified',
  );
  const unverified = new RunWatch();
  unverified.line(JSON.stringify({ type: 'result', exitCode: 0, reason: 'not verified (--no-verify)', report }));
  assert.is(unverified.finish(0).title, 'Optimized, not verified');
  // `ote farm submit --wait` names the files it wrote, on Windows paths too.
  const farm = new RunWatch();
  farm.line(
    JSON.stringify({
      type: 'result',
      job: 'j1',
      state: 'completed',
      exitCode: 0,
      reason: 'verified',
      report: 'C:\\Project\\Saved\\Optimizer\\out\\report.html',
      outputs: ['scene.glb', 'certificate.json', 'report.html'],
    }),
  );
  assert.is(farm.finish(0).certificate, 'C:\\Project\\Saved\\Optimizer\\out\\certificate.json');
  // Killed before any result: the process's code, and what it said last.
  const killed = new RunWatch();
  killed.line('{"type":"progress","stage":"bake","fraction":0.1}');
  assert.equal(killed.finish(137), {
    ok: false,
    exitCode: 137,
    title: 'ote ended with exit code 137',
    text: 'ote ended without a result line',
  });
});

test.run();
