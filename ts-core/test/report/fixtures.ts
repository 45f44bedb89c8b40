/** A report with only what every run has (a bake of a small scene, nothing verified), for the report tests to extend. */
import type { OptimizeReport } from '../../src/report/types.js';

export const minimalReport = {
  version: 1,
  tool: 'ote test',
  createdAt: '2026-01-01T00:00:00Z',
  input: { file: 'f.glb', hash: 'ab'.repeat(32), triangles: 10, drawnTriangles: 10, warnings: [] },
  profile: { name: 'REALTIME', source: 'realtime' },
  analysis: { class: 'exterior', hints: [], objects: [] },
  plan: { pipeline: 'bake', decisions: [] },
  outputs: { scene: 'scene.glb', lightmaps: [], splats: [] },
  images: [],
  timings: [],
  cost: { usd: 0, cpuCoreHours: 0, gpuHours: 0, energyKWh: 0, co2Kg: 0, assumptions: { gridKgCo2PerKWh: 0.4 } },
  exit: { code: 0, reason: 'ok' },
} as unknown as OptimizeReport;
