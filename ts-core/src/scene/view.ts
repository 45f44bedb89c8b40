/**
 * A camera view to render: where it is, how it looks, and the image size. Renderers, verification sampling and
 * splat training all describe views this way. Cameras look down their local -Z with +Y up (glTF convention).
 */
import { diagonal, center, isEmpty, sceneBounds } from './bounds.js';
import { worldMatrices } from './transform.js';
import type { Scene } from './types.js';
import { cross } from '../util/vec3.js';

export interface View {
  /** Column-major camera-to-world matrix (rotation and translation only). */
  cameraToWorld: Float32Array;
  /** Vertical field of view in radians (perspective). */
  yfov: number;
  width: number;
  height: number;
  znear: number;
  zfar: number;
}

/** Where the camera of `view` is, in world space. */
export function viewEye(view: View): [number, number, number] {
  return [view.cameraToWorld[12], view.cameraToWorld[13], view.cameraToWorld[14]];
}

export function lookAt(
  eye: [number, number, number],
  target: [number, number, number],
  up: [number, number, number] = [0, 1, 0],
): Float32Array {
  let fx = target[0] - eye[0],
    fy = target[1] - eye[1],
    fz = target[2] - eye[2];
  const fl = Math.hypot(fx, fy, fz) || 1;
  fx /= fl;
  fy /= fl;
  fz /= fl;
  // z axis points backwards (camera looks down -Z)
  const z = [-fx, -fy, -fz];
  let x: number[] = cross(up, z);
  let xl = Math.hypot(x[0], x[1], x[2]);
  if (xl < 1e-8) {
    x = [1, 0, 0];
    xl = 1;
  }
  x = x.map((v) => v / xl);
  const y = cross(z, x);
  return Float32Array.from([x[0], x[1], x[2], 0, y[0], y[1], y[2], 0, z[0], z[1], z[2], 0, eye[0], eye[1], eye[2], 1]);
}

/** The view of scene camera `index` (the first camera node that uses it), at the given image width. */
export function viewFromSceneCamera(scene: Scene, index = 0, width = 512): View | undefined {
  const cam = scene.cameras[index];
  const node = scene.nodes.findIndex((n) => n.camera === index);
  if (!cam || node < 0 || cam.type !== 'perspective') return undefined;
  const m = worldMatrices(scene)[node];
  // Strip scale from the node's world matrix: a camera's view must be rigid.
  const cols = [0, 4, 8].map((o) => {
    const l = Math.hypot(m[o], m[o + 1], m[o + 2]) || 1;
    return [m[o] / l, m[o + 1] / l, m[o + 2] / l];
  });
  const cameraToWorld = Float32Array.from([...cols[0], 0, ...cols[1], 0, ...cols[2], 0, m[12], m[13], m[14], 1]);
  const aspect = cam.aspectRatio ?? 1;
  return {
    cameraToWorld,
    yfov: cam.yfov,
    width,
    height: Math.max(1, Math.round(width / aspect)),
    znear: cam.znear,
    zfar: cam.zfar ?? 1e6,
  };
}

/** A view that frames the whole scene from the front-right and above, for scenes without a camera. */
export function framingView(scene: Scene, width = 512, height = 512, yfov = 0.8): View {
  const b = sceneBounds(scene);
  const c = isEmpty(b) ? ([0, 0, 0] as [number, number, number]) : center(b);
  const r = Math.max(1e-3, diagonal(b) / 2);
  const dist = r / Math.sin(yfov / 2);
  const dir = [0.55, 0.45, 0.7],
    l = Math.hypot(...dir);
  const eye: [number, number, number] = [
    c[0] + (dir[0] / l) * dist,
    c[1] + (dir[1] / l) * dist,
    c[2] + (dir[2] / l) * dist,
  ];
  return { cameraToWorld: lookAt(eye, c), yfov, width, height, znear: dist * 1e-3, zfar: dist + 2 * r };
}

/** The scene's first camera if it has one, else a framing view. */
export function defaultView(scene: Scene, width = 512): View {
  return viewFromSceneCamera(scene, 0, width) ?? framingView(scene, width, width);
}
