/**
 * Import/export: every format round-trips exactly within its quantization, and a public tool
 * (@playcanvas/splat-transform: its own spz reader, and Niantic's spz library compiled to WebAssembly as its writer)
 * reads our PLY, .splat and .spz (versions 2 and 3, the ones we write) back to the same Gaussians, and writes .spz
 * files (its default, version 4, and version 3) that we read back to the Gaussians it was given. We do not write
 * version 4, so every version 4 file here, the broken ones included, starts as one splat-transform wrote.
 *
 * test-runner: alone (a decompression bomb must stop within a wall-clock bound; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { OteError } from '../../src/errors.js';
import {
  decodeDotSplat,
  decodeSpz,
  encodeDotSplat,
  encodeSpz,
  isSpzBytes,
  loadSplats,
  SPZ_WRITE_VERSION,
  saveSplats,
  spzFractionalBits,
} from '../../src/io/splat-formats.js';
import { decodeSplatPly, encodeSplatPly, plyPropertyNames } from '../../src/io/splat-ply.js';
import { dcToRgb, sigmoid, shCoeffs, type GaussianModel } from '../../src/scene/gaussians.js';
import { tempDir } from '../helpers.js';
import { randomModel } from './fixtures.js';
import { withFrame } from './spz-frames.js';

const model = randomModel(300, 5, { shDegree: 3, spread: 3 });
const dir = tempDir('ote-splat-fmt-');

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
function unitQuats(m: GaussianModel): Float64Array {
  const q = new Float64Array(4 * m.count);
  for (let i = 0; i < m.count; i++) {
    let v = Array.from(m.quats.subarray(4 * i, 4 * i + 4));
    const l = Math.hypot(...v);
    v = v.map((x) => x / l);
    if (v[0] < 0) v = v.map((x) => -x); // q and -q are the same rotation
    q.set(v, 4 * i);
  }
  return q;
}

const loadTransform = async () => {
  const st = await import('@playcanvas/splat-transform');
  st.logger.setVerbosity('quiet');
  return st;
};

/** The .spz splat-transform writes from a PLY of ours (Niantic's library: version 4 unless told 3). */
async function transformSpz(m: GaussianModel, options: { spzVersion?: 3 | 4 } = {}): Promise<Uint8Array> {
  const st = await loadTransform();
  const input = new st.MemoryReadFileSystem();
  input.set('in.ply', encodeSplatPly(m));
  const pool = st.createChunkDataPool();
  const [source] = await st.readFile({ filename: 'in.ply', inputFormat: 'ply', fileSystem: input, pool });
  const out = new st.MemoryFileSystem();
  await st.writeSource({ filename: 'out.spz', outputFormat: 'spz', source, pool, options }, out);
  const bytes = out.results.get('out.spz');
  assert.ok(bytes, 'splat-transform wrote no out.spz');
  return bytes!;
}

test('PLY: 62 properties in the canonical order, bit-exact round trip', () => {
  const names = plyPropertyNames(3);
  assert.is(names.length, 62);
  assert.equal(names.slice(0, 9), ['x', 'y', 'z', 'nx', 'ny', 'nz', 'f_dc_0', 'f_dc_1', 'f_dc_2']);
  assert.equal(names.slice(54), ['opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3']);
  const bytes = encodeSplatPly(model);
  const back = decodeSplatPly(bytes);
  for (const k of ['means', 'logScales', 'quats', 'opacity', 'sh'] as const)
    assert.equal(back[k], model[k], `${k} changed`);
  // f_rest is channel-major: f_rest_0 is red's first degree-1 coefficient, f_rest_15 green's.
  const text = new TextDecoder().decode(bytes.subarray(0, 3000));
  const body = new DataView(bytes.buffer, bytes.byteOffset + text.indexOf('end_header\n') + 11);
  assert.is(body.getFloat32(4 * 9, true), model.sh[3 * 1 + 0]);
  assert.is(body.getFloat32(4 * (9 + 15), true), model.sh[3 * 1 + 1]);
  assert.is(body.getFloat32(4 * (9 + 44), true), model.sh[3 * 15 + 2]);
});

