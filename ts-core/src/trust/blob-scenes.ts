/** Job blobs as the evaluator reads them: a GLB parsed into the neutral scene, and a small cache by content hash. */
import { blobHashHex } from './crypto.js';
import type { Scene } from '../scene/types.js';

/**
 * Parses a GLB blob into the neutral scene (io/ is loaded lazily: it pulls in Node builtins); `hash`, its SHA-256
 * where the caller has it, names the blob in errors.
 */
export async function sceneFromGlb(bytes: Uint8Array, hash = blobHashHex(bytes)): Promise<Scene> {
  const { gltfIO } = await import('../io/gltf-io.js');
  const { documentToScene } = await import('../io/gltf-document-read.js');
  const doc = await (await gltfIO()).readBinary(bytes);
  return (await documentToScene(doc, `blob ${hash.slice(0, 12)}`)).scene;
}

/**
 * A small per-evaluator cache of parsed blobs by content hash (jobs reuse the same reference scene). Every sample of
 * a job asks with the same bytes object (the node's fetched blob), so each object's hash is remembered: hashing a
 * scene blob at every sample cost more than rendering the sample's crop.
 */
export class SceneCache<T> {
  private m = new Map<string, Promise<T>>();
  private keys = new WeakMap<Uint8Array, string>();
  constructor(
    /** Builds the value of a blob not cached; `hash` is its SHA-256, already computed for the key. */
    private make: (bytes: Uint8Array, hash: string) => Promise<T>,
    private max = 8,
  ) {}
  get(bytes: Uint8Array): Promise<T> {
    let key = this.keys.get(bytes);
    if (key === undefined) {
      key = blobHashHex(bytes);
      this.keys.set(bytes, key);
    }
    let p = this.m.get(key);
    if (!p) {
      if (this.m.size >= this.max) this.m.clear();
      p = this.make(bytes, key);
      this.m.set(key, p);
      const k = key;
      p.catch(() => this.m.delete(k));
    }
    return p;
  }
}
