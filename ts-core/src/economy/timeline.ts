/**
 * One timeline type for everything that varies by interval: price multipliers, carbon intensity (gCO2eq/kWh) and
 * spot availability. Also the price tiers, which follow each resource's LOCAL clock (luxon handles time zones and
 * daylight saving).
 */
import { DateTime } from 'luxon';
import { OteError } from '../errors.js';
import { DIURNAL, type ResourceClass } from './pool.js';

/** A step function: values[i] holds over [startMs + i·stepMs, startMs + (i+1)·stepMs). */
export interface Timeline {
  startMs: number;
  stepMs: number;
  values: Float64Array;
  /** What the values are, for messages and reports (e.g. 'gCO2eq/kWh', 'price multiplier'). */
  unit: string;
}

export const HOUR_MS = 3_600_000;

export function timelineEnd(tl: Timeline): number {
  return tl.startMs + tl.values.length * tl.stepMs;
}

/** The value holding at `ms`; throws outside the timeline rather than guessing. */
export function valueAt(tl: Timeline, ms: number): number {
  const i = Math.floor((ms - tl.startMs) / tl.stepMs);
  if (i < 0 || i >= tl.values.length)
    throw new OteError(
      'BAD_INPUT',
      `economy: timeline (${tl.unit}): ${new Date(ms).toISOString()} is outside ${new Date(tl.startMs).toISOString()}–${new Date(timelineEnd(tl)).toISOString()}`,
    );
  return tl.values[i];
}

/** Time-weighted mean of `tl` over each of `n` intervals of `stepMs` from `startMs` (e.g. 15-min trace → hourly). */
export function resample(tl: Timeline, startMs: number, stepMs: number, n: number): Timeline {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const a = startMs + k * stepMs,
      b = a + stepMs;
    if (a < tl.startMs || b > timelineEnd(tl))
      throw new OteError(
        'BAD_INPUT',
        `economy: timeline (${tl.unit}): ${new Date(a).toISOString()}–${new Date(b).toISOString()} is not covered (trace spans ${new Date(tl.startMs).toISOString()}–${new Date(timelineEnd(tl)).toISOString()})`,
      );
    let sum = 0;
    for (let i = Math.floor((a - tl.startMs) / tl.stepMs); ; i++) {
      const s = tl.startMs + i * tl.stepMs;
      if (s >= b) break;
      sum += tl.values[i] * (Math.min(b, s + tl.stepMs) - Math.max(a, s));
    }
    out[k] = sum / stepMs;
  }
  return { startMs, stepMs, values: out, unit: tl.unit };
}

/** The same values moved to start at `startMs` (replays a trace recorded at another date). */
export function shiftTimeline(tl: Timeline, startMs: number): Timeline {
  return { ...tl, startMs };
}

export type Tier = 'peak' | 'standard' | 'offPeak' | 'weekend' | 'spot';

export interface TierOptions {
  multipliers: Record<Tier, number>;
  /** Local hour ranges [from, to) of the weekday tiers; the rest of the day (6–9 by default) is `shoulder`. */
  peak: [number, number];
  standard: [number, number];
  /** Wraps midnight: from 21 until 6. */
  offPeak: [number, number];
  /**
   * Tier of the hours no range names (6–9). The design leaves them out; they are the morning ramp, when demand is
   * rising, so they are priced standard (1.0×) rather than promising an off-peak price the design does not give.
   */
  shoulder: Tier;
}

export const TIER_DEFAULTS: TierOptions = {
  multipliers: { peak: 2.0, standard: 1.0, offPeak: 0.6, weekend: 0.4, spot: 0.3 },
  peak: [9, 17],
  standard: [17, 21],
  offPeak: [21, 6],
  shoulder: 'standard',
};

const inRange = (h: number, [from, to]: [number, number]) => (from <= to ? h >= from && h < to : h >= from || h < to);

/**
 * The tier at instant `ms` on a machine in `zone`: weekends (local Saturday and Sunday) all day, else by local hour.
 * Spot capacity is priced by the spot tier at every hour (its market price is not tiered by time of day).
 */
export function tierAt(ms: number, zone: string, spot = false, opts: TierOptions = TIER_DEFAULTS): Tier {
  if (spot) return 'spot';
  const local = DateTime.fromMillis(ms, { zone });
  if (!local.isValid) throw new OteError('BAD_INPUT', `economy: tiers: unknown time zone "${zone}"`);
  if (local.weekday >= 6) return 'weekend';
  const h = local.hour;
  if (inRange(h, opts.peak)) return 'peak';
  if (inRange(h, opts.standard)) return 'standard';
  if (inRange(h, opts.offPeak)) return 'offPeak';
  return opts.shoulder;
}

export function multiplierAt(ms: number, zone: string, spot = false, opts: TierOptions = TIER_DEFAULTS): number {
  return opts.multipliers[tierAt(ms, zone, spot, opts)];
}

/**
 * Price multipliers of a class over `n` intervals from `startMs`, each priced by the tier at its start (with hourly
 * intervals and whole-hour offsets that is the tier of the whole interval).
 */
export function priceTimeline(
  cls: ResourceClass,
  startMs: number,
  stepMs: number,
  n: number,
  opts: TierOptions = TIER_DEFAULTS,
): Timeline {
  const values = new Float64Array(n);
  for (let k = 0; k < n; k++)
    values[k] = multiplierAt(startMs + k * stepMs, cls.zone, cls.availability === 'spot', opts);
  return { startMs, stepMs, values, unit: `price multiplier (${cls.id})` };
}

/**
 * Machines of a class free in each interval: `count` when always on; for diurnal classes only outside the owner's
 * local day (DIURNAL) on weekdays and all weekend; for spot classes `count` × the share of the interval in which the
 * availability trace (0/1 per tick, Wu et al., NSDI 2024) had an instance. Without a trace spot is always free.
 */
export function capacityTimeline(
  cls: ResourceClass,
  startMs: number,
  stepMs: number,
  n: number,
  spot?: Timeline,
): Timeline {
  const values = new Float64Array(n);
  const avail = cls.availability === 'spot' && spot ? resample(spot, startMs, stepMs, n).values : undefined;
  for (let k = 0; k < n; k++) {
    const ms = startMs + k * stepMs;
    let free = 1;
    if (cls.availability === 'diurnal') {
      const local = DateTime.fromMillis(ms, { zone: cls.zone });
      free = local.weekday >= 6 || inRange(local.hour, [DIURNAL.freeFrom, DIURNAL.freeUntil]) ? 1 : 0;
    } else if (avail) free = avail[k];
    values[k] = cls.count * free;
  }
  return { startMs, stepMs, values, unit: `machines (${cls.id})` };
}
