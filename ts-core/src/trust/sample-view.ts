/**
 * The camera a seeded sample describes, the same on every node: a turn and zoom of one of the scene's planned views
 * (`turnedView`), narrowed to the sample's crop (`cropView`). Pure.
 */
import type { SampleSpec } from './sampling.js';
import { lookAt, type View } from '../scene/view.js';

/**
 * A sample around planned views (render/views.ts: the scene's cameras, or where a viewer would stand): the sample's
 * azimuth picks the anchor, which it turns (yaw up to ±0.2 rad, pitch up to ±0.12 rad) and zooms (field of view ×
 * distance). Anchors are where the content is; crops past their edges would mostly compare empty space, and an
 * interior (a room, the Cornell box) must not be judged from outside, where baked lighting is undefined.
 */
export function turnedView(anchors: readonly View[], s: SampleSpec, size = 96): View {
  const turns = s.azimuth / (2 * Math.PI);
  const anchor = anchors[Math.min(anchors.length - 1, Math.floor((turns - Math.floor(turns)) * anchors.length))];
  const M = anchor.cameraToWorld;
  const yaw = 0.2 * Math.sin(s.azimuth * anchors.length),
    pitch = 0.12 * Math.cos(s.azimuth * anchors.length) * Math.min(1, Math.abs(s.elevation) + 0.2);
  // Direction in camera space, then to world (columns of M are the camera axes).
  const d = [Math.sin(yaw) * Math.cos(pitch), Math.sin(pitch), -Math.cos(yaw) * Math.cos(pitch)];
  const dir = [0, 1, 2].map((a) => M[a] * d[0] + M[4 + a] * d[1] + M[8 + a] * d[2]);
  const eye: [number, number, number] = [M[12], M[13], M[14]];
  return {
    cameraToWorld: lookAt(eye, [eye[0] + dir[0], eye[1] + dir[1], eye[2] + dir[2]], [M[4], M[5], M[6]]),
    yfov: Math.min(2.5, anchor.yfov * s.distance),
    width: size,
    height: size,
    znear: anchor.znear,
    zfar: anchor.zfar,
  };
}

/**
 * The sample's crop as a camera of its own: aimed through the crop's centre with the crop's field of view, at
 * `pixels` × `pixels`. Renderers then spend their rays only on the crop (the reference renderer has no off-axis
 * projection, so a crop cannot be cut out of a cheaper full frame). Every renderer of a job gets this same camera.
 */
export function cropView(view: View, crop: SampleSpec['crop'], pixels: number): View {
  const M = view.cameraToWorld;
  const tanY = Math.tan(view.yfov / 2),
    aspect = view.width / view.height;
  const cx = (2 * (crop.x + crop.w / 2) - 1) * tanY * aspect,
    cy = (1 - 2 * (crop.y + crop.h / 2)) * tanY;
  const len = Math.hypot(cx, cy, 1);
  const dir = [0, 1, 2].map((a) => (M[a] * cx + M[4 + a] * cy - M[8 + a]) / len);
  const eye: [number, number, number] = [M[12], M[13], M[14]];
  const up: [number, number, number] = [M[4], M[5], M[6]];
  // The crop's half-height on the image plane, seen from the centre ray's distance to that plane.
  const yfov = 2 * Math.atan((crop.h * tanY) / len);
  return {
    cameraToWorld: lookAt(eye, [eye[0] + dir[0], eye[1] + dir[1], eye[2] + dir[2]], up),
    yfov,
    width: pixels,
    height: pixels,
    znear: view.znear,
    zfar: view.zfar,
  };
}

/** The most a candidate is drawn finer than its crop's render size (its cost grows with the square). */
export const MAX_VIEW_SCALE = 4;

/**
 * How many times finer than `view` a splat or hybrid candidate is drawn so that its pixels are as fine as
 * `viewPixel` (radians) and no finer: the largest power of two up to MAX_VIEW_SCALE whose pixel is not below it.
 * 1 without a viewing pixel, or where the view is already that fine. Every node computes the same.
 */
export function viewScale(view: View, viewPixel: number | undefined): number {
  if (!(viewPixel !== undefined && viewPixel > 0)) return 1;
  const pixel = view.yfov / view.height;
  let k = 1;
  while (k < MAX_VIEW_SCALE && pixel / (2 * k) >= viewPixel * (1 - 1e-9)) k *= 2;
  return k;
}
