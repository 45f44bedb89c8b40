/**
 * `ote optimize scene.glb -o outdir [--profile NAME|file.json] [--engine ws://... --api-key ID:SECRET] [--json] [--explain]`
 * Progress goes to stderr (a bar on a TTY, JSON lines with --json); the result goes to stdout. Exit codes are in
 * the README: 0 verified pass, 6 quality below threshold, 7 verification rejected, 8 engine unreachable, 130 cancelled.
 * `--self-contained` puts the 3D viewer into report.html (viewer/self-contained.ts), so that one file can be mailed.
 * `--measure` then times the result in headless Chromium against the input lit live and puts the gain into the
 * report, as `ote view --measure` does (cli/measure-report.ts); the exit code stays the run's.
 */
import { join, resolve } from 'node:path';
import { selfContainedViewer } from '../../viewer/self-contained.js';
import { resolveViewTarget } from '../../viewer/target.js';
import { explainPlan } from '../../plan/router.js';
import { defaultCacheDir, ResultCache } from '../../optimize/cache.js';
import { optimize } from '../../optimize/run.js';
import { choiceFlag, deadlineFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { planLocalRun, waitUntil } from '../local-economy.js';
import { loadPlanningInputs } from '../../economy/inputs.js';
import type { Profile } from '../../plan/profile.js';
import type { EconomyReport } from '../../report/types.js';
import { OBJECTIVES } from '../../economy/schedule.js';
import { loadProfile } from '../profile-file.js';
import { Progress } from '../progress.js';
import { MEASURE_FLAGS, MEASURE_USAGE, measureFlags, measureIntoReport } from '../measure-report.js';

/**
 * `--deadline`: plans the run on this machine (cli/local-economy.ts), refuses it when its profile's ceiling and the
 * deadline cannot both hold, and waits for the plan's first window (Ctrl-C cancels).
 */
async function waitForWindow(
  values: {
    deadline?: string;
    'machine-class'?: string;
    pool?: string;
    traces?: string;
    objective?: string;
    json?: boolean;
  },
  profile: Profile,
  ctx: CommandContext,
): Promise<EconomyReport | undefined> {
  const now = Date.now();
  const deadlineMs = deadlineFlag(values.deadline!, now);
  const objective = choiceFlag(values.objective, 'objective', OBJECTIVES, 'cost');
  const inputs = loadPlanningInputs({ poolFile: values.pool, tracesDir: values.traces });
  const plan = planLocalRun(inputs, profile, deadlineMs, now, {
    machineClass: values['machine-class'] ?? 'consumer',
    objective,
  });
  const e = plan.economy;
  if (e) {
    const line = `economy: ${e.deferredUntil ? `held until ${e.deferredUntil} (${e.windows[0]?.tier})` : 'runs now'}; $${e.baseline.cost.toFixed(4)} at the standard price → $${e.optimized.cost.toFixed(4)} planned, ${e.baseline.kgCo2.toFixed(4)} → ${e.optimized.kgCo2.toFixed(4)} kg CO2 (work ${(e.work * 60).toFixed(1)} min: ${e.workSource})`;
    ctx.stderr(values.json ? `${JSON.stringify({ type: 'log', message: line })}\n` : `${line}\n`);
  }
  await waitUntil(plan.notBefore, ctx.signal);
  return e;
}

export const optimizeCommand: Command = {
  name: 'optimize',
  summary:
    'analyze, route, bake and convert to splats, verify with the Trust Engine, and write the report and certificate',
  usage: `ote optimize <scene.glb> -o <outdir> [--profile balanced|file.json] [--engine ws://host:port --api-key ID:SECRET] [--splat-iterations N] [--no-verify] [--no-cache] [--self-contained] [--backend auto|cpu|cuda] [--deadline 8h|ISO [--machine-class consumer] [--pool pool.json] [--traces DIR] [--objective cost|carbon|mix]] ${MEASURE_USAGE} [--explain] [--json]`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      out: { type: 'string', short: 'o' },
      profile: { type: 'string' },
      engine: { type: 'string' },
      'api-key': { type: 'string' },
      'splat-iterations': { type: 'string' },
      'no-verify': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      'self-contained': { type: 'boolean' },
      backend: { type: 'string' },
      explain: { type: 'boolean' },
      json: { type: 'boolean' },
      deadline: { type: 'string' },
      'machine-class': { type: 'string' },
      pool: { type: 'string' },
      traces: { type: 'string' },
      objective: { type: 'string' },
      ...MEASURE_FLAGS,
    });
    const input = requirePositional(positionals, 0, 'scene file');
    if (!values.out) throw new UsageError('missing -o <outdir>');
    const backend = (values.backend ?? 'auto') as 'auto' | 'cpu' | 'cuda';
    if (!['auto', 'cpu', 'cuda'].includes(backend))
      throw new UsageError(`--backend must be auto, cpu or cuda, got "${values.backend}"`);
    let splatIterations: number | undefined;
    if (values['splat-iterations'] !== undefined) {
      splatIterations = Number(values['splat-iterations']);
      if (!Number.isInteger(splatIterations) || splatIterations < 0)
        throw new UsageError(
          `--splat-iterations must be an integer >= 0 (0 ships the direct conversion), got "${values['splat-iterations']}"`,
        );
    }
    const measuring = measureFlags(values);
    const profileArg = values.profile ?? 'balanced';
    const profile = await loadProfile(profileArg);
    let engine: { url: string; apiKey: { id: string; secret: string } } | undefined;
    if (values.engine) {
      const [id, secret] = (values['api-key'] ?? process.env.OTE_TRUST_API_KEY ?? '').split(':');
      if (!id || !secret) throw new UsageError('--engine needs --api-key ID:SECRET (or OTE_TRUST_API_KEY)');
      engine = { url: values.engine, apiKey: { id, secret } };
    }
    const economy = values.deadline === undefined ? undefined : await waitForWindow(values, profile, ctx);
    const progress = Progress.for(!!values.json);
    const result = await optimize({
      input,
      outDir: values.out,
      profile,
      profileSource: profileArg,
      engine,
      noVerify: !!values['no-verify'],
      backend,
      splatIterations,
      cache: new ResultCache(defaultCacheDir(), !values['no-cache']),
      signal: ctx.signal,
      economy,
      viewerPage: values['self-contained']
        ? async (dir) => {
            const page = await selfContainedViewer(resolveViewTarget(dir), values.out!);
            const note = page.inputMissing && `report.html's viewer has no before view: ${page.inputMissing}`;
            if (note) ctx.stderr(values.json ? `${JSON.stringify({ type: 'log', message: note })}\n` : `${note}\n`);
            return page.html;
          }
        : undefined,
      onEvent: (e) => {
        if (e.type === 'stage') progress.update(e.stage, e.fraction, e.detail);
        else if (values.json) ctx.stderr(`${JSON.stringify(e)}\n`);
        else ctx.stderr(`${e.message}\n`);
      },
    });
    const r = result.report;
    const reportPath = resolve(join(values.out, 'report.html'));
    // Measured in the finished folder (its report is rewritten in place), whatever the verdict: a run below the
    // thresholds still shows what it would buy.
    const measured =
      measuring &&
      (await measureIntoReport(values.out, measuring, (done, total) =>
        progress.update('measure', done / total, `round ${done} of ${total}`),
      ));
    if (values.json) {
      ctx.stdout(
        `${JSON.stringify({ type: 'result', exitCode: result.exitCode, reason: r.exit.reason, cached: result.cached, report: reportPath, outputs: r.outputs, verdict: r.verification?.verdict, plan: r.plan, runtime: measured ? measured.runtime : undefined })}\n`,
      );
      return result.exitCode;
    }
    if (values.explain && result.analysis) ctx.stdout(`${explainPlan(result.plan, result.analysis)}\n\n`);
    const routes: Record<string, number> = {};
    for (const d of r.plan.decisions) routes[d.route] = (routes[d.route] ?? 0) + 1;
    const v = r.verification;
    ctx.stdout(
      `${[
        `${input}: ${r.plan.pipeline} pipeline under ${r.profile.name} (${Object.entries(routes)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')})${result.cached ? ' [cached]' : ''}`,
        v && v.verdict !== 'skipped'
          ? `verification ${v.verdict.toUpperCase()}: ${Object.entries(v.metrics)
              .map(
                ([k, m]) =>
                  `${k.toUpperCase()} ${m.mean.toFixed(k === 'psnr' ? 2 : 4)} [${m.ci[0].toFixed(3)}, ${m.ci[1].toFixed(3)}]`,
              )
              .join(', ')}`
          : `verification ${v?.verdict ?? 'skipped'}`,
        `outputs: ${[r.outputs.scene, ...r.outputs.splats, r.outputs.certificate, 'report.json'].filter(Boolean).join(', ')} in ${values.out}`,
        ...(measured ? [`${measured.line}.`] : []),
        `report: ${reportPath}`,
        `exit ${result.exitCode}: ${r.exit.reason}`,
      ].join('\n')}\n`,
    );
    return result.exitCode;
  },
};
