/**
 * What a verifier node needs from the renderers and metrics: render the reference and the candidate at one seeded
 * sample and compare them. The node code depends only on `SampleEvaluator`, so the real renderers (ray-core,
 * path tracer, splat rasterizer) and metrics (PSNR/SSIM/FLIP) plug in without touching the protocol.
 *
 * `InterimRaycastEvaluator` is the stand-in used until those land: it really renders both glTF blobs (a brute-force
 * ray caster with albedo × Lambert-from-headlight + emissive shading over a crop) and really compares the images
 * (PSNR, windowed SSIM on luminance, and mean absolute error in place of FLIP). Its numbers are honest measurements
 * of real data, which is what the Byzantine tests need; they are not the product's quality metrics.
 */
import { sha256Hex } from './bytes.js';
import type { SampleSpec } from './sampling.js';
import { PSNR_CAP, type ArtifactKind, type RenderSpec } from './types.js';
import { flattenScene } from '../scene/flatten.js';
import { center, diagonal, isEmpty, sceneBounds } from '../scene/bounds.js';
import { lookAt, viewFromSceneCamera, type View } from '../scene/view.js';
import type { Scene } from '../scene/types.js';
import { createImage, type FloatImage } from '../image/float-image.js';

export interface SampleResult { psnr: number; ssim: number; flip: number }

export interface SampleEvaluator {
  readonly name: string;
  /** Artifact kinds it can evaluate; a node declares these to the engine. */
  readonly kinds: ArtifactKind[];
  /** `render`: how the job says to render (absent in jobs from before render specs: the evaluator's default). */
  evaluate(reference: Uint8Array, artifact: Uint8Array, kind: ArtifactKind, sample: SampleSpec, render?: RenderSpec): Promise<SampleResult>;
}

/**
 * The camera a sample describes. Shared by every evaluator.
 * - A scene with an authored camera is seen from there: the sample turns that camera (yaw up to ±0.2 rad, pitch
 *   up to ±0.12 rad) and zooms it (field of view × distance). That is the view the scene is made for, and interiors
 *   (a room, the Cornell box) must not be judged from outside, where baked lighting is undefined.
 * - Otherwise the sample orbits the scene's bounds centre at the given angles and distance.
 */
export function sampleView(reference: Scene, s: SampleSpec, size = 96, yfov = 0.8): View {
  const authored = viewFromSceneCamera(reference, 0, size);
  if (authored) return turnedView([authored], s, size);
  const b = sceneBounds(reference);
  const c = isEmpty(b) ? [0, 0, 0] as [number, number, number] : center(b);
  const r = Math.max(1e-3, diagonal(b) / 2);
  const dist = r / Math.sin(yfov / 2) * s.distance;
  const ce = Math.cos(s.elevation);
  const eye: [number, number, number] = [c[0] + dist * ce * Math.sin(s.azimuth), c[1] + dist * Math.sin(s.elevation), c[2] + dist * ce * Math.cos(s.azimuth)];
  return { cameraToWorld: lookAt(eye, c), yfov, width: size, height: size, znear: dist * 1e-3, zfar: dist + 2 * r };
}

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
  const yaw = 0.2 * Math.sin(s.azimuth * anchors.length), pitch = 0.12 * Math.cos(s.azimuth * anchors.length) * Math.min(1, Math.abs(s.elevation) + 0.2);
  // Direction in camera space, then to world (columns of M are the camera axes).
  const d = [Math.sin(yaw) * Math.cos(pitch), Math.sin(pitch), -Math.cos(yaw) * Math.cos(pitch)];
  const dir = [0, 1, 2].map((a) => M[a] * d[0] + M[4 + a] * d[1] + M[8 + a] * d[2]);
  const eye: [number, number, number] = [M[12], M[13], M[14]];
  return {
    cameraToWorld: lookAt(eye, [eye[0] + dir[0], eye[1] + dir[1], eye[2] + dir[2]], [M[4], M[5], M[6]]),
    yfov: Math.min(2.5, anchor.yfov * s.distance), width: size, height: size, znear: anchor.znear, zfar: anchor.zfar,
  };
}

/**
 * The sample's crop as a camera of its own: aimed through the crop's centre with the crop's field of view, at
 * `pixels` × `pixels`. Renderers then spend their rays only on the crop (the reference renderer has no off-axis
 * projection, so a crop cannot be cut out of a cheaper full frame). Every renderer of a job gets this same camera.
 */
export function cropView(view: View, crop: SampleSpec['crop'], pixels: number): View {
  const M = view.cameraToWorld;
  const tanY = Math.tan(view.yfov / 2), aspect = view.width / view.height;
  const cx = (2 * (crop.x + crop.w / 2) - 1) * tanY * aspect, cy = (1 - 2 * (crop.y + crop.h / 2)) * tanY;
  const len = Math.hypot(cx, cy, 1);
  const dir = [0, 1, 2].map((a) => (M[a] * cx + M[4 + a] * cy - M[8 + a]) / len);
  const eye: [number, number, number] = [M[12], M[13], M[14]];
  const up: [number, number, number] = [M[4], M[5], M[6]];
  // The crop's half-height on the image plane, seen from the centre ray's distance to that plane.
  const yfov = 2 * Math.atan(crop.h * tanY / len);
  return { cameraToWorld: lookAt(eye, [eye[0] + dir[0], eye[1] + dir[1], eye[2] + dir[2]], up), yfov, width: pixels, height: pixels, znear: view.znear, zfar: view.zfar };
}

