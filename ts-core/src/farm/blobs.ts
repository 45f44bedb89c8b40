/**
 * Content-addressed files on the farm's disk: `<dir>/<sha256>`, written under a temporary name and renamed into
 * place, so a reader never sees half a file and writing the same content twice is a no-op (idempotent uploads).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HASH_PATTERN = /^[0-9a-f]{64}$/;

export class FarmBlobs {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(hash: string): string {
    if (!HASH_PATTERN.test(hash)) throw new Error(`not a SHA-256 content hash: "${hash}"`);
    return join(this.dir, hash);
  }

  has(hash: string): boolean {
    return HASH_PATTERN.test(hash) && existsSync(join(this.dir, hash));
  }

  size(hash: string): number {
    return statSync(this.path(hash)).size;
  }

  read(hash: string): Buffer {
    return readFileSync(this.path(hash));
  }

  /** Stores `data`; returns its hash. `hash`, when the caller has checked it already, saves hashing twice. */
  put(data: Uint8Array, hash = createHash('sha256').update(data).digest('hex')): string {
    const path = this.path(hash);
    if (existsSync(path)) return hash;
    const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    return hash;
  }
}
