/**
 * `ote optimize`: import → measure → analyze → plan → bake and splat jobs → outputs → verification → report.
 * Everything is written into a staging directory that replaces the output directory only at the end, so a failed
 * or cancelled run leaves it as it was. A finished run is cached by the content hash of its inputs, so running
 * again on an unchanged scene and profile copies the cached result.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeScene, type SceneAnalysis } from '../analyze/analyze.js';
import { bakeScene } from '../bake/bake.js';
import { encodeLightmapPages } from '../bake/pages.js';
import { applyLightmaps } from '../bake/writeback.js';
import { OteError } from '../errors.js';
import { heatmap } from '../image/heatmap.js';
import type { FloatImage } from '../image/float-image.js';
import { autoExposure, display, halve, isUninformative } from '../image/display.js';
import { importGltf } from '../io/gltf-read.js';
import { sceneToGlb } from '../io/gltf-write.js';
import { encodePng } from '../io/png.js';
import { encodeSplats } from '../io/splat-formats.js';
import { decodeSceneTextures } from '../io/textures.js';
import { computeMetrics } from '../metrics/compute.js';
import { measureTriangles } from '../native/measure.js';
import type { Backend } from '../native/addon.js';
import { hashScene } from '../scene/hash.js';
import type { Profile } from '../plan/profile.js';
import { planScene, type Plan } from '../plan/router.js';
import { renderPathtraced } from '../render/pathtrace.js';
import { renderLightmapped } from '../render/lightmapped.js';
import { estimateCost } from '../report/cost.js';
import { renderReportHtml } from '../report/html.js';
import type { MetricSummary, OptimizeReport } from '../report/types.js';
import { flattenScene } from '../scene/flatten.js';
import { guessSceneUnits } from '../analyze/units.js';
import { viewEye, type View } from '../scene/view.js';
import { planSceneViews } from '../render/views.js';
import { renderView as renderPreview } from '../render/render-view.js';
import { environmentSettings } from '../plan/profile.js';
import { resolveEnvironment, withEnvironmentSun, type Environment } from '../plan/environment.js';
import { settleBakedLights } from '../bake/baked-lights.js';
import { PSNR_CAP } from '../trust/types.js';
import { errorByObject, flagBlackObjects, objectCells } from './black-objects.js';
import { BUILTIN_PROFILES } from '../plan/profile.js';
import type { Scene } from '../scene/types.js';
import { convertScene } from '../splat/convert.js';
import { startEmbeddedTrust, type EmbeddedTrust } from '../trust/embedded.js';
import { TrustClient } from '../trust/client.js';
import type { Certificate } from '../trust/certificate.js';
import type { ArtifactKind, RenderSpec } from '../trust/types.js';
import { cacheKey, ResultCache } from './cache.js';
import { compositeByDepth } from '../render/composite.js';
import { decodeLightmappedGltf, renderLightmappedGltf } from '../render/lightmapped-gltf.js';
import { renderSplats } from '../native/splat.js';
import { splatCamera } from '../native/splat-camera.js';
import type { GaussianModel } from '../scene/gaussians.js';
import { trainObjectSplats } from '../splat/object.js';
import { gltfIO } from '../io/gltf-io.js';
import { isGlbBytes } from '../io/gltf-container.js';
import { documentToScene } from '../io/gltf-read.js';
import type { SplatChoice } from '../report/types.js';
import { StagedDirectory } from './staging.js';

export const TOOL_VERSION = 'ote 0.2.0';

/**
 * Deterministic cap on splat training work, in Gaussian-iterations: the profile's iterations are cut to
 * SPLAT_WORK_BOUND / (Gaussians trained), never to what a timer says, so two runs give the same splats on any
 * machine. Training views are 128 px, so at most 16,384 Gaussians are trained: 244 iterations, ~10 s on 2 loaded cores.
 */
export const SPLAT_WORK_BOUND = 4_000_000;
/** Samples per pixel of the path-traced splat training targets (128 px views; noise averages out over views). */
const SPLAT_TARGET_SPP = 16;
/** The report's previews: views planned (render/views.ts), their width (16:9 unless the camera says otherwise). */
const PREVIEW_VIEWS = 3;
const PREVIEW_WIDTH = 768;
/**
 * Samples per pixel of the path-traced reference, whatever the profile: it judges the bake, so its own noise must
 * not dominate the metrics. Compared after a 4×4 box filter that is 2,048 paths per compared pixel; two such
 * references of the Cornell box agree at SSIM 0.977.
 */
