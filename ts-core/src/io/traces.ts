/**
 * Reads the real scheduling traces in place (../shared/traces, see its SOURCES.md) as text; economy/traces.ts parses
 * them (io stays below the economy layer, so it hands over text, not timelines). Carbon intensity: Wiesner et al.,
 * Middleware 2021. Spot: Wu et al., NSDI 2024.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

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
