/**
 * Reads a .glb or .gltf and its external resources into glTF-Transform's JSONDocument, checking the container
 * before glTF-Transform sees it, so that malformed files get an error naming the file and the glTF path
 * instead of a stack trace or a silently wrong mesh: truncated or foreign GLBs, broken JSON, missing buffers
 * and images, accessors or buffer views that reach past their data, and scenes over the memory budget (and, in
 * gltf-structure.ts, dangling indices, malformed node transforms and cyclic hierarchies).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { JSONDocument, GLTF } from '@gltf-transform/core';
import { OteError, inputError } from '../errors.js';
import { checkIndex } from '../util/check-values.js';
import { checkGltfStructure } from './gltf-structure.js';

const GLB_MAGIC = 0x46546c67; // 'glTF'
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;
export const GLB_BUFFER_KEY = '@glb.bin';

/** True when the bytes start with the GLB magic 'glTF' (a .gltf is JSON that names its buffers by URI). */
export function isGlbBytes(bytes: Uint8Array): boolean {
  return (
    bytes.byteLength >= 4 &&
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) === GLB_MAGIC
  );
}

const COMPONENT_BYTES: Record<number, number> = { 5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4 };
const TYPE_COMPONENTS: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4, MAT2: 4, MAT3: 9, MAT4: 16 };

export interface ContainerOptions {
  /** Bytes the decoded scene may take; over it the import fails with TOO_BIG before allocating. */
  memoryBudgetBytes?: number;
}

function parseGlb(file: string, bytes: Uint8Array<ArrayBuffer>): { json: GLTF.IGLTF; bin?: Uint8Array<ArrayBuffer> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12)
    throw inputError(
      file,
      'header',
      `file is ${bytes.byteLength} bytes, shorter than the 12-byte GLB header (truncated?)`,
    );
  const magic = view.getUint32(0, true);
  if (magic !== GLB_MAGIC)
    throw inputError(
      file,
      'header',
      `wrong magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x46546c67 ('glTF'): not a GLB file`,
    );
  const version = view.getUint32(4, true);
  if (version !== 2) throw inputError(file, 'header.version', `GLB version ${version} is not supported (expected 2)`);
  const declared = view.getUint32(8, true);
  if (declared > bytes.byteLength)
    throw inputError(
      file,
      'header.length',
      `declares ${declared} bytes but the file has ${bytes.byteLength}: truncated`,
    );
  let offset = 12,
    json: GLTF.IGLTF | undefined,
    bin: Uint8Array<ArrayBuffer> | undefined,
    index = 0;
  while (offset < declared) {
    if (offset + 8 > declared) throw inputError(file, `chunks[${index}]`, 'chunk header is cut off: truncated');
    const length = view.getUint32(offset, true);
    const type = view.getUint32(offset + 4, true);
    const start = offset + 8;
    if (start + length > declared)
      throw inputError(file, `chunks[${index}]`, `chunk of ${length} bytes runs past the end of the file: truncated`);
    const data = bytes.subarray(start, start + length);
    if (index === 0 && type !== CHUNK_JSON) throw inputError(file, 'chunks[0]', 'the first chunk is not JSON');
    if (type === CHUNK_JSON) json = parseJson(file, new TextDecoder().decode(data));
    else if (type === CHUNK_BIN && !bin) bin = data;
    offset = start + ((length + 3) & ~3);
    index++;
  }
  if (!json) throw inputError(file, 'chunks', 'no JSON chunk');
  return { json, bin };
}

