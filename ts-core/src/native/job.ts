/** Runs a native job handle with an AbortSignal and a progress callback, mapping cancellation to OteError. */
import { OteError } from '../errors.js';
import type { NativeJobHandle } from './addon.js';

export interface JobOptions {
  /** Aborting cancels the native work at its next chunk; the promise then rejects with code CANCELLED. */
  signal?: AbortSignal;
  /** Fraction done in [0, 1], delivered on the JavaScript thread. */
  onProgress?: (fraction: number) => void;
}

export async function runJob<T>(
  start: (onProgress?: (f: number) => void) => NativeJobHandle<T>,
  opts: JobOptions = {},
): Promise<T> {
  if (opts.signal?.aborted) throw new OteError('CANCELLED', 'cancelled before it started');
  const handle = start(opts.onProgress);
  const onAbort = () => handle.cancel();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await handle.promise;
  } catch (e) {
    if ((e as { code?: string }).code === 'OTE_CANCELLED') throw new OteError('CANCELLED', (e as Error).message);
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
