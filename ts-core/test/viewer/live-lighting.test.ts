/**
 * The before view as a game would draw the input without baking (viewer/live-lighting.js) and what a frame costs
 * (viewer/frame-stats.js), run in Node on three.js's scene graph: the browser-only part is the drawing itself,
 * which view.test.ts and bench:viewer cover in Chromium.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';

const mod = (f: string) => import(pathToFileURL(join(repoRoot, 'viewer', f)).href);
const renderer = () => ({ shadowMap: { enabled: false, type: -1 } });

async function room() {
  const three = await import('three');
  const root = new three.Group();
  const floor = new three.Mesh(new three.BoxGeometry(10, 0.1, 10), new three.MeshStandardMaterial());
  root.add(floor);
  return { three, root, floor };
}

test("a scene's own lights cast shadow maps fitted to it; every mesh casts and receives", async () => {
  const { liveLighting } = await mod('live-lighting.js');
  const { three, root, floor } = await room();
  const bulb = new three.PointLight(0xffffff, 10);
  bulb.position.set(0, 3, 0);
  root.add(bulb);
  const r = renderer(),
    group = new three.Group();
  const live = liveLighting(r, group, root, { sky: { zenith: [1, 1, 1], ground: [0, 0, 0] } });
  assert.equal(live, { environment: false, shadows: 1 }, 'the scene has a light: the sky and sun are not added');
  assert.ok(r.shadowMap.enabled);
  assert.ok(floor.castShadow && floor.receiveShadow && bulb.castShadow);
  assert.is(bulb.shadow.mapSize.x, 512);
  // The shadow camera reaches past the far side of the scene (radius ~7.1 from its centre, 3 above it).
  assert.ok(bulb.shadow.camera.far > 7.1 + 2.9 && bulb.shadow.camera.near < 0.01, `${bulb.shadow.camera.far}`);
  assert.is(group.children.length, 0);
});

test("without lights of its own the scene gets the run's sky and sun, the sun from where the report says", async () => {
  const { liveLighting } = await mod('live-lighting.js');
  const { three, root } = await room();
  const group = new three.Group();
  const live = liveLighting(renderer(), group, root, {
    sky: { zenith: [0.2, 0.3, 0.6], ground: [0.1, 0.1, 0.1] },
    sun: { direction: [0, -1, 0], color: [5, 4.75, 4.4] },
  });
  assert.equal(live, { environment: true, shadows: 1 });
  const sun = group.children.find((o) => (o as { isDirectionalLight?: boolean }).isDirectionalLight) as InstanceType<
    typeof three.DirectionalLight
  >;
  assert.ok(sun, 'a directional sun');
  assert.ok(Math.abs(sun.intensity - 5) < 1e-9 && sun.castShadow && sun.shadow.mapSize.x === 2048);
  // The light travels down: it sits above the scene's centre and looks at it.
  assert.ok(sun.position.y > 5 && Math.abs(sun.position.x) < 1e-9 && sun.target.position.y === 0);
  assert.ok(group.children.some((o) => (o as { isHemisphereLight?: boolean }).isHemisphereLight));
  assert.equal(liveLighting(renderer(), new three.Group(), (await room()).root, undefined), {
    environment: false,
    shadows: 0,
  });
});

test('GPU memory is counted once per buffer and texture; shadow maps by their size; a gain line says which way', async () => {
  const { gpuBytes, compareFrameTimes } = await mod('frame-stats.js');
  const { three, root, floor } = await room();
  const twin = new three.Mesh(floor.geometry, floor.material);
  root.add(twin);
  const geometryBytes =
    Object.values(floor.geometry.attributes).reduce((s, a) => s + (a as { array: Float32Array }).array.byteLength, 0) +
    floor.geometry.index!.array.byteLength;
  const light = new three.SpotLight();
  light.castShadow = true;
  light.shadow.mapSize.set(512, 512);
  root.add(light);
  const b = gpuBytes(root);
  assert.is(b.geometry, geometryBytes, 'a shared geometry is counted once');
  assert.is(b.shadowMaps, 512 * 512 * 8);
  const stats = (ms: number) => ({ ms: [ms, ms, ms], calls: 3, triangles: 12, bytes: b });
  let mode = 'after';
  const line = await compareFrameTimes(
    async (m: string) => {
      mode = m;
    },
    async () => stats(mode === 'after' ? 5 : 20),
  );
  assert.is(line, 'renders 4.0× faster here: 5.0 ms a frame against 20.0 ms lit live (3 draw calls against 3)');
  assert.match(
    await compareFrameTimes(
      async (m: string) => {
        mode = m;
      },
      async () => stats(mode === 'after' ? 20 : 5),
    ),
    /^renders no faster here/,
  );
});

test.run();
