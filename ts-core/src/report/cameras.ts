/**
 * The report's views as cameras a viewer can jump to (`ote view` starts at the one the report's images show). A
 * planned view is a camera-to-world matrix with a vertical field of view; a viewer with orbit controls also needs a
 * point to orbit, so each camera gets a target on its line of sight, as deep as the scene's centre lies along it.
 * Pure.
 */
import { center, diagonal, isEmpty, type Bounds } from '../scene/bounds.js';
import type { View } from '../scene/view.js';
import type { ReportCamera } from './types.js';

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const vec = (a: number[]) => a.map(round) as [number, number, number];

/** One planned view as report.json stores it; `bounds` (the scene's, world space) places the orbit target. */
export function reportCamera(view: View, bounds: Bounds): ReportCamera {
  const m = view.cameraToWorld;
  const eye = [m[12], m[13], m[14]];
  // Cameras look down their local −Z with +Y up (scene/view.ts).
  const forward = [-m[8], -m[9], -m[10]],
    up = [m[4], m[5], m[6]];
  const size = isEmpty(bounds) ? 1 : Math.max(1e-3, diagonal(bounds));
  const c = isEmpty(bounds) ? eye : center(bounds);
  const along = (c[0] - eye[0]) * forward[0] + (c[1] - eye[1]) * forward[1] + (c[2] - eye[2]) * forward[2];
  // The centre behind or beside the camera (an interior view stepped back to a wall) still gets a target ahead.
  const depth = Math.max(along, 0.25 * size);
  return {
    eye: vec(eye),
    target: vec(eye.map((e, k) => e + forward[k] * depth)),
    up: vec(up),
    yfovDeg: round((view.yfov * 180) / Math.PI),
    aspect: round(view.width / view.height),
    znear: view.znear,
  };
}

/** Every planned view as a camera, in the planned order (the report's `views.used` is 1-based into this list). */
export function reportCameras(views: readonly View[], bounds: Bounds): ReportCamera[] {
  return views.map((v) => reportCamera(v, bounds));
}
