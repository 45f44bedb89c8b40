/**
 * The standard 3DGS PLY: binary little-endian, one `vertex` element with float properties in the canonical
 * order x y z nx ny nz f_dc_0..2 f_rest_* opacity scale_0..2 rot_0..3 (62 properties at SH degree 3), f_rest
 * channel-major (all of red's higher-order coefficients, then green's, then blue's). Values are the optimiser's:
 * log scales, logit opacity, quaternion (w x y z). Coordinates are written as they are in the scene (glTF: +Y up).
 *
 * The reader also takes what capture tools write: any property order, extra properties, ascii or big-endian
 * bodies, other numeric types, fewer f_rest (degree 0..2), and plain point clouds with red/green/blue.
 */
import { inputError } from '../errors.js';
import { createModel, invalidGaussian, rgbToDc, shCoeffs, type GaussianModel } from '../scene/gaussians.js';

export function plyPropertyNames(shDegree: number): string[] {
  const rest = 3 * (shCoeffs(shDegree) - 1);
  return [
    'x',
    'y',
    'z',
    'nx',
    'ny',
    'nz',
    'f_dc_0',
    'f_dc_1',
    'f_dc_2',
    ...Array.from({ length: rest }, (_, i) => `f_rest_${i}`),
    'opacity',
    'scale_0',
    'scale_1',
    'scale_2',
    'rot_0',
    'rot_1',
    'rot_2',
    'rot_3',
  ];
}

/**
 * How a PLY says its splats were trained antialiased (GaussianModel.antialiased): the header comment Brush and
 * SplatTransform write; Postshot's `postshot.anti_aliasing=1` is read too.
 */
const ANTIALIASED_COMMENT = 'SplatRenderMode: mip';
const antialiasedComment = (line: string) =>
  /^comment\s+(SplatRenderMode:\s*mip|postshot\.anti_aliasing\s*=\s*1)\s*$/i.test(line.trim());

export function encodeSplatPly(m: GaussianModel, comments: string[] = []): Uint8Array {
  const names = plyPropertyNames(m.shDegree),
    P = names.length,
    K = shCoeffs(m.shDegree);
  const header = [
    'ply',
    'format binary_little_endian 1.0',
    ...comments.map((c) => `comment ${c.replace(/[\r\n]/g, ' ')}`),
    ...(m.antialiased ? [`comment ${ANTIALIASED_COMMENT}`] : []),
    `element vertex ${m.count}`,
    ...names.map((n) => `property float ${n}`),
    'end_header',
    '',
  ].join('\n');
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(head.length + 4 * P * m.count);
  out.set(head);
  const body = new Float32Array(P * m.count);
  for (let i = 0; i < m.count; i++) {
    const o = P * i;
    body[o] = m.means[3 * i];
    body[o + 1] = m.means[3 * i + 1];
    body[o + 2] = m.means[3 * i + 2];
    // normals are unused by 3DGS (kept zero for the canonical layout)
    for (let c = 0; c < 3; c++) body[o + 6 + c] = m.sh[3 * K * i + c];
    for (let c = 0; c < 3; c++)
      for (let k = 1; k < K; k++) body[o + 9 + c * (K - 1) + (k - 1)] = m.sh[3 * K * i + 3 * k + c];
    const r = 9 + 3 * (K - 1);
    body[o + r] = m.opacity[i];
    for (let a = 0; a < 3; a++) body[o + r + 1 + a] = m.logScales[3 * i + a];
    for (let a = 0; a < 4; a++) body[o + r + 4 + a] = m.quats[4 * i + a];
  }
  // The body is little-endian on every platform we ship to; copy bytes rather than assume alignment.
  out.set(new Uint8Array(body.buffer), head.length);
  return out;
}

const TYPES: Record<string, [number, (v: DataView, o: number, le: boolean) => number]> = {
  char: [1, (v, o) => v.getInt8(o)],
  int8: [1, (v, o) => v.getInt8(o)],
  uchar: [1, (v, o) => v.getUint8(o)],
  uint8: [1, (v, o) => v.getUint8(o)],
  short: [2, (v, o, le) => v.getInt16(o, le)],
  int16: [2, (v, o, le) => v.getInt16(o, le)],
  ushort: [2, (v, o, le) => v.getUint16(o, le)],
  uint16: [2, (v, o, le) => v.getUint16(o, le)],
  int: [4, (v, o, le) => v.getInt32(o, le)],
  int32: [4, (v, o, le) => v.getInt32(o, le)],
  uint: [4, (v, o, le) => v.getUint32(o, le)],
  uint32: [4, (v, o, le) => v.getUint32(o, le)],
  float: [4, (v, o, le) => v.getFloat32(o, le)],
  float32: [4, (v, o, le) => v.getFloat32(o, le)],
  double: [8, (v, o, le) => v.getFloat64(o, le)],
  float64: [8, (v, o, le) => v.getFloat64(o, le)],
};

