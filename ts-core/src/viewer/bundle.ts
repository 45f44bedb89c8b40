/**
 * The viewer's browser code as one script, for the self-contained page (self-contained.ts). A page opened from
 * disk cannot import modules by URL: the import map of `ote view` points at its server, and three's addons import
 * '../utils/…', which a file: or data: page cannot resolve. So esbuild bundles viewer/app.js with three.js, its
 * addons and, only when there are splats to draw, Spark (about 2.6 MB of the 3.3 MB it would otherwise add), into
 * one ES module; a boot module bundled ahead of the app answers the page's GET /viewer.json from the document
 * (boot.ts). esbuild runs here, from node_modules: nothing is downloaded.
 */
import { join } from 'node:path';
import { OteError } from '../errors.js';
import { BOOT_MODULE } from './boot.js';
import { viewerPageDir } from './server.js';

/** Why Spark is missing from a bundle made without it (the page shows it if it ever asks for Spark). */
const NO_SPARK = `throw new Error('this self-contained viewer was made without Spark: the result has no splats');`;

const bundles = new Map<boolean, Promise<string>>();

/**
 * The bundled viewer (minified ES module text), made once per process for each of with and without Spark. Throws
 * BAD_INPUT naming viewer/app.js when esbuild cannot bundle it (a missing module, a syntax error).
 */
export function viewerBundle(withSplats: boolean): Promise<string> {
  let b = bundles.get(withSplats);
  if (!b) {
    b = bundle(withSplats);
    b.catch(() => bundles.delete(withSplats));
    bundles.set(withSplats, b);
  }
  return b;
}

async function bundle(withSplats: boolean): Promise<string> {
  const { build } = await import('esbuild');
  const app = join(viewerPageDir(), 'app.js');
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      stdin: { contents: `import 'ote:boot';\nimport ${JSON.stringify(app)};\n`, resolveDir: viewerPageDir() },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'ote-self-contained',
          setup(b) {
            b.onResolve({ filter: /^ote:boot$/ }, () => ({ path: 'boot', namespace: 'ote' }));
            b.onLoad({ filter: /^boot$/, namespace: 'ote' }, () => ({ contents: BOOT_MODULE, loader: 'js' }));
            if (!withSplats) {
              b.onResolve({ filter: /^@sparkjsdev\/spark$/ }, () => ({ path: 'no-spark', namespace: 'ote' }));
              b.onLoad({ filter: /^no-spark$/, namespace: 'ote' }, () => ({ contents: NO_SPARK, loader: 'js' }));
            }
          },
        },
      ],
    });
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    const first = errors?.[0];
    throw new OteError(
      'BAD_INPUT',
      `cannot bundle the viewer for a self-contained page: ${first ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}` : (e as Error).message}`,
      { file: app },
    );
  }
  const js = result.outputFiles?.[0]?.text;
  if (js === undefined) throw new OteError('BAD_INPUT', 'esbuild wrote no bundle of the viewer', { file: app });
  // Inline, the script ends at the first `</script`; esbuild writes such strings as `<\/script`, and this holds it.
  if (/<\/script|<!--/i.test(js))
    throw new OteError('BAD_INPUT', 'the bundled viewer contains "</script" or "<!--" and cannot be inlined', {
      file: app,
    });
  return js;
}
