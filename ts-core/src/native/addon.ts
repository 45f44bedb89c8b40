/**
 * The one place that loads the native addon (built by cmake-js into build/Release/ote_native.node).
 * Its surface is typed in addon-api.ts. OTE_NATIVE_PATH overrides the location, e.g. for an editor plugin that ships the binary elsewhere.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeInfo, RawAddon } from './addon-api.js';

export type { Backend, NativeInfo, NativeJobHandle, RawAddon } from './addon-api.js';

let cached: RawAddon | undefined;

/** Where the addon is loaded from (OTE_NATIVE_PATH, else the nearest build/Release above this module). */
export function addonPath(): string {
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
  cached ??= createRequire(import.meta.url)(addonPath()) as RawAddon;
  return cached;
}

export function nativeInfo(): NativeInfo {
  return addon().info();
}