interface Tris { v: Float32Array; color: Float32Array; count: number }

function worldTriangles(scene: Scene): Tris {
  const f = flattenScene(scene);
  const total = f.instancedTriangleCount;
  const v = new Float32Array(total * 9), color = new Float32Array(total * 3);
  let t = 0;
  for (let i = 0; i < f.instanceMesh.length; i++) {
    const m = f.instanceMesh[i], M = f.instanceTransforms.subarray(i * 16, i * 16 + 16);
    for (let tri = f.meshFirstTriangle[m]; tri < f.meshFirstTriangle[m + 1]; tri++, t++) {
      for (let k = 0; k < 3; k++) {
        const p = f.indices[tri * 3 + k] * 3;
        const x = f.positions[p], y = f.positions[p + 1], z = f.positions[p + 2];
        v[t * 9 + k * 3] = M[0] * x + M[4] * y + M[8] * z + M[12];
        v[t * 9 + k * 3 + 1] = M[1] * x + M[5] * y + M[9] * z + M[13];
        v[t * 9 + k * 3 + 2] = M[2] * x + M[6] * y + M[10] * z + M[14];
      }
      const mat = scene.materials[f.triangleMaterial[tri]];
      const base = mat?.baseColorFactor ?? [0.8, 0.8, 0.8, 1], e = mat?.emissiveFactor ?? [0, 0, 0], es = mat?.emissiveStrength ?? 1;
      // The interim shading treats emission as extra reflectance: crude, but a changed emitter still changes pixels.
      color[t * 3] = base[0] + e[0] * es; color[t * 3 + 1] = base[1] + e[1] * es; color[t * 3 + 2] = base[2] + e[2] * es;
    }
  }
  return { v, color, count: t };
}

/** Renders the crop of `view` with a brute-force ray cast (Möller–Trumbore), headlight Lambert shading. */
export function raycastCrop(tris: Tris, view: View, crop: SampleSpec['crop'], out = 24): FloatImage {
  const img = createImage(out, out);
  const M = view.cameraToWorld, ox = M[12], oy = M[13], oz = M[14];
  const tanY = Math.tan(view.yfov / 2), aspect = view.width / view.height;
  const { v, color, count } = tris;
  for (let py = 0; py < out; py++) for (let px = 0; px < out; px++) {
    const u = crop.x + (px + 0.5) / out * crop.w, w = crop.y + (py + 0.5) / out * crop.h;
    const cx = (2 * u - 1) * tanY * aspect, cy = (1 - 2 * w) * tanY;
    let dx = M[0] * cx + M[4] * cy - M[8], dy = M[1] * cx + M[5] * cy - M[9], dz = M[2] * cx + M[6] * cy - M[10];
    const dl = Math.hypot(dx, dy, dz); dx /= dl; dy /= dl; dz /= dl;
    let best = Infinity, hit = -1, nx = 0, ny = 0, nz = 0;
    for (let t = 0; t < count; t++) {
      const o = t * 9;
      const e1x = v[o + 3] - v[o], e1y = v[o + 4] - v[o + 1], e1z = v[o + 5] - v[o + 2];
      const e2x = v[o + 6] - v[o], e2y = v[o + 7] - v[o + 1], e2z = v[o + 8] - v[o + 2];
      const px_ = dy * e2z - dz * e2y, py_ = dz * e2x - dx * e2z, pz_ = dx * e2y - dy * e2x;
      const det = e1x * px_ + e1y * py_ + e1z * pz_;
      if (Math.abs(det) < 1e-12) continue;
      const inv = 1 / det;
      const tx = ox - v[o], ty = oy - v[o + 1], tz = oz - v[o + 2];
      const bu = (tx * px_ + ty * py_ + tz * pz_) * inv;
      if (bu < 0 || bu > 1) continue;
      const qx = ty * e1z - tz * e1y, qy = tz * e1x - tx * e1z, qz = tx * e1y - ty * e1x;
      const bv = (dx * qx + dy * qy + dz * qz) * inv;
      if (bv < 0 || bu + bv > 1) continue;
      const d = (e2x * qx + e2y * qy + e2z * qz) * inv;
      if (d > view.znear && d < best) { best = d; hit = t; nx = e1y * e2z - e1z * e2y; ny = e1z * e2x - e1x * e2z; nz = e1x * e2y - e1y * e2x; }
    }
    const p = (py * out + px) * 4;
    if (hit >= 0) {
      const shade = 0.25 + 0.75 * Math.abs((nx * dx + ny * dy + nz * dz) / (Math.hypot(nx, ny, nz) || 1));
      img.data[p] = color[hit * 3] * shade; img.data[p + 1] = color[hit * 3 + 1] * shade; img.data[p + 2] = color[hit * 3 + 2] * shade;
    }
    img.data[p + 3] = 1;
  }
  return img;
}

