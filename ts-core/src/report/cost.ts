/**
 * A first cost model for reports: machine time priced per core-hour (CPU) or GPU-hour, and CO₂ from energy at a
 * grid intensity. Economy Offline (later) replaces the constants with live prices and carbon windows.
 */
export interface CostInputs {
  /** Wall seconds spent in each stage and where it ran. */
  stages: { name: string; seconds: number; device: 'cpu' | 'cuda'; cores?: number }[];
}

export interface CostEstimate {
  cpuCoreHours: number;
  gpuHours: number;
  usd: number;
  energyKWh: number;
  co2Kg: number;
  assumptions: Record<string, number>;
}

export const COST_ASSUMPTIONS = {
  usdPerCpuCoreHour: 0.04,
  usdPerGpuHour: 2.5,
  wattsPerCpuCore: 12,
  wattsPerGpu: 500,
  gridKgCo2PerKWh: 0.4,
};

export function estimateCost(inputs: CostInputs, a = COST_ASSUMPTIONS): CostEstimate {
  let cpuCoreHours = 0,
    gpuHours = 0;
  for (const s of inputs.stages) {
    if (s.device === 'cuda') gpuHours += s.seconds / 3600;
    else cpuCoreHours += (s.seconds / 3600) * (s.cores ?? 1);
  }
  const energyKWh = (cpuCoreHours * a.wattsPerCpuCore + gpuHours * a.wattsPerGpu) / 1000;
  return {
    cpuCoreHours,
    gpuHours,
    usd: cpuCoreHours * a.usdPerCpuCoreHour + gpuHours * a.usdPerGpuHour,
    energyKWh,
    co2Kg: energyKWh * a.gridKgCo2PerKWh,
    assumptions: { ...a },
  };
}
