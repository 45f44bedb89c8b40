/**
 * The router: per object, baking, 3DGS, hybrid or keep, by the design's decision matrix with the profile's
 * thresholds. Each decision carries its reasons so that `--explain` can print why.
 *   bake    if baking_score > routing.bakeScore and dynamic_score < routing.dynamicScore
 *   3DGS    if complexity > routing.splatComplexity, or the object is volumetric
 *   hybrid  otherwise: opaque and alpha-tested primitives are baked (the bake and every renderer honour alpha
 *           cut-outs), blended and transmissive ones become splats
 * Animated objects are kept as they are (neither baked nor splatted) unless a profile override says otherwise.
 */
import type { ObjectAnalysis, SceneAnalysis } from '../analyze/analyze.js';
import type { Scene } from '../scene/types.js';
import { objectOverride, type Profile, type Route } from './profile.js';

export interface RouteDecision {
  node: number;
  name: string;
  route: Route;
  /** For hybrid: which of the mesh's primitives are baked and which become splats. */
  bakePrimitives: number[];
  splatPrimitives: number[];
  texelsPerMeter: number;
  reasons: string[];
}

export interface Plan {
  profile: string;
  /** The scene-level pipeline: all objects baked, all splatted, or a mix. */
  pipeline: 'baking' | '3dgs' | 'hybrid' | 'none';
  decisions: RouteDecision[];
}

const f2 = (x: number) => x.toFixed(2);

export function routeObject(scene: Scene, o: ObjectAnalysis, profile: Profile): RouteDecision {
  const { features: f, scores: s } = o;
  const t = profile.routing;
  const reasons: string[] = [];
  const override = objectOverride(profile, f.name);
  const prims = scene.meshes[f.mesh].primitives;
  const all = prims.map((_, i) => i);
  const texelsPerMeter = override?.texelsPerMeter ?? profile.bake.texelsPerMeter;
  const decide = (route: Route, bakePrimitives: number[], splatPrimitives: number[]): RouteDecision => ({
    node: f.node,
    name: f.name,
    route,
    bakePrimitives,
    splatPrimitives,
    texelsPerMeter,
    reasons,
  });

  // Alpha-tested (MASK) surfaces bake like opaque ones, with light passing their cut-outs; what a lightmap cannot
  // hold is partial coverage: blended and transmissive surfaces.
  const cutout = (i: number) => {
    const m = scene.materials[prims[i].material];
    return !!m && (m.alphaMode === 'BLEND' || m.transmission > 0);
  };
  const split = () => [all.filter((i) => !cutout(i)), all.filter(cutout)] as const;

  if (override?.route) {
    reasons.push(`profile override "${override.match}" → ${override.route}`);
    if (override.route === 'bake') return decide('bake', all, []);
    if (override.route === 'splat') return decide('splat', [], all);
    if (override.route === 'keep') return decide('keep', [], []);
    const [b, sp] = split();
    return decide('hybrid', b, sp);
  }
  if (f.animated && s.dynamicScore.value >= t.dynamicScore) {
    reasons.push(
      `dynamic_score ${f2(s.dynamicScore.value)} ≥ ${f2(t.dynamicScore)} (animated, skinned or movable) → keep as is`,
    );
    return decide('keep', [], []);
  }
  if (s.bakingScore.value > t.bakeScore && s.dynamicScore.value < t.dynamicScore) {
    reasons.push(
      `baking_score ${f2(s.bakingScore.value)} > ${f2(t.bakeScore)} and dynamic_score ${f2(s.dynamicScore.value)} < ${f2(t.dynamicScore)} → bake`,
    );
    return decide('bake', all, []);
  }
  reasons.push(
    `baking_score ${f2(s.bakingScore.value)} ≤ ${f2(t.bakeScore)}${s.dynamicScore.value >= t.dynamicScore ? ` or dynamic_score ${f2(s.dynamicScore.value)} ≥ ${f2(t.dynamicScore)}` : ''} → not baked whole`,
  );
  if (s.complexity.value > t.splatComplexity || s.volumetric) {
    reasons.push(
      s.volumetric
        ? 'volumetric (blended and fragmented) → 3DGS'
        : `complexity ${f2(s.complexity.value)} > ${f2(t.splatComplexity)} → 3DGS`,
    );
    return decide('splat', [], all);
  }
  reasons.push(`complexity ${f2(s.complexity.value)} ≤ ${f2(t.splatComplexity)} → hybrid`);
  const [b, sp] = split();
  if (sp.length === 0) reasons.push('all primitives are opaque or alpha-tested, so the hybrid object is baked');
  if (b.length === 0) reasons.push('all primitives are blended or transmissive, so the hybrid object becomes splats');
  return decide(sp.length === 0 ? 'bake' : b.length === 0 ? 'splat' : 'hybrid', b, sp);
}

export function planScene(scene: Scene, analysis: SceneAnalysis, profile: Profile): Plan {
  const decisions = analysis.objects.map((o) => routeObject(scene, o, profile));
  const baked = decisions.some((d) => d.bakePrimitives.length),
    splatted = decisions.some((d) => d.splatPrimitives.length);
  const pipeline = baked && splatted ? 'hybrid' : baked ? 'baking' : splatted ? '3dgs' : 'none';
  return { profile: profile.name, pipeline, decisions };
}

/** Human-readable explanation, one block per object, with the score terms. */
export function explainPlan(plan: Plan, analysis: SceneAnalysis): string {
  const lines = [`profile ${plan.profile}: ${plan.pipeline} pipeline, scene class ${analysis.class}`];
  for (const d of plan.decisions) {
    const o = analysis.objects.find((x) => x.features.node === d.node)!;
    lines.push(`${d.name}: ${d.route}`);
    for (const r of d.reasons) lines.push(`    ${r}`);
    for (const [label, score] of [
      ['complexity', o.scores.complexity],
      ['baking_score', o.scores.bakingScore],
    ] as const) {
      const terms = score.terms
        .filter((t) => t.value !== 0)
        .map((t) => `${t.weight >= 0 ? '+' : ''}${t.weight}×${t.feature}(${t.value.toFixed(2)})`);
      lines.push(`    ${label} = ${score.bias} ${terms.join(' ')} = ${score.value.toFixed(2)}`);
    }
    for (const h of o.hints) lines.push(`    hint: ${h}`);
  }
  return lines.join('\n');
}