test('PLY import: lower SH degrees, ascii, point clouds, and precise errors', () => {
  for (const deg of [0, 1, 2]) {
    const m = randomModel(5, deg, { shDegree: deg });
    assert.equal(decodeSplatPly(encodeSplatPly(m)).sh, m.sh);
  }
  const ascii =
    'ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n0 1 2 255 0 0\n3 4 5 0 255 0\n';
  const pc = decodeSplatPly(new TextEncoder().encode(ascii));
  assert.equal(Array.from(pc.means), [0, 1, 2, 3, 4, 5]);
  assert.ok(Math.abs(dcToRgb(pc.sh[0]) - 1) < 1e-6 && Math.abs(dcToRgb(pc.sh[4]) - 1) < 1e-6);
  assert.throws(
    () =>
      decodeSplatPly(
        new TextEncoder().encode(
          'ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\nend_header\n',
        ),
        'a.ply',
      ),
    /a\.ply: element vertex: missing property y/,
  );
  const truncated = encodeSplatPly(model).subarray(0, 5000);
  assert.throws(() => decodeSplatPly(truncated, 'b.ply'), /b\.ply: element vertex: file is truncated/);
});

test('PLY and .splat: a header that does not describe the data, a partial property group or a non-finite value is an error', () => {
  const ply = encodeSplatPly(model);
  const split = new TextDecoder().decode(ply.subarray(0, 4096)).indexOf('end_header\n') + 'end_header\n'.length;
  const header = new TextDecoder().decode(ply.subarray(0, split)),
    body = ply.subarray(split);
  const withHeader = (h: string, b: Uint8Array = body) => {
    const hb = new TextEncoder().encode(h);
    const o = new Uint8Array(hb.length + b.length);
    o.set(hb);
    o.set(b, hb.length);
    return o;
  };
  // A property dropped from the header shifts every vertex; the leftover bytes give it away.
  assert.throws(
    () => decodeSplatPly(withHeader(header.replace('property float opacity\n', '')), 'c.ply'),
    /c\.ply: element vertex: 1200 bytes follow the 300 vertices of 244 bytes: the header's 61 properties do not match the data/,
  );
  // rot_3 missing from header and data alike: readable, but the quaternion would be incomplete.
  const names = plyPropertyNames(3),
    P = names.length;
  const kept = new Uint8Array(model.count * 4 * (P - 1));
  for (let i = 0; i < model.count; i++) kept.set(body.subarray(4 * P * i, 4 * P * i + 4 * (P - 1)), 4 * (P - 1) * i);
  assert.throws(
    () => decodeSplatPly(withHeader(header.replace('property float rot_3\n', ''), kept), 'd.ply'),
    /d\.ply: element vertex: has rot_0, rot_1, rot_2 but not rot_3/,
  );
  const nan = ply.slice();
  new DataView(nan.buffer).setFloat32(split + 4 * P * 7 + 4 * names.indexOf('scale_1'), Infinity, true);
  assert.throws(() => decodeSplatPly(nan, 'e.ply'), /e\.ply: vertex\[7\]: scale \([^)]*Infinity[^)]*\) is not finite/);
  const zeroRot = ply.slice();
  for (let a = 0; a < 4; a++)
    new DataView(zeroRot.buffer).setFloat32(split + 4 * P * 3 + 4 * names.indexOf(`rot_${a}`), 0, true);
  assert.throws(
    () => decodeSplatPly(zeroRot, 'f.ply'),
    /f\.ply: vertex\[3\]: rotation \(0, 0, 0, 0\) is not a usable quaternion/,
  );
  const dot = encodeDotSplat(model);
  new DataView(dot.buffer, dot.byteOffset).setFloat32(32 * 5 + 16, Infinity, true); // splat 5, scale y
  assert.throws(
    () => decodeDotSplat(dot, 'g.splat'),
    /g\.splat: splat\[5\]: scale \([^)]*Infinity[^)]*\) is not finite/,
  );
});

