/**
 * The farm API's request and response shapes, as TypeBox schemas: fastify validates requests with them, the
 * OpenAPI document (/v1/openapi.json) is generated from them, and TypeScript reads their types. One source.
 */
import { type Static, Type } from '@sinclair/typebox';

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the uploaded bytes, lower-case hex' });

export const JobSubmit = Type.Object(
  {
    kind: Type.Optional(
      Type.Union([Type.Literal('optimize'), Type.Literal('simulated')], {
        description:
          "'optimize' (default) runs ote optimize on the scene; 'simulated' waits simulatedSeconds (load tests)",
      }),
    ),
    simulatedSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })),
    scene: Type.Optional(
      Type.Object(
        {
          hash: Hash,
          name: Type.String({
            pattern: '^[^/\\\\]{1,200}\\.(glb|gltf)$',
            description: 'File name, ending .glb or .gltf (a .gltf must be self-contained)',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    profile: Type.Optional(
      Type.Union([
        Type.String({
          description: 'A built-in profile: quality, balanced, economy, realtime, archviz, gaming, ai_training',
        }),
        Type.Record(Type.String(), Type.Unknown(), { description: "A TD file's JSON (may extend a built-in)" }),
      ]),
    ),
    verify: Type.Optional(Type.Boolean({ description: 'Verify with the Trust Engine (default true)' })),
    bakeTasks: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 64,
        description:
          'Split the lightmap bake into this many tasks of equal predicted cost, run on any workers (0 or absent: one per 20 s of predicted bake time, up to 16)',
      }),
    ),
    renderTasks: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 64,
        description:
          'Split each batch of path-traced images (the preview reference, the splat targets) into this many tasks of equal predicted cost, run on any workers (0 or absent: one per 20 s of predicted render time, up to 16)',
      }),
    ),
    deadline: Type.Optional(
      Type.String({
        description:
          "ISO 8601 date-time (with its zone) the result is wanted by: Economy Offline holds the job until the cheapest window that still meets it, within the profile's cost ceiling, or refuses it (422 REFUSED) with the plan that would",
      }),
    ),
    priority: Type.Optional(
      Type.Integer({ minimum: -100, maximum: 100, description: 'Higher runs first (default 0)' }),
    ),
  },
  { additionalProperties: false },
);
export type JobSubmit = Static<typeof JobSubmit>;

export const BatchSubmit = Type.Object(
  { jobs: Type.Array(JobSubmit, { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);
export type BatchSubmit = Static<typeof BatchSubmit>;

export const JobStatus = Type.Object({
  id: Type.String(),
  state: Type.Union(['queued', 'running', 'completed', 'failed', 'cancelled'].map((s) => Type.Literal(s))),
  stage: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Number(),
  etaSeconds: Type.Union([Type.Number(), Type.Null()]),
  attempts: Type.Integer(),
  priority: Type.Integer(),
  deadline: Type.Union([Type.String(), Type.Null()]),
  created: Type.String(),
  started: Type.Union([Type.String(), Type.Null()]),
  finished: Type.Union([Type.String(), Type.Null()]),
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  verdict: Type.Union([Type.String(), Type.Null()]),
  artifacts: Type.Record(Type.String(), Type.String({ description: 'URL of the artifact' })),
  events: Type.String({ description: 'WebSocket URL of the ordered event stream' }),
  parent: Type.Union([Type.String(), Type.Null()], { description: 'For a task: the job it is part of' }),
  deferredUntil: Type.Optional(
    Type.String({
      description:
        "A queued job not handed out before this time: Economy Offline's window for a job with a deadline, or a retry's backoff",
    }),
  ),
  economy: Type.Optional(
    Type.Object(
      {
        baselineUsd: Type.Number({ description: 'Run on submission on the default class at the standard price' }),
        plannedUsd: Type.Number(),
        savingsPct: Type.Number(),
        baselineKgCo2: Type.Number(),
        kgCo2: Type.Number(),
        windows: Type.Array(
          Type.Object({ classId: Type.String(), from: Type.String(), to: Type.String(), tier: Type.String() }),
        ),
        workSource: Type.String({ description: 'Where the work estimate came from' }),
      },
      { description: "Economy Offline's plan for a job given a deadline (report.json has the whole plan)" },
    ),
  ),
  tasks: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        index: Type.Integer(),
        kind: Type.String(),
        state: Type.String(),
        worker: Type.Union([Type.String(), Type.Null()]),
        attempts: Type.Integer(),
        predictedSeconds: Type.Union([Type.Number(), Type.Null()]),
        seconds: Type.Union([Type.Number(), Type.Null()], { description: "The last attempt's wall time" }),
      }),
      { description: 'For a job split into tasks: each task, predicted and actual' },
    ),
  ),
  balance: Type.Optional(
    Type.Union([Type.Number(), Type.Null()], {
      description:
        'Longest task over the mean task time, among the tasks of one kind (the worst kind), once every task has completed (1 is a perfect split)',
    }),
  ),
});
export type JobStatus = Static<typeof JobStatus>;

