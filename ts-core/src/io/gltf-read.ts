/**
 * glTF 2.0 (.gltf/.glb) files to the neutral scene: read (gltf-container.ts), validated by the Khronos validator,
 * decoded by glTF-Transform, and converted by gltf-document-read.ts.
 */
import type { Document } from '@gltf-transform/core';
import { inputError, isOteError } from '../errors.js';
import { documentToScene, type ImportResult } from './gltf-document-read.js';
import { readGltfFile, type ContainerOptions } from './gltf-container.js';
import { gltfIO } from './gltf-io.js';
import { validateGltf } from './gltf-validate.js';

export type { ImportResult };

export interface ImportOptions extends ContainerOptions {}

export async function importGltf(path: string, options: ImportOptions = {}): Promise<ImportResult> {
  const { doc: jsonDoc, bytes, format } = await readGltfFile(path, options);
  const validation = await validateGltf(path, bytes, format, jsonDoc.resources);
  const io = await gltfIO();
  if (!validation.error) {
    let doc: Document;
    try {
      doc = await io.readJSON(jsonDoc);
    } catch (e) {
      throw inputError(path, undefined, `glTF decode failed: ${(e as Error).message}`);
    }
    const result = await documentToScene(doc, path);
    result.warnings.unshift(...validation.warnings);
    return result;
  }
  // The file is invalid. Where this project's own checks in the conversion catch the problem (an index past the
  // vertex count, a NaN position) their error says it in this project's terms; otherwise the validator's does,
  // rather than whatever glTF-Transform or the conversion stumbles on first.
  try {
    await documentToScene(await io.readJSON(jsonDoc), path);
  } catch (e) {
    if (isOteError(e)) throw e;
  }
  throw validation.error;
}
