/**
 * The one place that loads the native addon (built by cmake-js into build/Release/ote_native.node).
 * OTE_NATIVE_PATH overrides the location, e.g. for an editor plugin that ships the binary elsewhere.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running native job: the promise settles when it ends; cancel() asks it to stop at the next chunk. */
export interface NativeJobHandle<T> {
  promise: Promise<T>;
  cancel(): void;
}

export interface NativeInfo {
  cudaCompiled: boolean;
  threads: number;
  devices: { name: string; computeCapability: string; memoryBytes: number; multiprocessors: number }[];
  backend: 'cpu' | 'cuda';
  cudaUnavailableReason?: string;
}

export type Backend = 'auto' | 'cpu' | 'cuda';

/** Raw addon surface; typed wrappers in this folder are what the rest of the core calls. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RawAddon = Record<string, any> & { info(): NativeInfo };

let cached: RawAddon | undefined;

function findAddon(): string {
  if (process.env.OTE_NATIVE_PATH) return process.env.OTE_NATIVE_PATH;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'build', 'Release', 'ote_native.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('native addon not found: run `npm install` (or `npm run build:native`) at the repository root');
}

export function addon(): RawAddon {
  cached ??= createRequire(import.meta.url)(findAddon()) as RawAddon;
  return cached;
}

export function nativeInfo(): NativeInfo {
  return addon().info();
}