interface Element {
  name: string;
  count: number;
  props: { name: string; type: string; list?: [string, string] }[];
}

/** Parse a splat PLY (see the module comment for what is accepted). `file` names the source in errors. */
export function decodeSplatPly(bytes: Uint8Array, file?: string): GaussianModel {
  // Header: ASCII lines up to "end_header\n".
  const limit = Math.min(bytes.length, 1 << 20);
  let end = -1;
  for (let i = 0; i + 10 <= limit; i++) {
    if (bytes[i] === 0x65 && new TextDecoder().decode(bytes.subarray(i, i + 10)) === 'end_header') {
      let j = i + 10;
      if (bytes[j] === 0x0d) j++;
      if (bytes[j] !== 0x0a) throw inputError(file, 'header', 'end_header must end its line');
      end = j + 1;
      break;
    }
  }
  if (new TextDecoder().decode(bytes.subarray(0, 3)) !== 'ply')
    throw inputError(file, 'header', 'not a PLY file (no "ply" magic)');
  if (end < 0) throw inputError(file, 'header', 'no end_header in the first 1 MiB');
  const lines = new TextDecoder().decode(bytes.subarray(0, end)).split(/\r?\n/);
  let format = '';
  const elements: Element[] = [];
  lines.forEach((line, n) => {
    const t = line.trim().split(/\s+/);
    const where = `header line ${n + 1}`;
    if (t[0] === 'format') {
      format = t[1];
      if (!['ascii', 'binary_little_endian', 'binary_big_endian'].includes(format))
        throw inputError(file, where, `unknown format "${format}"`);
    } else if (t[0] === 'element') {
      const count = Number(t[2]);
      if (!Number.isInteger(count) || count < 0) throw inputError(file, where, `bad element count "${t[2]}"`);
      elements.push({ name: t[1], count, props: [] });
    } else if (t[0] === 'property') {
      const el = elements[elements.length - 1];
      if (!el) throw inputError(file, where, 'property before any element');
      if (t[1] === 'list') {
        if (!TYPES[t[2]] || !TYPES[t[3]]) throw inputError(file, where, `unknown list types "${t[2]} ${t[3]}"`);
        el.props.push({ name: t[4], type: t[3], list: [t[2], t[3]] });
      } else {
        if (!TYPES[t[1]]) throw inputError(file, where, `unknown property type "${t[1]}"`);
        el.props.push({ name: t[2], type: t[1] });
      }
    }
  });
  if (!format) throw inputError(file, 'header', 'missing format line');
  const vi = elements.findIndex((e) => e.name === 'vertex');
  if (vi < 0) throw inputError(file, 'header', 'no vertex element');
  const vertex = elements[vi];
  const col = new Map(vertex.props.map((p, i) => [p.name, i]));
  for (const need of ['x', 'y', 'z'])
    if (!col.has(need)) throw inputError(file, 'element vertex', `missing property ${need}`);

  // Read every vertex property into columns (skipping elements before `vertex`). Counts come from the header, so
  // each is checked against the bytes or lines there are before anything of that size is allocated or looped over.
  const N = vertex.count;
  const le = format === 'binary_little_endian';
  let values: Float64Array[];
  if (format === 'ascii') {
    const text = new TextDecoder()
      .decode(bytes.subarray(end))
      .split(/\r?\n/)
      .filter((l) => l.trim());
    let row = elements.slice(0, vi).reduce((s, e) => s + e.count, 0);
    if (row + N > text.length)
      throw inputError(
        file,
        'element vertex',
        `file is truncated: the header declares ${row + N} lines of data, the file has ${text.length}`,
      );
    values = vertex.props.map(() => new Float64Array(N));
    for (let i = 0; i < N; i++, row++) {
      const t = text[row].trim().split(/\s+/).map(Number);
      if (t.length < vertex.props.length)
        throw inputError(file, `vertex[${i}]`, `has ${t.length} values, expected ${vertex.props.length}`);
      for (let p = 0; p < values.length; p++) values[p][i] = t[p];
    }
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const truncated = (el: Element, need: string) =>
      inputError(
        file,
        `element ${el.name}`,
        `file is truncated: ${need}, ${Math.max(0, bytes.length - off)} bytes remain`,
      );
    let off = end;
    values = [];
    for (const el of elements) {
      const fixed = el.props.every((p) => !p.list);
      if (el === vertex) {
        if (!fixed) throw inputError(file, 'element vertex', 'list properties are not supported in vertex data');
        const sizes = el.props.map((p) => TYPES[p.type][0]),
          readers = el.props.map((p) => TYPES[p.type][1]);
        const stride = sizes.reduce((a, b) => a + b, 0);
        if (off + stride * N > bytes.length) throw truncated(el, `${N} vertices need ${stride * N} bytes`);
        // Bytes left over with no element declared after the vertices mean the header's properties do not describe
        // the data (a property missing from the header shifts every vertex): reading on would be silently wrong.
        if (el === elements[elements.length - 1] && off + stride * N < bytes.length)
          throw inputError(
            file,
            'element vertex',
            `${bytes.length - off - stride * N} bytes follow the ${N} vertices of ${stride} bytes: the header's ${el.props.length} properties do not match the data`,
          );
        values = el.props.map(() => new Float64Array(N));
        for (let i = 0; i < N; i++) {
          let o = off + stride * i;
          for (let p = 0; p < sizes.length; p++) {
            values[p][i] = readers[p](view, o, le);
            o += sizes[p];
          }
        }
        break;
      }
      // Skip an element before the vertex data: at once when its items have a fixed size, else item by item (each
      // list length read where the bytes exist, so the loop ends within the file whatever the declared count).
      if (fixed) {
        off += el.count * el.props.reduce((s, p) => s + TYPES[p.type][0], 0);
        if (off > bytes.length) throw truncated(el, `${el.count} items end past the end of the file`);
        continue;
      }
      for (let i = 0; i < el.count; i++)
        for (const p of el.props) {
          if (!p.list) {
            off += TYPES[p.type][0];
            continue;
          }
          const [ct, it] = p.list;
          if (off + TYPES[ct][0] > bytes.length) throw truncated(el, `item ${i} of ${el.count} is cut off`);
          const n = TYPES[ct][1](view, off, le);
          if (!Number.isInteger(n) || n < 0)
            throw inputError(
              file,
              `element ${el.name}[${i}].${p.name}`,
              `list length ${n} is not a non-negative integer`,
            );
          off += TYPES[ct][0] + n * TYPES[it][0];
          if (off > bytes.length) throw truncated(el, `item ${i} of ${el.count} is cut off`);
        }
    }
  }

  const get = (name: string) => {
    const i = col.get(name);
    return i === undefined ? undefined : values[i];
  };
  // A group is all there or absent (a point cloud): part of one would leave the rest at defaults unnoticed.
  for (const group of [
    ['f_dc_0', 'f_dc_1', 'f_dc_2'],
    ['scale_0', 'scale_1', 'scale_2'],
    ['rot_0', 'rot_1', 'rot_2', 'rot_3'],
  ]) {
    const have = group.filter((g) => col.has(g));
    if (have.length && have.length < group.length)
      throw inputError(
        file,
        'element vertex',
        `has ${have.join(', ')} but not ${group.filter((g) => !col.has(g)).join(', ')}`,
      );
  }
  let rest = 0;
  while (col.has(`f_rest_${rest}`)) rest++;
  const degree = [0, 9, 24, 45].indexOf(rest);
  if (degree < 0)
    throw inputError(file, 'element vertex', `${rest} f_rest properties; expected 0, 9, 24 or 45 (SH degree 0..3)`);
  const m: GaussianModel = {
    ...createModel(N, degree),
    ...(lines.some(antialiasedComment) ? { antialiased: true } : {}),
  };
  const K = shCoeffs(degree);
  const x = get('x')!,
    y = get('y')!,
    z = get('z')!;
  const dc = [get('f_dc_0'), get('f_dc_1'), get('f_dc_2')];
  const rgb = [get('red'), get('green'), get('blue')];
  const op = get('opacity'),
    sc = [get('scale_0'), get('scale_1'), get('scale_2')],
    rot = [get('rot_0'), get('rot_1'), get('rot_2'), get('rot_3')];
  const restCols = Array.from({ length: rest }, (_, j) => get(`f_rest_${j}`)!);
  for (let i = 0; i < N; i++) {
    m.means[3 * i] = x[i];
    m.means[3 * i + 1] = y[i];
    m.means[3 * i + 2] = z[i];
    for (let c = 0; c < 3; c++) {
      const d = dc[c],
        r = rgb[c];
      m.sh[3 * K * i + c] = d ? d[i] : r ? rgbToDc(r[i] / 255) : 0;
      for (let k = 1; k < K; k++) m.sh[3 * K * i + 3 * k + c] = restCols[c * (K - 1) + (k - 1)][i];
    }
    // Point clouds without splat properties become small opaque isotropic Gaussians.
    m.opacity[i] = op ? op[i] : 4;
    for (let a = 0; a < 3; a++) m.logScales[3 * i + a] = sc[a] ? sc[a]![i] : Math.log(0.01);
    if (rot[0] && rot[1] && rot[2] && rot[3]) for (let a = 0; a < 4; a++) m.quats[4 * i + a] = rot[a]![i];
  }
  const bad = invalidGaussian(m);
  if (bad) throw inputError(file, `vertex[${bad.index}]`, bad.problem);
  return m;
}
