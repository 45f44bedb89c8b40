/**
 * `ote render scene.glb -o view.png`: one view of a glTF scene. The ray-core modes (albedo, normals, ao, shaded,
 * depth) preview the scene; pathtrace and lightmapped run the baking pipeline's transport for reference images.
 */
import { OteError } from '../../errors.js';
import { toRgba8, type FloatImage } from '../../image/float-image.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { importGltf } from '../../io/gltf-read.js';
import { decodePng, encodePng } from '../../io/png.js';
import { RENDER_MODES, renderView, sceneBvh, type RenderMode } from '../../render/render-view.js';
import { diagonal, sceneBounds } from '../../scene/bounds.js';
import { framingView, lookAt, viewFromSceneCamera, type View } from '../../scene/view.js';
import type { Scene } from '../../scene/types.js';
import { defaultMemoryBudget } from '../memory.js';
import { IMAGE_SIZE, numberFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { Progress } from '../progress.js';

function vec3Flag(v: string | undefined, name: string): [number, number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map(Number);
  if (parts.length !== 3 || !parts.every(Number.isFinite))
    throw new UsageError(`--${name} must be x,y,z (three numbers), got "${v}"`);
  return parts as [number, number, number];
}

/** The view the flags ask for: --eye/--target, else --camera N, else the scene's first camera, else a framing view. */
export function viewFromFlags(
  scene: Scene,
  f: { camera?: string; eye?: string; target?: string; fov?: string; width?: string; height?: string },
): View {
  const width = numberFlag(f.width, 'width', 512, IMAGE_SIZE);
  const heightFlag = f.height === undefined ? undefined : numberFlag(f.height, 'height', 512, IMAGE_SIZE);
  const eye = vec3Flag(f.eye, 'eye'),
    target = vec3Flag(f.target, 'target');
  const fovDeg = f.fov === undefined ? undefined : numberFlag(f.fov, 'fov', 50, { above: 0, below: 179 });
  if ((eye === undefined) !== (target === undefined)) throw new UsageError('--eye and --target go together');
  if (eye && f.camera !== undefined) throw new UsageError('use either --camera or --eye/--target, not both');
  let view: View;
  if (eye && target) {
    const size = Math.max(1e-3, diagonal(sceneBounds(scene)));
    const dist = Math.hypot(target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]);
    view = {
      cameraToWorld: lookAt(eye, target),
      yfov: ((fovDeg ?? 50) * Math.PI) / 180,
      width,
      height: heightFlag ?? width,
      znear: Math.max(1e-6, Math.min(dist, size) * 1e-4),
      zfar: Infinity,
    };
  } else if (f.camera !== undefined) {
    const index = numberFlag(f.camera, 'camera', 0, { int: true, min: 0 });
    const v = viewFromSceneCamera(scene, index, width);
    if (!v)
      throw new UsageError(
        `--camera ${index}: the scene has ${scene.cameras.length} camera(s)${scene.cameras[index] ? ' and this one is not a perspective camera placed by a node' : ''}`,
      );
    view = v;
  } else {
    view = viewFromSceneCamera(scene, 0, width) ?? framingView(scene, width, heightFlag ?? width);
  }
  if (heightFlag !== undefined) view = { ...view, height: heightFlag };
  if (fovDeg !== undefined) view = { ...view, yfov: (fovDeg * Math.PI) / 180 };
  return view;
}

/** Depth images are normalised to [0, 1] over the covered pixels so that the PNG shows something. */
function normaliseDepth(img: FloatImage): void {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < img.width * img.height; i++)
    if (img.data[i * 4 + 3] > 0) {
      lo = Math.min(lo, img.data[i * 4]);
      hi = Math.max(hi, img.data[i * 4]);
    }
  const k = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < img.width * img.height; i++)
    for (let c = 0; c < 3; c++) img.data[i * 4 + c] = img.data[i * 4 + 3] > 0 ? 1 - (img.data[i * 4 + c] - lo) * k : 0;
}

