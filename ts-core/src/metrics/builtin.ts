/**
 * The providers the core ships: the native one (PSNR, SSIM, SSIM on luma, MS-SSIM, FLIP) and the LPIPS / VMAF
 * placeholders that say why they are missing. computeMetrics registers them on first need and metrics/index.ts on
 * import; registering again adds nothing, since each only takes ids no provider serves.
 */
import { nativeMetricsProvider } from './native-provider.js';
import { registerDefaultProvider, unavailableProvider } from './registry.js';

export function registerBuiltinProviders(): void {
  registerDefaultProvider(nativeMetricsProvider);
  registerDefaultProvider(
    unavailableProvider(
      'lpips',
      [
        {
          id: 'lpips',
          name: 'LPIPS',
          unit: 'error',
          better: 'lower',
          description: 'learned perceptual image patch similarity',
          reference: 'Zhang et al. 2018',
        },
      ],
      'LPIPS needs trained network weights (AlexNet/VGG + linear layers) that no package in our npm or Debian registries ships; register a provider that brings its own weights',
    ),
  );
  registerDefaultProvider(
    unavailableProvider(
      'vmaf',
      [
        {
          id: 'vmaf',
          name: 'VMAF',
          unit: 'index',
          better: 'higher',
          description: 'Netflix video multi-method assessment fusion',
          reference: 'Li et al. 2016 (libvmaf)',
        },
      ],
      "VMAF needs libvmaf, which Debian's ffmpeg is not built with and no registry we use provides; register a provider backed by libvmaf",
    ),
  );
}
