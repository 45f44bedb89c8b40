/**
 * `npm run bench:scenes [-- --profile NAME] [-- scene-substring ...]`: every externally authored scene in
 * ../shared/scenes optimized end to end, as a user runs it (`ote optimize <scene> -o out --profile P --no-cache`,
 * verification included). Per scene: the exit code and reason, wall seconds and seconds per stage, the own check's
 * PSNR/SSIM/FLIP (with the reference's path noise taken out of PSNR and SSIM; the uncorrected figures and the
 * noise floor of the reference's two halves beside them), the verifier's verdict, the effective lightmap density, and what lit it (its lights, or the
 * default sky and sun). Writes bench/results/scenes.json (scenes-<profile>.json for other profiles). Each wall time
 * is also given against the issue's 10-minute budget per scene on 2 cores.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ote = join(root, 'ts-core', 'bin', 'ote.js');
const scenesDir = join(root, '..', 'shared', 'scenes');
const BUDGET_SECONDS = 600;

const args = process.argv.slice(2);
const pi = args.indexOf('--profile');
const profile = pi >= 0 ? args[pi + 1] : 'balanced';
const filters = args.filter((a, i) => !a.startsWith('--') && (pi < 0 || i !== pi + 1));

/** The scene file of each folder: the .glb or .gltf it holds. */
function sceneFiles(): string[] {
  if (!existsSync(scenesDir))
    throw new Error(`bench:scenes: ${scenesDir} is missing (the shared scenes sit beside the checkout)`);
  return readdirSync(scenesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => {
      const f = readdirSync(join(scenesDir, d.name)).find((n) => /\.(glb|gltf)$/i.test(n));
      return f ? [join(scenesDir, d.name, f)] : [];
    })
    .filter((f) => !filters.length || filters.some((s) => f.includes(s)))
    .sort();
}

const work = mkdtempSync(join(tmpdir(), 'ote-bench-scenes-'));
const rows: Record<string, unknown>[] = [];
for (const file of sceneFiles()) {
  const name = file.split('/').at(-2)!;
  const out = join(work, name);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [ote, 'optimize', file, '-o', out, '--profile', profile, '--no-cache', '--json'],
    { env: { ...process.env, OTE_CACHE_DIR: join(work, 'cache') }, encoding: 'utf8', maxBuffer: 256 << 20 },
  );
  const wall = (performance.now() - t0) / 1000;
  const reportFile = join(out, 'report.json');
  const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : undefined;
  const lastErr =
    (r.stderr || '')
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('{'))
      .at(-1) ?? '';
  rows.push({
    scene: name,
    profile,
    exit: r.status,
    reason: report?.exit?.reason ?? lastErr,
    wallSeconds: wall,
    ofBudget: wall / BUDGET_SECONDS,
    stages: Object.fromEntries(
      (report?.timings ?? []).map((t: { stage: string; seconds: number }) => [t.stage, t.seconds]),
    ),
    ownCheck: report?.ownCheck,
    ownCheckUncorrected: report?.ownCheckUncorrected,
    referenceNoiseFloor: report?.referenceNoiseFloor,
    verdict: report?.verification?.verdict,
    verified: report?.verification?.metrics
      ? Object.fromEntries(
          Object.entries(report.verification.metrics).map(([k, v]) => [k, (v as { mean: number }).mean]),
        )
      : undefined,
    lighting: report?.lighting?.source,
    environment: report?.lighting?.environment,
    texelsPerMeter: report?.lightmap?.objects?.length
      ? {
          requested: Math.max(...report.lightmap.objects.map((o: { requested: number }) => o.requested)),
          effectiveMin: Math.min(...report.lightmap.objects.map((o: { effective: number }) => o.effective)),
          // The densest part's: a view-weighted mesh spans a range (its `effective` is its least dense part's).
          effectiveMax: Math.max(
            ...report.lightmap.objects.map((o: { effective: number; densest?: number }) => o.densest ?? o.effective),
          ),
        }
      : undefined,
    lightmapWarnings: report?.lightmap?.warnings ?? [],
    views: report?.views,
    // Where the bake's time went (uv, texel setup, trace, post) and what its time target predicted.
    bakeSeconds: report?.lightmap?.seconds,
    bakeTimeTarget: report?.lightmap?.timeTarget,
    // The final gather's two passes (bake/final-gather.ts): the first's samples and seconds, the second's samples.
    bakeFinalGather: report?.lightmap?.finalGather,
    coveredTexels: report?.lightmap?.coveredTexels,
    samplesPerTexel: report?.lightmap?.samplesPerTexel,
  });
  const row = rows.at(-1)!;
  const oc = row.ownCheck as { psnr: number; ssim: number; flip: number } | undefined;
  console.error(
    `${name}: exit ${r.status} in ${wall.toFixed(0)} s${oc ? `, own check ${oc.psnr.toFixed(1)} dB / ${oc.ssim.toFixed(3)} / ${oc.flip.toFixed(3)}` : ''}, ${row.verdict ?? 'not verified'}`,
  );
}
rmSync(work, { recursive: true, force: true });

