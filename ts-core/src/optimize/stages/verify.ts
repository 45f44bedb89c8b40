/**
 * Verify: submits the output to the Trust Engine (the glTF, or the glTF and the splats as one hybrid candidate),
 * embedded with 3 local verifier nodes unless a running engine is given, and writes their certificates. It runs
 * only when the own check passed; `--no-verify` skips it and the run can then pass only as "not verified".
 */
import { join } from 'node:path';
import { isGlbBytes } from '../../io/gltf-container.js';
import { sceneToGlb } from '../../io/gltf-write.js';
import type { MetricSummary, OptimizeReport } from '../../report/types.js';
import type { Certificate } from '../../trust/certificate.js';
import { TrustClient } from '../../trust/client.js';
import { startEmbeddedTrust, type EmbeddedTrust } from '../../trust/embedded.js';
import type { ArtifactKind, RenderSpec } from '../../trust/types.js';
import { encodeHybridArtifact } from '../../io/hybrid-artifact.js';
import { EXIT } from '../../exit-codes.js';
import { nativeDevice } from '../devices.js';
import { unverifiedExit, verificationExit } from '../exit-policy.js';
import type { OptimizeOptions } from '../options.js';
import { defineStage } from '../stage.js';

/** How long verification may take before the run gives up (exit 8): 30 minutes. */
const VERIFY_TIMEOUT_MS = 30 * 60_000;

interface VerifyJob {
  file: string;
  certificate: string;
  kind: ArtifactKind;
  reference: Uint8Array;
  artifact: Uint8Array;
  render: RenderSpec;
}

type Thresholds = { psnr: number; ssim: number; flip: number };

export const verifyStage = defineStage({
  name: 'verify',
  needs: ['inputBytes', 'scene', 'analysis', 'environment', 'bake', 'splats', 'shipped', 'preview', 'check'],
  produces: ['verification'],
  device: nativeDevice,
  async run({ inputBytes, scene, analysis, environment, bake, splats, shipped, preview, check }, ctx) {
    const o = ctx.options;
    if (o.noVerify)
      return {
        verification: {
          summary: { verdict: 'skipped', reason: '--no-verify', metrics: {}, samples: 0, nodes: [], byzantine: [] },
          exit: unverifiedExit(check.exit),
        },
      };
    if (check.exit.code !== EXIT.OK) return { verification: { summary: undefined, exit: check.exit } };
    const q = o.profile.quality;
    const thresholds = { psnr: q.psnr, ssim: q.ssim, flip: q.flip };
    const complexity = analysis.objects.reduce((s, x) => Math.max(s, x.scores.complexity.value), 0);
    const inputGlb = isGlbBytes(inputBytes) ? inputBytes : await sceneToGlb(scene); // a .gltf's JSON lacks its buffers
    // The nodes light the reference as the bake was lit, and expose both images as the own check did.
    const exposure = preview.exposure;
    const renderLight = {
      exposure,
      ...(environment
        ? { environment: { sky: environment.sky, ...(environment.sun ? { sun: environment.sun } : {}) } }
        : {}),
    };
    // Baked lighting can only be judged against light transport, so a bake (and a hybrid, whose splats learned
    // path-traced views) is always checked path traced; the profile's renderer choice sets the cost and what
    // unbaked scenes are compared with. The crops are box-filtered 2×2 only, so their path noise weighs on SSIM: on
    // the Cornell box, exposed to its key, a correct bake scored a median SSIM of 0.945 at 128 spp. Path-traced
    // profiles (SSIM ≥ 0.95) ask 256 spp, the others (≥ 0.90–0.92) 128.
    const render: RenderSpec =
      bake || splats || o.profile.verification.renderer === 'pathtrace'
        ? {
            reference: 'pathtrace',
            spp: o.profile.verification.renderer === 'pathtrace' ? 256 : 128,
            bounces: o.profile.bake.bounces,
            pixels: 32,
            ...renderLight,
            // Splats are judged at the pixel the own check views them at (trust/types.ts viewPixel), their layer
            // composited in linear light as the preview draws it (render/hybrid.ts).
            ...(splats
              ? { viewPixel: preview.view.yfov / preview.view.height, splatComposite: 'linear' as const }
              : {}),
          }
        : { reference: 'shaded', spp: 4, bounces: 0, pixels: 32, exposure };
    // Where objects became splats, the glTF and the splats are one candidate (io/hybrid-artifact.ts), drawn together
    // as a player sees them and judged against the whole input: each part alone has no honest reference (the glTF
    // lacks the splat objects' shadows and occlusion, the splats the scene's).
    const jobs: VerifyJob[] = [
      splats
        ? {
            file: 'scene.glb + splats.spz',
            certificate: 'certificate.json',
            kind: 'hybrid',
            reference: inputGlb,
            artifact: encodeHybridArtifact({ glb: shipped.glb, splats: splats.artifact }),
            render,
          }
        : {
            file: 'scene.glb',
            certificate: 'certificate.json',
            kind: 'lightmap-gltf',
            reference: inputGlb,
            artifact: shipped.glb,
            render,
          },
    ];
    const certs = await submit(o, jobs, thresholds, complexity, ctx.log);
    certs.forEach((c, i) => ctx.write({ name: jobs[i].certificate, data: `${JSON.stringify(c, null, 2)}\n` }));
    const cert = certs[0];
    const summary = (name: 'psnr' | 'ssim' | 'flip', direction: 'min' | 'max'): MetricSummary => {
      const m = cert.metrics[name];
      const threshold = q[name];
      return {
        mean: m.median,
        ci: [m.lo, m.hi] as [number, number],
        threshold,
        direction,
        pass: direction === 'min' ? m.median >= threshold : m.median <= threshold,
      };
    };
    const verification: NonNullable<OptimizeReport['verification']> = {
      verdict: cert.verdict,
      reason: cert.reason,
      metrics: { psnr: summary('psnr', 'min'), ssim: summary('ssim', 'min'), flip: summary('flip', 'max') },
      samples: cert.job.maxSamples,
      nodes: cert.nodes.map((n) => n.key.slice(0, 16)),
      byzantine: cert.nodes.filter((n) => n.flagged).map((n) => n.key.slice(0, 16)),
      logIndex: cert.log.index,
      artifacts: certs.map((c, i) => ({
        file: jobs[i].file,
        kind: jobs[i].kind,
        verdict: c.verdict,
        reason: c.reason,
        certificate: jobs[i].certificate,
        reference: c.job.render?.reference ?? 'default',
      })),
    };
    // Every artifact must pass: the overall verdict is the glTF's unless another artifact was rejected.
    const rejected = certs
      .map((c, i) => ({ file: jobs[i].file, verdict: c.verdict, reason: c.reason }))
      .filter((x) => x.verdict === 'rejected');
    if (rejected.length) {
      verification.verdict = 'rejected';
      verification.reason = rejected.map((x) => `${x.file}: ${x.reason}`).join('; ');
    }
    return { verification: { summary: verification, exit: verificationExit(rejected) } };
  },
});

