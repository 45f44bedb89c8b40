/**
 * A scene and the JSON that says what to do with it, as one blob a task downloads (nothing assumes a shared disk):
 * [magic u32, JSON length u32] + JSON, padded to 4 bytes + the scene as GLB. The GLB starts 4-byte aligned: its
 * reader views its chunks as 32-bit words.
 */
import { OteError } from '../errors.js';
import { documentToScene } from '../io/gltf-document-read.js';
import { gltfIO } from '../io/gltf-io.js';
import { sceneToGlb } from '../io/gltf-write.js';
import type { Scene } from '../scene/types.js';

export async function encodeScenePackage(magic: number, head: unknown, scene: Scene): Promise<Uint8Array> {
  const json = new TextEncoder().encode(JSON.stringify(head));
  const glb = await sceneToGlb(scene);
  const at = (json.length + 3) & ~3;
  const out = new Uint8Array(8 + at + glb.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, magic, true);
  dv.setUint32(4, json.length, true);
  out.set(json, 8);
  out.set(glb, 8 + at);
  return out;
}

/** The JSON and the scene of a package; `what` names it in errors ("bake package"). */
export async function decodeScenePackage<T>(
  magic: number,
  bytes: Uint8Array,
  what: string,
): Promise<{ head: T; scene: Scene }> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || dv.getUint32(0, true) !== magic)
    throw new OteError('BAD_INPUT', `${what}: not a ${what} (bad magic)`);
  const n = dv.getUint32(4, true);
  if (8 + n > bytes.byteLength) throw new OteError('BAD_INPUT', `${what}: its JSON runs past its end`);
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as T;
  // A copy: aligned and owning its memory whatever `bytes` is (a view into a Buffer pool may start anywhere).
  const doc = await (await gltfIO()).readBinary(new Uint8Array(bytes.subarray(8 + ((n + 3) & ~3))));
  const { scene } = await documentToScene(doc, what);
  return { head, scene };
}
