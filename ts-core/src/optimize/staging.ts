/**
 * The output directory is built beside its destination and swapped in at the end, so a run that fails or is
 * cancelled leaves the user's directory exactly as it was, and a finished run replaces it in one step.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export class StagedDirectory {
  readonly path: string;
  private committed = false;

  private constructor(
    readonly target: string,
    staging: string,
  ) {
    this.path = staging;
  }

  static async create(target: string): Promise<StagedDirectory> {
    const abs = resolve(target);
    const staging = join(dirname(abs), `.${basename(abs)}.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    return new StagedDirectory(abs, staging);
  }

  /** Swap the staged directory into place. An existing target is moved aside first and removed only after. */
  async commit(): Promise<void> {
    if (this.committed) return;
    const existing = await stat(this.target).then(
      (s) => s,
      () => undefined,
    );
    if (existing && !existing.isDirectory()) throw new Error(`${this.target} exists and is not a directory`);
    const aside = `${this.path}.previous`;
    if (existing) await rename(this.target, aside);
    try {
      await rename(this.path, this.target);
    } catch (e) {
      if (existing) await rename(aside, this.target); // put the user's directory back
      throw e;
    }
    this.committed = true;
    if (existing) await rm(aside, { recursive: true, force: true });
  }

  /** Remove the staging directory (after a failure or cancellation); the target is untouched. */
  async discard(): Promise<void> {
    if (!this.committed) await rm(this.path, { recursive: true, force: true });
  }
}
