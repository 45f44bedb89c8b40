/**
 * `ote render-splat`: render a splat file (.ply, .splat, .spz) to a PNG with the tile rasterizer. Splat colours
 * are display values (scene/gaussians.ts), blended and written as they are, with no transfer function: the pixels
 * any 3DGS viewer shows.
 */
import { displayToRgba8 } from '../../image/float-image.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { encodePng } from '../../io/png.js';
import { loadSplats } from '../../io/splat-formats.js';
import { renderSplats } from '../../native/splat.js';
import { lookAt, type View } from '../../scene/view.js';
import { splatCamera } from '../../native/splat-camera.js';
import type { GaussianModel } from '../../scene/gaussians.js';
import { IMAGE_SIZE, numberFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { Progress } from '../progress.js';

function numbers(v: string, name: string, n: number): number[] {
  const parts = v.split(',').map(Number);
  if (parts.length !== n || !parts.every(Number.isFinite))
    throw new UsageError(`--${name} must be ${n} comma-separated numbers, got "${v}"`);
  return parts;
}

/** Bounds of the splat centres, ignoring the 1% farthest out on each axis (captures carry floaters). */
function robustBounds(m: GaussianModel): { lo: number[]; hi: number[] } {
  const lo: number[] = [],
    hi: number[] = [];
  for (let a = 0; a < 3; a++) {
    const v = Float32Array.from({ length: m.count }, (_, i) => m.means[3 * i + a]).sort();
    lo.push(v[Math.floor(0.01 * (m.count - 1))] ?? 0);
    hi.push(v[Math.ceil(0.99 * (m.count - 1))] ?? 0);
  }
  return { lo, hi };
}

export const renderSplatCommand: Command = {
  name: 'render-splat',
  summary: 'render a Gaussian splat file (.ply, .splat, .spz) to a PNG',
  usage:
    'ote render-splat <file.ply|.splat|.spz> [--camera ex,ey,ez,tx,ty,tz | --eye x,y,z --target x,y,z] [--fov deg] ' +
    '[--width W] [--height H] [--background r,g,b] [--sh 0..3] [--backend auto|cpu|cuda] [--json] -o out.png',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      out: { type: 'string', short: 'o' },
      camera: { type: 'string' },
      eye: { type: 'string' },
      target: { type: 'string' },
      fov: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      background: { type: 'string' },
      sh: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    });
    const file = requirePositional(positionals, 0, 'splat file');
    if (!values.out) throw new UsageError('missing -o <out.png>');
    if (!/\.png$/i.test(values.out)) throw new UsageError(`-o ${values.out}: only .png output is supported`);
    const width = numberFlag(values.width, 'width', 1024, IMAGE_SIZE);
    const height = numberFlag(values.height, 'height', width, IMAGE_SIZE);
    const fov = (numberFlag(values.fov, 'fov', 50, { above: 0, below: 179 }) * Math.PI) / 180;
    const bg = values.background
      ? (numbers(values.background, 'background', 3) as [number, number, number])
      : ([0, 0, 0] as [number, number, number]);
    const backend = (values.backend ?? 'auto') as 'auto' | 'cpu' | 'cuda';
    if (!['auto', 'cpu', 'cuda'].includes(backend))
      throw new UsageError(`--backend must be auto, cpu or cuda, got "${values.backend}"`);
    if (values.camera && (values.eye || values.target))
      throw new UsageError('use either --camera or --eye/--target, not both');
    if ((values.eye === undefined) !== (values.target === undefined))
      throw new UsageError('--eye and --target go together');

    const progress = Progress.for(!!values.json);
    const t0 = performance.now();
    const model = await loadSplats(file);
    const sh = numberFlag(values.sh, 'sh', model.shDegree, { int: true, min: 0, max: model.shDegree });
    let eye: number[], target: number[];
    const b = robustBounds(model);
    const radius = Math.max(1e-3, 0.5 * Math.hypot(b.hi[0] - b.lo[0], b.hi[1] - b.lo[1], b.hi[2] - b.lo[2]));
    if (values.camera) {
      const c = numbers(values.camera, 'camera', 6);
      eye = c.slice(0, 3);
      target = c.slice(3);
    } else if (values.eye && values.target) {
      eye = numbers(values.eye, 'eye', 3);
      target = numbers(values.target, 'target', 3);
    } else {
      // Framing view from the front-right and above, as `ote render` frames scenes.
      target = [0, 1, 2].map((a) => (b.lo[a] + b.hi[a]) / 2);
      const dist = radius / Math.sin(fov / 2),
        d = [0.55, 0.45, 0.7],
        l = Math.hypot(...d);
      eye = target.map((t, a) => t + (d[a] / l) * dist);
    }
    const dist = Math.hypot(eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]);
    const view: View = {
      cameraToWorld: lookAt(eye as [number, number, number], target as [number, number, number]),
      yfov: fov,
      width,
      height,
      znear: Math.max(1e-6, dist * 1e-3),
      zfar: dist + 100 * radius,
    };
    const t1 = performance.now();
    const frame = await renderSplats(model, splatCamera(view), {
      background: bg,
      backend,
      shDegree: sh,
      signal: ctx.signal,
      onProgress: (f) => progress.update('render', f),
    });
    progress.done('render');
    const t2 = performance.now();
    // With --background the picture is composited and opaque; without it, alpha is coverage (a transparent PNG).
    if (values.background) for (let i = 3; i < frame.image.data.length; i += 4) frame.image.data[i] = 1;
    await writeFileAtomic(values.out, encodePng({ width, height, bitDepth: 8, data: displayToRgba8(frame.image) }));
    const report = {
      file,
      out: values.out,
      gaussians: model.count,
      width,
      height,
      eye,
      target,
      loadSeconds: (t1 - t0) / 1000,
      renderMs: t2 - t1,
      stats: frame.stats,
    };
    if (values.json) ctx.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else
      ctx.stdout(
        `${values.out}: ${model.count.toLocaleString('en-US')} Gaussians at ${width}x${height} on ${frame.stats.backend}, ` +
          `render ${(t2 - t1).toFixed(1)} ms (project ${frame.stats.projectMs.toFixed(1)}, sort ${frame.stats.sortMs.toFixed(1)}, raster ${frame.stats.rasterMs.toFixed(1)})\n`,
      );
    return 0;
  },
};
