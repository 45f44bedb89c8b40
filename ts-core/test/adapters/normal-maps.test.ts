/**
 * Engine normal maps to glTF's convention (adapters/normal-maps.ts): Unity's GPU-packed layouts (X in A or in R)
 * unpacked as Unity's own shader does, Unreal's DirectX source art with its green flipped; read back by pngjs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalMapImage } from '../../src/adapters/normal-maps.js';
import { decodePng } from '../../src/io/png.js';

const px = (...rgba: number[]) => ({ name: 'T_N', width: rgba.length / 4, height: 1, rgba: Uint8Array.from(rgba) });
const rgbOf = (png: Uint8Array) => [...decodePng(png).data].filter((_, i) => i % 4 !== 3);

test('Unity: DXT5nm (X in A) and RGB-layout normal maps unpack to the same glTF normal, Z rebuilt', () => {
  // The normal (0.6, 0, 0.8): X packs to 0.8 (204), Y to 0.5 (128 ≈ 0.0039), Z is rebuilt from X and Y.
  const dxt5nm = normalMapImage(px(255, 128, 0, 204), 'unity-gpu');
  const rgb = normalMapImage(px(204, 128, 255, 255), 'unity-gpu');
  assert.equal(rgbOf(dxt5nm.image), [204, 128, 229]);
  assert.equal(rgbOf(rgb.image), [204, 128, 229]);
  // Flat: (0, 0, 1).
  assert.equal(rgbOf(normalMapImage(px(255, 128, 0, 128), 'unity-gpu').image), [128, 128, 255]);
});

test("Unreal: DirectX's green points down the texture; glTF's up", () => {
  // +Y in DirectX's convention (G 64: y = −0.5 there) is y = +0.5 in glTF's (G 191).
  assert.equal(
    rgbOf(normalMapImage(px(204, 64, 230, 255, 128, 128, 255, 255), 'directx-source').image),
    [204, 191, 230, 128, 127, 255],
  );
});

test.run();