test('.splat: 32 bytes per Gaussian, round trip within 8-bit colour, opacity and rotation', () => {
  const bytes = encodeDotSplat(model);
  assert.is(bytes.length, 32 * model.count);
  const back = decodeDotSplat(bytes);
  assert.is(maxDiff(back.means, model.means), 0);
  assert.ok(maxDiff(back.logScales, model.logScales) < 1e-6);
  const K = shCoeffs(3);
  for (let i = 0; i < model.count; i++) {
    for (let c = 0; c < 3; c++) {
      const want = Math.max(0, Math.min(1, dcToRgb(model.sh[3 * K * i + c])));
      assert.ok(
        Math.abs(dcToRgb(back.sh[3 * i + c]) - want) <= 0.5 / 255 + 1e-6,
        'colour off by more than half a step',
      );
    }
    assert.ok(Math.abs(sigmoid(back.opacity[i]) - sigmoid(model.opacity[i])) <= 0.5 / 255 + 1e-6);
  }
  // Rotation: each component within half a step of 1/128 before renormalisation.
  assert.ok(maxDiff(unitQuats(back), unitQuats(model)) < 1.5 / 128);
  // Re-encoding the decoded model is stable: identical bytes except rotations, which renormalise (one step).
  const again = encodeDotSplat(back);
  for (let i = 0; i < bytes.length; i++)
    assert.ok(Math.abs(again[i] - bytes[i]) <= (i % 32 >= 28 ? 1 : 0), `byte ${i}: ${again[i]} vs ${bytes[i]}`);
});

/**
 * Asserts that `back` holds the Gaussians of `m` within spz's quantization: positions to half a step of
 * 2^-fractionalBits, log scales to 1/32, colour to half a step of 1/(255 * 0.15), opacity to half a step of 1/255,
 * SH to half a 5-bit (degree 1) or 4-bit step plus 1/128, rotations per component to 1.5 steps of sqrt(1/2)/511
 * (versions 3 and 4) or, in version 2, x y z (with w made >= 0) to half a step of 1/127.5.
 */
function assertSpzQuantized(back: GaussianModel, m: GaussianModel, frac: number, version: number, label: string) {
  assert.is(back.count, m.count, `${label}: count`);
  assert.is(back.shDegree, m.shDegree, `${label}: SH degree`);
  const d = maxDiff(back.means, m.means);
  assert.ok(d <= 0.5 / 2 ** frac + 1e-6, `${label}: positions off by ${d}`);
  assert.ok(maxDiff(back.logScales, m.logScales) <= 0.5 / 16 + 1e-5, `${label}: scales`);
  const qb = unitQuats(back),
    qm = unitQuats(m);
  if (version === 2) {
    for (let i = 0; i < m.count; i++)
      for (let a = 1; a < 4; a++)
        assert.ok(Math.abs(qb[4 * i + a] - qm[4 * i + a]) <= 0.5 / 127.5 + 1e-5, `${label}: rotation ${i}`);
  } else assert.ok(maxDiff(qb, qm) < (1.5 * Math.SQRT1_2) / 511, `${label}: rotations off by ${maxDiff(qb, qm)}`);
  const K = shCoeffs(m.shDegree);
  for (let i = 0; i < m.count; i++) {
    for (let c = 0; c < 3; c++)
      assert.ok(
        Math.abs(back.sh[3 * K * i + c] - m.sh[3 * K * i + c]) <= 0.5 / 255 / 0.15 + 1e-5,
        `${label}: colour ${i}`,
      );
    for (let k = 1; k < K; k++)
      for (let c = 0; c < 3; c++) {
        const step = (k < 4 ? 8 : 16) / 128;
        assert.ok(
          Math.abs(back.sh[3 * K * i + 3 * k + c] - m.sh[3 * K * i + 3 * k + c]) <= step / 2 + 1 / 128 + 1e-5,
          `${label}: SH ${i}.${k}.${c}`,
        );
      }
    assert.ok(Math.abs(sigmoid(back.opacity[i]) - sigmoid(m.opacity[i])) <= 0.5 / 255 + 1e-5, `${label}: opacity ${i}`);
  }
}

