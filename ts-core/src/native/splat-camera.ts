/**
 * The rasterizer's camera (what native/splat.ts passes to splat.h), from a scene View. Views look down -Z with +Y
 * up (glTF); the rasterizer works in a camera space with x right, y down, z forward and pixel centres at
 * (x + 0.5, y + 0.5), so the y and z rows flip.
 */
import type { View } from '../scene/view.js';

export interface SplatCamera {
  /** Row-major world-to-camera rotation (9 floats) then translation (3). */
  viewmat: Float32Array;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
  znear: number;
  zfar: number;
  /** Camera centre in world space. */
  campos: Float32Array;
}

export function splatCamera(view: View): SplatCamera {
  const m = view.cameraToWorld;
  const rows = [
    [m[0], m[1], m[2]],
    [-m[4], -m[5], -m[6]],
    [-m[8], -m[9], -m[10]],
  ];
  const eye = [m[12], m[13], m[14]];
  const viewmat = new Float32Array(12);
  for (let r = 0; r < 3; r++) {
    viewmat.set(rows[r], 3 * r);
    viewmat[9 + r] = -(rows[r][0] * eye[0] + rows[r][1] * eye[1] + rows[r][2] * eye[2]);
  }
  const fy = (0.5 * view.height) / Math.tan(view.yfov / 2);
  return {
    viewmat,
    fx: fy,
    fy,
    cx: view.width / 2,
    cy: view.height / 2,
    width: view.width,
    height: view.height,
    znear: view.znear,
    zfar: view.zfar,
    campos: Float32Array.from(eye),
  };
}
