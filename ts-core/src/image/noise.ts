/**
 * The Monte Carlo noise of a render, estimated from two independent halves: render A and B with the same samples and
 * different seeds; their mean is the render at twice the samples, and half their difference has that mean's noise
 * variance (for independent A, B of variance s²: var((A + B) / 2) = s² / 2 = var((A - B) / 2)). Metrics take the
 * estimate as ComputeMetricsOptions.referenceNoise, so a noisy reference does not count against what it judges.
 */
import type { DisplayImage } from './display.js';
import type { FloatImage } from './float-image.js';

/** (a + b) / 2, pixel by pixel: the render at the samples of both halves. */
export function meanImage(a: FloatImage, b: FloatImage): FloatImage {
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`meanImage: sizes differ (${a.width}x${a.height}, ${b.width}x${b.height})`);
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 0.5 * (a.data[i] + b.data[i]);
  return { width: a.width, height: a.height, data };
}

/**
 * (a - b) / 2 of two displayed halves, in the normalised units the metrics compare (1 = full 8-bit range), alpha 0:
 * the noise estimate of the displayed mean. Display is non-linear (tone map, sRGB), so this is its first-order
 * estimate, close where the noise is small against the signal, as it is after the own check's box filter.
 */
export function displayedNoise(a: DisplayImage, b: DisplayImage): FloatImage {
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`displayedNoise: sizes differ (${a.width}x${a.height}, ${b.width}x${b.height})`);
  const data = new Float32Array(a.width * a.height * 4);
  for (let i = 0; i < data.length; i++) if ((i & 3) !== 3) data[i] = (a.data[i] - b.data[i]) / 510;
  return { width: a.width, height: a.height, data };
}
