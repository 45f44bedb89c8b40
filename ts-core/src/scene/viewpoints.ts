/**
 * Views a person would choose, for the report's before/after, the own check and the verifier's samples.
 * - A scene with cameras is seen through them: that is what it was made to be looked at from.
 * - Otherwise the scene is probed with rays from a grid of points in its bounds. A point from which most rays hit
 *   something, and hit front faces, stands in free space inside an enclosure: the scene is an interior (a room, an
 *   atrium, the Cornell box), and its views stand at the freest such points, at eye height over the floor below,
 *   looking along the direction that shows the most geometry farthest away (down the nave, not into a wall or out
 *   through an opening). A point that sees mostly back faces is inside a solid or behind single-sided walls, and is
 *   never used.
 * - A scene that is not enclosed is an object or a landscape: it is framed from outside, from above at three
 *   azimuths, at the distance where its bounding box fills the frame.
 * The rays come from a caster the caller supplies (the native ray core), so this module stays pure; every choice
 * is a deterministic function of the hits, so verifier nodes plan the same views.
 */
import { center, diagonal, isEmpty, sceneBounds, type Bounds } from './bounds.js';
import type { Scene, Vec3 } from './types.js';
import { lookAt, viewFromSceneCamera, type View } from './view.js';

/** Per ray: distance to the first hit (Infinity on a miss) and whether the hit faces the ray (front face). */
export interface RayHits {
  t: Float32Array;
  front: Uint8Array;
}
/** Traces rays (3 floats per origin and unit direction) up to `tmax`. */
export type RayCaster = (origins: Float32Array, directions: Float32Array, tmax: number) => Promise<RayHits>;

export interface ViewPlanOptions {
  /** Views to return at most (default 3). */
  count?: number;
  /** Image width; the height follows the camera's aspect ratio, else 16:9 (default 768). */
  width?: number;
  /** Vertical field of view of planned views, radians (default 0.9, about 52°). */
  yfov?: number;
}

export const VIEW_PLAN_DEFAULTS: Required<ViewPlanOptions> = { count: 3, width: 768, yfov: 0.9 };

export interface PlannedViews {
  views: View[];
  /** 'camera': the scene's own; 'interior': standing inside; 'exterior': framed from outside. */
  kind: 'camera' | 'interior' | 'exterior';
}

/** Unit directions spread evenly over the sphere (a Fibonacci lattice). */
function sphereDirections(n: number): Vec3[] {
  const out: Vec3[] = [];
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let i = 0; i < n; i++) {
    const y = 1 - (2 * (i + 0.5)) / n,
      r = Math.sqrt(1 - y * y),
      a = golden * i;
    out.push([r * Math.cos(a), y, r * Math.sin(a)]);
  }
  return out;
}

const GRID = 5;
const PROBES = 48;
/** A point counts as enclosed when this share of its near-horizontal probe rays hits something. */
const ENCLOSED = 0.7;
/** A point that sees more than this share of back faces is inside a solid or behind single-sided walls. */
const BACK_FACES = 0.25;
/** A scene is an interior when at least this share of its free points is enclosed. */
const INTERIOR_SHARE = 0.2;

interface Probe {
  p: Vec3;
  hit: number;
  around: number;
  back: number;
  free: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : 0;
}

async function probe(points: Vec3[], cast: RayCaster, reach: number): Promise<Probe[]> {
  const dirs = sphereDirections(PROBES);
  const o = new Float32Array(points.length * PROBES * 3),
    d = new Float32Array(points.length * PROBES * 3);
  points.forEach((p, i) =>
    dirs.forEach((dir, k) => {
      o.set(p, 3 * (i * PROBES + k));
      d.set(dir, 3 * (i * PROBES + k));
    }),
  );
  const h = await cast(o, d, reach);
  return points.map((p, i) => {
    let hit = 0,
      back = 0,
      level = 0,
      around = 0;
    const dist: number[] = [];
    for (let k = 0; k < PROBES; k++) {
      const j = i * PROBES + k,
        t = h.t[j],
        ok = Number.isFinite(t) && t < reach;
      if (ok) {
        hit++;
        if (!h.front[j]) back++;
        dist.push(t);
      } else dist.push(reach);
      // Walls around a point, not a ceiling above it, make a room: a courtyard or a roofless set is an interior too.
      if (Math.abs(dirs[k][1]) < 0.5) {
        level++;
        if (ok) around++;
      }
    }
    return {
      p,
      hit: hit / PROBES,
      around: around / Math.max(1, level),
      back: hit ? back / hit : 0,
      free: median(dist),
    };
  });
}

