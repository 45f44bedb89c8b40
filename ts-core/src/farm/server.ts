/**
 * `ote farm serve`: the farm's HTTP + WebSocket API (fastify), its queue and its local workers.
 *
 *   GET    /metrics                          open: Prometheus metrics (metrics.ts)
 *   GET    /v1/openapi.json                  open: OpenAPI 3.1, generated from the route schemas (api-schemas.ts)
 *   PUT    /v1/blobs/:hash                   submit: upload a scene, content-addressed and idempotent
 *   POST   /v1/jobs                          submit: one optimize job on an uploaded scene
 *   POST   /v1/batches                       submit: many jobs; each is accepted or refused on its own
 *   GET    /v1/jobs/:id                      read: state, stage, progress, ETA, result links
 *   DELETE /v1/jobs/:id                      cancel: stops it wherever it runs
 *   GET    /v1/jobs/:id/artifacts/:name      read: one artifact
 *   GET    /v1/jobs/:id/events               read, WebSocket: every event in order, ending with one terminal event
 *   GET    /v1/workers                       read: the workers and what they do
 *   GET    /v1/blobs/:hash                   work: a scene, for a worker on another machine
 *   POST   /v1/workers/register|claim|heartbeat|log|finish|fail
 *                                            work: what `ote farm worker` speaks (links.ts HttpLink)
 *
 * Everything under /v1 except the OpenAPI document needs a signed request (signing.ts, auth.ts) whose key has the
 * route's scope, within the key's rate limit.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { importGltf } from '../io/gltf-read.js';
import { builtinProfile, type Profile, resolveProfile } from '../plan/profile.js';
import type { EconomyReport } from '../report/types.js';
import { parseDateTimeMs } from '../util/duration.js';
import type { RunAdmitted, RunEconomy } from '../optimize/run-economy.js';
import {
  ArtifactParams,
  BatchResult,
  BatchSubmit,
  BlobParams,
  BlobResult,
  ErrorReply,
  JobParams,
  JobStatus,
  JobSubmit,
  WorkerAddTasks,
  WorkerClaim,
  WorkerFail,
  WorkerFinish,
  WorkerHeartbeat,
  WorkerJob,
  WorkerLog,
  WorkerRegister,
} from './api-schemas.js';
import { authenticate, FarmAuthError } from './auth.js';
import { FarmBlobs } from './blobs.js';
import { KeyRing, loadOrCreateMasterKey } from './keys.js';
import { defaultExecutors } from './executors.js';
import { type FinishRequest, LocalLink } from './links.js';
import { FarmMetrics } from './metrics.js';
import { LearnedDispatch } from './dispatch.js';
import {
  EmbeddedQueue,
  type FarmQueue,
  type QueueListener,
  type QueueOptions,
  StoreQueue,
  type TaskRequest,
} from './queue.js';
import { signProvenance } from './provenance.js';
import { RedisQueue } from './redis-queue.js';
import { RATE_LIMIT_DEFAULTS, RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { sha256Hex } from './signing.js';
import { ed25519Verify, loadOrCreateIdentity } from '../trust/crypto.js';
import { type Certificate, verifyCertificate } from '../trust/certificate.js';
import { startEmbeddedTrust } from '../trust/embedded.js';
import {
  attemptSeconds,
  FarmStore,
  type JobResult,
  type JobRow,
  type JobSpec,
  type Scope,
  TERMINAL_STATES,
} from './store.js';
import { cpuLoadProbe } from './telemetry.js';
import { type Executor, FarmWorker } from './worker.js';

export interface FarmServerOptions {
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Local workers in this process. Default 1. */
  workers: number;
  /** Largest scene upload in bytes. Default 512 MiB. */
  maxUploadBytes: number;
  rateLimit: RateLimitOptions;
  queue: Partial<QueueOptions>;
  /**
   * Verifier nodes the farm runs (a Trust Engine and this many `ote trust node` processes on this machine; more may
   * join it from other machines): an optimize job's results are verified by them, not by the worker that made
   * them, and a result without a valid certificate from this farm's engine is turned down. 0: each worker verifies
   * its own results, as `ote optimize` does (no protection against a dishonest worker). Default 3.
   */
  verifiers: number;
  /** redis://host:port: BullMQ on this Redis holds the queue (redis-queue.ts); absent, the embedded queue. */
  redis?: string;
  /** Key prefix of the farm's queues in that Redis (redis-queue.ts); default `ote`. */
  redisPrefix?: string;
  /**
   * Who gets a ready job: 'learned' (dispatch.ts: the learning coordinator chooses, on either queue) or
   * 'fifo' (the first worker to ask). It learns from every attempt either way (`ote farm workers`). Default
   * 'learned'.
   */
  dispatch: 'learned' | 'fifo';
  /**
   * Backup copies of stragglers under the learned dispatch (dispatch.ts, after LATE): `tasks` (default) for a
   * split job's tasks, `all` for any job but an optimize job, `off`.
   */
  backups?: 'off' | 'tasks' | 'all';
  /** What the local workers run, by job kind; default executors.ts defaultExecutors(). */
  executors?: Record<string, Executor>;
  /**
   * Economy Offline (optimize/run-economy.ts): checks each job against its profile's cost ceiling and deadline, and
   * defers a job with a deadline to its plan's window. Absent: every job runs at once, unchecked.
   */
  economy?: RunEconomy;
  log?: (line: string) => void;
}