test('.spz: versions 2 and 3 round-trip within their quantization, and re-encoding is stable', () => {
  const frac = spzFractionalBits(model);
  for (const version of [2, 3] as const)
    for (const m of [model, randomModel(40, 9, { shDegree: 1 }), randomModel(40, 10, { shDegree: 0 })]) {
      const bytes = encodeSpz(m, { version });
      assert.ok(isSpzBytes(bytes), `v${version}: recognised by its bytes`);
      const back = decodeSpz(bytes);
      assertSpzQuantized(back, m, m === model ? frac : spzFractionalBits(m), version, `v${version} SH ${m.shDegree}`);
      const again = decodeSpz(encodeSpz(back, { version }));
      assert.equal(again.means, back.means);
      assert.equal(again.sh, back.sh);
      assert.equal(again.logScales, back.logScales);
    }
  // The default is what SPZ_WRITE_VERSION names: version 3, a gzip stream (see spz.ts for why not 4).
  assert.is(SPZ_WRITE_VERSION, 3);
  const dflt = gunzipSync(encodeSpz(model));
  assert.is(new DataView(dflt.buffer, dflt.byteOffset).getUint32(4, true), 3);
  assert.equal(encodeSpz(model), encodeSpz(model, { version: 3 }));
  // Version 4 is read, never written.
  assert.throws(() => encodeSpz(model, { version: 4 as 3 }), /version 4 is read, not written/);
  // An empty model.
  for (const version of [2, 3] as const) assert.is(decodeSpz(encodeSpz(randomModel(0, 1), { version })).count, 0);
});

test('.spz version 4 (splat-transform writes it): the 32-byte header, the table of contents, one Zstandard frame per plane; SH degrees 0 to 3', async () => {
  for (const m of [
    model,
    randomModel(64, 16, { shDegree: 2 }),
    randomModel(64, 14, { shDegree: 1 }),
    randomModel(64, 15, { shDegree: 0 }),
  ]) {
    const bytes = await transformSpz(m),
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      N = m.count,
      label = `SH ${m.shDegree}`;
    assert.ok(isSpzBytes(bytes), `${label}: recognised by its bytes`);
    assert.equal(Array.from(bytes.subarray(0, 4)), [0x4e, 0x47, 0x53, 0x50], 'NGSP, not gzip');
    assert.is(view.getUint32(4, true), 4);
    assert.is(view.getUint32(8, true), N);
    const streams = m.shDegree ? 6 : 5;
    assert.equal([bytes[12], bytes[15]], [m.shDegree, streams], `${label}: SH degree, stream count`);
    const toc = view.getUint32(16, true),
      sizes = [9 * N, N, 3 * N, 3 * N, 4 * N, 3 * (shCoeffs(m.shDegree) - 1) * N];
    let at = toc + 16 * streams;
    for (let i = 0; i < streams; i++) {
      assert.is(Number(view.getBigUint64(toc + 16 * i + 8, true)), sizes[i], `${label}: plane ${i} size`);
      assert.equal(Array.from(bytes.subarray(at, at + 4)), [0x28, 0xb5, 0x2f, 0xfd], `${label}: plane ${i} zstd`);
      at += Number(view.getBigUint64(toc + 16 * i, true));
    }
    assert.is(at, bytes.length, `${label}: the frames end the file`);
    assertSpzQuantized(decodeSpz(bytes, 'st.spz'), m, bytes[13], 4, `v4 ${label}`);
  }
  const bytes = await transformSpz(model);
  // Extension records (flag 2) between the header and the table of contents are skipped.
  const toc = new DataView(bytes.buffer, bytes.byteOffset).getUint32(16, true),
    ext = new Uint8Array(bytes.length + 12),
    ev = new DataView(ext.buffer);
  ext.set(bytes.subarray(0, toc));
  ext.set(bytes.subarray(toc), toc + 12);
  ext[14] |= 2;
  ev.setUint32(16, toc + 12, true);
  ev.setUint32(toc, 0xadbe0002, true); // a vendor record: type, 4 payload bytes
  ev.setUint32(toc + 4, 4, true);
  assert.equal(decodeSpz(ext).means, decodeSpz(bytes).means);
  // No Gaussians: a header with no streams (splat-transform writes no empty file).
  const empty = bytes.slice(0, 32);
  new DataView(empty.buffer).setUint32(8, 0, true);
  empty[12] = 1;
  empty[15] = 0;
  assert.is(decodeSpz(empty).count, 0);
});

