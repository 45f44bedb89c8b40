/**
 * Image quality metrics. Importing this module registers the native provider (PSNR, SSIM, MS-SSIM, FLIP) and the
 * LPIPS / VMAF placeholders. Code that must not load the addon (the editor's V8) imports registry.js, compute.js
 * and verdict.js directly and registers its own provider.
 */
import { nativeMetricsProvider } from '../native/metrics-provider.js';
import { registerMetricProvider, unavailableProvider } from './registry.js';

export * from './types.js';
export * from './registry.js';
export * from './compute.js';
export * from './verdict.js';

registerMetricProvider(nativeMetricsProvider);
registerMetricProvider(unavailableProvider('lpips', [
  { id: 'lpips', name: 'LPIPS', unit: 'error', better: 'lower', description: 'learned perceptual image patch similarity', reference: 'Zhang et al. 2018' },
], 'LPIPS needs trained network weights (AlexNet/VGG + linear layers) that no package in our npm or Debian registries ships; register a provider that brings its own weights'));
registerMetricProvider(unavailableProvider('vmaf', [
  { id: 'vmaf', name: 'VMAF', unit: 'index', better: 'higher', description: 'Netflix video multi-method assessment fusion', reference: 'Li et al. 2016 (libvmaf)' },
], "VMAF needs libvmaf, which Debian's ffmpeg is not built with and no registry we use provides; register a provider backed by libvmaf"));
