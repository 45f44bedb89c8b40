/**
 * `--measure` of `ote view` and `ote optimize`: the frame time of the input lit live against the optimized scene in
 * headless Chromium (viewer/measure.ts), written into the output folder's report.json (`runtime`) and report.html's
 * gain line, each under a new name renamed into place. A report.html that carries the viewer (--self-contained)
 * keeps it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { writeReportHtml } from '../optimize/report-html-file.js';
import { frameCost, gainLine } from '../report/runtime-line.js';
import type { OptimizeReport, ViewerRuntime } from '../report/types.js';
import { MEASURE_DEFAULTS, measureViewer } from '../viewer/measure.js';
import { selfContainedViewer } from '../viewer/self-contained.js';
import { resolveViewTarget } from '../viewer/target.js';
import { numberFlag, UsageError } from './args.js';

/** The flags, for a command's parse() table. */
export const MEASURE_FLAGS = {
  measure: { type: 'boolean' },
  frames: { type: 'string' },
  rounds: { type: 'string' },
  size: { type: 'string' },
} as const;
export const MEASURE_USAGE = '[--measure [--frames 60] [--rounds 3] [--size 512]]';

export interface MeasureFlags {
  frames: number;
  rounds: number;
  size: number;
}

/**
 * The measure flags checked, or undefined without --measure. Checked before any work: a missing Chromium is a usage
 * error now rather than after a long optimize run.
 */
export function measureFlags(values: {
  measure?: boolean;
  frames?: string;
  rounds?: string;
  size?: string;
}): MeasureFlags | undefined {
  if (!values.measure) {
    if ((values.frames ?? values.rounds ?? values.size) !== undefined)
      throw new UsageError('--frames, --rounds and --size go with --measure');
    return undefined;
  }
  const chromium = MEASURE_DEFAULTS.chromium;
  if (!existsSync(chromium))
    throw new UsageError(`--measure needs Chromium, not found at ${chromium} (install it, or set OTE_CHROMIUM)`);
  return {
    frames: numberFlag(values.frames, 'frames', MEASURE_DEFAULTS.frames, { int: true, min: 1, max: 10_000 }),
    rounds: numberFlag(values.rounds, 'rounds', MEASURE_DEFAULTS.rounds, { int: true, min: 1, max: 100 }),
    size: numberFlag(values.size, 'size', MEASURE_DEFAULTS.size, { int: true, min: 16, max: 4096 }),
  };
}

/**
 * Measures the output folder `outDir` (against `input`, else the input scene its report names) and writes the result
 * into its report; returns it with the report's lines.
 */
export async function measureIntoReport(
  outDir: string,
  flags: MeasureFlags,
  onProgress: (done: number, total: number) => void,
  input?: string,
): Promise<{ runtime: ViewerRuntime; line: string; cost: string; reportFile: string }> {
  const target = resolveViewTarget(outDir, { input });
  if (target.kind !== 'folder' || !target.report)
    throw new UsageError('--measure needs an output folder of ote optimize (with its report.json)');
  if (!target.input)
    throw new UsageError(`--measure compares with the input scene, which is missing: ${target.inputMissing}`);
  const runtime = await measureViewer(target, { ...flags, onProgress });
  const reportFile = join(target.root, 'report.json');
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as OptimizeReport;
  report.runtime = runtime;
  await writeFileAtomic(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  const htmlFile = join(target.root, 'report.html');
  const withViewer = existsSync(htmlFile) && (await readFile(htmlFile, 'utf8')).includes('<iframe class="viewer"');
  await writeReportHtml(
    target.root,
    report,
    withViewer ? async (dir) => (await selfContainedViewer(resolveViewTarget(dir), dir)).html : undefined,
  );
  return { runtime, line: gainLine(report), cost: frameCost(runtime), reportFile };
}
