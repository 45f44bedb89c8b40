/**
 * `ote view <outdir|file> [--port N] [--input FILE]`: the result of `ote optimize` in a browser, as three.js shows
 * it with the MOZ_lightmap plugin (viewer/moz-lightmap.js) and our tone curve (viewer/tone-mapping.js), starting at
 * the report's camera; or one scene or splat file alone. Serves on 127.0.0.1 only, prints the URL, and runs until
 * Ctrl-C. Nothing is fetched from the network: the page's modules come from node_modules (viewer/server.ts).
 *
 * `--self-contained [-o FILE]` serves nothing: it writes the same viewer as one HTML file that works opened from
 * disk, with the scene, splats, report and images embedded (viewer/self-contained.ts), so that an existing result
 * can be mailed; by default `<outdir>/viewer.html`, or `<file>.html` beside one file.
 *
 * `--measure [--frames N] [--rounds N] [--size N]` serves nothing either: it times the before view (the input lit
 * live, shadows on) against the optimized scene in a headless Chromium (viewer/measure.ts) and writes the result
 * into report.json (`runtime`) and report.html's gain line, each under a new name renamed into place.
 */
import { join, resolve } from 'node:path';
import { EXIT } from '../../exit-codes.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { formatBytes } from '../../util/format-bytes.js';
import { selfContainedViewer } from '../../viewer/self-contained.js';
import { startViewerServer } from '../../viewer/server.js';
import { resolveViewTarget, type ViewTarget } from '../../viewer/target.js';
import { numberFlag, parse, requirePositional, UsageError } from '../args.js';
import { type Command, type CommandContext, waitForAbort } from '../command.js';
import { MEASURE_FLAGS, MEASURE_USAGE, measureFlags, measureIntoReport } from '../measure-report.js';

/** --self-contained: writes the page and says what is in it. */
async function writeSelfContained(
  arg: string,
  target: ViewTarget,
  out: string | undefined,
  json: boolean,
  ctx: CommandContext,
): Promise<number> {
  const file = resolve(out ?? (target.kind === 'folder' ? join(target.root, 'viewer.html') : `${arg}.html`));
  const page = await selfContainedViewer(target, arg);
  await writeFileAtomic(file, page.html);
  const bytes = Buffer.byteLength(page.html);
  if (json)
    ctx.stdout(
      `${JSON.stringify({ event: 'written', file, bytes, embedded: page.embedded, spark: page.withSplats, inputMissing: page.inputMissing, warnings: target.warnings })}\n`,
    );
  else {
    for (const w of target.warnings) ctx.stderr(`ote view: ${w}\n`);
    if (page.inputMissing) ctx.stderr(`ote view: no before view: ${page.inputMissing}\n`);
    ctx.stdout(
      `wrote ${file} (${formatBytes(bytes)}: ${page.embedded.map((e) => e.name).join(', ')}${page.withSplats ? ', Spark' : ''}); open it in a browser, no server needed\n`,
    );
  }
  return EXIT.OK;
}

export const viewCommand: Command = {
  name: 'view',
  summary: 'look at an optimized scene (or a .glb/.gltf/.ply/.spz/.splat file) in three.js in the browser',
  usage: `ote view <outdir|scene.glb|splats.spz> [--port N] [--input scene.glb] [--self-contained [-o viewer.html]] ${MEASURE_USAGE} [--verbose] [--json]`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      port: { type: 'string' },
      input: { type: 'string' },
      'self-contained': { type: 'boolean' },
      out: { type: 'string', short: 'o' },
      ...MEASURE_FLAGS,
      verbose: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const arg = requirePositional(positionals, 0, 'output folder or file to view');
    if (positionals.length > 1) throw new UsageError(`one folder or file at a time, got ${positionals.length}`);
    const selfContained = !!values['self-contained'];
    if (selfContained && values.port !== undefined)
      throw new UsageError('--port serves the viewer; --self-contained writes it to a file instead: give one');
    if (!selfContained && values.out !== undefined)
      throw new UsageError('-o names the file --self-contained writes; without it ote view serves the viewer');
    const measuring = measureFlags(values);
    if (measuring && (selfContained || values.port !== undefined))
      throw new UsageError(
        '--measure times the viewer in a headless browser; it serves and writes no page: drop --port and --self-contained',
      );
    const port = numberFlag(values.port, 'port', 0, { int: true, min: 0, max: 65535 });
    const target = resolveViewTarget(arg, { input: values.input });
    if (selfContained) return writeSelfContained(arg, target, values.out, !!values.json, ctx);
    if (measuring) {
      const json = !!values.json;
      const m = await measureIntoReport(
        arg,
        measuring,
        (done, total) => {
          if (json) ctx.stdout(`${JSON.stringify({ event: 'progress', done, total })}\n`);
          else ctx.stderr(`measuring: round ${done} of ${total}\n`);
        },
        values.input,
      );
      if (json) ctx.stdout(`${JSON.stringify({ event: 'measured', runtime: m.runtime, line: m.line })}\n`);
      else ctx.stdout(`${m.line}.\n${m.cost}\nwritten into ${m.reportFile} and report.html\n`);
      return EXIT.OK;
    }
    let server: Awaited<ReturnType<typeof startViewerServer>>;
    try {
      server = await startViewerServer({
        target,
        title: arg,
        port,
        log: values.verbose ? (l) => ctx.stderr(`[view] ${l}\n`) : undefined,
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError(`--port ${port}: the port is in use (--port 0 takes a free one)`);
      if (code === 'EACCES') throw new UsageError(`--port ${port}: not allowed to listen there (try above 1024)`);
      throw e;
    }
    if (values.json)
      ctx.stdout(
        `${JSON.stringify({ event: 'listening', url: server.url, kind: target.kind, warnings: target.warnings })}\n`,
      );
    else {
      for (const w of target.warnings) ctx.stderr(`ote view: ${w}\n`);
      if (target.inputMissing) ctx.stderr(`ote view: no before view: ${target.inputMissing}\n`);
      ctx.stdout(`viewing ${arg} at ${server.url}\n(open it in a browser; Ctrl-C stops the server)\n`);
    }
    await waitForAbort(ctx.signal);
    await server.close();
    return EXIT.OK;
  },
};
