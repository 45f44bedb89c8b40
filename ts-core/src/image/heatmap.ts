/**
 * Heatmaps of per-pixel error maps: values in [min, max] through a perceptually uniform colour map to 8-bit RGBA.
 * FLIP maps use magma with index round(255·v), as NVIDIA's FLIP tool writes them, so heatmaps look alike.
 */
import { COLOR_MAPS, type ColorMapName } from './colormaps.js';

export type { ColorMapName };

export interface HeatmapOptions {
  colorMap?: ColorMapName;
  /** Value range mapped onto the colour map (default [0, 1]); values outside are clamped. */
  min?: number;
  max?: number;
  /** Map 1 - v (for similarity maps such as SSIM, so that errors are bright). */
  invert?: boolean;
}

/** RGBA 8-bit image of `map`; NaN pixels are mid grey so they cannot pass for "no error". */
export function heatmap(
  map: { width: number; height: number; data: Float32Array },
  opts: HeatmapOptions = {},
): { width: number; height: number; bitDepth: 8; data: Uint8Array } {
  const table = COLOR_MAPS[opts.colorMap ?? 'magma'];
  const lo = opts.min ?? 0,
    hi = opts.max ?? 1,
    scale = hi > lo ? 1 / (hi - lo) : 0;
  const n = map.width * map.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    let v = map.data[i];
    if (Number.isNaN(v)) {
      out[4 * i] = 128;
      out[4 * i + 1] = 128;
      out[4 * i + 2] = 128;
      out[4 * i + 3] = 255;
      continue;
    }
    if (opts.invert) v = 1 - v;
    const t = Math.min(1, Math.max(0, (v - lo) * scale));
    const k = Math.round(t * 255) * 3;
    out[4 * i] = table[k];
    out[4 * i + 1] = table[k + 1];
    out[4 * i + 2] = table[k + 2];
    out[4 * i + 3] = 255;
  }
  return { width: map.width, height: map.height, bitDepth: 8, data: out };
}
