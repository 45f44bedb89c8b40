/** The viewer's frame-time measurement (report.json `runtime`, viewer/measure.ts) as a sentence for the report. */
import type { OptimizeReport, ViewerRuntime } from './types.js';

/**
 * The gain in one line a producer can read, e.g. "renders 4.6× faster in three.js: 19.8 ms a frame against 91.6 ms
 * lit live, 6 draw calls against 14 (Chromium 143, SwiftShader, 512×512)".
 */
export function runtimeLine(r: ViewerRuntime): string {
  const a = r.after.medianMs,
    b = r.before.medianMs;
  const head =
    r.speedup > 1.05 ? `renders ${r.speedup.toFixed(1)}× faster in three.js` : 'renders no faster in three.js';
  const swift = /swiftshader/i.test(r.gpu) ? 'SwiftShader on the CPU' : r.gpu;
  return `${head}: ${a.toFixed(1)} ms a frame against ${b.toFixed(1)} ms lit live, ${r.after.calls} draw calls against ${r.before.calls} (${r.browser}, ${swift}, ${r.size}×${r.size})`;
}

/**
 * What the run bought, for a producer: the frame time (once `ote view --measure` has run) and how close the result
 * looks to the path-traced reference (the verifiers' mean FLIP, else the producer's own check).
 */
export function gainLine(r: OptimizeReport, outDirHint = '<outdir>'): string {
  const flip = r.verification?.metrics.flip?.mean ?? r.ownCheck?.flip;
  const looks = flip === undefined ? undefined : `looks within FLIP ${flip.toFixed(3)} of the path-traced reference`;
  const speed = r.runtime
    ? runtimeLine(r.runtime)
    : `frame time not measured yet (\`ote view ${outDirHint} --measure\` times it in Chromium)`;
  const line = looks ? `${speed}; ${looks}` : speed;
  return line[0].toUpperCase() + line.slice(1);
}

/** A frame's cost before and after: triangles and GPU memory (the line above gives time and draw calls). */
export function frameCost(r: ViewerRuntime): string {
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  const tri = (n: number) => n.toLocaleString('en-US');
  return `A frame draws ${tri(r.after.triangles)} triangles against ${tri(r.before.triangles)} (shadow passes included) and holds ${mb(r.after.gpuBytes)} of GPU memory against ${mb(r.before.gpuBytes)}.`;
}