/** PSNR over linear RGB clamped to [0, 1], capped at PSNR_CAP for identical images. */
export function psnr(a: FloatImage, b: FloatImage): number {
  let se = 0, n = 0;
  for (let i = 0; i < a.data.length; i += 4) for (let c = 0; c < 3; c++) {
    const d = Math.min(1, Math.max(0, a.data[i + c])) - Math.min(1, Math.max(0, b.data[i + c]));
    se += d * d; n++;
  }
  const mse = se / n;
  return mse <= 0 ? PSNR_CAP : Math.min(PSNR_CAP, -10 * Math.log10(mse));
}

const luma = (img: FloatImage, i: number) => 0.2126 * Math.min(1, img.data[i * 4]) + 0.7152 * Math.min(1, img.data[i * 4 + 1]) + 0.0722 * Math.min(1, img.data[i * 4 + 2]);

/** Mean SSIM over 8×8 windows (stride 4) of luminance, with the usual C1 = (0.01)², C2 = (0.03)². */
export function ssim(a: FloatImage, b: FloatImage, win = 8, stride = 4): number {
  const C1 = 1e-4, C2 = 9e-4;
  let sum = 0, count = 0;
  for (let y0 = 0; y0 + win <= a.height; y0 += stride) for (let x0 = 0; x0 + win <= a.width; x0 += stride) {
    let ma = 0, mb = 0, va = 0, vb = 0, cov = 0;
    const n = win * win;
    for (let y = y0; y < y0 + win; y++) for (let x = x0; x < x0 + win; x++) { ma += luma(a, y * a.width + x); mb += luma(b, y * a.width + x); }
    ma /= n; mb /= n;
    for (let y = y0; y < y0 + win; y++) for (let x = x0; x < x0 + win; x++) {
      const da = luma(a, y * a.width + x) - ma, db = luma(b, y * a.width + x) - mb;
      va += da * da; vb += db * db; cov += da * db;
    }
    va /= n - 1; vb /= n - 1; cov /= n - 1;
    sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
    count++;
  }
  return count ? sum / count : 1;
}

/** Mean absolute per-pixel colour difference in [0, 1]: the interim stand-in for FLIP (lower is better). */
export function meanAbsError(a: FloatImage, b: FloatImage): number {
  let s = 0, n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    let m = 0;
    for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(Math.min(1, a.data[i + c]) - Math.min(1, b.data[i + c])));
    s += m; n++;
  }
  return s / n;
}

/** Parses a GLB blob into the neutral scene (io/ is loaded lazily: it pulls in Node builtins). */
export async function sceneFromGlb(bytes: Uint8Array): Promise<Scene> {
  const { gltfIO } = await import('../io/gltf-io.js');
  const { documentToScene } = await import('../io/gltf-read.js');
  const doc = await (await gltfIO()).readBinary(bytes);
  return (await documentToScene(doc, `blob ${sha256Hex(bytes).slice(0, 12)}`)).scene;
}

/** A small per-evaluator cache of parsed blobs by content hash (jobs reuse the same reference scene). */
export class SceneCache<T> {
  private m = new Map<string, Promise<T>>();
  constructor(private make: (bytes: Uint8Array) => Promise<T>, private max = 8) {}
  get(bytes: Uint8Array): Promise<T> {
    const key = sha256Hex(bytes);
    let p = this.m.get(key);
    if (!p) {
      if (this.m.size >= this.max) this.m.clear();
      p = this.make(bytes);
      this.m.set(key, p);
      p.catch(() => this.m.delete(key));
    }
    return p;
  }
}

export class InterimRaycastEvaluator implements SampleEvaluator {
  readonly name = 'interim-raycast';
  readonly kinds: ArtifactKind[] = ['lightmap-gltf'];
  private cache = new SceneCache(async (bytes) => { const scene = await sceneFromGlb(bytes); return { scene, tris: worldTriangles(scene) }; });

  constructor(private crop = 24) {}

  async evaluate(reference: Uint8Array, artifact: Uint8Array, kind: ArtifactKind, sample: SampleSpec): Promise<SampleResult> {
    // It ignores the job's render spec: it has one shading model, for protocol and Byzantine tests only.
    if (kind !== 'lightmap-gltf') throw new Error(`${this.name} cannot evaluate ${kind} artifacts (needs the splat renderer)`);
    const ref = await this.cache.get(reference), art = await this.cache.get(artifact);
    const view = sampleView(ref.scene, sample);
    const a = raycastCrop(ref.tris, view, sample.crop, this.crop), b = raycastCrop(art.tris, view, sample.crop, this.crop);
    return { psnr: psnr(a, b), ssim: ssim(a, b), flip: meanAbsError(a, b) };
  }
}
