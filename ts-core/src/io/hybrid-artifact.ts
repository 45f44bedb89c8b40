/**
 * A hybrid output as one verification artifact: the optimized glTF (GLB) and the splats drawn with it (SPZ, PLY
 * or .splat), so that the Trust Engine judges the two composited, as a player sees them, against the full scene,
 * instead of each part against a partial reference. Pure: no Node builtins (verifier nodes decode it).
 *
 * Layout, little-endian: the magic "OTEH", u32 version (1), u32 GLB byte length, u32 splat byte length, then the
 * GLB bytes and the splat bytes, nothing after them.
 */
import { OteError } from '../errors.js';

const MAGIC = 0x4845544f; // "OTEH" read as a little-endian u32
const VERSION = 1;
const HEADER = 16;

export interface HybridArtifact {
  /** The optimized glTF as it ships (scene.glb). */
  glb: Uint8Array;
  /** The splats as they ship (splats.spz). */
  splats: Uint8Array;
}

export function encodeHybridArtifact(a: HybridArtifact): Uint8Array {
  const out = new Uint8Array(HEADER + a.glb.length + a.splats.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, a.glb.length, true);
  dv.setUint32(12, a.splats.length, true);
  out.set(a.glb, HEADER);
  out.set(a.splats, HEADER + a.glb.length);
  return out;
}

/** True when `b` starts like a hybrid artifact. */
export function isHybridArtifact(b: Uint8Array): boolean {
  return b.length >= 4 && new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true) === MAGIC;
}

/** The two parts (views into `b`); a clear error naming `file` and the field when the bytes are not one. */
export function decodeHybridArtifact(b: Uint8Array, file = 'hybrid artifact'): HybridArtifact {
  const fail = (field: string, why: string): never => {
    throw new OteError('BAD_INPUT', `decodeHybridArtifact: ${why}`, { file, path: field });
  };
  if (b.length < HEADER) fail('header', `${b.length} bytes, a hybrid artifact's header alone is ${HEADER}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) fail('magic', 'not "OTEH": not a hybrid artifact');
  const version = dv.getUint32(4, true);
  if (version !== VERSION) fail('version', `${version} (this build reads ${VERSION})`);
  const glbLength = dv.getUint32(8, true),
    splatLength = dv.getUint32(12, true);
  if (HEADER + glbLength + splatLength !== b.length)
    fail(
      'lengths',
      `GLB ${glbLength} + splats ${splatLength} bytes after the header, but the blob has ${b.length - HEADER}`,
    );
  if (splatLength === 0) fail('splats', 'empty: a hybrid artifact carries splats');
  return {
    glb: b.subarray(HEADER, HEADER + glbLength),
    splats: b.subarray(HEADER + glbLength),
  };
}
