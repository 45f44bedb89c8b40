/** Test inputs for the metrics suites: the shared reference pairs and synthetic pairs regenerated bit for bit. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePng, type RgbaImage } from '../../src/io/png.js';
import { repoRoot } from '../helpers.js';

/** ../shared/metrics beside the checkout (read-only, never copied into the repo). */
export const sharedMetricsDir = process.env.OTE_SHARED_METRICS ?? join(repoRoot, '..', 'shared', 'metrics');

export interface SharedExpected {
  reference: string;
  pairs: Record<
    string,
    { test: string; psnr_db: number; ssim_rgb_mean: number; ssim_luma_bt601: number; flip_ldr_mean: number }
  >;
}

export function sharedExpected(): SharedExpected {
  const f = join(sharedMetricsDir, 'expected.json');
  if (!existsSync(f)) throw new Error(`shared metric pairs not found at ${sharedMetricsDir} (set OTE_SHARED_METRICS)`);
  return JSON.parse(readFileSync(f, 'utf8'));
}

export function sharedImage(name: string): RgbaImage {
  return decodePng(new Uint8Array(readFileSync(join(sharedMetricsDir, name))));
}

export interface ExtraExpected {
  shared_msssim: Record<string, number>;
  synthetic: Record<
    string,
    {
      width: number;
      height: number;
      data_range: number;
      psnr_db: number;
      ssim_rgb_mean: number;
      ssim_luma_bt601: number;
      msssim?: number;
    }
  >;
}

/** Values written by scripts/metrics-expected.py (scikit-image, and a float64 MS-SSIM). */
export function extraExpected(): ExtraExpected {
  // The JSON lives beside the test sources; tests run from dist/, so resolve it from the repository.
  const here = dirname(fileURLToPath(import.meta.url));
  const local = join(here, 'expected-extra.json');
  return JSON.parse(
    readFileSync(existsSync(local) ? local : join(repoRoot, 'ts-core/test/metrics/expected-extra.json'), 'utf8'),
  );
}

/** The integer formulas of scripts/metrics-expected.py; alpha is 255. */
export function synthetic8(w: number, h: number): { ref: RgbaImage<Uint8Array>; test: RgbaImage<Uint8Array> } {
  const ref = new Uint8Array(w * h * 4),
    test = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 4; c++) {
        const i = (y * w + x) * 4 + c;
        if (c === 3) {
          ref[i] = test[i] = 255;
          continue;
        }
        const r = (x * x * 3 + y * 7 + c * 50 + ((x * 13) ^ (y * 7))) % 256;
        const hsh = ((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) & 0xffff;
        ref[i] = r;
        test[i] = Math.min(255, Math.max(0, r + (hsh % 41) - 20));
      }
  return {
    ref: { width: w, height: h, bitDepth: 8, data: ref },
    test: { width: w, height: h, bitDepth: 8, data: test },
  };
}

export function synthetic16(w: number, h: number): { ref: RgbaImage<Uint16Array>; test: RgbaImage<Uint16Array> } {
  const s = synthetic8(w, h);
  const ref = new Uint16Array(w * h * 4),
    test = new Uint16Array(w * h * 4);
  for (let i = 0; i < ref.length; i++) {
    const x = Math.floor(i / 4) % w;
    if (i % 4 === 3) {
      ref[i] = test[i] = 65535;
      continue;
    }
    ref[i] = Math.min(65535, s.ref.data[i] * 257 + (x % 200));
    test[i] = Math.min(65535, s.test.data[i] * 257 + ((x * 3) % 200));
  }
  return {
    ref: { width: w, height: h, bitDepth: 16, data: ref },
    test: { width: w, height: h, bitDepth: 16, data: test },
  };
}
