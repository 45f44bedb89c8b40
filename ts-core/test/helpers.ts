/** Shared test utilities: where the repository and the externally authored scenes are, and temp dirs. */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  if (!existsSync(sharedScenesDir)) throw new Error(`shared scenes not found at ${sharedScenesDir} (set OTE_SHARED_SCENES)`);
  return readdirSync(sharedScenesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const files = readdirSync(join(sharedScenesDir, d.name)).filter((f) => /\.(glb|gltf)$/i.test(f));
      if (files.length === 0) throw new Error(`no glTF in shared scene folder ${d.name}`);
      return { name: d.name, path: join(sharedScenesDir, d.name, files[0]) };
    });
}

const tempDirs: string[] = [];

/**
 * A fresh directory under the OS temp dir, removed when this process exits (each test file runs in its own
 * process), so that test and bench runs do not pile up scenes and blobs in /tmp. OTE_KEEP_TEMP=1 keeps them for a
 * post-mortem.
 */
export function tempDir(prefix = 'ote-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (tempDirs.length === 0 && !process.env.OTE_KEEP_TEMP)
    process.on('exit', () => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); });
  tempDirs.push(dir);
  return dir;
}

export const oteBin = join(repoRoot, 'ts-core', 'bin', 'ote.js');
