/** What a caller of `optimize()` gives it, and the events it hears back. */
import type { PreparedBake, RawBake } from '../bake/bake.js';
import type { Backend } from '../native/addon.js';
import type { Profile } from '../plan/profile.js';
import type { PathtraceBatch } from '../render/pathtrace.js';
import type { EconomyReport, FarmTaskRecord } from '../report/types.js';
import type { ResultCache } from './cache.js';

export type OptimizeEvent =
  | { type: 'stage'; stage: string; fraction: number; detail?: string }
  | { type: 'log'; message: string };

export interface OptimizeOptions {
  input: string;
  outDir: string;
  profile: Profile;
  profileSource: string;
  /** A running Trust Engine; without it an embedded engine and 3 local nodes are started. */
  engine?: { url: string; apiKey: { id: string; secret: string } };
  /** Skip verification (the report says so and the exit code cannot be 0 for a verified pass). */
  noVerify?: boolean;
  cache: ResultCache;
  backend?: Backend;
  /**
   * Raise lightmap densities where the planned views see a texel over the profile's bake.maxTexelPixels across.
   * optimize() sets it for a second bake when the first failed its own check (rebake.ts); a caller may set it for
   * the first.
   */
  bakeViewFloor?: boolean;
  /** Splat training iterations, overriding the profile's capped by SPLAT_WORK_BOUND (0: ship the direct conversion). */
  splatIterations?: number;
  signal: AbortSignal;
  onEvent: (e: OptimizeEvent) => void;
  /**
   * Traces the laid-out bake (raw pages, before post); default: here, bake/bake.ts traceBake. A farm job's splits
   * it into tasks on other workers (farm/bake-tasks.ts), bit-identical to tracing it here.
   */
  traceBake?: (bake: PreparedBake, onProgress: (f: number) => void) => Promise<RawBake>;
  /**
   * Path-traces the preview's reference and the splats' training targets; default: here, one image after the
   * other (render/pathtrace.ts renderPathtracedBatch). A farm job's spreads their rows over other workers
   * (farm/render-tasks.ts), bit-identical.
   */
  pathtrace?: PathtraceBatch;
  /** On a farm: the tasks this job's work ran as so far, for report.json (where each went, and why). */
  farmTasks?: () => FarmTaskRecord[];
  /** Economy Offline's plan for this run when it was given a deadline (it ran in the plan's window), for report.json. */
  economy?: EconomyReport;
  /**
   * `--self-contained`: the viewer page (one HTML file that needs no server) to carry in report.html, made from the
   * finished output folder (given as its staging path) before it replaces outDir, after a fresh run or a cache hit
   * alike. The cache keeps the plain report. The CLI passes viewer/self-contained.ts here: viewer/ sits above
   * optimize/, which cannot import it.
   */
  viewerPage?: (dir: string) => Promise<string>;
}
