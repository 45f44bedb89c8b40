/**
 * report.json `views.cameras` in three.js: a camera placed exactly where the report's images were rendered from
 * (ts-core/src/report/cameras.ts writes them from the planned views), and a framing camera for scenes without a
 * report. Our views look down local −Z with +Y up, as three.js cameras do, so eye, target and up give the same
 * orientation (roll included).
 */
import { Box3, Matrix4, Vector3 } from 'three';

/**
 * @typedef {object} ReportCamera
 * @property {[number, number, number]} eye
 * @property {[number, number, number]} target
 * @property {[number, number, number]} up
 * @property {number} yfovDeg
 * @property {number} aspect
 * @property {number} znear
 */

/**
 * Puts a perspective camera at a report camera. The aspect stays the canvas's (the vertical field of view is the
 * report's, so the middle of the frame matches the report's image at any window shape). `far` is the caller's.
 * @param {import('three').PerspectiveCamera} camera
 * @param {ReportCamera} c
 */
export function applyReportCamera(camera, c) {
  const eye = new Vector3(...c.eye),
    target = new Vector3(...c.target),
    up = new Vector3(...c.up);
  const z = eye.clone().sub(target).normalize();
  const x = new Vector3().crossVectors(up, z);
  if (x.lengthSq() < 1e-12) x.set(1, 0, 0);
  x.normalize();
  const y = new Vector3().crossVectors(z, x);
  camera.position.copy(eye);
  camera.quaternion.setFromRotationMatrix(new Matrix4().makeBasis(x, y, z));
  camera.fov = c.yfovDeg;
  camera.near = c.znear;
  camera.updateProjectionMatrix();
  camera.updateMatrixWorld();
}

/**
 * World bounds of what `root` draws: meshes by their geometry's box, splats (Spark's SplatMesh, whose geometry is
 * only a quad) by their centres.
 * @param {import('three').Object3D} root
 */
export function boundsOf(root) {
  root.updateMatrixWorld(true);
  const box = new Box3(),
    part = new Box3();
  root.traverse((/** @type {any} */ o) => {
    if (typeof o.getBoundingBox === 'function') part.copy(o.getBoundingBox(true));
    else if (o.isMesh && o.geometry) {
      if (!o.geometry.boundingBox) o.geometry.computeBoundingBox();
      part.copy(o.geometry.boundingBox);
    } else return;
    if (!part.isEmpty()) box.union(part.applyMatrix4(o.matrixWorld));
  });
  return box;
}

/**
 * A camera framing `box` from the front-right and above (as ts-core/src/scene/view.ts framingView does), for a
 * scene without a report; returns the camera for `applyReportCamera`.
 * @param {import('three').Box3} box
 * @param {number} [yfovDeg]
 * @returns {ReportCamera}
 */
export function framingCamera(box, yfovDeg = 45.8) {
  const c = box.isEmpty() ? new Vector3() : box.getCenter(new Vector3());
  const r = box.isEmpty() ? 1 : Math.max(1e-3, box.getSize(new Vector3()).length() / 2);
  const dist = r / Math.sin((yfovDeg * Math.PI) / 360);
  const dir = new Vector3(0.55, 0.45, 0.7).normalize();
  const eye = c.clone().addScaledVector(dir, dist);
  return {
    eye: [eye.x, eye.y, eye.z],
    target: [c.x, c.y, c.z],
    up: [0, 1, 0],
    yfovDeg,
    aspect: 1,
    znear: dist * 1e-3,
  };
}

/**
 * A far plane that holds the whole of `box` from anywhere near it.
 * @param {import('three').Box3} box
 * @param {import('three').Vector3} eye
 */
export function farPlaneFor(box, eye) {
  if (box.isEmpty()) return 1000;
  const size = box.getSize(new Vector3()).length();
  return Math.max(1, (box.distanceToPoint(eye) + size) * 4);
}