export const REFERENCE_SPP = 128;
/**
 * Camera samples per pixel of the shipped glTF's render (anti-aliasing only: the lightmap holds the light). Thin
 * geometry (ivy leaves, rigging) needs them: at 16 the edges alone cost the ivy 0.5 dB against the 128-spp reference.
 */
const AFTER_SPP = 64;
/** How long verification may take before the run gives up (exit 8): 30 minutes. */
const VERIFY_TIMEOUT_MS = 30 * 60_000;
/** Objects black in the reference over non-black materials (black-objects.ts) fail the own check past this share of the view. */
const BLACK_OBJECTS_SHARE = 0.05;

/** The iterations `ote optimize` trains: the override, else the profile's capped by the work bound. */
export function splatIterations(profile: Profile, override?: number): number {
  if (override !== undefined) return Math.max(0, Math.floor(override));
  const trained = Math.max(1, Math.min(profile.splat.budget, 128 * 128));
  return Math.max(1, Math.min(profile.splat.iterations, Math.floor(SPLAT_WORK_BOUND / trained)));
}

export type OptimizeEvent =
  | { type: 'stage'; stage: string; fraction: number; detail?: string }
  | { type: 'log'; message: string };

export interface OptimizeOptions {
  input: string;
  outDir: string;
  profile: Profile;
  profileSource: string;
  /** A running Trust Engine; without it an embedded engine and 3 local nodes are started. */
  engine?: { url: string; apiKey: { id: string; secret: string } };
  /** Skip verification (the report says so and the exit code cannot be 0 for a verified pass). */
  noVerify?: boolean;
  cache: ResultCache;
  backend?: Backend;
  /** Splat training iterations, overriding the profile's capped by SPLAT_WORK_BOUND (0: ship the direct conversion). */
  splatIterations?: number;
  signal: AbortSignal;
  onEvent: (e: OptimizeEvent) => void;
}

export interface OptimizeResult {
  report: OptimizeReport;
  exitCode: number;
  cached: boolean;
  analysis?: SceneAnalysis;
  plan: Plan;
}

/** A shallow copy of the scene keeping, per node, only the primitives `keep` selects (meshes are copied per node). */
function filterPrimitives(scene: Scene, keep: (node: number) => number[] | 'all' | 'none'): Scene {
  const out: Scene = { ...scene, nodes: scene.nodes.map((n) => ({ ...n })), meshes: [...scene.meshes] };
  scene.nodes.forEach((n, i) => {
    if (n.mesh === undefined) return;
    const k = keep(i);
    if (k === 'all') return;
    if (k === 'none' || k.length === 0) { delete out.nodes[i].mesh; return; }
    out.meshes.push({ name: scene.meshes[n.mesh].name, primitives: k.map((p) => scene.meshes[n.mesh!].primitives[p]) });
    out.nodes[i].mesh = out.meshes.length - 1;
  });
  return out;
}

const ratio = (t0: number) => (performance.now() - t0) / 1000;

