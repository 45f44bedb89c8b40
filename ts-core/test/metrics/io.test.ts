// Image files for the metrics: EXR (float and half, ZIP and uncompressed) and 16-bit PNG round trips, and a linear
// EXR compared with the 8-bit PNG it encodes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { srgbToLinear, type FloatImage } from '../../src/image/float-image.js';
import { readImageFile, writeImageFile } from '../../src/io/image-file.js';
import { computeMetrics } from '../../src/metrics/index.js';
import { tempDir } from '../helpers.js';
import { sharedExpected, sharedImage, synthetic16 } from './fixtures.js';

const dir = tempDir();

test('EXR float round trip is exact, half within half precision; rows stay top-first', async () => {
  const img: FloatImage = {
    width: 37,
    height: 19,
    data: Float32Array.from({ length: 37 * 19 * 4 }, (_, i) => (i % 97) / 13 - 2),
  };
  img.data[0] = 100; // top-left pixel, to catch a row flip
  for (const [type, compression, tol] of [
    ['float', 'zip', 0],
    ['float', 'none', 0],
    ['half', 'zip', 1e-3],
  ] as const) {
    const f = join(dir, `rt-${type}-${compression}.exr`);
    await writeImageFile(f, img, { type, compression });
    const back = await readImageFile(f);
    assert.is(back.kind, 'exr');
    assert.is(back.image.width, 37);
    assert.is(back.image.height, 19);
    let worst = 0;
    for (let i = 0; i < img.data.length; i++)
      worst = Math.max(worst, Math.abs(back.image.data[i] - img.data[i]) / Math.max(1, Math.abs(img.data[i])));
    assert.ok(worst <= tol, `${type}/${compression}: worst relative error ${worst}`);
    assert.ok(Math.abs(back.image.data[0] - 100) < 0.1, 'top-left pixel moved');
  }
});

test('16-bit PNG round trip keeps every sample', async () => {
  const { ref } = synthetic16(64, 48);
  const f = join(dir, 'deep.png');
  await writeImageFile(f, ref);
  const back = await readImageFile(f);
  assert.is(back.kind, 'png16');
  assert.equal(Array.from(back.image.data), Array.from(ref.data));
});

test('a linear EXR of a PNG compares as (nearly) identical to the PNG, through the sRGB encoding', async () => {
  const png = sharedImage(sharedExpected().reference);
  const lin: FloatImage = { width: png.width, height: png.height, data: new Float32Array(png.data.length) };
  for (let i = 0; i < png.data.length; i++) lin.data[i] = i % 4 === 3 ? 1 : srgbToLinear(png.data[i] / 255);
  const f = join(dir, 'linear.exr');
  await writeImageFile(f, lin, { type: 'float' });
  const exr = (await readImageFile(f)).image;
  const r = await computeMetrics(exr, png, { metrics: ['psnr', 'ssimLuma', 'flip'] });
  assert.ok(r.psnr! > 80, `psnr ${r.psnr}`);
  assert.ok(r.ssimLuma! > 0.999999, `ssim ${r.ssimLuma}`);
  assert.ok(r.flip! < 1e-4, `flip ${r.flip}`);
  // Read as stored (not encoded), the same EXR is far from the PNG: the option matters.
  const raw = await computeMetrics(exr, png, { metrics: ['psnr'], floatEncoding: 'stored' });
  assert.ok(raw.psnr! < 25, `stored psnr ${raw.psnr}`);
});

test.run();
