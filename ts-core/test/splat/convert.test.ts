/**
 * Direct conversion: Gaussians lie on the surfaces, flat along the normal, coloured by the material, spread by
 * area, exactly the budget, seeded; per-object conversion carries each object's transform (hybrid scenes); and a
 * converted Cornell box looks like the ray-traced albedo render of the same view.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { mapColour, toDisplayValue } from '../../src/image/float-image.js';
import { renderSplats } from '../../src/native/splat.js';
import { renderView } from '../../src/render/render-view.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial } from '../../src/scene/types.js';
import { defaultView } from '../../src/scene/view.js';
import { splatCamera } from '../../src/native/splat-camera.js';
import { convertObjects, convertScene, placeObjects } from '../../src/splat/convert.js';
import { dcToRgb, sigmoid } from '../../src/scene/gaussians.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { decodeSceneTextures } from '../../src/io/textures.js';
import { sharedScenes } from '../helpers.js';

/** Two unit quads (z = 0, facing +z): one red at the origin, one blue moved, rotated 90 degrees about y and scaled 2x. */
function twoQuads() {
  const scene = createScene('quads');
  const quad = {
    positions: Float32Array.of(0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0),
    indices: Uint32Array.of(0, 1, 2, 0, 2, 3),
  };
  const red = addMaterial(scene, { ...defaultMaterial('red'), baseColorFactor: [0.8, 0.1, 0.1, 1] });
  const blue = addMaterial(scene, { ...defaultMaterial('blue'), baseColorFactor: [0.1, 0.2, 0.9, 1] });
  const m0 = addMesh(scene, 'a', [{ ...quad, material: red }]);
  const m1 = addMesh(scene, 'b', [{ ...quad, material: blue }]);
  addNode(scene, { name: 'red', mesh: m0 });
  addNode(scene, {
    name: 'blue',
    mesh: m1,
    translation: [5, 0, 0],
    rotation: [0, Math.SQRT1_2, 0, Math.SQRT1_2],
    scale: [2, 2, 2],
  });
  return scene;
}

test('Gaussians lie on the surface, flat along the normal, material-coloured, split by area, exactly the budget', () => {
  const scene = twoQuads();
  const objs = convertObjects(scene, { budget: 1000, seed: 3 });
  assert.is(objs.length, 2);
  assert.is(objs[0].model.count + objs[1].model.count, 1000);
  // The blue quad has 4x the world area: it gets 4/5 of the budget.
  assert.is(objs[1].model.count, 800);
  for (const o of objs) {
    const m = o.model;
    assert.ok(m.objectId!.every((id) => id === o.node));
    for (let i = 0; i < m.count; i++) {
      // Node space: the quad is z = 0, 0 <= x, y <= 1; the thin axis (z of each Gaussian) is the normal.
      assert.ok(Math.abs(m.means[3 * i + 2]) < 1e-6 && m.means[3 * i] >= -1e-6 && m.means[3 * i] <= 1 + 1e-6);
      const [w, x, y, z] = Array.from(m.quats.subarray(4 * i, 4 * i + 4));
      const nz = 1 - 2 * (x * x + y * y); // the rotated local z's z component
      assert.ok(Math.abs(Math.abs(nz) - 1) < 1e-5, `Gaussian ${i} is not facing the normal (w=${w}, z=${z})`);
      assert.ok(
        m.logScales[3 * i + 2] < Math.min(m.logScales[3 * i], m.logScales[3 * i + 1]) - 2,
        'thin along the normal',
      );
      assert.ok(sigmoid(m.opacity[i]) > 0.9);
    }
    // Colours are display values (scene/gaussians.ts): the material's linear colour through the display curve.
    const want = o.name === 'red' ? [0.8, 0.1, 0.1] : [0.1, 0.2, 0.9];
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(dcToRgb(m.sh[c]) - toDisplayValue(want[c], 0)) < 1e-6);
  }
  // The exposure the colours are displayed at: a stop brighter is the same colour through the curve at 2x.
  const brighter = convertObjects(scene, { budget: 1000, seed: 3, exposure: 1 });
  for (const o of brighter) {
    const want = o.name === 'red' ? [0.8, 0.1, 0.1] : [0.1, 0.2, 0.9];
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(dcToRgb(o.model.sh[c]) - toDisplayValue(2 * want[c], 0)) < 1e-6);
  }
  // Placement applies each object's transform: the blue quad's Gaussians land in x = 5, z in [-2, 0], y in [0, 2].
  const world = placeObjects(objs);
  for (let i = 200; i < world.count; i++) {
    assert.ok(
      Math.abs(world.means[3 * i] - 5) < 1e-5 &&
        world.means[3 * i + 2] <= 1e-5 &&
        world.means[3 * i + 2] >= -2 - 1e-5 &&
        world.means[3 * i + 1] <= 2 + 1e-5,
      `Gaussian ${i} misplaced`,
    );
    assert.ok(
      Math.abs(world.logScales[3 * i] - (objs[1].model.logScales[3 * (i - 200)] + Math.log(2))) < 1e-5,
      'scale follows the node',
    );
  }
  // Per-object selection (the router's hybrid split) converts only the chosen node.
  const only = convertObjects(scene, { budget: 300, nodes: [1] });
  assert.is(only.length, 1);
  assert.is(only[0].model.count, 300);
  assert.equal(
    convertScene(scene, { budget: 500, seed: 3 }).means,
    convertScene(scene, { budget: 500, seed: 3 }).means,
    'seeded',
  );
});

