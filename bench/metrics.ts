/**
 * npm run bench:metrics — SSIM, MS-SSIM and FLIP on 1080p and 4K pairs, with ssim.js (npm) in the same run.
 * Pairs: the shared FLIP reference crop (../shared/metrics/ref.png) upscaled to each size, against a copy with
 * seeded Gaussian noise (σ = 8) and a blur, i.e. realistic render content; synthetic content if the folder is absent.
 * Prints a table, writes bench/results/metrics.json. Figures are the best of N runs (wall clock), plus CPU time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { decodePng, type RgbaImage } from '../ts-core/src/io/png.js';
import { computeMetrics, type MetricId } from '../ts-core/src/metrics/index.js';
import { nativeInfo, type Backend } from '../ts-core/src/native/addon.js';
import { Rng } from '../ts-core/src/util/rng.js';

const root = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) || !existsSync(join(d, 'ts-core'))) d = dirname(d);
  return d;
})();
const ssimJs = (
  createRequire(import.meta.url)('ssim.js') as { ssim: (a: unknown, b: unknown, o?: object) => { mssim: number } }
).ssim;
const runs = Number(process.env.BENCH_RUNS ?? 3);

function source(): RgbaImage<Uint8Array> {
  const f = join(root, '..', 'shared', 'metrics', 'ref.png');
  if (existsSync(f)) return decodePng(new Uint8Array(readFileSync(f))) as RgbaImage<Uint8Array>;
  const w = 960,
    h = 540,
    d = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++)
    for (let c = 0; c < 4; c++) d[4 * i + c] = c === 3 ? 255 : ((i % w) * (c + 1) + Math.floor(i / w) * 3) & 255;
  return { width: w, height: h, bitDepth: 8, data: d };
}

/** Bilinear upscale, then the test image: 3-tap blur plus seeded Gaussian noise. */
function pair(src: RgbaImage<Uint8Array>, w: number, h: number): [RgbaImage<Uint8Array>, RgbaImage<Uint8Array>] {
  const a = new Uint8Array(w * h * 4),
    b = new Uint8Array(w * h * 4),
    rng = new Rng(`bench-${w}`);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const sx = Math.min(src.width - 1.001, (x * src.width) / w),
        sy = Math.min(src.height - 1.001, (y * src.height) / h);
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy),
        fx = sx - x0,
        fy = sy - y0;
      for (let c = 0; c < 4; c++) {
        const p = (xx: number, yy: number) => src.data[(yy * src.width + xx) * 4 + c];
        a[(y * w + x) * 4 + c] = Math.round(
          (p(x0, y0) * (1 - fx) + p(x0 + 1, y0) * fx) * (1 - fy) +
            (p(x0, y0 + 1) * (1 - fx) + p(x0 + 1, y0 + 1) * fx) * fy,
        );
      }
    }
  for (let i = 0; i < w * h; i++)
    for (let c = 0; c < 4; c++) {
      if (c === 3) {
        b[4 * i + 3] = 255;
        continue;
      }
      const l = a[4 * Math.max(0, i - 1) + c],
        r = a[4 * Math.min(w * h - 1, i + 1) + c];
      const g = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      b[4 * i + c] = Math.max(0, Math.min(255, Math.round(0.25 * l + 0.5 * a[4 * i + c] + 0.25 * r + 8 * g)));
    }
  return [
    { width: w, height: h, bitDepth: 8, data: a },
    { width: w, height: h, bitDepth: 8, data: b },
  ];
}

interface Row {
  size: string;
  what: string;
  impl: string;
  ms: number;
  cpuMs: number;
  value: number;
  kernelMs?: number;
}
const rows: Row[] = [];

