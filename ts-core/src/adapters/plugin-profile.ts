/**
 * Which profile the editor plugins run (issue #22, "Profiles"): one setting drives the Optimize button, Unreal's
 * commandlet and Unity's -executeMethod alike. It is a small JSON file in the project, `{"profile": "quality"}` or
 * `{"profile": "Tools/our-studio.json"}` (Unreal: Config/OptimizerProfile.json; Unity:
 * ProjectSettings/OptimizerProfile.json), so it is versioned with the project and a TD edits it as any other
 * setting. A value ending in .json is a TD file, relative to the project; anything else is a built-in profile's
 * name, which `ote` checks (and lists the names when it is unknown). Without the file: BALANCED.
 * Pure: runs in Puerts' V8.
 */
import { OteError } from '../errors.js';
import { type LevelSky, levelProfile } from './sky.js';

export const PLUGIN_PROFILE_DEFAULTS = { profile: 'balanced' } as const;

/** The profile a setting file names (its text, or undefined when the project has none). */
export function profileSetting(text: string | undefined, file: string): string {
  if (text === undefined) return PLUGIN_PROFILE_DEFAULTS.profile;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new OteError('BAD_PROFILE', `broken JSON: ${(e as Error).message}`, { file });
  }
  const p = (doc as { profile?: unknown } | null)?.profile;
  if (typeof p !== 'string' || p.trim() === '')
    throw new OteError('BAD_PROFILE', 'profile must be a built-in profile name or a TD file (.json)', {
      file,
      path: 'profile',
    });
  return p.trim();
}

/** Whether a profile setting names a TD file rather than a built-in profile. */
export const isProfileFile = (profile: string): boolean => /\.json$/i.test(profile);

/** A TD file's path against the project's folder (absolute paths, POSIX or Windows, stay as they are). */
export function projectPath(projectDir: string, path: string): string {
  return /^([a-zA-Z]:)?[\\/]/.test(path) ? path : `${projectDir.replace(/[\\/]+$/, '')}/${path}`;
}

export interface PluginProfileInputs {
  /** The project's folder and its setting file; `read` gives a file's text, undefined where there is none. */
  project: string;
  settingFile: string;
  read: (path: string) => string | undefined;
  /** The level's sky (sky.ts) and name, and where the profile that carries the sky is written. */
  sky: LevelSky | undefined;
  level: string;
  levelProfileFile: string;
}

/**
 * The `--profile` argument the plugin passes, and the file it writes first: `levelProfileFile`, holding the chosen
 * built-in profile (extended) or TD file (copied) with the level's sky set where it has one, and the lightmap pages
 * as float EXR (`bake.encoding: hdr`), which the write-back imports (adapters/lightmap-write-back.ts). Only a TD
 * file that already asks for HDR pages and gets no sky runs as it is.
 */
export function pluginProfile(o: PluginProfileInputs): { profile: string; write?: { path: string; json: string } } {
  const chosen = profileSetting(o.read(o.settingFile), o.settingFile);
  const tdFile = isProfileFile(chosen) ? projectPath(o.project, chosen) : undefined;
  let td: Record<string, unknown> | undefined;
  if (tdFile) {
    const text = o.read(tdFile);
    if (text === undefined)
      throw new OteError('BAD_PROFILE', `${tdFile} does not exist`, { file: o.settingFile, path: 'profile' });
    try {
      td = JSON.parse(text);
    } catch (e) {
      throw new OteError('BAD_PROFILE', `broken JSON: ${(e as Error).message}`, { file: tdFile });
    }
  }
  const withSky = levelProfile(chosen, td, o.sky, o.level) as Record<string, unknown> | undefined;
  const doc = withSky ?? (td ? { ...td } : { name: chosen.toUpperCase(), extends: chosen });
  const bake = (doc.bake ?? {}) as Record<string, unknown>;
  if (tdFile && !withSky && bake.encoding === 'hdr') return { profile: tdFile };
  doc.bake = { ...bake, encoding: 'hdr' };
  return { profile: o.levelProfileFile, write: { path: o.levelProfileFile, json: JSON.stringify(doc, null, 2) } };
}
