/**
 * Import/export: every format round-trips exactly within its quantization, and a public reader
 * (@playcanvas/splat-transform, which embeds Adobe's/Niantic's spz decoder) reads our PLY, .splat and .spz back
 * to the same Gaussians.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeDotSplat,
  decodeSpz,
  encodeDotSplat,
  encodeSpz,
  loadSplats,
  saveSplats,
  spzFractionalBits,
} from '../../src/io/splat-formats.js';
import { decodeSplatPly, encodeSplatPly, plyPropertyNames } from '../../src/io/splat-ply.js';
import { dcToRgb, sigmoid, shCoeffs, type GaussianModel } from '../../src/scene/gaussians.js';
import { tempDir } from '../helpers.js';
import { randomModel } from './fixtures.js';

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

test('.spz: round trip within its quantization, and re-encoding is byte-stable', () => {
  const bytes = encodeSpz(model);
  const back = decodeSpz(bytes);
  const frac = spzFractionalBits(model);
  assert.is(back.shDegree, 3);
  assert.ok(
    maxDiff(back.means, model.means) <= 0.5 / (1 << frac) + 1e-7,
    `positions off by ${maxDiff(back.means, model.means)}`,
  );
  assert.ok(maxDiff(back.logScales, model.logScales) <= 0.5 / 16 + 1e-6);
  assert.ok(
    maxDiff(unitQuats(back), unitQuats(model)) < (1.5 * Math.SQRT1_2) / 511,
    `rotations off by ${maxDiff(unitQuats(back), unitQuats(model))}`,
  );
  const K = shCoeffs(3);
  for (let i = 0; i < model.count; i++) {
    for (let c = 0; c < 3; c++)
      assert.ok(Math.abs(back.sh[3 * K * i + c] - model.sh[3 * K * i + c]) <= 0.5 / 255 / 0.15 + 1e-5);
    for (let k = 1; k < K; k++)
      for (let c = 0; c < 3; c++) {
        const step = (k < 4 ? 8 : 16) / 128;
        assert.ok(
          Math.abs(back.sh[3 * K * i + 3 * k + c] - model.sh[3 * K * i + 3 * k + c]) <= step / 2 + 1 / 128 + 1e-6,
        );
      }
    assert.ok(Math.abs(sigmoid(back.opacity[i]) - sigmoid(model.opacity[i])) <= 0.5 / 255 + 1e-6);
  }
  const again = decodeSpz(encodeSpz(back));
  assert.equal(again.means, back.means);
  assert.equal(again.sh, back.sh);
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

test('a public reader (@playcanvas/splat-transform) reads our PLY, .splat and .spz', async () => {
  const st = await import('@playcanvas/splat-transform');
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
  for (const [format, bytes, decode] of [
    ['splat', encodeDotSplat(model), decodeDotSplat],
    ['spz', encodeSpz(model), decodeSpz],
  ] as const) {
    const t = await read(`m.${format}`, format, bytes);
    const ours = decode(bytes);
    assert.is(t.numRows, model.count, `${format} count`);
    const k = format === 'spz' ? K : 1;
    for (let i = 0; i < model.count; i += 29) {
      for (let a = 0; a < 3; a++)
        assert.ok(Math.abs(col(t, 'xyz'[a])[i] - ours.means[3 * i + a]) < 1e-4, `${format} position ${i}`);
      assert.ok(Math.abs(col(t, 'scale_0')[i] - ours.logScales[3 * i]) < 1e-4, `${format} scale ${i}`);
      assert.ok(Math.abs(sigmoid(col(t, 'opacity')[i]) - sigmoid(ours.opacity[i])) < 2e-3, `${format} opacity ${i}`);
      assert.ok(
        Math.abs(col(t, 'f_dc_0')[i] - ours.sh[3 * k * i]) < 2e-2,
        `${format} colour ${i}: ${col(t, 'f_dc_0')[i]} vs ${ours.sh[3 * k * i]}`,
      );
      if (format === 'spz')
        assert.ok(Math.abs(col(t, 'f_rest_16')[i] - ours.sh[3 * k * i + 3 * 2 + 1]) < 1e-3, `spz f_rest ${i}`);
      // Rotation up to sign.
      const a = [0, 1, 2, 3].map((j) => col(t, `rot_${j}`)[i]),
        b = Array.from(ours.quats.subarray(4 * i, 4 * i + 4));
      const la = Math.hypot(...a),
        lb = Math.hypot(...b);
      const dot = Math.abs(a.reduce((s, v, j) => s + v * b[j], 0) / la / lb);
      assert.ok(dot > 0.999, `${format} rotation ${i}: ${a} vs ${b}`);
    }
  }
});

test.run();
