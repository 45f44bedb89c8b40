/**
 * What `ote view <outdir|file>` shows, worked out before the server starts so that bad input fails at once with the
 * path (and the report field) named: an output folder of `ote optimize` (its scene.glb, splats, report and images,
 * and the input scene the report names, for the before view), or one scene or splat file alone.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { OteError } from '../errors.js';
import { isInside } from './mounts.js';
import { checkViewerReport, type ViewerReport } from './report-fields.js';

export const SCENE_EXTENSIONS = ['.glb', '.gltf'] as const;
export const SPLAT_EXTENSIONS = ['.spz', '.ply', '.splat'] as const;

/** A file the page loads: where it is on disk and the URL the server gives it. */
export interface ServedFile {
  path: string;
  url: string;
}

export interface ViewTarget {
  /** 'folder': an output folder; 'file': one scene or splat file. */
  kind: 'folder' | 'file';
  /** The folder served under /files/ (the output folder, or the file's folder). */
  root: string;
  /** With kind 'file', the only files of root that may be served: the file and, for .gltf, what it references. */
  rootFiles?: string[];
  scene?: ServedFile;
  splats?: ServedFile;
  report?: ViewerReport & { url: string };
  images: { before?: string; after?: string; flip?: string };
  /** The input scene of the run (the before view): its file and what it references. */
  input?: ServedFile & { files: string[] };
  /** Why the before view is not offered, when a report names an input that cannot be found. */
  inputMissing?: string;
  warnings: string[];
}

const badInput = (file: string, message: string, path?: string) => new OteError('BAD_INPUT', message, { file, path });

/**
 * The files a .gltf references by relative URI (buffers, images), resolved and kept inside its folder; data: URIs
 * and absolute URLs are not files. References that leave the folder are dropped with a warning.
 */
export function gltfResources(file: string, warnings: string[]): string[] {
  if (extname(file).toLowerCase() !== '.gltf') return [];
  let json: { buffers?: { uri?: unknown }[]; images?: { uri?: unknown }[] };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw badInput(file, `not a readable glTF JSON file: ${(e as Error).message}`);
  }
  const dir = dirname(file);
  const out: string[] = [];
  const refs = [
    ...(json.buffers ?? []).map((b, i) => [`buffers[${i}].uri`, b?.uri] as const),
    ...(json.images ?? []).map((b, i) => [`images[${i}].uri`, b?.uri] as const),
  ];
  for (const [where, uri] of refs) {
    if (typeof uri !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(uri)) continue;
    let p: string;
    try {
      p = resolve(dir, decodeURIComponent(uri));
    } catch {
      warnings.push(`${file}: ${where}: "${uri}" is not a valid URI`);
      continue;
    }
    if (!isInside(dir, p) || p === dir) {
      warnings.push(`${file}: ${where}: "${uri}" is outside the file's folder and is not served`);
      continue;
    }
    out.push(p);
  }
  return out;
}

function readReport(file: string): ViewerReport {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw badInput(file, `not a readable JSON report: ${(e as Error).message}`);
  }
  const checked = checkViewerReport(json);
  if (typeof checked === 'string') {
    const [field, ...what] = checked.split(': ');
    throw badInput(file, what.join(': '), field);
  }
  return checked;
}

/**
 * Where the report's input scene is: as written (absolute, or relative to where `ote view` runs), else beside the
 * output folder (the usual `ote optimize c.glb -o out/c` run from the same place), else inside it.
 */
function findInput(report: { file: string }, outDir: string, override?: string): string | undefined {
  const f = override ?? report.file;
  const candidates = isAbsolute(f) ? [f] : [resolve(f), resolve(dirname(outDir), f), resolve(outDir, f)];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** The served file list of a folder target: which splat file to show (SPZ first: the smallest). */
function pickSplats(dir: string, listed: readonly string[]): string | undefined {
  const names = listed.length ? listed : ['splats.spz', 'splats.ply', 'splats.splat'];
  const order = (n: string) => SPLAT_EXTENSIONS.indexOf(extname(n).toLowerCase() as (typeof SPLAT_EXTENSIONS)[number]);
  return [...names].filter((n) => order(n) >= 0 && existsSync(join(dir, n))).sort((a, b) => order(a) - order(b))[0];
}

/** What to show for the command's argument; throws BAD_INPUT naming the path when there is nothing to show. */
export function resolveViewTarget(arg: string, opts: { input?: string } = {}): ViewTarget {
  const path = resolve(arg);
  if (!existsSync(path)) throw badInput(arg, 'no such file or folder');
  const warnings: string[] = [];
  const st = statSync(path);
  if (st.isFile()) {
    const ext = extname(path).toLowerCase();
    const isScene = (SCENE_EXTENSIONS as readonly string[]).includes(ext);
    const isSplat = (SPLAT_EXTENSIONS as readonly string[]).includes(ext);
    if (!isScene && !isSplat)
      throw badInput(
        arg,
        `cannot view a ${ext || 'file without an extension'}: give an ote optimize output folder, a scene (${SCENE_EXTENSIONS.join(', ')}) or splats (${SPLAT_EXTENSIONS.join(', ')})`,
      );
    const served: ServedFile = { path, url: `/files/${encodeURIComponent(basename(path))}` };
    return {
      kind: 'file',
      root: dirname(path),
      rootFiles: [path, ...gltfResources(path, warnings)],
      ...(isScene ? { scene: served } : { splats: served }),
      images: {},
      warnings,
    };
  }
  if (!st.isDirectory()) throw badInput(arg, 'neither a file nor a folder');
  const sceneFile = join(path, 'scene.glb');
  if (!existsSync(sceneFile))
    throw badInput(
      arg,
      'no scene.glb in this folder: give the output folder of ote optimize (-o), or a scene or splat file',
    );
  const target: ViewTarget = {
    kind: 'folder',
    root: path,
    scene: { path: sceneFile, url: '/files/scene.glb' },
    images: {},
    warnings,
  };
  const reportFile = join(path, 'report.json');
  if (existsSync(reportFile)) target.report = { ...readReport(reportFile), url: '/files/report.json' };
  else warnings.push(`${arg}: no report.json: no report cameras, exposure 0, no before view`);
  const splats = pickSplats(path, target.report?.outputs.splats ?? []);
  if (splats) target.splats = { path: join(path, splats), url: `/files/${encodeURIComponent(splats)}` };
  for (const [key, name] of [
    ['before', 'before.png'],
    ['after', 'after.png'],
    ['flip', 'flip.png'],
  ] as const)
    if (existsSync(join(path, name))) target.images[key] = `/files/${name}`;
  if (target.report || opts.input) {
    const input = target.report
      ? findInput(target.report.input, path, opts.input)
      : opts.input && existsSync(opts.input)
        ? resolve(opts.input)
        : undefined;
    if (input)
      target.input = {
        path: input,
        url: `/input/${encodeURIComponent(basename(input))}`,
        files: [input, ...gltfResources(input, warnings)],
      };
    else
      target.inputMissing = `the input scene "${opts.input ?? target.report?.input.file}" was not found (relative to here, beside or inside ${arg}); pass --input FILE`;
  }
  return target;
}