/** Submits every artifact to one engine (embedded unless given) and returns their certificates in order. */
async function submit(
  o: OptimizeOptions,
  jobs: VerifyJob[],
  thresholds: Thresholds,
  complexity: number,
  log: (m: string) => void,
): Promise<Certificate[]> {
  let embedded: EmbeddedTrust | undefined;
  let client: TrustClient;
  if (o.engine) client = new TrustClient({ url: o.engine.url, apiKey: o.engine.apiKey });
  else {
    log('starting an embedded Trust Engine and 3 local verifier nodes');
    // Local nodes are live processes of this run; a heavy scene keeps each busy for minutes on a small machine, so
    // the engine's reassignment timeout (meant for vanished nodes) and the wait are those of a long job.
    embedded = await startEmbeddedTrust({
      dataDir: join(o.cache.dir, 'trust'),
      quorum: Math.min(3, o.profile.verification.quorum),
      serveArgs: ['--assign-timeout-ms', String(VERIFY_TIMEOUT_MS)],
    });
    client = embedded.client();
  }
  try {
    // Submitted together so the nodes work on both at once; certificates come back in job order.
    const ids = [];
    for (const j of jobs)
      ids.push(
        await client.submitJob({
          // No claimed metrics: the own check measures the whole view after a 4×4 filter, the nodes random crops after
          // 2×2, so its numbers are not a claim about what they measure (the engine rejects claims it cannot reproduce).
          referenceScene: j.reference,
          artifact: j.artifact,
          kind: j.kind,
          thresholds,
          claimedMetrics: {},
          render: j.render,
          complexity,
          confidence: o.profile.verification.confidence,
          profile: o.profile.name,
          quorum: embedded ? Math.min(3, o.profile.verification.quorum) : o.profile.verification.quorum,
        }),
      );
    return await Promise.all(
      ids.map((id) => client.waitForCertificate(id, { signal: o.signal, timeoutMs: VERIFY_TIMEOUT_MS })),
    );
  } finally {
    client.close();
    await embedded?.stop();
  }
}
