/** How many bytes a glTF scene brings: for the report's size of the input against the output. */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * The bytes of `file` (its own `bytes`, already read) and, for a .gltf, of the files its buffers and images
 * reference by relative URI (data: URIs are inside the JSON; absolute URLs are not files). A reference that cannot
 * be read counts 0: the import has already judged the file.
 */
export async function gltfSceneBytes(file: string, bytes: Uint8Array): Promise<number> {
  // A .glb, or anything else that is not JSON, is its own bytes.
  if (!/^\s*\{/.test(new TextDecoder().decode(bytes.subarray(0, 64)))) return bytes.length;
  let json: { buffers?: { uri?: unknown }[]; images?: { uri?: unknown }[] };
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return bytes.length;
  }
  const uris = new Set<string>();
  for (const r of [
    ...(Array.isArray(json.buffers) ? json.buffers : []),
    ...(Array.isArray(json.images) ? json.images : []),
  ])
    if (typeof r?.uri === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(r.uri)) uris.add(r.uri);
  let total = bytes.length;
  for (const uri of uris) {
    let path: string;
    try {
      path = resolve(dirname(file), decodeURIComponent(uri));
    } catch {
      continue;
    }
    total += await stat(path).then(
      (s) => s.size,
      () => 0,
    );
  }
  return total;
}