export const BatchResult = Type.Object({
  batch: Type.String(),
  jobs: Type.Array(
    Type.Union([
      Type.Object({ id: Type.String(), state: Type.String() }),
      Type.Object({ error: Type.String(), index: Type.Integer() }),
    ]),
  ),
});

export const BlobResult = Type.Object({ hash: Hash, size: Type.Integer() });

export const ErrorReply = Type.Object({ error: Type.String(), message: Type.String() });

export const JobParams = Type.Object({ id: Type.String({ pattern: '^job_[0-9a-f]{16}$' }) });
export const ArtifactParams = Type.Object({
  id: Type.String({ pattern: '^job_[0-9a-f]{16}$' }),
  name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,200}$' }),
});
export const BlobParams = Type.Object({ hash: Hash });

// ---- worker routes (scope `work`) ------------------------------------------------------------------------------
const WorkerId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$' });
const JobId = Type.String({ pattern: '^job_[0-9a-f]{16}$' });

export const WorkerRegister = Type.Object(
  {
    worker: WorkerId,
    cores: Type.Integer({ minimum: 1 }),
    isa: Type.String({ description: 'CPU architecture and SIMD level, e.g. "x64 avx2"' }),
    gpu: Type.Union([Type.Object({ model: Type.String(), memoryMiB: Type.Number() }), Type.Null()]),
    region: Type.String({ description: 'Where the worker runs (Economy Offline places work by region)' }),
    class: Type.String({ description: 'consumer, datacenter, cloud, edge or volunteer' }),
    kinds: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type WorkerRegister = Static<typeof WorkerRegister>;

export const WorkerClaim = Type.Object(
  {
    worker: WorkerId,
    kinds: Type.Array(Type.String(), { minItems: 1 }),
    waitMs: Type.Integer({ minimum: 0, maximum: 30000 }),
    load: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          "the busy share of the worker's machine (its GPUs', or its CPUs'), which the coordinator learns with",
      }),
    ),
  },
  { additionalProperties: false },
);
export const WorkerHeartbeat = Type.Object(
  {
    worker: WorkerId,
    job: JobId,
    progress: Type.Optional(
      Type.Object({
        stage: Type.String(),
        fraction: Type.Number({ minimum: 0, maximum: 1 }),
        etaSeconds: Type.Optional(Type.Number()),
      }),
    ),
  },
  { additionalProperties: false },
);
export const WorkerLog = Type.Object({ worker: WorkerId, job: JobId, message: Type.String({ maxLength: 4000 }) });
export const WorkerFinish = Type.Object(
  {
    worker: WorkerId,
    job: JobId,
    exitCode: Type.Integer(),
    reason: Type.Optional(Type.String()),
    result: Type.Object({
      artifacts: Type.Record(Type.String(), Hash),
      verdict: Type.Optional(Type.String()),
      worker: Type.Optional(Type.String()),
    }),
  },
  { additionalProperties: false },
);
export const WorkerAddTasks = Type.Object(
  {
    worker: WorkerId,
    job: JobId,
    tasks: Type.Array(
      Type.Object(
        {
          kind: Type.String({ pattern: '^[a-z-]{1,40}$' }),
          spec: Type.Record(Type.String(), Type.Unknown()),
          predictedSeconds: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1024 },
    ),
  },
  { additionalProperties: false },
);
export const WorkerJob = Type.Object({ worker: WorkerId, job: JobId }, { additionalProperties: false });
export const WorkerFail = Type.Object({ worker: WorkerId, job: JobId, reason: Type.String({ maxLength: 4000 }) });
