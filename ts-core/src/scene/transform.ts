/** Node transforms: local TRS to column-major matrices, and world matrices down the hierarchy. */
import { mat4 } from 'gl-matrix';
import type { InstanceTRS, Scene, SceneNode } from './types.js';

export function localMatrix(node: SceneNode): Float32Array {
  const m = new Float32Array(16);
  mat4.fromRotationTranslationScale(m, node.rotation, node.translation, node.scale);
  return m;
}

/** World matrix of every node (16 floats each), parents before children. */
export function worldMatrices(scene: Scene): Float32Array[] {
  const world: Float32Array[] = new Array(scene.nodes.length);
  const visit = (index: number, parent: Float32Array | null) => {
    const local = localMatrix(scene.nodes[index]);
    const w = parent ? (mat4.multiply(new Float32Array(16), parent, local) as Float32Array) : local;
    world[index] = w;
    for (const c of scene.nodes[index].children) visit(c, w);
  };
  for (const r of scene.roots) visit(r, null);
  // Nodes unreachable from the roots (a broken hierarchy) still get a transform rather than undefined.
  for (let i = 0; i < world.length; i++) if (!world[i]) world[i] = localMatrix(scene.nodes[i]);
  return world;
}

export function multiply(a: Float32Array, b: Float32Array): Float32Array {
  return mat4.multiply(new Float32Array(16), a, b) as Float32Array;
}

export function transformPoint(m: ArrayLike<number>, x: number, y: number, z: number): [number, number, number] {
  return [
    m[0] * x + m[4] * y + m[8] * z + m[12],
    m[1] * x + m[5] * y + m[9] * z + m[13],
    m[2] * x + m[6] * y + m[10] * z + m[14],
  ];
}

/** Local matrix of copy c of an EXT_mesh_gpu_instancing node. */
export function instanceMatrix(inst: InstanceTRS, c: number): Float32Array {
  const m = new Float32Array(16);
  const t = inst.translation,
    r = inst.rotation,
    s = inst.scale;
  mat4.fromRotationTranslationScale(
    m,
    [r[4 * c], r[4 * c + 1], r[4 * c + 2], r[4 * c + 3]],
    [t[3 * c], t[3 * c + 1], t[3 * c + 2]],
    [s[3 * c], s[3 * c + 1], s[3 * c + 2]],
  );
  return m;
}

/**
 * glTF stores TRS as float32, and glTF-Transform writes a TRS within 1e-5 of identity as absent. Hashes and the
 * importer apply both rules, so a scene built in memory with float64 TRS hashes the same after a file round trip.
 */
export function canonicalTRS(v: ArrayLike<number>, identity: number[]): number[] {
  const out = Array.from(v, (x) => Math.fround(x));
  return out.every((x, i) => Math.abs(x - identity[i]) <= 1e-5) ? identity.slice() : out;
}
