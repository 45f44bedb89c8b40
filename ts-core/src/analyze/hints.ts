/** Hints a person can read, e.g. "rock_07: 2.1M triangles covering 0.3% of the screen → splat candidate". */
import type { ObjectFeatures } from './features.js';
import type { ObjectScores } from './scoring.js';

const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : `${n}`);
const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;

export function objectHints(o: ObjectFeatures, s: ObjectScores): string[] {
  const h: string[] = [];
  if (o.drawnTriangles >= 100_000 && o.screenCoverage < 0.02)
    h.push(
      `${o.name}: ${count(o.drawnTriangles)} triangles covering ${pct(o.screenCoverage)} of the screen → splat or LOD candidate`,
    );
  if (o.alphaTestedShare > 0.5 && o.components > 8)
    h.push(`${o.name}: ${count(o.components)} disconnected pieces, ${pct(o.alphaTestedShare)} alpha-tested → foliage`);
  if (o.instances > 1)
    h.push(`${o.name}: ${count(o.instances)} instances of one mesh (${count(o.triangles)} triangles each)`);
  if (o.lod.achievedRatio < 0.5 && o.lod.relativeError < 0.01 && o.triangles >= 2000)
    h.push(
      `${o.name}: reduces to ${pct(o.lod.achievedRatio)} of its triangles at ${pct(o.lod.relativeError)} error → LOD candidate`,
    );
  if (o.animated) h.push(`${o.name}: animated, skinned or movable → stays dynamic, not baked`);
  if (o.alphaBlendShare > 0.5)
    h.push(`${o.name}: ${pct(o.alphaBlendShare)} alpha-blended → cannot hold a lightmap reliably`);
  if (o.emissiveShare > 0.5) h.push(`${o.name}: emissive surface → used as an area light`);
  if (s.volumetric) h.push(`${o.name}: volumetric look (blended, fragmented) → 3DGS`);
  if (o.degenerateTriangles > 0) h.push(`${o.name}: ${count(o.degenerateTriangles)} degenerate triangles skipped`);
  return h;
}
