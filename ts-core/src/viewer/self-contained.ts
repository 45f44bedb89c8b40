/**
 * The viewer as one HTML file that works opened from disk, with no server and no network, so that a result can be
 * mailed (issue 21): `ote view <outdir> --self-contained` writes it, and `ote optimize --self-contained` embeds it
 * in report.html. It is viewer/index.html with its stylesheet inlined, the bundled browser code (bundle.ts: three.js,
 * the MOZ_lightmap plugin, our tone curve, Spark only when there are splats) as an inline module script, and every
 * file the `ote view` server would hand out (scene, splats, report, the report's images, the input scene for the
 * before view) as base64 in non-executed <script> elements that the boot module (boot.ts) turns into blob: URLs.
 * A Content-Security-Policy in the page allows that script (by its hash), blob: and data: URLs, and nothing else:
 * even a mail client's preview cannot make it reach the network.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { OteError } from '../errors.js';
import { encodeSplats, loadSplats } from '../io/splat-formats.js';
import { formatBytes } from '../util/format-bytes.js';
import { EMBEDDED_FILE_TYPE, EMBEDDED_URL_PREFIX, MANIFEST_ELEMENT_ID } from './boot.js';
import { viewerBundle } from './bundle.js';
import { viewerManifest } from './manifest.js';
import { viewerPageDir } from './server.js';
import type { ViewTarget } from './target.js';

/**
 * The largest input scene embedded for the before view. A mailed page should stay mailable; over this the page
 * says why there is no before view (`ote view` serves it from disk instead).
 */
export const MAX_EMBEDDED_INPUT_BYTES = 16 * 1024 * 1024;

const MIME: Record<string, string> = {
  '.glb': 'model/gltf-binary',
  '.gltf': 'model/gltf+json',
  '.json': 'application/json',
  '.png': 'image/png',
};

export interface SelfContainedPage {
  html: string;
  /** The files embedded, by name, and their size on disk (bytes). */
  embedded: { name: string; bytes: number }[];
  /** Whether Spark is in the page (only when there are splats). */
  withSplats: boolean;
  /** Why the page has no before view, when the input was found but not embedded (or not found). */
  inputMissing?: string;
}

/** What a page may embed as the input scene, or why not. */
function embeddableInput(t: ViewTarget): string | undefined {
  const input = t.input!;
  if (input.files.length > 1)
    return `the input scene ${basename(input.path)} references ${input.files.length - 1} other file(s), and a self-contained page embeds only a single-file input (.glb); ote view shows the before view`;
  const size = statSync(input.path).size;
  if (size > MAX_EMBEDDED_INPUT_BYTES)
    return `the input scene ${basename(input.path)} is ${formatBytes(size)}, over the ${formatBytes(MAX_EMBEDDED_INPUT_BYTES)} a self-contained page embeds; ote view shows the before view`;
  return undefined;
}

/** `text` with `find` replaced once; throws naming viewer/index.html when it is not there (the page changed). */
function replaceOnce(text: string, find: RegExp, by: string, what: string): string {
  if (!find.test(text))
    throw new OteError('BAD_INPUT', `expected ${what} to replace for a self-contained page`, {
      file: join(viewerPageDir(), 'index.html'),
    });
  return text.replace(find, () => by);
}

