/**
 * How much work an optimize run is, in reference hours, before it runs: the median of earlier runs with the same
 * profile where there are enough of them (the farm's history), else a cost model from the profile. The model: the
 * bake stops at the profile's time target, and on the shared real scenes the other stages (preview, verification,
 * output) took about as long again (bench:scenes, BALANCED: wall time 0.2–1.9× the 240 s target), so a run is
 * priced at twice its target.
 */
export interface WorkEstimate {
  hours: number;
  /** Where the figure came from, in words (shown in plans and reports). */
  source: string;
}

export interface EstimateOptions {
  /** Earlier runs needed before their median replaces the cost model. */
  minHistory: number;
  /** Wall time per second of bake target in the cost model. */
  secondsPerTargetSecond: number;
  /** Bake target assumed for a profile without one (BALANCED's). */
  defaultTargetSeconds: number;
}

export const ESTIMATE_DEFAULTS: EstimateOptions = {
  minHistory: 3,
  secondsPerTargetSecond: 2,
  defaultTargetSeconds: 240,
};

/**
 * `targetSeconds`: the profile's bake time target (absent: none); `history`: wall seconds of earlier runs with the
 * same profile on reference-speed machines, newest first.
 */
export function estimateOptimizeWork(
  profileName: string,
  targetSeconds: number | undefined,
  history: readonly number[] = [],
  options: Partial<EstimateOptions> = {},
): WorkEstimate {
  const o = { ...ESTIMATE_DEFAULTS, ...options };
  if (history.length >= o.minHistory) {
    const s = [...history].sort((a, b) => a - b);
    const m = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return { hours: m / 3600, source: `median of the last ${s.length} ${profileName} runs (${m.toFixed(0)} s)` };
  }
  const t = targetSeconds ?? o.defaultTargetSeconds;
  return {
    hours: (o.secondsPerTargetSecond * t) / 3600,
    source: `cost model: ${o.secondsPerTargetSecond}× the ${profileName} bake target of ${t} s${targetSeconds === undefined ? ' (assumed)' : ''}`,
  };
}
