import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { bakeScene, type BakeResult } from '../../src/bake/bake.js';
import { uvTransformMatrix, type BakeTextureImage } from '../../src/native/transport-inputs.js';
import { renderPathtraced } from '../../src/render/pathtrace.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Scene } from '../../src/scene/types.js';
import { defaultView } from '../../src/scene/view.js';

/** n × n cells alternating colours a and b (sRGB bytes), 8 texels per cell. */
function checker(n: number, a: [number, number, number], b: [number, number, number]): BakeTextureImage {
  const size = 8 * n,
    data = new Uint8Array(4 * size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const c = ((x >> 3) + (y >> 3)) % 2 ? b : a;
      data.set([...c, 255], 4 * (y * size + x));
    }
  return { width: size, height: size, data };
}

/** Mean L (RGB) over every valid texel of every page: the bake's total colour, bleeding included. */
function meanL(r: BakeResult): [number, number, number] {
  const s = [0, 0, 0];
  let n = 0;
  r.pages.forEach((p, pg) => {
    for (let k = 0; k < p.width * p.height; k++) {
      if (!r.valid[pg][k]) continue;
      for (let c = 0; c < 3; c++) s[c] += p.data[4 * k + c];
      n++;
    }
  });
  return [s[0] / n, s[1] / n, s[2] / n];
}

const fastBake = { texelsPerMeter: 10, samples: 64, minSamples: 64, denoise: false, stitchSeams: false } as const;
const leftWall = (s: Scene) => s.materials.findIndex((m) => m.name === 'red');
const WALL_TEX = { texture: 0, texCoord: 0 };

test('base-colour texture: a red/green checker wall bleeds like a flat wall of its mean colour, unlike its factor alone', async () => {
  // Checker of pure red and pure green (sRGB 255 = linear 1), factor 0.8: mean albedo (0.4, 0.4, 0).
  const tex = [checker(4, [255, 0, 0], [0, 255, 0])];
  const textured = cornellBox();
  textured.textures.push({ name: 'checker', mimeType: 'image/png', image: new Uint8Array(0), width: 32, height: 32 });
  textured.materials[leftWall(textured)] = {
    ...textured.materials[leftWall(textured)],
    baseColorFactor: [0.8, 0.8, 0.8, 1],
    baseColorTexture: WALL_TEX,
  };
  const flat = cornellBox();
  flat.materials[leftWall(flat)] = { ...flat.materials[leftWall(flat)], baseColorFactor: [0.4, 0.4, 0, 1] };
  const a = meanL(await bakeScene(textured, { ...fastBake, textures: tex }));
  const b = meanL(await bakeScene(flat, fastBake));
  for (let c = 0; c < 3; c++)
    assert.ok(
      Math.abs(a[c] / b[c] - 1) < 0.04,
      `channel ${c}: textured ${a[c].toFixed(4)} vs flat mean ${b[c].toFixed(4)}`,
    );
  // Without the decoded texture the wall is the 0.8 grey factor: no yellow bleeding (blue is no longer starved).
  const untextured = await bakeScene(textured, fastBake);
  const u = meanL(untextured);
  const err = (x: number[], y: number[]) => Math.max(...x.map((v, c) => Math.abs(v / y[c] - 1)));
  assert.ok(
    err(u, a) > 0.08 && err(u, a) > 3 * err(a, b),
    `factor-only differs by ${err(u, a).toFixed(3)}, flat-mean by ${err(a, b).toFixed(3)}`,
  );
  assert.equal(untextured.untextured, ['materials[1].baseColorTexture: textures[0] was not decoded']);
});

test('KHR_texture_transform: a transform that maps the whole wall into one red cell bleeds red only', async () => {
  const tex = [checker(4, [255, 0, 0], [0, 255, 0])];
  const scene = cornellBox();
  scene.textures.push({ name: 'checker', mimeType: 'image/png', image: new Uint8Array(0), width: 32, height: 32 });
  // Scale 0.01 around offset (0.1, 0.1): every UV lands in cell (0, 0), red.
  scene.materials[leftWall(scene)] = {
    ...scene.materials[leftWall(scene)],
    baseColorFactor: [0.8, 0.8, 0.8, 1],
    baseColorTexture: { ...WALL_TEX, transform: { offset: [0.1, 0.1], rotation: 0, scale: [0.01, 0.01] } },
  };
  const red = meanL(await bakeScene(scene, { ...fastBake, textures: tex }));
  const flatRed = cornellBox();
  flatRed.materials[leftWall(flatRed)] = { ...flatRed.materials[leftWall(flatRed)], baseColorFactor: [0.8, 0, 0, 1] };
  const want = meanL(await bakeScene(flatRed, fastBake));
  for (let c = 0; c < 3; c++)
    assert.ok(Math.abs(red[c] / want[c] - 1) < 0.03, `channel ${c}: ${red[c].toFixed(4)} vs ${want[c].toFixed(4)}`);
  // The matrix follows the extension: T · R · S.
  const m = uvTransformMatrix({ offset: [0.5, 0.25], rotation: Math.PI / 2, scale: [2, 3] });
  const at = (u: number, v: number) => [m[0] * u + m[1] * v + m[2], m[3] * u + m[4] * v + m[5]];
  const p = at(1, 0);
  assert.ok(Math.abs(p[0] - 0.5) < 1e-9 && Math.abs(p[1] - -1.75) < 1e-9, `(1,0) -> ${p}`);
});

