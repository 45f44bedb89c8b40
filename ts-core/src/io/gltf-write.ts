/**
 * The neutral scene to glTF 2.0 through glTF-Transform, for .glb or .gltf (+ .bin and images beside it).
 * Writes are atomic: every file is staged and renamed into place together.
 */
import { Logger } from '@gltf-transform/core';
import { prune } from '@gltf-transform/functions';
import { basename, dirname, extname, join } from 'node:path';
import type { Scene } from '../scene/types.js';
import { writeFilesAtomic } from './atomic-write.js';
import { sceneToDocument } from './gltf-document.js';
import { gltfIO } from './gltf-io.js';

export { sceneToDocument };

/** Encode the scene as GLB bytes (no file written). */
export interface GlbOptions {
  /**
   * Drop what no scene references: meshes, materials, textures, accessors (glTF-Transform's prune). Nodes, vertex
   * attributes, single-colour textures and extras are kept: an empty node may be an engine's locator, and UV1
   * belongs to the lightmap. Default false.
   */
  prune?: boolean;
}

export async function sceneToGlb(scene: Scene, opts: GlbOptions = {}): Promise<Uint8Array> {
  const doc = sceneToDocument(scene);
  if (opts.prune) {
    // Quiet: prune reports what it removed on the console, which is the CLI's stdout (JSON with --json).
    doc.setLogger(new Logger(Logger.Verbosity.WARN));
    await doc.transform(prune({ keepLeaves: true, keepAttributes: true, keepSolidTextures: true, keepExtras: true }));
  }
  return (await gltfIO()).writeBinary(doc);
}

/** Write `.glb`, or `.gltf` with its `.bin` and images beside it, atomically. */
export async function exportGltf(scene: Scene, path: string): Promise<void> {
  const io = await gltfIO();
  const doc = sceneToDocument(scene);
  if (extname(path).toLowerCase() === '.gltf') {
    const stem = basename(path, extname(path));
    doc.getRoot().listBuffers()[0]?.setURI(`${stem}.bin`);
    doc
      .getRoot()
      .listTextures()
      .forEach((t, i) => {
        const e = t.getMimeType() === 'image/jpeg' ? 'jpg' : t.getMimeType().split('/')[1] || 'bin';
        t.setURI(`${stem}_${i}.${e}`);
      });
    const { json, resources } = await io.writeJSON(doc);
    await writeFilesAtomic([
      { path, data: JSON.stringify(json, null, 2) },
      ...Object.entries(resources).map(([uri, data]) => ({ path: join(dirname(path), uri), data })),
    ]);
  } else {
    await writeFilesAtomic([{ path, data: await io.writeBinary(doc) }]);
  }
}
