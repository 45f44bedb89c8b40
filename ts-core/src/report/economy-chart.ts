/**
 * Economy Offline's plan as an inline SVG timeline for report.html: over the steps from submission to the deadline,
 * each used class's price per machine-hour as a step line (left axis), its grid's carbon intensity as a dashed step
 * line (right axis), stacked shaded bars where the plan ran work (height ∝ machine-hours), and vertical markers at
 * submission, the end of the deferral and the deadline, with UTC hour labels and a legend.
 * Pure string building (no DOM, no Node): report/ also runs inside Puerts' V8.
 */
import { escapeHtml } from './escape-html.js';
import type { EconomyReport } from './types.js';

export interface EconomyChartOptions {
  /** Size of the SVG in px (the legend may add rows below when it does not fit on one). */
  width: number;
  height: number;
  /** Room around the plot: marker labels above, axis labels at the sides, hour labels and the legend below. */
  margin: { top: number; right: number; bottom: number; left: number };
  fontSize: number;
  /** One colour per class, by its index in the timeline (cycled). */
  colors: readonly string[];
  /** Opacity of the usage bars, so that the lines stay readable over them. */
  barOpacity: number;
  /** Least room between two hour labels (px); the tick interval grows until they fit. */
  minTickSpacing: number;
  /** Intervals of the vertical axes. */
  yTicks: number;
}

export const ECONOMY_CHART_DEFAULTS: EconomyChartOptions = {
  width: 720,
  height: 220,
  margin: { top: 30, right: 60, bottom: 58, left: 60 },
  fontSize: 11,
  colors: ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'],
  barOpacity: 0.3,
  minTickSpacing: 56,
  yTicks: 4,
};

const esc = escapeHtml;
/** Coordinates to 0.1 px: finer than any screen, and keeps 240-hour paths short. */
const r1 = (x: number) => String(Math.round(x * 10) / 10);
/** Missing, non-finite or negative inputs draw as 0 rather than leaking NaN into the markup. */
const num = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
/** Rough text width for layout (no DOM to measure with). */
const textWidth = (s: string, fontSize: number) => s.length * fontSize * 0.55;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TICK_MINUTES = [15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];
const MARKER_COLORS = { submitted: '#555', deferred: '#b26b00', deadline: '#a3121c' } as const;

/** A 1/2/2.5/5 × 10^k step at least `raw`, so that axis labels read as round numbers. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5]) if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/** Axis from 0 to a round maximum above `max`; all-zero data gets an axis to 1 (no division by zero). */
function niceAxis(max: number, ticks: number): { max: number; step: number } {
  const step = niceStep((max > 0 ? max : 1) / ticks);
  return { max: step * ticks, step };
}

/** Decimals that show `step` exactly (0.25 → 2), so that tick labels do not repeat. */
function decimals(step: number): number {
  let d = 0;
  while (d < 6 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6) d++;
  return d;
}

/** A step line: each value holds from its step to the next; only changes add points. */
function stepPath(values: number[], x: (i: number) => number, y: (v: number) => number): string {
  let d = `M${r1(x(0))},${r1(y(values[0]))}`;
  for (let i = 1; i < values.length; i++)
    if (values[i] !== values[i - 1]) d += `L${r1(x(i))},${r1(y(values[i - 1]))}L${r1(x(i))},${r1(y(values[i]))}`;
  return `${d}L${r1(x(values.length))},${r1(y(values[values.length - 1]))}`;
}

