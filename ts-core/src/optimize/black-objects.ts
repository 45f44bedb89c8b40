/**
 * Per-object evidence for the own check, from one ray per 4×4-pixel cell of the view (which object it shows):
 * - the independent cue: the path-traced reference and the baked result share the transport, the material code and
 *   the scene, so a bug in any of them can blacken an object in both images alike, and the metrics would call that
 *   a perfect match. The ray core's unlit preview does not share that code: an object that the path tracer shows
 *   black while its material colour is not black is flagged;
 * - where the error is: the mean FLIP error over each object's cells, so that a failing run names the objects.
 */
import { display, luma } from '../image/display.js';
import type { FloatImage } from '../image/float-image.js';
import { NO_HIT } from '../native/rays.js';
import { materialBaseColors, renderView, sceneBvh } from '../render/render-view.js';
import { flattenScene } from '../scene/flatten.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';

export interface BlackObject {
  name: string;
  /** Cells of the view (4×4-pixel blocks) where it shows black over a non-black material. */
  pixels: number;
  /** Those cells as a share of the view. */
  share: number;
}

/** Display luma (of 255) under which a block counts as black, and linear luma over which a material does not. */
const BLACK = 3,
  NOT_BLACK = 0.03;
export const CELL = 4;

/** Which scene node each CELL×CELL block of the view shows through its centre (-1: nothing). */
export interface ObjectCells {
  width: number;
  height: number;
  node: Int32Array;
}

export async function objectCells(scene: Scene, view: View, opts: { signal?: AbortSignal } = {}): Promise<ObjectCells> {
  const w = Math.floor(view.width / CELL),
    h = Math.floor(view.height / CELL);
  const M = view.cameraToWorld,
    ty = Math.tan(view.yfov / 2),
    tx = ty * (view.width / view.height);
  const origins = new Float32Array(w * h * 3),
    dirs = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const cx = ((2 * (x + 0.5)) / w - 1) * tx,
        cy = (1 - (2 * (y + 0.5)) / h) * ty,
        l = Math.hypot(cx, cy, 1),
        i = 3 * (y * w + x);
      for (let a = 0; a < 3; a++) {
        origins[i + a] = M[12 + a];
        dirs[i + a] = (M[a] * cx + M[4 + a] * cy - M[8 + a]) / l;
      }
    }
  const bvh = await sceneBvh(scene, { signal: opts.signal });
  const hits = await bvh.traceRays(origins, dirs, { tmin: view.znear, backend: 'cpu', signal: opts.signal });
  const flat = flattenScene(scene);
  const node = new Int32Array(w * h).fill(-1);
  for (let k = 0; k < w * h; k++) if (hits.instance[k] !== NO_HIT) node[k] = flat.instanceNode[hits.instance[k]];
  return { width: w, height: h, node };
}

const nameOf = (scene: Scene, n: number) => scene.nodes[n].name || `nodes[${n}]`;

export async function flagBlackObjects(
  scene: Scene,
  view: View,
  cells: ObjectCells,
  reference: FloatImage,
  exposure: number,
  opts: { signal?: AbortSignal } = {},
): Promise<BlackObject[]> {
  const { width: w, height: h } = cells;
  if (w < 1 || h < 1) return [];
  const albedo = await renderView(scene, view, {
    mode: 'albedo',
    spp: 1,
    materialColors: materialBaseColors(scene),
    backend: 'cpu',
    signal: opts.signal,
  });
  const shown = display(reference, { exposure });
  const seen = new Map<number, { cells: number; black: number }>();
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const node = cells.node[y * w + x];
      if (node < 0) continue;
      let ref = 0,
        mat = 0;
      for (let dy = 0; dy < CELL; dy++)
        for (let dx = 0; dx < CELL; dx++) {
          const p = 4 * ((y * CELL + dy) * view.width + x * CELL + dx);
          ref += luma(shown.data[p], shown.data[p + 1], shown.data[p + 2]);
          mat += luma(albedo.data[p], albedo.data[p + 1], albedo.data[p + 2]);
        }
      ref /= CELL * CELL;
      mat /= CELL * CELL;
      const s = seen.get(node) ?? { cells: 0, black: 0 };
      s.cells++;
      if (ref < BLACK && mat > NOT_BLACK) s.black++;
      seen.set(node, s);
    }
  const out: BlackObject[] = [];
  // Most of what the object shows is black, and it is big enough to matter (0.5% of the view).
  for (const [node, s] of seen)
    if (s.black >= 0.5 * s.cells && s.black >= 0.005 * w * h)
      out.push({ name: nameOf(scene, node), pixels: s.black, share: s.black / (w * h) });
  return out.sort((a, b) => b.share - a.share);
}

/**
 * Mean of a per-pixel error map (at `scale` of the view's resolution: 0.5 after the 2×2 box filter) over each
 * object's cells, worst first; objects under 0.5% of the view are left out.
 */
export function errorByObject(
  scene: Scene,
  cells: ObjectCells,
  map: { width: number; height: number; data: Float32Array },
  scale: number,
): { name: string; mean: number; share: number }[] {
  const sums = new Map<number, { sum: number; n: number }>();
  const step = CELL * scale;
  for (let y = 0; y < cells.height; y++)
    for (let x = 0; x < cells.width; x++) {
      const node = cells.node[y * cells.width + x];
      if (node < 0) continue;
      const s = sums.get(node) ?? { sum: 0, n: 0 };
      for (let dy = 0; dy < step; dy++)
        for (let dx = 0; dx < step; dx++) {
          const px = Math.floor(x * step + dx),
            py = Math.floor(y * step + dy);
          if (px < map.width && py < map.height) {
            s.sum += map.data[py * map.width + px];
            s.n++;
          }
        }
      sums.set(node, s);
    }
  const total = cells.width * cells.height;
  return [...sums]
    .filter(([, s]) => s.n > 0)
    .map(([node, s]) => ({ name: nameOf(scene, node), mean: s.sum / s.n, share: s.n / (step * step) / total }))
    .filter((o) => o.share >= 0.005)
    .sort((a, b) => b.mean - a.mean);
}
