/**
 * Engine materials → glTF (adapters/materials.ts) on a table of engine material settings: Unity's Standard, URP Lit
 * and HDRP Lit (colour space, smoothness, emission keyword, surface and cull modes), an unknown shader, and Unreal
 * material instances of the glTF importer's master and of hand-made masters. Then textures through engineToScene
 * into a glTF that the Khronos validator accepts, one image per texture asset.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EngineImage, type EngineSceneDump, engineToScene } from '../../src/adapters/engine-scene.js';
import { UNITY_FRAME } from '../../src/adapters/engine-frame.js';
import { srgbToLinear } from '../../src/image/float-image.js';
import {
  type MappedMaterial,
  type UnityMaterialSettings,
  type UnrealMaterialSettings,
  unityMaterial,
  unrealExportsTexture,
  unrealMaterial,
} from '../../src/adapters/materials.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { sceneToGlb } from '../../src/io/gltf-write.js';
import { encodePng } from '../../src/io/png.js';
import { tempDir } from '../helpers.js';

function image(name: string, rgba: number[]): EngineImage {
  const data = new Uint8Array(16);
  for (let i = 0; i < 4; i++) data.set(rgba, 4 * i);
  return {
    name,
    mimeType: 'image/png',
    image: encodePng({ width: 2, height: 2, bitDepth: 8, data }),
    width: 2,
    height: 2,
  };
}
const brick = image('Assets/Textures/Brick.png', [180, 90, 60, 255]);
const bumps = image('Assets/Textures/Brick_N.png', [128, 128, 255, 255]);

const unity = (shader: string, s: Partial<UnityMaterialSettings>): UnityMaterialSettings => ({
  name: `${shader} material`,
  shader,
  colors: {},
  floats: {},
  keywords: [],
  textures: {},
  ...s,
});
const unreal = (s: Partial<UnrealMaterialSettings>): UnrealMaterialSettings => ({
  name: 'MI_Test',
  blendMode: 0,
  twoSided: false,
  vectors: {},
  scalars: {},
  textures: {},
  ...s,
});

type Expect = Partial<MappedMaterial['material']> & { guessed?: boolean; missing?: string[]; textures?: string[] };

const L = srgbToLinear;
const rows: [string, () => MappedMaterial, Expect][] = [
  [
    'Unity Standard: sRGB colour decoded, smoothness → roughness, emission off without its keyword',
    () =>
      unityMaterial(
        unity('Standard', {
          colors: { _Color: [1, 0.5, 0.5, 1], _EmissionColor: [1, 1, 1, 1] },
          floats: { _Metallic: 0.3, _Glossiness: 0.8, _Mode: 0, _BumpScale: 0.6, _NormalScale: 2 },
          textures: { _MainTex: brick, _BumpMap: bumps },
        }),
      ),
    {
      baseColor: [1, L(0.5), L(0.5), 1],
      metallic: 0.3,
      roughness: 0.2,
      normalScale: 0.6,
      emissive: [0, 0, 0],
      blend: 'opaque',
      twoSided: false,
      textures: ['baseColorTexture', 'normalTexture'],
    },
  ],
  [
    'Unity Standard cutout',
    () => unityMaterial(unity('Standard', { floats: { _Mode: 1, _Cutoff: 0.4 } })),
    { blend: 'masked', alphaCutoff: 0.4 },
  ],
  ['Unity Standard fade', () => unityMaterial(unity('Standard', { floats: { _Mode: 2 } })), { blend: 'translucent' }],
  [
    'Unity Standard with _EMISSION: HDR colour decoded, kept as a factor ≤ 1 and a strength',
    () => unityMaterial(unity('Standard', { colors: { _EmissionColor: [2, 1, 0, 1] }, keywords: ['_EMISSION'] })),
    { emissive: [1, 1 / L(2), 0], emissiveStrength: L(2) },
  ],
  [
    'URP Lit transparent, culling off',
    () =>
      unityMaterial(
        unity('Universal Render Pipeline/Lit', {
          colors: { _BaseColor: [0.5, 0.5, 0.5, 0.5] },
          floats: { _Smoothness: 0.5, _Metallic: 1, _Surface: 1, _Cull: 0 },
          textures: { _BaseMap: brick, _BumpMap: bumps },
        }),
      ),
    {
      normalScale: undefined,
      baseColor: [L(0.5), L(0.5), L(0.5), 0.5],
      roughness: 0.5,
      metallic: 1,
      blend: 'translucent',
      twoSided: true,
      textures: ['baseColorTexture', 'normalTexture'],
    },
  ],
  [
    'URP Lit alpha clipping, back faces culled',
    () => unityMaterial(unity('Universal Render Pipeline/Lit', { floats: { _AlphaClip: 1, _Cutoff: 0.6, _Cull: 2 } })),
    { blend: 'masked', alphaCutoff: 0.6, twoSided: false },
  ],
  [
    'HDRP Lit: linear emissive in luminance, double-sided, alpha cutoff',
    () =>
      unityMaterial(
        unity('HDRP/Lit', {
          colors: { _BaseColor: [1, 1, 1, 1], _EmissiveColor: [10, 5, 0, 1] },
          floats: { _Smoothness: 0.9, _DoubleSidedEnable: 1, _AlphaCutoffEnable: 1, _AlphaCutoff: 0.25 },
          textures: { _BaseColorMap: brick, _NormalMap: bumps },
        }),
      ),
    {
      emissive: [1, 0.5, 0],
      emissiveStrength: 10,
      twoSided: true,
      blend: 'masked',
      alphaCutoff: 0.25,
      textures: ['baseColorTexture', 'normalTexture'],
    },
  ],
  [
    'an unknown shader: matched by property names, and said so',
    () => unityMaterial(unity('Custom/Toon', { colors: { _Color: [0, 1, 0, 1] } })),
    { baseColor: [0, 1, 0, 1], guessed: true },
  ],
  [
    "Unreal, the glTF importer's master: linear factors as they are",
    () =>
      unrealMaterial(
        unreal({
          twoSided: true,
          vectors: { BaseColorFactor: [0.5, 0.25, 0.1, 1], EmissiveFactor: [0, 0, 0, 1] },
          scalars: { MetallicFactor: 1, RoughnessFactor: 0.3 },
          textures: { BaseColorTexture: brick, NormalTexture: bumps },
        }),
      ),
    {
      baseColor: [0.5, 0.25, 0.1, 1],
      metallic: 1,
      roughness: 0.3,
      twoSided: true,
      missing: [],
      textures: ['baseColorTexture', 'normalTexture'],
    },
  ],
  [
    'Unreal, a hand-made master: names matched without case or spaces; emissive intensity; masked',
    () =>
      unrealMaterial(
        unreal({
          blendMode: 1,
          opacityMaskClipValue: 0.4,
          vectors: { 'Base Color': [0.2, 0.4, 0.6, 1], 'Emissive Color': [2, 1, 0, 1] },
          scalars: { roughness: 0.7, 'Emissive Intensity': 3 },
        }),
      ),
    {
      baseColor: [0.2, 0.4, 0.6, 1],
      metallic: 0,
      roughness: 0.7,
      emissive: [1, 0.5, 0],
      emissiveStrength: 6,
      blend: 'masked',
      alphaCutoff: 0.4,
      missing: ['metallic'],
    },
  ],
  [
    'Unreal, nothing recognised: glTF defaults, and each slot listed as missing',
    () => unrealMaterial(unreal({ blendMode: 2, scalars: { Wetness: 0.5 } })),
    { baseColor: [1, 1, 1, 1], blend: 'translucent', missing: ['base colour', 'metallic', 'roughness'] },
  ],
];

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

for (const [name, map, want] of rows)
  test(name, () => {
    const got = map();
    const m = got.material as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) {
      if (k === 'guessed') assert.is(got.guessed, v, 'guessed');
      else if (k === 'missing') assert.equal(got.missing, v, 'missing');
      else if (k === 'textures')
        assert.equal(
          ['baseColorTexture', 'normalTexture', 'emissiveTexture'].filter((t) => m[t] !== undefined),
          v,
          'textures',
        );
      else if (Array.isArray(v))
        assert.ok(
          (m[k] as number[]).every((x, i) => close(x, (v as number[])[i])),
          `${k}: ${JSON.stringify(m[k])}, want ${JSON.stringify(v)}`,
        );
      else if (typeof v === 'number') assert.ok(close(m[k] as number, v), `${k}: ${m[k]}, want ${v}`);
      else assert.is(m[k], v, k);
    }
  });

test('Unreal texture parameters exported: the base colour and emissive slots, by any spelling; never the normal map', () => {
  for (const n of ['BaseColorTexture', 'Base Color', 'base_color', 'Albedo', 'EmissiveMap'])
    assert.ok(unrealExportsTexture(n), n);
  for (const n of ['Normal', 'NormalMap', 'Roughness', 'DetailTexture']) assert.not.ok(unrealExportsTexture(n), n);
});

test('textures go through engineToScene into a valid glTF, one image per texture asset', async () => {
  const a = unityMaterial(
    unity('Universal Render Pipeline/Lit', { name: 'Wall', textures: { _BaseMap: brick, _BumpMap: bumps } }),
  ).material;
  const b = unityMaterial(
    unity('Standard', { name: 'Floor', floats: { _Mode: 1 }, textures: { _MainTex: brick } }),
  ).material;
  const quad = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0];
  const dump: EngineSceneDump = {
    level: 'textured',
    materials: [a, b],
    meshes: [
      {
        asset: 'Quad',
        sections: [0, 1].map((material) => ({
          positions: quad,
          normals: [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1],
          uv0: [0, 0, 1, 0, 1, 1, 0, 1],
          indices: [0, 1, 2, 0, 2, 3],
          material,
        })),
      },
    ],
    objects: [{ path: 'Q', mesh: 0, translation: [0, 0, 0], rotation: [0, 0, 0, 1], scale: [1, 1, 1], movable: false }],
    lights: [],
  };
  const scene = engineToScene(dump, UNITY_FRAME);
  assert.is(scene.textures.length, 2, 'the brick image once, for both materials');
  const path = join(tempDir(), 'textured.glb');
  writeFileSync(path, await sceneToGlb(scene));
  const { scene: back } = await importGltf(path);
  const wall = back.materials.find((m) => m.name === 'Wall')!,
    floor = back.materials.find((m) => m.name === 'Floor')!;
  assert.ok(wall.baseColorTexture && wall.normalTexture && floor.baseColorTexture);
  assert.is(back.textures[wall.baseColorTexture.texture].width, 2);
  assert.is(floor.alphaMode, 'MASK');

  dump.materials[0] = { ...a, baseColorTexture: { ...brick, image: new Uint8Array(0) } };
  assert.throws(() => engineToScene(dump, UNITY_FRAME), /materials\[0\] \("Wall"\)\.baseColorTexture.*no bytes/);
});

test.run();
