/** Where a stage's work runs, for its timing and the cost model (report/cost.ts). */
import { nativeInfo } from '../native/addon.js';
import type { StageContext, StageDevice } from './stage.js';

/** JavaScript on the main thread: one core. */
export const SCRIPT_DEVICE: StageDevice = { device: 'cpu', cores: 1 };

/** A stage whose heavy work is native kernels: the GPU when the backend resolves to CUDA, else every worker thread. */
export function nativeDevice(ctx: StageContext): StageDevice {
  const info = nativeInfo();
  const backend = ctx.options.backend ?? 'auto';
  if (backend === 'cuda' || (backend === 'auto' && info.backend === 'cuda')) return { device: 'cuda', cores: 1 };
  return { device: 'cpu', cores: info.threads };
}

/** Native kernels that always run on the CPU (the ray core's view planning: bit-identical on every machine). */
export function nativeCpuDevice(): StageDevice {
  return { device: 'cpu', cores: nativeInfo().threads };
}
