/**
 * `ote optimize` as a pipeline of stages (issue #17, part 3): the registry is well formed, the runner holds each
 * stage to what it declares, and the exit policy maps findings to the README's exit codes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT } from '../../src/exit-codes.js';
import {
  ownCheckExit,
  unverifiedExit,
  verificationExit,
  type OwnCheckFindings,
} from '../../src/optimize/exit-policy.js';
import type { OptimizeOptions } from '../../src/optimize/options.js';
import { newPipelineState, runStages } from '../../src/optimize/pipeline.js';
import { defineStage, type AnyStage } from '../../src/optimize/stage.js';
import { AFTER_CHECK, IMPORT_STAGE, OPTIMIZE_STAGES, REBAKE_STAGES } from '../../src/optimize/stages/index.js';
import { rebakeReason } from '../../src/optimize/rebake.js';
import { splatTargetSpp } from '../../src/optimize/stages/splat.js';
import type { Products } from '../../src/optimize/stage.js';
import {
  REFERENCE_MAX_SPP,
  REFERENCE_SPP,
  referenceSpp,
  referenceStage,
  flipAloneFails,
  referenceNoiseCouldPass,
  refineReference,
} from '../../src/optimize/stages/reference.js';
import type { PathtraceRequest } from '../../src/render/pathtrace.js';
import type { StageContext } from '../../src/optimize/stage.js';
import type { FloatImage } from '../../src/image/float-image.js';
import type { Scene } from '../../src/scene/types.js';
import { BUILTIN_PROFILES } from '../../src/plan/profile.js';

/** Resolves to the rejection's error; fails when the promise fulfils. */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

const ALL: readonly AnyStage[] = [IMPORT_STAGE, ...OPTIMIZE_STAGES];

test('registry: unique names; every need is made by an earlier stage; each product by exactly one stage', () => {
  assert.is(new Set(ALL.map((s) => s.name)).size, ALL.length);
  const made = new Map<string, string>();
  for (const s of ALL) {
    for (const n of s.needs) assert.ok(made.has(n), `stage "${s.name}" needs "${n}", which no earlier stage produces`);
    for (const p of s.produces) {
      assert.not.ok(made.has(p), `"${p}" is produced by both "${made.get(p)}" and "${s.name}"`);
      made.set(p, s.name);
    }
  }
  assert.equal(
    ALL.map((s) => s.name),
    [
      'import',
      'measure',
      'analyze',
      'plan',
      'bake',
      'reference',
      'splat',
      'output',
      'preview',
      'check',
      'verify',
      'report',
    ],
  );
  // The report needs the verdict, so it comes last; the check never waits for verification.
  assert.ok(ALL.find((s) => s.name === 'report')!.needs.includes('verification'));
  assert.not.ok(ALL.find((s) => s.name === 'check')!.needs.includes('verification'));
});

function fakeOptions(events: unknown[]): OptimizeOptions {
  return {
    signal: new AbortController().signal,
    onEvent: (e: unknown) => events.push(e),
  } as unknown as OptimizeOptions;
}
const cpu = () => ({ device: 'cpu' as const, cores: 1 });

test('runner: products flow by name; each stage is timed on its device and reports progress 0 and 1; files are collected', async () => {
  const events: unknown[] = [];
  const a = defineStage({
    name: 'a',
    needs: [],
    produces: ['sceneHash'],
    device: cpu,
    async run(_, ctx) {
      ctx.write({ name: 'a.txt', data: 'x' });
      return { sceneHash: 'abc' };
    },
  });
  const b = defineStage({
    name: 'b',
    needs: ['sceneHash'],
    produces: ['warnings'],
    device: () => ({ device: 'cuda', cores: 1 }),
    async run({ sceneHash }) {
      return { warnings: [sceneHash] };
    },
  });
  const state = newPipelineState();
  await runStages([a, b], state, fakeOptions(events));
  assert.equal(state.products.warnings, ['abc']);
  assert.equal(
    state.timings.map((t) => [t.stage, t.device]),
    [
      ['a', 'cpu'],
      ['b', 'cuda'],
    ],
  );
  assert.equal(
    state.files.map((f) => f.name),
    ['a.txt'],
  );
  // A stage run again (a second bake) writes its files again: the last write wins, in the first's place.
  await runStages([a], state, fakeOptions(events));
  assert.equal(state.files.length, 1);
  assert.equal(
    state.timings.map((t) => t.stage),
    ['a', 'b', 'a'],
  );
  assert.equal(
    events
      .filter((e: unknown) => (e as { stage?: string }).stage === 'b')
      .map((e: unknown) => (e as { fraction: number }).fraction),
    [0, 1],
  );
});

