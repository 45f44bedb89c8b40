/** report.html's Economy Offline chart: one well-formed SVG whose lines, bars and markers follow the plan. */
import { minimalReport } from './fixtures.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ECONOMY_CHART_DEFAULTS, economyChartSvg } from '../../src/report/economy-chart.js';
import { renderReportHtml } from '../../src/report/html.js';
import type { EconomyReport } from '../../src/report/types.js';

const HOUR = 3_600_000;
const start = Date.parse('2026-03-02T00:00:00Z');
const iso = (h: number) => new Date(start + h * HOUR).toISOString();

/** 30 hours, two classes; `gpu` runs in hours 10–13, `cpu` never. Prices peak at hour 18 (4.0). */
function economy(gpuId = 'gpu', hours = 30): EconomyReport {
  const range = (f: (h: number) => number) => Array.from({ length: hours }, (_, h) => f(h));
  return {
    objective: 'cost',
    work: 3.5,
    workSource: 'bake estimate',
    submitted: iso(0),
    deadline: iso(30),
    deferredUntil: iso(10),
    baseline: { cost: 12, kWh: 4, kgCo2: 1.6, finish: iso(4) },
    optimized: { cost: 7.5, kWh: 4, kgCo2: 0.9, finish: iso(14) },
    savingsPct: 37.5,
    roiPct: 60,
    co2SavingsPct: 43.75,
    windows: [
      { classId: gpuId, from: iso(10), to: iso(14), hours: 3.5, work: 3.5, cost: 7.5, kgCo2: 0.9, tier: 'offPeak' },
    ],
    carbonSource: 'recorded 2024 <DE>',
    timeline: {
      start: iso(0),
      stepMinutes: 60,
      classes: [
        {
          id: 'cpu',
          usdPerHour: range(() => 0.5),
          gCo2PerKWh: range((h) => 300 + h),
          usedHours: range(() => 0),
        },
        {
          id: gpuId,
          usdPerHour: range((h) => (h === 18 ? 4 : h >= 8 && h < 20 ? 3 : 2)),
          gCo2PerKWh: range((h) => 400 - 5 * h),
          usedHours: range((h) => (h >= 10 && h < 13 ? 1 : h === 13 ? 0.5 : 0)),
        },
      ],
    },
  };
}

/** Every chart the tests draw goes through here: no NaN or Infinity may reach the markup. */
function chart(e: EconomyReport, options = {}): string {
  const svg = economyChartSvg(e, options);
  assert.ok(!/NaN|Infinity/.test(svg), 'NaN or Infinity in the output');
  return svg;
}

/** A small tag-balance check: one root element, every tag closed in order, no raw `<` or stray `&` in text. */
function assertWellFormed(svg: string) {
  const stack: string[] = [];
  let roots = 0;
  const text = svg.replace(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g, (_, close, name, _a, self) => {
    if (close) assert.is(stack.pop(), name, `</${name}> closes the wrong element`);
    else {
      if (stack.length === 0) roots++;
      if (!self) stack.push(name);
    }
    return '';
  });
  assert.is(roots, 1, 'exactly one root element');
  assert.equal(stack, [], 'every element is closed');
  assert.ok(!/[<>]/.test(text), `stray markup: ${text.match(/.{0,20}[<>].{0,20}/)?.[0]}`);
  assert.ok(!/&(?!(amp|lt|gt|quot|#39);)/.test(svg), 'unescaped &');
  assert.ok(svg.startsWith('<svg') && svg.endsWith('</svg>'));
}

const paths = (svg: string, kind: string) => [...svg.matchAll(new RegExp(`<path class="${kind}"[^>]*>`, 'g'))];
const points = (d: string) => [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])]);
const attr = (tag: string, name: string) => tag.match(new RegExp(`\\s${name}="([^"]*)"`))![1];
/** The x of hour h in the 30-hour test timeline. */
const x = (h: number) =>
  ECONOMY_CHART_DEFAULTS.margin.left +
  (h / 30) * (ECONOMY_CHART_DEFAULTS.width - ECONOMY_CHART_DEFAULTS.margin.left - ECONOMY_CHART_DEFAULTS.margin.right);