test('.spz: unsupported versions, truncated, corrupt and lying files are named errors, never crashes', async () => {
  const v4 = await transformSpz(model),
    v3 = encodeSpz(model, { version: 3 });
  const edit = (b: Uint8Array, f: (v: DataView, c: Uint8Array) => void) => {
    const c = new Uint8Array(b); // a copy (a Buffer's slice() would share the bytes)
    f(new DataView(c.buffer), c);
    return c;
  };
  // Its layout, which the offsets below assume: the table of contents at 32, six streams, the frames from 128, each
  // frame header single-segment with a 2-byte content size (libzstd's for these sizes).
  assert.equal([new DataView(v4.buffer, v4.byteOffset).getUint32(16, true), v4[15], v4[132]], [32, 6, 0x60]);
  // Version 5, in a version 4 header and inside a gzip stream.
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (v) => v.setUint32(4, 5, true)),
        'a.spz',
      ),
    /a\.spz: header\.version: version 5 is not supported \(2 to 4\)/,
  );
  const raw3 = gunzipSync(v3);
  assert.throws(
    () => decodeSpz(gzipSync(edit(raw3, (v) => v.setUint32(4, 5, true))), 'b.spz'),
    /b\.spz: header\.version: version 5 is not supported \(2 to 4\)/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (v) => v.setUint32(4, 1, true)),
        'c.spz',
      ),
    /header\.version: version 1/,
  );
  // A version 3 payload not gzip'd, a version 4 one gzip'd, and neither.
  assert.throws(() => decodeSpz(raw3, 'd.spz'), /d\.spz: header\.version: version 3 outside a gzip stream/);
  assert.throws(() => decodeSpz(gzipSync(v4), 'e.spz'), /e\.spz: header\.version: version 4 inside a gzip stream/);
  assert.throws(() => decodeSpz(encodeDotSplat(model), 'f.spz'), /f\.spz: header\.magic: not an spz file/);
  // Truncated version 4: in the header, in the table of contents, in the last stream.
  assert.throws(() => decodeSpz(v4.subarray(0, 20), 'g.spz'), /g\.spz: header: 20 bytes, shorter than the 32-byte/);
  assert.throws(
    () => decodeSpz(v4.subarray(0, 100), 'h.spz'),
    /h\.spz: toc: the table of contents ends at byte 128, past the end of the file \(100 bytes; truncated\?\)/,
  );
  assert.throws(
    () => decodeSpz(v4.subarray(0, v4.length - 100), 'i.spz'),
    /i\.spz: toc\.sh: \d+ compressed bytes from byte \d+ run past the end of the file \(\d+ bytes; truncated\?\)/,
  );
  // Cut anywhere, either container: a named input error, nothing else.
  const expectNamed = (bytes: Uint8Array, what: string) => {
    try {
      decodeSpz(bytes, 'cut.spz');
      assert.unreachable(`${what} decoded`);
    } catch (e) {
      assert.instance(e, OteError, `${what}: ${e}`);
      assert.is((e as OteError).code, 'BAD_INPUT');
      assert.ok((e as OteError).path, `${what}: names no field: ${(e as Error).message}`);
    }
  };
  for (const [name, bytes] of [
    ['v4', v4],
    ['v3', v3],
  ] as const)
    for (let n = 0; n < bytes.length; n += 61) expectNamed(bytes.subarray(0, n), `${name} cut at ${n} bytes`);
  // Each v4 frame cut short, its table of contents following: fzstd runs out of input.
  for (let k = 0; k < 6; k++)
    for (const keep of [3, 6, 9, 40, 200])
      expectNamed(
        withFrame(v4, k, (f) => f.subarray(0, Math.min(keep, f.length - 1))),
        `frame ${k} cut to ${keep} bytes`,
      );
  assert.throws(
    () =>
      decodeSpz(
        withFrame(v4, 0, (f) => f.subarray(0, f.length - 10)),
        'q.spz',
      ),
    /q\.spz: streams\.positions: zstd: corrupt frame \(unexpected EOF\)/,
  );
  // Lying: a count the file cannot hold, a plane size that disagrees with the count, a stream count, bytes after the
  // streams, a gzip stream shorter than its count.
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (v) => v.setUint32(8, 1e9, true)),
        'j.spz',
      ),
    /j\.spz: header\.numPoints: 1000000000 Gaussians cannot fit in \d+ bytes/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (v) => v.setUint32(8, 299, true)),
        'k.spz',
      ),
    /k\.spz: toc\.positions: 2700 bytes decompressed, but 299 Gaussians take 2691/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (v) => v.setBigUint64(32 + 16 * 2 + 8, 899n, true)),
        'k2.spz',
      ),
    /k2\.spz: toc\.colors: 899 bytes decompressed, but 300 Gaussians take 900/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (v) => v.setBigUint64(32 + 16 * 5, 1n << 40n, true)),
        'k3.spz',
      ),
    /k3\.spz: toc\.sh: 1099511627776 compressed bytes from byte \d+ run past the end of the file/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (_, c) => (c[15] = 5)),
        'l.spz',
      ),
    /l\.spz: header\.numStreams: 5 streams/,
  );
  const longer = new Uint8Array(v4.length + 3);
  longer.set(v4);
  assert.throws(() => decodeSpz(longer, 'm.spz'), /m\.spz: toc: the streams end at byte \d+, but the file has/);
  assert.throws(
    () => decodeSpz(gzipSync(edit(raw3, (v) => v.setUint32(8, 301, true))), 'n.spz'),
    /n\.spz: data: truncated: 301 Gaussians need/,
  );
  // Corrupt frames: not zstd; a reserved header bit; a dictionary; a content size other than the table's, or none.
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (_, c) => (c[128] ^= 0xff)),
        'o.spz',
      ),
    /o\.spz: streams\.positions: zstd: not a Zstandard frame/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (_, c) => (c[128 + 4] |= 0x08)),
        'p.spz',
      ),
    /p\.spz: streams\.positions: zstd: a frame header with its reserved bit set/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (_, c) => (c[128 + 4] |= 0x01)),
        'r.spz',
      ),
    /r\.spz: streams\.positions: zstd: a frame that names a dictionary/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (v) => v.setUint16(128 + 5, 2699 - 256, true)),
        's.spz',
      ),
    /s\.spz: streams\.positions: zstd: a frame of 2699 bytes, where the table of contents gives 2700/,
  );
  assert.throws(
    () =>
      decodeSpz(
        edit(v4, (_, c) => (c[128 + 4] = 0x00)), // not single-segment, no content size: byte 5 is now the window
        't.spz',
      ),
    /t\.spz: streams\.positions: zstd: a frame that does not declare its decompressed size/,
  );
  // A second frame after the first (one frame per stream): fzstd's RangeError, named.
  assert.throws(
    () =>
      decodeSpz(
        withFrame(v4, 1, (f) => Uint8Array.from([...f, ...f])),
        'u.spz',
      ),
    (e: Error) =>
      e instanceof OteError &&
      /u\.spz: streams\.alphas: zstd: corrupt frame \(it decodes to more than the 300 bytes/.test(e.message),
  );
  // A frame whose few sequences ask for billions of copy steps (98,303 sequences of 65,536 literals and 65,539
  // matched bytes, from bits fzstd reads past the start of the bitstream): fzstd would run for minutes; the time limit
  // stops it.
  const block = [0x00, 0xff, 0xff, 0xff, 0x54, 35, 0, 52, 0x01],
    bh = 1 | (2 << 1) | (block.length << 3);
  const bomb = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x60, 0, 0, bh & 255, bh >> 8, bh >> 16, ...block]);
  new DataView(bomb.buffer).setUint16(5, 2700 - 256, true); // the content size positions take
  const t0 = performance.now();
  assert.throws(
    () =>
      decodeSpz(
        withFrame(v4, 0, () => bomb),
        'v.spz',
      ),
    /v\.spz: streams\.positions: zstd: decompressing took over \d+ ms/,
  );
  assert.ok(performance.now() - t0 < 5000, `${performance.now() - t0} ms`);
});

