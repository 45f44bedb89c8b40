/**
 * What the viewer's server may hand out: a few folders ("mounts"), each under one URL prefix, and nothing else. A
 * request path is decoded, joined to its mount's folder and refused unless the file it names, with every symbolic
 * link followed, is a regular file inside that folder (and, where a mount lists its files, one of them). So `..`,
 * encoded slashes, absolute paths and links pointing out of the folder all stop here: the server never reads a file
 * the user did not ask it to show.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export interface Mount {
  /** URL prefix, starting and ending with '/': '/files/'. */
  prefix: string;
  /** The folder it serves (absolute). */
  root: string;
  /** Sub-folders of root that may be served (relative, '/'-separated); absent: all of root. */
  only?: readonly string[];
  /** Exact files that may be served (absolute, as resolved by `realpathSync`); absent: any file the folders allow. */
  files?: ReadonlySet<string>;
}

export type Resolved =
  | { ok: true; path: string; size: number }
  | { ok: false; status: 400 | 403 | 404; reason: string };

/** True when `path` is `dir` or lies inside it (both absolute and normalised). */
export function isInside(dir: string, path: string): boolean {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r) && r.split(sep)[0] !== '..');
}

/** The real path of `p`, or undefined when it does not exist. */
function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The file a URL path (the part after the mount's prefix, still percent-encoded) names on `mount`, or why not.
 * 400: not decodable or containing NUL or a backslash; 403: outside what the mount allows; 404: no such file.
 */
export function resolveInMount(mount: Mount, encodedRest: string): Resolved {
  let rest: string;
  try {
    rest = decodeURIComponent(encodedRest);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  if (rest.includes('\0') || rest.includes('\\')) return { ok: false, status: 400, reason: 'bad character in path' };
  const root = real(mount.root);
  if (!root) return { ok: false, status: 404, reason: 'not found' };
  const joined = resolve(root, `.${sep}${rest}`);
  if (!isInside(root, joined)) return { ok: false, status: 403, reason: 'outside the served folder' };
  const target = real(joined);
  if (!target) return { ok: false, status: 404, reason: 'not found' };
  // Links are followed, and where they end must still be inside (a link in the output folder to /etc is refused).
  if (!isInside(root, target)) return { ok: false, status: 403, reason: 'outside the served folder' };
  if (mount.only && !mount.only.some((d) => isInside(resolve(root, d), target)))
    return { ok: false, status: 403, reason: 'not a served part of the package' };
  if (mount.files && !mount.files.has(target)) return { ok: false, status: 403, reason: 'not a file of this view' };
  const st = statSync(target);
  if (!st.isFile()) return { ok: false, status: 404, reason: 'not a file' };
  return { ok: true, path: target, size: st.size };
}

/** The mount whose prefix starts `urlPath` (the longest), and the rest of the path after it. */
export function findMount(mounts: readonly Mount[], urlPath: string): { mount: Mount; rest: string } | undefined {
  let best: Mount | undefined;
  for (const m of mounts) if (urlPath.startsWith(m.prefix) && (!best || m.prefix.length > best.prefix.length)) best = m;
  return best && { mount: best, rest: urlPath.slice(best.prefix.length) };
}
