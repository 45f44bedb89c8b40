/** The `ote` binary as a user and CI meet it: real processes, exit codes, one-line errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oteBin, tempDir } from '../helpers.js';

const dir = tempDir();
const ote = (...args: string[]) => spawnSync(process.execPath, [oteBin, ...args], { encoding: 'utf8', cwd: dir });

test('--help lists the commands', () => {
  const r = ote('--help');
  assert.is(r.status, 0);
  for (const c of ['gen', 'info', 'native-info']) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
});

test('gen then info prints the summary, and --json parses', () => {
  const out = join(dir, 'c.glb');
  const g = ote('gen', 'cornell', '-o', out);
  assert.is(g.status, 0, g.stderr);
  const i = ote('info', out);
  assert.is(i.status, 0, i.stderr);
  assert.match(i.stdout, /triangles\s+36 drawn/);
  assert.match(i.stdout, /surface\s+26\.01 m²/);
  const j = JSON.parse(ote('info', out, '--json').stdout);
  assert.is(j.instancedTriangles, 36);
  assert.is(j.hash.length, 64);
});

test('bad input: exit 3, one line naming the file, no stack trace', () => {
  const p = join(dir, 'bad.glb');
  writeFileSync(p, 'not a glb at all');
  const r = ote('info', p);
  assert.is(r.status, 3);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /bad\.glb: header: wrong magic/);
  assert.not.match(r.stderr, /\n\s+at /);
  const d = ote('info', p, '--debug');
  assert.match(d.stderr, /\n\s+at /, '--debug shows the stack');
});

test('usage errors exit 2', () => {
  assert.is(ote('frobnicate').status, 2);
  assert.is(ote('gen', 'nonsense', '-o', 'x.glb').status, 2);
  assert.is(ote('gen', 'cornell').status, 2);
  const scale = ote('gen', 'cornell', '--scale', '0', '-o', 'x.glb');
  assert.is(scale.status, 2);
  // A numeric flag's error says what it accepts.
  assert.match(scale.stderr, /--scale must be a number > 0, got "0"/);
  const scene = join(dir, 'flags.glb');
  assert.is(ote('gen', 'cornell', '-o', scene).status, 0);
  const width = ote('render', scene, '--width', '1.5', '-o', join(dir, 'flags.png'));
  assert.is(width.status, 2);
  assert.match(width.stderr, /--width must be an integer from 1 to 16384, got "1\.5"/);
});

test('a scene over the memory budget exits 4', () => {
  const out = join(dir, 'big.glb');
  ote('gen', 'atrium', '-o', out);
  const r = spawnSync(process.execPath, [oteBin, 'info', out], {
    encoding: 'utf8',
    env: { ...process.env, OTE_MEMORY_BUDGET: '10000' },
  });
  assert.is(r.status, 4, r.stderr);
  assert.match(r.stderr, /over the memory budget/);
});

test('optimize --deadline: a run that cannot finish in time is refused up front (exit 4) with the deadline that works', () => {
  const scene = join(dir, 'deadline.glb');
  assert.is(ote('gen', 'cornell', '-o', scene).status, 0);
  const t0 = Date.now();
  // ECONOMY's bake target of 90 s prices the run at 3 minutes of this machine.
  const r = ote('optimize', scene, '-o', join(dir, 'deadline-out'), '--profile', 'economy', '--deadline', '2m');
  assert.is(r.status, 4, r.stderr);
  assert.match(
    r.stderr,
    /economy: refused: it cannot finish by \S+: needs 0\.050 reference hours; .* move the deadline to \S+ \(\$0\.\d\d\)/,
  );
  assert.match(r.stderr, /cost model: 2× the ECONOMY bake target of 90 s/);
  assert.ok(Date.now() - t0 < 20_000, 'refused before any work');
  const bad = ote('optimize', scene, '-o', join(dir, 'deadline-out'), '--deadline', 'tonight');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--deadline must be a duration such as 8h/);
});

test.run();