export async function optimize(o: OptimizeOptions): Promise<OptimizeResult> {
  const timings: OptimizeReport['timings'] = [];
  const stage = async <T>(name: string, device: 'cpu' | 'cuda', fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    o.onEvent({ type: 'stage', stage: name, fraction: 0 });
    const r = await fn();
    timings.push({ stage: name, seconds: ratio(t0), cached: false, device });
    o.onEvent({ type: 'stage', stage: name, fraction: 1 });
    return r;
  };
  const progress = (name: string) => (f: number) => o.onEvent({ type: 'stage', stage: name, fraction: f });

  const inputBytes = new Uint8Array(await readFile(o.input).catch((e) => { throw new OteError('BAD_INPUT', (e as Error).message, { file: o.input }); }));
  const { scene, warnings } = await stage('import', 'cpu', () => importGltf(o.input));
  // Scenes that bring no light are baked and judged under the profile's sky and sun (plan/environment.ts).
  const env = resolveEnvironment(scene, environmentSettings(o.profile));
  const lit = withEnvironmentSun(scene, env);
  // Scenes authored in centimetres or millimetres bake at the wrong density and soften their shadows: say so.
  const units = guessSceneUnits(scene);
  if (units.warning) { warnings.push(units.warning); o.onEvent({ type: 'log', message: units.warning }); }
  if (env) o.onEvent({ type: 'log', message: env.reason === 'default' ? 'the scene has no lights and no emissive surfaces: baking under the profile\'s default sky and sun' : 'the profile adds its sky and sun to the scene\'s own lights' });
  const sceneHash = hashScene(scene).scene;
  const key = cacheKey('optimize', { sceneHash, profile: o.profile, splatIterations: splatIterations(o.profile, o.splatIterations), verify: !o.noVerify, engine: o.engine?.url ?? 'embedded', tool: TOOL_VERSION });

  const staged = await StagedDirectory.create(o.outDir);
  try {
    const hit = await o.cache.get(key);
    if (hit) {
      await cp(hit, staged.path, { recursive: true, filter: (src) => !src.endsWith('.complete') });
      const report = JSON.parse(await readFile(join(staged.path, 'report.json'), 'utf8')) as OptimizeReport;
      await staged.commit();
      o.onEvent({ type: 'log', message: `reused the cached result for scene ${sceneHash.slice(0, 12)} and profile ${o.profile.name}` });
      return { report, exitCode: report.exit.code, cached: true, plan: report.plan };
    }

    const flat = flattenScene(scene);
    const measured = await stage('measure', 'cpu', () => measureTriangles(flat, { signal: o.signal, backend: o.backend, onProgress: progress('measure') }));
    const analysis = await stage('analyze', 'cpu', () => analyzeScene(scene, flat, measured));
    const plan = planScene(scene, analysis, o.profile);
    const decision = new Map(plan.decisions.map((d) => [d.node, d]));
    const outputs: OptimizeReport['outputs'] = { lightmaps: [], splats: [] };
    const files: { name: string; data: Uint8Array | string }[] = [];

    // Where a viewer would look (the scene's cameras, or views planned in its free space): the before/after and the
    // verifier's samples use them, and the bake gives double-sided surfaces the face these eyes see.
    const planned = await stage('views', 'cpu', () => planSceneViews(scene, { count: PREVIEW_VIEWS, width: PREVIEW_WIDTH, signal: o.signal }));
    const viewpoints = planned.views.map(viewEye);

    // Bake: the whole scene casts light and shadow; lightmaps are written on the objects routed to bake.
    // Without a bake the output keeps the scene's own lights (never the environment's sun).
    let outScene: Scene = scene;
    let lightmapReport: OptimizeReport['lightmap'];
    let lightsFate = { removed: [] as string[], kept: scene.lights.map((l) => l.name) };
    let bakedView: { render: (v: View) => Promise<FloatImage> } | undefined;
    const bakeNodes = plan.decisions.filter((d) => d.bakePrimitives.length);
    if (bakeNodes.length) {
      const objectTexelsPerMeter = Object.fromEntries(bakeNodes.filter((d) => d.texelsPerMeter !== o.profile.bake.texelsPerMeter).map((d) => [d.name, d.texelsPerMeter]));
      // The profile's density is per metre. In a scene that reads as centimetres or millimetres, one unit is not a
      // metre, so the density per unit follows the likely unit (a TD's per-object densities are taken as written).
      const unitDensity = o.profile.bake.texelsPerMeter * units.scaleToMetres;
      if (units.warning) o.onEvent({ type: 'log', message: `lightmap density: ${o.profile.bake.texelsPerMeter} texels per metre is ${unitDensity.toPrecision(3)} per unit at the likely unit (${units.unit})` });
      const result = await stage('bake', 'cpu', () => bakeScene(lit, {
        texelsPerMeter: unitDensity, objectTexelsPerMeter, maxPageSize: o.profile.bake.maxPageSize,
        samples: o.profile.bake.samples, noiseThreshold: o.profile.bake.noiseThreshold, bounces: o.profile.bake.bounces, denoise: o.profile.bake.denoise, seed: 1, sky: env?.sky,
        targetSeconds: o.profile.bake.targetSeconds, viewpoints, backend: o.backend, signal: o.signal, onProgress: progress('bake'),
      }));
      lightmapReport = {
        texels: result.atlas.pageTexels, budget: result.atlas.texelBudget, warnings: result.atlas.warnings,
        objects: result.atlas.objects.map((x) => ({ name: x.name, requested: x.requestedTexelsPerMeter, effective: x.texelsPerMeter })),
        seconds: { uv: result.stats.uvMilliseconds / 1000, setup: result.stats.setupSeconds, trace: result.stats.traceSeconds, post: result.stats.postMilliseconds / 1000 },
        coveredTexels: result.stats.texels, samplesPerTexel: result.stats.samplesPerTexel, timeTarget: result.timeTarget,
      };
      for (const w of result.atlas.warnings) o.onEvent({ type: 'log', message: w });
      const { encoded, sideFiles } = encodeLightmapPages(result.pages, 'scene', { hdr: o.profile.bake.encoding === 'hdr' });
      outScene = applyLightmaps(result.scene, result.layout, encoded);
      for (const f of sideFiles) { files.push(f); outputs.lightmaps.push(f.name); }
      outputs.lightmaps.push(...encoded.map((_, i) => `scene.glb#lightmap${i}`));
      bakedView = { render: (v) => renderLightmapped(result.scene, result.layout, result.pages, v, { signal: o.signal }) };
    }

    // Splats: objects (or the cut-out primitives of hybrid objects) routed to 3DGS, converted directly from the surfaces.
    const splatNodes = plan.decisions.filter((d) => d.splatPrimitives.length);
    let splatJob: { reference: Scene; artifact: Uint8Array } | undefined;
    let splatChoice: SplatChoice | undefined;
    let splatModel: GaussianModel | undefined;
    if (splatNodes.length) {
      const splatScene = filterPrimitives(scene, (n) => decision.get(n)?.splatPrimitives ?? 'none');
      const splatLit = withEnvironmentSun(splatScene, env);
      const { textures } = await decodeSceneTextures(splatScene);
      const nodes = splatNodes.map((d) => d.node), iterations = splatIterations(o.profile, o.splatIterations);
      const model = await stage('splat', 'cpu', async () => {
        if (iterations === 0) {
          splatChoice = { kept: 'conversion', iterations: 0, targets: 'none', seconds: 0 };
          return convertScene(splatScene, { budget: o.profile.splat.budget, textures, seed: 1, nodes, onProgress: progress('splat') });
        }
        // Targets are path traced with the bake's transport (the objects alone, over black), so the splats learn
        // the lighting the before/after check and the verifier compare with; the direct conversion carries only
        // unlit material colours. Fixed iterations: no wall-clock planning, reproducible.
        const r = await trainObjectSplats(splatScene, {
          profile: o.profile.splat, nodes, textures, iterations, seed: 1, backend: o.backend, signal: o.signal,
          renderTarget: (v) => renderPathtraced(splatLit, v, { spp: SPLAT_TARGET_SPP, bounces: o.profile.bake.bounces, seed: 11, sky: env?.sky, signal: o.signal, backend: o.backend }),
          onProgress: (p) => o.onEvent({ type: 'stage', stage: 'splat', fraction: ({ targets: 0, convert: 0.2, train: 0.25, evaluate: 0.95 })[p.stage] + p.fraction * ({ targets: 0.2, convert: 0.05, train: 0.7, evaluate: 0.05 })[p.stage], detail: p.detail }),
        });
        const trainedWins = r.heldOutPsnr > r.conversionPsnr;
        splatChoice = {
          kept: trainedWins ? 'trained' : 'conversion', iterations: r.iterations, targets: 'pathtrace',
          heldOutPsnr: r.heldOutPsnr, conversionPsnr: r.conversionPsnr, gaussians: (trainedWins ? r.model : r.conversion).count, seconds: r.seconds.total,
        };
        o.onEvent({ type: 'log', message: `splats: kept the ${splatChoice.kept} model (held-out PSNR trained ${r.heldOutPsnr.toFixed(2)} dB vs conversion ${r.conversionPsnr.toFixed(2)} dB, ${r.iterations} iterations, ${r.seconds.total.toFixed(1)} s)` });
        return trainedWins ? r.model : r.conversion;
      });
      splatModel = model;
      const spz = encodeSplats(model, 'spz');
      files.push({ name: 'splats.ply', data: encodeSplats(model, 'ply') }, { name: 'splats.spz', data: spz });
      // Verified against the objects it replaces; the SPZ is what ships (the PLY carries the same Gaussians).
      splatJob = { reference: splatScene, artifact: spz };
      outputs.splats.push('splats.ply', 'splats.spz');
      // The optimized glTF keeps meshes only where they were not replaced by splats.
      const baseForMeshes = outScene;
      // The bake turns each instanced copy into a child node appended after the original nodes.
      const origin = (n: number) => (n < scene.nodes.length ? n : baseForMeshes.nodes[n].parent);
      outScene = filterPrimitives(baseForMeshes, (n) => {
        const d = decision.get(origin(n));
        if (!d || !d.splatPrimitives.length) return 'all';
        const prims = baseForMeshes.meshes[baseForMeshes.nodes[n].mesh!].primitives.map((_, i) => i);
        return prims.filter((i) => !d.splatPrimitives.includes(i));
      });
    }
    // Lights whose light is in the lightmaps leave the output, or stay marked for what is not lightmapped
    // (decided on what ships: splat objects are gone by now). Node indices change here, so this comes last.
    if (bakedView) {
      const settled = settleBakedLights(outScene);
      outScene = settled.scene;
      lightsFate = { removed: settled.removed, kept: settled.kept };
    }
    const optimizedGlb = await sceneToGlb(outScene);
    files.push({ name: 'scene.glb', data: optimizedGlb });
    outputs.scene = 'scene.glb';

    // Before/after where a viewer would look (the scene's camera, or a planned view), the producer's claimed
    // metrics, and the FLIP heatmap for the report.
    const images: OptimizeReport['images'] = [];
    const imageBytes: Record<string, Uint8Array> = {};
    let claimed: { psnr: number; ssim: number; flip: number } | undefined;
    const skipped: string[] = [];
    // A view whose reference shows nothing (black, or flat) is no evidence: the next planned view is tried.
    const chosen = await stage('reference', 'cpu', async () => {
      let last: { view: View; image: FloatImage; exposure: number } | undefined;
      for (const [i, v] of planned.views.entries()) {
        const image = await renderPathtraced(lit, v, { spp: REFERENCE_SPP, bounces: o.profile.bake.bounces, seed: 7, sky: env?.sky, signal: o.signal, backend: o.backend });
        last = { view: v, image, exposure: autoExposure(image) };
        if (!isUninformative(display(halve(image), { exposure: last.exposure }))) return { ...last, informative: true };
        skipped.push(`view ${i + 1} of ${planned.views.length} (${planned.kind}): the path-traced reference shows nothing (black or one flat colour)`);
      }
      return { ...last!, informative: false };
    });
    const { view, image: reference, exposure } = chosen;
    // Both sides are compared as displayed: exposed, tone mapped (ACES) and sRGB-encoded, the pixels the report shows.
    const png = (img: FloatImage) => encodePng(display(img, { exposure }));
    imageBytes['before.png'] = png(reference);
    images.push({ label: 'Reference (path traced)', file: 'before.png' });
    const cells = await objectCells(scene, view, { signal: o.signal });
    const blackObjects = chosen.informative ? await stage('cue', 'cpu', () => flagBlackObjects(lit, view, cells, reference, exposure, { signal: o.signal })) : [];
    let worstObjects: { name: string; mean: number; share: number }[] = [];
    if (bakedView || splatModel) {
      // The output as it ships: the optimized glTF (lightmapped where baked) with the splats composited by depth.
      const after = await stage('after', 'cpu', () => renderShipped(optimizedGlb, splatModel, view, env, o));
      imageBytes['after.png'] = png(after);
      images.push({ label: splatModel ? 'Optimized (lightmapped glTF + splats, composited by depth)' : 'Optimized (lightmapped)', file: 'after.png' });
      // Compared after a 4×4 box filter (192×108 of a 768×432 view): the path-traced reference keeps Monte Carlo
      // noise that is not the bake's error. Two independent 128-spp references of the Cornell box agree at SSIM 0.90
      // after a 2×2 filter and 0.977 after 4×4, so at 2×2 the noise alone would sink BALANCED's 0.95.
      const shrink = (img: FloatImage) => halve(halve(img));
      const m = await computeMetrics(display(shrink(reference), { exposure }), display(shrink(after), { exposure }), { metrics: ['psnr', 'ssimLuma', 'flip'], maps: ['flip'], signal: o.signal });
      // Identical images have an infinite PSNR; the report, like the verifier, caps it (PSNR_CAP).
      claimed = { psnr: Math.min(PSNR_CAP, m.psnr ?? PSNR_CAP), ssim: m.ssimLuma!, flip: m.flip! };
      if (m.maps?.flip) {
        worstObjects = errorByObject(scene, cells, m.maps.flip, 0.25).slice(0, 5);
        imageBytes['flip.png'] = encodePng(heatmap(m.maps.flip));
        images.push({ label: `FLIP error (mean ${m.flip!.toFixed(3)})`, file: 'flip.png' });
      }
    }
    for (const [name, data] of Object.entries(imageBytes)) files.push({ name, data });

    // Verification by the Trust Engine (embedded unless an engine is given).
    const q = o.profile.quality;
    let verification: OptimizeReport['verification'];
    let exit = { code: 0, reason: 'verified' };
    const blackShare = blackObjects.reduce((a, b) => a + b.share, 0);
    if (!chosen.informative)
      exit = { code: 6, reason: `nothing to judge: the path-traced reference is black or flat at every planned view (${planned.views.length}); is the scene lit? (${env ? 'the default sky and sun were used' : 'it has its own lights, so no default sky was added; set bake.environment.mode to "always"'})` };
    else if (blackShare >= BLACK_OBJECTS_SHARE)
      exit = { code: 6, reason: `the path tracer shows black where the materials are not (a bug or missing light, not a match): ${blackObjects.map((b) => `"${b.name}" ${(100 * b.share).toFixed(1)}% of the view`).join(', ')}` };
    else if (claimed && (claimed.psnr < q.psnr || claimed.ssim < q.ssim || claimed.flip > q.flip))
      exit = { code: 6, reason: `own check below the profile: PSNR ${claimed.psnr.toFixed(2)} (≥ ${q.psnr}), SSIM ${claimed.ssim.toFixed(4)} (≥ ${q.ssim}), FLIP ${claimed.flip.toFixed(4)} (≤ ${q.flip})` +
        `; most error on ${worstObjects.slice(0, 3).map((w) => `"${w.name}" (FLIP ${w.mean.toFixed(3)})`).join(', ') || 'no single object'}; ${suggestProfile(claimed)}` };
    if (o.noVerify) {
      verification = { verdict: 'skipped', reason: '--no-verify', metrics: {}, samples: 0, nodes: [], byzantine: [] };
      if (exit.code === 0) exit = { code: 0, reason: 'not verified (--no-verify)' };
    } else if (exit.code === 0) {
      const thresholds = { psnr: q.psnr, ssim: q.ssim, flip: q.flip };
      const complexity = analysis.objects.reduce((s, x) => Math.max(s, x.scores.complexity.value), 0);
      // The glTF is judged against the input without the objects that became splats (they are the splat job's).
      const gltfReference = splatJob ? await sceneToGlb(filterPrimitives(scene, (n) => {
        const d = decision.get(n);
        if (!d || !d.splatPrimitives.length) return 'all';
        return scene.meshes[scene.nodes[n].mesh!].primitives.map((_, i) => i).filter((i) => !d.splatPrimitives.includes(i));
      })) : isGlbBytes(inputBytes) ? inputBytes : await sceneToGlb(scene);  // a .gltf's JSON alone lacks its buffers and images
      // The nodes light the reference as the bake was lit, and expose both images as the own check did.
      const renderLight = { exposure, ...(env ? { environment: { sky: env.sky, ...(env.sun ? { sun: env.sun } : {}) } } : {}) };
      const jobs: VerifyJob[] = [{
        file: 'scene.glb', certificate: 'certificate.json', kind: 'lightmap-gltf', reference: gltfReference, artifact: optimizedGlb, claimed,
        // Baked lighting can only be judged against light transport, so a bake is always checked path traced;
        // the profile's renderer choice sets the cost and what unbaked scenes are compared with. The crops are
        // box-filtered 2×2 only, so their path noise weighs on SSIM: on the Cornell box, exposed to its key, a correct
        // bake scored a median SSIM of 0.945 at 128 spp. Path-traced profiles (SSIM ≥ 0.95) ask 256 spp, the others
        // (≥ 0.90–0.92) 128.
        render: bakedView || o.profile.verification.renderer === 'pathtrace'
          ? { reference: 'pathtrace', spp: o.profile.verification.renderer === 'pathtrace' ? 256 : 128, bounces: o.profile.bake.bounces, pixels: 32, ...renderLight }
          : { reference: 'shaded', spp: 4, bounces: 0, pixels: 32, exposure },
      }];
      if (splatJob) jobs.push({
        file: 'splats.spz', certificate: 'certificate-splats.json', kind: 'splat', reference: await sceneToGlb(splatJob.reference), artifact: splatJob.artifact,
        // Compared with what the splats represent: trained splats learned path-traced views of these objects;
        // splats converted from surfaces carry the unlit material colours.
        render: splatChoice?.kept === 'trained'
          ? { reference: 'pathtrace', spp: 64, bounces: o.profile.bake.bounces, pixels: 32, ...renderLight }
          : { reference: 'albedo', spp: 4, bounces: 0, pixels: 32, exposure },
      });
      const certs = await stage('verify', 'cpu', () => verify(o, jobs, thresholds, complexity));
      certs.forEach((c, i) => files.push({ name: jobs[i].certificate, data: `${JSON.stringify(c, null, 2)}\n` }));
      const cert = certs[0];
      outputs.certificate = 'certificate.json';
      const summary = (name: 'psnr' | 'ssim' | 'flip', direction: 'min' | 'max'): MetricSummary => {
        const m = cert.metrics[name];
        const threshold = q[name];
        return { mean: m.median, ci: [m.lo, m.hi] as [number, number], threshold, direction, pass: direction === 'min' ? m.median >= threshold : m.median <= threshold };
      };
      verification = {
        verdict: cert.verdict, reason: cert.reason,
        metrics: { psnr: summary('psnr', 'min'), ssim: summary('ssim', 'min'), flip: summary('flip', 'max') },
        samples: cert.job.maxSamples, nodes: cert.nodes.map((n) => n.key.slice(0, 16)), byzantine: cert.nodes.filter((n) => n.flagged).map((n) => n.key.slice(0, 16)),
        logIndex: cert.log.index,
        artifacts: certs.map((c, i) => ({ file: jobs[i].file, kind: jobs[i].kind, verdict: c.verdict, reason: c.reason, certificate: jobs[i].certificate, reference: c.job.render?.reference ?? 'default' })),
      };
      // Every artifact must pass: the overall verdict is the glTF's unless another artifact was rejected.
      const rejected = certs.map((c, i) => ({ c, j: jobs[i] })).filter((x) => x.c.verdict === 'rejected');
      if (rejected.length) {
        verification.verdict = 'rejected';
        verification.reason = rejected.map((x) => `${x.j.file}: ${x.c.reason}`).join('; ');
        exit = { code: 7, reason: `verification rejected: ${verification.reason}` };
      }
    }

    const report: OptimizeReport = {
      version: 1, tool: TOOL_VERSION, createdAt: new Date().toISOString(),
      input: { file: o.input, hash: sceneHash, triangles: analysis.scene.triangles, drawnTriangles: analysis.scene.drawnTriangles, warnings },
      profile: { name: o.profile.name, source: o.profileSource },
      analysis: {
        class: analysis.class, hints: analysis.hints,
        objects: analysis.objects.map((x) => ({
          name: x.features.name, triangles: x.features.drawnTriangles, instances: x.features.instances, screenCoverage: x.features.screenCoverage,
          complexity: x.scores.complexity.value, bakingScore: x.scores.bakingScore.value, dynamicScore: x.scores.dynamicScore.value, hints: x.hints,
        })),
      },
      plan, outputs, splats: splatChoice, verification, images, timings,
      lighting: {
        source: env ? (env.reason === 'default' ? 'default' : 'profile') : 'scene',
        environment: env ? { sky: describeSky(env.sky), sun: env.sun ? `direction [${env.sun.direction.map((x) => x.toFixed(3)).join(', ')}], illuminance ${Math.max(...env.sun.color).toFixed(2)}, ${env.sun.angularDiameter}° disc` : undefined } : undefined,
        removedLights: lightsFate.removed, keptLights: lightsFate.kept,
      },
      ownCheck: claimed,
      views: { kind: planned.kind, used: planned.views.indexOf(view) + 1, skipped, exposure, width: view.width, height: view.height, spp: REFERENCE_SPP },
      blackObjects, worstObjects, lightmap: lightmapReport,
      cost: estimateCost({ stages: timings.map((t) => ({ name: t.stage, seconds: t.seconds, device: t.device, cores: 2 })) }),
      exit,
    };
    files.push({ name: 'report.json', data: `${JSON.stringify(report, null, 2)}\n` });
    files.push({ name: 'report.html', data: renderReportHtml(report, imageBytes) });
    for (const f of files) await writeFile(join(staged.path, f.name), f.data);
    // Cache before committing (the staging directory moves away on commit).
    await o.cache.put(key, staged.path);
    await staged.commit();
    return { report, exitCode: exit.code, cached: false, analysis, plan };
  } catch (e) {
    await staged.discard();
    throw e;
  }
}

