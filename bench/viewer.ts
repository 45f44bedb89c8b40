/**
 * `npm run bench:viewer`: what the optimization buys where users look at results, three.js in a browser. Each scene
 * is optimized (`ote optimize`, no verification: the bench measures drawing, not trust), served by `ote view`, and
 * drawn by Debian's Chromium (puppeteer-core, WebGL on SwiftShader: this VM has no GPU, so the browser rasterizes
 * on the CPU) at 512 × 512 from the report's camera, in two modes of the same page:
 * - before: the input scene lit live as a game draws it without baking, its own lights or the run's sky and sun,
 *   every light casting shadow maps (2048² for a sun, three.js's 512² for point and spot lights;
 *   viewer/live-lighting.js);
 * - after: the optimized scene, lightmapped (and its splats drawn by Spark).
 * Per mode: the median frame time of 3 interleaved rounds of 60 frames (each frame waited for with a 1-pixel
 * readPixels), draw calls and triangles of a frame (shadow passes included), and the GPU memory the drawn objects
 * hold (viewer/frame-stats.js). Prints a table and writes bench/results/viewer.json.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, machineRecord } from './machine.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const oteBin = join(root, 'ts-core', 'bin', 'ote.js');
const CHROMIUM = process.env.OTE_CHROMIUM ?? '/usr/bin/chromium';
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

function startView(out: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [oteBin, 'view', out, '--port', '0'], { cwd: work });
  return new Promise((ok, fail) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error(`ote view printed no URL: ${text}`)), 30_000);
    child.stdout!.on('data', (d) => {
      text += d;
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(text)?.[0];
      if (url) {
        clearTimeout(timer);
        ok({ child, url });
      }
    });
    child.on('exit', (code) => fail(new Error(`ote view exited (${code})`)));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface FrameStats {
  ms: number[];
  calls: number;
  triangles: number;
  bytes: { geometry: number; textures: number; splats: number; shadowMaps: number };
}
interface ModeResult {
  /** Median frame time of each round (ms), in order. */
  roundMs: number[];
  medianMs: number;
  calls: number;
  triangles: number;
  bytes: FrameStats['bytes'];
  gpuMB: number;
}

if (!existsSync(CHROMIUM)) {
  console.log(`bench:viewer needs Chromium at ${CHROMIUM} (apt-get install chromium; OTE_CHROMIUM points elsewhere)`);
  process.exit(1);
}
const { default: puppeteer } = await import('puppeteer-core');
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-sandbox', '--ignore-gpu-blocklist'],
});
const results: { scene: string; profile: string; exit: number | null; before: ModeResult; after: ModeResult }[] = [];
try {
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
    const server = await startView(out);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push((e as Error).message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.setViewport({ width: SIZE, height: SIZE, deviceScaleFactor: 1 });
      await page.goto(`${server.url}?ui=0`, { waitUntil: 'load' });
      await page.waitForFunction('window.__oteViewer?.ready || window.__oteViewer?.errors.length > 0', {
        timeout: 180_000,
      });
      const raw: Record<'before' | 'after', FrameStats[]> = { before: [], after: [] };
      for (let round = 0; round < ROUNDS; round++)
        for (const mode of round % 2 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
          await page.evaluate(`window.__oteViewer.setMode('${mode}')`);
          raw[mode].push((await page.evaluate(`window.__oteViewer.measure(${FRAMES})`)) as FrameStats);
        }
      if (errors.length) throw new Error(`${s.name}: the page reported errors: ${errors.join('; ')}`);
      const summarize = (runs: FrameStats[]): ModeResult => {
        const last = runs[runs.length - 1];
        const roundMs = runs.map((x) => median(x.ms));
        const b = last.bytes;
        return {
          roundMs,
          medianMs: median(roundMs),
          calls: last.calls,
          triangles: last.triangles,
          bytes: b,
          gpuMB: (b.geometry + b.textures + b.splats + b.shadowMaps) / 2 ** 20,
        };
      };
      results.push({
        scene: s.name,
        profile: s.profile === plantsAsSplats ? 'REALTIME, plants to splats' : s.profile,
        exit: r.status,
        before: summarize(raw.before),
        after: summarize(raw.after),
      });
      await page.close();
    } finally {
      server.child.kill('SIGINT');
    }
  }
} finally {
  await browser.close();
}

const machine = machineRecord();
console.log(`\nbench:viewer: three.js r187 in Chromium (SwiftShader, CPU), ${SIZE}², ${describeMachine(machine)}`);
console.log(
  '| scene | mode | frame ms (median; rounds) | draw calls | triangles | GPU MB (geometry / textures / splats / shadow maps) | faster |',
);
console.log('|---|---|---|---|---|---|---|');
const mb = (n: number) => (n / 2 ** 20).toFixed(2);
for (const r of results)
  for (const mode of ['before', 'after'] as const) {
    const m = r[mode];
    const speedup = mode === 'after' ? `${(r.before.medianMs / r.after.medianMs).toFixed(2)}×` : '';
    console.log(
      `| ${r.scene} | ${mode} | ${m.medianMs.toFixed(2)} (${m.roundMs.map((x) => x.toFixed(1)).join(', ')}) | ${m.calls} | ${m.triangles.toLocaleString('en-US')} | ${m.gpuMB.toFixed(2)} (${mb(m.bytes.geometry)} / ${mb(m.bytes.textures)} / ${mb(m.bytes.splats)} / ${mb(m.bytes.shadowMaps)}) | ${speedup} |`,
    );
  }
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'viewer.json'),
  `${JSON.stringify({ date: new Date().toISOString(), machine, size: SIZE, frames: FRAMES, rounds: ROUNDS, results }, null, 2)}\n`,
);