test('files: save/load by extension, atomically; unknown extensions are refused', async () => {
  for (const ext of ['ply', 'splat', 'spz']) {
    const p = join(dir, `m.${ext}`);
    const size = await saveSplats(model, p);
    assert.is(readFileSync(p).length, size);
    const back = await loadSplats(p);
    assert.is(back.count, model.count);
  }
  await assert.not.throws(async () => undefined);
  try {
    await saveSplats(model, join(dir, 'm.xyz'));
    assert.unreachable('accepted .xyz');
  } catch (e) {
    assert.match((e as Error).message, /unknown splat format/);
  }
});

test('the antialiased mark (Mip-Splatting training) survives .spz and PLY; unmarked models stay unmarked', () => {
  const aa: GaussianModel = { ...model, antialiased: true };
  for (const version of [2, 3] as const) {
    const bytes = encodeSpz(aa, { version });
    assert.is(gunzipSync(bytes)[14] & 1, 1, `v${version}: the header's flag bit`);
    assert.is(decodeSpz(bytes).antialiased, true);
    assert.is(decodeSpz(encodeSpz(model, { version })).antialiased, undefined);
  }
  const ply = encodeSplatPly(aa);
  assert.match(new TextDecoder().decode(ply.subarray(0, 200)), /\ncomment SplatRenderMode: mip\n/);
  assert.is(decodeSplatPly(ply).antialiased, true);
  assert.is(decodeSplatPly(encodeSplatPly(model)).antialiased, undefined);
  // Postshot's mark is read too.
  const postshot = encodeSplatPly(model, ['postshot.anti_aliasing=1']);
  assert.is(decodeSplatPly(postshot).antialiased, true);
});