/** A grid of points inside the bounds, shrunk by half a cell so none lies on the boundary. */
function gridPoints(b: Bounds): Vec3[] {
  const out: Vec3[] = [];
  for (let i = 0; i < GRID; i++)
    for (let j = 0; j < GRID; j++)
      for (let k = 0; k < GRID; k++) {
        const f = (n: number, a: 0 | 1 | 2) => b.min[a] + ((n + 0.5) / GRID) * (b.max[a] - b.min[a]);
        out.push([f(i, 0), f(j, 1), f(k, 2)]);
      }
  return out;
}

/** Score of looking from `eye` along azimuth `az`: mean distance to geometry over a small fan of rays in the frame. */
async function bestHeading(
  eyes: Vec3[],
  cast: RayCaster,
  reach: number,
  yfov: number,
  aspect: number,
): Promise<{ dir: Vec3; score: number }[]> {
  const HEADINGS = 16,
    PITCH = -0.12,
    FAN = [-0.8, -0.4, 0, 0.4, 0.8],
    ROWS = [-0.6, 0, 0.6];
  const rays: Vec3[] = [],
    origins: Vec3[] = [];
  const forward = (az: number): Vec3 => [
    Math.sin(az) * Math.cos(PITCH),
    Math.sin(PITCH),
    -Math.cos(az) * Math.cos(PITCH),
  ];
  for (const eye of eyes)
    for (let hI = 0; hI < HEADINGS; hI++) {
      const az = (2 * Math.PI * hI) / HEADINGS,
        f = forward(az);
      const right: Vec3 = [Math.cos(az), 0, Math.sin(az)];
      const up: Vec3 = [-right[2] * f[1], right[2] * f[0] - right[0] * f[2], right[0] * f[1]]; // right × forward
      const ty = Math.tan(yfov / 2),
        tx = ty * aspect;
      for (const r of ROWS)
        for (const c of FAN) {
          const d: Vec3 = [
            f[0] + right[0] * c * tx + up[0] * r * ty,
            f[1] + right[1] * c * tx + up[1] * r * ty,
            f[2] + right[2] * c * tx + up[2] * r * ty,
          ];
          const l = Math.hypot(...d);
          rays.push([d[0] / l, d[1] / l, d[2] / l]);
          origins.push(eye);
        }
    }
  const h = await cast(Float32Array.from(origins.flat()), Float32Array.from(rays.flat()), reach);
  const per = FAN.length * ROWS.length;
  return eyes.map((_, e) => {
    let best = { dir: forward(0), score: -1 };
    for (let hI = 0; hI < HEADINGS; hI++) {
      let s = 0;
      for (let k = 0; k < per; k++) {
        const j = (e * HEADINGS + hI) * per + k,
          t = h.t[j];
        // Geometry far away fills the frame with content; a miss (sky, an opening) and a near wall show little.
        if (Number.isFinite(t) && t < reach && h.front[j]) s += t;
      }
      if (s / per > best.score) best = { dir: forward((2 * Math.PI * hI) / HEADINGS), score: s / per };
    }
    return best;
  });
}

/** The view from `eye` looking along `dir`, with near and far planes for a scene of diagonal `d`. */
function viewAlong(eye: Vec3, dir: Vec3, d: number, width: number, height: number, yfov: number): View {
  return {
    cameraToWorld: lookAt(eye, [eye[0] + dir[0], eye[1] + dir[1], eye[2] + dir[2]]),
    yfov,
    width,
    height,
    znear: d * 1e-4,
    zfar: d * 4,
  };
}

/** Outside views: from above at three azimuths, each at the distance where the bounding box's corners fit the frame. */
function exteriorViews(b: Bounds, n: number, width: number, height: number, yfov: number): View[] {
  const c = center(b),
    d = Math.max(1e-3, diagonal(b));
  const ty = Math.tan(yfov / 2),
    tx = ty * (width / height);
  const views: View[] = [];
  for (let i = 0; i < n; i++) {
    const az = 0.6 + (2 * Math.PI * i) / 3,
      el = 0.45;
    const back: Vec3 = [Math.sin(az) * Math.cos(el), Math.sin(el), Math.cos(az) * Math.cos(el)];
    const probe = lookAt([c[0] + back[0], c[1] + back[1], c[2] + back[2]], c);
    // Camera axes (columns): x right, y up, z backwards. A corner at offset q needs distance ≥ |q·x| / tx + q·z, etc.
    let dist = 0;
    for (let k = 0; k < 8; k++) {
      const q = [
        (k & 1 ? b.max[0] : b.min[0]) - c[0],
        (k & 2 ? b.max[1] : b.min[1]) - c[1],
        (k & 4 ? b.max[2] : b.min[2]) - c[2],
      ];
      const qx = q[0] * probe[0] + q[1] * probe[1] + q[2] * probe[2];
      const qy = q[0] * probe[4] + q[1] * probe[5] + q[2] * probe[6];
      const qz = q[0] * probe[8] + q[1] * probe[9] + q[2] * probe[10];
      dist = Math.max(dist, Math.abs(qx) / tx + qz, Math.abs(qy) / ty + qz);
    }
    dist *= 1.08; // a margin, so the silhouette does not touch the frame
    const eye: Vec3 = [c[0] + back[0] * dist, c[1] + back[1] * dist, c[2] + back[2] * dist];
    views.push({ cameraToWorld: lookAt(eye, c), yfov, width, height, znear: dist * 1e-3, zfar: dist + 2 * d });
  }
  return views;
}

