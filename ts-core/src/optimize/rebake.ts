/**
 * A second bake, at raised densities, for a run whose first failed its own check (run.ts). Texels per metre are not
 * a screen size: a small scene seen up close (a tabletop, a miniature field) shows texels many pixels across at a
 * density that suits a level, and sharp shadows then blur past what the check accepts. Where the planned views see
 * a texel over the profile's bake.maxTexelPixels across, the second bake raises those parts, at most 4×
 * (bake/view-weights.ts viewFloorScale). Raising them on every run would cost scenes lit smoothly enough for nothing:
 * always raised, the living room's BALANCED run took 208 s instead of 82 for 0.1 dB (2026-12-06).
 *
 * Baked again only when it can change the verdict: the check compared an output and found it below the profile (not
 * a black reference or black objects, which no density fixes), the views see texels too large somewhere, and no
 * time target cut the first bake (a raised layout would be cut back to the same texels).
 */
import { EXIT } from '../exit-codes.js';
import { belowQuality, blackObjectsFail } from './exit-policy.js';
import type { OptimizeOptions } from './options.js';
import type { Products } from './stage.js';

/** Why the run bakes again (a line for the log), or undefined when it does not. */
export function rebakeReason(p: Partial<Products>, o: OptimizeOptions): string | undefined {
  const { check, bake } = p;
  if (o.bakeViewFloor || !check || !bake || check.exit.code !== EXIT.QUALITY_BELOW_THRESHOLD) return undefined;
  if (!check.claimed || !belowQuality(check.claimed, o.profile.quality) || blackObjectsFail(check.blackObjects))
    return undefined;
  const floor = bake.report.viewFloor;
  if (!floor?.objects.length || floor.applied || bake.report.timeTarget?.bound) return undefined;
  const most = floor.objects
    .slice(0, 3)
    .map((x) => `"${x.name}" ${x.raise.toFixed(2)}×`)
    .join(', ');
  return `own check below the profile, and the views see lightmap texels over ${floor.maxTexelPixels} pixels across on ${floor.objects.length} object(s): baking again with their density raised (${most}${floor.objects.length > 3 ? ', …' : ''})`;
}
