import type { View } from '../../src/scene/view.js';

/**
 * The camera the render tests look through: at z = 5 down −z, tan(yfov / 2) = `th` (so at z = 0 it sees x in
 * ±5·th·aspect and y in ±5·th), and the pixel that sees point (x, y) of the plane z = 0.
 */
export function frontView(
  width: number,
  height: number,
  th: number,
): { view: View; pixelOf: (x: number, y: number) => [number, number] } {
  const view: View = {
    cameraToWorld: Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 5, 1),
    yfov: 2 * Math.atan(th),
    width,
    height,
    znear: 0.05,
    zfar: 100,
  };
  const aspect = width / height;
  const pixelOf = (x: number, y: number): [number, number] => [
    Math.round(((x / (5 * th * aspect) + 1) * width) / 2 - 0.5),
    Math.round(((1 - y / (5 * th)) * height) / 2 - 0.5),
  ];
  return { view, pixelOf };
}
