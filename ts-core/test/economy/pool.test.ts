/**
 * The economy's resource pool (issue #18): the defaults sit in the design's ranges, a pool file overrides classes by
 * id, and a bad pool file is refused with the file and the field named.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_POOL, defaultClassOf, loadPool, type ResourceClass } from '../../src/economy/pool.js';

const byKind = (kind: string) => DEFAULT_POOL.classes.filter((c) => c.kind === kind);
const within = (v: number, lo: number, hi: number) => v >= lo && v <= hi;

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a throw');
}

const cls = (over: Partial<ResourceClass> = {}): ResourceClass => ({
  id: 'x',
  kind: 'edge',
  costPerHour: 0.07,
  powerKw: 0.04,
  speed: { bake: 0.1, splat: 0.1, verify: 0.4 },
  zone: 'Europe/Paris',
  grid: 'fr',
  availability: 'always',
  count: 3,
  ...over,
});

test('default classes take one value from each range of the design table', () => {
  for (const c of byKind('consumer')) assert.ok(within(c.costPerHour, 0.4, 0.5) && c.powerKw === 0.3, c.id);
  for (const c of byKind('datacentre')) assert.ok(within(c.costPerHour, 2.5, 4) && c.powerKw === 0.5, c.id);
  for (const c of byKind('cloud')) assert.ok(within(c.costPerHour, 0.35, 1.2), c.id);
  for (const c of byKind('edge')) assert.ok(within(c.costPerHour, 0.05, 0.1), c.id);
  for (const c of byKind('volunteer')) assert.is(c.costPerHour, 0.1);
  assert.equal(
    new Set(DEFAULT_POOL.classes.map((c) => c.kind)),
    new Set(['consumer', 'datacentre', 'cloud', 'edge', 'volunteer']),
  );
  assert.is(defaultClassOf(DEFAULT_POOL).id, 'cloud');
  // The defaults pass their own schema.
  assert.equal(loadPool(structuredClone(DEFAULT_POOL)), DEFAULT_POOL);
});

test('a pool file replaces a class by id and adds new ones', () => {
  const pool = loadPool({ defaultClass: 'x', classes: [cls(), cls({ id: 'edge', costPerHour: 0.06 })] });
  assert.is(pool.classes.length, DEFAULT_POOL.classes.length + 1);
  assert.is(pool.classes.find((c) => c.id === 'edge')!.costPerHour, 0.06);
  assert.is(defaultClassOf(pool).id, 'x');
  assert.is(DEFAULT_POOL.classes.find((c) => c.id === 'edge')!.costPerHour, 0.08, 'defaults untouched');
});

test('a bad pool file names the file and the field', () => {
  const classes = [cls({ id: 'a' }), cls({ id: 'b' }), cls({ id: 'c', costPerHour: -1 })];
  assert.match(
    message(() => loadPool({ classes }, 'pool.json')),
    'economy: pool.json: classes[2].costPerHour: must be >= 0',
  );
  assert.match(
    message(() => loadPool({ classes: [cls({ grid: 'us' as never })] }, 'farm-pool.json')),
    'farm-pool.json: classes[0].grid: must be one of "gb", "de", "fr"',
  );
  const noSpeed: Partial<ResourceClass> = cls();
  delete noSpeed.speed;
  assert.match(
    message(() => loadPool({ classes: [noSpeed] })),
    'pool.json: classes[0].speed: required',
  );
  assert.match(
    message(() => loadPool({ classes: [{ ...cls(), costPerHr: 1 }] })),
    'classes[0].costPerHr: unknown field',
  );
  assert.match(
    message(() => loadPool({ classes: [cls({ zone: 'Europe/Atlantis' })] })),
    'classes[0].zone: unknown IANA time zone "Europe/Atlantis"',
  );
  assert.match(
    message(() => loadPool({ classes: [cls(), cls()] })),
    'classes[1].id: duplicate id "x"',
  );
  assert.match(
    message(() => loadPool({ defaultClass: 'nope' })),
    'defaultClass: no class with id "nope"',
  );
});

test.run();