test('runner: a missing need, an undeclared product and an absent product are errors naming the stage', async () => {
  const needy = defineStage({
    name: 'needy',
    needs: ['plan'],
    produces: [],
    device: cpu,
    async run() {
      return {};
    },
  });
  assert.match(
    (await rejection(runStages([needy], newPipelineState(), fakeOptions([])))).message,
    /stage "needy" needs plan, which no earlier stage produced/,
  );
  const sly = {
    name: 'sly',
    needs: [],
    produces: [],
    device: cpu,
    async run() {
      return { sceneHash: 'x' };
    },
  } as AnyStage;
  assert.match(
    (await rejection(runStages([sly], newPipelineState(), fakeOptions([])))).message,
    /stage "sly" made \[sceneHash\] but declares \[\]/,
  );
  const lazy = {
    name: 'lazy',
    needs: [],
    produces: ['warnings'],
    device: cpu,
    async run() {
      return {};
    },
  } as AnyStage;
  assert.match(
    (await rejection(runStages([lazy], newPipelineState(), fakeOptions([])))).message,
    /stage "lazy" made \[\] but declares \[warnings\]/,
  );
});

test('runner: a cancelled signal stops before the next stage with CANCELLED', async () => {
  const c = new AbortController();
  let ran = 0;
  const s = defineStage({
    name: 's',
    needs: [],
    produces: [],
    device: cpu,
    async run() {
      ran++;
      c.abort();
      return {};
    },
  });
  const t = defineStage({
    name: 't',
    needs: [],
    produces: [],
    device: cpu,
    async run() {
      ran++;
      return {};
    },
  });
  const e = await rejection(
    runStages([s, t], newPipelineState(), { signal: c.signal, onEvent: () => {} } as unknown as OptimizeOptions),
  );
  assert.is(e.code, 'CANCELLED');
  assert.match(e.message, /before t/);
  assert.is(ran, 1);
});

const findings = (over: Partial<OwnCheckFindings>): OwnCheckFindings => ({
  informative: true,
  viewsPlanned: 3,
  environment: false,
  blackObjects: [],
  claimed: { psnr: 40, ssim: 0.99, flip: 0.02 },
  worstObjects: [],
  quality: BUILTIN_PROFILES.balanced.quality,
  ...over,
});

test('exit policy: nothing to judge, black objects, and a failing own check are exit 6 with the reason; a pass goes on to verification', () => {
  assert.is(ownCheckExit(findings({})).code, EXIT.OK);
  const flat = ownCheckExit(findings({ informative: false }));
  assert.is(flat.code, EXIT.QUALITY_BELOW_THRESHOLD);
  assert.match(flat.reason, /black or flat at every planned view \(3\).*set bake\.environment\.mode to "always"/);
  const black = ownCheckExit(
    findings({ blackObjects: [{ name: 'knot', share: 0.06 } as OwnCheckFindings['blackObjects'][number]] }),
  );
  assert.is(black.code, EXIT.QUALITY_BELOW_THRESHOLD);
  assert.match(black.reason, /"knot" 6\.0% of the view/);
  // Below 5% of the view, a black object alone does not fail the run.
  assert.is(
    ownCheckExit(
      findings({ blackObjects: [{ name: 'knot', share: 0.04 } as OwnCheckFindings['blackObjects'][number]] }),
    ).code,
    EXIT.OK,
  );
  const low = ownCheckExit(
    findings({ claimed: { psnr: 35, ssim: 0.93, flip: 0.05 }, worstObjects: [{ name: 'floor', mean: 0.2 }] }),
  );
  assert.is(low.code, EXIT.QUALITY_BELOW_THRESHOLD);
  assert.match(
    low.reason,
    /SSIM 0\.9300 \(≥ 0\.95\).*most error on "floor" \(FLIP 0\.200\); these figures pass under .*ECONOMY/,
  );
  // Nothing compared (no baked or splatted output): nothing to fail.
  assert.is(ownCheckExit(findings({ claimed: undefined })).code, EXIT.OK);
});

test('exit policy: a rejected artifact is exit 7 naming the file; --no-verify keeps a failure and passes only as "not verified"', () => {
  assert.equal(verificationExit([]), { code: EXIT.OK, reason: 'verified' });
  const r = verificationExit([{ file: 'splats.spz', reason: 'median SSIM 0.8 < 0.95' }]);
  assert.is(r.code, EXIT.VERIFICATION_REJECTED);
  assert.match(r.reason, /splats\.spz: median SSIM 0\.8/);
  assert.equal(unverifiedExit({ code: 0, reason: 'verified' }), { code: 0, reason: 'not verified (--no-verify)' });
  assert.equal(unverifiedExit({ code: 6, reason: 'x' }), { code: 6, reason: 'x' });
});

