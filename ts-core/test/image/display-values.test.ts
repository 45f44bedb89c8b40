/**
 * The display curve that previews, checks and splat colours share (image/float-image.ts), and the splat colour
 * convention (scene/gaussians.ts): a splat's colour is the value a 3DGS viewer puts on screen.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  aces,
  acesInverse,
  fromDisplayImage,
  fromDisplayValue,
  toDisplayImage,
  toDisplayValue,
  toRgba8,
} from '../../src/image/float-image.js';
import { saveSplats } from '../../src/io/splat-formats.js';
import { decodePng } from '../../src/io/png.js';
import { createModel, logit, rgbToDc } from '../../src/scene/gaussians.js';
import { oteBin, tempDir } from '../helpers.js';

test('the ACES inverse and the display inverse undo the curve over its whole range', () => {
  for (let x = 0; x < 7.2; x += 0.013) assert.ok(Math.abs(acesInverse(aces(x)) - x) <= 1e-9 * Math.max(1, x), `x ${x}`);
  assert.ok(Math.abs(aces(acesInverse(1)) - 1) < 1e-12, 'y = 1 maps to the first input that reaches 1');
  for (const exposure of [-3, 0, 1.74])
    for (let c = 0; c < 2; c += 0.0371) {
      const back = fromDisplayValue(toDisplayValue(c, exposure), exposure);
      assert.ok(Math.abs(back - c) <= 1e-9 * Math.max(1, c), `c ${c} at ${exposure} EV came back as ${back}`);
    }
});

test('toDisplayValue is the 8-bit display transform before quantization', () => {
  const data = new Float32Array([0.05, 0.4, 1.7, 1]);
  for (const exposure of [0, 1.5]) {
    const bytes = toRgba8({ width: 1, height: 1, data }, { toneMap: 'aces', exposure });
    for (let c = 0; c < 3; c++) assert.is(bytes[c], Math.round(toDisplayValue(data[c], exposure) * 255));
  }
});

test('an edge pixel is displayed as a viewer blends it over black: the display value of the linear mix', () => {
  // A surface of radiance 0.3 covering a quarter of the pixel, rendered over black.
  const img = { width: 2, height: 1, data: new Float32Array([0.075, 0.075, 0.075, 0.25, 0, 0, 0, 0]) };
  const out = toDisplayImage(img, 0.5);
  assert.ok(Math.abs(out.data[0] - toDisplayValue(0.075, 0.5)) < 1e-6);
  assert.is(out.data[3], 0.25);
  assert.equal(Array.from(out.data.subarray(4)), [0, 0, 0, 0], 'nothing covered stays black');
  // Brighter than the surface's display value times its coverage, which a display-space blend of that splat colour
  // at that coverage would show: splats trained on these targets must learn it.
  assert.ok(out.data[0] > 0.25 * toDisplayValue(0.3, 0.5) + 0.05, `${out.data[0]}`);
  const back = fromDisplayImage(out, 0.5);
  assert.ok(Math.abs(back.data[0] - 0.075) < 1e-6, `${back.data[0]}`);
  assert.is(back.data[3], 0.25);
});

test('ote render-splat writes splat colours as they are, with no transfer function (as 3DGS viewers show them)', () => {
  // One large opaque Gaussian of colour 0.5 in front of the camera: a viewer shows 128, not sRGB(0.5) = 188.
  const m = createModel(1, 0);
  m.means.set([0, 0, 0]);
  m.logScales.set([Math.log(2), Math.log(2), Math.log(0.01)]);
  m.quats.set([1, 0, 0, 0]);
  m.opacity[0] = logit(0.99);
  m.sh.set([rgbToDc(0.5), rgbToDc(0.25), rgbToDc(0.75)]);
  const dir = tempDir('ote-display-values-');
  const file = join(dir, 'one.ply'),
    png = join(dir, 'one.png');
  return saveSplats(m, file).then(() => {
    const r = spawnSync(
      process.execPath,
      [oteBin, 'render-splat', file, '--eye', '0,0,3', '--target', '0,0,0', '--width', '16', '-o', png],
      { encoding: 'utf8', env: { ...process.env, OTE_BACKEND: 'cpu' } },
    );
    assert.is(r.status, 0, r.stderr);
    const img = decodePng(new Uint8Array(readFileSync(png)));
    const centre = 4 * (8 * 16 + 8);
    // The .ply stores f_dc as float; 0.99 opacity over a black background leaves 1% of black.
    assert.equal(Array.from(img.data.subarray(centre, centre + 3)), [126, 63, 189]);
  });
});

test.run();
