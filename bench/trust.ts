/**
 * `npm run bench:trust`: the Trust Engine's throughput on loopback and its Byzantine behaviour at scale.
 *
 * 0. Node cost per sample: each evaluation the nodes run (path traced vs lightmapped, splat vs albedo), as a
 *    ratio to the old ray-core preview evaluation.
 * 1. Throughput: an engine process plus 3, 5 and 7 verifier nodes (one node process hosting them), quorum 3,
 *    6 jobs submitted 3 at a time (a correct bake and a ×2 bake of the Cornell box, path traced). The node process is one JS thread, so more
 *    nodes add quorum choice, not CPU: on this machine throughput is bounded by the 2 shared cores. Reports jobs/min and p50/p99 submit-to-certificate latency, each as a ratio to
 *    the baseline measured in the same run: one evaluation of the same job in this process (no network, no quorum).
 * 2. Adversaries, simulated (ts-core/src/trust/simulation.ts, the engine's own consensus and reputation code):
 *    40 nodes, quorum 5 (widened by two up to 21 while the votes disagree) plus
 *    one spot-check seat, 2000 jobs (half faithful, half broken, 10% high-value), honest jitter 1%. Each strategy of
 *    trust/adversaries.ts (always, sleeper, intermittent, quorum-aware colluders, targeted, a sleeping colluder)
 *    at shares up to (n − 1)/3, and Sybil keys joining an honest pool. Reports bad results accepted (with the 95%
 *    upper bound), false rejections, inconclusive jobs, evaluations per job, how many liars are flagged and how
 *    fast, honest nodes ever flagged, and the attacker's share of the trusted weight at the end. The same again
 *    under adaptive replication (replication.ts): results accepted at the moment of their verdict and still
 *    standing after the audits, evaluations per job overall and over the second half (the steady state), solo
 *    verdicts and audits.
 * Prints a table and writes bench/results/trust.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realBlobs, type RealBlobs } from '../examples/cornell-artifacts.js';
import { startEmbeddedTrust } from '../ts-core/src/trust/embedded.js';
import { RenderedSampleEvaluator } from '../ts-core/src/trust/evaluator-render.js';
import { canStop, sampleSpecs, deriveSeed, sampleSize } from '../ts-core/src/trust/sampling.js';
import {
  alwaysLies,
  both,
  colluder,
  honest,
  intermittent,
  sleeper,
  type Strategy,
  targeted,
} from '../ts-core/src/trust/adversaries.js';
import { replicationOptions } from '../ts-core/src/trust/replication.js';
import { type SimulationResult, simulateTrust } from '../ts-core/src/trust/simulation.js';
import { tempDir } from '../scripts/temp-dir.js';
import { describeMachine, machineRecord } from './machine.js';
import { DEFAULT_RENDER, type RenderSpec, type SampleMetrics } from '../ts-core/src/trust/types.js';

/** The REALTIME profile's thresholds (what npm start judges the Cornell box bake against). */
const BENCH_THRESHOLDS = { psnr: 26, ssim: 0.9, flip: 0.15 };

const root = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) || !existsSync(join(d, 'ts-core'))) d = dirname(d);
  return d;
})();

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

/** Time per sample of each evaluation the nodes run (after a warm-up that parses the blobs), as a ratio to the ray-core preview. */
async function perSampleCost(real: RealBlobs) {
  const ev = new RenderedSampleEvaluator();
  const specs = sampleSpecs('5a'.repeat(32), 8);
  const cases: { name: string; artifact: Uint8Array; kind: 'lightmap-gltf' | 'splat'; render: RenderSpec }[] = [
    {
      name: 'preview, shaded (old node default)',
      artifact: real.bake,
      kind: 'lightmap-gltf',
      render: { reference: 'shaded', spp: 1, bounces: 0, pixels: 32 },
    },
    {
      name: 'bake: path traced vs lightmapped (default)',
      artifact: real.bake,
      kind: 'lightmap-gltf',
      render: DEFAULT_RENDER,
    },
    {
      name: 'bake: same at 128 spp (optimize, path-traced profiles)',
      artifact: real.bake,
      kind: 'lightmap-gltf',
      render: { ...DEFAULT_RENDER, spp: 128 },
    },
    {
      name: 'splat: albedo vs splat rasterizer',
      artifact: real.spz,
      kind: 'splat',
      render: { reference: 'albedo', spp: 4, bounces: 0, pixels: 32 },
    },
  ];
  const rows = [];
  for (const c of cases) {
    await ev.evaluate(real.reference, c.artifact, c.kind, specs[0], c.render); // parse and warm up
    const ms: number[] = [];
    for (const sp of specs) {
      const t0 = performance.now();
      await ev.evaluate(real.reference, c.artifact, c.kind, sp, c.render);
      ms.push(performance.now() - t0);
    }
    rows.push({ name: c.name, render: c.render, medianMs: pct(ms, 0.5), maxMs: Math.max(...ms) });
  }
  const base = rows[0].medianMs;
  return rows.map((r) => ({ ...r, vsPreview: r.medianMs / base }));
}

