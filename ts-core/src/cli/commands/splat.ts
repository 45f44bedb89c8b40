/**
 * `ote splat`: meshes to Gaussian splats. Direct conversion first (seconds); with --iters, training against
 * renders of the lit scene from cameras placed around (and, with --inside, within) its bounds, capped at --budget.
 */
import { importGltf } from '../../io/gltf-read.js';
import { saveSplats, splatFormatOf } from '../../io/splat-formats.js';
import { decodeSceneTextures } from '../../io/textures.js';
import { fmtBytes } from '../../io/gltf-container.js';
import { toDisplayImage } from '../../image/float-image.js';
import { renderSplats } from '../../native/splat.js';
import { renderView, sceneBvh } from '../../render/render-view.js';
import { sceneBounds, isEmpty } from '../../scene/bounds.js';
import { splatCamera } from '../../native/splat-camera.js';
import { convertScene } from '../../splat/convert.js';
import { modelBytes } from '../../scene/gaussians.js';
import { placeCameras, trainSplats, type TrainingView } from '../../splat/train.js';
import { OteError } from '../../errors.js';
import { defaultMemoryBudget } from '../memory.js';
import { numberFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { Progress } from '../progress.js';

export const splatCommand: Command = {
  name: 'splat',
  summary: 'convert a glTF scene to 3D Gaussian splats (direct conversion, optionally trained) as .ply, .splat or .spz',
  usage:
    'ote splat <scene.glb|scene.gltf> -o out.ply|out.splat|out.spz [--budget N] [--iters N] [--views N] [--size W] ' +
    '[--sh 0..3] [--inside F] [--nodes i,j,...] [--seed N] [--backend auto|cpu|cuda] [--json]',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      out: { type: 'string', short: 'o' },
      budget: { type: 'string' },
      iters: { type: 'string' },
      views: { type: 'string' },
      size: { type: 'string' },
      sh: { type: 'string' },
      inside: { type: 'string' },
      nodes: { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    });
    const file = requirePositional(positionals, 0, 'scene file');
    if (!values.out) throw new UsageError('missing -o <out.ply|out.splat|out.spz>');
    try {
      splatFormatOf(values.out);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const budget = numberFlag(values.budget, 'budget', 200_000, { int: true, min: 1, max: 50_000_000 });
    const iters = numberFlag(values.iters, 'iters', 0, { int: true, min: 0, max: 1_000_000 });
    const nViews = numberFlag(values.views, 'views', 32, { int: true, min: 2, max: 10_000 });
    const size = numberFlag(values.size, 'size', 256, { int: true, min: 16, max: 4096 });
    const sh = numberFlag(values.sh, 'sh', iters > 0 ? 3 : 0, { int: true, min: 0, max: 3 });
    const inside = numberFlag(values.inside, 'inside', 0, { min: 0, max: 1 });
    const seed = numberFlag(values.seed, 'seed', 1, { int: true, min: 0, max: 2 ** 31 });
    const backend = (values.backend ?? 'auto') as 'auto' | 'cpu' | 'cuda';
    if (!['auto', 'cpu', 'cuda'].includes(backend))
      throw new UsageError(`--backend must be auto, cpu or cuda, got "${values.backend}"`);

    const progress = Progress.for(!!values.json);
    const t0 = performance.now();
    const { scene, warnings } = await importGltf(file, { memoryBudgetBytes: defaultMemoryBudget() });
    let nodes: number[] | undefined;
    if (values.nodes !== undefined) {
      nodes = values.nodes.split(',').map(Number);
      const bad = nodes.find((n) => !Number.isInteger(n) || !scene.nodes[n] || scene.nodes[n].mesh === undefined);
      if (bad !== undefined) throw new UsageError(`--nodes: node ${bad} does not exist or has no mesh`);
    }
    const bounds = sceneBounds(scene);
    if (isEmpty(bounds)) throw new OteError('BAD_INPUT', 'the scene draws no triangles', { file });
    const { textures, undecoded } = await decodeSceneTextures(scene);
    if (undecoded.length)
      warnings.push(
        `conversion uses material colour factors for ${undecoded.length} texture(s) it cannot decode: ${undecoded.slice(0, 3).join(', ')}${undecoded.length > 3 ? ', ...' : ''}`,
      );
    // Training starts sparse and densifies up to the budget; conversion alone spends the budget at once.
    const initBudget = iters > 0 ? Math.max(1, Math.floor(budget / 4)) : budget;
    progress.update('convert', 0);
    let model = convertScene(scene, {
      budget: initBudget,
      textures,
      seed,
      nodes,
      onProgress: (f) => progress.update('convert', f),
    });
    progress.done('convert', `${model.count.toLocaleString('en-US')} Gaussians`);
    const t1 = performance.now();

    let heldOutPsnr: number | undefined;
    if (iters > 0) {
      const bg: [number, number, number] = [0, 0, 0];
      const bvh = await sceneBvh(scene, { signal: ctx.signal });
      const render = async (views: ReturnType<typeof placeCameras>, stage: string): Promise<TrainingView[]> => {
        const out: TrainingView[] = [];
        for (const view of views) {
          out.push({
            view,
            // Splat colours are display values (scene/gaussians.ts): the shaded render through the display curve
            // at exposure 0, the one the conversion's colours went through.
            target: toDisplayImage(
              await renderView(scene, view, {
                mode: 'shaded',
                spp: 4,
                bvh,
                backend,
                signal: ctx.signal,
                background: [...bg, 1],
                seed,
              }),
              0,
            ),
          });
          progress.update(stage, out.length / views.length);
        }
        progress.done(stage);
        return out;
      };
      const train = await render(
        placeCameras(bounds, { count: nViews, width: size, height: size, inside, seed: `train-${seed}` }),
        'targets',
      );
      const held = await render(
        placeCameras(bounds, { count: 2, width: size, height: size, inside, seed: `held-${seed}` }),
        'held-out',
      );
      const res = await trainSplats(model, train, {
        iterations: iters,
        maxGaussians: budget,
        shDegree: sh,
        background: bg,
        antialiased: true, // as Spark draws splats by default, and sharp at any distance (scene/gaussians.ts)
        seed,
        backend,
        signal: ctx.signal,
        onProgress: (p) =>
          progress.update(
            'train',
            p.iteration / p.iterations,
            `loss ${p.loss.toFixed(4)}, ${p.count.toLocaleString('en-US')} Gaussians`,
          ),
      });
      progress.done('train');
      model = res.model;
      let sum = 0;
      for (const v of held) {
        const img = (await renderSplats(model, splatCamera(v.view), { background: bg, backend, signal: ctx.signal }))
          .image;
        let e = 0;
        for (let i = 0; i < img.data.length; i++) if (i % 4 !== 3) e += (img.data[i] - v.target.data[i]) ** 2;
        sum += 10 * Math.log10(1 / Math.max(1e-12, e / (img.width * img.height * 3)));
      }
      heldOutPsnr = sum / held.length;
    }
    const t2 = performance.now();
    const bytes = await saveSplats(model, values.out);
    const report = {
      file,
      out: values.out,
      gaussians: model.count,
      shDegree: model.shDegree,
      fileBytes: bytes,
      memoryBytes: modelBytes(model),
      convertSeconds: (t1 - t0) / 1000,
      trainSeconds: (t2 - t1) / 1000,
      iterations: iters,
      heldOutPsnr,
      warnings,
    };
    if (values.json) ctx.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else {
      for (const w of warnings) ctx.stderr(`warning: ${w}\n`);
      ctx.stdout(
        `${values.out}: ${model.count.toLocaleString('en-US')} Gaussians (SH ${model.shDegree}), ${fmtBytes(bytes)}; load+convert ${report.convertSeconds.toFixed(2)} s` +
          (iters > 0
            ? `, ${iters} iterations in ${report.trainSeconds.toFixed(1)} s, held-out PSNR ${heldOutPsnr!.toFixed(2)} dB`
            : '') +
          '\n',
      );
    }
    return 0;
  },
};