/** The modes of `ote render` that run the baking pipeline's transport rather than the ray-core preview. */
const REFERENCE_MODES = ['pathtrace', 'lightmapped'] as const;

/**
 * `ote render --mode pathtrace|lightmapped`: path-traced ground truth, or the scene lit only by its MOZ_lightmap
 * textures (decoded from the file), with the same camera samples. Writes a tone-mapped (ACES) PNG atomically.
 */
async function renderReferenceMode(
  scene: Scene,
  view: View,
  mode: (typeof REFERENCE_MODES)[number],
  o: { spp?: number; seed: number; out: string; json: boolean; bounces?: number },
  ctx: CommandContext,
): Promise<number> {
  const { renderPathtraced } = await import('../../render/pathtrace.js');
  const { renderLightmapped } = await import('../../render/lightmapped.js');
  const { lightmapsFromScene } = await import('../../render/scene-lightmaps.js');
  const progress = Progress.for(o.json);
  const t0 = performance.now();
  let img: FloatImage;
  if (mode === 'pathtrace') {
    const { decodeSceneTextures } = await import('../../io/textures.js');
    const { textures } = await decodeSceneTextures(scene);
    img = await renderPathtraced(scene, view, {
      textures,
      spp: o.spp ?? 256,
      seed: o.seed,
      bounces: o.bounces,
      signal: ctx.signal,
      onProgress: (f) => progress.update('pathtrace', f),
    });
  } else {
    const { layout, pages } = lightmapsFromScene(scene, (t) => {
      if (t.mimeType !== 'image/png')
        throw new OteError(
          'BAD_INPUT',
          `lightmap texture "${t.name}" is ${t.mimeType}; only PNG lightmaps can be read back`,
          { file: scene.source },
        );
      const png = decodePng(t.image);
      const max = png.bitDepth === 16 ? 65535 : 255;
      const data = new Float32Array(png.width * png.height * 4);
      for (let k = 0; k < data.length; k++) data[k] = png.data[k] / max;
      return { width: png.width, height: png.height, data };
    });
    if (!pages.length)
      throw new OteError(
        'BAD_INPUT',
        'the scene has no MOZ_lightmap materials with UV1 to render from; bake it first (ote bake)',
        { file: scene.source },
      );
    const { decodeSceneTextures } = await import('../../io/textures.js');
    const { textures } = await decodeSceneTextures(scene);
    img = await renderLightmapped(scene, layout, pages, view, {
      textures,
      spp: o.spp ?? 16,
      seed: o.seed,
      signal: ctx.signal,
      onProgress: (f) => progress.update('lightmapped', f),
    });
  }
  progress.done(mode);
  await writeFileAtomic(
    o.out,
    encodePng({ width: img.width, height: img.height, bitDepth: 8, data: toRgba8(img, { toneMap: 'aces' }) }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (o.json)
    ctx.stdout(`${JSON.stringify({ out: o.out, mode, width: img.width, height: img.height, seconds }, null, 2)}\n`);
  else ctx.stdout(`${o.out}: ${mode} ${img.width}x${img.height}, ${seconds.toFixed(2)} s\n`);
  return 0;
}

export const renderCommand: Command = {
  name: 'render',
  summary:
    'render a view of a glTF scene with the native ray tracer (albedo, normals, ambient occlusion, shaded, depth)',
  usage:
    'ote render <scene.glb|scene.gltf> [--camera N | --eye x,y,z --target x,y,z] [--fov deg] [--width W] [--height H] ' +
    '[--mode albedo|normals|ao|shaded|depth|pathtrace|lightmapped] [--spp N] [--ao-samples N] [--seed N] [--background r,g,b] [--backend auto|cpu|cuda] [--json] -o out.png',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      out: { type: 'string', short: 'o' },
      camera: { type: 'string' },
      eye: { type: 'string' },
      target: { type: 'string' },
      fov: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      mode: { type: 'string' },
      spp: { type: 'string' },
      'ao-samples': { type: 'string' },
      seed: { type: 'string' },
      background: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    });
    const file = requirePositional(positionals, 0, 'scene file');
    if (!values.out) throw new UsageError('missing -o <out.png>');
    if (!/\.png$/i.test(values.out)) throw new UsageError(`-o ${values.out}: only .png output is supported`);
    const mode = (values.mode ?? 'shaded') as RenderMode;
    const reference = (REFERENCE_MODES as readonly string[]).includes(mode);
    if (!RENDER_MODES.includes(mode) && !reference)
      throw new UsageError(
        `--mode must be one of ${[...RENDER_MODES, ...REFERENCE_MODES].join(', ')}, got "${values.mode}"`,
      );
    const backend = values.backend ?? 'auto';
    if (!['auto', 'cpu', 'cuda'].includes(backend))
      throw new UsageError(`--backend must be auto, cpu or cuda, got "${backend}"`);
    const spp = numberFlag(values.spp, 'spp', mode === 'ao' || mode === 'shaded' ? 4 : 1, {
      int: true,
      min: 1,
      max: 4096,
    });
    const aoSamples =
      values['ao-samples'] === undefined
        ? undefined
        : numberFlag(values['ao-samples'], 'ao-samples', 8, { int: true, min: 0, max: 1024 });
    const seed = numberFlag(values.seed, 'seed', 0, { int: true, min: 0 });
    const bg = vec3Flag(values.background, 'background');

    const progress = Progress.for(!!values.json);
    const t0 = performance.now();
    const { scene, warnings } = await importGltf(file, { memoryBudgetBytes: defaultMemoryBudget() });
    const view = viewFromFlags(scene, values);
    if (reference)
      return renderReferenceMode(
        scene,
        view,
        mode as (typeof REFERENCE_MODES)[number],
        { spp: values.spp === undefined ? undefined : spp, seed, out: values.out, json: !!values.json },
        ctx,
      );
    progress.update('bvh', 0);
    const bvh = await sceneBvh(scene, { signal: ctx.signal, onProgress: (f) => progress.update('bvh', f) });
    progress.done('bvh');
    const t1 = performance.now();
    const img = await renderView(scene, view, {
      mode,
      spp,
      aoSamples,
      seed,
      backend: backend as 'auto' | 'cpu' | 'cuda',
      bvh,
      signal: ctx.signal,
      background: bg ? [...bg, 1] : undefined,
      onProgress: (f) => progress.update('render', f),
    });
    progress.done('render');
    const t2 = performance.now();
    if (mode === 'depth') normaliseDepth(img);
    await writeFileAtomic(
      values.out,
      encodePng({ width: img.width, height: img.height, bitDepth: 8, data: toRgba8(img) }),
    );
    const report = {
      file,
      out: values.out,
      mode,
      width: img.width,
      height: img.height,
      spp,
      camera: values.eye
        ? 'eye/target'
        : values.camera !== undefined
          ? `camera ${values.camera}`
          : viewFromSceneCamera(scene, 0)
            ? 'camera 0'
            : 'framing view',
      triangles: bvh.stats.instancedTriangles,
      degenerateTriangles: bvh.stats.degenerateTriangles,
      bvhSeconds: (t1 - t0) / 1000,
      renderSeconds: (t2 - t1) / 1000,
      warnings,
    };
    if (values.json) ctx.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else
      ctx.stdout(
        `${values.out}: ${mode} ${img.width}x${img.height}, ${spp} spp, ${report.camera}, ${report.triangles.toLocaleString('en-US')} triangles; ` +
          `load+BVH ${report.bvhSeconds.toFixed(2)} s, render ${report.renderSeconds.toFixed(2)} s\n`,
      );
    return 0;
  },
};
