/**
 * How an optimize run ends: the one place that turns what the stages found into an exit code and a reason. The codes
 * are the CLI's (exit-codes.ts, documented in the README); CI scripts branch on them.
 *
 * In order: nothing to judge (every view's reference black or flat), objects the path tracer shows black over
 * non-black materials, an own check below the profile (all exit 6, before any verifier is asked); then the Trust
 * Engine's verdict (7 when any artifact is rejected). A run without verification can pass only as "not verified".
 */
import { EXIT } from '../exit-codes.js';
import { BUILTIN_PROFILES, type Profile } from '../plan/profile.js';
import type { BlackObject } from './black-objects.js';

export interface ExitDecision {
  code: number;
  reason: string;
}

export interface Measured {
  psnr: number;
  ssim: number;
  flip: number;
}

/** Objects black in the reference over non-black materials (black-objects.ts) fail the own check past this share of the view. */
export const BLACK_OBJECTS_SHARE = 0.05;

export interface OwnCheckFindings {
  /** False when the reference was black or flat at every planned view. */
  informative: boolean;
  viewsPlanned: number;
  /** Whether the profile's sky and sun lit the scene, for the hint when nothing is visible. */
  environment: boolean;
  blackObjects: BlackObject[];
  /** Absent when nothing was compared (no baked or splatted output). */
  claimed: Measured | undefined;
  worstObjects: { name: string; mean: number }[];
  quality: Profile['quality'];
}

/** Whether measured figures fall short of the profile's quality thresholds. */
export function belowQuality(c: Measured, q: Profile['quality']): boolean {
  return c.psnr < q.psnr || c.ssim < q.ssim || c.flip > q.flip;
}

/** Whether the objects black in the reference over non-black materials take enough of the view to fail the check. */
export function blackObjectsFail(blackObjects: readonly BlackObject[]): boolean {
  return blackObjects.reduce((a, b) => a + b.share, 0) >= BLACK_OBJECTS_SHARE;
}

/** The exit the own check implies; code 0 means verification may go ahead. */
export function ownCheckExit(f: OwnCheckFindings): ExitDecision {
  if (!f.informative) {
    const hint = f.environment
      ? 'the default sky and sun were used'
      : 'it has its own lights, so no default sky was added; set bake.environment.mode to "always"';
    return {
      code: EXIT.QUALITY_BELOW_THRESHOLD,
      reason: `nothing to judge: the path-traced reference is black or flat at every planned view (${f.viewsPlanned}); is the scene lit? (${hint})`,
    };
  }
  if (blackObjectsFail(f.blackObjects)) {
    const list = f.blackObjects.map((b) => `"${b.name}" ${(100 * b.share).toFixed(1)}% of the view`).join(', ');
    return {
      code: EXIT.QUALITY_BELOW_THRESHOLD,
      reason: `the path tracer shows black where the materials are not (a bug or missing light, not a match): ${list}`,
    };
  }
  const q = f.quality,
    c = f.claimed;
  if (c && belowQuality(c, q)) {
    const worst =
      f.worstObjects
        .slice(0, 3)
        .map((w) => `"${w.name}" (FLIP ${w.mean.toFixed(3)})`)
        .join(', ') || 'no single object';
    return {
      code: EXIT.QUALITY_BELOW_THRESHOLD,
      reason:
        `own check below the profile: PSNR ${c.psnr.toFixed(2)} (≥ ${q.psnr}), SSIM ${c.ssim.toFixed(4)} (≥ ${q.ssim}), FLIP ${c.flip.toFixed(4)} (≤ ${q.flip})` +
        `; most error on ${worst}; ${suggestProfile(c)}`,
    };
  }
  return { code: EXIT.OK, reason: 'verified' };
}

/** The exit once the Trust Engine has answered for every artifact. */
export function verificationExit(rejected: { file: string; reason: string }[]): ExitDecision {
  if (!rejected.length) return { code: EXIT.OK, reason: 'verified' };
  return {
    code: EXIT.VERIFICATION_REJECTED,
    reason: `verification rejected: ${rejected.map((r) => `${r.file}: ${r.reason}`).join('; ')}`,
  };
}

/** The exit of a run told not to verify: its own check's failure stands, a pass is "not verified". */
export function unverifiedExit(ownCheck: ExitDecision): ExitDecision {
  return ownCheck.code === EXIT.OK ? { code: EXIT.OK, reason: 'not verified (--no-verify)' } : ownCheck;
}

/** The built-in profiles whose quality thresholds these measurements meet, for the message of a failed own check. */
export function suggestProfile(m: Measured): string {
  const ok = Object.values(BUILTIN_PROFILES)
    .filter((p) => m.psnr >= p.quality.psnr && m.ssim >= p.quality.ssim && m.flip <= p.quality.flip)
    .map((p) => p.name);
  return ok.length
    ? `these figures pass under ${ok.join(', ')}`
    : 'no built-in profile accepts these figures; raise bake.samples or texelsPerMeter';
}
