/** `ote splat` and `ote render-splat`: outputs, reports, usage errors, input errors, and Ctrl-C cancellation. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { heroObject } from '../../../examples/generators/index.js';
import { exportGltf } from '../../src/io/gltf-write.js';
import { decodePng } from '../../src/io/png.js';
import { loadSplats } from '../../src/io/splat-formats.js';
import { oteBin, tempDir } from '../helpers.js';

const dir = tempDir('ote-splat-cli-');
const glb = join(dir, 'hero.glb');
const ote = (...args: string[]) =>
  spawnSync(process.execPath, [oteBin, ...args], { encoding: 'utf8', env: { ...process.env, OTE_BACKEND: 'cpu' } });

test('ote splat converts, trains and writes every format; render-splat renders the result', async () => {
  await exportGltf(heroObject({ scale: 1 }), glb);
  const ply = join(dir, 'hero.ply');
  let r = ote('splat', glb, '-o', ply, '--budget', '4000', '--json');
  assert.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.is(report.gaussians, 4000);
  const header = readFileSync(ply).subarray(0, 2000).toString('latin1');
  assert.is((header.match(/^property float /gm) ?? []).length, 62, 'the standard 62-property layout');
  assert.is((await loadSplats(ply)).count, 4000);

  const spz = join(dir, 'hero.spz');
  r = ote('splat', glb, '-o', spz, '--budget', '3000', '--iters', '30', '--views', '4', '--size', '48', '--json');
  assert.is(r.status, 0, r.stderr);
  const trained = JSON.parse(r.stdout);
  assert.ok(trained.heldOutPsnr > 10 && trained.gaussians <= 3000, JSON.stringify(trained));

  const png = join(dir, 'hero.png');
  r = ote(
    'render-splat',
    ply,
    '--width',
    '96',
    '--height',
    '64',
    '--camera',
    '2,1.5,2,0,0.6,0',
    '--background',
    '1,1,1',
    '-o',
    png,
  );
  assert.is(r.status, 0, r.stderr);
  const img = decodePng(readFileSync(png));
  assert.is(img.width, 96);
  assert.is(img.height, 64);
  let dark = 0;
  for (let i = 0; i < 96 * 64; i++) if (img.data[4 * i] < 200) dark++;
  assert.ok(dark > 200, 'the object is in the picture');
  assert.is(readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temporary files left');
});

test('usage and input errors exit with their codes and name the problem', () => {
  let r = ote('splat', glb);
  assert.is(r.status, 2);
  assert.match(r.stderr, /missing -o/);
  r = ote('splat', glb, '-o', join(dir, 'x.obj'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /unknown splat format/);
  r = ote('render-splat', join(dir, 'nope.ply'), '-o', join(dir, 'n.png'));
  assert.is(r.status, 3);
  assert.match(r.stderr, /nope\.ply/);
  const bad = join(dir, 'bad.ply');
  writeFileSync(bad, 'ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\nend_header\n');
  r = ote('render-splat', bad, '-o', join(dir, 'b.png'));
  assert.is(r.status, 3);
  assert.match(r.stderr, /bad\.ply: element vertex: missing property y/);
  assert.not.ok(existsSync(join(dir, 'b.png')));
});

test('Ctrl-C cancels training and exits 130 without writing the output', async () => {
  const out = join(dir, 'cancel.ply');
  const child = spawn(
    process.execPath,
    [
      oteBin,
      'splat',
      glb,
      '-o',
      out,
      '--budget',
      '2000',
      '--iters',
      '100000',
      '--views',
      '2',
      '--size',
      '32',
      '--json',
    ],
    { env: { ...process.env, OTE_BACKEND: 'cpu' } },
  );
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    if (err.includes('"stage":"train"') && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  assert.is(code, 130, err.slice(-500));
  assert.not.ok(existsSync(out));
});

test.run();