/**
 * Loopback throughput on the real workload: the Cornell box's correct bake and its ×2 bake, judged path traced
 * with the default render spec. Baseline: the same job evaluated once locally, same evaluator and sequential stop.
 */
async function throughput(real: RealBlobs) {
  const ev = new RenderedSampleEvaluator(); // what the nodes run by default
  const seed = deriveSeed('00'.repeat(32), '11'.repeat(32), '22'.repeat(32));
  const baselineMs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const samples: SampleMetrics[] = [];
    for (const s of sampleSpecs(`${seed}${r}`, sampleSize(0, 0.9))) {
      samples.push({
        index: s.index,
        ...(await ev.evaluate(real.reference, real.bake, 'lightmap-gltf', s, DEFAULT_RENDER)),
      });
      if (canStop(samples, BENCH_THRESHOLDS, 0.9)) break;
    }
    if (r > 0) baselineMs.push(performance.now() - t0); // the first run parses the blobs
  }
  const baseline = pct(baselineMs, 0.5);
  const rows = [];
  for (const nodes of [3, 5, 7]) {
    const dataDir = tempDir(`ote-bench-trust-${nodes}-`);
    const c = await startEmbeddedTrust({ dataDir, nodes: 0, quorum: 3 });
    c.addNode(['--count', String(nodes), '--key', join(dataDir, 'node.key')]);
    await c.waitForNodes(nodes);
    const client = c.client();
    const job = (artifact: Uint8Array) => ({
      referenceScene: real.reference,
      artifact,
      kind: 'lightmap-gltf' as const,
      thresholds: BENCH_THRESHOLDS,
      complexity: 0,
      confidence: 0.9,
      render: DEFAULT_RENDER,
    });
    await client.submit(job(real.bake), { timeoutMs: 300_000 }); // warm-up
    const jobs = 6,
      concurrency = 3,
      lat: number[] = [];
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < jobs) {
          const i = next++;
          const s = performance.now();
          const cert = await client.submit(job(i % 2 ? real.bakeX2 : real.bake), { timeoutMs: 300_000 });
          if (cert.verdict !== (i % 2 ? 'rejected' : 'accepted'))
            throw new Error(`wrong verdict in the benchmark: ${cert.reason}`);
          lat.push(performance.now() - s);
        }
      }),
    );
    const wall = performance.now() - t0;
    client.close();
    await c.stop();
    rows.push({
      nodes,
      jobs,
      jobsPerMin: jobs / (wall / 60_000),
      p50Ms: pct(lat, 0.5),
      p99Ms: pct(lat, 0.99),
      p50VsLocal: pct(lat, 0.5) / baseline,
      p99VsLocal: pct(lat, 0.99) / baseline,
      localJobsPerMinVsEngine: 60_000 / baseline / (jobs / (wall / 60_000)),
    });
  }
  return { baselineLocalMs: baseline, rows };
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const machine = machineRecord();
const results: Record<string, unknown> = { machine };
const simOnly = process.argv.includes('--sim-only'); // the simulation alone, for quick tuning
const real = simOnly ? undefined : await realBlobs();
if (real) {
  const cost = await perSampleCost(real);
  results.perSample = cost;
  console.log('\nNode cost per sample (Cornell box, one crop; CPU backend)');
  console.log('evaluation                                              spp  pixels  median ms   max ms   vs preview');
  for (const r of cost)
    console.log(
      `${r.name.padEnd(54)}  ${String(r.render.spp).padStart(3)}  ${String(r.render.pixels).padStart(6)}  ${f(r.medianMs, 0).padStart(9)}  ${f(r.maxMs, 0).padStart(7)}  ${f(r.vsPreview).padStart(10)}x`,
    );
}
const tp = real ? await throughput(real) : { baselineLocalMs: NaN, rows: [] };
results.throughput = tp;
if (!simOnly)
  console.log(
    `\nThroughput on loopback (Cornell box bake and ×2 bake, path traced at ${DEFAULT_RENDER.spp} spp, quorum 3, 6 jobs, 3 in flight; local single evaluation of one job = ${f(tp.baselineLocalMs)} ms)`,
  );
if (!simOnly) console.log('nodes  jobs/min   p50 ms   p99 ms   p50 / local   p99 / local');
if (!simOnly)
  for (const r of tp.rows)
    console.log(
      `${String(r.nodes).padStart(5)}  ${f(r.jobsPerMin).padStart(8)}  ${f(r.p50Ms, 0).padStart(7)}  ${f(r.p99Ms, 0).padStart(7)}  ${f(r.p50VsLocal).padStart(12)}  ${f(r.p99VsLocal).padStart(12)}`,
    );
