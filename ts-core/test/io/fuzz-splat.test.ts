/**
 * Fuzzing the splat readers (decodeSplats: 3DGS PLY, antimatter15 .splat, Niantic .spz versions 2 to 4): files mutated
 * from small valid seeds written by the project's own encoders (encodeSplats, encodeSpz of versions 2 and 3) plus the
 * PLY variants capture tools write (ASCII point clouds, big-endian with an element before the vertices) and version 4
 * .spz files written by splat-transform (Niantic's library with libzstd; we write no version 4). Mutations: byte
 * flips, writes, NaN and huge values, insertions, deletions and truncation; PLY header tokens replaced (counts, types,
 * formats, names) and header lines dropped or repeated; version 2/3 .spz payloads mutated under a valid gzip stream;
 * version 4 .spz Zstandard frames mutated under a table of contents that follows their new sizes (so that the zstd
 * decoder, fzstd, not the container check, meets them). Every case must end in a valid model (modelProblem) or a
 * clean OteError (fuzz-helpers.ts), within a time bound per case.
 *
 * `npm test` runs a fixed seed, 5,000 cases per property (about 5 s). A longer run, with a fresh seed that it prints:
 *   npx tsc -b && OTE_FUZZ_RUNS=100000 node dist/ts-core/test/io/fuzz-splat.test.js
 * OTE_FUZZ_RUNS sets the cases of every property; OTE_FUZZ_SEED=<n> replays a seed; OTE_FUZZ_ONLY=<text> runs the
 * properties whose name (printed with the counts) contains it; OTE_FUZZ_PATH=<path> replays one failing case.
 */
import { test } from 'uvu';
import fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeSplats, encodeSplats, encodeSpz, type SplatFormat } from '../../src/io/splat-formats.js';
import { encodeSplatPly } from '../../src/io/splat-ply.js';
import { createModel, invalidGaussian, shCoeffs, type GaussianModel } from '../../src/scene/gaussians.js';
import {
  type ByteOp,
  byteOps,
  expectCleanOutcome,
  fuzzParams,
  fuzzRuns,
  fuzzSelected,
  mutateBytes,
  summary,
  tally,
} from './fuzz-helpers.js';
import { withFrame } from '../splat/spz-frames.js';

const RUNS = fuzzRuns(5000);
/** Per case: the seeds decode in well under a millisecond; a case this slow is a hang or a huge allocation. */
const BOUND_MS = 2_000;

// ---------------------------------------------------------------------------------------------------------------
// Seeds

function model(n: number, degree: number): GaussianModel {
  const m = createModel(n, degree);
  let r = 7;
  const rnd = () => {
    r = (r * 16807) % 2147483647;
    return (r / 2147483647) * 2 - 1;
  };
  for (let i = 0; i < 3 * n; i++) {
    m.means[i] = rnd() * 3;
    m.logScales[i] = rnd() * 2 - 4;
  }
  for (let i = 0; i < 4 * n; i++) m.quats[i] = rnd();
  for (let i = 0; i < n; i++) m.opacity[i] = rnd() * 4;
  for (let i = 0; i < m.sh.length; i++) m.sh[i] = rnd();
  return m;
}

/** A model with repeats (a grid, a few colours, scales and rotations) whose spz planes compress with LZ matches. */
function structuredModel(n: number, degree: number): GaussianModel {
  const m = createModel(n, degree),
    K = shCoeffs(degree);
  let r = 11;
  const pick = <T>(a: T[]) => {
    r = (r * 16807) % 2147483647;
    return a[r % a.length];
  };
  for (let i = 0; i < n; i++) {
    m.means.set([(i % 4) * 0.25, (Math.floor(i / 4) % 4) * 0.25, Math.floor(i / 16) * 0.25], 3 * i);
    m.logScales.set(
      pick([
        [-3, -3, -4],
        [-2.5, -2.5, -2.5],
      ]),
      3 * i,
    );
    m.quats.set(
      pick([
        [1, 0, 0, 0],
        [0.7, 0.7, 0, 0],
        [0.5, 0.5, 0.5, 0.5],
      ]),
      4 * i,
    );
    m.opacity[i] = pick([2, 3]);
    for (let k = 0; k < 3 * K; k++) m.sh[3 * K * i + k] = k < 3 ? pick([0.2, -0.4]) : pick([0, 0.1, -0.1]);
  }
  return m;
}

