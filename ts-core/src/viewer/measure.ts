/**
 * What an optimized result buys where users look at it: the viewer page driven by a headless Chromium
 * (puppeteer-core), the input scene lit live (before: its own lights or the run's sky and sun, every light casting
 * shadow maps; viewer/live-lighting.js) against the optimized scene (after: lightmapped, its splats drawn by Spark),
 * at the report's camera. Each mode is timed in interleaved rounds (the machine's speed drifts, so neither side gets
 * all the quiet moments) of frames each waited for with a 1-pixel readPixels (viewer/frame-stats.js), with the draw
 * calls, triangles and GPU memory of a frame, after an untimed round of each. `ote view --measure` writes it into report.json and report.html;
 * bench/viewer.ts runs it over several scenes.
 *
 * The figures are the browser's on this machine: Chromium without a GPU rasterizes WebGL on the CPU (SwiftShader),
 * which the result names (`gpu`), so they compare the two scenes here rather than predict a frame time elsewhere.
 */
import { existsSync } from 'node:fs';
import type { ViewerRuntime, ViewerRuntimeMode } from '../report/types.js';
import { startViewerServer } from './server.js';
import type { ViewTarget } from './target.js';

export interface MeasureOptions {
  /** The Chromium (or Chrome) executable. */
  chromium: string;
  /** The page's width and height in CSS pixels (device scale 1). */
  size: number;
  /** Frames timed per round and mode (after one warm-up frame), at most: see roundMs. */
  frames: number;
  /**
   * Milliseconds a round of one mode aims at: a mode whose untimed round drew slower times fewer frames
   * (framesPerRound), so that a slow page (REALTIME's 200k splats of the foliage field take 3.8 s a frame on
   * SwiftShader) is measured in minutes rather than timing out.
   */
  roundMs: number;
  /** Rounds per mode, interleaved (odd rounds start with the other mode). */
  rounds: number;
  /** How long the page may take to load both scenes (ms). */
  loadTimeoutMs: number;
  /** Called after each round of each mode. */
  onProgress?: (done: number, total: number) => void;
}

export const MEASURE_DEFAULTS: Omit<MeasureOptions, 'onProgress'> = {
  chromium: process.env.OTE_CHROMIUM ?? '/usr/bin/chromium',
  size: 512,
  frames: 60,
  roundMs: 20_000,
  rounds: 3,
  loadTimeoutMs: 180_000,
};

/** Arguments that give headless Chromium WebGL where there is no GPU (SwiftShader), as CI machines have none. */
export const CHROMIUM_ARGS = [
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--no-sandbox',
  '--ignore-gpu-blocklist',
];