test('a converted Cornell box matches the ray-traced albedo render of the same view', async () => {
  const scene = cornellBox({ scale: 1 });
  // The albedo render shows base colours only; the conversion would add the lamp's emission.
  for (const m of scene.materials) m.emissiveFactor = [0, 0, 0];
  const view = { ...defaultView(scene, 96) };
  const model = convertScene(scene, { budget: 60_000, seed: 1 });
  const splat = (await renderSplats(model, splatCamera(view), { backend: 'cpu' })).image;
  // Splats are display values; the albedo render is linear: shown through the same curve (exposure 0).
  const ref = mapColour(
    await renderView(scene, view, { mode: 'albedo', backend: 'cpu', background: [0, 0, 0, 1] }),
    (c) => toDisplayValue(c, 0),
  );
  // Colour fidelity away from open edges (where a footprint spills a pixel or two past the mesh border, e.g. the
  // box's open front), and a bound on how much of the picture differs at all. Where two walls meet, splats sort
  // by centre depth, so one wall can win a pixel column at the corner: that caps the interior PSNR near 24 dB.
  const W = ref.width,
    H = ref.height;
  const hit = (x: number, y: number) =>
    x < 0 ||
    y < 0 ||
    x >= W ||
    y >= H ||
    ref.data[4 * (y * W + x)] + ref.data[4 * (y * W + x) + 1] + ref.data[4 * (y * W + x) + 2] > 0;
  let e = 0,
    n = 0,
    off = 0;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      let d = 0;
      for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(splat.data[4 * i + c] - ref.data[4 * i + c]));
      if (d > 0.1) off++;
      let interior = true;
      for (let dy = -3; dy <= 3 && interior; dy++)
        for (let dx = -3; dx <= 3; dx++)
          if (!hit(x + dx, y + dy)) {
            interior = false;
            break;
          }
      if (!interior) continue;
      for (let c = 0; c < 3; c++) {
        e += (splat.data[4 * i + c] - ref.data[4 * i + c]) ** 2;
        n++;
      }
    }
  const psnr = 10 * Math.log10(1 / (e / n));
  assert.ok(psnr > 22, `conversion vs albedo render away from open edges: ${psnr.toFixed(2)} dB`);
  assert.ok(off < 0.08 * W * H, `${((100 * off) / (W * H)).toFixed(1)}% of pixels differ by more than 0.1`);
});

test('a real textured asset (Poly Haven ship, JPEG textures) converts with its texture colours', async () => {
  const entry = sharedScenes().find((s) => s.name === 'polyhaven_dutch_ship');
  assert.ok(entry, 'shared scene polyhaven_dutch_ship is missing');
  const { scene } = await importGltf(entry!.path);
  const { textures, undecoded } = await decodeSceneTextures(scene);
  assert.equal(undecoded, [], 'every JPEG texture decodes');
  const t0 = Date.now();
  const m = convertScene(scene, { budget: 50_000, textures, seed: 1 });
  const secs = (Date.now() - t0) / 1000;
  assert.is(m.count, 50_000);
  // Wood and sails, not the white of the colour factors: the mean is darker than white and colours vary.
  let mean = 0,
    sq = 0;
  for (let i = 0; i < m.count; i++) {
    const v = dcToRgb(m.sh[3 * i]);
    mean += v;
    sq += v * v;
  }
  mean /= m.count;
  const sd = Math.sqrt(sq / m.count - mean * mean);
  assert.ok(mean < 0.6 && sd > 0.05, `red channel mean ${mean.toFixed(3)}, sd ${sd.toFixed(3)}`);
  assert.ok(secs < 30, `conversion took ${secs} s`);
});

/** A unit quad (z = 0) cut by alpha testing to a disc of radius 0.3 about its centre (a leaf card). */
function leafCard() {
  const scene = createScene('leaf');
  const size = 64,
    data = new Uint8Array(4 * size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5,
        v = (y + 0.5) / size - 0.5;
      data.set([40, 160, 40, Math.hypot(u, v) < 0.3 ? 255 : 0], 4 * (y * size + x));
    }
  const leaf = addMaterial(scene, {
    ...defaultMaterial('leaf'),
    alphaMode: 'MASK',
    alphaCutoff: 0.5,
    doubleSided: true,
    baseColorTexture: { texture: 0, texCoord: 0 },
  });
  const mesh = addMesh(scene, 'card', [
    {
      positions: Float32Array.of(0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0),
      uv0: Float32Array.of(0, 0, 1, 0, 1, 1, 0, 1),
      indices: Uint32Array.of(0, 1, 2, 0, 2, 3),
      material: leaf,
    },
  ]);
  addNode(scene, { name: 'card', mesh });
  return { scene, textures: [{ width: size, height: size, data }] };
}

