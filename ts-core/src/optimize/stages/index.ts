/**
 * The stages of `ote optimize`, registered here and only here, in the order they run. Each declares what it needs
 * and produces (stage.ts); the runner checks it, and a test checks that every need is made by an earlier stage.
 */
import type { AnyStage } from '../stage.js';
import { analyzeStage } from './analyze.js';
import { bakeStage } from './bake.js';
import { checkStage } from './check.js';
import { importStage } from './import.js';
import { measureStage } from './measure.js';
import { outputStage } from './output.js';
import { planStage } from './plan.js';
import { previewStage } from './preview.js';
import { referenceStage } from './reference.js';
import { reportStage } from './report.js';
import { splatStage } from './splat.js';
import { verifyStage } from './verify.js';

/** The import stage runs first and alone: the result cache is keyed by what it reads. */
export const IMPORT_STAGE: AnyStage = importStage;

/** Everything after the cache lookup. */
export const OPTIMIZE_STAGES: readonly AnyStage[] = [
  measureStage,
  analyzeStage,
  planStage,
  bakeStage,
  referenceStage,
  splatStage,
  outputStage,
  previewStage,
  checkStage,
  verifyStage,
  reportStage,
];

/** The stages a second bake runs again (rebake.ts): the bake and what reads it, up to the own check. */
export const REBAKE_STAGES: readonly AnyStage[] = [bakeStage, outputStage, previewStage, checkStage];

/** Where a second bake may run: after the own check, before verification. */
export const AFTER_CHECK = OPTIMIZE_STAGES.indexOf(checkStage) + 1;

export { REFERENCE_SPP } from './reference.js';
export { TOOL_VERSION } from './report.js';
export { SPLAT_WORK_BOUND, splatIterations } from './splat.js';
