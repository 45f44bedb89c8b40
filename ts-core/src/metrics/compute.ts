/**
 * computeMetrics: the one call the Trust Engine and `ote compare` make per image pair. Validates the pair, groups
 * the requested metrics by provider (one pass each) and merges the results.
 */
import { OteError } from '../errors.js';
import { providerFor } from './registry.js';
import type { ComputeMetricsOptions, MetricId, MetricImage, MetricsResult } from './types.js';

export const DEFAULT_METRICS: MetricId[] = ['psnr', 'ssim', 'ssimLuma', 'flip'];

let builtins: Promise<string | undefined> | undefined;

/**
 * Registers the built-in providers once, on first need, so that computeMetrics works for a caller that imported
 * nothing else (a programmatic optimize() got "unknown metric 'psnr'" unless some CLI module had registered them).
 * Loaded lazily, so a host without the addon that brings its own providers never loads native/. Resolves to why
 * they could not load, if they could not.
 */
function registerBuiltins(): Promise<string | undefined> {
  builtins ??= import('./builtin.js').then(
    (m) => {
      m.registerBuiltinProviders();
      return undefined;
    },
    (e) => `the built-in providers could not load: ${(e as Error)?.message ?? String(e)}`,
  );
  return builtins;
}

function describe(img: MetricImage): string {
  return `${img.width}x${img.height}`;
}

function checkImage(img: MetricImage, which: string): void {
  if (!img || typeof img !== 'object' || !Number.isInteger(img.width) || !Number.isInteger(img.height))
    throw new OteError('BAD_INPUT', `${which} image is not an image (width, height and data expected)`);
  if (img.width <= 0 || img.height <= 0) throw new OteError('BAD_INPUT', `${which} image is empty (${describe(img)})`);
  const d = img.data as unknown;
  if (!(d instanceof Uint8Array || d instanceof Uint16Array || d instanceof Float32Array))
    throw new OteError(
      'BAD_INPUT',
      `${which} image has unsupported pixel data (${Object.prototype.toString.call(d)}); expected Uint8Array, Uint16Array or Float32Array RGBA`,
    );
  if ((d as ArrayLike<number>).length !== img.width * img.height * 4)
    throw new OteError(
      'BAD_INPUT',
      `${which} image has ${(d as ArrayLike<number>).length} values, expected ${img.width * img.height * 4} (${describe(img)} RGBA)`,
    );
}

export async function computeMetrics(
  reference: MetricImage,
  test: MetricImage,
  opts: ComputeMetricsOptions = {},
): Promise<MetricsResult> {
  checkImage(reference, 'reference');
  checkImage(test, 'test');
  if (reference.width !== test.width || reference.height !== test.height)
    throw new OteError(
      'BAD_INPUT',
      `image sizes differ: reference is ${describe(reference)}, test is ${describe(test)}`,
    );
  const crop = opts.crop;
  if (crop) {
    const ok =
      [crop.x, crop.y, crop.width, crop.height].every(Number.isInteger) &&
      crop.x >= 0 &&
      crop.y >= 0 &&
      crop.width > 0 &&
      crop.height > 0 &&
      crop.x + crop.width <= reference.width &&
      crop.y + crop.height <= reference.height;
    if (!ok)
      throw new OteError(
        'BAD_INPUT',
        `crop ${JSON.stringify(crop)} is not a non-empty rectangle inside the ${describe(reference)} images`,
      );
  }
  const noise = opts.referenceNoise;
  if (
    noise &&
    (!(noise.data instanceof Float32Array) ||
      noise.width !== reference.width ||
      noise.height !== reference.height ||
      noise.data.length !== reference.width * reference.height * 4)
  )
    throw new OteError(
      'BAD_INPUT',
      `referenceNoise must be ${describe(reference)} RGBA floats like the reference, got ${noise.width}x${noise.height} with ${noise.data?.length} values`,
    );
  if (opts.dataRange !== undefined && !(opts.dataRange > 0 && Number.isFinite(opts.dataRange)))
    throw new OteError('BAD_INPUT', `dataRange must be a positive number, got ${opts.dataRange}`);

  const metrics = [...new Set(opts.metrics ?? DEFAULT_METRICS)];
  const maps = [...new Set(opts.maps ?? [])];
  const unserved = [...metrics, ...maps].some((id) => !providerFor(id));
  const builtinProblem = unserved ? await registerBuiltins() : undefined;
  const groups = new Map<ReturnType<typeof providerFor>, MetricId[]>();
  for (const id of [...metrics, ...maps]) {
    const p = providerFor(id);
    if (!p) throw new OteError('BAD_INPUT', `unknown metric '${id}'${builtinProblem ? ` (${builtinProblem})` : ''}`);
    const reason = p.unavailableReason();
    if (reason) throw new OteError('BAD_INPUT', `metric '${id}' is not available: ${reason}`);
    if (metrics.includes(id)) groups.set(p, [...(groups.get(p) ?? []), id]);
    else if (!groups.has(p)) groups.set(p, []);
  }
  const width = crop?.width ?? reference.width,
    height = crop?.height ?? reference.height;
  const result: MetricsResult = { width, height, backend: 'cpu' };
  for (const [p, ids] of groups) {
    try {
      const r = await p!.compute(reference, test, {
        metrics: ids,
        maps: maps.filter((m) => p!.metrics.some((x) => x.id === m)),
        dataRange: opts.dataRange,
        floatEncoding: opts.floatEncoding ?? 'linear-srgb',
        crop,
        ppd: opts.ppd,
        referenceNoise: noise,
        backend: opts.backend ?? 'cpu',
        signal: opts.signal,
        onProgress: opts.onProgress,
      });
      Object.assign(result, r.values);
      if (r.backend) result.backend = r.backend;
      if (r.maps && Object.keys(r.maps).length) result.maps = { ...result.maps, ...r.maps };
    } catch (e) {
      if (e instanceof OteError) throw e;
      // Argument errors from the addon (RangeError/TypeError, or a NaN pixel) are input errors; keep the message.
      const msg = (e as Error).message ?? String(e);
      if (
        e instanceof RangeError ||
        e instanceof TypeError ||
        /non-finite|sizes differ|needs images|is empty|requested but|referenceNoise/.test(msg)
      )
        throw new OteError('BAD_INPUT', msg.replace(/^computeImageMetrics: /, ''));
      throw e;
    }
  }
  return result;
}