/** A version 4 .spz as splat-transform writes it (Niantic's library with libzstd, level 12), from a PLY of ours. */
async function transformSpz(m: GaussianModel): Promise<Uint8Array> {
  const st = await import('@playcanvas/splat-transform');
  st.logger.setVerbosity('quiet');
  const input = new st.MemoryReadFileSystem();
  input.set('in.ply', encodeSplatPly(m));
  const pool = st.createChunkDataPool();
  const [source] = await st.readFile({ filename: 'in.ply', inputFormat: 'ply', fileSystem: input, pool });
  const out = new st.MemoryFileSystem();
  await st.writeSource({ filename: 'out.spz', outputFormat: 'spz', source, pool, options: {} }, out);
  return out.results.get('out.spz')!;
}

const enc = (s: string) => new TextEncoder().encode(s);
const asciiPly = enc(
  [
    'ply',
    'format ascii 1.0',
    'comment point cloud',
    'element vertex 4',
    'property float x',
    'property float y',
    'property float z',
    'property uchar red',
    'property uchar green',
    'property uchar blue',
    'end_header',
    '0 0 0 255 0 0',
    '1 0 0 0 255 0',
    '0 1 0 0 0 255',
    '0.5 0.5 1 128 128 128',
    '',
  ].join('\n'),
);

/** Big-endian, a `camera` element with a list property before the vertices, doubles and shorts. */
function bigEndianPly(): Uint8Array {
  const head = enc(
    [
      'ply',
      'format binary_big_endian 1.0',
      'element camera 1',
      'property list uchar float pose',
      'element vertex 3',
      'property double x',
      'property double y',
      'property double z',
      'property short extra',
      'property float opacity',
      'end_header',
      '',
    ].join('\n'),
  );
  const body = new DataView(new ArrayBuffer(1 + 4 * 3 + 3 * (24 + 2 + 4)));
  body.setUint8(0, 3);
  for (let k = 0; k < 3; k++) body.setFloat32(1 + 4 * k, k, false);
  for (let i = 0, o = 13; i < 3; i++) {
    for (let a = 0; a < 3; a++, o += 8) body.setFloat64(o, i + a / 10, false);
    body.setInt16(o, -i, false);
    o += 2;
    body.setFloat32(o, 1.5, false);
    o += 4;
  }
  return Uint8Array.from([...head, ...new Uint8Array(body.buffer)]);
}

const SEEDS: { format: SplatFormat; name: string; bytes: Uint8Array }[] = [
  { format: 'ply', name: '3dgs', bytes: encodeSplats(model(6, 3), 'ply') },
  { format: 'ply', name: 'ascii', bytes: asciiPly },
  { format: 'ply', name: 'big-endian', bytes: bigEndianPly() },
  { format: 'splat', name: 'splat', bytes: encodeSplats(model(6, 0), 'splat') },
  { format: 'spz', name: 'spz', bytes: encodeSplats(model(6, 3), 'spz') },
  { format: 'spz', name: 'spz-deg1', bytes: encodeSplats(model(5, 1), 'spz') },
  { format: 'spz', name: 'spz-v2', bytes: encodeSpz(model(6, 2), { version: 2 }) },
  { format: 'spz', name: 'spz-v4', bytes: await transformSpz(structuredModel(48, 3)) },
  { format: 'spz', name: 'spz-v4-deg0', bytes: await transformSpz(structuredModel(32, 0)) },
  { format: 'spz', name: 'spz-v4-deg1', bytes: await transformSpz(structuredModel(40, 1)) },
  { format: 'spz', name: 'spz-v4-random', bytes: await transformSpz(model(6, 1)) },
];
for (const s of SEEDS)
  if (modelProblem(decodeSplats(s.bytes, s.format))) throw new Error(`seed ${s.name} does not decode`);

// ---------------------------------------------------------------------------------------------------------------

/** What an accepted model must be: consistent array sizes, and every Gaussian usable (invalidGaussian). */
function modelProblem(m: GaussianModel): string | undefined {
  const n = m.count;
  if (!Number.isInteger(n) || n < 0) return `count ${n}`;
  if (![0, 1, 2, 3].includes(m.shDegree)) return `shDegree ${m.shDegree}`;
  const sizes: [string, ArrayLike<number>, number][] = [
    ['means', m.means, 3],
    ['logScales', m.logScales, 3],
    ['quats', m.quats, 4],
    ['opacity', m.opacity, 1],
    ['sh', m.sh, 3 * shCoeffs(m.shDegree)],
  ];
  for (const [k, a, per] of sizes) if (a.length !== per * n) return `${k} has ${a.length} values for ${n} Gaussians`;
  const bad = invalidGaussian(m);
  return bad ? `Gaussian ${bad.index}: ${bad.problem}` : undefined;
}

