import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshBuilder } from '../../../examples/generators/shapes.js';
import { bakeScene } from '../../src/bake/bake.js';
import type { BakeTextureImage, Sky } from '../../src/native/transport-inputs.js';
import type { FloatImage } from '../../src/image/float-image.js';
import { renderLightmapped } from '../../src/render/lightmapped.js';
import { renderPathtraced } from '../../src/render/pathtrace.js';
import { renderView } from '../../src/render/render-view.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Material, type Scene } from '../../src/scene/types.js';
import { frontView } from './front-view.js';

// One rule for what a camera sees, in every renderer: back faces of single-sided materials are not there, alpha
// cut-outs are not there, double-sided back faces are. Four 0.8 m quads in a row at z = 0, seen from z = 5:
//   A single-sided, facing away (its back is culled)     B single-sided, facing the camera
//   C double-sided, facing away (seen)                   D alpha MASK: a texture cuts its left half out
const W = 128,
  H = 64,
  TH = 0.25; // tan(yfov / 2); aspect 2: x in [-2.5, 2.5] at z = 0
const { view, pixelOf } = frontView(W, H, TH);
// 4 x 1 texels: alpha 0, 0, 255, 255 (sampled with repeat: u < 0.5 is cut out, u > 0.5 is there).
const alphaTexture: BakeTextureImage = {
  width: 4,
  height: 1,
  data: Uint8Array.from([200, 200, 200, 0, 200, 200, 200, 0, 200, 200, 200, 255, 200, 200, 200, 255]),
};

function cullingScene(): Scene {
  const s = createScene('culling');
  s.textures.push({ name: 'alpha', mimeType: 'image/png', image: new Uint8Array(0), width: 4, height: 1 });
  const base: Material = { ...defaultMaterial('single'), metallicFactor: 0, baseColorFactor: [0.8, 0.8, 0.8, 1] };
  const single = addMaterial(s, base);
  const double = addMaterial(s, { ...base, name: 'double', doubleSided: true });
  const masked = addMaterial(s, {
    ...base,
    name: 'masked',
    alphaMode: 'MASK',
    alphaCutoff: 0.5,
    baseColorTexture: { texture: 0, texCoord: 0 },
  });
  const quad = (name: string, x: number, facing: 1 | -1, material: number) => {
    const b = new MeshBuilder();
    // Normal = u × v: +z with u = +x, -z with u = -x (UV0 s then runs right to left).
    b.quad(facing > 0 ? [x - 0.4, -0.4, 0] : [x + 0.4, -0.4, 0], [0.8 * facing, 0, 0], [0, 0.8, 0]);
    addNode(s, { name, mesh: addMesh(s, name, [b.build(material)]) });
  };
  quad('A', -1.5, -1, single);
  quad('B', -0.5, 1, single);
  quad('C', 0.5, -1, double);
  quad('D', 1.5, 1, masked);
  return s;
}

/** Where each renderer must (1) or must not (0) see a surface, sampled well inside each region. */
const PROBES: { name: string; x: number; y: number; covered: 0 | 1 }[] = [
  { name: 'A (single-sided, from behind)', x: -1.5, y: 0, covered: 0 },
  { name: 'B (single-sided, from the front)', x: -0.5, y: 0, covered: 1 },
  { name: 'C (double-sided, from behind)', x: 0.5, y: 0, covered: 1 },
  { name: 'D left (alpha 0)', x: 1.25, y: 0.1, covered: 0 },
  { name: 'D right (alpha 1)', x: 1.75, y: -0.1, covered: 1 },
];

function checkCoverage(label: string, img: FloatImage) {
  for (const p of PROBES) {
    const [px, py] = pixelOf(p.x, p.y);
    const a = img.data[4 * (py * W + px) + 3];
    assert.ok(
      p.covered ? a > 0.99 : a < 0.01,
      `${label}: ${p.name} at pixel ${px},${py} has coverage ${a.toFixed(3)}, expected ${p.covered}`,
    );
  }
}

const coverageMask = (img: FloatImage) =>
  Uint8Array.from({ length: W * H }, (_, i) => (img.data[4 * i + 3] > 0.5 ? 1 : 0));

test('every renderer sees the same surfaces: single-sided back faces and alpha cut-outs are skipped, double-sided back faces are not', async () => {
  const scene = cullingScene();
  const textures = [alphaTexture];
  const sky: Sky = { type: 'constant', color: [1, 1, 1] };
  const albedo = await renderView(scene, view, { mode: 'albedo', textures, backend: 'cpu' });
  const depth = await renderView(scene, view, { mode: 'depth', textures, backend: 'cpu' });
  const shaded = await renderView(scene, view, { mode: 'shaded', textures, backend: 'cpu' });
  const traced = await renderPathtraced(scene, view, { textures, sky, spp: 4, bounces: 1 });
  const baked = await bakeScene(scene, {
    textures,
    sky,
    texelsPerMeter: 16,
    samples: 16,
    minSamples: 16,
    bounces: 1,
    denoise: false,
    stitchSeams: false,
    backend: 'cpu',
  });
  const lightmapped = await renderLightmapped(baked.scene, baked.layout, baked.pages, view, { textures, spp: 4 });
  const all: [string, FloatImage][] = [
    ['albedo', albedo],
    ['depth', depth],
    ['shaded', shaded],
    ['pathtrace', traced],
    ['lightmapped', lightmapped],
  ];
  for (const [label, img] of all) checkCoverage(label, img);
  // Depth is the view-axis distance of what is seen: 5 on B and C, nothing through D's cut-out half.
  for (const x of [-0.5, 0.5, 1.75]) {
    const [px, py] = pixelOf(x, 0);
    assert.ok(
      Math.abs(depth.data[4 * (py * W + px)] - 5) < 1e-3,
      `depth at x = ${x}: ${depth.data[4 * (py * W + px)]}`,
    );
  }
  // The whole coverage masks agree up to anti-aliased edges (the ray-traced modes jitter their samples).
  const ref = coverageMask(albedo),
    covered = ref.reduce((s, v) => s + v, 0);
  assert.ok(covered > 0.1 * W * H, `albedo covers ${covered} pixels`);
  for (const [label, img] of all) {
    const m = coverageMask(img);
    const differ = m.reduce((s, v, i) => s + (v !== ref[i] ? 1 : 0), 0);
    assert.ok(differ <= 0.03 * covered, `${label}: coverage differs from albedo's on ${differ} of ${covered} pixels`);
  }
  // The path tracer and the lightmap see light on the double-sided quad's back (camera side), not black.
  for (const img of [traced, lightmapped]) {
    const [px, py] = pixelOf(0.5, 0);
    assert.ok(img.data[4 * (py * W + px)] > 0.1, `C is lit: ${img.data[4 * (py * W + px)]}`);
  }
});

test('without textures, alpha-tested materials still cut out by their base colour texture alpha (decoded on demand)', async () => {
  // The scene's texture is a real PNG here, so the renderers can decode it themselves.
  const scene = cullingScene();
  const { encodePng } = await import('../../src/io/png.js');
  scene.textures[0] = {
    name: 'alpha',
    mimeType: 'image/png',
    image: encodePng({ width: 4, height: 1, bitDepth: 8, data: alphaTexture.data }),
    width: 4,
    height: 1,
  };
  checkCoverage('albedo (decoded)', await renderView(scene, view, { mode: 'albedo', backend: 'cpu' }));
  checkCoverage(
    'pathtrace (decoded)',
    await renderPathtraced(scene, view, { spp: 1, bounces: 0, sky: { type: 'constant', color: [1, 1, 1] } }),
  );
});

test.run();
