/**
 * A result reused from the cache is reported as the run that reused it: report.json and report.html name the input
 * path given now (so `ote view` finds the input for its before view), with this run's time and every stage marked
 * cached, while the cache entry itself stays as the first run wrote it. `--self-contained` on a hit puts the viewer
 * into this run's report.html only. The scene is one lit quad, so that the first (real) run takes seconds.
 *
 * test-runner: alone (a whole optimize run uses both cores; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Document } from '@gltf-transform/core';
import { KHRLightsPunctual } from '@gltf-transform/extensions';
import { gltfIO } from '../../src/io/gltf-io.js';
import { resolveViewTarget } from '../../src/viewer/target.js';
import { oteBin, tempDir } from '../helpers.js';

const dir = tempDir();
const cacheDir = join(dir, 'cache');
const env = { ...process.env, OTE_CACHE_DIR: cacheDir };
const ote = (...args: string[]) =>
  spawnSync(process.execPath, [oteBin, ...args], { encoding: 'utf8', cwd: dir, env, timeout: 300_000 });
const optimize = (input: string, out: string, ...extra: string[]) => {
  const r = ote('optimize', input, '-o', out, '--profile', 'realtime', '--no-verify', '--json', ...extra);
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { cached: boolean };
};
const readReport = (out: string) => JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8'));

/** A 2 m grey floor under a point light. */
async function writeQuad(file: string) {
  const doc = new Document();
  const buf = doc.createBuffer();
  const acc = (type: 'VEC3' | 'SCALAR', a: Float32Array | Uint16Array) =>
    doc.createAccessor().setType(type).setArray(a).setBuffer(buf);
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', acc('VEC3', new Float32Array([-1, 0, -1, 1, 0, -1, 1, 0, 1, -1, 0, 1])))
    .setAttribute('NORMAL', acc('VEC3', new Float32Array([0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0])))
    .setIndices(acc('SCALAR', new Uint16Array([0, 2, 1, 0, 3, 2])))
    .setMaterial(doc.createMaterial('grey').setBaseColorFactor([0.7, 0.7, 0.7, 1]).setMetallicFactor(0));
  const light = doc.createExtension(KHRLightsPunctual).createLight('lamp').setType('point').setIntensity(5);
  doc
    .createScene('quad')
    .addChild(doc.createNode('floor').setMesh(doc.createMesh('floor').addPrimitive(prim)))
    .addChild(doc.createNode('lamp').setTranslation([0, 1, 0]).setExtension('KHR_lights_punctual', light));
  await (await gltfIO()).write(file, doc);
}

/** Every report.json inside the cache folder. */
function cachedReports(): string[] {
  return (readdirSync(cacheDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('report.json'))
    .map((f) => join(cacheDir, f));
}

test("a cache hit's report names this run's input; the cache entry keeps the first run's", async () => {
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  await writeQuad(join(dir, 'a', 'quad.glb'));
  copyFileSync(join(dir, 'a', 'quad.glb'), join(dir, 'b', 'copy.glb'));

  assert.is(optimize(join('a', 'quad.glb'), 'out-a').cached, false);
  const first = readReport('out-a');
  assert.is(first.input.file, join('a', 'quad.glb'));

  assert.is(optimize(join('b', 'copy.glb'), 'out-b').cached, true);
  const second = readReport('out-b');
  assert.is(second.input.file, join('b', 'copy.glb'));
  assert.is(second.input.hash, first.input.hash);
  assert.ok(second.createdAt > first.createdAt, `createdAt ${second.createdAt} is this run's`);
  assert.ok(
    second.timings.every((t: { cached: boolean }) => t.cached),
    'every stage is marked cached',
  );
  assert.equal(second.plan, first.plan);
  const html = readFileSync(join(dir, 'out-b', 'report.html'), 'utf8');
  assert.match(html, /<code>b\/copy\.glb<\/code>/);
  assert.not.match(html, /a\/quad\.glb/);

  // The first output and the cache entry are as the first run wrote them.
  assert.is(readReport('out-a').input.file, join('a', 'quad.glb'));
  const entries = cachedReports();
  assert.is(entries.length, 1);
  assert.is(JSON.parse(readFileSync(entries[0], 'utf8')).input.file, join('a', 'quad.glb'));

  // ote view finds this run's input for the before view, even with the first one gone.
  rmSync(join(dir, 'a', 'quad.glb'));
  const target = resolveViewTarget(join(dir, 'out-b'));
  assert.is(target.inputMissing, undefined);
  assert.is(target.input?.path, join(dir, 'b', 'copy.glb'));
});

test('--self-contained on a cache hit embeds the viewer in this report.html only; the cache keeps the plain one', () => {
  assert.is(optimize(join('b', 'copy.glb'), 'out-c', '--self-contained').cached, true);
  const html = readFileSync(join(dir, 'out-c', 'report.html'), 'utf8');
  assert.match(html, /<iframe class="viewer"[^>]* srcdoc="<!doctype html>/i);
  assert.not.match(html, /ote view &lt;the folder of this report&gt;/);
  const [entry] = cachedReports();
  const plain = readFileSync(join(entry, '..', 'report.html'), 'utf8');
  assert.not.match(plain, /<iframe/);
  assert.match(plain, /ote view &lt;the folder of this report&gt;/);
  assert.not.match(readFileSync(join(dir, 'out-b', 'report.html'), 'utf8'), /<iframe/);
});

test.run();