const markerX = (svg: string, kind: string) =>
  Number(attr(svg.match(new RegExp(`<line class="marker marker-${kind}"[^>]*>`))![0], 'x1'));

test('the chart is one well-formed SVG with a title and both axes labelled', () => {
  const svg = chart(economy());
  assertWellFormed(svg);
  assert.match(
    svg,
    /^<svg[^>]*>\n<title>Economy Offline plan from 2026-03-02T00:00:00\.000Z to 2026-03-03T06:00:00\.000Z/,
  );
  assert.match(svg, /USD \/ machine-hour/);
  assert.match(svg, /gCO₂eq\/kWh/);
  assert.match(svg, /viewBox="0 0 720 220"/);
});

test('one price and one carbon line per used class; the highest price is drawn highest', () => {
  const svg = chart(economy());
  const price = paths(svg, 'price');
  assert.is(price.length, 1, 'only the class the plan used');
  assert.is(attr(price[0][0], 'data-class'), 'gpu');
  assert.is(paths(svg, 'carbon').length, 1);
  const pts = points(attr(price[0][0], 'd'));
  const ys = pts.map((p) => p[1]);
  // The step at hour 18 (price 4.0) is the top of the line; hours at 2.0 are its bottom.
  const top = Math.min(...ys);
  const atTop = pts.filter((p) => p[1] === top).map((p) => p[0]);
  assert.equal(
    atTop,
    [x(18), x(19)].map((v) => Math.round(v * 10) / 10),
  );
  assert.ok(pts.filter((p) => p[1] === Math.max(...ys)).some((p) => p[0] === x(0)));
  // Carbon falls over the day, so its dashed line climbs down: the first point is its highest.
  const carbon = points(attr(paths(svg, 'carbon')[0][0], 'd')).map((p) => p[1]);
  assert.is(carbon[0], Math.min(...carbon));
});

test('usage bars cover exactly the hours that ran, the half hour shorter', () => {
  const svg = chart(economy());
  const bars = paths(svg, 'used');
  assert.is(bars.length, 1);
  const d = attr(bars[0][0], 'd');
  const rects = [...d.matchAll(/M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)/g)].map((r) => r.slice(1).map(Number));
  assert.is(rects.length, 2, 'hours 10–12 at 1 machine-hour, hour 13 at 0.5');
  assert.is(rects[0][0], markerX(svg, 'deferred'), 'work starts where the deferral ends');
  const [full, half] = rects.map((r) => r[1] - r[3]);
  assert.ok(Math.abs(half - full / 2) < 0.2, `${half} vs ${full}`);
});

test('markers: submission, then the end of the deferral, then the deadline at the right edge', () => {
  const svg = chart(economy());
  const sub = markerX(svg, 'submitted');
  const def = markerX(svg, 'deferred');
  const dl = markerX(svg, 'deadline');
  assert.ok(sub < def && def < dl, `${sub} < ${def} < ${dl}`);
  assert.is(dl, ECONOMY_CHART_DEFAULTS.width - ECONOMY_CHART_DEFAULTS.margin.right);
  const noDeferral = chart({ ...economy(), deferredUntil: undefined });
  assert.not.match(noDeferral, /marker-deferred/);
  // Submitted mid-step: the marker sits where the job arrived, not at the start of its hour.
  assert.is(markerX(chart({ ...economy(), submitted: iso(2.5) }), 'submitted'), Math.round(x(2.5) * 10) / 10);
});

test('bars are to scale: a few minutes of one machine are a sliver of their hour', () => {
  const e = economy();
  e.timeline.classes[1].usedHours = e.timeline.classes[1].usedHours.map((_u, h) => (h === 10 ? 0.05 : 0));
  const d = attr(paths(chart(e), 'used')[0][0], 'd');
  const [r] = [...d.matchAll(/M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)/g)].map((m) => m.slice(1).map(Number));
  const plot = ECONOMY_CHART_DEFAULTS.height; // the plot is shorter than the SVG, so this bounds the bar's share
  assert.ok(Math.abs(r[1] - r[3]) < 0.05 * plot, `bar of ${Math.abs(r[1] - r[3])} px for 3 minutes`);
});

