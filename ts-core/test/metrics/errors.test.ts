// Bad input gets a clear BAD_INPUT error that says what is wrong: mismatched sizes, empty images, NaN pixels,
// unsupported pixel types and file formats, too-small images, bad crops, and metrics this build cannot compute.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OteError } from '../../src/errors.js';
import { readImageFile } from '../../src/io/image-file.js';
import { computeMetrics, type MetricImage } from '../../src/metrics/index.js';
import { nativeInfo } from '../../src/native/addon.js';
import { tempDir } from '../helpers.js';
import { synthetic8 } from './fixtures.js';

async function rejects(p: Promise<unknown>, pattern: RegExp, code = 'BAD_INPUT') {
  try {
    await p;
  } catch (e) {
    assert.instance(e, OteError, `expected OteError, got ${(e as Error).stack}`);
    assert.is((e as OteError).code, code);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

const { ref, test: t } = synthetic8(40, 30);
const float = (w: number, h: number, v = 0.5): MetricImage => ({
  width: w,
  height: h,
  data: new Float32Array(w * h * 4).fill(v),
});

test('mismatched sizes name both sizes', async () => {
  const other = synthetic8(41, 30).ref;
  await rejects(computeMetrics(ref, other), /sizes differ: reference is 40x30, test is 41x30/);
});

test('empty images are rejected', async () => {
  const empty = { width: 0, height: 0, bitDepth: 8 as const, data: new Uint8Array(0) };
  await rejects(computeMetrics(empty, empty), /reference image is empty \(0x0\)/);
});

test('a NaN pixel is reported with its image and position', async () => {
  const a = float(20, 20),
    b = float(20, 20, 0.25);
  (b.data as Float32Array)[(7 * 20 + 3) * 4 + 2] = NaN;
  await rejects(computeMetrics(a, b), /test has a non-finite value \(NaN or infinity\) at pixel \(3, 7\)/);
  (a.data as Float32Array)[0] = Infinity;
  await rejects(computeMetrics(a, float(20, 20)), /reference has a non-finite value .* at pixel \(0, 0\)/);
});

test('unsupported pixel data and wrong lengths are rejected', async () => {
  const bad = { width: 4, height: 4, data: new Int16Array(64) } as unknown as MetricImage;
  await rejects(computeMetrics(bad, bad), /unsupported pixel data \(\[object Int16Array\]\)/);
  const short = { width: 4, height: 4, bitDepth: 8 as const, data: new Uint8Array(60) };
  await rejects(computeMetrics(short, short), /has 60 values, expected 64 \(4x4 RGBA\)/);
});

test('images too small for SSIM or MS-SSIM say how large they must be', async () => {
  const small = synthetic8(10, 40);
  await rejects(computeMetrics(small.ref, small.test, { metrics: ['ssim'] }), /at least 11x11 pixels, got 10x40/);
  // PSNR and FLIP have no minimum size.
  const r = await computeMetrics(small.ref, small.test, { metrics: ['psnr', 'flip'] });
  assert.ok(r.psnr! > 0 && r.flip! > 0);
  await rejects(computeMetrics(ref, t, { metrics: ['msssim'] }), /MS-SSIM needs images of at least 176x176 pixels/);
});

test('a crop outside the images, and a non-positive data range, are rejected', async () => {
  await rejects(
    computeMetrics(ref, t, { crop: { x: 30, y: 0, width: 20, height: 10 } }),
    /crop .* is not a non-empty rectangle inside the 40x30 images/,
  );
  await rejects(computeMetrics(ref, t, { dataRange: 0 }), /dataRange must be a positive number/);
});

test('unknown and unavailable metrics', async () => {
  await rejects(computeMetrics(ref, t, { metrics: ['nope'] }), /unknown metric 'nope'/);
  await rejects(
    computeMetrics(ref, t, { metrics: ['lpips'] }),
    /'lpips' is not available: LPIPS needs trained network weights/,
  );
  await rejects(computeMetrics(ref, t, { metrics: ['vmaf'] }), /'vmaf' is not available: VMAF needs libvmaf/);
});

test('unsupported and broken files name the file and the format found', async () => {
  const dir = tempDir();
  const jpg = join(dir, 'photo.png');
  writeFileSync(jpg, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]));
  await rejects(
    readImageFile(jpg),
    /photo\.png: unsupported image format \(JPEG\); expected PNG \(8\/16-bit\) or OpenEXR/,
  );
  const truncated = join(dir, 'cut.png');
  writeFileSync(truncated, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
  await rejects(readImageFile(truncated), /cut\.png: cannot decode PNG/);
  const exr = join(dir, 'cut.exr');
  writeFileSync(exr, Buffer.from([0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0]));
  await rejects(readImageFile(exr), /cut\.exr: cannot decode OpenEXR/);
  await rejects(readImageFile(join(dir, 'missing.png')), /missing\.png: cannot read: ENOENT/);
});

test('asking for the CUDA backend without a device is an input error that says why', async () => {
  if (nativeInfo().devices.length > 0) return; // covered by metrics.gpu.test.ts on a machine with a device
  await rejects(computeMetrics(ref, t, { backend: 'cuda' }), /backend 'cuda' requested but/);
});

test.run();