// ---- adversaries (ts-core/src/trust/simulation.ts over the engine's own consensus and reputation) ----------------
const SHARES = [0.1, 0.2, 0.325]; // up to (n − 1) / 3 of 40 equal-weight nodes
const strategies: Strategy[] = [
  alwaysLies,
  sleeper(100),
  intermittent(0.05),
  intermittent(0.2),
  colluder(2 / 3),
  colluder(1 / 3),
  targeted,
  both(sleeper(100), colluder(2 / 3)),
];
const sims: SimulationResult[] = [];
for (const s of strategies)
  for (const share of SHARES) sims.push(simulateTrust({ strategy: s, adversaryShare: share }));
// Sybils: fresh keys of one attacker join an honest pool of 40 at job 500.
for (const count of [10, 20, 40])
  for (const s of [alwaysLies, colluder(2 / 3)])
    sims.push(simulateTrust({ strategy: honest, adversaryShare: 0, sybils: { at: 500, count, strategy: s } }));
// The same colluding Sybils on probation: fresh keys start untrusted (Beta(1, 1)) and must earn trust on spot checks.
for (const count of [20, 40]) {
  const r = simulateTrust({
    strategy: honest,
    adversaryShare: 0,
    sybils: { at: 500, count, strategy: colluder(2 / 3) },
    newcomerPrior: { alpha: 1, beta: 1 },
  });
  sims.push({ ...r, strategy: `${r.strategy}, probation` });
}
// The same colluding Sybils allow-listed under one operator: a quorum seats one node per operator.
for (const count of [20, 40]) {
  const r = simulateTrust({
    strategy: honest,
    adversaryShare: 0,
    sybils: { at: 500, count, strategy: colluder(2 / 3), oneOperator: true },
  });
  sims.push({ ...r, strategy: `${r.strategy}, one operator` });
}
// Adaptive replication (replication.ts, the engine's option `replication: adaptive`): a node with 20 agreed
// verdicts since its last flag verifies a job alone, rechecked by two more at the job's confidence (0.95: 9.5%),
// on every high-value job and during an alert; a flag audits the flagged node's provisional verdicts.
// Sleepers wake after 25 jobs here, not 100: a node on solo jobs serves a fortieth of them, and one that waits for
// 100 never wakes in 2,000 jobs.
const ADAPTIVE = replicationOptions({ mode: 'adaptive' });
const wakeEarly = (s: Strategy) =>
  s.name === 'sleeper(100)'
    ? sleeper(25)
    : s.name.startsWith('sleeper(100) &')
      ? both(sleeper(25), colluder(2 / 3))
      : s;
for (const s of [honest, ...strategies.map(wakeEarly)])
  for (const share of s === honest ? [0] : SHARES) {
    const r = simulateTrust({ strategy: s, adversaryShare: share, replication: ADAPTIVE });
    sims.push({ ...r, strategy: `${r.strategy}, adaptive` });
  }
results.simulation = sims;
console.log(
  '\nAdversaries (simulation): 40 nodes, quorum 5 (widened by two up to 21 while the votes disagree) + 1 spot check, 2000 jobs (half bad, 10% high-value), honest jitter 1%',
);
console.log(
  'strategy                                   share  adv  accepted-bad (95% upper)  standing  false-reject (standing)  inconclusive  evals/job  steady  solo  audits  liars flagged  median jobs to flag  lies flagged  honest flagged  adv weight at end',
);
for (const s of sims)
  console.log(
    `${s.strategy.padEnd(41)}  ${s.sybils ? '   -' : f(s.adversaries / s.nodes, 3).padStart(5)}  ${String(s.adversaries + s.sybils).padStart(3)}  ${`${String(s.acceptedBad).padStart(4)}/${s.badJobs} (${(100 * s.acceptedBadUpper95).toFixed(2)}%)`.padStart(23)}  ${String(s.acceptedBadStanding).padStart(8)}  ${`${(100 * s.falseRejectionRate).toFixed(2)}% (${(100 * s.falseRejectionStandingRate).toFixed(2)}%)`.padStart(23)}  ${(100 * s.inconclusiveRate).toFixed(2).padStart(11)}%  ${f(s.evaluationsPerJob, 2).padStart(9)}  ${f(s.evaluationsPerJobSteady, 2).padStart(6)}  ${String(s.soloJobs).padStart(4)}  ${String(s.audits).padStart(6)}  ${`${s.lied ? (100 * s.liarsFlagged).toFixed(0) : '-'}%`.padStart(13)}  ${String(s.medianJobsToFlag).padStart(19)}  ${`${(100 * s.liesFlagged).toFixed(0)}%`.padStart(12)}  ${(100 * s.honestEverFlagged).toFixed(1).padStart(13)}%  ${(100 * s.adversaryWeightAtEnd).toFixed(0).padStart(16)}%`,
  );
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
console.log(`machine: ${describeMachine(machine)}`);
writeFileSync(join(root, 'bench', 'results', 'trust.json'), JSON.stringify(results, null, 2));
console.log(`\nwrote bench/results/trust.json`);