async function time(fn: () => Promise<number | { value: number; kernelMs?: number }>, n = runs) {
  let best = Infinity,
    bestCpu = Infinity,
    value = NaN,
    kernelMs: number | undefined;
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage(),
      t0 = performance.now();
    const r = await fn();
    const ms = performance.now() - t0,
      c = process.cpuUsage(c0);
    best = Math.min(best, ms);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
    value = typeof r === 'number' ? r : r.value;
    if (typeof r !== 'number' && r.kernelMs !== undefined) kernelMs = Math.min(kernelMs ?? Infinity, r.kernelMs);
  }
  return { ms: best, cpuMs: bestCpu, value, kernelMs };
}

async function main() {
  const info = nativeInfo();
  const backends: Backend[] = ['cpu', ...(info.devices.length ? (['cuda'] as Backend[]) : [])];
  const src = source();
  for (const [label, w, h] of [
    ['1080p', 1920, 1080],
    ['4K', 3840, 2160],
  ] as const) {
    const [a, b] = pair(src, w, h);
    for (const backend of backends) {
      const metric = async (id: MetricId, key: string) => {
        const t = await time(async () => {
          const r = await computeMetrics(a, b, { metrics: [id], backend });
          return { value: r[key] as number, kernelMs: r.kernelMs as number | undefined };
        });
        rows.push({ size: label, what: key, impl: `ote ${backend}`, ...t });
      };
      await metric('ssimLuma', 'ssimLuma');
      await metric('ssim', 'ssim');
      await metric('msssim', 'msssim');
      await metric('flip', 'flip');
    }
    // ssim.js at the same work (no downsampling; its fastest 'weber' algorithm and the default 'fast' one).
    for (const algo of ['weber', 'fast'] as const) {
      const t = await time(
        async () => ssimJs(a, b, { ssim: algo, downsample: false }).mssim,
        label === '4K' ? 1 : runs,
      );
      rows.push({ size: label, what: 'ssimLuma', impl: `ssim.js ${algo}`, ...t });
    }
  }
  // Ratios against the faster ssim.js variant, by wall time and by CPU time (the latter is steadier on a loaded box).
  const ref = (size: string, k: 'ms' | 'cpuMs') =>
    rows.filter((r) => r.size === size && r.impl.startsWith('ssim.js')).reduce((m, r) => Math.min(m, r[k]), Infinity);
  const lines = [
    `machine: ${cpus().length} cores (${cpus()[0]?.model}), load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}, ote threads ${info.threads}, CUDA ${info.devices.map((d) => d.name).join(', ') || 'none'}`,
    `${'size'.padEnd(6)} ${'metric'.padEnd(9)} ${'implementation'.padEnd(16)} ${'wall ms'.padStart(9)} ${'cpu ms'.padStart(9)} ${'kernel ms'.padStart(9)} ${'x ssim.js'.padStart(9)} ${'(cpu)'.padStart(6)}  value`,
  ];
  for (const r of rows) {
    const speedup = r.what === 'ssimLuma' ? (ref(r.size, 'ms') / r.ms).toFixed(1) : '';
    const cpuSpeedup = r.what === 'ssimLuma' ? (ref(r.size, 'cpuMs') / r.cpuMs).toFixed(1) : '';
    lines.push(
      `${r.size.padEnd(6)} ${r.what.padEnd(9)} ${r.impl.padEnd(16)} ${r.ms.toFixed(1).padStart(9)} ${r.cpuMs.toFixed(0).padStart(9)} ${(r.kernelMs?.toFixed(2) ?? '').padStart(9)} ${speedup.padStart(9)} ${cpuSpeedup.padStart(6)}  ${r.value.toFixed(6)}`,
    );
    Object.assign(r, {
      speedupVsSsimJs: speedup ? Number(speedup) : undefined,
      cpuSpeedupVsSsimJs: cpuSpeedup ? Number(cpuSpeedup) : undefined,
    });
  }
  console.log(lines.join('\n'));
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'results', 'metrics.json'),
    `${JSON.stringify({ date: new Date().toISOString(), loadavg: loadavg(), threads: info.threads, devices: info.devices, rows }, null, 2)}\n`,
  );
}

await main();
