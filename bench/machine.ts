/**
 * What a benchmark ran on, recorded with its figures: CPU model and cores, the 1-minute load average at the start
 * and end of the run (a shared machine's load makes wall times pessimistic), ote's thread count and CUDA devices.
 */
import { cpus, loadavg } from 'node:os';
import { nativeInfo } from '../ts-core/src/native/addon.js';

export interface MachineRecord {
  cpu: string;
  cores: number;
  threads: number;
  cuda: string[];
  loadAtStart: number;
  loadAtEnd?: number;
}

export function machineRecord(): MachineRecord {
  const info = nativeInfo();
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, threads: info.threads, cuda: info.devices.map((d) => d.name), loadAtStart: +loadavg()[0].toFixed(2) };
}

/**
 * Stamps the end load and returns a one-line description. Only the load at the start says whether something else
 * was running: by the end the benchmark's own threads are in the average.
 */
export function describeMachine(m: MachineRecord): string {
  m.loadAtEnd = +loadavg()[0].toFixed(2);
  const loaded = m.loadAtStart > 0.5 * m.cores;
  return `${m.cores} cores (${m.cpu}), ${m.threads} ote threads, CUDA ${m.cuda.join(', ') || 'none'}; 1-min load ${m.loadAtStart} at start, ${m.loadAtEnd} at end` +
    (loaded ? ' (other work was running: wall times are pessimistic)' : '') +
    '. Run to run, figures on this shared VM vary by about ±10%.';
}
