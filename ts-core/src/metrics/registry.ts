/**
 * The metric registry. A provider computes one or more metrics for an image pair; several metrics from one
 * provider share one pass (the native provider reads the pixels once for PSNR, SSIM and FLIP). LPIPS and VMAF are
 * registered as unavailable placeholders that say why; registering a provider for the same ids replaces them.
 */
import type { Crop, MetricId, MetricImage, MetricInfo, MetricMap } from './types.js';
import type { Backend } from '../native/addon.js';

export interface ProviderRequest {
  metrics: MetricId[];
  maps: ('ssimLuma' | 'flip')[];
  dataRange?: number;
  floatEncoding: 'linear-srgb' | 'stored';
  crop?: Crop;
  ppd?: number;
  /** ComputeMetricsOptions.referenceNoise; a provider that cannot correct for it refuses the request. */
  referenceNoise?: MetricMap;
  backend: Backend;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface ProviderResult {
  backend?: 'cpu' | 'cuda';
  /** Values by metric id, plus any detail fields (e.g. psnrChannels). */
  values: Record<string, unknown>;
  maps?: Record<string, MetricMap>;
}

export interface MetricProvider {
  /** e.g. 'native', 'lpips-onnx'. */
  name: string;
  metrics: MetricInfo[];
  /** null when the provider can run here, else a sentence saying why not. */
  unavailableReason(): string | null;
  compute(reference: MetricImage, test: MetricImage, req: ProviderRequest): Promise<ProviderResult>;
}

const providers: MetricProvider[] = [];

/** Register a provider; it takes over any metric id it lists from providers registered before it. */
export function registerMetricProvider(p: MetricProvider): void {
  const ids = new Set(p.metrics.map((m) => m.id));
  for (let i = providers.length - 1; i >= 0; i--) {
    providers[i] = { ...providers[i], metrics: providers[i].metrics.filter((m) => !ids.has(m.id)) };
    if (providers[i].metrics.length === 0) providers.splice(i, 1);
  }
  providers.push(p);
}

/**
 * Register a provider for those of its metrics that no provider serves yet: the built-ins go in this way, so they
 * never take an id over from a provider a host registered before them.
 */
export function registerDefaultProvider(p: MetricProvider): void {
  const metrics = p.metrics.filter((m) => !providerFor(m.id));
  if (metrics.length) providers.push({ ...p, metrics });
}

export function providerFor(id: MetricId): MetricProvider | undefined {
  return providers.find((p) => p.metrics.some((m) => m.id === id));
}

export function listMetrics(): (MetricInfo & { provider: string; available: boolean; unavailableReason?: string })[] {
  return providers.flatMap((p) => {
    const reason = p.unavailableReason();
    return p.metrics.map((m) => ({
      ...m,
      provider: p.name,
      available: reason === null,
      ...(reason ? { unavailableReason: reason } : {}),
    }));
  });
}

export function metricInfo(id: MetricId): MetricInfo | undefined {
  return providerFor(id)?.metrics.find((m) => m.id === id);
}

/** A provider that cannot run in this build, kept in the registry so that asking for it gives the reason. */
export function unavailableProvider(name: string, metrics: MetricInfo[], reason: string): MetricProvider {
  return {
    name,
    metrics,
    unavailableReason: () => reason,
    compute: () => Promise.reject(new Error(reason)),
  };
}
