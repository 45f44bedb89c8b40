/**
 * Pure parsers for the real traces in ../shared/traces (the files are read by io/traces.ts):
 * - grid carbon intensity, `Time,Carbon Intensity` CSV in gCO2eq/kWh, an AVERAGE (location-based) signal from
 *   Wiesner et al., "Let's Wait Awhile", Middleware 2021;
 * - spot availability and preemption, `{metadata: {gap_seconds}, data: [0|1…], prices?}` from Wu et al., "Can't Be
 *   Late", NSDI 2024.
 */
import { OteError } from '../errors.js';
import type { Timeline } from './timeline.js';

export interface CarbonParseOptions {
  /**
   * Offset of the file's clock from UTC, minutes. The files are described as local time, yet they run evenly through
   * both 2020 daylight-saving changes (2020-03-29 02:00–03:00 is present in de_ci.csv and 2020-10-25 02:00 appears
   * once), so their clock is a fixed offset, not a local wall clock. It reads as UTC: Germany's June midday carbon
   * minimum is centred near 11:30 in the file's clock, German solar noon in UTC (13:20 in local summer time).
   */
  offsetMinutes: number;
  /** Longest hole between rows that is bridged by holding the previous value. */
  maxGapMinutes: number;
}

export const CARBON_PARSE_DEFAULTS: CarbonParseOptions = { offsetMinutes: 0, maxGapMinutes: 120 };

const bad = (name: string, message: string) => new OteError('BAD_INPUT', `economy: ${name}: ${message}`);

/** Parses a carbon-intensity CSV into an evenly stepped timeline; rejects long holes, repeats and non-numbers by line. */
export function parseCarbonCsv(
  text: string,
  name = 'carbon.csv',
  opts: CarbonParseOptions = CARBON_PARSE_DEFAULTS,
): Timeline {
  const lines = text.split(/\r?\n/);
  if (!/^Time,Carbon Intensity$/.test(lines[0]?.trim() ?? ''))
    throw bad(name, `line 1: expected header "Time,Carbon Intensity", got ${JSON.stringify(lines[0])}`);
  const times: number[] = [],
    values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?),([^,]+)$/.exec(line);
    if (!m) throw bad(name, `line ${i + 1}: expected "YYYY-MM-DD hh:mm:ss,<number>", got ${JSON.stringify(line)}`);
    const t = Date.parse(`${m[1]}T${m[2].length === 5 ? `${m[2]}:00` : m[2]}Z`) - opts.offsetMinutes * 60_000;
    const v = Number(m[3]);
    if (!Number.isFinite(t)) throw bad(name, `line ${i + 1}: bad time ${JSON.stringify(m[1])}`);
    if (!Number.isFinite(v) || v < 0) throw bad(name, `line ${i + 1}: carbon intensity must be a number >= 0`);
    times.push(t);
    values.push(v);
  }
  if (times.length < 2) throw bad(name, 'needs at least two rows');
  // The files change their step (gb_ci.csv goes from 30 to 15 minutes in October 2020; de_ci.csv misses two rows),
  // so each row holds until the next one and the timeline steps by the smallest gap. Longer holes are refused.
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i] - times[i - 1];
    if (gap <= 0) throw bad(name, `line ${i + 2}: time does not increase`);
    if (gap > opts.maxGapMinutes * 60_000)
      throw bad(name, `line ${i + 2}: ${gap / 60_000} min since the previous row (at most ${opts.maxGapMinutes})`);
    step = Math.min(step, gap);
  }
  const n = Math.round((times[times.length - 1] - times[0]) / step) + 1;
  const held = new Float64Array(n);
  for (let i = 0; i < times.length; i++) {
    const a = (times[i] - times[0]) / step;
    if (!Number.isInteger(a)) throw bad(name, `line ${i + 2}: not on the ${step / 60_000}-min grid`);
    const b = i + 1 < times.length ? (times[i + 1] - times[0]) / step : n;
    held.fill(values[i], a, b);
  }
  return { startMs: times[0], stepMs: step, values: held, unit: 'gCO2eq/kWh' };
}

export interface SpotTrace {
  /** 1 where a spot instance could be had or kept, 0 where not. */
  availability: Timeline;
  /** USD per hour per tick, where the file has them. */
  prices?: Timeline;
}

/** Parses a spot trace; `startMs` is when its first tick was recorded (the traces give only the folder's date). */
export function parseSpotTrace(text: string, name: string, startMs: number): SpotTrace {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(name, `not JSON (${(e as Error).message})`);
  }
  const d = doc as { metadata?: { gap_seconds?: unknown }; data?: unknown; prices?: unknown };
  const gap = d.metadata?.gap_seconds;
  if (typeof gap !== 'number' || !(gap > 0)) throw bad(name, 'metadata.gap_seconds: must be a number > 0');
  if (!Array.isArray(d.data) || d.data.length === 0) throw bad(name, 'data: must be a non-empty array');
  const data = d.data as unknown[];
  data.forEach((v, i) => {
    if (v !== 0 && v !== 1) throw bad(name, `data[${i}]: must be 0 or 1, got ${JSON.stringify(v)}`);
  });
  const stepMs = gap * 1000;
  const out: SpotTrace = {
    availability: { startMs, stepMs, values: Float64Array.from(data as number[]), unit: 'spot available' },
  };
  if (d.prices !== undefined) {
    if (!Array.isArray(d.prices) || d.prices.some((p) => typeof p !== 'number' || !(p >= 0)))
      throw bad(name, 'prices: must be an array of numbers >= 0');
    out.prices = { startMs, stepMs, values: Float64Array.from(d.prices as number[]), unit: 'USD/h' };
  }
  return out;
}

/** Carbon timelines by region from each region's CSV text (io/traces.ts reads them). */
export function parseCarbonTraces(
  files: Record<string, { name: string; text: string }>,
  opts: CarbonParseOptions = CARBON_PARSE_DEFAULTS,
): Record<string, Timeline> {
  return Object.fromEntries(Object.entries(files).map(([r, f]) => [r, parseCarbonCsv(f.text, f.name, opts)]));
}