/** JSON that can sit inside a <script> element: no `<` to end it early. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The page's Content-Security-Policy: the inline app script by its hash; blob: and data: URLs; nothing else. */
export function selfContainedPolicy(script: string): string {
  const hash = createHash('sha256').update(script).digest('base64');
  return [
    "default-src 'none'",
    `script-src 'sha256-${hash}' 'wasm-unsafe-eval' blob:`,
    'worker-src blob:',
    'img-src blob: data:',
    'connect-src blob: data:',
    "style-src 'unsafe-inline'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * The self-contained page for a view target (target.ts), titled `title` (what `ote view` would show). Throws
 * BAD_INPUT naming the file when a file of the view cannot be read.
 */
export async function selfContainedViewer(target: ViewTarget, title: string): Promise<SelfContainedPage> {
  let inputMissing = target.inputMissing;
  const t: ViewTarget = { ...target };
  if (t.input) {
    const why = embeddableInput(t);
    if (why) {
      t.input = undefined;
      inputMissing = why;
    }
  }
  const manifest = viewerManifest({ ...t, inputMissing }, title);
  const files: { id: string; name: string; path: string; dataUrl?: boolean; bytes?: Uint8Array }[] = [];
  const embed = (path: string, o: { dataUrl?: boolean; bytes?: Uint8Array; name?: string } = {}) => {
    const id = `ote-file-${files.length}`;
    files.push({ id, name: o.name ?? basename(path), path, dataUrl: o.dataUrl, bytes: o.bytes });
    return `${EMBEDDED_URL_PREFIX}${id}`;
  };
  /** The file on disk behind one of the server's URLs (manifest.ts gives only URLs). */
  const served = (url: string) => join(t.root, decodeURIComponent(url.replace(/^\/files\//, '')));
  if (manifest.scene && t.scene) manifest.scene.url = embed(t.scene.path);
  // Spark reads the splats in a worker, which cannot read the page's blob: URLs from disk (boot.ts), and knows a
  // .splat file (no magic number) only by the extension of its URL, which a data: URL has not: it gets PLY.
  if (manifest.splats && t.splats) {
    const p = t.splats.path;
    manifest.splats.url = embed(
      p,
      extname(p).toLowerCase() === '.splat'
        ? { dataUrl: true, bytes: encodeSplats(await loadSplats(p), 'ply'), name: `${basename(p)}.ply` }
        : { dataUrl: true },
    );
  }
  if (manifest.input && t.input) manifest.input.url = embed(t.input.path);
  if (manifest.report) manifest.report.url = embed(served(manifest.report.url));
  for (const key of ['before', 'after', 'flip'] as const) {
    const url = manifest.images[key];
    if (url) manifest.images[key] = embed(served(url));
  }

  const page = viewerPageDir();
  const withSplats = !!t.splats;
  const script = await viewerBundle(withSplats);
  const css = readFileSync(join(page, 'viewer.css'), 'utf8');
  if (/<\/style/i.test(css)) throw new OteError('BAD_INPUT', 'contains "</style"', { file: join(page, 'viewer.css') });
  let html = readFileSync(join(page, 'index.html'), 'utf8');
  html = html.replace(/<!--[\s\S]*?-->\s*/g, '');
  html = replaceOnce(html, /<script type="importmap">[\s\S]*?<\/script>\s*/, '', 'the import map');
  html = replaceOnce(
    html,
    /<link rel="stylesheet" href="\/viewer\/viewer\.css">/,
    `<style>\n${css}</style>`,
    'the viewer.css link',
  );
  html = replaceOnce(
    html,
    /<script type="module" src="\/viewer\/app\.js"><\/script>/,
    `<script type="module">${script}</script>`,
    'the app.js script',
  );
  html = replaceOnce(
    html,
    /<meta charset="utf-8">/i,
    `<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="${attr(selfContainedPolicy(script))}">\n<meta name="generator" content="ote view --self-contained">`,
    'the charset meta',
  );
  const embedded: SelfContainedPage['embedded'] = [];
  const data = [`<script type="application/json" id="${MANIFEST_ELEMENT_ID}">${scriptJson(manifest)}</script>`];
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = f.bytes ? Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength) : readFileSync(f.path);
    } catch (e) {
      throw new OteError('BAD_INPUT', `cannot embed it in a self-contained page: ${(e as Error).message}`, {
        file: f.path,
      });
    }
    embedded.push({ name: f.name, bytes: bytes.length });
    const type = MIME[extname(f.path).toLowerCase()] ?? 'application/octet-stream';
    data.push(
      `<script type="${EMBEDDED_FILE_TYPE}" id="${f.id}" data-name="${attr(f.name)}" data-type="${type}"${f.dataUrl ? ' data-url="data"' : ''}>${bytes.toString('base64')}</script>`,
    );
  }
  html = replaceOnce(html, /<\/body>/, `${data.join('\n')}\n</body>`, 'the end of the body');
  return { html, embedded, withSplats, inputMissing };
}
