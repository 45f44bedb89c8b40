/**
 * `ote view` without a browser: what the server refuses (paths out of the served folder, other packages' files,
 * links out, foreign Host headers), what the report must hold, the report's cameras, and the browser modules'
 * pure parts (our tone curve against image/float-image.ts, the MOZ_lightmap field checks, the three.js shader
 * anchors the plugin patches). view.test.ts runs the page itself in Chromium.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toRgba8 } from '../../src/image/float-image.js';
import { isOteError } from '../../src/errors.js';
import { reportCamera } from '../../src/report/cameras.js';
import { renderReportHtml } from '../../src/report/html.js';
import { lookAt, type View } from '../../src/scene/view.js';
import { findMount, resolveInMount } from '../../src/viewer/mounts.js';
import { checkViewerReport } from '../../src/viewer/report-fields.js';
import { startViewerServer } from '../../src/viewer/server.js';
import { resolveViewTarget } from '../../src/viewer/target.js';
import { repoRoot, tempDir } from '../helpers.js';
import { minimalReport } from '../report/fixtures.js';

const dir = tempDir();
const out = join(dir, 'out');
mkdirSync(out);
writeFileSync(join(out, 'scene.glb'), 'glb');
writeFileSync(join(dir, 'secret.txt'), 'secret');
symlinkSync(join(dir, 'secret.txt'), join(out, 'link-out.txt'));
const camera = { eye: [0, 1, 3], target: [0, 1, 0], up: [0, 1, 0], yfovDeg: 50, aspect: 1.5, znear: 0.01 };
const report = {
  input: { file: 'in.glb' },
  outputs: { scene: 'scene.glb', lightmaps: [], splats: [] },
  views: { exposure: 1.5, used: 1, cameras: [camera] },
  plan: { decisions: [{ name: 'floor', route: 'bake' }] },
  lighting: { removedLights: ['lamp'], keptLights: [] },
};
writeFileSync(join(out, 'report.json'), JSON.stringify(report));
writeFileSync(join(dir, 'in.glb'), 'input');

/** GET `path` sent as is (no URL normalisation), with an optional Host header. */
function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('the server serves the view and refuses traversal, links out, other packages and foreign hosts', async () => {
  const target = resolveViewTarget(out, { input: join(dir, 'in.glb') });
  const server = await startViewerServer({ target, title: 'out', port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const p = server.port;
    const page = await get(p, '/');
    assert.is(page.status, 200);
    assert.match(page.body, /type="importmap"/);
    const manifest = JSON.parse((await get(p, '/viewer.json')).body);
    assert.is(manifest.scene.url, '/files/scene.glb');
    assert.is(manifest.exposure, 1.5);
    assert.is(manifest.used, 0);
    assert.equal(manifest.cameras, [camera]);
    assert.is(manifest.input.url, '/input/in.glb');
    assert.not.match(JSON.stringify(manifest), new RegExp(dir), 'no path on disk reaches the page');
    assert.is((await get(p, '/files/scene.glb')).body, 'glb');
    assert.is((await get(p, '/input/in.glb')).body, 'input');
    assert.is((await get(p, '/modules/three/build/three.module.js')).status, 200);
    assert.is((await get(p, '/modules/@sparkjsdev/spark/dist/spark.module.js')).status, 200);
    assert.is((await get(p, '/viewer/moz-lightmap.js')).status, 200);
    for (const [path, status] of [
      ['/files/../secret.txt', 403],
      ['/files/%2e%2e/secret.txt', 403],
      ['/files/%2E%2E%2Fsecret.txt', 403],
      ['/files/..%5csecret.txt', 400],
      ['/files/%00', 400],
      ['/files/%zz', 400],
      ['/files/link-out.txt', 403],
      ['/files/nothing.glb', 404],
      ['/input/../out/scene.glb', 403],
      ['/input/secret.txt', 403], // beside the input, but not the input
      ['/modules/three/package.json', 403],
      ['/modules/three/src/Three.js', 403],
      ['/modules/uvu/package.json', 404],
      ['/viewer/../package.json', 403],
      ['/etc/passwd', 404],
    ] as const)
      assert.is((await get(p, path)).status, status, path);
    assert.is((await get(p, '/viewer.json', 'evil.example:80')).status, 421, 'DNS rebinding');
    assert.is((await get(p, '/viewer.json', `localhost:${p}`)).status, 200);
  } finally {
    await server.close();
  }
});

test('a single file is served alone; a .gltf brings only the files it references inside its folder', () => {
  const g = join(dir, 'g');
  mkdirSync(g);
  writeFileSync(
    join(g, 'a.gltf'),
    JSON.stringify({
      buffers: [{ uri: 'a.bin' }, { uri: '../secret.txt' }],
      images: [{ uri: 'data:image/png;base64,' }],
    }),
  );
  const t = resolveViewTarget(join(g, 'a.gltf'));
  assert.is(t.kind, 'file');
  assert.equal(t.rootFiles, [join(g, 'a.gltf'), join(g, 'a.bin')]);
  assert.match(t.warnings.join('\n'), /buffers\[1\]\.uri: "\.\.\/secret\.txt" is outside the file's folder/);
  const mount = { prefix: '/files/', root: g, files: new Set([join(g, 'a.gltf')]) };
  writeFileSync(join(g, 'other.bin'), 'x');
  assert.is((resolveInMount(mount, 'other.bin') as { status: number }).status, 403);
  assert.is(resolveInMount(mount, 'a.gltf').ok, true);
  assert.is(findMount([mount, { prefix: '/files/x/', root: g }], '/files/x/y')!.rest, 'y', 'longest prefix wins');
});

test('bad input names the path: missing, a folder without scene.glb, an unknown extension, a bad report field', () => {
  const fails = (f: () => unknown, re: RegExp) => {
    try {
      f();
    } catch (e) {
      assert.ok(isOteError(e) && e.code === 'BAD_INPUT', String(e));
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable('no error');
  };
  fails(() => resolveViewTarget(join(dir, 'nope')), /nope: no such file or folder/);
  mkdirSync(join(dir, 'empty'));
  fails(() => resolveViewTarget(join(dir, 'empty')), /empty: no scene\.glb in this folder/);
  fails(() => resolveViewTarget(join(dir, 'secret.txt')), /secret\.txt: cannot view a \.txt/);
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'scene.glb'), 'glb');
  writeFileSync(join(bad, 'report.json'), JSON.stringify({ ...report, views: { ...report.views, cameras: [{}] } }));
  fails(() => resolveViewTarget(bad), /bad\/report\.json: views\.cameras\[0\]\.eye: expected 3 finite numbers/);
  writeFileSync(join(bad, 'report.json'), '{');
  fails(() => resolveViewTarget(bad), /report\.json: not a readable JSON report/);
});

test('report fields: older reports without cameras are fine; each bad field is named', () => {
  const old = checkViewerReport({ ...report, views: { exposure: 2, used: 1 } });
  assert.ok(typeof old !== 'string' && old.cameras.length === 0 && old.used === undefined && old.exposure === 2);
  const cases: [unknown, string][] = [
    [{ ...report, input: {} }, 'input.file: expected a string'],
    [{ ...report, views: { ...report.views, exposure: 'x' } }, 'views.exposure: expected a number'],
    [
      { ...report, views: { ...report.views, used: 2 } },
      'views.used: expected an integer from 1 to 1 (the camera the images show)',
    ],
    [
      { ...report, views: { ...report.views, cameras: [{ ...camera, yfovDeg: 180 }] } },
      'views.cameras[0].yfovDeg: expected degrees in (0, 180)',
    ],
    [
      { ...report, views: { ...report.views, cameras: [{ ...camera, target: camera.eye }] } },
      'views.cameras[0].target: the same point as eye',
    ],
    [{ ...report, plan: { decisions: [{ name: 1 }] } }, 'plan.decisions[0]: expected an object with name and route'],
    [{ ...report, outputs: { splats: [1] } }, 'outputs.splats: expected a list of file names'],
  ];
  for (const [json, message] of cases) assert.is(checkViewerReport(json), message);
});

test("report fields: the run's sky and sun reach the before view; a bad one is named", () => {
  const lighting = (light: unknown) => ({
    ...report,
    lighting: { source: 'default', removedLights: [], keptLights: [], environment: { sky: 'gradient', light } },
  });
  const sky = { type: 'gradient', zenith: [0.2, 0.3, 0.6], horizon: [0.6, 0.7, 0.7], ground: [0.2, 0.1, 0.1] };
  const sun = { direction: [0, -1, 0], color: [5, 4.75, 4.4] };
  const r = checkViewerReport(lighting({ sky, sun }));
  assert.ok(typeof r !== 'string', String(r));
  assert.equal(r.environment, { sky: { zenith: sky.zenith, ground: sky.ground }, sun });
  const none = checkViewerReport(lighting({ sky: { type: 'none' } }));
  assert.ok(typeof none !== 'string' && none.environment?.sun === undefined);
  assert.is(
    checkViewerReport(lighting({ sky, sun: { direction: [0, -1] } })),
    'lighting.environment.light.sun: expected direction and color as 3 finite numbers each',
  );
  assert.match(String(checkViewerReport(lighting({ sky: { type: 'hdri' } }))), /^lighting\.environment\.light\.sky: /);
  // A scene lit by itself has no environment.
  const own = checkViewerReport(report);
  assert.ok(typeof own !== 'string' && own.environment === undefined);
});

test("the report's camera is the planned view: eye, line of sight, up, vertical fov, aspect", () => {
  const eye: [number, number, number] = [1, 2, 5],
    target: [number, number, number] = [0, 1, 0];
  const view: View = {
    cameraToWorld: lookAt(eye, target),
    yfov: Math.PI / 4,
    width: 640,
    height: 360,
    znear: 0.01,
    zfar: Infinity,
  };
  const c = reportCamera(view, { min: [-1, 0, -1], max: [1, 2, 1] });
  assert.equal(c.eye, eye);
  assert.is(c.yfovDeg, 45);
  assert.is(Math.round(c.aspect * 1000) / 1000, 1.778);
  // The target lies on the line of sight, as deep as the bounds' centre (0, 1, 0) is along it: the target itself.
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(c.target[k] - target[k]) < 1e-5, `target[${k}]`);
  const again = lookAt(c.eye, c.target, c.up);
  for (let k = 0; k < 16; k++) assert.ok(Math.abs(again[k] - view.cameraToWorld[k]) < 1e-5, `matrix[${k}]`);
});

