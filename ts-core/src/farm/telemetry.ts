/**
 * What a worker tells the farm about its machine when it asks for work: its load, which the learning coordinator's
 * time and failure models take as a feature (coordinator/model.ts: time grows with load, and failures are counted
 * apart above `hotLoad`, the design's "fails 20% when GPU load > 95%").
 *
 * A GPU worker's load would be its GPUs' utilization (NVML); the workers here run the CPU backend, so the probe is
 * the machine's busy share of CPU time over the last second, from the kernel's per-core counters (os.cpus()). It is
 * the machine's, not the worker's: another tenant's work slows a worker as much as its own.
 */
import { cpus } from 'node:os';

export interface WorkerTelemetry {
  /** Busy share of the worker's machine (its GPUs', or its CPUs' where it has none), 0..1. */
  load?: number;
}

/** A load in [0, 1], or undefined for anything else (a worker's report is checked, not trusted). */
export function checkedLoad(load: unknown): number | undefined {
  return typeof load === 'number' && load >= 0 && load <= 1 ? load : undefined;
}

/** A load probe: `read()` is the load now; `stop()` ends its sampling. */
export interface LoadProbe {
  read(): number;
  stop(): void;
}

/**
 * The machine's CPU load: the busy share of all cores' time over the last whole sampling period (`periodMs`,
 * default 1 s; before the first, since boot). Busy is every counter but idle. A worker asks for work when its last
 * job has ended, so a short recent window reports what else runs on the machine, where an average since the last
 * claim would report the worker's own job. The timer does not keep the process alive.
 */
export function cpuLoadProbe(periodMs = 1000, read: () => ReturnType<typeof cpus> = cpus): LoadProbe {
  const totals = () => {
    let busy = 0,
      all = 0;
    for (const c of read()) {
      const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
      all += t;
      busy += t - c.times.idle;
    }
    return { busy, all };
  };
  const share = (a: { busy: number; all: number }, b: { busy: number; all: number }) =>
    b.all > a.all ? Math.min(1, Math.max(0, (b.busy - a.busy) / (b.all - a.all))) : 0;
  let last = totals();
  let load = share({ busy: 0, all: 0 }, last);
  const timer = setInterval(() => {
    const now = totals();
    load = share(last, now);
    last = now;
  }, periodMs);
  timer.unref?.();
  return { read: () => load, stop: () => clearInterval(timer) };
}
