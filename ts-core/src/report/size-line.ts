/** The output's size against the input's (report.json `size`) as a sentence for the report. */
import { formatBytes } from '../util/format-bytes.js';
import type { OutputSize } from './types.js';

/** e.g. "Writes 860.0 KB (scene.glb 700.0 KB, splats.spz 160.0 KB) for an input of 3.26 MB: 0.26×." */
export function sizeLine(s: OutputSize): string {
  const files = s.files.map((f) => `${f.name} ${formatBytes(f.bytes)}`).join(', ');
  const ratio = s.input > 0 ? `${(s.output / s.input).toFixed(2)}×` : 'n/a';
  return `Writes ${formatBytes(s.output)} (${files}) for an input of ${formatBytes(s.input)}: ${ratio}${s.larger ? `, larger because ${s.larger}` : ''}.`;
}
