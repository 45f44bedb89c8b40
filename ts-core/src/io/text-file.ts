/** Reads a small text input (a pool file, a jobs file) whole; a file that cannot be read is a BAD_INPUT naming it. */
import { readFileSync } from 'node:fs';
import { OteError } from '../errors.js';

export function readTextFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new OteError(
      'BAD_INPUT',
      `${what}: ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

/** Reads and parses a JSON input; a syntax error names the file. */
export function readJsonFile(file: string, what: string): unknown {
  const text = readTextFile(file, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OteError('BAD_INPUT', `${what}: ${file}: not JSON (${(e as Error).message})`);
  }
}
