/**
 * Price tiers and carbon per interval (issue #18): tier boundaries follow each machine's local clock across time
 * zones, daylight-saving changes and weekends; the real carbon traces (Wiesner et al., Middleware 2021) and spot
 * traces (Wu et al., NSDI 2024) in ../shared/traces parse into timelines that keep their values.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POOL, type ResourceClass } from '../../src/economy/pool.js';
import {
  capacityTimeline,
  HOUR_MS,
  multiplierAt,
  priceTimeline,
  resample,
  tierAt,
  valueAt,
} from '../../src/economy/timeline.js';
import { parseCarbonCsv, parseSpotTrace } from '../../src/economy/traces.js';
import { readCarbonCsv, readSpotJson } from '../../src/io/traces.js';
import { sharedTracesDir } from '../helpers.js';

const utc = (iso: string) => Date.parse(`${iso}Z`);
const readCarbonTrace = (dir: string, region: string) => {
  const f = readCarbonCsv(dir, region);
  return parseCarbonCsv(f.text, f.name);
};
const classIn = (zone: string, over: Partial<ResourceClass> = {}): ResourceClass => ({
  ...DEFAULT_POOL.classes.find((c) => c.id === 'cloud')!,
  zone,
  ...over,
});

test('tier boundaries on a weekday, by local hour (6–9 priced standard)', () => {
  const z = 'Europe/London'; // GMT in January: local = UTC
  const cases: [string, string, number][] = [
    ['2020-01-06T05:59', 'offPeak', 0.6],
    ['2020-01-06T06:00', 'standard', 1.0],
    ['2020-01-06T08:59', 'standard', 1.0],
    ['2020-01-06T09:00', 'peak', 2.0],
    ['2020-01-06T16:59', 'peak', 2.0],
    ['2020-01-06T17:00', 'standard', 1.0],
    ['2020-01-06T20:59', 'standard', 1.0],
    ['2020-01-06T21:00', 'offPeak', 0.6],
    ['2020-01-06T23:59', 'offPeak', 0.6],
    ['2020-01-07T00:00', 'offPeak', 0.6],
  ];
  for (const [at, tier, m] of cases) {
    assert.is(tierAt(utc(at), z), tier, at);
    assert.is(multiplierAt(utc(at), z), m, at);
  }
});

test('the same instant falls in different tiers across time zones', () => {
  const t = utc('2020-01-06T08:00'); // a Monday
  assert.is(tierAt(t, 'Europe/London'), 'standard'); // 08:00
  assert.is(tierAt(t, 'Europe/Berlin'), 'peak'); // 09:00
  assert.is(tierAt(t, 'America/New_York'), 'offPeak'); // 03:00
  assert.is(tierAt(t, 'Asia/Tokyo'), 'standard'); // 17:00
  assert.is(tierAt(t, 'Asia/Kolkata'), 'peak'); // 13:30
  assert.is(tierAt(t, 'Europe/London', true), 'spot');
  assert.is(multiplierAt(t, 'Asia/Tokyo', true), 0.3);
});

test('daylight saving moves the tiers by an hour in UTC', () => {
  // London: GMT before 2020-03-29, BST after; 08:00 UTC is 08:00 then 09:00 local on the Mondays either side.
  assert.is(tierAt(utc('2020-03-23T08:00'), 'Europe/London'), 'standard');
  assert.is(tierAt(utc('2020-03-30T08:00'), 'Europe/London'), 'peak');
  // And back on 2020-10-25.
  assert.is(tierAt(utc('2020-10-19T08:00'), 'Europe/London'), 'peak');
  assert.is(tierAt(utc('2020-10-26T08:00'), 'Europe/London'), 'standard');
  // New York changed on 2020-03-08: 13:00 UTC is 08:00 EST, then 09:00 EDT.
  assert.is(tierAt(utc('2020-03-02T13:00'), 'America/New_York'), 'standard');
  assert.is(tierAt(utc('2020-03-09T13:00'), 'America/New_York'), 'peak');
  // Between the two changes New York is 4 h behind London instead of 5.
  assert.is(tierAt(utc('2020-03-23T21:00'), 'America/New_York'), 'standard'); // 17:00 EDT
  assert.is(tierAt(utc('2020-03-23T21:00'), 'Europe/London'), 'offPeak'); // 21:00 GMT
});

test('weekends by local day, including a daylight-saving Sunday', () => {
  const fri = utc('2020-03-27T23:30'); // Friday in London, already Saturday in Berlin
  assert.is(tierAt(fri, 'Europe/London'), 'offPeak');
  assert.is(tierAt(fri, 'Europe/Berlin'), 'weekend');
  assert.is(multiplierAt(fri, 'Europe/Berlin'), 0.4);
  // Sunday 2020-03-29 has 23 local hours in London; all of them are weekend.
  for (let h = 0; h < 23; h++) assert.is(tierAt(utc('2020-03-29T00:00') + h * HOUR_MS, 'Europe/London'), 'weekend');
  assert.is(tierAt(utc('2020-03-29T23:00'), 'Europe/London'), 'offPeak'); // Monday 00:00 BST
  assert.is(tierAt(utc('2020-03-29T22:59'), 'Europe/Berlin'), 'offPeak'); // Monday 00:59 CEST
});

test('a week of hourly prices has the expected number of hours in each tier', () => {
  const tl = priceTimeline(classIn('Europe/Berlin'), utc('2020-01-05T23:00'), HOUR_MS, 168); // Mon 00:00 CET
  const count = new Map<number, number>();
  for (const v of tl.values) count.set(v, (count.get(v) ?? 0) + 1);
  assert.equal(Object.fromEntries(count), { 0.6: 45, 1: 35, 2: 40, 0.4: 48 });
  const spot = priceTimeline(classIn('Europe/Berlin', { availability: 'spot' }), tl.startMs, HOUR_MS, 168);
  assert.ok(spot.values.every((v) => v === 0.3));
});

test('diurnal machines are free at night and at weekends, local time', () => {
  const c = classIn('Europe/London', { availability: 'diurnal', count: 4 });
  const cap = capacityTimeline(c, utc('2020-01-06T00:00'), HOUR_MS, 24 * 7);
  const at = (iso: string) => cap.values[(utc(iso) - cap.startMs) / HOUR_MS];
  assert.is(at('2020-01-06T07:00'), 4);
  assert.is(at('2020-01-06T08:00'), 0);
  assert.is(at('2020-01-06T18:00'), 0);
  assert.is(at('2020-01-06T19:00'), 4);
  assert.is(at('2020-01-11T12:00'), 4); // Saturday
});

test('real carbon traces parse onto an even grid and keep every row', () => {
  for (const region of ['gb', 'de', 'fr'] as const) {
    const file = join(sharedTracesDir, 'carbon', `${region}_ci.csv`);
    assert.ok(existsSync(file), file);
    const tl = readCarbonTrace(sharedTracesDir, region);
    assert.is(tl.startMs, utc('2019-12-20T00:00'));
    const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    // Every row's value is the timeline's value at that time.
    for (let i = 0; i < rows.length; i += 97) {
      const [time, v] = rows[i].split(',');
      assert.is(valueAt(tl, utc(time.replace(' ', 'T'))), Number(v), `${region} ${time}`);
    }
  }
  // gb_ci.csv switches from 30 to 15 minutes in October 2020: a 30-min row holds for both quarters.
  const gb = readCarbonTrace(sharedTracesDir, 'gb');
  assert.is(gb.stepMs, 15 * 60_000);
  assert.is(valueAt(gb, utc('2020-01-01T00:15')), valueAt(gb, utc('2020-01-01T00:00')));
});

test('hourly resampling keeps the mean; France is the low-carbon control', () => {
  const means: Record<string, number> = {};
  for (const region of ['gb', 'de', 'fr'] as const) {
    const tl = readCarbonTrace(sharedTracesDir, region);
    const start = utc('2020-02-01T00:00'),
      hours = 29 * 24;
    const hourly = resample(tl, start, HOUR_MS, hours);
    let raw = 0,
      n = 0;
    for (let t = start; t < start + hours * HOUR_MS; t += tl.stepMs, n++) raw += valueAt(tl, t);
    const mean = hourly.values.reduce((a, b) => a + b, 0) / hours;
    assert.ok(Math.abs(mean - raw / n) < 1e-9 * mean, region);
    means[region] = mean;
  }
  assert.ok(means.fr < means.gb / 2 && means.fr < means.de / 2, JSON.stringify(means));
  assert.throws(
    () => resample(readCarbonTrace(sharedTracesDir, 'fr'), utc('2021-01-09T23:00'), HOUR_MS, 2),
    /not covered/,
  );
});

test('a malformed carbon CSV is refused at the line', () => {
  assert.throws(() => parseCarbonCsv('time,ci\n', 'x.csv'), /x\.csv: line 1: expected header/);
  assert.throws(
    () => parseCarbonCsv('Time,Carbon Intensity\n2020-01-01 00:00:00,1\n2020-01-01 00:30:00,abc\n', 'x.csv'),
    /x\.csv: line 3: carbon intensity must be a number/,
  );
  assert.throws(
    () => parseCarbonCsv('Time,Carbon Intensity\n2020-01-01 00:00:00,1\n2020-01-01 06:00:00,2\n', 'x.csv'),
    /line 3: 360 min since the previous row/,
  );
  assert.throws(
    () => parseCarbonCsv('Time,Carbon Intensity\n2020-01-01 00:30:00,1\n2020-01-01 00:00:00,2\n', 'x.csv'),
    /line 3: time does not increase/,
  );
});

test('a real spot trace becomes spot capacity', () => {
  const file = join(sharedTracesDir, 'spot', 'availability', '1-node', 'aws-02-15-2023', 'us-east-1a_v100_1.json');
  const start = utc('2020-01-06T00:00');
  const spotFile = readSpotJson(file);
  const { availability } = parseSpotTrace(spotFile.text, spotFile.name, start);
  assert.is(availability.stepMs, 195_000);
  const share = availability.values.reduce((a, b) => a + b, 0) / availability.values.length;
  const hours = Math.floor((availability.values.length * 195) / 3600);
  const cap = capacityTimeline(
    classIn('Europe/Paris', { availability: 'spot', count: 10 }),
    start,
    HOUR_MS,
    hours,
    availability,
  );
  assert.ok(cap.values.every((v) => v >= 0 && v <= 10));
  const capShare = cap.values.reduce((a, b) => a + b, 0) / (10 * hours);
  assert.ok(Math.abs(capShare - share) < 0.01, `${capShare} vs ${share}`);
  assert.ok(cap.values.some((v) => v === 0) && cap.values.some((v) => v === 10));
  assert.throws(
    () => parseSpotTrace('{"metadata":{"gap_seconds":60},"data":[0,2]}', 's.json', 0),
    /s\.json: data\[1\]/,
  );
});

test.run();
