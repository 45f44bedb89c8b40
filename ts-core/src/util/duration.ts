/**
 * Durations as people type them on a command line or in a jobs file: "8h", "90m", "45s", "2d", "1d12h", "1h30m".
 * A bare number is refused: "8" could be hours or minutes.
 */
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/** Milliseconds in `text`, or undefined when it is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?[dhms])+$/.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}

/** An ISO 8601 date-time with its offset (or Z); one without a zone would depend on the machine's setting. */
export function parseDateTimeMs(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A deadline: a date-time (parseDateTimeMs) or a duration after `fromMs`; undefined when it is neither. */
export function parseDeadlineMs(text: string, fromMs: number): number | undefined {
  const d = parseDurationMs(text);
  return d !== undefined ? fromMs + d : parseDateTimeMs(text);
}
