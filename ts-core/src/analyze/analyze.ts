/**
 * Scene analysis: per-object features, scores and hints, and the scene's class. Input is the neutral scene plus the
 * native measurement (world areas and bounds per instance); no engine, file or addon is touched here.
 */
import { emptyBounds, expand, isEmpty, sceneBounds, diagonal as boundsDiagonal, type Bounds } from '../scene/bounds.js';
import type { FlatScene } from '../scene/flatten.js';
import { lookAt, viewFromSceneCamera } from '../scene/view.js';
import type { Scene } from '../scene/types.js';
import { triangleCross } from '../util/vec3.js';
import { countComponents } from './components.js';
import type { ObjectFeatures, SceneFeatures } from './features.js';
import { objectHints } from './hints.js';
import { estimateLod } from './lod.js';
import { referenceViews, screenCoverage } from './screen.js';
import { classifyScene, scoreObject, type ObjectScores, type SceneClass, type Score } from './scoring.js';

/** The subset of the native measurement the analyzer reads (ts-core/src/native/measure.ts MeasureResult). */
export interface Measurement {
  totalArea: number;
  degenerateCount: number;
  instanceArea: Float64Array;
  instanceBounds: Float32Array;
  instanceDegenerate: Uint32Array;
}

export interface ObjectAnalysis {
  features: ObjectFeatures;
  scores: ObjectScores;
  hints: string[];
}

export interface SceneAnalysis {
  scene: SceneFeatures;
  class: SceneClass;
  classScores: Record<string, Score>;
  objects: ObjectAnalysis[];
  hints: string[];
}

function materialShares(scene: Scene, meshIndex: number) {
  let tris = 0,
    mask = 0,
    blend = 0,
    transmission = 0,
    emissive = 0,
    unlit = 0;
  const textures = new Set<number>();
  for (const p of scene.meshes[meshIndex].primitives) {
    const n = p.indices.length / 3;
    tris += n;
    const m = scene.materials[p.material];
    if (!m) continue;
    if (m.alphaMode === 'MASK') mask += n;
    if (m.alphaMode === 'BLEND') blend += n;
    if (m.transmission > 0) transmission += n;
    if (m.emissiveStrength > 0 && m.emissiveFactor.some((c) => c > 0)) emissive += n;
    if (m.unlit) unlit += n;
    for (const r of [
      m.baseColorTexture,
      m.metallicRoughnessTexture,
      m.normalTexture,
      m.occlusionTexture,
      m.emissiveTexture,
    ])
      if (r) textures.add(r.texture);
  }
  const share = (x: number) => (tris ? x / tris : 0);
  return {
    alphaTestedShare: share(mask),
    alphaBlendShare: share(blend),
    transmissionShare: share(transmission),
    emissiveShare: share(emissive),
    unlitShare: share(unlit),
    textures,
  };
}

/**
 * Opaque area facing down in the upper part of the scene (ceilings, roofs) for one copy's world transform.
 * Closed solids face down only at their bottoms, so they do not read as roofs unless they sit high in the scene.
 */
function ceilingArea(scene: Scene, meshIndex: number, m: ArrayLike<number>, minY: number): number {
  let area = 0;
  for (const p of scene.meshes[meshIndex].primitives) {
    const mat = scene.materials[p.material];
    if (mat && (mat.alphaMode !== 'OPAQUE' || mat.doubleSided)) continue; // cards and glass are not roofs
    const P = p.positions,
      I = p.indices;
    for (let t = 0; t < I.length; t += 3) {
      const a = 3 * I[t],
        b = 3 * I[t + 1],
        c = 3 * I[t + 2];
      const cy = (P[a + 1] + P[b + 1] + P[c + 1]) / 3,
        cx = (P[a] + P[b] + P[c]) / 3,
        cz = (P[a + 2] + P[b + 2] + P[c + 2]) / 3;
      if (m[1] * cx + m[5] * cy + m[9] * cz + m[13] < minY) continue;
      const n = triangleCross(P, a, b, c);
      // World normal via the linear part (exact for rotations and uniform scale).
      const wx = m[0] * n[0] + m[4] * n[1] + m[8] * n[2],
        wy = m[1] * n[0] + m[5] * n[1] + m[9] * n[2],
        wz = m[2] * n[0] + m[6] * n[1] + m[10] * n[2];
      const len = Math.hypot(wx, wy, wz);
      if (len > 0 && wy / len < -0.7) area += len / 2;
    }
  }
  return area;
}