/**
 * A reference whose halves differ by more than the profile allows (in FLIP, which takes no noise correction) gets
 * more samples at new seeds, doubling up to REFERENCE_MAX_SPP, when the own check asks (refineReference); the
 * stage itself renders REFERENCE_SPP. The path tracer is a stand-in: a textured image plus seeded noise of amplitude
 * `sigma` / √spp, as Monte Carlo noise falls.
 */
test('a second bake at raised densities only after an own check below the profile that density could change', () => {
  // It re-runs the bake and what reads it, up to the own check, before verification.
  assert.equal(
    REBAKE_STAGES.map((s) => s.name),
    ['bake', 'output', 'preview', 'check'],
  );
  assert.is(OPTIMIZE_STAGES[AFTER_CHECK - 1].name, 'check');
  const o = { profile: BUILTIN_PROFILES.realtime } as unknown as OptimizeOptions;
  const below = { psnr: 24.4, ssim: 0.94, flip: 0.085 };
  const floor = { applied: false, maxTexelPixels: 4, objects: [{ name: 'ground', raise: 1.5 }] };
  const products = (p: {
    claimed?: typeof below;
    code?: number;
    black?: number;
    floor?: typeof floor;
    bound?: boolean;
  }): Partial<Products> =>
    ({
      check: {
        claimed: p.claimed ?? below,
        exit: { code: p.code ?? EXIT.QUALITY_BELOW_THRESHOLD, reason: '' },
        blackObjects: p.black ? [{ name: 'x', pixels: 1, share: p.black }] : [],
      },
      bake: {
        report: { viewFloor: p.floor ?? floor, ...(p.bound === undefined ? {} : { timeTarget: { bound: p.bound } }) },
      },
    }) as unknown as Partial<Products>;
  assert.match(rebakeReason(products({}), o) ?? '', /baking again with their density raised \("ground" 1\.50×\)/);
  assert.ok(rebakeReason(products({ bound: false }), o), 'a time target that cut nothing');
  const none = {
    'a pass': products({ claimed: { psnr: 30, ssim: 0.97, flip: 0.05 }, code: EXIT.OK }),
    'black objects': products({ black: 0.1 }),
    'nothing to raise': products({ floor: { ...floor, objects: [] } }),
    'already raised': products({ floor: { ...floor, applied: true } }),
    'a time target that cut the bake': products({ bound: true }),
  };
  for (const [why, p] of Object.entries(none)) assert.is(rebakeReason(p, o), undefined, why);
  assert.is(rebakeReason(products({}), { ...o, bakeViewFloor: true }), undefined, 'raised from the first bake');
  assert.is(rebakeReason({}, o), undefined, 'nothing baked');
});

test('reference: each profile starts at samples that hold its reference noise to the same share of its FLIP bound', () => {
  const spp = Object.fromEntries(Object.entries(BUILTIN_PROFILES).map(([k, p]) => [k, referenceSpp(p.quality.flip)]));
  assert.equal(spp, {
    quality: 128,
    balanced: REFERENCE_SPP,
    economy: 32,
    realtime: 32,
    archviz: 128,
    gaming: 128,
    ai_training: 128,
  });
  // (0.08 / b)² × 128, to the power of two at or below it, between 32 and 128.
  assert.equal([0.04, 0.08, 0.09, 0.1, 0.11, 0.12, 0.16, 0.5].map(referenceSpp), [128, 128, 64, 64, 64, 32, 32, 32]);
});

test('splat targets: samples scaled like the reference, 16 at BALANCED down to 8 for the looser profiles', () => {
  const spp = Object.fromEntries(Object.entries(BUILTIN_PROFILES).map(([k, p]) => [k, splatTargetSpp(p.quality.flip)]));
  assert.equal(spp, { quality: 16, balanced: 16, economy: 8, realtime: 8, archviz: 16, gaming: 16, ai_training: 16 });
  // (0.08 / b)² × 16, to the power of two at or below it, between 8 and 16.
  assert.equal([0.04, 0.08, 0.1, 0.11, 0.12, 0.16, 0.5].map(splatTargetSpp), [16, 16, 8, 8, 8, 8, 8]);
});