export const FARM_SERVER_DEFAULTS: FarmServerOptions = {
  dataDir: join('out', 'farm'),
  host: '127.0.0.1',
  port: 8790,
  workers: 1,
  maxUploadBytes: 512 * 1024 * 1024,
  rateLimit: RATE_LIMIT_DEFAULTS,
  queue: {},
  verifiers: 3,
  dispatch: 'learned',
};

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
    apiKey?: string;
  }
  interface FastifyContextConfig {
    /** The scope a key needs for this route (any one of them, for a list). */
    scope?: Scope | Scope[];
  }
}

export interface FarmServer {
  app: FastifyInstance;
  /** The Ed25519 public key (hex) of the farm's provenance records. */
  farmKey: string;
  url: string;
  store: FarmStore;
  queue: FarmQueue;
  keys: KeyRing;
  workers: FarmWorker[];
  close(): Promise<void>;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function status(job: JobRow, base: string, tasks: JobRow[] = []): JobStatus {
  const artifacts: Record<string, string> = {};
  for (const name of Object.keys(job.result?.artifacts ?? {}))
    artifacts[name] = `${base}/v1/jobs/${job.id}/artifacts/${encodeURIComponent(name)}`;
  return {
    id: job.id,
    state: job.state,
    stage: job.stage,
    progress: job.progress,
    etaSeconds: job.state === 'running' ? job.etaSeconds : null,
    attempts: job.attempts,
    priority: job.priority,
    deadline: iso(job.deadline),
    created: iso(job.created)!,
    started: iso(job.started),
    finished: iso(job.finished),
    exitCode: job.exitCode,
    reason: job.reason,
    verdict: job.result?.verdict ?? null,
    artifacts,
    events: `${base.replace(/^http/, 'ws')}/v1/jobs/${job.id}/events`,
    parent: job.parent,
    ...(job.notBefore > job.created && job.state === 'queued' ? { deferredUntil: iso(job.notBefore)! } : {}),
    ...(job.spec.economy ? { economy: economySummary(job.spec.economy) } : {}),
    ...(tasks.length ? splitStatus(tasks) : {}),
  };
}

/** The plan's figures for a job's status (the hourly timeline stays in report.json). */
function economySummary(e: EconomyReport): NonNullable<JobStatus['economy']> {
  return {
    baselineUsd: e.baseline.cost,
    plannedUsd: e.optimized.cost,
    savingsPct: e.savingsPct,
    kgCo2: e.optimized.kgCo2,
    baselineKgCo2: e.baseline.kgCo2,
    windows: e.windows.map((w) => ({ classId: w.classId, from: w.from, to: w.to, tier: w.tier })),
    workSource: e.workSource,
  };
}

function splitStatus(tasks: JobRow[]): Pick<JobStatus, 'tasks' | 'balance'> {
  const seconds = tasks.map(attemptSeconds);
  // Per kind of task (a bake's ranges, an image's bands), over the tasks the job used (not those a retry superseded).
  const balances = [...new Set(tasks.map((t) => t.kind))].map((kind) => {
    const of = tasks.flatMap((t, i) => (t.kind === kind && t.state !== 'cancelled' ? [seconds[i] ?? 0] : []));
    const mean = of.reduce((a, b) => a + b, 0) / of.length;
    return mean > 0 ? Math.max(...of) / mean : 0;
  });
  const done = tasks.every((t) => t.state === 'completed' || t.state === 'cancelled');
  return {
    tasks: tasks.map((t, i) => ({
      id: t.id,
      index: t.taskIndex ?? i,
      kind: t.kind,
      state: t.state,
      worker: t.worker,
      attempts: t.attempts,
      predictedSeconds: t.predictedSeconds,
      seconds: seconds[i],
    })),
    balance: done && Math.max(...balances) > 0 ? Math.max(...balances) : null,
  };
}

/**
 * Whether an optimize job's result stands on the farm's verification: every certificate among its artifacts was
 * issued by this farm's engine (signatures, log proof; trust/certificate.ts) for bytes the job returned, the
 * optimized scene has one, and none was rejected. Undefined when it stands; else the verdict on the worker's work
 * and why.
 */
function checkResult(
  artifacts: Record<string, string>,
  engineKey: string,
  blobs: FarmBlobs,
): { verdict: 'rejected' | 'invalid'; reason: string } | undefined {
  const certs = Object.keys(artifacts).filter((n) => /^certificate[A-Za-z0-9_-]*\.json$/.test(n));
  if (artifacts['scene.glb'] && !certs.includes('certificate.json'))
    return { verdict: 'invalid', reason: "the result has no certificate for scene.glb from the farm's verifiers" };
  const hashes = new Set(Object.values(artifacts));
  for (const name of certs) {
    let cert: Certificate;
    try {
      cert = JSON.parse(new TextDecoder().decode(blobs.read(artifacts[name])));
    } catch (e) {
      return { verdict: 'invalid', reason: `${name} is not JSON: ${(e as Error).message}` };
    }
    const check = verifyCertificate(cert, ed25519Verify, { engineKey });
    if (!check.ok)
      return {
        verdict: 'invalid',
        reason: `${name} was not issued by this farm's engine: ${check.problems.join('; ')}`,
      };
    if (!hashes.has(cert.job.artifactHash))
      return {
        verdict: 'invalid',
        reason: `${name} certifies bytes (${cert.job.artifactHash}) the result does not hold`,
      };
    if (cert.verdict !== 'accepted')
      return { verdict: 'rejected', reason: `the farm's verifiers rejected ${name}'s artifact: ${cert.reason}` };
  }
  return undefined;
}

export async function startFarmServer(options: Partial<FarmServerOptions> = {}): Promise<FarmServer> {
  const o: FarmServerOptions = { ...FARM_SERVER_DEFAULTS, ...options };
  const log = o.log ?? (() => {});
  mkdirSync(o.dataDir, { recursive: true });
  const store = new FarmStore(join(o.dataDir, 'farm.sqlite'));
  const keys = new KeyRing(store, loadOrCreateMasterKey(join(o.dataDir, 'master.key')));
  const blobs = new FarmBlobs(join(o.dataDir, 'blobs'));
  const scratch = join(o.dataDir, 'work');
  rmSync(scratch, { recursive: true, force: true }); // a previous run's attempts are retried, not resumed
  mkdirSync(scratch, { recursive: true });
  const workers: FarmWorker[] = [];
  const metrics = new FarmMetrics(store, () => ({ total: workers.length, busy: workers.filter((w) => w.busy).length }));
  const counts: QueueListener = {
    retried: (j) => metrics.retries.inc({ kind: j.kind }),
    failed: (j) => metrics.failures.inc({ kind: j.kind }),
    finished: (j) => metrics.jobFinished(j),
    started: (j) => metrics.jobStarted(j),
    attemptEnded: (j, seconds, outcome) => metrics.taskSeconds.observe({ kind: j.kind, outcome }, seconds),
  };
  let queue: FarmQueue;
  try {
    queue = o.redis
      ? await RedisQueue.open(store, { url: o.redis, prefix: o.redisPrefix }, o.queue, counts)
      : new EmbeddedQueue(store, o.queue, counts);
  } catch (e) {
    store.close();
    throw e;
  }
  const coordinator = new LearnedDispatch(store, {
    chooses: o.dispatch === 'learned',
    ...(o.backups ? { backups: o.backups } : {}),
  });
  if (queue instanceof StoreQueue) queue.coordinator = coordinator;
  const limiter = new RateLimiter(o.rateLimit);
  // Local workers and the worker routes drive the queue the same way.
  const identity = loadOrCreateIdentity(join(o.dataDir, 'farm-identity.pem'));
  // The farm's own verifiers: workers submit their results to this engine, whose nodes re-render them.
  const trust =
    o.verifiers > 0
      ? await startEmbeddedTrust({
          dataDir: join(o.dataDir, 'trust'),
          nodes: o.verifiers,
          quorum: Math.min(3, o.verifiers),
          serveArgs: ['--host', o.host, '--assign-timeout-ms', String(30 * 60_000)],
        })
      : undefined;
  if (trust) await trust.waitForNodes(o.verifiers, 60_000);
  /** An optimize job that asks to be verified: with a farm that verifies, its results are checked here. */
  const wantsVerification = (job: JobRow) => job.kind === 'optimize' && job.spec.verify !== false;
  /** An optimize job as a worker gets it: with this farm's engine to verify against, when the farm verifies. */
  const forWorker = (job: JobRow): JobRow =>
    trust && wantsVerification(job)
      ? { ...job, spec: { ...job.spec, engine: { url: trust.url, apiKey: trust.apiKey } } }
      : job;
  // A completed job (not a task) gets the farm's signed record of who produced what (provenance.ts).
  const attest = (
    id: string,
    worker: string,
    key: string | undefined,
    end: { exitCode: number; reason?: string; result: JobResult },
  ): FinishRequest | { turnDown: string } => {
    const job = store.job(id);
    const result = { ...end.result, worker, workerKey: key };
    if (!job || job.parent || job.state !== 'running' || job.worker !== worker) return { ...end, result };
    if (trust && wantsVerification(job)) {
      const turnedDown = checkResult(result.artifacts, trust.engineKey, blobs);
      store.workerVerdict(worker, turnedDown?.verdict ?? 'accepted');
      if (turnedDown) return { turnDown: turnedDown.reason };
    }
    const record = signProvenance(
      identity,
      job,
      { worker, key: key ?? null, artifacts: result.artifacts, verdict: result.verdict, finished: Date.now() },
      store.tasks(id),
    );
    const hash = blobs.put(new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
    return { ...end, result: { ...result, artifacts: { ...result.artifacts, 'provenance.json': hash } } };
  };
  const remote = new LocalLink(queue, store, blobs, attest, forWorker);
  /** WebSocket followers by job: each reads the job's new events when told. */
  const live = new Map<string, Set<() => void>>();

  // On close, open connections (long polls, keep-alive) are cut rather than waited for (72 s by default).
  const app = Fastify({ bodyLimit: 1024 * 1024, forceCloseConnections: true });
  // Signatures cover the raw bytes, so bodies are kept as received and parsed here.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    try {
      done(null, (body as Buffer).length ? JSON.parse((body as Buffer).toString('utf8')) : {});
    } catch (e) {
      done(Object.assign(new Error(`body is not JSON: ${(e as Error).message}`), { statusCode: 400 }), undefined);
    }
  });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    done(null, body);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ote farm',
        version: '1',
        description:
          'Optimize jobs on a farm of workers. Every /v1 route but this document needs a request signed with an API key (README, "The farm: signing requests").',
      },
      components: {
        securitySchemes: {
          oteHmac: {
            type: 'apiKey',
            in: 'header',
            name: 'X-OTE-Signature',
            description:
              'HMAC-SHA256 over "OTE1-HMAC-SHA256\\nMETHOD\\npath?query\\ntimestamp\\nnonce\\nsha256(body)", with X-OTE-Key, X-OTE-Timestamp (ms) and X-OTE-Nonce',
          },
        },
      },
    },
  });
  await app.register(fastifyWebsocket);

  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.inc({
      route: req.routeOptions.url ?? 'unmatched',
      method: req.method,
      status: String(reply.statusCode),
    });
  });
  app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    const scope = req.routeOptions.config?.scope;
    if (!scope) return;
    try {
      const key = authenticate(
        keys,
        store,
        { method: req.method, url: req.url, headers: req.headers, body: req.rawBody ?? Buffer.alloc(0) },
        Array.isArray(scope) ? scope : [scope],
      );
      req.apiKey = key.id;
    } catch (e) {
      if (!(e instanceof FarmAuthError)) throw e;
      return reply.code(e.status).send({ error: e.code, message: e.message });
    }
    const wait = limiter.take(req.apiKey);
    if (wait > 0)
      return reply
        .code(429)
        .header('retry-after', String(Math.ceil(wait)))
        .send({
          error: 'RATE_LIMITED',
          message: `rate limit of ${o.rateLimit.perSecond}/s for this key; retry in ${wait.toFixed(2)} s`,
        });
  });

  const base = () =>
    `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${(app.server.address() as { port: number }).port}`;
  const errors = {
    400: ErrorReply,
    401: ErrorReply,
    403: ErrorReply,
    404: ErrorReply,
    409: ErrorReply,
    413: ErrorReply,
    422: ErrorReply,
    429: ErrorReply,
  };

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // The keys to check a job's records offline: the farm's (provenance.ts) and its Trust Engine's (certificates).
  app.get('/v1/farm-key', { schema: { hide: true } }, async () => ({
    farmKey: identity.publicKey,
    engineKey: trust?.engineKey ?? null,
  }));

  app.put(
    '/v1/blobs/:hash',
    {
      config: { scope: ['submit', 'work'] },
      bodyLimit: o.maxUploadBytes,
      schema: {
        summary: 'Upload a scene (raw bytes, application/octet-stream)',
        params: BlobParams,
        response: { 200: BlobResult, ...errors },
        security: [{ oteHmac: [] }],
      },
    },
    async (req, reply) => {
      const { hash } = req.params as { hash: string };
      const body = req.rawBody;
      if (!body || req.headers['content-type'] !== 'application/octet-stream')
        return reply.code(400).send({ error: 'BAD_UPLOAD', message: 'upload the bytes as application/octet-stream' });
      // Checked before anything is stored: bytes that are not what they claim to be never reach the disk.
      const got = sha256Hex(body);
      if (got !== hash)
        return reply.code(422).send({ error: 'HASH_MISMATCH', message: `the bytes hash to ${got}, not ${hash}` });
      blobs.put(body, got);
      return { hash, size: body.length };
    },
  );

  app.get(
    '/v1/blobs/:hash',
    {
      config: { scope: 'work' },
      schema: { summary: 'A stored blob (a scene, for a worker)', params: BlobParams, security: [{ oteHmac: [] }] },
    },
    async (req, reply) => {
      const { hash } = req.params as { hash: string };
      if (!blobs.has(hash)) return reply.code(404).send({ error: 'NOT_FOUND', message: `no blob ${hash}` });
      reply.header('content-type', 'application/octet-stream');
      return blobs.read(hash);
    },
  );

  /**
   * Checks a job before it is queued: an optimize job's uploaded scene must read as glTF (the message names the
   * file and what is wrong in it); a simulated job needs its seconds. Gives an optimize job's resolved profile.
   */
  async function checkJob(spec: JobSubmit): Promise<{ error: string } | { profile?: Profile }> {
    if (spec.deadline !== undefined && parseDateTimeMs(spec.deadline) === undefined)
      return { error: `deadline: "${spec.deadline}" is not an ISO 8601 date-time with its zone` };
    if (spec.kind === 'simulated')
      return spec.simulatedSeconds === undefined
        ? { error: 'simulatedSeconds: a simulated job needs its seconds' }
        : {};
    let profile: Profile;
    try {
      const p = spec.profile ?? 'balanced';
      profile = typeof p === 'string' ? builtinProfile(p) : resolveProfile(p, 'profile');
    } catch (e) {
      return { error: `profile: ${(e as Error).message}` };
    }
    const quorum = profile.verification.quorum;
    if (trust && spec.verify !== false && quorum > o.verifiers)
      return {
        error: `profile: verification.quorum is ${quorum}, and this farm runs ${o.verifiers} verifier nodes (ote farm serve --verifiers N)`,
      };
    const scene = spec.scene;
    if (!scene)
      return { error: 'scene: an optimize job needs a scene ({hash, name}, uploaded with PUT /v1/blobs/:hash)' };
    if (!blobs.has(scene.hash)) return { error: `scene ${scene.hash} was not uploaded (PUT /v1/blobs/${scene.hash})` };
    const dir = mkdtempSync(join(tmpdir(), 'ote-farm-check-'));
    try {
      const file = join(dir, scene.name);
      symlinkSync(blobs.path(scene.hash), file);
      await importGltf(file);
      return { profile };
    } catch (e) {
      return { error: ((e as Error).message ?? String(e)).replaceAll(dir, '') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * A job checked (checkJob) and given Economy Offline's decision (optimize/run-economy.ts): when it may run and its
   * plan, or why it is turned away. Without an economy every checked job runs at once.
   */
  async function admitJob(spec: JobSubmit): Promise<RunAdmitted | { code: 'BAD_SCENE' | 'REFUSED'; message: string }> {
    const checked = await checkJob(spec);
    if ('error' in checked) return { code: 'BAD_SCENE', message: checked.error };
    const now = Date.now();
    if (!o.economy) return { notBefore: now };
    const { profile } = checked;
    const plan = o.economy.plan({
      id: 'new job',
      profile,
      workSeconds: spec.kind === 'simulated' ? spec.simulatedSeconds : undefined,
      history: profile ? store.recentRunSeconds(typeof spec.profile === 'string' ? spec.profile : profile.name) : [],
      deadlineMs: spec.deadline !== undefined ? parseDateTimeMs(spec.deadline) : undefined,
      priority: spec.priority ?? 0,
      nowMs: now,
    });
    return 'refused' in plan ? { code: 'REFUSED', message: plan.refused } : plan;
  }

  function submit(spec: JobSubmit, key: string, plan: RunAdmitted, batch?: string): Promise<JobRow> {
    const kind = spec.kind ?? 'optimize';
    const job: JobSpec =
      kind === 'simulated'
        ? { simulatedSeconds: spec.simulatedSeconds }
        : {
            scene: spec.scene,
            profile: spec.profile ?? 'balanced',
            verify: spec.verify ?? true,
            bakeTasks: spec.bakeTasks,
            renderTasks: spec.renderTasks,
          };
    if (plan.economy) job.economy = plan.economy;
    return queue.submit({
      key,
      batch,
      kind,
      spec: job,
      priority: spec.priority ?? 0,
      deadline: spec.deadline ? Date.parse(spec.deadline) : undefined,
      notBefore: plan.notBefore,
    });
  }

  app.post(
    '/v1/jobs',
    {
      config: { scope: 'submit' },
      schema: {
        summary: 'Submit one optimize job',
        body: JobSubmit,
        response: { 201: JobStatus, ...errors },
        security: [{ oteHmac: [] }],
      },
    },
    async (req, reply) => {
      const spec = req.body as JobSubmit;
      const admitted = await admitJob(spec);
      if ('code' in admitted) return reply.code(422).send({ error: admitted.code, message: admitted.message });
      return reply.code(201).send(status(await submit(spec, req.apiKey!, admitted), base()));
    },
  );

  app.post(
    '/v1/batches',
    {
      config: { scope: 'submit' },
      schema: {
        summary: 'Submit many jobs; each is accepted or refused on its own',
        body: BatchSubmit,
        response: { 201: BatchResult, ...errors },
        security: [{ oteHmac: [] }],
      },
    },
    async (req, reply) => {
      const batch = `batch_${randomBytes(8).toString('hex')}`;
      const out = [];
      for (const [index, spec] of (req.body as BatchSubmit).jobs.entries()) {
        const admitted = await admitJob(spec);
        if ('code' in admitted) out.push({ index, error: admitted.message });
        else {
          const j = await submit(spec, req.apiKey!, admitted, batch);
          out.push({ id: j.id, state: j.state });
        }
      }
      return reply.code(201).send({ batch, jobs: out });
    },
  );

  const findJob = (req: FastifyRequest, reply: FastifyReply) => {
    const job = store.job((req.params as { id: string }).id);
    if (!job) reply.code(404).send({ error: 'NOT_FOUND', message: `no job ${(req.params as { id: string }).id}` });
    return job;
  };

  app.get(
    '/v1/jobs/:id',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'A job: state, stage, progress, ETA, result links',
        params: JobParams,
        response: { 200: JobStatus, ...errors },
        security: [{ oteHmac: [] }],
      },
    },
    async (req, reply) => {
      const job = findJob(req, reply);
      if (!job) return reply;
      return status(job, base(), store.tasks(job.id));
    },
  );

  app.delete(
    '/v1/jobs/:id',
    {
      config: { scope: 'cancel' },
      schema: {
        summary: 'Cancel a job wherever it runs',
        params: JobParams,
        response: { 200: JobStatus, ...errors },
        security: [{ oteHmac: [] }],
      },
    },
    async (req, reply) => {
      const job = findJob(req, reply);
      if (!job) return reply;
      const cancelled = await queue.cancel(job.id);
      if (!cancelled.length && !TERMINAL_STATES.includes(job.state))
        return reply.code(409).send({ error: 'CONFLICT', message: `job ${job.id} changed state; read it again` });
      for (const id of cancelled) for (const w of workers) w.cancelIf(id);
      return status(store.job(job.id)!, base());
    },
  );

  app.get(
    '/v1/jobs/:id/artifacts/:name',
    {
      config: { scope: 'read' },
      schema: { summary: "One of a finished job's artifacts", params: ArtifactParams, security: [{ oteHmac: [] }] },
    },
    async (req, reply) => {
      const job = findJob(req, reply);
      if (!job) return reply;
      const { name } = req.params as { name: string };
      const hash = job.result?.artifacts[name];
      if (!hash)
        return reply.code(404).send({ error: 'NOT_FOUND', message: `job ${job.id} has no artifact "${name}"` });
      reply.header('content-type', 'application/octet-stream').header('x-ote-content-sha256', hash);
      return blobs.read(hash);
    },
  );

  app.get(
    '/v1/workers',
    { config: { scope: 'read' }, schema: { summary: 'The workers and what they run', security: [{ oteHmac: [] }] } },
    async () => ({
      workers: [
        ...workers.map((w) => ({ id: w.id, busy: w.busy, job: w.jobId ?? null, cores: cpus().length, class: 'local' })),
        ...store.workers().map((w) => ({
          ...w.info,
          id: w.id,
          busy: w.busy,
          seen: new Date(w.seen).toISOString(),
          ...store.reputation(w.id),
        })),
      ].map((w) => ({ ...w, load: coordinator.lastLoad(w.id) ?? null, learned: coordinator.summary(w.id) ?? null })),
    }),
  );

  // ---- worker routes ----------------------------------------------------------------------------------------------
  const work = { scope: 'work' as const };
  const seen = (worker: string, busy: boolean) => store.touchWorker(worker, busy, Date.now());
  app.post(
    '/v1/workers/register',
    {
      config: work,
      schema: { summary: 'A worker says what it is', body: WorkerRegister, security: [{ oteHmac: [] }] },
    },
    async (req) => {
      const { worker, ...info } = req.body as WorkerRegister;
      store.workerSeen(worker, info, false, Date.now());
      coordinator.registered(worker, info.class);
      return { ok: true, leaseMs: queue.options.leaseMs };
    },
  );
  app.post(
    '/v1/workers/claim',
    {
      config: work,
      schema: { summary: 'Lease the next job (long poll)', body: WorkerClaim, security: [{ oteHmac: [] }] },
    },
    async (req) => {
      const { worker, kinds, waitMs, load } = req.body as {
        worker: string;
        kinds: string[];
        waitMs: number;
        load?: number;
      };
      const job = await remote.claim(worker, kinds, waitMs, { load });
      seen(worker, !!job);
      // A farm serving on every interface (--host 0.0.0.0) gives its engine's address as the worker reached it.
      const engine = job?.spec.engine;
      if (engine) {
        const u = new URL(engine.url);
        if (['0.0.0.0', '[::]'].includes(u.hostname) && req.hostname) {
          u.hostname = req.hostname;
          return { job: { ...job, spec: { ...job.spec, engine: { ...engine, url: u.toString() } } } };
        }
      }
      return { job: job ?? null };
    },
  );
  app.post(
    '/v1/workers/heartbeat',
    {
      config: work,
      schema: { summary: 'Extend a lease, report progress', body: WorkerHeartbeat, security: [{ oteHmac: [] }] },
    },
    async (req) => {
      const b = req.body as {
        worker: string;
        job: string;
        progress?: { stage: string; fraction: number; etaSeconds?: number };
      };
      return { ok: await remote.heartbeat(b.job, b.worker, b.progress) };
    },
  );
  app.post(
    '/v1/workers/log',
    { config: work, schema: { summary: "Add to a job's log", body: WorkerLog, security: [{ oteHmac: [] }] } },
    async (req) => {
      const b = req.body as { worker: string; job: string; message: string };
      if (store.job(b.job)?.worker === b.worker) await remote.log(b.job, b.worker, b.message);
      return { ok: true };
    },
  );
  app.post(
    '/v1/workers/finish',
    {
      config: work,
      schema: {
        summary: 'End a job with its artifacts (uploaded first)',
        body: WorkerFinish,
        security: [{ oteHmac: [] }],
      },
    },
    async (req, reply) => {
      const b = req.body as { worker: string; job: string; exitCode: number; reason?: string; result: JobResult };
      const missing = Object.entries(b.result.artifacts).filter(([, h]) => !blobs.has(h));
      if (missing.length)
        return reply
          .code(422)
          .send({ error: 'MISSING_ARTIFACT', message: `upload these first: ${missing.map(([n]) => n).join(', ')}` });
      const end = { exitCode: b.exitCode, reason: b.reason, result: b.result };
      const ok = await remote.finish(b.job, b.worker, end, req.apiKey);
      seen(b.worker, false);
      return { ok };
    },
  );
  app.post(
    '/v1/workers/tasks',
    {
      config: work,
      schema: {
        summary: 'Split the running job into tasks (each queued as a job; the same tasks asked for again are returned)',
        body: WorkerAddTasks,
        security: [{ oteHmac: [] }],
      },
    },
    async (req, reply) => {
      const b = req.body as { worker: string; job: string; tasks: TaskRequest[] };
      try {
        return { tasks: await queue.addTasks(b.job, b.worker, b.tasks) };
      } catch (e) {
        return reply.code(409).send({ error: 'CONFLICT', message: (e as Error).message });
      }
    },
  );
  app.post(
    '/v1/workers/tasks/list',
    {
      config: work,
      schema: { summary: "The running job's tasks and their results", body: WorkerJob, security: [{ oteHmac: [] }] },
    },
    async (req, reply) => {
      const b = req.body as { worker: string; job: string };
      try {
        return { tasks: await remote.tasks(b.job, b.worker) };
      } catch (e) {
        return reply.code(409).send({ error: 'CONFLICT', message: (e as Error).message });
      }
    },
  );
  app.post(
    '/v1/workers/fail',
    { config: work, schema: { summary: 'Report a failed attempt', body: WorkerFail, security: [{ oteHmac: [] }] } },
    async (req) => {
      const b = req.body as { worker: string; job: string; reason: string };
      await remote.fail(b.job, b.worker, b.reason);
      seen(b.worker, false);
      return { ok: true };
    },
  );

  app.get(
    '/v1/jobs/:id/events',
    {
      websocket: true,
      config: { scope: 'read' },
      schema: {
        summary: "WebSocket: the job's events in order, ending with one terminal event",
        params: JobParams,
        security: [{ oteHmac: [] }],
      },
    },
    (socket, req) => {
      const id = (req.params as { id: string }).id;
      if (!store.job(id)) {
        socket.close(4404, `no job ${id}`);
        return;
      }
      let sent = 0;
      const flush = () => {
        for (const e of store.events(id, sent)) {
          socket.send(JSON.stringify({ seq: e.seq, ts: new Date(e.ts).toISOString(), ...e.event }));
          sent = e.seq;
          if (e.event.type === 'end') {
            socket.close(1000, 'job ended');
            return true;
          }
        }
        return false;
      };
      if (flush()) return;
      const listeners = live.get(id) ?? new Set();
      live.set(id, listeners);
      const listener = () => {
        if (flush()) listeners.delete(listener);
      };
      listeners.add(listener);
      socket.on('close', () => {
        listeners.delete(listener);
        if (!listeners.size) live.delete(id);
      });
    },
  );

  // Every event is written through the store, which says so once it is committed: the job's followers read it then.
  store.onEvent = (id) => {
    for (const f of live.get(id) ?? []) f();
  };
  // One sweep at a time: with Redis a sweep awaits BullMQ.
  let reaping: Promise<unknown> = Promise.resolve();
  const reaper = setInterval(
    () => {
      reaping = reaping.then(() => queue.reap()).catch((e) => log(`reaper: ${(e as Error).message}`));
    },
    Math.max(100, (queue.options.leaseMs / 4) | 0),
  );

  await app.listen({ host: o.host, port: o.port });
  const executors = o.executors ?? defaultExecutors();
  // The local workers report this machine's load as they ask for work, as remote ones report theirs.
  const probe = o.workers > 0 ? cpuLoadProbe() : undefined;
  for (let i = 0; i < o.workers; i++) {
    const w = new FarmWorker(`local-${i + 1}`, remote, executors, scratch, probe?.read);
    workers.push(w);
    void w.run();
  }
  log(`farm listening on ${base()} with ${o.workers} local worker(s), data in ${o.dataDir}`);

  return {
    app,
    url: base(),
    farmKey: identity.publicKey,
    store,
    queue,
    keys,
    workers,
    async close() {
      clearInterval(reaper);
      probe?.stop();
      for (const w of workers) w.stop();
      await app.close();
      await reaping;
      await queue.close();
      await trust?.stop();
      store.close();
    },
  };
}
