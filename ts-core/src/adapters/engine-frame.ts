/**
 * Engine coordinate frames. glTF (and the neutral scene) is right-handed, +Y up, metres. Unreal is left-handed,
 * +Z up, centimetres; Unity is left-handed, +Y up, metres. Each frame is a signed axis permutation M (engine →
 * glTF) and a unit scale. Under such a map a rotation quaternion (v, w) becomes (det(M)·M·v, w), because a
 * reflection reverses the sense of rotation.
 */
import { quat } from 'gl-matrix';
export interface EngineFrame {
  name: string;
  /** Row-major 3×3 signed permutation: gltf[i] = Σ_j m[i][j] · engine[j]. */
  m: [[number, number, number], [number, number, number], [number, number, number]];
  /** Multiply engine lengths by this to get metres. */
  metersPerUnit: number;
  /** Engine texture V runs bottom-up (OpenGL style) and must be flipped to glTF's top-down V. */
  flipV: boolean;
  /** The axis a light shines along in its own space, in engine axes; a glTF light shines along its node's −Z. */
  lightForward: [number, number, number];
}

/** Epic's glTF exporter convention: glTF = (X, Z, Y) · 0.01. */
export const UNREAL_FRAME: EngineFrame = {
  name: 'unreal',
  m: [
    [1, 0, 0],
    [0, 0, 1],
    [0, 1, 0],
  ],
  metersPerUnit: 0.01,
  flipV: false,
  lightForward: [1, 0, 0],
};
/** UnityGLTF's convention: glTF = (X, Y, −Z); Unity's UV origin is bottom-left. */
export const UNITY_FRAME: EngineFrame = {
  name: 'unity',
  m: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, -1],
  ],
  metersPerUnit: 1,
  flipV: true,
  lightForward: [0, 0, 1],
};

export function det3(m: EngineFrame['m']): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  );
}

export function toGltfVector(f: EngineFrame, v: ArrayLike<number>, scale = 1): [number, number, number] {
  const m = f.m;
  return [0, 1, 2].map((i) => (m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2]) * scale) as [number, number, number];
}

/** Inverse map (M is orthogonal: M⁻¹ = Mᵀ). */
export function fromGltfVector(f: EngineFrame, v: ArrayLike<number>, scale = 1): [number, number, number] {
  const m = f.m;
  return [0, 1, 2].map((j) => (m[0][j] * v[0] + m[1][j] * v[1] + m[2][j] * v[2]) * scale) as [number, number, number];
}

export function toGltfQuaternion(f: EngineFrame, q: ArrayLike<number>): [number, number, number, number] {
  const d = det3(f.m);
  const v = toGltfVector(f, q);
  return [d * v[0], d * v[1], d * v[2], q[3]];
}

export function fromGltfQuaternion(f: EngineFrame, q: ArrayLike<number>): [number, number, number, number] {
  const d = det3(f.m);
  const v = fromGltfVector(f, q);
  return [d * v[0], d * v[1], d * v[2], q[3]];
}

/** Scale factors permute with the axes (signs dropped: a scale is a magnitude per axis). */
export function toGltfScale(f: EngineFrame, s: ArrayLike<number>): [number, number, number] {
  return toGltfVector(f, s).map(Math.abs) as [number, number, number];
}

/**
 * A light's node rotation in glTF: its engine rotation, after the turn that takes glTF's light axis (−Z) onto the
 * engine's (`lightForward`, +X in Unreal; Unity's +Z is glTF's −Z already, so the turn is none there).
 */
export function toGltfLightRotation(f: EngineFrame, q: ArrayLike<number>): [number, number, number, number] {
  const turn = quat.rotationTo(quat.create(), [0, 0, -1], toGltfVector(f, f.lightForward));
  const r = quat.multiply(quat.create(), toGltfQuaternion(f, q), turn);
  return [r[0], r[1], r[2], r[3]];
}
