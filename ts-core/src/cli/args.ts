/** Argument parsing for `ote` commands: node:util parseArgs with errors that say which flag is wrong. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OteError } from '../errors.js';
import { boundsText, inRange, type Range } from '../util/check-values.js';
import { parseDeadlineMs } from '../util/duration.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** What a numeric flag accepts (the same bounds as values read from files). */
export type NumberRange = Range;

/** Image width and height in pixels. */
export const IMAGE_SIZE: NumberRange = { int: true, min: 1, max: 16384 };

/** The range in words, for the error: "an integer from 1 to 1024", "a number > 0". */
function describe(r: NumberRange): string {
  const what = r.int ? 'an integer' : 'a number';
  if (r.min !== undefined && r.max !== undefined) return `${what} from ${r.min} to ${r.max}`;
  const bounds = boundsText(r);
  return bounds ? `${what} ${bounds}` : what;
}

/** The flag's value as a number in `range`, `fallback` when absent; otherwise a usage error saying what is accepted. */
export function numberFlag(value: string | undefined, name: string, fallback: number, range: NumberRange = {}): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || !inRange(n, range))
    throw new UsageError(`--${name} must be ${describe(range)}, got "${value}"`);
  return n;
}

/** A flag that takes one of `choices`; `fallback` when absent. */
export function choiceFlag<T extends string>(
  value: string | undefined,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

/** `--deadline 8h` (after `nowMs`) or an ISO 8601 date-time with its zone, in ms. */
export function deadlineFlag(value: string, nowMs: number, name = 'deadline'): number {
  const ms = parseDeadlineMs(value, nowMs);
  if (ms === undefined)
    throw new UsageError(
      `--${name} must be a duration such as 8h or 1d12h, or an ISO 8601 date-time with its zone, got "${value}"`,
    );
  return ms;
}

export function requirePositional(positionals: string[], i: number, what: string): string {
  const v = positionals[i];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

export { OteError };
