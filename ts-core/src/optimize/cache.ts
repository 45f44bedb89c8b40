/**
 * Results are reused by content hash: the key of a stage is the SHA-256 of everything its output depends on
 * (input scene hash, the profile fields it reads, the tool version). Re-running on an unchanged scene is instant.
 * Entries are whole directories written through a staging rename, so a crash never leaves a partial entry.
 * What an entry's report.json says about the run that made it (where the input was, when, how) is not part of the
 * key: a hit rewrites those fields for the run that reuses it (reportForThisRun), and the entry stays as it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonPath } from '../native/addon.js';
import type { EconomyReport, FarmTaskRecord, OptimizeReport } from '../report/types.js';
import { canonicalJson } from '../scene/hash.js';

export const CACHE_VERSION = 'ote-cache-v1';

export function defaultCacheDir(): string {
  return process.env.OTE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ote');
}

let fingerprint: Promise<string> | undefined;

/**
 * What the running build computes with: a hash of the compiled TypeScript (the tree this module is in) and of the
 * native addon. Part of every key, so that a result cached by an earlier build is not served after an upgrade or
 * a rebuild (the tool's version string alone was not bumped with each change of output). About 12 MB read once.
 */
export function buildFingerprint(): Promise<string> {
  fingerprint ??= (async () => {
    const h = createHash('sha256');
    const root = dirname(dirname(fileURLToPath(import.meta.url)));
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.js')).sort();
    for (const f of files) h.update(f).update(await readFile(join(root, f)));
    return h.update(await readFile(addonPath())).digest('hex');
  })();
  return fingerprint;
}

export function cacheKey(stage: string, parts: unknown): string {
  return createHash('sha256')
    .update(`${CACHE_VERSION}|${stage}|${canonicalJson(parts)}`)
    .digest('hex');
}

export class ResultCache {
  constructor(
    readonly dir: string,
    readonly enabled = true,
  ) {}

  private entry(key: string): string {
    return join(this.dir, key.slice(0, 2), key);
  }

  /** The directory of a cached result, or undefined. */
  async get(key: string): Promise<string | undefined> {
    if (!this.enabled) return undefined;
    const p = this.entry(key);
    return (await stat(join(p, '.complete')).then(
      () => true,
      () => false,
    ))
      ? p
      : undefined;
  }

  /** Store the files of `fromDir` under `key` (copied, then renamed into place). */
  async put(key: string, fromDir: string): Promise<void> {
    if (!this.enabled) return;
    const final = this.entry(key);
    const tmp = `${final}.tmp-${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { recursive: true });
    try {
      await cp(fromDir, tmp, { recursive: true });
      await writeFile(join(tmp, '.complete'), new Date().toISOString());
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }
}

/** What a run that reuses a cached result knows about itself (OptimizeOptions and its import stage). */
export interface ThisRun {
  /** The input path as given now (the cached report has the path of the run that made the entry). */
  input: string;
  profileSource: string;
  /** The import stage's warnings for this file. */
  warnings?: string[];
  economy?: EconomyReport;
  farmTasks?: () => FarmTaskRecord[];
  now?: Date;
}

/**
 * The cached report as this run's: the per-run fields (input.file, input.warnings, createdAt, profile.source, the
 * economy plan and farm tasks) are this run's, and every stage's timing is marked cached (its seconds stay what the
 * stage took when it ran). What the result is (hash, plan, metrics, outputs, exit) is the entry's, unchanged.
 */
export function reportForThisRun(cached: OptimizeReport, run: ThisRun): OptimizeReport {
  const report: OptimizeReport = {
    ...cached,
    createdAt: (run.now ?? new Date()).toISOString(),
    input: { ...cached.input, file: run.input, warnings: run.warnings ?? cached.input.warnings },
    profile: { ...cached.profile, source: run.profileSource },
    timings: cached.timings.map((t) => ({ ...t, cached: true })),
    farm: run.farmTasks ? { tasks: run.farmTasks() } : undefined,
    economy: run.economy,
  };
  if (!report.farm) delete report.farm;
  if (!report.economy) delete report.economy;
  return report;
}
