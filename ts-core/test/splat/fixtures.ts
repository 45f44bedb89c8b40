/** Small seeded Gaussian sets and views shared by the splat tests. */
import { lookAt, type View } from '../../src/scene/view.js';
import { createModel, logit, rgbToDc, type GaussianModel } from '../../src/scene/gaussians.js';
import { Rng } from '../../src/util/rng.js';

export function randomModel(
  n: number,
  seed: number,
  opts: { shDegree?: number; spread?: number; scale?: [number, number]; opacity?: [number, number] } = {},
): GaussianModel {
  const rng = new Rng(seed),
    deg = opts.shDegree ?? 3,
    spread = opts.spread ?? 0.6;
  const [s0, s1] = opts.scale ?? [0.08, 0.25],
    [o0, o1] = opts.opacity ?? [0.4, 0.7];
  const m = createModel(n, deg);
  const K = (deg + 1) * (deg + 1);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      m.means[3 * i + a] = rng.range(-spread, spread);
      m.logScales[3 * i + a] = Math.log(rng.range(s0, s1));
    }
    const q = [rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)];
    const l = Math.hypot(...q);
    for (let a = 0; a < 4; a++) m.quats[4 * i + a] = (q[a] / l) * rng.range(0.8, 1.2);
    m.opacity[i] = logit(rng.range(o0, o1));
    for (let c = 0; c < 3; c++) m.sh[3 * K * i + c] = rgbToDc(rng.range(0.15, 0.9));
    for (let k = 1; k < K; k++) for (let c = 0; c < 3; c++) m.sh[3 * K * i + 3 * k + c] = rng.range(-0.15, 0.15);
  }
  return m;
}

export function orbitView(
  angle: number,
  elevation: number,
  dist: number,
  width: number,
  height: number,
  target: [number, number, number] = [0, 0, 0],
  yfov = 0.8,
): View {
  const eye: [number, number, number] = [
    target[0] + dist * Math.cos(elevation) * Math.sin(angle),
    target[1] + dist * Math.sin(elevation),
    target[2] + dist * Math.cos(elevation) * Math.cos(angle),
  ];
  return { cameraToWorld: lookAt(eye, target), yfov, width, height, znear: 0.01, zfar: 100 };
}
