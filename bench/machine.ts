/**
 * What a benchmark ran on, recorded with its figures: CPU model and cores, how busy the CPUs were just before the
 * run (other work makes wall times pessimistic), ote's thread count and CUDA devices.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { nativeInfo } from '../ts-core/src/native/addon.js';

export interface MachineRecord {
  cpu: string;
  cores: number;
  threads: number;
  cuda: string[];
  /** Fraction of all CPU time that was busy over half a second before the run (Linux), else the load average / cores. */
  busyBefore: number;
  loadAverage: number;
}

function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export function machineRecord(): MachineRecord {
  const info = nativeInfo();
  const a = cpuTimes();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  const b = cpuTimes();
  const cores = cpus().length;
  const busyBefore =
    a && b && b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : Math.min(1, loadavg()[0] / cores);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores,
    threads: info.threads,
    cuda: info.devices.map((d) => d.name),
    busyBefore: +busyBefore.toFixed(2),
    loadAverage: +loadavg()[0].toFixed(2),
  };
}

/** One line for the printed table. */
export function describeMachine(m: MachineRecord): string {
  return (
    `${m.cores} cores (${m.cpu}), ${m.threads} ote threads, CUDA ${m.cuda.join(', ') || 'none'}; ` +
    `CPUs ${Math.round(100 * m.busyBefore)}% busy before the run` +
    (m.busyBefore > 0.25 ? ' (other work was running: wall times are pessimistic)' : '') +
    '. Run to run, figures on this shared VM vary by about ±10%.'
  );
}
