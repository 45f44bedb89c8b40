import { totalmem } from 'node:os';

/** Default budget for loading a scene: OTE_MEMORY_BUDGET (bytes) or 75% of physical memory. */
export function defaultMemoryBudget(): number {
  const env = Number(process.env.OTE_MEMORY_BUDGET);
  return Number.isFinite(env) && env > 0 ? env : Math.floor(totalmem() * 0.75);
}
