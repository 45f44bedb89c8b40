/**
 * Range checks for values read from user files (glTF JSON, engine dumps): each failure is a BAD_INPUT error that
 * names the file and the field. Pure code: it also runs inside the editor's V8.
 */
import { inputError } from '../errors.js';

/** min / max are inclusive bounds, above an exclusive lower bound. */
export interface Range { min?: number; max?: number; above?: number }

/**
 * A number (finite in 32-bit float) within `r`, or an error naming the path; undefined passes (glTF default).
 * `who` is appended to the message, e.g. which node uses a light.
 */
export function checkNumber(file: string, path: string, v: unknown, r: Range = {}, who = ''): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw inputError(file, path, `${typeof v === 'number' ? String(v) : JSON.stringify(v)} is not a finite number${who}`);
  if ((r.min !== undefined && v < r.min) || (r.max !== undefined && v > r.max) || (r.above !== undefined && v <= r.above)) {
    const lo = r.above !== undefined ? `> ${r.above}` : r.min !== undefined ? `>= ${r.min}` : '';
    const hi = r.max !== undefined ? `<= ${r.max}` : '';
    throw inputError(file, path, `${v} is out of range (must be ${[lo, hi].filter(Boolean).join(' and ')})${who}`);
  }
}

export function checkVector(file: string, path: string, v: unknown, n: number, r: Range = {}, who = ''): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length !== n) throw inputError(file, path, `must be an array of ${n} numbers${who}`);
  v.forEach((x, k) => checkNumber(file, `${path}[${k}]`, x, r, who));
}
