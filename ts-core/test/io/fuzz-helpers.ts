/**
 * Shared pieces of the readers' fuzz tests (fuzz-*.test.ts): run counts and seed from the environment, mutations of
 * bytes and of parsed JSON as fast-check arbitraries (so failures shrink to a small mutation list), and the one
 * rule every case must pass: a valid result, or an OteError with a clear one-line message, within a time bound.
 */
import fc from 'fast-check';
import { OteError } from '../../src/errors.js';

/** Runs per property: the default keeps `npm test` short; OTE_FUZZ_RUNS scales every property of a file alike. */
export function fuzzRuns(defaultRuns: number): number {
  const n = Number(process.env.OTE_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : defaultRuns;
}

/** Fixed unless OTE_FUZZ_SEED is set, or a long run (OTE_FUZZ_RUNS) asks for a fresh one (printed, to replay). */
export const fuzzSeed: number = (() => {
  if (process.env.OTE_FUZZ_SEED) return Number(process.env.OTE_FUZZ_SEED);
  if (!process.env.OTE_FUZZ_RUNS) return 20250601;
  const seed = Date.now() % 2 ** 31;
  console.log(`fuzz seed ${seed} (replay with OTE_FUZZ_SEED=${seed})`);
  return seed;
})();

/** OTE_FUZZ_ONLY=<text> runs only the properties whose name contains it (to replay one, or give one a long run). */
export function fuzzSelected(name: string): boolean {
  return !process.env.OTE_FUZZ_ONLY || name.includes(process.env.OTE_FUZZ_ONLY);
}

/**
 * OTE_FUZZ_PATH replays one failure: the `path` fast-check printed with it, with its OTE_FUZZ_SEED, OTE_FUZZ_RUNS and
 * OTE_FUZZ_ONLY naming its property.
 */
export function fuzzParams(numRuns: number, timeout: number): fc.Parameters<unknown> {
  const path = process.env.OTE_FUZZ_PATH;
  return { numRuns, seed: fuzzSeed, timeout, includeErrorInReport: true, ...(path ? { path } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Outcomes

/** Words of JS engine errors: a message that quotes them is an internal error wrapped, not an explanation. */
const INTERNAL =
  /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|Invalid (typed )?array length(?! \d)|Maximum call stack|out of bounds|outside the bounds|Cannot convert|Cannot destructure|\[object Object\]/;

export interface Tally {
  ok: number;
  rejected: Map<string, number>;
}
export const tally = (): Tally => ({ ok: 0, rejected: new Map() });

/**
 * Runs one case: `check` validates a result; a thrown OteError of an input code with a one-line message that does
 * not quote a JS engine error is a clean rejection; anything else, or taking over `boundMs`, fails the case.
 */
export async function expectCleanOutcome<T>(
  run: () => T | Promise<T>,
  check: (result: T) => string | undefined,
  t: Tally,
  boundMs: number,
): Promise<void> {
  const started = performance.now();
  let result: T;
  try {
    result = await run();
  } catch (e) {
    if (!(e instanceof OteError)) throw new Error(`internal error (not an OteError): ${(e as Error)?.stack ?? e}`);
    if (e.code !== 'BAD_INPUT' && e.code !== 'TOO_BIG')
      throw new Error(`unexpected error code ${e.code}: ${e.message}`);
    if (e.message.includes('\n')) throw new Error(`error message is not one line: ${e.message}`);
    if (INTERNAL.test(e.message)) throw new Error(`error message quotes an internal error: ${e.message}`);
    const key = e.message
      .replace(/^[^:]*: /, '')
      .replace(/\d+/g, 'N')
      .replace(/"[^"]*"/g, '"…"')
      .slice(0, 60);
    t.rejected.set(key, (t.rejected.get(key) ?? 0) + 1);
    checkTime(started, boundMs);
    return;
  }
  const problem = check(result);
  if (problem) throw new Error(`accepted, but the result is not valid: ${problem}`);
  t.ok++;
  checkTime(started, boundMs);
}

function checkTime(started: number, boundMs: number): void {
  const ms = performance.now() - started;
  if (ms > boundMs) throw new Error(`took ${ms.toFixed(0)} ms, over the ${boundMs} ms bound per case`);
}

export function summary(name: string, runs: number, t: Tally, ms: number): string {
  const top = [...t.rejected]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, n]) => `${n}× ${k}`)
    .join(' | ');
  return `${name}: ${runs} cases in ${(ms / 1000).toFixed(1)} s, ${t.ok} accepted, ${runs - t.ok} rejected (top: ${top})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Byte mutations

export type ByteOp =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'u32'; at: number; value: number }
  | { op: 'f32'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'delete'; at: number; n: number }
  | { op: 'insert'; at: number; bytes: Uint8Array };

const NASTY_U32 = [0, 1, 3, 4, 0x7f, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const NASTY_F32 = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 3.4e38, 1e-40, 65535, 4294967295];

/**
 * Positions are fractions of the length, so one op list applies to any input and shrinks toward the start. They are
 * unbiased: fast-check's bias toward small values would otherwise hit the first bytes (a header) most of the time.
 */
const at = fc.noBias(fc.integer({ min: 0, max: 2 ** 30 - 1 })).map((n) => n / 2 ** 30);
export const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at, bit: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), at, value: fc.nat(255) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('u32' as const),
      at,
      value: fc.oneof(fc.constantFrom(...NASTY_U32), fc.nat()),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('f32' as const), at, value: fc.constantFrom(...NASTY_F32) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 64 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
  },
);
export const byteOps = (max = 4) => fc.array(byteOp, { minLength: 1, maxLength: max });

/** Apply ops to a copy. `align` rounds the positions of 32-bit writes (4 for data read as floats and u32s). */
export function mutateBytes(input: Uint8Array, ops: ByteOp[], align = 1): Uint8Array {
  let b = Uint8Array.from(input);
  for (const o of ops) {
    if (!b.length) break;
    const i = Math.floor(o.at * b.length);
    switch (o.op) {
      case 'flip':
        b[i] ^= 1 << o.bit;
        break;
      case 'set':
        b[i] = o.value;
        break;
      case 'u32':
      case 'f32': {
        const j = i - (i % align);
        if (j + 4 > b.length) break;
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        if (o.op === 'u32') v.setUint32(j, o.value >>> 0, true);
        else v.setFloat32(j, o.value, true);
        break;
      }
      case 'truncate':
        b = b.slice(0, i);
        break;
      case 'delete':
        b = Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + o.n)]);
        break;
      case 'insert':
        b = Uint8Array.from([...b.subarray(0, i), ...o.bytes, ...b.subarray(i)]);
        break;
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON mutations

/** Wrong types, null, huge and fractional numbers, float32 overflow, and plausible but wrong glTF values. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1,
    0.5,
    -0.0,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    1e308,
    -1e308,
    1e39,
    1e-320,
    '',
    'x',
    'SCALAR',
    'VEC3',
    'MAT4',
    '2.0',
    'data:,',
    '../../etc/passwd',
    'http://example.com/a.bin',
    5126,
    5125,
    5123,
    34962,
    [],
    {},
    [null],
    [0, 0, 0],
    [1, 0, 0, 0],
    [0, 0, 0, 0],
    { index: 0 },
    { a: 1 },
    [[]],
    [1e39, 0, 0],
  ),
  fc.integer({ min: -3, max: 300 }),
  fc.jsonValue({ maxDepth: 2 }),
);

export type JsonOp =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'remove'; at: number }
  | { op: 'copy'; at: number; from: number }
  | { op: 'nudge'; at: number; by: number };

const pick = fc.nat();
export const jsonOp: fc.Arbitrary<JsonOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at: pick, value: nastyValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), at: pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copy' as const), at: pick, from: pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('nudge' as const),
      at: pick,
      by: fc.constantFrom(1, -1, 2, 1000, 65536, -65536, 0.5),
    }),
  },
);
export const jsonOps = (max = 3) => fc.array(jsonOp, { minLength: 1, maxLength: max });

type Slot = [Record<string, unknown> | unknown[], string | number];

/** Every [container, key] in a JSON tree, depth first (the root itself is not a slot). */
function slots(v: unknown, out: Slot[] = []): Slot[] {
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push([v, i]);
      slots(x, out);
    });
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots(x, out);
    }
  return out;
}

/** Apply ops to a deep copy of `json`; the slot list is recomputed after each op. */
export function mutateJson<T>(json: T, ops: JsonOp[]): T {
  const root = structuredClone(json);
  for (const o of ops) {
    const all = slots(root);
    if (!all.length) break;
    const [c, k] = all[o.at % all.length];
    const get = () => (c as Record<string | number, unknown>)[k];
    const set = (v: unknown) => {
      (c as Record<string | number, unknown>)[k] = v;
    };
    switch (o.op) {
      case 'replace':
        set(structuredClone(o.value));
        break;
      case 'remove':
        if (Array.isArray(c)) c.splice(k as number, 1);
        else delete c[k as string];
        break;
      case 'copy': {
        const [fc2, fk] = all[o.from % all.length];
        set(structuredClone((fc2 as Record<string | number, unknown>)[fk]));
        break;
      }
      case 'nudge': {
        const v = get();
        if (typeof v === 'number') set(v + o.by);
        else if (Array.isArray(v)) v.push(v.length ? structuredClone(v[0]) : 0);
        break;
      }
    }
  }
  return root;
}
