/** The output's size against the input's (report.json `size`) as a sentence for the report. */
import type { OutputSize } from './types.js';

/** Bytes as a reader says them: 21.5 KB, 3.26 MB. */
export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} KB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** e.g. "Writes 860.0 KB (scene.glb 700.0 KB, splats.spz 160.0 KB) for an input of 3.26 MB: 0.26×." */
export function sizeLine(s: OutputSize): string {
  const files = s.files.map((f) => `${f.name} ${formatBytes(f.bytes)}`).join(', ');
  const ratio = s.input > 0 ? `${(s.output / s.input).toFixed(2)}×` : 'n/a';
  return `Writes ${formatBytes(s.output)} (${files}) for an input of ${formatBytes(s.input)}: ${ratio}${s.larger ? `, larger because ${s.larger}` : ''}.`;
}