export async function analyzeScene(scene: Scene, flat: FlatScene, measured: Measurement): Promise<SceneAnalysis> {
  const sb = isEmpty(boundsFromMeasure(measured.instanceBounds, [...Array(flat.instanceMesh.length).keys()]))
    ? sceneBounds(scene)
    : boundsFromMeasure(measured.instanceBounds, [...Array(flat.instanceMesh.length).keys()]);
  const views = referenceViews(sb, viewFromSceneCamera(scene, 0, 1920), lookAt);
  const ceilingMinY = sb.min[1] + 0.6 * (sb.max[1] - sb.min[1]);

  // Group instances by node: an object is a node that draws a mesh, with all its copies.
  const byNode = new Map<number, number[]>();
  for (let i = 0; i < flat.instanceNode.length; i++) {
    const n = flat.instanceNode[i];
    if (!byNode.has(n)) byNode.set(n, []);
    byNode.get(n)!.push(i);
  }
  const componentCache = new Map<number, number>();
  const lodCache = new Map<number, Awaited<ReturnType<typeof estimateLod>>>();
  const objects: ObjectFeatures[] = [];
  for (const [node, insts] of byNode) {
    const mesh = flat.instanceMesh[insts[0]];
    const tris = flat.meshFirstTriangle[mesh + 1] - flat.meshFirstTriangle[mesh];
    let area = 0,
      degenerate = 0;
    for (const i of insts) {
      area += measured.instanceArea[i];
      degenerate += measured.instanceDegenerate[i];
    }
    const bounds = boundsFromMeasure(measured.instanceBounds, insts);
    if (!componentCache.has(mesh)) {
      let c = 0;
      for (const p of scene.meshes[mesh].primitives) c += countComponents(p.positions, p.indices);
      componentCache.set(mesh, c);
    }
    if (!lodCache.has(mesh)) lodCache.set(mesh, await estimateLod(scene.meshes[mesh]));
    const shares = materialShares(scene, mesh);
    const coverage = Math.max(0, ...views.map((v) => (isEmpty(bounds) ? 0 : screenCoverage(bounds, v))));
    const copyArea = measured.instanceArea[insts[0]];
    const copyScale = copyArea > 0 ? area / copyArea : insts.length;
    const ceiling =
      ceilingArea(scene, mesh, flat.instanceTransforms.subarray(insts[0] * 16, insts[0] * 16 + 16), ceilingMinY) *
      copyScale;
    const ext = isEmpty(bounds) ? [0, 0, 0] : [0, 1, 2].map((k) => bounds.max[k] - bounds.min[k]);
    const drawn = tris * insts.length;
    objects.push({
      node,
      name: scene.nodes[node].name,
      mesh,
      instances: insts.length,
      triangles: tris,
      drawnTriangles: drawn,
      degenerateTriangles: degenerate,
      surfaceArea: area,
      bounds,
      density: area > 0 ? drawn / area : 0,
      screenCoverage: coverage,
      screenDensity: drawn / Math.max(coverage, 1e-6),
      components: componentCache.get(mesh)!,
      alphaTestedShare: shares.alphaTestedShare,
      alphaBlendShare: shares.alphaBlendShare,
      transmissionShare: shares.transmissionShare,
      emissiveShare: shares.emissiveShare,
      unlitShare: shares.unlitShare,
      textureCount: shares.textures.size,
      textureTexels: [...shares.textures].reduce((s, t) => s + scene.textures[t].width * scene.textures[t].height, 0),
      animated: !!scene.nodes[node].dynamic || hasDynamicAncestor(scene, node),
      thin: Math.max(...ext) > 0 && Math.min(...ext) < 0.02 * Math.max(...ext),
      ceilingArea: ceiling,
      lod: lodCache.get(mesh)!,
    });
  }

  const sceneFeatures = summarize(scene, objects, measured, sb);
  const objectAnalyses = objects.map((features) => {
    const scores = scoreObject(features, sceneFeatures);
    return { features, scores, hints: objectHints(features, scores) };
  });
  const cls = classifyScene(sceneFeatures);
  const hints: string[] = [];
  if (measured.degenerateCount > 0)
    hints.push(
      `scene: ${measured.degenerateCount.toLocaleString('en-US')} degenerate triangles (no area) are skipped by every kernel`,
    );
  if (sceneFeatures.diagonal > 2000)
    hints.push(
      `scene: ${sceneFeatures.diagonal.toFixed(0)} units across; if these are millimetres, scale by 0.001 so texel density (texels per metre) is meaningful`,
    );
  return { scene: sceneFeatures, class: cls.class, classScores: cls.scores, objects: objectAnalyses, hints };
}

