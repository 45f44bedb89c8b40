/**
 * Content-addressed blob storage on disk: `<dir>/<sha256>` once complete, `<dir>/<sha256>.part` while uploading.
 * The part file's length is the resume offset, so an interrupted upload (client drop, engine restart) continues
 * where it stopped. Chunks must arrive in order; the whole blob is hashed before it becomes visible.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  readFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ProtocolError } from './protocol.js';

export class BlobStore {
  constructor(
    private dir: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private path(hash: string) {
    return join(this.dir, hash);
  }

  has(hash: string): boolean {
    return existsSync(this.path(hash));
  }

  size(hash: string): number {
    return statSync(this.path(hash)).size;
  }

  /** Starts or resumes an upload; returns how many bytes the engine already holds. */
  begin(hash: string, size: number): { received: number; complete: boolean } {
    if (size > this.maxBytes)
      throw new ProtocolError('TOO_LARGE', `blob of ${size} bytes exceeds the engine's limit of ${this.maxBytes}`);
    if (this.has(hash)) return { received: this.size(hash), complete: true };
    const part = `${this.path(hash)}.part`;
    const received = existsSync(part) ? statSync(part).size : 0;
    if (received > size) {
      unlinkSync(part);
      return { received: 0, complete: false };
    }
    return { received, complete: false };
  }

  append(hash: string, size: number, offset: number, chunk: Uint8Array): number {
    if (this.has(hash)) return this.size(hash);
    if (size > this.maxBytes)
      throw new ProtocolError('TOO_LARGE', `blob of ${size} bytes exceeds the engine's limit of ${this.maxBytes}`);
    const part = `${this.path(hash)}.part`;
    const received = existsSync(part) ? statSync(part).size : 0;
    if (offset !== received)
      throw new ProtocolError(
        'CONFLICT',
        `chunk offset ${offset} but the engine holds ${received} bytes; resume from ${received}`,
      );
    if (received + chunk.length > size)
      throw new ProtocolError('TOO_LARGE', `chunk runs past the declared size ${size}`);
    const fd = openSync(part, 'a');
    try {
      writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    return received + chunk.length;
  }

  /** Verifies the finished part file against its hash and publishes it. */
  finish(hash: string, size: number): void {
    if (this.has(hash)) return;
    const part = `${this.path(hash)}.part`;
    const received = existsSync(part) ? statSync(part).size : 0;
    if (received !== size)
      throw new ProtocolError('CONFLICT', `blob has ${received} of ${size} bytes; send the rest before blob.end`);
    const h = createHash('sha256');
    const fd = openSync(part, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null))
        h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    const got = h.digest('hex');
    if (got !== hash) {
      unlinkSync(part);
      throw new ProtocolError('CONFLICT', `uploaded bytes hash to ${got}, not ${hash}; upload discarded`);
    }
    renameSync(part, this.path(hash));
  }

  read(hash: string, offset: number, length: number): Buffer {
    const fd = openSync(this.path(hash), 'r');
    try {
      const buf = Buffer.allocUnsafe(length);
      const n = readSync(fd, buf, 0, length, offset);
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }

  readAll(hash: string): Buffer {
    return readFileSync(this.path(hash));
  }
}
