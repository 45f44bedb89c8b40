/** Types shared by every part of the Trust Engine (wire messages, consensus, certificates). Pure. */

export type MetricName = 'psnr' | 'ssim' | 'flip';

/** Per-metric limits: psnr and ssim are minimums, flip is a maximum. Absent metrics are not judged. */
export interface Thresholds { psnr?: number; ssim?: number; flip?: number }

export interface SampleMetrics { index: number; psnr: number; ssim: number; flip: number }

export type ArtifactKind = 'lightmap-gltf' | 'splat';

/** A node's signed answer for one job. */
export interface Vote {
  jobId: string;
  nodeKey: string; // hex Ed25519 public key
  samples: SampleMetrics[];
  means: Record<MetricName, number>;
  pass: boolean;
  /** hex Ed25519 signature over signingBytes('vote', vote without sig) */
  sig: string;
}

/** PSNR of identical images is infinite; JSON and medians need a number, so it is capped here. */
export const PSNR_CAP = 100;
