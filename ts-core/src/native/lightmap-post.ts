/**
 * Typed wrapper over the native lightmap post-processing (native-cuda/include/ote/bake/lightmap_post.h): the
 * edge-aware denoise, direct light and the rest apart, then dilation, of one page in place, threaded over rows and
 * cancellable. bake/post.ts holds the same steps in TypeScript, the reference the tests hold it to.
 */
import { addon } from './addon.js';
import type { RawLightmapPage, RawLightmapPostOptions } from './addon-api.js';
import { type JobOptions, runJob } from './job.js';

export type { RawLightmapPage as NativeLightmapPage } from './addon-api.js';

export interface NativeLightmapPostOptions extends JobOptions, Omit<RawLightmapPostOptions, 'onProgress'> {}

export function postprocessLightmapPageNative(
  page: RawLightmapPage,
  opts: NativeLightmapPostOptions = {},
): Promise<void> {
  const { signal, onProgress: _p, ...native } = opts;
  return runJob<void>((onProgress) => addon().postprocessLightmapPage(page, { ...native, onProgress }), {
    signal,
    onProgress: opts.onProgress,
  });
}