test('an alpha-tested card converts to its drawn part: the whole budget inside the cut-out, footprints that stay in it', () => {
  const { scene, textures } = leafCard();
  const m = convertScene(scene, { budget: 400, textures, seed: 5 });
  // Every Gaussian is placed on what is drawn (a draw that lands on a cut-out texel is drawn again).
  assert.is(m.count, 400);
  let spill = 0;
  for (let i = 0; i < m.count; i++) {
    const r = Math.hypot(m.means[3 * i] - 0.5, m.means[3 * i + 1] - 0.5);
    // (Alpha is filtered bilinearly, as a GPU samples it: the rim is sharp to about half a texel.)
    assert.ok(r < 0.3 + 0.5 / 64, `Gaussian ${i} at r = ${r}, in the cut-out part`);
    // Two standard deviations across the footprint's narrow side reach at most the rim (a texel's slack).
    const minor = Math.exp(Math.min(m.logScales[3 * i], m.logScales[3 * i + 1]));
    if (r + 2 * minor > 0.3 + 1 / 64) spill++;
  }
  // A round footprint of the disc's area per Gaussian (sigma ≈ 1.2 √(0.283 / 400 / π) ≈ 0.018) would spill past
  // the rim from the outer ring of Gaussians, a fifth of them; the fitted ones narrow across it.
  assert.ok(spill < 0.02 * m.count, `${spill} of ${m.count} footprints reach past the rim`);
  // Near the rim, footprints are elongated along it: the narrow side across (radial), the wide side tangential.
  let rimAligned = 0,
    rim = 0;
  for (let i = 0; i < m.count; i++) {
    const dx = m.means[3 * i] - 0.5,
      dy = m.means[3 * i + 1] - 0.5,
      r = Math.hypot(dx, dy);
    const sx = m.logScales[3 * i],
      sy = m.logScales[3 * i + 1];
    if (r < 0.27 || Math.abs(sx - sy) < 0.1) continue;
    rim++;
    // The footprint's long axis: local x rotated by the quaternion, in the z = 0 plane.
    const [w, x, y, z] = Array.from(m.quats.subarray(4 * i, 4 * i + 4));
    const ax =
      sx > sy ? [1 - 2 * (y * y + z * z), 2 * (x * y + w * z)] : [2 * (x * y - w * z), 1 - 2 * (x * x + z * z)];
    if (Math.abs(ax[0] * dx + ax[1] * dy) / (r * Math.hypot(ax[0], ax[1])) < 0.5) rimAligned++;
  }
  assert.ok(rim > 20 && rimAligned > 0.8 * rim, `${rimAligned} of ${rim} rim footprints run along the rim`);
});

test('eyes spread Gaussians by how near they are seen: finer by the eye, coarser far off, by area without eyes', () => {
  // A strip 10 m long (x), 1 m wide, of ten 1 m quads (the weight is per triangle), seen from 1 m above its x = 0 end.
  const scene = createScene('strip');
  const positions: number[] = [],
    indices: number[] = [];
  for (let x = 0; x <= 10; x++) positions.push(x, 0, 0, x, 0, -1);
  for (let q = 0; q < 10; q++) indices.push(2 * q, 2 * q + 1, 2 * q + 2, 2 * q + 1, 2 * q + 3, 2 * q + 2);
  const mesh = addMesh(scene, 'strip', [
    {
      positions: Float32Array.from(positions),
      indices: Uint32Array.from(indices),
      material: addMaterial(scene, defaultMaterial('grey')),
    },
  ]);
  addNode(scene, { name: 'strip', mesh });
  const near = (m: { count: number; means: Float32Array }) => {
    let n = 0;
    for (let i = 0; i < m.count; i++) if (m.means[3 * i] < 1) n++;
    return n / m.count;
  };
  const plain = convertScene(scene, { budget: 2000, seed: 2 }),
    seen = convertScene(scene, { budget: 2000, seed: 2, eyes: [[0, 1, -0.5]] });
  assert.ok(Math.abs(near(plain) - 0.1) < 0.01, `by area: ${near(plain)} in the first metre`);
  assert.ok(near(seen) > 0.4, `by the eye: ${near(seen)} in the first metre`);
  assert.is(seen.count, 2000);
  // Finer there: the first metre's Gaussians are smaller than the last metre's.
  const meanScale = (m: typeof seen, lo: number, hi: number) => {
    let s = 0,
      n = 0;
    for (let i = 0; i < m.count; i++)
      if (m.means[3 * i] >= lo && m.means[3 * i] < hi) {
        s += Math.exp(Math.max(m.logScales[3 * i], m.logScales[3 * i + 1]));
        n++;
      }
    return s / n;
  };
  assert.ok(meanScale(seen, 0.2, 1) < 0.5 * meanScale(seen, 9, 9.8), 'near Gaussians smaller than far ones');
});

test.run();