test('reference: a noisy reference doubles its samples until its noise floor is below half the FLIP bound, up to the maximum', async () => {
  const W = 192,
    H = 108;
  const view = { cameraToWorld: new Float32Array(16), yfov: 0.8, width: W, height: H, znear: 0.01, zfar: 100 };
  const run = async (sigma: number, profile = BUILTIN_PROFILES.balanced) => {
    const calls: PathtraceRequest[] = [];
    const pathtrace = async (_scene: unknown, requests: PathtraceRequest[]): Promise<FloatImage[]> =>
      requests.map((r) => {
        calls.push(r);
        let state = r.seed * 2654435761;
        const rand = () => {
          state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
          return state / 2 ** 32;
        };
        const data = new Float32Array(W * H * 4);
        for (let i = 0; i < W * H; i++) {
          const x = i % W,
            y = Math.floor(i / W);
          const v = 0.2 + 0.15 * Math.sin(x / 7) * Math.cos(y / 5) + (sigma / Math.sqrt(r.spp)) * (rand() - 0.5);
          data.set([v, v, v, 1], 4 * i);
        }
        return { width: W, height: H, data };
      });
    const options = {
      profile,
      pathtrace,
      signal: new AbortController().signal,
    } as unknown as OptimizeOptions;
    const ctx = {
      options,
      signal: options.signal!,
      progress() {},
      log() {},
      write() {},
      timings: () => [],
    } as StageContext;
    const input = {
      lit: {},
      views: { kind: 'exterior', views: [view] },
      environment: undefined,
    } as unknown as Parameters<typeof referenceStage.run>[0];
    const { reference: first } = await referenceStage.run(input, ctx);
    assert.is(first.spp, referenceSpp(profile.quality.flip));
    assert.equal(
      calls.map((c) => c.spp),
      [first.spp / 2, first.spp / 2],
      "two halves of the profile's samples",
    );
    const reference = await refineReference(first, {} as Scene, undefined, options, options.signal!);
    assert.is(reference.exposure, first.exposure, 'the run keeps the exposure its images were shown at');
    return { spp: reference.spp, seeds: calls.map((c) => c.seed), samples: calls.map((c) => c.spp) };
  };
  const clean = await run(0.05);
  assert.is(clean.spp, REFERENCE_SPP);
  assert.equal(clean.seeds, [7, 8]);
  const noisy = await run(20);
  assert.ok(noisy.spp > REFERENCE_SPP && noisy.spp <= REFERENCE_MAX_SPP, `spp ${noisy.spp}`);
  // Every pair of halves at new seeds, each pair as many samples as all before it.
  assert.equal(noisy.seeds, [7, 8, 9, 10, 11, 12].slice(0, 2 * Math.log2((2 * noisy.spp) / REFERENCE_SPP)));
  assert.is(
    noisy.samples.reduce((a, b) => a + b, 0),
    noisy.spp,
  );
  const hopeless = await run(2000);
  assert.is(hopeless.spp, REFERENCE_MAX_SPP);
  assert.equal(await run(20), noisy, 'the same images take the same samples');
  // REALTIME's bound is looser: its reference starts at 32 spp and refines from there when the own check asks.
  const realtime = await run(20, BUILTIN_PROFILES.realtime);
  assert.equal(realtime.samples.slice(0, 2), [16, 16]);
  assert.ok(realtime.spp > 32 && realtime.spp <= REFERENCE_MAX_SPP, `spp ${realtime.spp}`);
});

test('the own check refines its reference only where FLIP alone decides: a PSNR or SSIM short of the bound stays short', () => {
  const q = BUILTIN_PROFILES.balanced.quality;
  const at = (d: Partial<{ psnr: number; ssim: number; flip: number }>) => ({
    psnr: q.psnr + 1,
    ssim: q.ssim + 0.01,
    flip: q.flip / 2,
    ...d,
  });
  assert.is(flipAloneFails(at({}), q), false, 'a pass stands: noise only raises FLIP');
  assert.is(flipAloneFails(at({ flip: q.flip + 0.01 }), q), true);
  assert.is(flipAloneFails(at({ psnr: Infinity, flip: q.flip + 0.01 }), q), true, 'identical images pass PSNR');
  assert.is(flipAloneFails(at({ psnr: q.psnr - 0.5, flip: q.flip + 0.01 }), q), false);
  assert.is(flipAloneFails(at({ ssim: q.ssim - 0.01, flip: q.flip + 0.01 }), q), false);
});

test('more reference samples only where a noise-free reference could pass FLIP (what the halves show the noise adds, twice)', () => {
  // Sponza under BALANCED (2026-12-05): 0.0929 against the reference, 0.0956 against its halves.
  assert.is(referenceNoiseCouldPass(0.0929, 0.0956, 0.08), false);
  assert.is(referenceNoiseCouldPass(0.085, 0.0956, 0.08), true, 'the noise may hold the gap: refine');
  assert.is(referenceNoiseCouldPass(0.0929, 0.0929, 0.08), false, 'no noise to take away');
  assert.is(referenceNoiseCouldPass(0.0929, 0.09, 0.08), false, 'halves below the reference: no noise estimate');
  assert.is(referenceNoiseCouldPass(0.079, 0.079, 0.08), true, 'under the bound already');
});

test.run();
