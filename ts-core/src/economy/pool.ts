/**
 * The economy's resource pool: classes of machines with a price, a power draw, a speed per task kind, a region (IANA
 * time zone for price tiers, grid region for carbon) and an availability pattern. DEFAULT_POOL follows the design's
 * table (issue #18); a pool file (JSON, checked against pool.schema.json) replaces classes by id or adds new ones.
 */
import { Ajv } from 'ajv';
import { schemaProblems } from '../util/json-field-path.js';
import { IANAZone } from 'luxon';
import { OteError } from '../errors.js';
import schema from './pool.schema.json' with { type: 'json' };

export type TaskKind = 'bake' | 'splat' | 'verify';
export const TASK_KINDS: readonly TaskKind[] = ['bake', 'splat', 'verify'];
/** Grid regions with a carbon-intensity trace in ../shared/traces/carbon (Wiesner et al., Middleware 2021). */
export type GridRegion = 'gb' | 'de' | 'fr';
export const GRID_REGIONS: readonly GridRegion[] = ['gb', 'de', 'fr'];
/** always: on around the clock; diurnal: idle only outside its owner's day (see DIURNAL); spot: from a trace. */
export type Availability = 'always' | 'diurnal' | 'spot';
export type ResourceKind = 'consumer' | 'datacentre' | 'cloud' | 'edge' | 'volunteer';

export interface ResourceClass {
  id: string;
  kind: ResourceKind;
  /** USD per machine-hour at the standard (1.0×) tier. */
  costPerHour: number;
  /** Average draw while working, kW. */
  powerKw: number;
  /** Reference hours of work done per machine-hour, per task kind (the reference machine is 1.0). */
  speed: Record<TaskKind, number>;
  /** IANA time zone: price tiers and diurnal availability follow its local clock. */
  zone: string;
  grid: GridRegion;
  availability: Availability;
  /** Machines of this class; fractional counts stand for shared machines. */
  count: number;
}

export interface Pool {
  classes: ResourceClass[];
  /** The class a job would run on if submitted now without the scheduler (the baseline). */
  defaultClass: string;
}

/** Local hours in which a diurnal (consumer, volunteer) machine is free on weekdays; weekends are free all day. */
export const DIURNAL = { freeFrom: 19, freeUntil: 8 } as const;

const speed = (bake: number, splat: number, verify: number): Record<TaskKind, number> => ({ bake, splat, verify });

/** $0.35–1.20/h: on-demand near the top of the range; elastic, so a large count. */
const CLOUD: ResourceClass = {
  id: 'cloud',
  kind: 'cloud',
  costPerHour: 0.9,
  powerKw: 0.4,
  speed: speed(1.2, 1.2, 1.2),
  zone: 'Europe/Paris',
  grid: 'fr',
  availability: 'always',
  count: 1000,
};

/**
 * One value per design-table range, picked in the middle unless said otherwise. Speeds are relative to one
 * consumer GPU (RTX-class); data-centre GPUs train splats faster than they bake because of their memory bandwidth.
 * Power for the cloud, edge and volunteer rows is not in the design's table and is an estimate.
 */
export const DEFAULT_POOL: Pool = {
  defaultClass: 'cloud',
  classes: [
    // $0.40–0.50/h at ~0.3 kW.
    {
      id: 'consumer',
      kind: 'consumer',
      costPerHour: 0.45,
      powerKw: 0.3,
      speed: speed(1, 1, 1),
      zone: 'Europe/London',
      grid: 'gb',
      availability: 'diurnal',
      count: 20,
    },
    // $2.50–4.00/h at ~0.5 kW.
    {
      id: 'datacentre',
      kind: 'datacentre',
      costPerHour: 3.0,
      powerKw: 0.5,
      speed: speed(2, 2.5, 2),
      zone: 'Europe/Berlin',
      grid: 'de',
      availability: 'always',
      count: 8,
    },
    CLOUD,
    // The same cloud GPUs bought as spot capacity (priced through the spot tier, 0.3×).
    { ...CLOUD, id: 'cloud-spot', speed: { ...CLOUD.speed }, availability: 'spot', count: 50 },
    // $0.05–0.10/h; slow at baking and training, fine at verification.
    {
      id: 'edge',
      kind: 'edge',
      costPerHour: 0.08,
      powerKw: 0.05,
      speed: speed(0.1, 0.05, 0.5),
      zone: 'Europe/Berlin',
      grid: 'de',
      availability: 'always',
      count: 50,
    },
    // $0.10/h.
    {
      id: 'volunteer',
      kind: 'volunteer',
      costPerHour: 0.1,
      powerKw: 0.25,
      speed: speed(0.8, 0.8, 0.8),
      zone: 'Europe/London',
      grid: 'gb',
      availability: 'diurnal',
      count: 30,
    },
  ],
};

export const POOL_SCHEMA = schema;
const validator = new Ajv({ allErrors: true, strict: false }).compile(schema);

function poolError(file: string, problems: string[]): OteError {
  return new OteError('BAD_INPUT', `economy: ${file}: ${problems.join('; ')}`);
}

/**
 * Validates a parsed pool file and merges it over `base` (DEFAULT_POOL): a class with a known id replaces it, a new
 * id is added. Throws BAD_INPUT naming the file and every bad field, e.g. `pool.json: classes[2].costPerHour: must
 * be >= 0`.
 */
export function loadPool(doc: unknown, file = 'pool.json', base: Pool = DEFAULT_POOL): Pool {
  if (!validator(doc)) {
    const problems = schemaProblems(validator.errors);
    throw poolError(file, problems);
  }
  const over = doc as { defaultClass?: string; classes?: ResourceClass[] };
  const classes = base.classes.map((c) => structuredClone(c));
  const problems: string[] = [];
  const seen = new Set<string>();
  (over.classes ?? []).forEach((c, i) => {
    if (seen.has(c.id)) problems.push(`classes[${i}].id: duplicate id "${c.id}"`);
    seen.add(c.id);
    if (!IANAZone.isValidZone(c.zone)) problems.push(`classes[${i}].zone: unknown IANA time zone "${c.zone}"`);
    const at = classes.findIndex((b) => b.id === c.id);
    if (at >= 0) classes[at] = structuredClone(c);
    else classes.push(structuredClone(c));
  });
  const defaultClass = over.defaultClass ?? base.defaultClass;
  if (!classes.some((c) => c.id === defaultClass)) problems.push(`defaultClass: no class with id "${defaultClass}"`);
  if (problems.length) throw poolError(file, problems);
  return { classes, defaultClass };
}

/** The baseline class of a pool. */
export function defaultClassOf(pool: Pool): ResourceClass {
  const c = pool.classes.find((x) => x.id === pool.defaultClass);
  if (!c) throw new OteError('BAD_INPUT', `economy: pool: defaultClass "${pool.defaultClass}" is not a class`);
  return c;
}