interface VerifyJob {
  file: string;
  certificate: string;
  kind: ArtifactKind;
  reference: Uint8Array;
  artifact: Uint8Array;
  claimed?: { psnr: number; ssim: number; flip: number };
  render: RenderSpec;
}

/** Submits every artifact to one engine (embedded unless given) and returns their certificates in order. */
async function verify(o: OptimizeOptions, jobs: VerifyJob[], thresholds: { psnr: number; ssim: number; flip: number }, complexity: number): Promise<Certificate[]> {
  let embedded: EmbeddedTrust | undefined;
  let client: TrustClient;
  if (o.engine) client = new TrustClient({ url: o.engine.url, apiKey: o.engine.apiKey });
  else {
    o.onEvent({ type: 'log', message: 'starting an embedded Trust Engine and 3 local verifier nodes' });
    // Local nodes are live processes of this run; a heavy scene keeps each busy for minutes on a small machine, so
    // the engine's reassignment timeout (meant for vanished nodes) and the wait are those of a long job.
    embedded = await startEmbeddedTrust({
      dataDir: join(o.cache.dir, 'trust'), quorum: Math.min(3, o.profile.verification.quorum), serveArgs: ['--assign-timeout-ms', String(VERIFY_TIMEOUT_MS)],
    });
    client = embedded.client();
  }
  try {
    // Submitted together so the nodes work on both at once; certificates come back in job order.
    const ids = [];
    for (const j of jobs) ids.push(await client.submitJob({
      // No claimed metrics: the own check measures the whole view after a 4×4 filter, the nodes random crops after
      // 2×2, so its numbers are not a claim about what they measure (the engine rejects claims it cannot reproduce).
      referenceScene: j.reference, artifact: j.artifact, kind: j.kind, thresholds, claimedMetrics: {}, render: j.render,
      complexity, confidence: o.profile.verification.confidence, profile: o.profile.name,
      quorum: embedded ? Math.min(3, o.profile.verification.quorum) : o.profile.verification.quorum,
    }));
    return await Promise.all(ids.map((id) => client.waitForCertificate(id, { signal: o.signal, timeoutMs: VERIFY_TIMEOUT_MS })));
  } finally {
    client.close();
    await embedded?.stop();
  }
}

