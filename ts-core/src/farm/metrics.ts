/**
 * The farm's Prometheus metrics (prom-client), named by Prometheus' conventions: an `ote_farm_` prefix, base units
 * (`_seconds`), `_total` on counters, and labels with a bounded set of values (states, kinds, verdicts, outcomes,
 * route patterns; never job or key ids). Gauges that mirror the store are read from it at scrape time.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { FarmStore, JobRow, JobState } from './store.js';

export class FarmMetrics {
  readonly registry = new Registry();
  readonly taskSeconds: Histogram<'kind' | 'outcome'>;
  readonly startLatencySeconds: Histogram<'kind'>;
  readonly retries: Counter<'kind'>;
  readonly failures: Counter<'kind'>;
  readonly verdicts: Counter<'verdict'>;
  readonly requests: Counter<'route' | 'method' | 'status'>;

  constructor(store: FarmStore, workers: () => { total: number; busy: number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'ote_farm_process_' });
    new Gauge({
      name: 'ote_farm_queue_depth',
      help: 'Jobs waiting for a worker (queued, including those backing off before a retry).',
      registers,
      collect() {
        this.set(store.jobsByState().queued);
      },
    });
    new Gauge({
      name: 'ote_farm_jobs',
      help: 'Jobs by state.',
      labelNames: ['state'],
      registers,
      collect() {
        for (const [state, n] of Object.entries(store.jobsByState()) as [JobState, number][]) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'ote_farm_workers',
      help: 'Workers attached to this server.',
      registers,
      collect() {
        this.set(workers().total);
      },
    });
    new Gauge({
      name: 'ote_farm_worker_utilization_ratio',
      help: 'Share of the workers running a task now.',
      registers,
      collect() {
        const w = workers();
        this.set(w.total ? w.busy / w.total : 0);
      },
    });
    this.taskSeconds = new Histogram({
      name: 'ote_farm_task_duration_seconds',
      help: 'Wall time of a task attempt, by kind and outcome (completed; failed, lease lost included; cancelled).',
      labelNames: ['kind', 'outcome'],
      buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600],
      registers,
    });
    this.startLatencySeconds = new Histogram({
      name: 'ote_farm_enqueue_to_start_seconds',
      help: 'Time from a job being queued to a worker starting it, first attempts only.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120],
      registers,
    });
    this.retries = new Counter({
      name: 'ote_farm_retries_total',
      help: 'Task attempts put back in the queue (worker error or lost lease).',
      labelNames: ['kind'],
      registers,
    });
    this.failures = new Counter({
      name: 'ote_farm_failures_total',
      help: 'Jobs failed for good, after their last attempt.',
      labelNames: ['kind'],
      registers,
    });
    this.verdicts = new Counter({
      name: 'ote_farm_verification_verdicts_total',
      help: 'Trust Engine verdicts on finished jobs (accepted, rejected, unverified).',
      labelNames: ['verdict'],
      registers,
    });
    this.requests = new Counter({
      name: 'ote_farm_http_requests_total',
      help: 'HTTP requests by route pattern, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
  }

  jobStarted(job: JobRow, now = Date.now()): void {
    if (job.attempts === 1) this.startLatencySeconds.observe({ kind: job.kind }, Math.max(0, now - job.created) / 1000);
  }

  jobFinished(job: JobRow): void {
    this.verdicts.inc({ verdict: job.result?.verdict ?? 'unverified' });
  }
}
