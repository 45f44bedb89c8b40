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
export const sharedTracesDir = process.env.OTE_SHARED_TRACES ?? join(repoRoot, '..', 'shared', 'traces');
