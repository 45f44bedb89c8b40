/**
 * Reads the real scheduling traces in place (../shared/traces, see its SOURCES.md) as text; economy/traces.ts parses
 * them (io stays below the economy layer, so it hands over text, not timelines). Carbon intensity: Wiesner et al.,
 * Middleware 2021. Spot: Wu et al., NSDI 2024.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A trace file's name (for messages) and its text. */
export interface TraceText {
  name: string;
  text: string;
}

/** `<dir>/carbon/<region>_ci.csv` (region: gb, de or fr). */
export function readCarbonCsv(dir: string, region: string): TraceText {
  const file = join(dir, 'carbon', `${region}_ci.csv`);
  return { name: basename(file), text: readFileSync(file, 'utf8') };
}

/** A spot trace (a JSON file under `<dir>/spot/`). */
export function readSpotJson(file: string): TraceText {
  return { name: basename(file), text: readFileSync(file, 'utf8') };
}

/**
 * Where the shared traces are when no directory is given: `../shared/traces` beside the checkout that holds this
 * package (the project's layout; see ../shared/traces/SOURCES.md). Undefined when there is none.
 */
export function defaultTracesDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const traces = join(dir, '..', 'shared', 'traces');
      return existsSync(join(traces, 'carbon')) ? traces : undefined;
    }
    dir = dirname(dir);
  }
  return undefined;
}

/** The spot availability trace planners take their expectation from (one AWS V100 zone, 45 days from 2023-02-15). */
export function defaultSpotFile(dir: string): string {
  return join(dir, 'spot', 'availability', '1-node', 'aws-02-15-2023', 'us-east-1a_v100_1.json');
}
