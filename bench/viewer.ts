/**
 * `npm run bench:viewer`: what the optimization buys where users look at results, three.js in a browser. Each scene
 * is optimized (`ote optimize`, no verification: the bench measures drawing, not trust) and measured as `ote view
 * --measure` measures it (viewer/measure.ts): Debian's Chromium (puppeteer-core, WebGL on SwiftShader: this VM has no
 * GPU, so the browser rasterizes on the CPU) draws the viewer page at 512 × 512 from the report's camera, in two
 * modes:
 * - before: the input scene lit live as a game draws it without baking, its own lights or the run's sky and sun,
 *   every light casting shadow maps (2048² for a sun, three.js's 512² for point and spot lights;
 *   viewer/live-lighting.js);
 * - after: the optimized scene, lightmapped (and its splats drawn by Spark).
 * Per mode: the median frame time of 3 interleaved rounds of 60 frames (each frame waited for with a 1-pixel
 * readPixels), draw calls and triangles of a frame (shadow passes included), and the GPU memory the drawn objects
 * hold (viewer/frame-stats.js). Prints a table and writes bench/results/viewer.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ViewerRuntime } from '../ts-core/src/report/types.js';
import { MEASURE_DEFAULTS, measureViewer } from '../ts-core/src/viewer/measure.js';
import { resolveViewTarget } from '../ts-core/src/viewer/target.js';
import { describeMachine, machineRecord } from './machine.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const oteBin = join(root, 'ts-core', 'bin', 'ote.js');
const SIZE = 512,
  FRAMES = 60,
  ROUNDS = 3;
const work = join(tmpdir(), 'ote-bench-viewer');
mkdirSync(work, { recursive: true });

interface BenchScene {
  name: string;
  /** `ote gen` arguments, or a shared scene's path. */
  gen?: string[];
  file?: string;
  profile: string;
}

const plantsAsSplats = join(work, 'plants-as-splats.json');
writeFileSync(
  plantsAsSplats,
  JSON.stringify({
    extends: 'realtime',
    name: 'REALTIME+plants-as-splats',
    objects: [{ match: 'plants*', route: 'splat' }],
  }),
);
const SCENES: BenchScene[] = [
  { name: 'cornell-point', gen: ['cornell-point'], profile: 'balanced' },
  { name: 'hero', gen: ['hero'], profile: 'balanced' },
  {
    name: 'godot_living_room',
    file: resolve(root, '..', 'shared', 'scenes', 'godot_living_room', 'living_room.glb'),
    profile: 'balanced',
  },
  { name: 'foliage 0.2 (hybrid)', gen: ['foliage', '--scale', '0.2'], profile: plantsAsSplats },
];

function ote(...args: string[]) {
  const r = spawnSync(process.execPath, [oteBin, ...args], { cwd: work, encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0 && r.status !== 6)
    throw new Error(`ote ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r;
}

if (!existsSync(MEASURE_DEFAULTS.chromium)) {
  console.log(
    `bench:viewer needs Chromium at ${MEASURE_DEFAULTS.chromium} (apt-get install chromium; OTE_CHROMIUM points elsewhere)`,
  );
  process.exit(1);
}
const results: { scene: string; profile: string; exit: number | null; runtime: ViewerRuntime }[] = [];
for (const s of SCENES) {
  const slug = s.name.replace(/[^a-z0-9]+/gi, '-');
  let input = s.file;
  if (!input) {
    input = join(work, `${slug}.glb`);
    ote('gen', ...s.gen!, '-o', input);
  }
  if (!existsSync(input)) throw new Error(`bench:viewer: ${input}: no such scene`);
  const out = join(work, `out-${slug}`);
  const t = performance.now();
  const r = ote('optimize', input, '-o', out, '--profile', s.profile, '--no-verify', '--json');
  console.error(`${s.name}: optimized in ${((performance.now() - t) / 1000).toFixed(0)} s (exit ${r.status})`);
  const runtime = await measureViewer(resolveViewTarget(out), { size: SIZE, frames: FRAMES, rounds: ROUNDS });
  results.push({
    scene: s.name,
    profile: s.profile === plantsAsSplats ? 'REALTIME, plants to splats' : s.profile,
    exit: r.status,
    runtime,
  });
}

const machine = machineRecord();
const first = results[0]?.runtime;
console.log(
  `\nbench:viewer: three.js r187 in ${first?.browser} (${first?.gpu}), ${SIZE}², ${describeMachine(machine)}`,
);
console.log(
  '| scene | mode | frame ms (median; rounds) | draw calls | triangles | GPU MB (geometry / textures / splats / shadow maps) | faster |',
);
console.log('|---|---|---|---|---|---|---|');
const mb = (n: number) => (n / 2 ** 20).toFixed(2);
for (const { scene, runtime: r } of results)
  for (const mode of ['before', 'after'] as const) {
    const m = r[mode];
    const speedup = mode === 'after' ? `${r.speedup.toFixed(2)}×` : '';
    console.log(
      `| ${scene} | ${mode} | ${m.medianMs.toFixed(2)} (${m.roundMs.map((x) => x.toFixed(1)).join(', ')}) | ${m.calls} | ${m.triangles.toLocaleString('en-US')} | ${mb(m.gpuBytes)} (${mb(m.bytes.geometry)} / ${mb(m.bytes.textures)} / ${mb(m.bytes.splats)} / ${mb(m.bytes.shadowMaps)}) | ${speedup} |`,
    );
  }
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'viewer.json'),
  `${JSON.stringify({ date: new Date().toISOString(), machine, size: SIZE, frames: FRAMES, rounds: ROUNDS, results }, null, 2)}\n`,
);
