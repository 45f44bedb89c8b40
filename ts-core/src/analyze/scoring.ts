/**
 * The transparent scoring model: features are normalized to [0,1] and combined linearly with the weights in
 * weights.json. Every score can be explained by listing its terms, which `ote optimize --explain` does.
 */
import weights from './weights.json' with { type: 'json' };
import type { ObjectFeatures, SceneFeatures } from './features.js';

type Linear = { bias: number; weights: Record<string, number> };

export interface ScoreTerm {
  feature: string;
  value: number;
  weight: number;
}

export interface Score {
  value: number;
  terms: ScoreTerm[];
  bias: number;
}

export const SCORING_MODEL = weights;

function logNorm(x: number, key: keyof typeof weights.normalize): number {
  const n = weights.normalize[key] as { log10Min: number; log10Max: number };
  if (!(x > 0)) return 0;
  return clamp01((Math.log10(x) - n.log10Min) / (n.log10Max - n.log10Min));
}

export function clamp01(x: number): number {
  return Math.max(0, Math.min(1, x));
}

function linear(model: Linear, features: Record<string, number>): Score {
  const terms: ScoreTerm[] = [];
  let v = model.bias;
  for (const [feature, weight] of Object.entries(model.weights)) {
    const value = features[feature];
    if (value === undefined) throw new Error(`scoring model uses unknown feature "${feature}"`);
    v += weight * value;
    terms.push({ feature, value, weight });
  }
  return { value: clamp01(v), terms, bias: model.bias };
}

/** The normalized object features the scores are built from. */
export function normalizedObjectFeatures(o: ObjectFeatures, scene: SceneFeatures): Record<string, number> {
  return {
    triangles: logNorm(o.drawnTriangles, 'triangles'),
    density: logNorm(o.density, 'density'),
    screenDensity: logNorm(o.screenDensity, 'screenDensity'),
    textureTexels: logNorm(o.textureTexels, 'textureTexels'),
    // Many small pieces (leaf cards, debris), not a few large parts of a machine.
    fragmentation: o.components > 8 && o.triangles / o.components < 64 ? logNorm(o.components, 'components') : 0,
    instances: logNorm(o.instances, 'instances'),
    alphaTested: o.alphaTestedShare,
    alphaBlend: o.alphaBlendShare,
    opaque: 1 - o.alphaTestedShare - o.alphaBlendShare,
    static: o.animated ? 0 : 1,
    animated: o.animated ? 1 : 0,
    surfaceShare: scene.surfaceArea > 0 ? clamp01(o.surfaceArea / scene.surfaceArea) : 0,
    sceneHasLights:
      scene.lights.directional + scene.lights.point + scene.lights.spot + scene.emissiveMaterials > 0 ? 1 : 0,
    emissiveShare: o.emissiveShare,
    unlit: o.unlitShare,
    transmission: o.transmissionShare,
  };
}

export interface ObjectScores {
  complexity: Score;
  bakingScore: Score;
  dynamicScore: Score;
  volumetric: boolean;
}

export function scoreObject(o: ObjectFeatures, scene: SceneFeatures): ObjectScores {
  const f = normalizedObjectFeatures(o, scene);
  return {
    complexity: linear(weights.complexity, f),
    bakingScore: linear(weights.bakingScore, f),
    dynamicScore: linear(weights.dynamicScore, f),
    volumetric:
      o.alphaBlendShare + o.transmissionShare >= weights.volumetric.blendShare &&
      f.fragmentation >= weights.volumetric.fragmentation,
  };
}

export type SceneClass = keyof typeof weights.classes;

export function classifyScene(s: SceneFeatures): { class: SceneClass; scores: Record<string, Score> } {
  const f: Record<string, number> = {
    enclosed: s.enclosed,
    sceneHasLights: s.lights.directional + s.lights.point + s.lights.spot + s.emissiveMaterials > 0 ? 1 : 0,
    hasSun: s.lights.directional > 0 ? 1 : 0,
    foliageShare: s.foliageShare,
    instances: logNorm(s.instances, 'instances'),
    fewObjects: s.objects <= 3 ? 1 : 0,
    manyObjects: clamp01(Math.log10(Math.max(1, s.objects)) / 2),
    textured: s.textures > 0 ? 1 : 0,
    untextured: s.textures > 0 ? 0 : 1,
    emissiveLights: s.emissiveMaterials > 0 ? 1 : 0,
    manyMaterials: clamp01(Math.log10(Math.max(1, s.materials)) / 2),
    nonMetricScale: s.diagonal > 2000 || (s.diagonal > 0 && s.diagonal < 0.05) ? 1 : 0,
    // A room or level spans metres to hundreds of metres; a hero asset fits in a few metres.
    roomScale: s.diagonal >= 8 && s.diagonal <= 2000 ? 1 : 0,
    objectScale: s.diagonal > 0 && s.diagonal < 8 ? 1 : 0,
  };
  const scores: Record<string, Score> = {};
  let best: SceneClass = 'interior';
  for (const [name, model] of Object.entries(weights.classes)) {
    if (name.startsWith('$')) continue;
    scores[name] = linear(model as Linear, f);
    if (scores[name].value > (scores[best]?.value ?? -1)) best = name as SceneClass;
  }
  return { class: best, scores };
}
