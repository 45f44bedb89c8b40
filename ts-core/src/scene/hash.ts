/**
 * Stable SHA-256 content hashes of the scene, each mesh, each material and each texture.
 * They are computed from the neutral model's values alone (never from file layout), so a glTF that is imported,
 * exported and imported again hashes the same, and results can be reused by content.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalTRS } from './transform.js';
import type { Material, Mesh, Primitive, Scene, Texture } from './types.js';

type Hasher = ReturnType<typeof sha256.create>;

function updateString(h: Hasher, s: string) {
  const b = utf8ToBytes(s);
  updateU32(h, b.length);
  h.update(b);
}

function updateU32(h: Hasher, n: number) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  h.update(b);
}

/** Typed array bytes in little-endian order (all supported hosts are little-endian), length-prefixed. */
function updateArray(h: Hasher, tag: string, a: ArrayBufferView | undefined) {
  updateString(h, tag);
  if (!a) {
    updateU32(h, 0xffffffff);
    return;
  }
  updateU32(h, a.byteLength);
  h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** JSON with sorted keys and no undefined values: the canonical text of plain data. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

function primitiveInto(h: Hasher, p: Primitive) {
  updateArray(h, 'positions', p.positions);
  updateArray(h, 'normals', p.normals);
  updateArray(h, 'tangents', p.tangents);
  updateArray(h, 'uv0', p.uv0);
  updateArray(h, 'uv1', p.uv1);
  updateArray(h, 'colors', p.colors);
  updateArray(h, 'indices', p.indices);
  updateString(h, `material:${p.material}`);
}

export function hashMesh(mesh: Mesh): string {
  const h = sha256.create();
  updateString(h, `mesh:${mesh.name}`);
  for (const p of mesh.primitives) primitiveInto(h, p);
  return bytesToHex(h.digest());
}

export function hashMaterial(material: Material): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(material))));
}

export function hashTexture(texture: Texture): string {
  const h = sha256.create();
  updateString(h, `${texture.name}|${texture.mimeType}|${texture.width}x${texture.height}`);
  h.update(texture.image);
  return bytesToHex(h.digest());
}

export interface SceneHashes {
  scene: string;
  meshes: string[];
  materials: string[];
  textures: string[];
}

export function hashScene(scene: Scene): SceneHashes {
  const meshes = scene.meshes.map(hashMesh);
  const materials = scene.materials.map(hashMaterial);
  const textures = scene.textures.map(hashTexture);
  const h = sha256.create();
  updateString(h, 'ote-scene-v1');
  updateString(
    h,
    canonicalJson({
      nodes: scene.nodes.map((n) => ({
        ...n,
        translation: canonicalTRS(n.translation, [0, 0, 0]),
        rotation: canonicalTRS(n.rotation, [0, 0, 0, 1]),
        scale: canonicalTRS(n.scale, [1, 1, 1]),
        instances: undefined,
        instanced: n.instances ? true : undefined,
      })),
      roots: scene.roots,
      lights: scene.lights,
      cameras: scene.cameras,
      meshes,
      materials,
      textures,
    }),
  );
  for (const n of scene.nodes) {
    if (!n.instances) continue;
    updateArray(h, 'instance.t', n.instances.translation);
    updateArray(h, 'instance.r', n.instances.rotation);
    updateArray(h, 'instance.s', n.instances.scale);
  }
  return { scene: bytesToHex(h.digest()), meshes, materials, textures };
}
