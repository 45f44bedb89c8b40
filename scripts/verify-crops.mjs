/**
 * The verifier's view of an `ote optimize` output at fixed samples, for comparing outputs of one scene: the Trust
 * Engine's evaluator (trust/evaluator-render.ts) renders the input and the output at the same seeded crops, with
 * the render spec of the output's certificate, and prints each crop's PSNR / SSIM / FLIP and their medians. A
 * verification run draws its own samples from the job; here they are fixed, so two outputs are judged alike.
 *
 *   npm run build:ts && node scripts/verify-crops.mjs OUT_DIR INPUT.glb|.gltf [--count 8] [--pixels 32]
 *
 * OUT_DIR holds scene.glb, certificate.json and, for a hybrid, splats.spz. `--pixels` overrides the crops' compared
 * size (the verifier's is 32; they are rendered at twice that and box-filtered).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const dist = new URL('../dist/ts-core/src/', import.meta.url);
const { RenderedSampleEvaluator } = await import(new URL('trust/evaluator-render.js', dist).href);
const { sampleSpecs } = await import(new URL('trust/sampling.js', dist).href);
const { encodeHybridArtifact } = await import(new URL('io/hybrid-artifact.js', dist).href);
const { sceneToGlb } = await import(new URL('io/gltf-write.js', dist).href);
const { importGltf } = await import(new URL('io/gltf-read.js', dist).href);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { count: { type: 'string', default: '8' }, pixels: { type: 'string' } },
});
const [out, input] = positionals;
if (!out || !input) {
  console.error('usage: node scripts/verify-crops.mjs OUT_DIR INPUT.glb|.gltf [--count N] [--pixels N]');
  process.exit(2);
}
const cert = JSON.parse(readFileSync(join(out, 'certificate.json'), 'utf8'));
const render = { ...cert.job.render, ...(values.pixels ? { pixels: Number(values.pixels) } : {}) };
const glb = new Uint8Array(readFileSync(join(out, 'scene.glb')));
const hybrid = existsSync(join(out, 'splats.spz'));
const artifact = hybrid
  ? encodeHybridArtifact({ glb, splats: new Uint8Array(readFileSync(join(out, 'splats.spz'))) })
  : glb;
// The reference as `ote optimize` submits it: a .glb as it is, a .gltf written as one.
const reference = input.endsWith('.glb')
  ? new Uint8Array(readFileSync(input))
  : await sceneToGlb((await importGltf(input)).scene);
const evaluator = new RenderedSampleEvaluator();
const rows = [];
for (const s of sampleSpecs('verify-crops', Number(values.count))) {
  const r = await evaluator.evaluate(reference, artifact, hybrid ? 'hybrid' : 'lightmap-gltf', s, render);
  rows.push(r);
  console.log(`crop ${s.index}: PSNR ${r.psnr.toFixed(2)}  SSIM ${r.ssim.toFixed(3)}  FLIP ${r.flip.toFixed(3)}`);
}
const median = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[rows.length >> 1];
console.log(
  `median of ${rows.length} (${render.pixels} px): PSNR ${median('psnr').toFixed(2)}  SSIM ${median('ssim').toFixed(3)}  FLIP ${median('flip').toFixed(3)}`,
);
