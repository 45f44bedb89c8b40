/**
 * How much of the screen an object covers at the reference views: the projected bounding sphere's area as a
 * fraction of the image. Conservative (spheres overestimate thin objects), cheap, and independent of the renderer.
 */
import type { Bounds } from '../scene/bounds.js';
import type { View } from '../scene/view.js';

export function screenCoverage(bounds: Bounds, view: View): number {
  const c = [
    (bounds.min[0] + bounds.max[0]) / 2,
    (bounds.min[1] + bounds.max[1]) / 2,
    (bounds.min[2] + bounds.max[2]) / 2,
  ];
  const r = Math.hypot(bounds.max[0] - bounds.min[0], bounds.max[1] - bounds.min[1], bounds.max[2] - bounds.min[2]) / 2;
  const m = view.cameraToWorld;
  const d = [c[0] - m[12], c[1] - m[13], c[2] - m[14]];
  // Depth along the viewing direction (-Z column).
  const z = -(d[0] * m[8] + d[1] * m[9] + d[2] * m[10]);
  if (z + r <= view.znear) return 0;
  const dist = Math.hypot(d[0], d[1], d[2]);
  if (dist <= r) return 1; // the camera is inside the object's bounds
  const halfHeight = Math.tan(view.yfov / 2);
  const aspect = view.width / view.height;
  // Angular radius → projected radius in normalized image units (height = 2).
  const projected = Math.tan(Math.asin(Math.min(1, r / dist))) / halfHeight;
  const x = (d[0] * m[0] + d[1] * m[1] + d[2] * m[2]) / Math.max(z, 1e-6) / halfHeight;
  const y = (d[0] * m[4] + d[1] * m[5] + d[2] * m[6]) / Math.max(z, 1e-6) / halfHeight;
  // Clip the disc's bounding square against the image rectangle [-aspect, aspect] × [-1, 1].
  const w = Math.max(0, Math.min(aspect, x + projected) - Math.max(-aspect, x - projected));
  const h = Math.max(0, Math.min(1, y + projected) - Math.max(-1, y - projected));
  if (z <= 0) return 0; // centre behind the camera: the visible sliver is ignored
  // Disc area π·rp² scaled by the visible part of its bounding square (w·h / 4rp²), over the image area 4·aspect.
  return Math.min(1, ((Math.PI / 4) * w * h) / (4 * aspect));
}

/** Reference views: the scene's own camera (if any) and four orbit views around the scene, at 1920×1080. */
export function referenceViews(
  sceneBounds: Bounds,
  cameraView: View | undefined,
  lookAt: (eye: [number, number, number], target: [number, number, number]) => Float32Array,
): View[] {
  const views: View[] = [];
  if (cameraView) views.push({ ...cameraView, width: 1920, height: 1080 });
  const c: [number, number, number] = [
    (sceneBounds.min[0] + sceneBounds.max[0]) / 2,
    (sceneBounds.min[1] + sceneBounds.max[1]) / 2,
    (sceneBounds.min[2] + sceneBounds.max[2]) / 2,
  ];
  const r = Math.max(
    1e-3,
    Math.hypot(
      sceneBounds.max[0] - sceneBounds.min[0],
      sceneBounds.max[1] - sceneBounds.min[1],
      sceneBounds.max[2] - sceneBounds.min[2],
    ) / 2,
  );
  const yfov = 0.9,
    dist = r / Math.sin(yfov / 2);
  for (let k = 0; k < 4; k++) {
    const a = (k / 4) * Math.PI * 2 + Math.PI / 4;
    const eye: [number, number, number] = [
      c[0] + Math.cos(a) * dist * 0.85,
      c[1] + dist * 0.45,
      c[2] + Math.sin(a) * dist * 0.85,
    ];
    views.push({ cameraToWorld: lookAt(eye, c), yfov, width: 1920, height: 1080, znear: dist * 1e-3, zfar: dist * 3 });
  }
  return views;
}
