/**
 * Temporary directories for the test suites and the benchmarks (both import this; neither may import the other's
 * code): each is removed when its process exits, so runs do not pile up scenes and blobs in /tmp. OTE_KEEP_TEMP=1
 * keeps them for a post-mortem.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tempDirs: string[] = [];

/** A fresh directory under the OS temp dir, removed when this process exits (each test file runs in its own process). */
export function tempDir(prefix = 'ote-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (tempDirs.length === 0 && !process.env.OTE_KEEP_TEMP)
    process.on('exit', () => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); });
  tempDirs.push(dir);
  return dir;
}
