/**
 * `ote bake scene.glb -o out.glb`: lightmap UVs, path-traced lightmaps, glTF with MOZ_lightmap (or unlit) out.
 * Every output (the glTF and, with --hdr, one float EXR and one RGBM PNG per page) is written atomically together:
 * a failed or cancelled bake leaves nothing behind.
 */
import { basename, dirname, extname, join } from 'node:path';
import { guessSceneUnits } from '../../analyze/units.js';
import { bakeScene, BAKE_DEFAULTS, type BakeOptions } from '../../bake/bake.js';
import { encodeLightmapPages } from '../../bake/pages.js';
import { describeTwoSided } from '../../bake/two-sided.js';
import { applyLightmaps } from '../../bake/writeback.js';
import { DEFAULT_TEXELS_PER_METER } from '../../bake/uv.js';
import { writeFilesAtomic } from '../../io/atomic-write.js';
import { importGltf } from '../../io/gltf-read.js';
import { sceneToGlb, sceneToDocument } from '../../io/gltf-write.js';
import { gltfIO } from '../../io/gltf-io.js';
import type { Sky } from '../../native/transport-inputs.js';
import { defaultMemoryBudget } from '../memory.js';
import { loadProfile } from '../profile-file.js';
import type { Profile } from '../../plan/profile.js';
import { viewEye } from '../../scene/view.js';
import { numberFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { Progress } from '../progress.js';

function skyFlag(v: string | undefined): Sky | undefined {
  if (v === undefined || v === 'none') return v === 'none' ? { type: 'none' } : undefined;
  const rgb = (s: string) => {
    const c = s.split(',').map(Number);
    if (c.length !== 3 || c.some((x) => !(x >= 0) || !Number.isFinite(x)))
      throw new UsageError(`--sky: "${s}" is not r,g,b with components >= 0`);
    return c as [number, number, number];
  };
  const [kind, ...rest] = v.split(':');
  if (kind === 'constant' && rest.length === 1) return { type: 'constant', color: rgb(rest[0]) };
  if (kind === 'gradient' && rest.length === 1) {
    const parts = rest[0].split('/');
    if (parts.length !== 3) throw new UsageError('--sky gradient:zr,zg,zb/hr,hg,hb/gr,gg,gb');
    return { type: 'gradient', zenith: rgb(parts[0]), horizon: rgb(parts[1]), ground: rgb(parts[2]) };
  }
  throw new UsageError(`--sky must be none, constant:r,g,b or gradient:zenith/horizon/ground, got "${v}"`);
}

export const bakeCommand: Command = {
  name: 'bake',
  summary: 'bake path-traced lightmaps (direct, indirect, AO) into a glTF with UV1 and MOZ_lightmap',
  usage:
    'ote bake <scene.glb|scene.gltf> -o out.glb [--profile NAME|file.json] [--texels-per-meter N] [--max-page N] [--samples N] [--noise-threshold F] ' +
    '[--bounces N] [--no-denoise] [--no-gather] [--seed N] [--sky none|constant:r,g,b|gradient:z/h/g] [--unlit] [--hdr] [--backend auto|cpu|cuda] [--json]',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      out: { type: 'string', short: 'o' },
      profile: { type: 'string' },
      'texels-per-meter': { type: 'string' },
      'max-page': { type: 'string' },
      samples: { type: 'string' },
      'noise-threshold': { type: 'string' },
      bounces: { type: 'string' },
      'no-denoise': { type: 'boolean' },
      'no-gather': { type: 'boolean' },
      seed: { type: 'string' },
      sky: { type: 'string' },
      unlit: { type: 'boolean' },
      hdr: { type: 'boolean' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    });
    const file = requirePositional(positionals, 0, 'scene file');
    if (!values.out) throw new UsageError('missing -o <out.glb|out.gltf>');
    if (!/\.(glb|gltf)$/i.test(values.out)) throw new UsageError(`-o ${values.out}: output must be .glb or .gltf`);
    const backend = values.backend ?? 'auto';
    if (!['auto', 'cpu', 'cuda'].includes(backend))
      throw new UsageError(`--backend must be auto, cpu or cuda, got "${backend}"`);
    // The same profiles as `ote optimize` (a built-in name or a TD's file); flags override the profile's bake block.
    const bake: Partial<Profile['bake']> = values.profile ? (await loadProfile(values.profile)).bake : {};
    const opts: BakeOptions = {
      texelsPerMeter: numberFlag(
        values['texels-per-meter'],
        'texels-per-meter',
        bake.texelsPerMeter ?? DEFAULT_TEXELS_PER_METER,
        { above: 0 },
      ),
      maxPageSize: numberFlag(values['max-page'], 'max-page', bake.maxPageSize ?? 1024, {
        int: true,
        min: 16,
        max: 16384,
      }),
      samples: numberFlag(values.samples, 'samples', bake.samples ?? BAKE_DEFAULTS.samples, { int: true, min: 1 }),
      noiseThreshold: numberFlag(
        values['noise-threshold'],
        'noise-threshold',
        bake.noiseThreshold ?? BAKE_DEFAULTS.noiseThreshold,
        { min: 0, max: 1 },
      ),
      bounces: numberFlag(values.bounces, 'bounces', bake.bounces ?? BAKE_DEFAULTS.bounces, { int: true, min: 0 }),
      seed: numberFlag(values.seed, 'seed', BAKE_DEFAULTS.seed, { int: true, min: 0 }),
      denoise: values['no-denoise'] ? false : (bake.denoise ?? true),
      finalGather: values['no-gather'] ? false : bake.finalGather,
      sky: skyFlag(values.sky),
      targetSeconds: bake.targetSeconds,
      twoSided: bake.twoSided,
      backend: backend as 'auto' | 'cpu' | 'cuda',
    };

    const progress = Progress.for(!!values.json);
    const { scene, warnings } = await importGltf(file, { memoryBudgetBytes: defaultMemoryBudget() });
    // Texels per metre mean little in a scene authored in cm or mm: say so before a long bake.
    const units = guessSceneUnits(scene);
    if (units.warning) warnings.push(`units: ${units.warning}`);
    const t0 = performance.now();
    let texels = 0;
    // Base-colour and emissive textures colour the bake; those that cannot be decoded fall back to the factor.
    const { decodeSceneTextures } = await import('../../io/textures.js');
    // (Undecodable ones that a material binds are reported by the bake as `untextured`; others do not matter.)
    const decoded = await decodeSceneTextures(scene);
    // Double-sided surfaces bake the face a viewer sees, or both faces as two copies where both are seen: from the
    // scene's cameras, or the views `ote optimize` plans (planned only where some material is double-sided).
    const { planSceneViews } = await import('../../render/views.js');
    const viewpoints = scene.materials.some((m) => m.doubleSided)
      ? (await planSceneViews(scene, { count: 3, width: 256, signal: ctx.signal })).views.map(viewEye)
      : undefined;
    const result = await bakeScene(scene, {
      ...opts,
      signal: ctx.signal,
      textures: decoded.textures,
      viewpoints,
      onAtlas: (atlas) => {
        texels = atlas.objects.reduce((s, o) => s + o.texels, 0);
      },
      onProgress: (f) => {
        // Fractions past 5% are texel-samples traced over the most the bake can take (early stops shrink it).
        const elapsed = (performance.now() - t0) / 1000;
        const traced = Math.max(0, Math.min(1, (f - 0.05) / 0.9));
        const eta = f > 0.06 && f < 1 ? `, ETA ${((elapsed / f) * (1 - f)).toFixed(0)} s` : '';
        const detail = texels
          ? `${texels.toLocaleString('en-US')} texels, ~${Math.round(traced * opts.samples!)}/${opts.samples} samples${eta}`
          : 'lightmap UVs';
        progress.update('bake', f, detail);
      },
    });
    warnings.push(
      ...result.untextured.map((u) => `bake: ${u}; the colour factor is used`),
      ...result.warnings.map((w) => `bake: ${w}`),
    );
    progress.done(
      'bake',
      `${result.stats.texels.toLocaleString('en-US')} texels, ${result.stats.samplesPerTexel.toFixed(0)} samples/texel on average`,
    );

    progress.update('encode', 0);
    const stem = join(dirname(values.out), basename(values.out, extname(values.out)));
    const files: { path: string; data: Uint8Array }[] = [];
    const { encoded, sideFiles } = encodeLightmapPages(result.pages, stem, {
      unlit: !!values.unlit,
      hdr: !!values.hdr || bake.encoding === 'hdr',
      onPage: (i) => progress.update('encode', (i + 1) / result.pages.length),
    });
    for (const f of sideFiles) files.push({ path: f.name, data: f.data });
    const baked = applyLightmaps(result.scene, result.layout, encoded, { unlit: !!values.unlit });
    if (/\.glb$/i.test(values.out)) files.push({ path: values.out, data: await sceneToGlb(baked) });
    else {
      // Same layout as io/gltf-write.ts exportGltf, but written in one atomic batch with the HDR side files.
      const io = await gltfIO();
      const doc = sceneToDocument(baked);
      const s = basename(values.out, extname(values.out));
      doc.getRoot().listBuffers()[0]?.setURI(`${s}.bin`);
      doc
        .getRoot()
        .listTextures()
        .forEach((t, i) =>
          t.setURI(`${s}_${i}.${t.getMimeType() === 'image/jpeg' ? 'jpg' : t.getMimeType().split('/')[1] || 'bin'}`),
        );
      const { json, resources } = await io.writeJSON(doc);
      files.push({ path: values.out, data: new TextEncoder().encode(JSON.stringify(json, null, 2)) });
      for (const [name, bytes] of Object.entries(resources))
        files.push({ path: join(dirname(values.out), name), data: bytes });
    }
    await writeFilesAtomic(files);
    progress.done('encode');

    const report = {
      file,
      out: values.out,
      files: files.map((f) => f.path),
      warnings,
      pages: result.atlas.pages,
      charts: result.atlas.chartCount,
      overlaps: result.atlas.overlaps,
      texelBudget: result.atlas.texelBudget,
      pageTexels: result.atlas.pageTexels,
      densityScale: result.atlas.densityScale,
      twoSided: result.twoSided.filter((x) => x.split).map(({ name, front, back }) => ({ name, front, back })),
      objects: result.atlas.objects.map(
        ({
          name,
          charts,
          utilization,
          maxStretch,
          overlaps,
          texelsPerMeter,
          requestedTexelsPerMeter,
          scale,
          keptUv1,
          primitivePages,
        }) => ({
          name,
          charts,
          utilization,
          maxStretch,
          overlaps,
          texelsPerMeter,
          requestedTexelsPerMeter,
          scale,
          keptUv1,
          pages: [...new Set(primitivePages)],
        }),
      ),
      stats: result.stats,
      finalGather: result.finalGather,
      texelSamplesPerSecond: result.stats.texelSamples / Math.max(1e-9, result.stats.traceSeconds),
      raysPerSecond: result.stats.rays / Math.max(1e-9, result.stats.traceSeconds),
    };
    if (values.json) ctx.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else {
      for (const w of warnings) ctx.stderr(`warning: ${w}\n`);
      for (const x of result.twoSided) if (x.split) ctx.stdout(`${describeTwoSided(x)}\n`);
      ctx.stdout(
        `${values.out}: ${result.pages.length} lightmap page(s) ${result.atlas.pages.map((p) => `${p.width}x${p.height}`).join(', ')}, ` +
          `${result.atlas.chartCount} charts, ${result.stats.texels.toLocaleString('en-US')} texels, ${result.stats.samplesPerTexel.toFixed(0)} samples/texel` +
          (result.finalGather
            ? ` gathered from a ${result.finalGather.firstSamples}-sample first pass (${result.finalGather.firstSeconds.toFixed(1)} s)`
            : '') +
          ', ' +
          `${(report.raysPerSecond / 1e6).toFixed(2)} Mrays/s (${result.stats.backend}), ${(result.stats.totalMilliseconds / 1000).toFixed(1)} s\n`,
      );
    }
    return 0;
  },
};