test('hour labels are UTC HH:MM, with the date at midnight', () => {
  const svg = chart(economy());
  assert.match(svg, />06:00<\/text>/);
  assert.match(svg, />2 Mar<\/text>/);
  assert.match(svg, />3 Mar<\/text>/);
});

test('the legend names the used classes, and class ids are escaped everywhere', () => {
  const svg = chart(economy('a<b&c'));
  assertWellFormed(svg);
  assert.match(svg, /<text x="18">a&lt;b&amp;c<\/text>/);
  assert.not.match(svg, /a<b&c/);
  assert.is(attr(paths(svg, 'price')[0][0], 'data-class'), 'a&lt;b&amp;c');
  // An unused class is not in the legend.
  assert.not.match(svg, /<text x="18">cpu<\/text>/);
});

test('with nothing used the first class is still drawn', () => {
  const e = economy();
  for (const c of e.timeline.classes) c.usedHours = c.usedHours.map(() => 0);
  const svg = chart(e);
  assertWellFormed(svg);
  assert.is(paths(svg, 'price').length, 1);
  assert.is(attr(paths(svg, 'price')[0][0], 'data-class'), 'cpu');
  assert.is(paths(svg, 'used').length, 0);
});

test('edge cases: no hours, one hour, all zeros, 240 hours, a broken start', () => {
  const empty = economy('gpu', 0);
  assert.match(chart(empty), /^<p[^>]*>No hourly timeline/);
  assert.match(chart({ ...empty, timeline: { ...empty.timeline, classes: [] } }), /^<p/);

  const one = chart(economy('gpu', 1));
  assertWellFormed(one);
  assert.is(paths(one, 'price').length, 1);

  const zeros = economy();
  for (const c of zeros.timeline.classes) {
    c.usdPerHour = c.usdPerHour.map(() => 0);
    c.gCo2PerKWh = c.gCo2PerKWh.map(() => 0);
    c.usedHours = c.usedHours.map(() => 0);
  }
  assertWellFormed(chart(zeros));

  const odd = economy();
  odd.timeline.classes[1].usdPerHour[3] = Number.NaN;
  odd.timeline.classes[1].gCo2PerKWh.length = 5;
  odd.timeline.stepMinutes = 0;
  assertWellFormed(chart(odd));

  const long = chart(economy('gpu', 240));
  assertWellFormed(long);
  assert.is(paths(long, 'price').length, 1);
  assert.ok(long.length < 40_000, `${long.length} characters for 240 hours`);

  const broken = chart({ ...economy(), timeline: { ...economy().timeline, start: 'soon' } });
  assertWellFormed(broken);
  assert.match(broken, />\+6h<\/text>/);
});

const report = minimalReport;

test('report.html has the schedule section and chart only when the run has an economy plan', () => {
  const without = renderReportHtml(report, {});
  assert.not.match(without, /Schedule and cost/);
  assert.not.match(without, /<svg/);

  const html = renderReportHtml({ ...report, economy: economy('a<b') }, {});
  assert.ok(!/NaN|Infinity/.test(html));
  assert.match(html, /<h2>Schedule and cost<\/h2>/);
  assert.ok(html.indexOf('Timings and cost') < html.indexOf('Schedule and cost'));
  assert.ok(html.indexOf('Schedule and cost') < html.indexOf('<h2>Outputs'));
  assert.match(html, /\$12\.0000 on submission → \$7\.5000 as planned \(saves 37\.5%, ROI 60\.0%\)/);
  assert.match(html, /1\.600 → 0\.900 kg CO₂e \(saves 43\.8%\)/);
  assert.match(html, /held until 2026-03-02T10:00:00\.000Z/);
  assert.match(html, /3\.50 reference hours \(bake estimate\)/);
  assert.match(html, /Carbon: recorded 2024 &lt;DE&gt;/);
  assert.match(
    html,
    /<tr><td>a&lt;b<\/td><td>2026-03-02T10:00:00\.000Z<\/td><td>2026-03-02T14:00:00\.000Z<\/td><td>offPeak<\/td><td>3\.50<\/td><td>\$7\.5000<\/td><td>0\.900<\/td><\/tr>/,
  );
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
  assert.is(svgs.length, 1);
  assertWellFormed(svgs[0]);
});

test.run();