/**
 * The optimized output as a viewer sees it: the shipped glTF decoded from its bytes (lightmapped primitives lit by
 * their encoded pages, the rest path traced as the reference is), then the splats blended over it by depth.
 */
async function renderShipped(glb: Uint8Array, splats: GaussianModel | undefined, view: View, env: Environment | undefined, o: OptimizeOptions): Promise<FloatImage> {
  const scene = (await documentToScene(await (await gltfIO()).readBinary(glb), 'scene.glb')).scene;
  const mesh = await renderLightmappedGltf(decodeLightmappedGltf(scene), view, {
    spp: AFTER_SPP, seed: 7, backend: o.backend, signal: o.signal,
    renderUnlit: (s, v) => renderPathtraced(withEnvironmentSun(s, env), v, { spp: 64, bounces: o.profile.bake.bounces, seed: 7, sky: env?.sky, signal: o.signal, backend: o.backend }),
  });
  if (!splats) return mesh;
  const d = await renderPreview(scene, view, { mode: 'depth', backend: o.backend, signal: o.signal });
  // Pixels whose centre sees no mesh never hide a splat.
  const depth = Float32Array.from({ length: view.width * view.height }, (_, i) => (d.data[4 * i + 3] > 0 ? d.data[4 * i] : Infinity));
  const frame = await renderSplats(splats, splatCamera(view), { background: [0, 0, 0], backend: o.backend, signal: o.signal });
  return compositeByDepth({ image: mesh, depth }, { image: frame.image, depth: frame.depth });
}

function describeSky(sky: Environment['sky']): string {
  const rgb = (c: number[]) => `[${c.map((x) => x.toFixed(2)).join(', ')}]`;
  if (sky.type === 'none') return 'none';
  if (sky.type === 'constant') return `constant ${rgb(sky.color)}`;
  return `gradient: zenith ${rgb(sky.zenith)}, horizon ${rgb(sky.horizon)}, ground ${rgb(sky.ground)}`;
}

/** The built-in profiles whose quality thresholds these measurements meet, for the message of a failed own check. */
function suggestProfile(m: { psnr: number; ssim: number; flip: number }): string {
  const ok = Object.values(BUILTIN_PROFILES).filter((p) => m.psnr >= p.quality.psnr && m.ssim >= p.quality.ssim && m.flip <= p.quality.flip).map((p) => p.name);
  return ok.length ? `these figures pass under ${ok.join(', ')}` : 'no built-in profile accepts these figures; raise bake.samples or texelsPerMeter';
}