function parseJson(file: string, text: string): GLTF.IGLTF {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String((e as Error).message));
    let where = '';
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      where = ` at line ${before.split('\n').length}, column ${pos - before.lastIndexOf('\n')}`;
    }
    // V8 quotes the text around the error, control characters and all: escaped, the error stays one line.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes, for a one-line message
    const reason = (e as Error).message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
    throw inputError(file, 'json', `broken JSON${where}: ${reason}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw inputError(file, 'json', 'the top level is not an object');
  const asset = (json as GLTF.IGLTF).asset;
  if (!asset || typeof asset.version !== 'string')
    throw inputError(file, 'asset.version', 'missing (required by glTF 2.0)');
  if (!asset.version.startsWith('2.')) throw inputError(file, 'asset.version', `"${asset.version}" is not glTF 2.x`);
  return json as GLTF.IGLTF;
}

/** Which mesh attribute or index list reads each accessor, so errors can name `meshes[3].primitives[0].indices`. */
function accessorUsers(json: GLTF.IGLTF): Map<number, string> {
  const users = new Map<number, string>();
  json.meshes?.forEach((mesh, m) =>
    mesh.primitives?.forEach((p, i) => {
      const base = `meshes[${m}].primitives[${i}]`;
      if (p.indices !== undefined) users.set(p.indices, `${base}.indices`);
      for (const [k, a] of Object.entries(p.attributes ?? {}))
        if (!users.has(a)) users.set(a, `${base}.attributes.${k}`);
    }),
  );
  return users;
}

function dataUri(file: string, path: string, uri: string): Uint8Array<ArrayBuffer> {
  const comma = uri.indexOf(',');
  if (comma < 0 || !uri.slice(0, comma).endsWith(';base64')) throw inputError(file, path, 'data URI is not base64');
  return new Uint8Array(Buffer.from(uri.slice(comma + 1), 'base64'));
}

async function readExternal(file: string, path: string, uri: string): Promise<Uint8Array<ArrayBuffer>> {
  if (uri.startsWith('data:')) return dataUri(file, path, uri);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri))
    throw inputError(file, path, `"${uri}" is a remote URL; only local files are read`);
  const target = resolve(dirname(file), decodeURIComponent(uri));
  try {
    return new Uint8Array(await readFile(target));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError(
      file,
      path,
      code === 'ENOENT'
        ? `missing file "${uri}" (looked for ${target})`
        : `cannot read "${uri}": ${(e as Error).message}`,
    );
  }
}

interface MeshoptExt {
  buffer: number;
  byteOffset?: number;
  byteLength: number;
  fallback?: boolean;
}

/**
 * The EXT_/KHR_meshopt_compression extension of a buffer or buffer view, with its path, where the file declares it
 * used (otherwise readers ignore it). Its fields' types are checked by gltf-shape.ts.
 */
function meshopt(json: GLTF.IGLTF, p: GLTF.IBuffer | GLTF.IBufferView, at: string): [string, MeshoptExt] | undefined {
  const e = p.extensions as Record<string, MeshoptExt> | undefined;
  for (const k of ['EXT_meshopt_compression', 'KHR_meshopt_compression'])
    if (e?.[k] && json.extensionsUsed?.includes(k)) return [`${at}.extensions.${k}`, e[k]];
  return undefined;
}

/** Decoded size in bytes if every accessor became float data: a cheap upper bound on what the import allocates. */
function decodedBytes(json: GLTF.IGLTF): number {
  let n = 0;
  for (const a of json.accessors ?? []) n += (a.count ?? 0) * (TYPE_COMPONENTS[a.type] ?? 16) * 4;
  return n;
}

/** The checked document, and the file's bytes and format for the validator (gltf-validate.ts). */
export interface GltfFile {
  doc: JSONDocument;
  bytes: Uint8Array;
  format: 'glb' | 'gltf';
}

export async function readGltfContainer(path: string, options: ContainerOptions = {}): Promise<JSONDocument> {
  return (await readGltfFile(path, options)).doc;
}

export async function readGltfFile(path: string, options: ContainerOptions = {}): Promise<GltfFile> {
  const file = path;
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw inputError(
      file,
      undefined,
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message,
    );
  }
  const budget = options.memoryBudgetBytes ?? Number.POSITIVE_INFINITY;
  if (size > budget)
    throw new OteError('TOO_BIG', `file is ${fmtBytes(size)}, over the memory budget of ${fmtBytes(budget)}`, { file });
  const bytes = new Uint8Array(await readFile(file));
  const isGlb = isGlbBytes(bytes);
  const isJsonLike = /^\s*[{[]/.test(new TextDecoder().decode(bytes.subarray(0, 64)));
  if (!isGlb && (file.toLowerCase().endsWith('.glb') || !isJsonLike)) parseGlb(file, bytes); // throws the precise header error
  const { json, bin } = isGlb
    ? parseGlb(file, bytes)
    : { json: parseJson(file, new TextDecoder().decode(bytes)), bin: undefined };
  checkGltfStructure(file, json);

  // Sizes are checked from the declarations before any external file is read or any array allocated.
  const declared = (json.buffers ?? []).reduce((s, b) => s + (b.byteLength ?? 0), 0);
  const need = declared + decodedBytes(json);
  if (need > budget)
    throw new OteError(
      'TOO_BIG',
      `scene needs about ${fmtBytes(need)} (buffers ${fmtBytes(declared)} + decoded accessors), over the memory budget of ${fmtBytes(budget)}`,
      { file },
    );

  const resources: Record<string, Uint8Array<ArrayBuffer>> = {};
  const bufferLengths: number[] = [];
  const buffers = json.buffers ?? [];
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i];
    const p = `buffers[${i}]`;
    // A meshopt fallback buffer need not exist: the views that use it decode from another buffer, and have no bytes
    // of their own in it (a view without the extension that points at it reads past its end, 0 bytes).
    const fallback = !!meshopt(json, b, p)?.[1].fallback;
    if (b.uri === undefined) {
      if (fallback) {
        bufferLengths.push(0);
        continue;
      }
      if (i !== 0 || !isGlb) throw inputError(file, `${p}.uri`, 'missing (only the first buffer of a GLB may omit it)');
      if (!bin) throw inputError(file, p, 'refers to the GLB binary chunk, but the file has none (truncated?)');
      if (bin.byteLength < b.byteLength)
        throw inputError(
          file,
          `${p}.byteLength`,
          `declares ${b.byteLength} bytes but the binary chunk has ${bin.byteLength}`,
        );
      resources[GLB_BUFFER_KEY] = bin;
      bufferLengths.push(bin.byteLength);
      continue;
    }
    if (fallback) {
      bufferLengths.push(0);
      continue;
    }
    const data = await readExternal(file, `${p}.uri`, b.uri);
    if (data.byteLength < b.byteLength)
      throw inputError(
        file,
        `${p}.byteLength`,
        `declares ${b.byteLength} bytes but "${b.uri.slice(0, 60)}" has ${data.byteLength}`,
      );
    resources[b.uri] = data;
    bufferLengths.push(data.byteLength);
  }

  const views = json.bufferViews ?? [];
  views.forEach((bv, i) => {
    const p = `bufferViews[${i}]`;
    checkIndex(file, `${p}.buffer`, bv.buffer, buffers.length, 'buffers');
    const mo = meshopt(json, bv, p);
    if (mo) {
      // The compressed bytes are in the extension's buffer (an index checked by gltf-structure.ts); the view's own
      // range is the decoded data.
      const [at, { buffer, byteOffset = 0, byteLength }] = mo;
      if (byteOffset + byteLength > bufferLengths[buffer])
        throw inputError(
          file,
          at,
          `byte range ${byteOffset}..${byteOffset + byteLength} is past the end of buffers[${buffer}] (${bufferLengths[buffer]} bytes)`,
        );
      return;
    }
    const end = (bv.byteOffset ?? 0) + bv.byteLength;
    if (end > bufferLengths[bv.buffer])
      throw inputError(
        file,
        p,
        `byte range ${bv.byteOffset ?? 0}..${end} is past the end of buffers[${bv.buffer}] (${bufferLengths[bv.buffer]} bytes)`,
      );
  });

  const users = accessorUsers(json);
  (json.accessors ?? []).forEach((a, i) => {
    const p = users.get(i) ? `${users.get(i)} (accessors[${i}])` : `accessors[${i}]`;
    const comp = COMPONENT_BYTES[a.componentType];
    const n = TYPE_COMPONENTS[a.type];
    if (!comp) throw inputError(file, p, `componentType ${a.componentType} is not a glTF component type`);
    if (!n) throw inputError(file, p, `type "${a.type}" is not a glTF accessor type`);
    if (!Number.isInteger(a.count) || a.count < 0)
      throw inputError(file, p, `count ${a.count} is not a non-negative integer`);
    if (a.bufferView === undefined) return; // zeros or sparse-only: nothing to range-check
    checkIndex(file, `${p}.bufferView`, a.bufferView, views.length, 'bufferViews');
    const bv = views[a.bufferView];
    const element = comp * n;
    const stride = bv.byteStride ?? element;
    const end = (a.byteOffset ?? 0) + (a.count > 0 ? (a.count - 1) * stride + element : 0);
    if (end > bv.byteLength)
      throw inputError(
        file,
        p,
        `reads ${a.count} elements up to byte ${end}, past the end of bufferViews[${a.bufferView}] (${bv.byteLength} bytes)`,
      );
  });

  const images = json.images ?? [];
  for (let i = 0; i < images.length; i++) {
    const img = images[i];
    if (img.uri !== undefined) resources[img.uri] = await readExternal(file, `images[${i}].uri`, img.uri);
    else if (img.bufferView !== undefined)
      checkIndex(file, `images[${i}].bufferView`, img.bufferView, views.length, 'bufferViews');
  }
  return { doc: { json, resources }, bytes, format: isGlb ? 'glb' : 'gltf' };
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
