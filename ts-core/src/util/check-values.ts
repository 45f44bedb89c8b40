/**
 * Checks of values read from user files (glTF JSON, engine dumps, certificates): each failure is a BAD_INPUT error
 * that names the file and the field. Pure code: it also runs inside the editor's V8.
 */
import { inputError } from '../errors.js';

/** `min`/`max` are inclusive bounds, `above`/`below` exclusive ones; `int` asks for a whole number. */
export interface Range {
  int?: boolean;
  min?: number;
  max?: number;
  above?: number;
  below?: number;
}

/** Whether finite `n` satisfies every bound of `r`. */
export function inRange(n: number, r: Range): boolean {
  return (
    (!r.int || Number.isInteger(n)) &&
    (r.min === undefined || n >= r.min) &&
    (r.max === undefined || n <= r.max) &&
    (r.above === undefined || n > r.above) &&
    (r.below === undefined || n < r.below)
  );
}

/** The bounds of `r` in words, e.g. ">= 0 and <= 1", for error messages ('' when unbounded). */
export function boundsText(r: Range): string {
  return [
    r.min !== undefined && `>= ${r.min}`,
    r.above !== undefined && `> ${r.above}`,
    r.max !== undefined && `<= ${r.max}`,
    r.below !== undefined && `< ${r.below}`,
  ]
    .filter(Boolean)
    .join(' and ');
}

/**
 * A number (finite in 32-bit float) within `r`, or an error naming the path; undefined passes (glTF default).
 * `who` is appended to the message, e.g. which node uses a light.
 */
export function checkNumber(file: string, path: string, v: unknown, r: Range = {}, who = ''): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) {
    const shown = typeof v === 'number' ? String(v) : JSON.stringify(v),
      overflow = Number.isFinite(v) ? ' in 32-bit float' : '';
    throw inputError(file, path, `${shown} is not a finite number${overflow}${who}`);
  }
  if (!inRange(v, r)) throw inputError(file, path, `${v} is out of range (must be ${boundsText(r)})${who}`);
}

export function checkVector(file: string, path: string, v: unknown, n: number, r: Range = {}, who = ''): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length !== n)
    throw inputError(
      file,
      path,
      `must be an array of ${n} numbers, got ${Array.isArray(v) ? v.length : typeof v}${who}`,
    );
  v.forEach((x, k) => checkNumber(file, `${path}[${k}]`, x, r, who));
}

/** An index into an array of `length` items called `what` (e.g. "accessors"); anything else is an error. */
export function checkIndex(file: string | undefined, path: string, value: unknown, length: number, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= length)
    throw inputError(
      file,
      path,
      `refers to ${what}[${JSON.stringify(value)}], which does not exist (there are ${length})`,
    );
}

/**
 * A rotation quaternion of 4 finite numbers. Exporters round quaternions, so near-unit ones pass (importers
 * normalize them); far from unit length it is not a rotation at all.
 */
export function checkUnitQuaternion(file: string, path: string, q: ArrayLike<number>): void {
  const l = Math.hypot(q[0], q[1], q[2], q[3]);
  if (Math.abs(l - 1) > 0.01)
    throw inputError(file, path, `[${Array.from(q).join(', ')}] is not a unit quaternion (length ${l.toPrecision(4)})`);
}

/** A punctual light as glTF (KHR_lights_punctual) and the engine dumps describe it. */
export interface LightValues {
  type: unknown;
  color?: unknown;
  intensity?: unknown;
  range?: unknown;
  innerConeAngle?: unknown;
  outerConeAngle?: unknown;
}

/**
 * Type, colour, intensity, range and, for spots, the cone (0 <= inner < outer <= pi/2, glTF defaults 0 and pi/4).
 * `at` is the light's path and `cone` the path prefix of its cone angles (`${at}.spot` in glTF, `at` in dumps).
 */
export function checkLight(file: string, at: string, l: LightValues, cone: string, who = ''): void {
  if (!['directional', 'point', 'spot'].includes(l.type as string))
    throw inputError(
      file,
      `${at}.type`,
      `${JSON.stringify(l.type)} is not a KHR_lights_punctual type (directional, point, spot)${who}`,
    );
  checkVector(file, `${at}.color`, l.color, 3, { min: 0 }, who);
  checkNumber(file, `${at}.intensity`, l.intensity, { min: 0 }, who);
  checkNumber(file, `${at}.range`, l.range, { above: 0 }, who);
  if (l.type !== 'spot') return;
  const inner = l.innerConeAngle ?? 0,
    outer = l.outerConeAngle ?? Math.PI / 4;
  checkNumber(file, `${cone}.innerConeAngle`, inner, { min: 0 }, who);
  checkNumber(file, `${cone}.outerConeAngle`, outer, { max: Math.PI / 2 }, who);
  if (!((inner as number) < (outer as number)))
    throw inputError(file, cone, `innerConeAngle ${inner} must be less than outerConeAngle ${outer}${who}`);
}

/** The value at a dotted path (`log.checkpoint.size`) of parsed JSON, or undefined where any step is missing. */
export function valueAt(o: unknown, dotted: string): unknown {
  let v: unknown = o;
  for (const k of dotted.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}