test('emissive texture: a half-black lamp gives half the light, in the bake and in the path-traced reference', async () => {
  const tex = [checker(2, [0, 0, 0], [255, 255, 255])];
  const lit = cornellBox();
  const half = cornellBox();
  const lamp = half.materials.findIndex((m) => m.name === 'light');
  half.textures.push({ name: 'mask', mimeType: 'image/png', image: new Uint8Array(0), width: 16, height: 16 });
  half.materials[lamp] = { ...half.materials[lamp], emissiveTexture: { texture: 0, texCoord: 0 } };
  const a = meanL(await bakeScene(lit, fastBake)),
    b = meanL(await bakeScene(half, { ...fastBake, textures: tex }));
  for (let c = 0; c < 3; c++)
    assert.ok(Math.abs(b[c] / a[c] - 0.5) < 0.03, `channel ${c}: ratio ${(b[c] / a[c]).toFixed(3)}`);
  const view = defaultView(lit, 24);
  const mean = (d: Float32Array) => {
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
    return s;
  };
  const ptA = await renderPathtraced(lit, view, { spp: 32 }),
    ptB = await renderPathtraced(half, view, { spp: 32, textures: tex });
  const r = mean(ptB.data) / mean(ptA.data);
  // The lamp itself is in view (half of it black now), so the image loses about half its light too.
  assert.ok(r > 0.4 && r < 0.6, `path-traced ratio ${r.toFixed(3)}`);
});

test('tangent frame: texels of a plane with known UV1 get +U1 and +V1 as tangent and bitangent, mirrored charts included', async () => {
  for (const flipV of [false, true]) {
    const scene = createScene('plane');
    const mat = addMaterial(scene, defaultMaterial('white'));
    // Floor quad, normal +y: UV1 u grows with x, v with z (or against it when flipped: a mirrored chart).
    const positions = Float32Array.from([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1]);
    const uv1 = Float32Array.from([0.1, 0.1, 0.1, 0.9, 0.9, 0.1, 0.9, 0.9].map((v, i) => (flipV && i % 2 ? 1 - v : v)));
    const prim = {
      positions,
      normals: Float32Array.from([0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]),
      uv1,
      indices: Uint32Array.from([0, 1, 2, 2, 1, 3]),
      material: mat,
    };
    addNode(scene, { name: 'floor', mesh: addMesh(scene, 'floor', [prim]) });
    scene.lights.push({
      name: 'sun',
      type: 'directional',
      color: [1, 1, 1],
      intensity: 1,
      innerConeAngle: 0,
      outerConeAngle: 0.7,
    });
    addNode(scene, { name: 'sun', light: 0, rotation: [-Math.SQRT1_2, 0, 0, Math.SQRT1_2] });
    const r = await bakeScene(scene, { texelsPerMeter: 16, samples: 1, minSamples: 1, denoise: false });
    assert.ok(r.atlas.objects[0].keptUv1, 'the authored UV1 is kept');
    let n = 0;
    r.valid.forEach((valid, pg) => {
      for (let k = 0; k < valid.length; k++) {
        if (!valid[k]) continue;
        const t = r.tangent[pg].subarray(3 * k, 3 * k + 3),
          b = r.bitangent[pg].subarray(3 * k, 3 * k + 3);
        assert.ok(Math.abs(t[0] - 1) < 1e-5 && Math.abs(t[1]) < 1e-5 && Math.abs(t[2]) < 1e-5, `tangent ${[...t]}`);
        assert.ok(
          Math.abs(b[2] - (flipV ? -1 : 1)) < 1e-5 && Math.abs(b[0]) < 1e-5 && Math.abs(b[1]) < 1e-5,
          `bitangent ${[...b]} (flipV ${flipV})`,
        );
        n++;
      }
      for (let k = 0; k < valid.length; k++) if (!valid[k]) assert.equal(r.tangent[pg][3 * k], 0);
    });
    assert.ok(n > 100, `${n} texels`);
  }
});

test('tangent frame on generated UV1: unit, orthogonal tangent and bitangent on every texel', async () => {
  const r = await bakeScene(cornellBox(), { texelsPerMeter: 8, samples: 1, minSamples: 1, denoise: false });
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  let n = 0;
  r.valid.forEach((valid, pg) => {
    for (let k = 0; k < valid.length; k++) {
      if (!valid[k]) continue;
      const t = r.tangent[pg].subarray(3 * k, 3 * k + 3),
        b = r.bitangent[pg].subarray(3 * k, 3 * k + 3);
      assert.ok(
        Math.abs(dot(t, t) - 1) < 1e-4 && Math.abs(dot(b, b) - 1) < 1e-4 && Math.abs(dot(t, b)) < 1e-4,
        `texel ${k}`,
      );
      n++;
    }
  });
  assert.ok(n > 1000, `${n} texels`);
});

test.run();