test('report.html points at the viewer', () => {
  const html = renderReportHtml(minimalReport, {});
  assert.match(html, /<code>ote view &lt;the folder of this report&gt;<\/code>/);
});

test('browser modules: our tone curve is toRgba8 ACES; the plugin checks MOZ_lightmap; its shader anchors exist', async () => {
  const mod = (f: string) => import(pathToFileURL(join(repoRoot, 'viewer', f)).href);
  const tone = await mod('tone-mapping.js');
  for (const [v, ev] of [
    [0.001, 0],
    [0.18, 0],
    [0.5, 1.5],
    [3, -1],
    [40, 0],
  ]) {
    const img = { width: 1, height: 1, data: Float32Array.from([v, v, v, 1]) };
    const expected = toRgba8(img, { exposure: ev, toneMap: 'aces' })[0];
    assert.is(Math.round(tone.oteDisplayValue(v, ev) * 255), expected, `value ${v} at ${ev} EV`);
  }
  const three = await import('three');
  tone.installOteToneMapping();
  tone.installOteToneMapping();
  assert.ok(three.ShaderChunk.tonemapping_pars_fragment.includes(tone.OTE_ACES_GLSL));
  assert.is(three.ShaderChunk.tonemapping_pars_fragment.split('vec3 CustomToneMapping').length, 2, 'one definition');
  const physical = three.ShaderLib.physical.fragmentShader;
  for (const anchor of ['#include <lights_fragment_begin>', '#include <lights_fragment_maps>'])
    assert.ok(physical.includes(anchor), `three.js MeshStandardMaterial shader has ${anchor}`);
  const lm = await mod('moz-lightmap.js');
  const json = (ext: unknown) => ({
    textures: [{ source: 0 }],
    materials: [{}, { extensions: { MOZ_lightmap: ext } }],
  });
  assert.equal(lm.readMozLightmap(json({ index: 0, intensity: 4.1 }), 1), { index: 0, texCoord: 1, intensity: 4.1 });
  assert.is(lm.readMozLightmap(json({ index: 0 }), 0), undefined);
  assert.throws(
    () => lm.readMozLightmap(json({ index: 3 }), 1),
    /materials\[1\]\.extensions\.MOZ_lightmap\.index: expected a texture index below 1, got 3/,
  );
  assert.throws(
    () => lm.readMozLightmap(json({ index: 0, intensity: -1 }), 1),
    /MOZ_lightmap\.intensity: expected a number >= 0/,
  );
});

test.run();
