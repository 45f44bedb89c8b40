/**
 * `ote view`'s HTTP server: the viewer page (viewer/ at the repository root), the browser modules it imports
 * (three.js and its addons, Spark) straight from node_modules through the page's import map, and the files of one
 * view (mounts.ts says which). It listens on 127.0.0.1 only and answers only requests addressed to it by that name
 * (a page elsewhere cannot reach it by DNS rebinding); the page's Content-Security-Policy lets it load nothing that
 * this server does not serve, so viewing a result never touches the network.
 *
 *   GET /                  the page (viewer/index.html)
 *   GET /viewer.json       what to show (manifest.ts)
 *   GET /viewer/*          the page's modules (the MOZ_lightmap plugin, the tone curve, the app)
 *   GET /modules/three/*   three's build/ and examples/jsm/ only
 *   GET /modules/@sparkjsdev/spark/*   Spark's dist/ only
 *   GET /files/*           the output folder (or, for one file, that file and what a .gltf references)
 *   GET /input/*           the run's input scene and what it references (the before view)
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OteError } from '../errors.js';
import { viewerManifest } from './manifest.js';
import { findMount, type Mount, resolveInMount } from './mounts.js';
import type { ViewTarget } from './target.js';

/** Packages the page may import, and the folders of each that are served. */
export const SERVED_PACKAGES: Record<string, readonly string[]> = {
  three: ['build', 'examples/jsm'],
  '@sparkjsdev/spark': ['dist'],
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ktx2': 'image/ktx2',
  '.glb': 'model/gltf-binary',
  '.gltf': 'model/gltf+json',
  '.bin': 'application/octet-stream',
  '.ply': 'application/octet-stream',
  '.spz': 'application/octet-stream',
  '.splat': 'application/octet-stream',
};

/** The first folder at or above this module's that holds `rel` (the repository's, from src/ or dist/). */
function findUp(rel: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The viewer page's folder (viewer/ at the repository root). */
export function viewerPageDir(): string {
  const index = findUp(join('viewer', 'index.html'));
  if (!index) throw new OteError('BAD_INPUT', 'the viewer page (viewer/index.html) is missing from this installation');
  return dirname(index);
}

/** Where an npm package is installed, found as Node would (the nearest node_modules above this module). */
export function packageDir(name: string): string {
  const pkg = findUp(join('node_modules', name, 'package.json'));
  if (!pkg) throw new OteError('BAD_INPUT', `the package ${name} is not installed (npm install)`);
  return dirname(pkg);
}

/**
 * The page's Content-Security-Policy: its own origin only, plus what three.js and Spark make in the page (blob:
 * URLs of embedded images and of Spark's workers, data: URIs, Spark's WebAssembly). The inline import map is
 * allowed by its hash.
 */
export function contentSecurityPolicy(indexHtml: string): string {
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1];
  const hash = map === undefined ? '' : ` 'sha256-${createHash('sha256').update(map).digest('base64')}'`;
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' blob:${hash}`,
    "worker-src 'self' blob:",
    "img-src 'self' blob: data:",
    "connect-src 'self' blob: data:",
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The mounts of a view target (see the route table above). */
export function viewerMounts(t: ViewTarget, dirs: { page: string; packages: Record<string, string> }): Mount[] {
  const real = (files: readonly string[]) => new Set(files.filter((f) => existsSync(f)).map((f) => realpathSync(f)));
  const mounts: Mount[] = [
    { prefix: '/viewer/', root: dirs.page },
    ...Object.entries(SERVED_PACKAGES).map(([name, only]) => ({
      prefix: `/modules/${name}/`,
      root: dirs.packages[name],
      only,
    })),
    { prefix: '/files/', root: t.root, files: t.rootFiles ? real(t.rootFiles) : undefined },
  ];
  if (t.input) mounts.push({ prefix: '/input/', root: dirname(t.input.path), files: real(t.input.files) });
  return mounts;
}

export interface ViewerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ViewerServerOptions {
  target: ViewTarget;
  /** What the page's title shows (the argument given to `ote view`). */
  title: string;
  /** 0: any free port. */
  port?: number;
  /** Called once per request: method, path, status (for --verbose). */
  log?: (line: string) => void;
}

/** Starts the server on 127.0.0.1; resolves once it listens. */
export async function startViewerServer(o: ViewerServerOptions): Promise<ViewerServer> {
  const page = viewerPageDir();
  const packages = Object.fromEntries(Object.keys(SERVED_PACKAGES).map((n) => [n, packageDir(n)]));
  const mounts = viewerMounts(o.target, { page, packages });
  const manifest = JSON.stringify(viewerManifest(o.target, o.title));
  let port = 0;

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): number => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      send(res, 421, 'this viewer answers only to 127.0.0.1 and localhost\n');
      return 421;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'only GET and HEAD\n');
      return 405;
    }
    const path = (req.url ?? '/').split(/[?#]/)[0];
    if (path === '/' || path === '/index.html') {
      const html = readFileSync(join(page, 'index.html'), 'utf8');
      res.setHeader('Content-Security-Policy', contentSecurityPolicy(html));
      send(res, 200, req.method === 'HEAD' ? '' : html, MIME['.html']);
      return 200;
    }
    if (path === '/viewer.json') {
      send(res, 200, req.method === 'HEAD' ? '' : manifest, MIME['.json']);
      return 200;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return 204;
    }
    const hit = findMount(mounts, path);
    if (!hit) {
      send(res, 404, 'not found\n');
      return 404;
    }
    const r = resolveInMount(hit.mount, hit.rest);
    if (!r.ok) {
      send(res, r.status, `${r.reason}\n`);
      return r.status;
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(r.path).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': r.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else
      createReadStream(r.path)
        .on('error', () => res.destroy())
        .pipe(res);
    return 200;
  };

  const server = createServer((req, res) => {
    let status: number;
    try {
      status = handle(req, res);
    } catch (e) {
      status = 500;
      if (!res.headersSent) send(res, 500, `${(e as Error).message}\n`);
      else res.destroy();
    }
    o.log?.(`${req.method} ${req.url} ${status}`);
  });
  // A port in use or not allowed rejects with Node's error (code EADDRINUSE, EACCES): the CLI says which flag.
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
