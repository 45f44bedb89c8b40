/** Job blobs as the evaluator reads them: a GLB parsed into the neutral scene, and a small cache by content hash. */
import { sha256Hex } from './bytes.js';
import type { Scene } from '../scene/types.js';

/** Parses a GLB blob into the neutral scene (io/ is loaded lazily: it pulls in Node builtins). */
export async function sceneFromGlb(bytes: Uint8Array): Promise<Scene> {
  const { gltfIO } = await import('../io/gltf-io.js');
  const { documentToScene } = await import('../io/gltf-document-read.js');
  const doc = await (await gltfIO()).readBinary(bytes);
  return (await documentToScene(doc, `blob ${sha256Hex(bytes).slice(0, 12)}`)).scene;
}

/** A small per-evaluator cache of parsed blobs by content hash (jobs reuse the same reference scene). */
export class SceneCache<T> {
  private m = new Map<string, Promise<T>>();
  constructor(
    private make: (bytes: Uint8Array) => Promise<T>,
    private max = 8,
  ) {}
  get(bytes: Uint8Array): Promise<T> {
    const key = sha256Hex(bytes);
    let p = this.m.get(key);
    if (!p) {
      if (this.m.size >= this.max) this.m.clear();
      p = this.make(bytes);
      this.m.set(key, p);
      p.catch(() => this.m.delete(key));
    }
    return p;
  }
}
