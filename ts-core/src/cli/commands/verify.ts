/**
 * `ote verify reference.glb artifact.glb`: has the Trust Engine verify an artifact against its reference scene and
 * writes the certificate. With no --engine, an embedded engine and 3 local nodes are started on loopback. With
 * `--splats FILE` the artifact glTF and those splats are judged together, as one hybrid candidate
 * (io/hybrid-artifact.ts), the way `ote optimize` submits an output with splats.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { encodeHybridArtifact } from '../../io/hybrid-artifact.js';
import { startEmbeddedTrust, type EmbeddedTrust } from '../../trust/embedded.js';
import { TrustClient } from '../../trust/client.js';
import { OteError } from '../../errors.js';
import { numberFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../../exit-codes.js';
import { DEFAULT_RENDER, type ArtifactKind, type ReferenceMode, type RenderSpec } from '../../trust/types.js';
import type { SplatComposite } from '../../render/composite.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify an optimized artifact with the Trust Engine and write its certificate',
  usage:
    'ote verify reference.glb artifact.glb [-o cert.json] [--engine ws://host:port --api-key ID:SECRET] [--psnr dB] [--ssim S] [--flip F] [--confidence C] [--complexity X] [--kind lightmap-gltf|splat] [--splats splats.spz] [--reference pathtrace|shaded|albedo] [--spp N] [--bounces N] [--pixels N] [--view-pixel RAD] [--splat-composite linear|display]',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      out: { type: 'string', short: 'o' },
      engine: { type: 'string' },
      'api-key': { type: 'string' },
      psnr: { type: 'string' },
      ssim: { type: 'string' },
      flip: { type: 'string' },
      confidence: { type: 'string' },
      complexity: { type: 'string' },
      kind: { type: 'string' },
      splats: { type: 'string' },
      data: { type: 'string' },
      json: { type: 'boolean' },
      reference: { type: 'string' },
      spp: { type: 'string' },
      bounces: { type: 'string' },
      pixels: { type: 'string' },
      'view-pixel': { type: 'string' },
      'splat-composite': { type: 'string' },
    });
    const refPath = requirePositional(positionals, 0, 'reference scene'),
      artPath = requirePositional(positionals, 1, 'artifact');
    // Splat files are recognised by their extension; --kind overrides; --splats makes a hybrid of the glTF.
    const kind = (values.kind ??
      (values.splats ? 'hybrid' : /\.(ply|spz|splat)$/i.test(artPath) ? 'splat' : 'lightmap-gltf')) as ArtifactKind;
    if (kind !== 'lightmap-gltf' && kind !== 'splat' && kind !== 'hybrid')
      throw new UsageError(`--kind must be lightmap-gltf, splat or hybrid, got "${values.kind}"`);
    if ((kind === 'hybrid') !== (values.splats !== undefined))
      throw new UsageError(
        values.splats
          ? `--splats judges the glTF and the splats as one hybrid, so --kind ${kind} does not go with it`
          : '--kind hybrid needs --splats FILE: the splats drawn with the glTF',
      );
    if (values['splat-composite'] !== undefined && kind !== 'hybrid')
      throw new UsageError('--splat-composite: only a hybrid (--splats FILE) has a splat layer to composite');
    // How the nodes render: a bake is judged path traced; splats converted from surfaces against the unlit scene.
    const mode = (values.reference ?? (kind === 'splat' ? 'albedo' : DEFAULT_RENDER.reference)) as ReferenceMode;
    if (!['pathtrace', 'shaded', 'albedo'].includes(mode))
      throw new UsageError(`--reference must be pathtrace, shaded or albedo, got "${values.reference}"`);
    const render: RenderSpec = {
      reference: mode,
      spp: numberFlag(values.spp, 'spp', mode === 'pathtrace' ? DEFAULT_RENDER.spp : 4, {
        int: true,
        min: 1,
        max: 1024,
      }),
      bounces: numberFlag(values.bounces, 'bounces', DEFAULT_RENDER.bounces, { int: true, min: 0, max: 16 }),
      pixels: numberFlag(values.pixels, 'pixels', DEFAULT_RENDER.pixels, { int: true, min: 16, max: 256 }),
      // Splats drawn at the pixel they are viewed at (trust/types.ts viewPixel): an `ote optimize` certificate's value.
      ...(values['view-pixel'] !== undefined
        ? { viewPixel: numberFlag(values['view-pixel'], 'view-pixel', 0, { above: 0, max: 1 }) }
        : {}),
      // A hybrid's splat layer in linear light, as `ote optimize` judges it (trust/types.ts splatComposite);
      // `display` re-judges a job of before 2026-12-07 the way it was.
      ...(kind === 'hybrid' ? { splatComposite: splatComposite(values['splat-composite']) } : {}),
    };
    const read = async (p: string) => {
      try {
        return new Uint8Array(await readFile(p));
      } catch (e) {
        throw new OteError('BAD_INPUT', (e as Error).message, { file: p });
      }
    };
    const reference = await read(refPath);
    const artifact = values.splats
      ? encodeHybridArtifact({ glb: await read(artPath), splats: await read(values.splats) })
      : await read(artPath);
    const thresholds = {
      psnr: numberFlag(values.psnr, 'psnr', 30),
      ssim: numberFlag(values.ssim, 'ssim', 0.9),
      flip: numberFlag(values.flip, 'flip', 0.1),
    };
    let embedded: EmbeddedTrust | undefined, client: TrustClient;
    if (values.engine) {
      const [id, secret] = (values['api-key'] ?? process.env.OTE_TRUST_API_KEY ?? '').split(':');
      if (!id || !secret) throw new UsageError('--engine needs --api-key ID:SECRET (or OTE_TRUST_API_KEY)');
      client = new TrustClient({ url: values.engine, apiKey: { id, secret } });
    } else {
      if (!values.json)
        ctx.stderr('ote verify: no --engine given; starting an embedded engine and 3 local verifier nodes\n');
      embedded = await startEmbeddedTrust({ dataDir: values.data ?? join('out', 'trust') });
      client = embedded.client();
    }
    try {
      const cert = await client.submit(
        {
          referenceScene: reference,
          artifact,
          kind,
          thresholds,
          render,
          confidence: numberFlag(values.confidence, 'confidence', 0.95, { min: 0.9, below: 1 }),
          complexity: numberFlag(values.complexity, 'complexity', 0.5, { min: 0, max: 1 }),
        },
        { signal: ctx.signal },
      );
      const out = values.out ?? `${artPath}.cert.json`;
      await writeFileAtomic(out, `${JSON.stringify(cert, null, 2)}\n`);
      if (values.json)
        ctx.stdout(
          `${JSON.stringify({ certificate: out, verdict: cert.verdict, reason: cert.reason, engineKey: cert.engineKey })}\n`,
        );
      else
        ctx.stdout(
          `${artPath}: ${cert.verdict.toUpperCase()} (${cert.reason}); PSNR ${cert.metrics.psnr.median.toFixed(2)} dB, SSIM ${cert.metrics.ssim.median.toFixed(4)}, FLIP ${cert.metrics.flip.median.toFixed(4)}\ncertificate: ${out} (check offline: ote verify-cert ${out} --engine-key ${cert.engineKey})\n`,
        );
      return cert.verdict === 'accepted' ? EXIT.OK : EXIT.VERIFICATION_REJECTED;
    } finally {
      client.close();
      await embedded?.stop();
    }
  },
};

/** --splat-composite (a hybrid's only): linear unless display is asked. */
function splatComposite(v: string | undefined): SplatComposite {
  if (v === undefined || v === 'linear' || v === 'display') return v ?? 'linear';
  throw new UsageError(`--splat-composite must be linear or display, got "${v}"`);
}
