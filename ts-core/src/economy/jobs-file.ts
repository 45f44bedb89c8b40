/**
 * The jobs file of `ote economy plan` (checked against jobs.schema.json): each job's kind, work in reference hours,
 * arrival, deadline (a date-time or a duration after arrival), priority, whether it may be preempted and an optional
 * cost ceiling. Errors name the file and every bad field.
 */
import { Ajv } from 'ajv';
import { OteError } from '../errors.js';
import { parseDateTimeMs, parseDeadlineMs } from '../util/duration.js';
import { schemaProblems } from '../util/json-field-path.js';
import schema from './jobs.schema.json' with { type: 'json' };
import type { TaskKind } from './pool.js';
import type { Job } from './world.js';

/** A job as asked for: the scheduler's Job plus what admission and ordering use. */
export interface JobRequest extends Job {
  /** Among jobs arriving at the same instant, higher is placed first. */
  priority: number;
  /** Refused up front when the cheapest plan that meets the deadline costs more (USD). */
  ceilingUsd?: number;
}

export const JOBS_SCHEMA = schema;
const validator = new Ajv({ allErrors: true, strict: false }).compile(schema);

interface JobDoc {
  id: string;
  kind: TaskKind;
  work: number;
  submit?: string;
  deadline: string;
  priority?: number;
  preemptible?: boolean;
  ceilingUsd?: number;
}

/** Parses a jobs document; jobs without `submit` arrive at `nowMs`. */
export function loadJobs(doc: unknown, file: string, nowMs: number): JobRequest[] {
  if (!validator(doc))
    throw new OteError('BAD_INPUT', `economy: ${file}: ${schemaProblems(validator.errors).join('; ')}`);
  const problems: string[] = [];
  const seen = new Set<string>();
  const out: JobRequest[] = [];
  (doc as { jobs: JobDoc[] }).jobs.forEach((j, i) => {
    if (seen.has(j.id)) problems.push(`jobs[${i}].id: duplicate id "${j.id}"`);
    seen.add(j.id);
    let submitMs = nowMs;
    if (j.submit !== undefined) {
      submitMs = parseDateTimeMs(j.submit) ?? Number.NaN;
      if (!Number.isFinite(submitMs))
        problems.push(
          `jobs[${i}].submit: expected an ISO 8601 date-time with its zone, got ${JSON.stringify(j.submit)}`,
        );
    }
    const deadlineMs = parseDeadlineMs(j.deadline, submitMs);
    if (deadlineMs === undefined)
      problems.push(
        `jobs[${i}].deadline: expected an ISO 8601 date-time with its zone or a duration such as "8h", got ${JSON.stringify(j.deadline)}`,
      );
    else if (Number.isFinite(submitMs) && deadlineMs <= submitMs)
      problems.push(`jobs[${i}].deadline: must be after the job's submission`);
    out.push({
      id: j.id,
      kind: j.kind,
      work: j.work,
      submitMs,
      deadlineMs: deadlineMs ?? Number.NaN,
      preemptible: j.preemptible ?? true,
      priority: j.priority ?? 0,
      ...(j.ceilingUsd !== undefined ? { ceilingUsd: j.ceilingUsd } : {}),
    });
  });
  if (problems.length) throw new OteError('BAD_INPUT', `economy: ${file}: ${problems.join('; ')}`);
  return out;
}