async function fuzz<T>(name: string, arb: fc.Arbitrary<T>, make: (v: T) => { bytes: Uint8Array; format: SplatFormat }) {
  if (!fuzzSelected(name)) return;
  const t = tally(),
    t0 = performance.now();
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      const { bytes, format } = make(v);
      await expectCleanOutcome(() => decodeSplats(bytes, format, `fuzz.${format}`), modelProblem, t, BOUND_MS);
    }),
    fuzzParams(RUNS, BOUND_MS),
  );
  console.log(summary(name, RUNS, t, performance.now() - t0));
}

const seed = fc.nat(SEEDS.length - 1);

test('all formats: byte flips, writes, NaN and huge values, insertions, deletions, truncation', async () => {
  await fuzz('splat bytes', fc.tuple(seed, byteOps(4)), ([i, ops]) => ({
    bytes: mutateBytes(SEEDS[i].bytes, ops, 4),
    format: SEEDS[i].format,
  }));
});

const PLY_SEEDS = SEEDS.flatMap((s, i) => (s.format === 'ply' ? [i] : []));
const TOKENS = [
  '-1',
  '0',
  '1',
  '3',
  '4294967295',
  '4294967296',
  '99999999999',
  '1e3',
  '1.5',
  'nan',
  '',
  'x',
  'vertex',
  'face',
  'list',
  'float',
  'double',
  'uchar',
  'int',
  'char',
  'float128',
  'ascii',
  'binary_little_endian',
  'binary_big_endian',
  'f_dc_0',
  'f_rest_0',
  'scale_0',
  'rot_0',
  'opacity',
  'red',
  'property',
  'element',
  'end_header',
];
type HeaderOp =
  | { op: 'token'; line: number; token: number; value: string }
  | { op: 'drop'; line: number }
  | { op: 'repeat'; line: number };
const headerOp: fc.Arbitrary<HeaderOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('token' as const),
      line: fc.nat(),
      token: fc.nat(4),
      value: fc.constantFrom(...TOKENS),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), line: fc.nat() }) },
);

/** Header lines (up to end_header) mutated, the body kept. */
function mutateHeader(bytes: Uint8Array, ops: HeaderOp[]): Uint8Array {
  const text = new TextDecoder('latin1').decode(bytes);
  const end = text.indexOf('end_header\n') + 'end_header\n'.length;
  const lines = text.slice(0, end - 1).split('\n');
  for (const o of ops) {
    const l = o.line % lines.length;
    if (o.op === 'drop') lines.splice(l, 1);
    else if (o.op === 'repeat') lines.splice(l, 0, lines[l]);
    else {
      const t = lines[l].split(' ');
      t[o.token % (t.length + 1)] = o.value;
      lines[l] = t.join(' ');
    }
    if (!lines.length) break;
  }
  return Uint8Array.from([...enc(`${lines.join('\n')}\n`), ...bytes.subarray(end)]);
}

test('PLY: header tokens replaced (counts, types, formats, names), lines dropped or repeated', async () => {
  await fuzz(
    'ply header',
    fc.tuple(fc.constantFrom(...PLY_SEEDS), fc.array(headerOp, { minLength: 1, maxLength: 3 })),
    ([i, ops]) => ({ bytes: mutateHeader(SEEDS[i].bytes, ops), format: 'ply' }),
  );
});

const SPZ_SEEDS = SEEDS.flatMap((s, i) => (s.format === 'spz' && s.bytes[0] === 0x1f ? [i] : []));
test('.spz versions 2 and 3: payload mutations under a valid gzip stream', async () => {
  await fuzz('spz payload', fc.tuple(fc.constantFrom(...SPZ_SEEDS), byteOps(4)), ([i, ops]) => ({
    bytes: gzipSync(mutateBytes(gunzipSync(SEEDS[i].bytes), ops)),
    format: 'spz',
  }));
});

/** A version 4 file with its frame k (mod the frame count) mutated by ops, the table of contents updated to match. */
const mutateFrame = (file: Uint8Array, k: number, ops: ByteOp[]): Uint8Array =>
  withFrame(file, k % file[15], (frame) => mutateBytes(frame, ops));

const V4_SEEDS = SEEDS.flatMap((s, i) => (s.format === 'spz' && s.bytes[0] === 0x4e ? [i] : []));
test('.spz version 4: Zstandard frames mutated under a table of contents that follows them', async () => {
  await fuzz('spz v4 frames', fc.tuple(fc.constantFrom(...V4_SEEDS), fc.nat(5), byteOps(4)), ([i, k, ops]) => ({
    bytes: mutateFrame(SEEDS[i].bytes, k, ops),
    format: 'spz',
  }));
});

test.run();
