/**
 * What a plan needs from outside: the pool (DEFAULT_POOL, or a pool file over it) and the traces (carbon per grid
 * region, spot availability), read in place through io/. Without traces the plan uses a flat carbon intensity and
 * says so in `carbonSource`, so a figure never looks measured when it is not.
 */
import { defaultSpotFile, defaultTracesDir, readCarbonCsv, readSpotJson } from '../io/traces.js';
import { FORECAST_NOTE } from './forecast.js';
import { DEFAULT_POOL, GRID_REGIONS, loadPool, type Pool } from './pool.js';
import { PLANNING_WORLD_DEFAULTS, type PlanningWorldOptions } from './batch.js';
import { parseCarbonTraces, parseSpotTrace } from './traces.js';
import { readJsonFile } from '../io/text-file.js';

export interface PlanningInputs {
  pool: Pool;
  world: Partial<PlanningWorldOptions>;
  /** Where the carbon figures come from, in words (shown with every plan). */
  carbonSource: string;
  /** Where the spot expectation comes from. */
  spotSource: string;
}

export interface PlanningInputOptions {
  /** A pool file (JSON) merged over DEFAULT_POOL. */
  poolFile?: string;
  /** The shared traces directory; default: io/traces.ts defaultTracesDir(). */
  tracesDir?: string;
}

export function loadPlanningInputs(o: PlanningInputOptions = {}): PlanningInputs {
  let pool = DEFAULT_POOL;
  if (o.poolFile) {
    pool = loadPool(readJsonFile(o.poolFile, 'economy: pool'), o.poolFile);
  }
  const dir = o.tracesDir ?? defaultTracesDir();
  const flat = PLANNING_WORLD_DEFAULTS.flatCarbon;
  if (!dir)
    return {
      pool,
      world: { flatCarbon: flat },
      carbonSource: `flat ${flat} gCO2eq/kWh (no traces directory found; pass --traces DIR)`,
      spotSource: 'spot expected available half the time (no trace)',
    };
  const grids = [...new Set(pool.classes.map((c) => c.grid))].filter((g) => GRID_REGIONS.includes(g));
  const carbon = parseCarbonTraces(Object.fromEntries(grids.map((g) => [g, readCarbonCsv(dir, g)])));
  const spotText = readSpotJson(defaultSpotFile(dir));
  const spot = parseSpotTrace(spotText.text, spotText.name, 0).availability.values;
  const mean = spot.reduce((a, b) => a + b, 0) / spot.length;
  return {
    pool,
    world: { carbon, spotAvailability: mean, flatCarbon: flat },
    carbonSource: `${FORECAST_NOTE} (Wiesner et al., Middleware 2021; ${dir}/carbon)`,
    spotSource: `spot available ${(mean * 100).toFixed(0)}% of the time, the mean of ${spotText.name} (Wu et al., NSDI 2024)`,
  };
}
