/**
 * Fitting lightmap density to a texel budget, per object, the way Unity's "Max Lightmap Size" and "Scale In
 * Lightmap" combine: rather than refusing a scene whose requested density does not fit, every object's density is
 * scaled down, big background surfaces more than small or important objects, but never below a minimal useful
 * density. Pure arithmetic on areas: bake/uv.ts measures the objects, calls fitDensities, packs, and checks the
 * packed pages against the budget (tightening and repacking when the estimate was optimistic).
 *
 * The rule, for a global factor s solved by bisection so that the estimate fits:
 *   weight_o  = importance_o × (A_ref / A_o)^sizeExponent      A_o the object's area, A_ref the median object area
 *   scale_op  = clamp(s × weight_o × w_op, floor_o / requested_o, raise_op)  never above what was asked (1) or
 *               what the views ask of the part (raise_op ≥ 1, bake/view-weights.ts viewFloorScale)
 *   texels    = headroom × Σ_objects Σ_parts min(A_part × (requested_o × scale_op)², pageCap)
 * importance_o is 1, × overrideImportance for objects with an explicit density (a TD's choice), × the caller's
 * objectImportance (e.g. screen coverage per area). w_op is a part's weight within its object (default 1): how large
 * its texels appear from where the scene is seen (bake/view-weights.ts). sizeExponent 0.25 sits between uniform scaling (0) and equal
 * texels per object (0.5): an object with 16× the area keeps half the relative density. A part never takes more
 * than one page (the packer shrinks it to fit), hence the cap. floor_o (the minimal useful density) is
 * minTexelsAcross texels across the object's middle bounding-box side, so a wall or a pipe still gets a gradient
 * across it; the fit is impossible only when every object at its floor is still over the budget.
 */

export interface DensityBudgetOptions {
  /** Estimated page texels per chart texel (padding, packing loss). The packed result is checked anyway. Default 1.1. */
  headroom?: number;
  /** Relative density ∝ area^-sizeExponent among scaled objects. Default 0.25. */
  sizeExponent?: number;
  /** Extra importance of objects with an explicit density (objectTexelsPerMeter). Default 2. */
  overrideImportance?: number;
  /** Minimal useful density: this many texels across the object's middle bounding-box side. Default 4. */
  minTexelsAcross?: number;
}

export const DENSITY_BUDGET_DEFAULTS: Required<DensityBudgetOptions> = {
  headroom: 1.1,
  sizeExponent: 0.25,
  overrideImportance: 2,
  minTexelsAcross: 4,
};

export interface BudgetObject {
  /** World area of each part packed on its own (a primitive): each lands whole on one page. */
  partAreas: number[];
  /** Relative weight of each part's density (default 1 each), e.g. how near the viewpoints see it. */
  partWeights?: number[];
  /**
   * Most scale of each part's density (default 1 each: as asked); above 1 where the views see its texels span more
   * pixels than the profile allows (bake/view-weights.ts viewFloorScale). The budget may still scale it down.
   */
  partRaise?: number[];
  /** Texels per metre asked for (the profile's or the object's override). */
  requested: number;
  /** Relative importance (1 = ordinary); the override bonus is already folded in by the caller. */
  importance: number;
  /** Minimal useful density in texels per metre (clamped to `requested`). */
  minDensity: number;
}

export interface DensityFit {
  /** Per object: the fraction of its requested density its least dense part packs at (1 = as asked). */
  scale: number[];
  /** Per object and part: the fraction of the object's requested density to pack the part at. */
  partScale: number[][];
  /** The global factor s (scale of a median-area object of importance 1); 1 when nothing had to shrink. */
  global: number;
  /** Estimated page texels as fitted, as asked (with the views' raises), and with every object at its floor. */
  estimate: number;
  requestedEstimate: number;
  minimumEstimate: number;
  /** False when even the floors exceed the budget (then `scale` holds the floors). */
  fits: boolean;
  /** Whether every part is at its object's floor: no tighter fit exists. */
  atFloor: boolean;
}

/** Estimated page texels of `objects` at per-object scales, or per-part ones. */
export function estimatePageTexels(
  objects: readonly BudgetObject[],
  scale: readonly (number | readonly number[])[],
  pageCap: number,
  headroom: number,
): number {
  let texels = 0;
  objects.forEach((o, i) => {
    const si = scale[i];
    o.partAreas.forEach((a, k) => {
      const d = o.requested * (typeof si === 'number' ? si : si[k]);
      texels += Math.min(a * d * d, pageCap);
    });
  });
  return headroom * texels;
}

export function fitDensities(
  objects: readonly BudgetObject[],
  budget: number,
  pageCap: number,
  opts: DensityBudgetOptions = {},
): DensityFit {
  const o = { ...DENSITY_BUDGET_DEFAULTS, ...opts };
  const area = objects.map((b) => b.partAreas.reduce((s, a) => s + a, 0));
  const positive = area.filter((a) => a > 0).sort((x, y) => x - y);
  const ref = positive.length ? positive[positive.length >> 1] : 1;
  const weight = objects.map(
    (b, i) => Math.max(1e-12, b.importance) * (area[i] > 0 ? (ref / area[i]) ** o.sizeExponent : 1),
  );
  const floor = objects.map((b) => Math.min(1, Math.max(0, b.minDensity) / b.requested));
  const partWeight = objects.map((b) => b.partAreas.map((_, k) => Math.max(1e-12, b.partWeights?.[k] ?? 1)));
  const raise = objects.map((b) => b.partAreas.map((_, k) => Math.max(1, b.partRaise?.[k] ?? 1)));
  const at = (s: number) =>
    objects.map((_, i) => partWeight[i].map((w, k) => Math.min(raise[i][k], Math.max(floor[i], s * weight[i] * w))));
  const texels = (scale: number[][]) => estimatePageTexels(objects, scale, pageCap, o.headroom);
  const result = (partScale: number[][], global: number, fits: boolean) => ({
    requestedEstimate,
    minimumEstimate,
    partScale,
    // The least dense part (loops: an object can have more parts than a call has arguments).
    scale: partScale.map((p) => p.reduce((m, x) => Math.min(m, x), 1)),
    global,
    estimate: texels(partScale),
    fits,
    atFloor: partScale.every((p, i) => p.every((x) => x <= floor[i] + 1e-9)),
  });

  const requestedEstimate = texels(raise),
    minimumEstimate = texels(objects.map((b, i) => b.partAreas.map(() => floor[i])));
  if (requestedEstimate <= budget) return result(at(Infinity), 1, true);
  if (minimumEstimate > budget) return result(at(0), 0, false);
  // Bisection on log s between "everything at its floor" and "everything as asked"; texels(at(s)) is monotone.
  // (Loops, not Math.min(...): a scene of instanced foliage can have more objects than a call has arguments.)
  let lo = Infinity,
    hi = 0;
  floor.forEach((f, i) => {
    partWeight[i].forEach((w, k) => {
      lo = Math.min(lo, f / (weight[i] * w));
      hi = Math.max(hi, raise[i][k] / (weight[i] * w));
    });
  });
  lo = Math.log(Math.max(1e-30, lo));
  hi = Math.log(hi);
  for (let k = 0; k < 64 && hi - lo > 1e-6; k++) {
    const mid = (lo + hi) / 2;
    if (texels(at(Math.exp(mid))) <= budget) lo = mid;
    else hi = mid;
  }
  return result(at(Math.exp(lo)), Math.exp(lo), true);
}
