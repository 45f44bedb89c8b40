/** Loading a profile argument: a built-in name, or a path to a TD's JSON file (which may extend a built-in). */
import { readFile } from 'node:fs/promises';
import { OteError } from '../errors.js';
import { BUILTIN_PROFILES, builtinProfile, resolveProfile, type Profile } from '../plan/profile.js';

export async function loadProfile(arg: string): Promise<Profile> {
  if (BUILTIN_PROFILES[arg.toLowerCase()]) return builtinProfile(arg);
  if (!/\.json$/i.test(arg)) builtinProfile(arg); // throws the "unknown profile" message with the built-in names
  let text: string;
  try {
    text = await readFile(arg, 'utf8');
  } catch (e) {
    throw new OteError(
      'BAD_PROFILE',
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message,
      { file: arg },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new OteError('BAD_PROFILE', `broken JSON: ${(e as Error).message}`, { file: arg });
  }
  return resolveProfile(doc, arg);
}
