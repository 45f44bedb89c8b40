import { guessSceneUnits } from '../../analyze/units.js';
import { importGltf } from '../../io/gltf-read.js';
import { fmtBytes } from '../../io/gltf-container.js';
import { measureTriangles } from '../../native/measure.js';
import { flattenScene } from '../../scene/flatten.js';
import { hashScene } from '../../scene/hash.js';
import { sceneStats } from '../../scene/stats.js';
import { defaultMemoryBudget } from '../memory.js';
import { parse, requirePositional } from '../args.js';
import type { Command } from '../command.js';

const n = (x: number) => x.toLocaleString('en-US');
const v3 = (a: ArrayLike<number>, o = 0) => `(${[a[o], a[o + 1], a[o + 2]].map((x) => x.toFixed(3)).join(', ')})`;

export const infoCommand: Command = {
  name: 'info',
  summary: 'summarise a glTF scene: nodes, meshes, instances, triangles, materials, textures, lights, bounds, memory',
  usage: 'ote info <scene.glb|scene.gltf> [--json]',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
    const file = requirePositional(positionals, 0, 'scene file');
    const { scene, warnings } = await importGltf(file, { memoryBudgetBytes: defaultMemoryBudget() });
    const stats = sceneStats(scene);
    const measured = await measureTriangles(flattenScene(scene), { signal: ctx.signal });
    const hashes = hashScene(scene);
    // Scenes authored in cm or mm break every metric default (texels per metre, AO distance): say so up front.
    const units = guessSceneUnits(scene);
    if (units.warning) warnings.push(`units: ${units.warning}`);
    const report = {
      file,
      hash: hashes.scene,
      ...stats,
      surfaceArea: measured.totalArea,
      degenerateTriangles: measured.degenerateCount,
      measuredBounds: { min: measured.sceneBounds.slice(0, 3), max: measured.sceneBounds.slice(3) },
      backend: measured.backend,
      units: { likely: units.unit, scaleToMetres: units.scaleToMetres, ...units.measures },
      warnings,
    };
    if (values.json) {
      ctx.stdout(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `${file}`,
      `  hash        ${hashes.scene}`,
      `  nodes       ${n(stats.nodes)}   meshes ${n(stats.meshes)} (${n(stats.primitives)} primitives)   instances ${n(stats.instances)}`,
      `  triangles   ${n(stats.instancedTriangles)} drawn, ${n(stats.triangles)} stored, ${n(measured.degenerateCount)} degenerate   vertices ${n(stats.vertices)}`,
      `  surface     ${measured.totalArea.toFixed(2)} m²`,
      `  materials   ${n(stats.materials)}`,
      `  textures    ${n(stats.textures.length)}${stats.textures.length ? '' : ''}`,
      ...stats.textures
        .slice(0, 12)
        .map((t) => `              ${t.name}  ${t.width}×${t.height} ${t.mimeType} ${fmtBytes(t.bytes)}`),
      ...(stats.textures.length > 12 ? [`              … ${stats.textures.length - 12} more`] : []),
      `  lights      ${stats.lights.directional} directional, ${stats.lights.point} point, ${stats.lights.spot} spot, ${stats.lights.emissiveMaterials} emissive materials`,
      `  cameras     ${stats.cameras}`,
      `  bounds      ${measured.degenerateCount === stats.instancedTriangles ? 'empty' : `${v3(measured.sceneBounds)} – ${v3(measured.sceneBounds, 3)}`}`,
      `  memory      geometry ${fmtBytes(stats.memory.geometryBytes)}, textures ${fmtBytes(stats.memory.textureBytes)} (encoded)`,
      ...warnings.map((w) => `  warning     ${w}`),
    ];
    ctx.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
};
