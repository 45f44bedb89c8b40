import { heatmap } from '../../image/heatmap.js';
import { writeImageFile, readImageFile } from '../../io/image-file.js';
import {
  computeMetrics,
  DEFAULT_METRICS,
  judge,
  listMetrics,
  metricsFor,
  VERDICT_SSIM,
  type MetricId,
  type MetricsResult,
  type Thresholds,
} from '../../metrics/index.js';
import type { Backend } from '../../native/addon.js';
import { numberFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../../exit-codes.js';

const USAGE = `ote compare <reference> <test> [options]
  Images: PNG (8/16-bit, sRGB) or OpenEXR (linear float; compared after sRGB encoding unless --float-encoding stored).
  --metric <id[,id]>       psnr, ssim (mean of R,G,B SSIM), ssimLuma, msssim, flip; repeatable (default: ${DEFAULT_METRICS.join(',')})
  --heatmap <out.png|.exr> write an error map (FLIP with the magma colour map, or 1 - SSIM); .exr keeps raw values
  --heatmap-metric <m>     flip (default when computed) or ssim
  --crop x,y,w,h           compare this rectangle only
  --data-range <n>         stored units that map to 1.0 (default 255 / 65535 / 1.0 by pixel type)
  --float-encoding <e>     linear-srgb (default) or stored
  --ppd <n>                FLIP pixels per degree (default 67.02)
  --backend <b>            cpu (default: bit-identical on every node), cuda or auto
  --min-psnr <dB> --min-ssim <v> --min-msssim <v> --max-flip <v>
                           exit ${EXIT.QUALITY_BELOW_THRESHOLD} when a threshold fails (SSIM thresholds use ${VERDICT_SSIM})
  --list                   list the metrics and whether each is available here
  --json                   print one JSON object`;

function fmt(id: string, v: unknown): string {
  if (typeof v !== 'number') return String(v);
  if (id === 'psnr') return v === Infinity ? 'inf (identical)' : `${v.toFixed(4)} dB`;
  return v.toFixed(6);
}

/** JSON cannot hold Infinity (identical images): it is written as the string "Infinity", which Number() reads back. */
function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'image quality metrics between two images (PSNR, SSIM, MS-SSIM, FLIP), with heatmaps',
  usage: USAGE,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      metric: { type: 'string', multiple: true },
      heatmap: { type: 'string' },
      'heatmap-metric': { type: 'string' },
      crop: { type: 'string' },
      'data-range': { type: 'string' },
      'float-encoding': { type: 'string' },
      ppd: { type: 'string' },
      backend: { type: 'string' },
      'min-psnr': { type: 'string' },
      'min-ssim': { type: 'string' },
      'min-msssim': { type: 'string' },
      'max-flip': { type: 'string' },
      list: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (values.list) {
      const list = listMetrics();
      if (values.json) ctx.stdout(`${toJson(list)}\n`);
      else
        ctx.stdout(
          `${list.map((m) => `${m.id.padEnd(9)} ${m.name.padEnd(16)} ${m.available ? 'available' : `unavailable: ${m.unavailableReason}`}`).join('\n')}\n`,
        );
      return 0;
    }
    const refFile = requirePositional(positionals, 0, 'reference image');
    const testFile = requirePositional(positionals, 1, 'test image');
    if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);

    const thresholds: Thresholds = {};
    const num = (name: string) =>
      values[name as keyof typeof values] === undefined
        ? undefined
        : numberFlag(values[name as keyof typeof values] as string, name, 0);
    thresholds.minPsnr = num('min-psnr');
    thresholds.minSsim = num('min-ssim');
    thresholds.minMsssim = num('min-msssim');
    thresholds.maxFlip = num('max-flip');
    for (const k of Object.keys(thresholds) as (keyof Thresholds)[])
      if (thresholds[k] === undefined) delete thresholds[k];

    const metrics: MetricId[] = values.metric
      ? values.metric
          .flatMap((m) => m.split(','))
          .map((m) => m.trim())
          .filter(Boolean)
      : [...DEFAULT_METRICS];
    for (const m of metricsFor(thresholds)) if (!metrics.includes(m)) metrics.push(m);
    const known = new Set(listMetrics().map((m) => m.id));
    for (const m of metrics)
      if (!known.has(m)) throw new UsageError(`unknown metric "${m}"; choose from ${[...known].join(', ')}`);

    let heatMetric: 'flip' | 'ssimLuma' | undefined;
    if (values.heatmap) {
      const hm = values['heatmap-metric'] ?? (metrics.includes('flip') ? 'flip' : 'ssim');
      if (hm !== 'flip' && hm !== 'ssim') throw new UsageError(`--heatmap-metric must be flip or ssim, got "${hm}"`);
      heatMetric = hm === 'flip' ? 'flip' : 'ssimLuma';
    } else if (values['heatmap-metric']) {
      throw new UsageError('--heatmap-metric needs --heatmap <out.png>');
    }
    let crop: { x: number; y: number; width: number; height: number } | undefined;
    if (values.crop) {
      const p = values.crop.split(',').map(Number);
      if (p.length !== 4 || !p.every(Number.isInteger))
        throw new UsageError(`--crop must be x,y,width,height in whole pixels, got "${values.crop}"`);
      crop = { x: p[0], y: p[1], width: p[2], height: p[3] };
    }
    const enc = values['float-encoding'] ?? 'linear-srgb';
    if (enc !== 'linear-srgb' && enc !== 'stored')
      throw new UsageError(`--float-encoding must be linear-srgb or stored, got "${enc}"`);
    const backend = (values.backend ?? 'cpu') as Backend;
    if (!['cpu', 'cuda', 'auto'].includes(backend))
      throw new UsageError(`--backend must be cpu, cuda or auto, got "${backend}"`);

    const [a, b] = await Promise.all([readImageFile(refFile), readImageFile(testFile)]);
    const t0 = performance.now();
    const r: MetricsResult = await computeMetrics(a.image, b.image, {
      metrics,
      maps: heatMetric ? [heatMetric] : [],
      dataRange:
        values['data-range'] === undefined
          ? undefined
          : numberFlag(values['data-range'], 'data-range', 1, { above: 0 }),
      floatEncoding: enc,
      crop,
      ppd: values.ppd === undefined ? undefined : numberFlag(values.ppd, 'ppd', 67.0206, { above: 0 }),
      backend,
      signal: ctx.signal,
    });
    const ms = performance.now() - t0;

    if (values.heatmap && heatMetric) {
      const map = r.maps?.[heatMetric];
      if (!map) throw new Error(`internal: ${heatMetric} map missing`);
      if (values.heatmap.toLowerCase().endsWith('.exr')) {
        // Raw values, grey: the error map itself for tools that read EXR.
        const data = new Float32Array(map.width * map.height * 4);
        for (let i = 0; i < map.width * map.height; i++) {
          const v = heatMetric === 'flip' ? map.data[i] : 1 - map.data[i];
          data.fill(v, 4 * i, 4 * i + 3);
          data[4 * i + 3] = 1;
        }
        await writeImageFile(values.heatmap, { width: map.width, height: map.height, data }, { type: 'float' });
      } else {
        await writeImageFile(values.heatmap, heatmap(map, { invert: heatMetric === 'ssimLuma' }));
      }
    }

    const verdict = Object.keys(thresholds).length ? judge(r, thresholds) : undefined;
    const { maps: _m, ...scalars } = r;
    if (values.json) {
      ctx.stdout(
        `${toJson({ reference: { file: refFile, kind: a.kind }, test: { file: testFile, kind: b.kind }, ...scalars, ms: Math.round(ms * 10) / 10, heatmap: values.heatmap, verdict })}\n`,
      );
    } else {
      const lines = [
        `${refFile} (${a.kind}) vs ${testFile} (${b.kind}), ${r.width}x${r.height}${crop ? ` crop ${values.crop}` : ''}, ${r.backend}, ${ms.toFixed(0)} ms`,
      ];
      for (const m of metrics) {
        lines.push(`  ${m.padEnd(9)} ${fmt(m, r[m])}`);
        if (m === 'psnr' && r.psnrChannels)
          lines.push(
            `            R ${fmt('psnr', r.psnrChannels[0])}  G ${fmt('psnr', r.psnrChannels[1])}  B ${fmt('psnr', r.psnrChannels[2])}`,
          );
      }
      if (values.heatmap)
        lines.push(`  heatmap   ${values.heatmap} (${heatMetric === 'flip' ? 'FLIP' : '1 - SSIM luma'})`);
      if (verdict)
        for (const c of verdict.checks)
          lines.push(`  ${c.pass ? 'pass' : 'FAIL'}      ${c.metric} ${fmt(c.metric, c.value)} ${c.op} ${c.limit}`);
      ctx.stdout(`${lines.join('\n')}\n`);
    }
    return verdict && !verdict.pass ? EXIT.QUALITY_BELOW_THRESHOLD : 0;
  },
};