test('a public reader (@playcanvas/splat-transform) reads our PLY, .splat and .spz (versions 2 and 3)', async () => {
  const st = await loadTransform();
  async function read(name: string, format: 'ply' | 'splat' | 'spz', bytes: Uint8Array) {
    const fs = new st.MemoryReadFileSystem();
    fs.set(name, bytes);
    const sources = await st.readFile({ filename: name, inputFormat: format, fileSystem: fs });
    return st.materializeToDataTable(sources[0], st.createChunkDataPool());
  }
  const col = (t: { getColumnByName(n: string): { data: ArrayLike<number> } | undefined }, n: string) => {
    const c = t.getColumnByName(n);
    assert.ok(c, `reader has no column ${n}`);
    return c!.data;
  };
  const ply = await read('m.ply', 'ply', encodeSplatPly(model));
  assert.is(ply.numRows, model.count);
  const K = shCoeffs(3);
  for (let i = 0; i < model.count; i += 37) {
    assert.is(col(ply, 'x')[i], model.means[3 * i]);
    assert.is(col(ply, 'scale_2')[i], model.logScales[3 * i + 2]);
    assert.is(col(ply, 'rot_0')[i], model.quats[4 * i]);
    assert.is(col(ply, 'opacity')[i], model.opacity[i]);
    assert.is(col(ply, 'f_dc_1')[i], model.sh[3 * K * i + 1]);
    assert.is(col(ply, 'f_rest_16')[i], model.sh[3 * K * i + 3 * 2 + 1], 'f_rest must be channel-major');
  }
  const cases: [string, 'splat' | 'spz', Uint8Array, (b: Uint8Array) => GaussianModel][] = [
    ['splat', 'splat', encodeDotSplat(model), decodeDotSplat],
    ['spz (default)', 'spz', encodeSpz(model), decodeSpz],
    ['spz v2', 'spz', encodeSpz(model, { version: 2 }), decodeSpz],
    ['spz v3', 'spz', encodeSpz(model, { version: 3 }), decodeSpz],
  ];
  for (const [label, format, bytes, decode] of cases) {
    const t = await read(`m.${format}`, format, bytes);
    const ours = decode(bytes);
    assert.is(t.numRows, model.count, `${label} count`);
    const k = format === 'spz' ? K : 1;
    for (let i = 0; i < model.count; i += 29) {
      for (let a = 0; a < 3; a++)
        assert.ok(Math.abs(col(t, 'xyz'[a])[i] - ours.means[3 * i + a]) < 1e-4, `${label} position ${i}`);
      assert.ok(Math.abs(col(t, 'scale_0')[i] - ours.logScales[3 * i]) < 1e-4, `${label} scale ${i}`);
      assert.ok(Math.abs(sigmoid(col(t, 'opacity')[i]) - sigmoid(ours.opacity[i])) < 2e-3, `${label} opacity ${i}`);
      assert.ok(
        Math.abs(col(t, 'f_dc_0')[i] - ours.sh[3 * k * i]) < 2e-2,
        `${label} colour ${i}: ${col(t, 'f_dc_0')[i]} vs ${ours.sh[3 * k * i]}`,
      );
      if (format === 'spz')
        assert.ok(Math.abs(col(t, 'f_rest_16')[i] - ours.sh[3 * k * i + 3 * 2 + 1]) < 1e-3, `${label} f_rest ${i}`);
      // Rotation up to sign.
      const a = [0, 1, 2, 3].map((j) => col(t, `rot_${j}`)[i]),
        b = Array.from(ours.quats.subarray(4 * i, 4 * i + 4));
      const la = Math.hypot(...a),
        lb = Math.hypot(...b);
      const dot = Math.abs(a.reduce((s, v, j) => s + v * b[j], 0) / la / lb);
      assert.ok(dot > 0.999, `${label} rotation ${i}: ${a} vs ${b}`);
    }
  }
});

test('splat-transform writes .spz version 4 by default and version 3 on request; we read both', async () => {
  for (const m of [model, randomModel(64, 14, { shDegree: 1 }), randomModel(64, 15, { shDegree: 0 })]) {
    const v4 = await transformSpz(m);
    // Its default container: the plain NGSP header of version 4, not gzip (read back: the version 4 test above).
    assert.equal(Array.from(v4.subarray(0, 8)), [0x4e, 0x47, 0x53, 0x50, 4, 0, 0, 0], 'version 4 by default');
    const v3 = await transformSpz(m, { spzVersion: 3 });
    assert.equal(Array.from(v3.subarray(0, 2)), [0x1f, 0x8b], 'version 3 is gzip');
    const raw = gunzipSync(v3);
    assert.is(raw[4], 3);
    assertSpzQuantized(decodeSpz(v3, 'st3.spz'), m, raw[13], 3, `splat-transform v3, SH ${m.shDegree}`);
  }
});

test.run();
