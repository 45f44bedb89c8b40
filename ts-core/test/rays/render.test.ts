/**
 * The ray core's renderers: albedo, normals, depth and AO, determinism, cancellation, `ote render`, and every shared
 * scene from its default view.
 *
 * test-runner: alone (the cancel must take effect within a wall-clock bound; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATORS } from '../../../examples/generators/index.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { exportGltf } from '../../src/io/gltf-write.js';
import { decodePng } from '../../src/io/png.js';
import { renderView } from '../../src/render/render-view.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial } from '../../src/scene/types.js';
import { defaultView, lookAt, type View } from '../../src/scene/view.js';
import { oteBin, sharedScenes, tempDir } from '../helpers.js';

function coverage(data: Float32Array): number {
  let c = 0;
  for (let i = 3; i < data.length; i += 4) c += data[i];
  return c / (data.length / 4);
}

/** A red quad facing +z, seen head-on from z = 2. */
function redQuad() {
  const s = createScene('quad');
  const red = addMaterial(s, { ...defaultMaterial('red'), baseColorFactor: [0.8, 0.1, 0.05, 1] });
  const mesh = addMesh(s, 'quad', [
    {
      positions: Float32Array.of(-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0),
      indices: Uint32Array.of(0, 1, 2, 0, 2, 3),
      material: red,
    },
  ]);
  addNode(s, { mesh });
  const view: View = {
    cameraToWorld: lookAt([0, 0, 2], [0, 0, 0]),
    yfov: 0.5,
    width: 16,
    height: 16,
    znear: 0.01,
    zfar: 10,
  };
  return { scene: s, view };
}

test('albedo, normals and depth of a known quad', async () => {
  const { scene, view } = redQuad();
  const alb = await renderView(scene, view, { mode: 'albedo', backend: 'cpu' });
  const c = 4 * (8 * 16 + 8);
  assert.equal(
    Array.from(alb.data.slice(c, c + 4)).map((v) => +v.toFixed(5)),
    [0.8, 0.1, 0.05, 1],
  );
  assert.is(coverage(alb.data), 1, 'the quad fills a 0.5 rad view from 2 units away');
  const nrm = await renderView(scene, view, { mode: 'normals' });
  assert.equal(Array.from(nrm.data.slice(c, c + 3)), [0.5, 0.5, 1]);
  const depth = await renderView(scene, view, { mode: 'depth' });
  assert.ok(Math.abs(depth.data[c] - 2) < 1e-3, `depth ${depth.data[c]}`);
  // Looking away: nothing covered, background written.
  const away = await renderView(
    scene,
    { ...view, cameraToWorld: lookAt([0, 0, 2], [0, 0, 5]) },
    { mode: 'albedo', background: [0.1, 0.2, 0.3, 1] },
  );
  assert.equal(
    Array.from(away.data.slice(0, 4)).map((v) => +v.toFixed(5)),
    [0.1, 0.2, 0.3, 1],
  );
});

test('ambient occlusion darkens the inside corner of the Cornell box; shaded images are deterministic', async () => {
  const scene = GENERATORS.cornell(1);
  const view = defaultView(scene, 48);
  const ao = await renderView(scene, view, { mode: 'ao', aoSamples: 32, spp: 1 });
  // Mean AO of the bottom-left corner region (floor meets left wall) is below that of the back wall's centre.
  const mean = (x0: number, y0: number, w: number) => {
    let s = 0;
    for (let y = y0; y < y0 + w; y++) for (let x = x0; x < x0 + w; x++) s += ao.data[4 * (y * ao.width + x)];
    return s / (w * w);
  };
  const corner = mean(4, 40, 4),
    centre = mean(22, 20, 4);
  assert.ok(corner < centre - 0.05, `corner AO ${corner.toFixed(3)} vs centre ${centre.toFixed(3)}`);
  const a = await renderView(scene, view, { mode: 'shaded', spp: 2, seed: 5 });
  const b = await renderView(scene, view, { mode: 'shaded', spp: 2, seed: 5 });
  assert.equal(a.data, b.data, 'same seed, same image');
  assert.ok(
    a.data.every((v) => Number.isFinite(v) && v >= 0),
    'finite, non-negative radiance',
  );
});

test('cancellation rejects with CANCELLED', async () => {
  const scene = GENERATORS.atrium(1);
  const ctl = new AbortController();
  ctl.abort();
  await renderView(scene, defaultView(scene, 32), { signal: ctl.signal }).then(
    () => assert.unreachable('should reject'),
    (e) => assert.is(e.code, 'CANCELLED'),
  );
  const ctl2 = new AbortController();
  const p = renderView(scene, defaultView(scene, 1024), {
    mode: 'ao',
    aoSamples: 64,
    spp: 16,
    signal: ctl2.signal,
    backend: 'cpu',
  });
  setTimeout(() => ctl2.abort(), 50);
  const t0 = Date.now();
  await p.then(
    () => assert.unreachable('should reject'),
    (e) => assert.is(e.code, 'CANCELLED'),
  );
  assert.ok(Date.now() - t0 < 5000, 'cancel takes effect within a few tiles');
});

test('ote render: writes a PNG of the asked size with --eye/--target, and rejects bad flags', async () => {
  const dir = tempDir();
  const glb = join(dir, 'hero.glb'),
    png = join(dir, 'hero.png');
  await exportGltf(GENERATORS.hero(1), glb);
  const r = spawnSync(
    process.execPath,
    [
      oteBin,
      'render',
      glb,
      '--eye',
      '1.3,1.3,1.3',
      '--target',
      '0,0.7,0',
      '--width',
      '40',
      '--height',
      '30',
      '--mode',
      'normals',
      '-o',
      png,
    ],
    { encoding: 'utf8' },
  );
  assert.is(r.status, 0, r.stderr);
  const img = decodePng(readFileSync(png));
  assert.is(img.width, 40);
  assert.is(img.height, 30);
  let covered = 0;
  for (let i = 3; i < img.data.length; i += 4) covered += img.data[i] > 0 ? 1 : 0;
  assert.ok(covered > 300, `only ${covered} pixels covered`);
  const bad = spawnSync(process.execPath, [oteBin, 'render', glb, '--mode', 'wireframe', '-o', png], {
    encoding: 'utf8',
  });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--mode must be one of/);
  const badCam = spawnSync(process.execPath, [oteBin, 'render', glb, '--camera', '3', '-o', png], { encoding: 'utf8' });
  assert.is(badCam.status, 2);
  assert.match(badCam.stderr, /--camera 3/);
});

test('every shared scene renders from its default view and is not blank', async () => {
  for (const { name, path } of sharedScenes()) {
    const { scene } = await importGltf(path);
    const img = await renderView(scene, defaultView(scene, 40), { mode: 'albedo' });
    const cov = coverage(img.data);
    assert.ok(cov > 0.02, `${name}: coverage ${cov.toFixed(2)}`);
  }
});

test.run();
