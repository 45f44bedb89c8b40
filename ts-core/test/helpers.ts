import { spawnSync } from 'node:child_process';
/** Shared test utilities: where the repository and the externally authored scenes are, and temp dirs. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/ts-core/test/...). */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'ts-core'))) dir = dirname(dir);
  return dir;
})();

/** ../shared/scenes beside the checkout (read-only, never copied into the repo). */
export const sharedScenesDir = process.env.OTE_SHARED_SCENES ?? join(repoRoot, '..', 'shared', 'scenes');

/** The main glTF/GLB file of each shared scene folder, by folder name. */
export function sharedScenes(): { name: string; path: string }[] {
  if (!existsSync(sharedScenesDir))
    throw new Error(`shared scenes not found at ${sharedScenesDir} (set OTE_SHARED_SCENES)`);
  return readdirSync(sharedScenesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const files = readdirSync(join(sharedScenesDir, d.name)).filter((f) => /\.(glb|gltf)$/i.test(f));
      if (files.length === 0) throw new Error(`no glTF in shared scene folder ${d.name}`);
      return { name: d.name, path: join(sharedScenesDir, d.name, files[0]) };
    });
}

// Shared with bench/, which must not import test code.
export { tempDir } from '../../scripts/temp-dir.js';

export const oteBin = join(repoRoot, 'ts-core', 'bin', 'ote.js');

/**
 * `ote` run as a process in `dir`, with a result cache of its own there (tests never share one), `env` its
 * environment: ote(...args) returns spawnSync's result as text.
 */
export function oteIn(dir: string, timeout = 300_000) {
  const env = { ...process.env, OTE_CACHE_DIR: join(dir, 'cache') };
  const ote = (...args: string[]) =>
    spawnSync(process.execPath, [oteBin, ...args], { encoding: 'utf8', cwd: dir, env, timeout });
  return { env, ote };
}
export const sharedTracesDir = process.env.OTE_SHARED_TRACES ?? join(repoRoot, '..', 'shared', 'traces');
