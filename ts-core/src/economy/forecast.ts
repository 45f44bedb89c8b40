/**
 * A carbon "forecast" for any date from a recorded year. The shared traces cover 2020 (Wiesner et al., Middleware
 * 2021); a plan for another date reads the trace at the same weekday and hour in the recorded week nearest the same
 * calendar date (whole weeks, so weekdays line up; the date is off by at most half a week). It is a stand-in with
 * the right daily and weekly shape, not a live signal, and plans say so (FORECAST_NOTE).
 */
import { OteError } from '../errors.js';
import { HOUR_MS, resample, type Timeline, timelineEnd } from './timeline.js';

const WEEK_MS = 7 * 24 * HOUR_MS;
/** 52 weeks: keeps the weekday. */
export const TRACE_YEAR_MS = 52 * WEEK_MS;
const MEAN_YEAR_MS = 365.2425 * 24 * HOUR_MS;

export const FORECAST_NOTE =
  'carbon intensity from the recorded year at the same weekday and hour (whole-week shift), an average signal, not a live forecast';

/**
 * The time inside `tl` that stands for `ms`: `ms` moved by whole weeks (so the weekday and hour hold), as many as
 * keep the calendar date nearest (within half a week), or `ms` itself when inside.
 */
export function recordedTimeFor(tl: Timeline, ms: number, spanMs = HOUR_MS): number {
  const end = timelineEnd(tl);
  if (end - tl.startMs < TRACE_YEAR_MS + spanMs)
    throw new OteError('BAD_INPUT', `economy: forecast (${tl.unit}): the trace must span at least 52 weeks`);
  if (ms >= tl.startMs && ms + spanMs <= end) return ms;
  const years = Math.round((ms - (tl.startMs + end) / 2) / MEAN_YEAR_MS);
  let t = ms - Math.round((years * MEAN_YEAR_MS) / WEEK_MS) * WEEK_MS;
  // Near the ends of the recorded span the nearest date may fall outside: take the week a year back or forward.
  if (t < tl.startMs) t += TRACE_YEAR_MS;
  if (t + spanMs > end) t -= TRACE_YEAR_MS;
  return t;
}

/**
 * Hourly values of `tl` for `n` hours from `startMs`, each hour read from its recorded counterpart
 * (recordedTimeFor). Hours inside the trace read the trace itself.
 */
export function forecastHourly(tl: Timeline, startMs: number, n: number): Timeline {
  const values = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const at = recordedTimeFor(tl, startMs + k * HOUR_MS);
    values[k] = resample(tl, at, HOUR_MS, 1).values[0];
  }
  return { startMs, stepMs: HOUR_MS, values, unit: tl.unit };
}