const f = (v: unknown, d = 1) => (typeof v === 'number' ? v.toFixed(d) : '-');
console.log(`profile ${profile.toUpperCase()}; budget ${BUDGET_SECONDS} s per scene on 2 cores`);
console.log(
  'scene                     exit  wall s  of budget  PSNR   SSIM    FLIP    verdict    light     texels/m (req → eff)   slowest stages',
);
for (const r of rows) {
  const oc = r.ownCheck as { psnr: number; ssim: number; flip: number } | undefined;
  const tpm = r.texelsPerMeter as { requested: number; effectiveMin: number; effectiveMax: number } | undefined;
  const stages = Object.entries(r.stages as Record<string, number>)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ');
  console.log(
    `${`${String(r.scene).padEnd(26)}${String(r.exit).padEnd(6)}${f(r.wallSeconds, 0).padStart(6)}  ${(`${f((r.ofBudget as number) * 100, 0)}%`).padStart(9)}  ${f(oc?.psnr).padStart(5)}  ${f(oc?.ssim, 3).padStart(6)}  ${f(oc?.flip, 3).padStart(6)}  ${String(r.verdict ?? '-').padEnd(10)} ${String(r.lighting ?? '-').padEnd(9)} ${tpm ? `${f(tpm.requested)} → ${f(tpm.effectiveMin)}–${f(tpm.effectiveMax)}` : '-'}`.padEnd(150)}  ${stages}`,
  );
  const bs = r.bakeSeconds as { uv: number; setup: number; trace: number; post: number } | undefined;
  const tt = r.bakeTimeTarget as
    | { seconds: number; predictedSeconds: number; calibration: { seconds: number } }
    | undefined;
  const fg = r.bakeFinalGather as
    | { firstSamples: number; firstSeconds: number; samples: number; calibration?: { seconds: number } }
    | undefined;
  if (bs)
    console.log(
      `    bake: uv ${f(bs.uv)} s, setup ${f(bs.setup)} s, trace ${f(bs.trace)} s, post ${f(bs.post)} s; ${f((r.coveredTexels as number) / 1e6, 2)}M texels at ${f(r.samplesPerTexel as number, 0)} samples` +
        (fg
          ? ` gathered from a first pass of ${fg.firstSamples} samples (${f(fg.firstSeconds)} s${fg.calibration ? `, then a ${f(fg.calibration.seconds)} s calibration` : ''})`
          : '') +
        (tt
          ? `; target ${tt.seconds} s: calibration ${f(tt.calibration.seconds)} s, predicted ${f(tt.predictedSeconds, 0)} s`
          : ''),
    );
  const raw = r.ownCheckUncorrected as typeof oc,
    floor = r.referenceNoiseFloor as typeof oc;
  if (raw && floor)
    console.log(
      `    own check before the reference's noise is taken out: ${f(raw.psnr)} dB / ${f(raw.ssim, 3)}; its two halves agree at ${f(floor.psnr)} dB / ${f(floor.ssim, 3)} / FLIP ${f(floor.flip, 3)}`,
    );
  if (r.exit !== 0) console.log(`    ${r.reason}`);
}
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const outName = profile === 'balanced' ? 'scenes.json' : `scenes-${profile.replace(/[^a-z0-9_-]/gi, '_')}.json`;
writeFileSync(
  join(root, 'bench', 'results', outName),
  JSON.stringify({ date: new Date().toISOString(), profile, budgetSeconds: BUDGET_SECONDS, rows }, null, 2),
);
process.exit(rows.every((r) => r.exit === 0) ? 0 : 1);