/** One frame batch as viewer/frame-stats.js returns it. */
interface FrameStats {
  ms: number[];
  calls: number;
  triangles: number;
  bytes: ViewerRuntimeMode['bytes'];
  /** Gaussians Spark drew (its last sort), 0 in the before view. */
  splats: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Fewest frames a round times, however slow the page. */
export const MIN_ROUND_FRAMES = 3;

/**
 * Frames a round of one mode times: as many as fit `roundMs` at the untimed round's median frame time, within
 * [MIN_ROUND_FRAMES, frames].
 */
export function framesPerRound(warmMs: number[], frames: number, roundMs: number): number {
  const ms = median(warmMs);
  const fit = ms > 0 ? Math.floor(roundMs / ms) : frames;
  return Math.max(Math.min(MIN_ROUND_FRAMES, frames), Math.min(frames, fit));
}

function summarize(runs: FrameStats[], frames: number): ViewerRuntimeMode {
  const last = runs[runs.length - 1];
  const roundMs = runs.map((x) => median(x.ms));
  const b = last.bytes;
  return {
    medianMs: median(roundMs),
    roundMs,
    calls: last.calls,
    triangles: last.triangles,
    splats: Math.min(...runs.map((x) => x.splats)),
    bytes: b,
    gpuBytes: b.geometry + b.textures + b.splats + b.shadowMaps,
    frames,
  };
}

/**
 * Measures the output folder `target` (with its input scene for the before view) in Chromium. Throws, naming the
 * folder, when there is no before view to compare with or the page reports errors.
 */
export async function measureViewer(target: ViewTarget, options: Partial<MeasureOptions> = {}): Promise<ViewerRuntime> {
  const o = { ...MEASURE_DEFAULTS, ...options };
  const where = `measure ${target.root}`;
  if (target.kind !== 'folder' || !target.scene)
    throw new Error(`${where}: an output folder of ote optimize is needed`);
  if (!target.input) throw new Error(`${where}: no before view to compare with: ${target.inputMissing ?? 'no input'}`);
  if (!existsSync(o.chromium)) throw new Error(`${where}: no Chromium at ${o.chromium}`);
  const server = await startViewerServer({ target, title: target.root, port: 0 });
  const { default: puppeteer } = await import('puppeteer-core');
  // A round is bounded by roundMs, but one frame of a heavy page can take seconds: no protocol call of ours is
  // cut short by puppeteer's 3-minute default.
  const browser = await puppeteer.launch({
    executablePath: o.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    protocolTimeout: 30 * 60_000,
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push((e as Error).message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.setViewport({ width: o.size, height: o.size, deviceScaleFactor: 1 });
    await page.goto(`${server.url}?ui=0`, { waitUntil: 'load' });
    await page.waitForFunction('window.__oteViewer?.ready || window.__oteViewer?.errors.length > 0', {
      timeout: o.loadTimeoutMs,
    });
    const failed = () => {
      if (errors.length) throw new Error(`${where}: the viewer page reported: ${errors.join('; ')}`);
    };
    failed();
    // One untimed round of each mode first: the first frames after a switch compile shaders, upload textures and,
    // for Spark, sort and upload the splats (hundreds of ms on SwiftShader), which is loading, not drawing.
    // Its frame times set how many frames each mode's rounds take (framesPerRound).
    const frames = { before: o.frames, after: o.frames };
    for (const mode of ['after', 'before'] as const) {
      await page.evaluate(`window.__oteViewer.setMode('${mode}')`);
      const warm = (await page.evaluate(
        `window.__oteViewer.measure(${Math.min(o.frames, MIN_ROUND_FRAMES)})`,
      )) as FrameStats;
      frames[mode] = framesPerRound(warm.ms, o.frames, o.roundMs);
    }
    const raw: Record<'before' | 'after', FrameStats[]> = { before: [], after: [] };
    for (let round = 0; round < o.rounds; round++)
      for (const mode of round % 2 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
        await page.evaluate(`window.__oteViewer.setMode('${mode}')`);
        raw[mode].push((await page.evaluate(`window.__oteViewer.measure(${frames[mode]})`)) as FrameStats);
        o.onProgress?.(raw.before.length + raw.after.length, 2 * o.rounds);
      }
    failed();
    // A frame timed without its splats would flatter the after view (Spark sorts in a worker; the page waits for it).
    const missing = raw.after.find((x) => x.splats === 0);
    if (target.splats && missing) throw new Error(`${where}: Spark drew no splats in a timed after round`);
    // What drew the frames: SwiftShader on a machine without a GPU, which the figures must say.
    const gpu = (await page.evaluate(`(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
      return gl ? String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : 'unknown';
    })()`)) as string;
    const before = summarize(raw.before, frames.before),
      after = summarize(raw.after, frames.after);
    return {
      measuredAt: new Date().toISOString(),
      // "Chrome/150.0…" is what puppeteer reports for Debian's Chromium too.
      browser: (await browser.version()).replace(
        /^(Headless)?Chrome\//,
        /chromium/i.test(o.chromium) ? 'Chromium ' : 'Chrome ',
      ),
      gpu,
      size: o.size,
      frames: o.frames,
      rounds: o.rounds,
      before,
      after,
      speedup: before.medianMs / after.medianMs,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
