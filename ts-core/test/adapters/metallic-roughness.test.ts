/**
 * Engine metallic and smoothness maps repacked as glTF's metallicRoughness (adapters/metallic-roughness.ts), per
 * shader on pixels with known values, opacity masks as the base colour's alpha (adapters/opacity-mask.ts), and the
 * pure PNG encoder they write with (image/png-encode.ts), read back by pngjs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UNITY_FRAME } from '../../src/adapters/engine-frame.js';
import { engineToScene } from '../../src/adapters/engine-scene.js';
import { defaultEngineMaterial } from '../../src/adapters/materials.js';
import {
  type EnginePixels,
  repackMetallicRoughness,
  unityMetallicRoughness,
  unrealMetallicRoughness,
  withMetallicRoughness,
} from '../../src/adapters/metallic-roughness.js';
import { withOpacityMask } from '../../src/adapters/opacity-mask.js';
import { encodePngRgba8 } from '../../src/image/png-encode.js';
import { decodePng } from '../../src/io/png.js';

/** 2 × 1 pixels: texel 0 (r, g, b, a) = `a`, texel 1 = `b`. */
const pixels = (name: string, a: number[], b: number[]): EnginePixels => ({
  name,
  width: 2,
  height: 1,
  rgba: Uint8Array.from([...a, ...b]),
});

/** The repacked image's (roughness, metallic) per texel, in [0, 1]. */
function roughMetal(png: Uint8Array): [number, number][] {
  const img = decodePng(png);
  const out: [number, number][] = [];
  for (let k = 0; k < img.width * img.height; k++) {
    assert.is(img.data[4 * k], 255);
    assert.is(img.data[4 * k + 3], 255);
    out.push([img.data[4 * k + 1] / 255, img.data[4 * k + 2] / 255]);
  }
  return out;
}

const near = (a: [number, number][], b: [number, number][]) =>
  a.length === b.length &&
  a.every((p, i) => Math.abs(p[0] - b[i][0]) <= 0.5 / 255 && Math.abs(p[1] - b[i][1]) <= 0.5 / 255);

test('encodePngRgba8: what pngjs reads back is what was written, for odd sizes and every byte value', () => {
  for (const [w, h] of [
    [1, 1],
    [3, 5],
    [17, 9],
  ]) {
    const rgba = Uint8Array.from({ length: 4 * w * h }, (_, i) => (i * 37 + (i >> 3) * 11) & 0xff);
    const back = decodePng(encodePngRgba8(w, h, rgba));
    assert.equal([back.width, back.height, back.bitDepth], [w, h, 8]);
    assert.equal([...back.data], [...rgba]);
  }
  assert.throws(() => encodePngRgba8(2, 2, new Uint8Array(15)), /not RGBA for 2 × 2/);
});

test('Unity Standard, URP Lit and HDRP Lit: metallic and smoothness as each shader reads them', () => {
  const map = pixels('T_Metal', [255, 0, 0, 255], [51, 0, 0, 102]); // metallic 1 and 0.2; smoothness 1 and 0.4
  const set =
    (...names: string[]) =>
    (n: string) =>
      names.includes(n);
  // Standard: smoothness × _GlossMapScale.
  const standard = unityMetallicRoughness({
    shader: 'Standard',
    floats: { _GlossMapScale: 0.5 },
    isSet: set('_MetallicGlossMap'),
  })!;
  assert.ok(
    near(roughMetal(repackMetallicRoughness(standard, { _MetallicGlossMap: map }).image), [
      [0.5, 1],
      [0.8, 0.2],
    ]),
  );
  // Smoothness from the base map's alpha (_SmoothnessTextureChannel 1).
  const fromAlbedo = unityMetallicRoughness({
    shader: 'Standard',
    floats: { _GlossMapScale: 1, _SmoothnessTextureChannel: 1 },
    isSet: set('_MetallicGlossMap', '_MainTex'),
  })!;
  assert.is(fromAlbedo.roughness.texture, '_MainTex');
  const albedo = pixels('T_Albedo', [200, 200, 200, 0], [200, 200, 200, 255]);
  assert.ok(
    near(roughMetal(repackMetallicRoughness(fromAlbedo, { _MetallicGlossMap: map, _MainTex: albedo }).image), [
      [1, 1],
      [0, 0.2],
    ]),
  );
  // URP Lit: _Smoothness scales the map's alpha.
  const urp = unityMetallicRoughness({
    shader: 'Universal Render Pipeline/Lit',
    floats: { _Smoothness: 0.25, _GlossMapScale: 0.9 },
    isSet: set('_MetallicGlossMap'),
  })!;
  assert.ok(
    near(roughMetal(repackMetallicRoughness(urp, { _MetallicGlossMap: map }).image), [
      [0.75, 1],
      [0.9, 0.2],
    ]),
  );
  // HDRP Lit: the mask map's R and A through the remap ranges.
  const hdrp = unityMetallicRoughness({
    shader: 'HDRP/Lit',
    floats: { _MetallicRemapMin: 0, _MetallicRemapMax: 0.5, _SmoothnessRemapMin: 0.2, _SmoothnessRemapMax: 0.7 },
    isSet: set('_MaskMap'),
  })!;
  assert.ok(
    near(roughMetal(repackMetallicRoughness(hdrp, { _MaskMap: map }).image), [
      [0.3, 0.5],
      [0.6, 0.1],
    ]),
  );
  // No map: the factors say it all.
  assert.is(unityMetallicRoughness({ shader: 'Standard', floats: {}, isSet: set() }), undefined);
});

