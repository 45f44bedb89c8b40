/**
 * The in-plane shape of one converted Gaussian: a disc of the area it stands for, narrowed where the drawn surface
 * ends nearer than its reach (a card's outline, a mesh's open border, the edge of an alpha-tested leaf) and
 * stretched along the direction that stays free. A round footprint wider than a leaf spills over the gaps between
 * leaves, and training at few iterations cannot take that back (issue 20: the forced-splat foliage's plants were
 * blobs in the own check). Pure math over plain arrays; no Node builtins.
 */
import { dot } from '../util/vec3.js';

export interface FootprintInput {
  /** The Gaussian's centre and its triangle's corners, in one space. */
  p: number[];
  corners: [number[], number[], number[]];
  /** The triangle's unit in-plane frame (tangent, bitangent). */
  tan: number[];
  bit: number[];
  /** The round footprint's standard deviation (the area the Gaussian stands for). */
  sigma: number;
  /** Per edge k (corner k to k + 1): true when no other triangle shares it, so the surface ends there. */
  border: ArrayLike<number | boolean>;
  /** Whether the surface is drawn at a barycentric point (alpha testing); absent: everywhere inside the borders. */
  kept?: (bary: number[]) => boolean;
}

export interface Footprint {
  /** Standard deviations along `axis` and across it, in the plane. */
  major: number;
  minor: number;
  /** Unit in-plane direction of `major`. */
  axis: [number, number, number];
}

/** Probe distances, in units of sigma: fine near the centre, where a leaf's width is decided. */
const PROBE_RADII = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4];
/** In-plane axes probed, both ways each: 0, 45, 90 and 135 degrees from the tangent. */
const AXES = 4;
/** The narrowest a footprint gets, as a share of sigma (a Gaussian at an edge still draws something). */
const MIN_SHARE = 0.25;
/** The longest a footprint gets, as a multiple of sigma. */
const MAX_STRETCH = 3;

/** Barycentric coordinates of `q` in the triangle (outside it too: linear extension). */
function barycentric(q: number[], a: number[], b: number[], c: number[]): number[] {
  const e1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]],
    e2 = [c[0] - a[0], c[1] - a[1], c[2] - a[2]],
    w = [q[0] - a[0], q[1] - a[1], q[2] - a[2]];
  const d00 = dot(e1, e1),
    d01 = dot(e1, e2),
    d11 = dot(e2, e2),
    d20 = dot(w, e1),
    d21 = dot(w, e2);
  const den = d00 * d11 - d01 * d01 || 1e-30;
  const v = (d11 * d20 - d01 * d21) / den,
    u = (d00 * d21 - d01 * d20) / den;
  return [1 - v - u, v, u];
}

/**
 * Where the surface ends along each probed axis from the centre (the nearer of its two ways), and the footprint
 * that fits: across the nearest end, half its distance (two standard deviations reach it), at least MIN_SHARE of
 * sigma; along the axis perpendicular to it, stretched to keep the disc's area, at most MAX_STRETCH x sigma and
 * half the distance free that way. Where nothing ends within 2 sigma the disc is kept as it was.
 */
export function fitFootprint(f: FootprintInput): Footprint {
  const { p, corners, tan, bit, sigma } = f;
  const [a, b, c] = corners;
  const free = (q: number[]): boolean => {
    const w = barycentric(q, a, b, c);
    // Crossing edge k (corners k, k + 1) takes the opposite corner's weight below zero.
    for (let k = 0; k < 3; k++) if (f.border[k] && w[(k + 2) % 3] < -1e-6) return false;
    return f.kept ? f.kept(w) : true;
  };
  const reach = new Array<number>(AXES).fill(Infinity);
  const dirs: [number, number, number][] = [];
  for (let k = 0; k < AXES; k++) {
    const th = (k * Math.PI) / AXES,
      ct = Math.cos(th),
      st = Math.sin(th);
    dirs.push([ct * tan[0] + st * bit[0], ct * tan[1] + st * bit[1], ct * tan[2] + st * bit[2]]);
    for (const sign of [1, -1]) {
      let last = 0;
      for (const r of PROBE_RADII) {
        const d = sign * r * sigma;
        if (!free([p[0] + d * dirs[k][0], p[1] + d * dirs[k][1], p[2] + d * dirs[k][2]])) {
          // The end lies between the last free probe and this one.
          reach[k] = Math.min(reach[k], 0.5 * (last + r) * sigma);
          break;
        }
        last = r;
      }
    }
  }
  // The nearest end; among axes that reach it equally (the probes are coarse), the one with the most room across:
  // near a straight border the axes at 45 degrees to it meet it at the same probe as the one square to it.
  let near = 0;
  for (let k = 1; k < AXES; k++)
    if (
      reach[k] < reach[near] ||
      (reach[k] === reach[near] && reach[(k + AXES / 2) % AXES] > reach[(near + AXES / 2) % AXES])
    )
      near = k;
  if (!(reach[near] < 2 * sigma)) return { major: sigma, minor: sigma, axis: dirs[0] };
  const minor = Math.max(MIN_SHARE * sigma, reach[near] / 2),
    across = (near + AXES / 2) % AXES;
  const major = Math.max(minor, Math.min((sigma * sigma) / minor, MAX_STRETCH * sigma, reach[across] / 2));
  return { major, minor, axis: dirs[across] };
}