/** Plans up to `count` views of the scene (see the module comment). Deterministic for a given caster. */
export async function planViews(scene: Scene, cast: RayCaster, opts: ViewPlanOptions = {}): Promise<PlannedViews> {
  const o = { ...VIEW_PLAN_DEFAULTS, ...opts };
  const cams: View[] = [];
  for (let i = 0; i < scene.cameras.length && cams.length < o.count; i++) {
    const v = viewFromSceneCamera(scene, i, o.width);
    if (v) cams.push(v);
  }
  if (cams.length) return { views: cams, kind: 'camera' };

  const height = Math.max(1, Math.round((o.width * 9) / 16));
  const b = sceneBounds(scene);
  if (isEmpty(b))
    return {
      views: exteriorViews({ min: [-1, -1, -1], max: [1, 1, 1] }, o.count, o.width, height, o.yfov),
      kind: 'exterior',
    };
  const d = Math.max(1e-3, diagonal(b)),
    reach = 2 * d;
  const probes = await probe(gridPoints(b), cast, reach);
  const free = probes.filter((p) => p.back <= BACK_FACES && p.hit > 0);
  const enclosed = free.filter((p) => p.around >= ENCLOSED);
  // An interior: a fair share of the points in free space are walled in (the rest may be the open air over an
  // arena or a courtyard). Points around an object or over a landscape see open horizon.
  if (enclosed.length < Math.max(2, INTERIOR_SHARE * free.length))
    return { views: exteriorViews(b, o.count, o.width, height, o.yfov), kind: 'exterior' };

  // The freest enclosed points, kept apart from each other so that the views differ.
  enclosed.sort((a, c) => c.free - a.free || a.p[0] - c.p[0] || a.p[1] - c.p[1] || a.p[2] - c.p[2]);
  const chosen: Probe[] = [];
  for (const p of enclosed) {
    if (chosen.length >= o.count) break;
    if (chosen.every((c) => Math.hypot(c.p[0] - p.p[0], c.p[1] - p.p[1], c.p[2] - p.p[2]) > d / 6)) chosen.push(p);
  }
  // Eye height: a third of the way from the floor below to the ceiling above (or the bounds' top).
  const o2 = new Float32Array(chosen.length * 6),
    d2 = new Float32Array(chosen.length * 6);
  chosen.forEach((c, i) => {
    o2.set(c.p, 6 * i);
    o2.set(c.p, 6 * i + 3);
    d2.set([0, -1, 0, 0, 1, 0], 6 * i);
  });
  const vertical = await cast(o2, d2, reach);
  const eyes = chosen.map((c, i): Vec3 => {
    const down = vertical.t[2 * i],
      up = vertical.t[2 * i + 1];
    const floor = Number.isFinite(down) && down < reach ? c.p[1] - down : b.min[1];
    const ceiling = Number.isFinite(up) && up < reach ? c.p[1] + up : b.max[1];
    return [c.p[0], floor + (ceiling - floor) / 3, c.p[2]];
  });
  const headings = await bestHeading(eyes, cast, reach, o.yfov, o.width / height);
  // Step back towards the wall behind (or out through an open side, at most a third of the diagonal), as a
  // photographer does in a room, so that the view shows the room rather than the nearest object.
  // The step is level, so the eye keeps its height.
  const level = headings.map(({ dir }): Vec3 => {
    const l = Math.hypot(dir[0], dir[2]) || 1;
    return [dir[0] / l, 0, dir[2] / l];
  });
  const o3 = new Float32Array(eyes.length * 3),
    d3 = new Float32Array(eyes.length * 3);
  eyes.forEach((e, i) => {
    o3.set(e, 3 * i);
    d3.set(
      level[i].map((x) => -x),
      3 * i,
    );
  });
  const behind = await cast(o3, d3, reach);
  const placed = eyes.map((e, i): Vec3 => {
    const t = behind.t[i],
      back = Number.isFinite(t) && t < reach ? 0.85 * t : d / 3,
      dir = level[i];
    const step = Math.min(back, d / 3);
    return [e[0] - dir[0] * step, e[1], e[2] - dir[2] * step];
  });
  return { views: placed.map((e, i) => viewAlong(e, headings[i].dir, d, o.width, height, o.yfov)), kind: 'interior' };
}
