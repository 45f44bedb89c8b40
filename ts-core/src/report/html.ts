/**
 * report.html: one self-contained page (images inlined as data URIs) a producer can attach to a review, with the
 * before/after renders, FLIP heatmaps, the metrics table with confidence intervals, routing decisions, timings and
 * the estimated cost. It points at the 3D viewer (`ote view`), or, made with `--self-contained`, carries the viewer
 * itself (a page that needs no server, viewer/self-contained.ts) in an iframe, so that the one file can be mailed.
 * Pure: it takes the report, the PNG bytes and the viewer page, and returns text.
 */
import { escapeHtml } from './escape-html.js';
import { economyChartSvg } from './economy-chart.js';
import { frameCost, gainLine } from './runtime-line.js';
import { sizeLine } from './size-line.js';
import type { EconomyReport, OptimizeReport } from './types.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      B64[(n >> 18) & 63] +
      B64[(n >> 12) & 63] +
      (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') +
      (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return out;
}

const esc = escapeHtml;
const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

/** Economy Offline's plan: what it saved against running at once, its windows, and the timeline it chose from. */
function economySection(e: EconomyReport): string {
  const windows = e.windows.length
    ? `<table><tr><th>class</th><th>from</th><th>to</th><th>tier</th><th>machine-hours</th><th>cost</th><th>kg CO₂e</th></tr>${e.windows.map((w) => `<tr><td>${esc(w.classId)}</td><td>${esc(w.from)}</td><td>${esc(w.to)}</td><td>${esc(w.tier)}</td><td>${fmt(w.hours, 2)}</td><td>$${fmt(w.cost, 4)}</td><td>${fmt(w.kgCo2, 3)}</td></tr>`).join('')}</table>`
    : '<p>The plan has no windows.</p>';
  return `<h2>Schedule and cost</h2>
<p>Objective <b>${esc(e.objective)}</b>: $${fmt(e.baseline.cost, 4)} on submission → $${fmt(e.optimized.cost, 4)} as planned (saves ${fmt(e.savingsPct, 1)}%, ROI ${fmt(e.roiPct, 1)}%); ${fmt(e.baseline.kgCo2, 3)} → ${fmt(e.optimized.kgCo2, 3)} kg CO₂e (saves ${fmt(e.co2SavingsPct, 1)}%). Deadline ${esc(e.deadline)}${e.deferredUntil ? `, held until ${esc(e.deferredUntil)}` : ', run at once'}. Work: ${fmt(e.work, 2)} reference hours (${esc(e.workSource)}). Carbon: ${esc(e.carbonSource)}.</p>
${windows}
<figure>${economyChartSvg(e)}</figure>`;
}

/**
 * The line that points at the 3D viewer (`ote view`: the optimized scene in three.js at the report's cameras). It
 * names no path: the folder may have been moved or copied since.
 */
const VIEWER_LINE =
  '<p>Look around the result in 3D, in three.js lit by its lightmaps and starting at the view above: <code>ote view &lt;the folder of this report&gt;</code> (or make the report with <code>ote optimize --self-contained</code> to carry the viewer in this page)</p>';

/**
 * The viewer page in the report: an iframe whose srcdoc is the whole page (only `&` and `"` need escaping in a
 * quoted attribute), shaped like the report's camera so that it starts at the view above. `allow-scripts` without
 * `allow-same-origin` keeps the viewer away from this page.
 */
function viewerSection(r: OptimizeReport, viewerHtml: string): string {
  const c = r.views?.cameras?.[r.views.used - 1];
  const aspect = c && Number.isFinite(c.aspect) && c.aspect > 0 ? c.aspect : 16 / 9;
  const srcdoc = viewerHtml.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return `<h2>3D viewer</h2>
<p>The result in three.js, lit by its lightmaps and starting at the view above: drag to orbit, scroll to zoom, and pick the report's other views, the input scene (before) or the images above from the panel. It is part of this page and needs no server or network.</p>
<iframe class="viewer" title="3D viewer" sandbox="allow-scripts" style="aspect-ratio:${aspect.toFixed(4)}" srcdoc="${srcdoc}"></iframe>`;
}

export interface ReportHtmlOptions {
  /** The self-contained viewer page (`--self-contained`) to carry in the report instead of naming `ote view`. */
  viewerHtml?: string;
}

export function renderReportHtml(
  r: OptimizeReport,
  images: Record<string, Uint8Array>,
  opts: ReportHtmlOptions = {},
): string {
  const img = (file: string, label: string) =>
    images[file]
      ? `<figure><img alt="${esc(label)}" src="data:image/png;base64,${base64(images[file])}"><figcaption>${esc(label)}</figcaption></figure>`
      : '';
  const v = r.verification;
  const verdictClass = v?.verdict === 'accepted' ? 'pass' : v?.verdict === 'rejected' ? 'fail' : 'skip';
  const metricRows = v
    ? Object.entries(v.metrics)
        .map(
          ([name, m]) =>
            `<tr class="${m.pass ? 'pass' : 'fail'}"><td>${esc(name.toUpperCase())}</td><td>${fmt(m.mean)}</td><td>[${fmt(m.ci[0])}, ${fmt(m.ci[1])}]</td><td>${m.direction === 'min' ? '≥' : '≤'} ${fmt(m.threshold)}</td><td>${m.pass ? 'pass' : 'fail'}</td></tr>`,
        )
        .join('')
    : '';
  const decisions = r.plan.decisions
    .map(
      (d) =>
        `<tr><td>${esc(d.name)}</td><td class="route-${d.route}">${d.route}</td><td>${d.reasons.map(esc).join('<br>')}</td></tr>`,
    )
    .join('');
  const timings = r.timings
    .map(
      (t) =>
        `<tr><td>${esc(t.stage)}</td><td>${fmt(t.seconds, 2)} s</td><td>${t.device}${t.cached ? ' (cached)' : ''}</td></tr>`,
    )
    .join('');
  const artifacts = v?.artifacts?.length
    ? `<h2>Verified artifacts</h2><table><tr><th>file</th><th>kind</th><th>compared with</th><th>verdict</th><th>certificate</th></tr>${v.artifacts.map((a) => `<tr class="${a.verdict === 'accepted' ? 'pass' : 'fail'}"><td><code>${esc(a.file)}</code></td><td>${esc(a.kind)}</td><td>${esc(a.reference)}</td><td>${esc(a.verdict)}${a.reason ? `: ${esc(a.reason)}` : ''}</td><td><code>${esc(a.certificate)}</code></td></tr>`).join('')}</table>`
    : '';
  const sp = r.splats;
  const splats = sp
    ? `<h2>Splats</h2><p>Shipped the <b>${esc(sp.kept)}</b> model${sp.gaussians !== undefined ? ` (${sp.gaussians.toLocaleString('en-US')} Gaussians)` : ''}: ${sp.iterations ? `${sp.iterations} training iterations against ${esc(sp.targets)} targets${sp.targetSpp ? ` at ${sp.targetSpp} spp` : ''}, held-out PSNR trained ${fmt(sp.heldOutPsnr ?? NaN, 2)} dB vs direct conversion ${fmt(sp.conversionPsnr ?? NaN, 2)} dB, ${fmt(sp.seconds, 1)} s` : 'not trained (direct conversion)'}.</p>`
    : '';
  const hints = [...r.analysis.hints, ...r.analysis.objects.flatMap((o) => o.hints)];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Optimization report: ${esc(r.input.file)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left;vertical-align:top}
.pass{color:#17653a}.fail{color:#a3121c}.skip{color:#777}.verdict{font-size:1.3rem;font-weight:600}.gain{font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1rem}figure{margin:0}img{width:100%;image-rendering:pixelated;border:1px solid #ddd}
figcaption{font-size:.85rem;color:#555}code{background:#f4f4f4;padding:0 .2rem}
iframe.viewer{display:block;width:100%;border:1px solid #ddd}
</style></head><body>
<h1>Optimization report</h1>
<p><code>${esc(r.input.file)}</code> · scene hash <code>${esc(r.input.hash.slice(0, 16))}</code> · profile <b>${esc(r.profile.name)}</b> · ${esc(r.analysis.class)} · ${r.input.drawnTriangles.toLocaleString('en-US')} triangles drawn · ${esc(r.createdAt)}</p>
<p class="verdict ${verdictClass}">${v ? `Verification ${esc(v.verdict)}${v.reason ? `: ${esc(v.reason)}` : ''}` : 'Not verified'}</p>
<p>Pipeline: <b>${esc(r.plan.pipeline)}</b> · exit code ${r.exit.code} (${esc(r.exit.reason)})</p>
<p class="gain">${esc(gainLine(r))}.${r.runtime ? ` ${esc(frameCost(r.runtime))}` : ''}</p>
${r.size ? `<p>${esc(sizeLine(r.size))}</p>` : ''}
<h2>Before and after</h2><div class="grid">${r.images.map((i) => img(i.file, i.label)).join('')}</div>
${opts.viewerHtml === undefined ? VIEWER_LINE : viewerSection(r, opts.viewerHtml)}
${
  v
    ? `<h2>Metrics (${v.samples} sampled views, ${v.nodes.length} verifier nodes)</h2>
<table><tr><th>metric</th><th>mean</th><th>confidence interval</th><th>threshold</th><th></th></tr>${metricRows}</table>
${v.byzantine.length ? `<p class="fail">Flagged nodes: ${v.byzantine.map(esc).join(', ')}</p>` : ''}${v.logIndex !== undefined ? `<p>Audit log index ${v.logIndex}; certificate <code>${esc(r.outputs.certificate ?? '')}</code></p>` : ''}`
    : ''
}
${artifacts}${splats}
<h2>Routing decisions</h2><table><tr><th>object</th><th>route</th><th>why</th></tr>${decisions}</table>
${hints.length ? `<h2>Hints</h2><ul>${hints.map((h) => `<li>${esc(h)}</li>`).join('')}</ul>` : ''}
<h2>Timings and cost</h2><table><tr><th>stage</th><th>time</th><th>where</th></tr>${timings}</table>
<p>Estimated cost: $${fmt(r.cost.usd, 4)} (${fmt(r.cost.cpuCoreHours, 4)} CPU core-hours, ${fmt(r.cost.gpuHours, 4)} GPU-hours), ${fmt(r.cost.energyKWh, 4)} kWh, ${fmt(r.cost.co2Kg * 1000, 1)} g CO₂e at ${r.cost.assumptions.gridKgCo2PerKWh} kg/kWh.</p>
${r.economy ? economySection(r.economy) : ''}
<h2>Outputs</h2><ul>${[r.outputs.scene, ...r.outputs.lightmaps, ...r.outputs.splats, r.outputs.certificate]
    .filter(Boolean)
    .map((f) => `<li><code>${esc(f)}</code></li>`)
    .join('')}<li><code>report.json</code></li></ul>
</body></html>
`;
}