test('Unreal: an ORM texture carries over as it is; a lone roughness map keeps the metallic scalar as the factor', () => {
  const orm = pixels('/Game/T_ORM', [10, 128, 255, 255], [10, 64, 0, 255]);
  const packed = unrealMetallicRoughness(['Base Color', 'ORM'])!;
  assert.ok(
    near(roughMetal(repackMetallicRoughness(packed, { ORM: orm }).image), [
      [128 / 255, 1],
      [64 / 255, 0],
    ]),
  );
  const lone = unrealMetallicRoughness(['Roughness_Map'])!;
  const image = repackMetallicRoughness(lone, {
    Roughness_Map: pixels('/Game/T_R', [51, 0, 0, 255], [204, 0, 0, 255]),
  });
  assert.ok(
    near(roughMetal(image.image), [
      [0.2, 1],
      [0.8, 1],
    ]),
  );
  const m = withMetallicRoughness({ ...defaultEngineMaterial('M'), metallic: 0.3, roughness: 0.6 }, lone, image);
  assert.equal([m.metallic, m.roughness], [0.3, 1], 'metallic scalar × stored 1; roughness in the pixels');
  assert.is(unrealMetallicRoughness(['BaseColorTexture', 'Normal']), undefined);
});

test("an opacity-mask texture becomes the base colour's alpha: over the base's own bytes, or white without one", () => {
  const base = { name: '/Game/T_Leaf', width: 2, height: 2, rgba: Uint8Array.from({ length: 16 }, (_, i) => 10 * i) };
  const mask = pixels('/Game/T_Leaf_Mask', [255, 0, 0, 255], [0, 0, 0, 255]); // 2 × 1: sampled nearest at 2 × 2
  const over = withOpacityMask(base, mask);
  assert.equal([over.width, over.height, over.asset], [2, 2, '/Game/T_Leaf']);
  assert.equal([...decodePng(over.image).data], [0, 10, 20, 255, 40, 50, 60, 0, 80, 90, 100, 255, 120, 130, 140, 0]);
  const white = withOpacityMask(undefined, mask);
  assert.equal([...decodePng(white.image).data], [255, 255, 255, 255, 255, 255, 255, 0]);
  assert.is(white.asset, '', 'no engine asset of its own');
});

test('the repacked texture reaches the scene as the material metallicRoughnessTexture', () => {
  const recipe = unrealMetallicRoughness(['ORM'])!;
  const image = repackMetallicRoughness(recipe, { ORM: pixels('/Game/T_ORM', [0, 0, 255, 255], [0, 255, 0, 255]) });
  const quad = { positions: [0, 0, 0, 1, 0, 0, 1, 0, 1], normals: [0, 1, 0, 0, 1, 0, 0, 1, 0], indices: [0, 2, 1] };
  const scene = engineToScene(
    {
      level: 'L',
      materials: [withMetallicRoughness(defaultEngineMaterial('M_Metal'), recipe, image)],
      meshes: [{ asset: 'SM', sections: [{ ...quad, uv0: [0, 0, 1, 0, 1, 1], material: 0 }] }],
      objects: [],
      lights: [],
    },
    UNITY_FRAME,
  );
  const m = scene.materials[0];
  assert.equal([m.metallicFactor, m.roughnessFactor], [1, 1]);
  assert.is(scene.textures[m.metallicRoughnessTexture!.texture].name, '/Game/T_ORM (metallicRoughness)');
  assert.is(m.metallicRoughnessTexture!.texCoord, 0);
});

test.run();