/** Bars on top of `base`, one closed rectangle per run of equal steps (one path per class). */
function barPath(used: number[], base: number[], x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  for (let i = 0; i < used.length; ) {
    let j = i + 1;
    while (j < used.length && used[j] === used[i] && base[j] === base[i]) j++;
    if (used[i] > 0) d += `M${r1(x(i))},${r1(y(base[i]))}H${r1(x(j))}V${r1(y(base[i] + used[i]))}H${r1(x(i))}Z`;
    i = j;
  }
  return d;
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function day(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** The timeline as an SVG string, or a short `<p>` when it has no steps to draw. */
export function economyChartSvg(e: EconomyReport, options: Partial<EconomyChartOptions> = {}): string {
  const o = { ...ECONOMY_CHART_DEFAULTS, ...options };
  const { fontSize: fs, margin: m } = o;
  const classes = e.timeline.classes;
  const n = Math.max(0, ...classes.map((c) => Math.max(c.usdPerHour.length, c.gCo2PerKWh.length, c.usedHours.length)));
  if (n === 0) return '<p class="economy-chart-empty">No hourly timeline to chart.</p>';

  const stepMin = Number.isFinite(e.timeline.stepMinutes) && e.timeline.stepMinutes > 0 ? e.timeline.stepMinutes : 60;
  const stepMs = stepMin * 60_000;
  const startMs = Date.parse(e.timeline.start);
  const absolute = Number.isFinite(startMs);
  const series = classes.map((c, k) => ({
    id: c.id,
    color: o.colors[k % o.colors.length],
    price: Array.from({ length: n }, (_, i) => num(c.usdPerHour[i])),
    carbon: Array.from({ length: n }, (_, i) => num(c.gCo2PerKWh[i])),
    used: Array.from({ length: n }, (_, i) => num(c.usedHours[i])),
  }));
  // The classes the plan ran on; with none, the first class still shows what waiting would have cost.
  let drawn = series.filter((s) => s.used.some((u) => u > 0));
  if (drawn.length === 0) drawn = series.slice(0, 1);

  // Legend items first: their rows decide how tall the SVG is.
  const stack = Array.from({ length: n }, (_, i) => drawn.reduce((a, s) => a + s.used[i], 0));
  const maxUsed = Math.max(0, ...stack);
  // Bars are to scale against one machine for the whole step (a run of 3 minutes is a sliver of its hour), or against
  // the busiest step where the plan ran more than one machine at once.
  const barScale = Math.max(1, maxUsed);
  type Item = { label: string; swatch: string };
  const items: Item[] = [
    ...drawn.map((s) => ({ label: s.id, swatch: `<rect width="10" height="10" y="-9" fill="${s.color}"/>` })),
    { label: 'price, USD/h (left)', swatch: '<path d="M0,-4H14" stroke="#555" stroke-width="2"/>' },
    {
      label: 'carbon, gCO₂eq/kWh (right)',
      swatch: '<path d="M0,-4H14" stroke="#555" stroke-width="1.5" stroke-dasharray="4 3"/>',
    },
    {
      label: maxUsed > 0 ? `machine-hours used (max ${maxUsed.toFixed(maxUsed < 10 ? 2 : 1)})` : 'no work ran',
      swatch: `<rect width="10" height="10" y="-9" fill="#555" fill-opacity="${o.barOpacity}"/>`,
    },
  ];
  const lineH = fs + 6;
  const placed: { x: number; row: number; item: Item }[] = [];
  let lx = m.left;
  let row = 0;
  for (const item of items) {
    const w = 18 + textWidth(item.label, fs) + 14;
    if (lx + w > o.width - 4 && lx > m.left) {
      row++;
      lx = m.left;
    }
    placed.push({ x: lx, row, item });
    lx += w;
  }
  const W = o.width;
  const H = o.height + row * lineH;
  const x0 = m.left;
  const x1 = W - m.right;
  const y0 = m.top;
  const y1 = o.height - m.bottom;
  const x = (i: number) => x0 + (i / n) * (x1 - x0);
  const priceAxis = niceAxis(Math.max(0, ...drawn.flatMap((s) => s.price)), o.yTicks);
  const carbonAxis = niceAxis(Math.max(0, ...drawn.flatMap((s) => s.carbon)), o.yTicks);
  const yPrice = (v: number) => y1 - (v / priceAxis.max) * (y1 - y0);
  const yCarbon = (v: number) => y1 - (v / carbonAxis.max) * (y1 - y0);
  const yUsed = (v: number) => y1 - (v / barScale) * (y1 - y0);

  const out: string[] = [];
  const endLabel = absolute ? new Date(startMs + n * stepMs).toISOString() : `${n} steps`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="economy-chart" viewBox="0 0 ${W} ${r1(H)}" width="${W}" height="${r1(H)}" role="img" font-family="system-ui,sans-serif" font-size="${fs}" style="max-width:100%;height:auto">`,
    `<title>${esc(`Economy Offline plan from ${e.timeline.start} to ${endLabel}: price per machine-hour and grid carbon intensity of ${drawn.map((s) => s.id).join(', ')}, shaded where work ran`)}</title>`,
  );

  // Horizontal grid and both value axes share the tick positions.
  const pd = decimals(priceAxis.step);
  const cd = decimals(carbonAxis.step);
  for (let t = 0; t <= o.yTicks; t++) {
    const y = r1(yPrice(t * priceAxis.step));
    out.push(
      `<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${x0 - 4}" y="${y}" dy="0.32em" text-anchor="end">${(t * priceAxis.step).toFixed(pd)}</text>`,
      `<text x="${x1 + 4}" y="${y}" dy="0.32em">${(t * carbonAxis.step).toFixed(cd)}</text>`,
    );
  }
  const yMid = r1((y0 + y1) / 2);
  out.push(
    `<text transform="translate(${fs + 2},${yMid}) rotate(-90)" text-anchor="middle">USD / machine-hour</text>`,
    `<text transform="translate(${W - 4},${yMid}) rotate(-90)" text-anchor="middle">gCO₂eq/kWh</text>`,
  );

  // Time axis: the smallest round interval whose labels do not crowd, aligned on UTC clock times.
  const totalMin = n * stepMin;
  const interval =
    TICK_MINUTES.find((t) => ((x1 - x0) * t) / totalMin >= o.minTickSpacing) ?? TICK_MINUTES[TICK_MINUTES.length - 1];
  const intMs = interval * 60_000;
  const first = absolute ? Math.ceil(startMs / intMs) * intMs : 0;
  const origin = absolute ? startMs : 0;
  let firstTick = true;
  for (let t = first; t <= origin + n * stepMs + 1; t += intMs) {
    const xt = r1(x((t - origin) / stepMs));
    out.push(`<line x1="${xt}" x2="${xt}" y1="${y1}" y2="${y1 + 4}" stroke="#999"/>`);
    if (absolute) {
      out.push(`<text x="${xt}" y="${y1 + fs + 4}" text-anchor="middle">${hhmm(t)}</text>`);
      // The date under the first label and at each midnight, so that a multi-day plan reads without counting.
      if (firstTick || t % 86_400_000 === 0)
        out.push(`<text x="${xt}" y="${y1 + 2 * fs + 6}" text-anchor="middle" fill="#666">${day(t)}</text>`);
    } else {
      out.push(`<text x="${xt}" y="${y1 + fs + 4}" text-anchor="middle">+${(t - origin) / 3_600_000}h</text>`);
    }
    firstTick = false;
  }
  out.push(`<path d="M${x0},${y0}V${y1}H${x1}V${y0}" fill="none" stroke="#999"/>`);

  // Usage bars under the lines, stacked in class order.
  const base = new Array<number>(n).fill(0);
  for (const s of drawn) {
    const d = barPath(s.used, base, x, yUsed);
    if (d)
      out.push(
        `<path class="used" data-class="${esc(s.id)}" d="${d}" fill="${s.color}" fill-opacity="${o.barOpacity}"/>`,
      );
    for (let i = 0; i < n; i++) base[i] += s.used[i];
  }
  for (const s of drawn)
    out.push(
      `<path class="carbon" data-class="${esc(s.id)}" d="${stepPath(s.carbon, x, yCarbon)}" fill="none" stroke="${s.color}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
      `<path class="price" data-class="${esc(s.id)}" d="${stepPath(s.price, x, yPrice)}" fill="none" stroke="${s.color}" stroke-width="2"/>`,
    );

  // Markers; labels go on a second row above when they would overlap the previous one.
  const markers = [
    {
      kind: 'submitted' as const,
      label: 'submitted',
      ms: Number.isFinite(Date.parse(e.submitted)) ? Date.parse(e.submitted) : startMs,
    },
    { kind: 'deferred' as const, label: 'held until', ms: e.deferredUntil ? Date.parse(e.deferredUntil) : NaN },
    { kind: 'deadline' as const, label: 'deadline', ms: Date.parse(e.deadline) },
  ]
    .filter((k) => absolute && Number.isFinite(k.ms))
    .map((k) => ({ ...k, x: Math.min(x1, Math.max(x0, x((k.ms - startMs) / stepMs))) }))
    .sort((a, b) => a.x - b.x);
  const rowEnd = [-Infinity, -Infinity];
  for (const k of markers) {
    const w = textWidth(k.label, fs);
    // Kept over the plot, clear of the axes' top labels.
    let anchor = k.x - w / 2 < x0 ? 'start' : k.x + w / 2 > x1 ? 'end' : 'middle';
    let tx = k.x;
    let left = anchor === 'start' ? k.x : anchor === 'end' ? k.x - w : k.x - w / 2;
    let r = left > rowEnd[0] + 4 ? 0 : left > rowEnd[1] + 4 ? 1 : -1;
    if (r < 0) {
      // Both rows taken (three markers within a few hours): nudge the label right of the row that ends first.
      r = rowEnd[0] <= rowEnd[1] ? 0 : 1;
      left = rowEnd[r] + 4;
      tx = left;
      anchor = 'start';
    }
    rowEnd[r] = left + w;
    const xs = r1(k.x);
    out.push(
      `<line class="marker marker-${k.kind}" x1="${xs}" x2="${xs}" y1="${y0 - (r ? fs + 6 : 2)}" y2="${y1}" stroke="${MARKER_COLORS[k.kind]}" stroke-width="1.5"${k.kind === 'deferred' ? ' stroke-dasharray="3 2"' : ''}/>`,
      `<text x="${r1(tx)}" y="${y0 - 5 - r * (fs + 4)}" text-anchor="${anchor}" fill="${MARKER_COLORS[k.kind]}">${k.label}</text>`,
    );
  }

  const ly = o.height - 8;
  for (const p of placed)
    out.push(
      `<g class="legend" transform="translate(${r1(p.x)},${r1(ly + p.row * lineH)})">${p.item.swatch}<text x="18">${esc(p.item.label)}</text></g>`,
    );
  out.push('</svg>');
  return out.join('\n');
}