function hasDynamicAncestor(scene: Scene, node: number): boolean {
  for (let p = scene.nodes[node].parent; p >= 0; p = scene.nodes[p].parent) if (scene.nodes[p].dynamic) return true;
  return false;
}

function boundsFromMeasure(b: Float32Array, instances: number[]): Bounds {
  const out = emptyBounds();
  for (const i of instances) {
    if (!(b[6 * i] <= b[6 * i + 3])) continue;
    expand(out, b[6 * i], b[6 * i + 1], b[6 * i + 2]);
    expand(out, b[6 * i + 3], b[6 * i + 4], b[6 * i + 5]);
  }
  return out;
}

function summarize(scene: Scene, objects: ObjectFeatures[], measured: Measurement, bounds: Bounds): SceneFeatures {
  const lights = { directional: 0, point: 0, spot: 0 };
  for (const l of scene.lights) lights[l.type]++;
  const emissiveMaterials = scene.materials.filter(
    (m) => m.emissiveStrength > 0 && m.emissiveFactor.some((c) => c > 0),
  ).length;
  const drawn = objects.reduce((s, o) => s + o.drawnTriangles, 0);
  const ceiling = objects.reduce((s, o) => s + o.ceilingArea, 0);
  const footprint = isEmpty(bounds) ? 0 : (bounds.max[0] - bounds.min[0]) * (bounds.max[2] - bounds.min[2]);
  const foliage = objects
    .filter((o) => o.alphaTestedShare > 0.5 && (o.instances > 10 || o.components > 8))
    .reduce((s, o) => s + o.drawnTriangles, 0);
  return {
    objects: objects.length,
    triangles: scene.meshes.reduce((s, m) => s + m.primitives.reduce((t, p) => t + p.indices.length / 3, 0), 0),
    drawnTriangles: drawn,
    degenerateTriangles: measured.degenerateCount,
    instances: objects.reduce((s, o) => s + o.instances, 0),
    materials: scene.materials.length,
    textures: scene.textures.length,
    textureTexels: scene.textures.reduce((s, t) => s + t.width * t.height, 0),
    lights,
    emissiveMaterials,
    emissiveArea: objects.reduce((s, o) => s + o.emissiveShare * o.surfaceArea, 0),
    animatedObjects: objects.filter((o) => o.animated).length,
    surfaceArea: measured.totalArea,
    bounds,
    diagonal: boundsDiagonal(bounds),
    enclosed: footprint > 0 ? Math.min(1, ceiling / footprint) : 0,
    foliageShare: drawn ? foliage / drawn : 0,
  };
}
