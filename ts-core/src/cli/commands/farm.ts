/**
 * `ote farm serve | keys | submit | status | cancel | workers`: the farm (ts-core/src/farm) from the command line.
 * serve prints one JSON line {"event":"listening",...} on stdout when ready (with --json). `submit --wait` follows
 * the job and exits with the code `ote optimize` would have (a failed job: 1 with its reason; cancelled: 130); with
 * `-o DIR` it writes the job's outputs there, and with --json it speaks as `ote optimize --json` does (progress as
 * JSON lines on stderr, one `result` line on stdout), so the editor plugins run either.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT } from '../../exit-codes.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { FarmClient, FarmHttpError } from '../../farm/client.js';
import { RunEconomy } from '../../optimize/run-economy.js';
import { loadPlanningInputs } from '../../economy/inputs.js';
import { OBJECTIVES } from '../../economy/schedule.js';
import { KeyRing, loadOrCreateMasterKey, parseScopes } from '../../farm/keys.js';
import { HttpLink } from '../../farm/links.js';
import { cpuLoadProbe } from '../../farm/telemetry.js';
import { type Provenance, verifyProvenance } from '../../farm/provenance.js';
import { QUEUE_DEFAULTS } from '../../farm/queue.js';
import { type Executor, FarmWorker, whenReachable } from '../../farm/worker.js';
import { nativeInfo } from '../../native/addon.js';
import type { WorkerSummary } from '../../farm/coordinator/index.js';
import { FarmStore } from '../../farm/store.js';
import { BUILTIN_PROFILES } from '../../plan/profile.js';
import { choiceFlag, deadlineFlag, numberFlag, parse, requirePositional, UsageError } from '../args.js';
import { type Command, type CommandContext, waitForAbort } from '../command.js';

const USAGE = `ote farm serve [--port N] [--host H] [--data DIR] [--workers N] [--max-upload-mb N] [--rate-limit N/s] [--lease-ms N] [--max-attempts N] [--verifiers N] [--dispatch learned|fifo] [--backups tasks|all|off] [--pool pool.json] [--traces DIR] [--objective cost|carbon|mix] [--redis redis://HOST:PORT [--redis-prefix P]] [--json]
ote farm keys create --scopes submit,read,cancel,admin [--name TEXT] [--data DIR]
ote farm keys list [--data DIR]
ote farm keys revoke ID [--data DIR]
ote farm worker --server URL --api-key ID:SECRET [--id NAME] [--concurrency N] [--kinds optimize,bake-range,render-rows,simulated] [--region R] [--class C] [--scratch DIR] [--slowdown X [--slow-after N]] [--fail-rate P]
ote farm submit scene.glb --server URL --api-key ID:SECRET [--profile NAME|file.json] [--deadline 8h|ISO] [--priority N] [--bake-tasks N] [--render-tasks N] [--no-verify] [--wait [-o DIR] [--json]]
ote farm status ID --server URL --api-key ID:SECRET
ote farm cancel ID --server URL --api-key ID:SECRET
ote farm workers --server URL --api-key ID:SECRET [--json]
ote farm verify-provenance provenance.json [--farm-key HEX] [--dir DIR] [--json]
(--api-key may come from OTE_FARM_API_KEY)`;

async function serve(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parse(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    workers: { type: 'string' },
    'max-upload-mb': { type: 'string' },
    'rate-limit': { type: 'string' },
    'lease-ms': { type: 'string' },
    'max-attempts': { type: 'string' },
    redis: { type: 'string' },
    'redis-prefix': { type: 'string' },
    verifiers: { type: 'string' },
    dispatch: { type: 'string' },
    backups: { type: 'string' },
    pool: { type: 'string' },
    traces: { type: 'string' },
    objective: { type: 'string' },
    json: { type: 'boolean' },
  });
  // The server (fastify, BullMQ, the farm's Trust Engine) is loaded by the subcommands that run it, not by every
  // worker and client: cli/commands/index.ts.
  const { FARM_SERVER_DEFAULTS, startFarmServer } = await import('../../farm/server.js');
  const dispatch = values.dispatch ?? FARM_SERVER_DEFAULTS.dispatch;
  const objective = choiceFlag(values.objective, 'objective', OBJECTIVES, 'cost');
  // Economy Offline checks every job against its profile's ceiling and deadline, and defers jobs with a deadline.
  const economy = new RunEconomy(loadPlanningInputs({ poolFile: values.pool, tracesDir: values.traces }), {
    objective,
  });
  if (dispatch !== 'learned' && dispatch !== 'fifo')
    throw new UsageError(`--dispatch: expected learned or fifo, not "${dispatch}"`);
  const d = FARM_SERVER_DEFAULTS;
  const q = QUEUE_DEFAULTS;
  const perSecond = numberFlag(values['rate-limit'], 'rate-limit', d.rateLimit.perSecond, { above: 0 });
  const farm = await startFarmServer({
    dataDir: values.data ?? d.dataDir,
    host: values.host ?? d.host,
    port: numberFlag(values.port, 'port', d.port, { int: true, min: 0, max: 65535 }),
    workers: numberFlag(values.workers, 'workers', d.workers, { int: true, min: 0, max: 256 }),
    maxUploadBytes:
      numberFlag(values['max-upload-mb'], 'max-upload-mb', d.maxUploadBytes / 2 ** 20, { above: 0 }) * 2 ** 20,
    rateLimit: { perSecond, burst: 2 * perSecond },
    redis: values.redis,
    redisPrefix: values['redis-prefix'],
    verifiers: numberFlag(values.verifiers, 'verifiers', d.verifiers, { int: true, min: 0, max: 64 }),
    dispatch,
    backups: choiceFlag(values.backups, 'backups', ['off', 'tasks', 'all'] as const, 'tasks'),
    economy,
    queue: {
      leaseMs: numberFlag(values['lease-ms'], 'lease-ms', q.leaseMs, { int: true, min: 100 }),
      maxAttempts: numberFlag(values['max-attempts'], 'max-attempts', q.maxAttempts, { int: true, min: 1, max: 100 }),
    },
    log: (l) => ctx.stderr(`[farm] ${l}\n`),
  });
  ctx.stdout(
    values.json
      ? `${JSON.stringify({ event: 'listening', url: farm.url, dataDir: values.data ?? d.dataDir, workers: farm.workers.length, farmKey: farm.farmKey })}\n`
      : `farm listening on ${farm.url} (provenance key ${farm.farmKey})\n`,
  );
  await waitForAbort(ctx.signal);
  await farm.close();
  return EXIT.OK;
}

/**
 * A worker on this machine for a farm elsewhere: registers what it is (cores, ISA, GPU, region, class, job kinds),
 * then claims and runs jobs until Ctrl-C. Nothing is shared with the server but HTTP.
 */
async function worker(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parse(argv, {
    server: { type: 'string' },
    'api-key': { type: 'string' },
    id: { type: 'string' },
    concurrency: { type: 'string' },
    kinds: { type: 'string' },
    region: { type: 'string' },
    class: { type: 'string' },
    scratch: { type: 'string' },
    slowdown: { type: 'string' },
    'slow-after': { type: 'string' },
    'fail-rate': { type: 'string' },
  });
  const c = client(values);
  const faults = {
    slowdown: numberFlag(values.slowdown, 'slowdown', 1, { above: 0 }),
    slowAfter: numberFlag(values['slow-after'], 'slow-after', 0, { int: true, min: 0 }),
    failRate: numberFlag(values['fail-rate'], 'fail-rate', 0, { min: 0, max: 1 }),
  };
  // A machine made slow or flaky on purpose (the coordinator's demonstration) does so on simulated jobs.
  const { defaultExecutors, simulatedExecutorWith } = await import('../../farm/executors.js');
  const all: Record<string, Executor> = { ...defaultExecutors(), simulated: simulatedExecutorWith(faults) };
  const kinds = (values.kinds ?? Object.keys(all).join(',')).split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !all[k]);
  if (unknown.length)
    throw new UsageError(`--kinds: unknown job kind ${unknown.join(', ')} (${Object.keys(all).join(', ')})`);
  const executors = Object.fromEntries(kinds.map((k) => [k, all[k]]));
  const id = values.id ?? `${hostname()}-${process.pid}`;
  let gpu: { model: string; memoryMiB: number } | null = null;
  let isa: string = process.arch;
  try {
    const info = nativeInfo();
    const d = info.devices[0];
    if (d) gpu = { model: d.name, memoryMiB: Math.round(d.memoryBytes / 2 ** 20) };
    isa = `${process.arch} ${info.threads} threads`;
  } catch {
    // No addon: this worker runs simulated jobs only.
  }
  const n = numberFlag(values.concurrency, 'concurrency', 1, { int: true, min: 1, max: 1024 });
  const ids = n > 1 ? Array.from({ length: n }, (_, i) => `${id}.${i + 1}`) : [id];
  let reg = { leaseMs: QUEUE_DEFAULTS.leaseMs };
  // Each slot is a worker of its own to the queue; all say what this machine is.
  // A worker started before its server, or while it restarts, waits for it; a refused key still ends it at once.
  for (const slot of ids)
    reg = (await whenReachable(
      () =>
        c.request('POST', '/v1/workers/register', {
          worker: slot,
          cores: cpus().length,
          isa,
          gpu,
          region: values.region ?? 'local',
          class: values.class ?? (gpu ? 'consumer' : 'edge'),
          kinds,
        }),
      ctx.signal,
      (e) => {
        const { message, cause } = e as Error & { cause?: { code?: string } };
        ctx.stderr(`[farm worker] ${id}: ${c.url} not reachable (${cause?.code ?? message}); waiting for it\n`);
      },
    )) as { leaseMs: number };
  const scratch = values.scratch ?? join(tmpdir(), `ote-farm-worker-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const link = new HttpLink(c, reg.leaseMs);
  // Every slot reports the machine's load as it asks for work (the coordinator learns time and failures by it).
  const probe = cpuLoadProbe();
  const workers = Array.from(
    { length: n },
    (_, i) => new FarmWorker(n > 1 ? `${id}.${i + 1}` : id, link, executors, scratch, probe.read),
  );
  ctx.stderr(`[farm worker] ${id}: ${n} slot(s) for ${kinds.join(', ')} jobs from ${c.url}\n`);
  const runs = workers.map((w) => w.run());
  await waitForAbort(ctx.signal);
  for (const w of workers) w.stop();
  await Promise.all(runs);
  probe.stop();
  return EXIT.OK;
}

async function keys(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(argv, {
    data: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    json: { type: 'boolean' },
  });
  const { FARM_SERVER_DEFAULTS } = await import('../../farm/server.js');
  const dataDir = values.data ?? FARM_SERVER_DEFAULTS.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const store = new FarmStore(join(dataDir, 'farm.sqlite'));
  try {
    const ring = new KeyRing(store, loadOrCreateMasterKey(join(dataDir, 'master.key')));
    const action = requirePositional(positionals, 0, 'create, list or revoke');
    if (action === 'create') {
      if (!values.scopes) throw new UsageError('keys create needs --scopes (submit, read, cancel, admin)');
      let scopes: ReturnType<typeof parseScopes>;
      try {
        scopes = parseScopes(values.scopes);
      } catch (e) {
        throw new UsageError(`--scopes: ${(e as Error).message}`);
      }
      const k = ring.create(scopes, values.name ?? '');
      ctx.stdout(
        values.json
          ? `${JSON.stringify(k)}\n`
          : `key ${k.id} (${k.scopes.join(', ')})\nsecret ${k.secret}\nuse: --api-key ${k.id}:${k.secret}  (the secret is not shown again)\n`,
      );
      return EXIT.OK;
    }
    if (action === 'list') {
      const list = ring.list();
      ctx.stdout(
        values.json
          ? `${JSON.stringify(list)}\n`
          : list
              .map(
                (k) =>
                  `${k.id}  ${k.scopes.join(',').padEnd(24)} ${k.revoked ? `revoked ${new Date(k.revoked).toISOString()}` : 'active'}  ${k.name}`,
              )
              .join('\n') + (list.length ? '\n' : 'no keys\n'),
      );
      return EXIT.OK;
    }
    if (action === 'revoke') {
      const id = requirePositional(positionals, 1, 'the key id to revoke');
      if (!ring.revoke(id)) throw new UsageError(`no active key ${id}`);
      ctx.stdout(`revoked ${id}\n`);
      return EXIT.OK;
    }
    throw new UsageError(`unknown keys action "${action}": create, list or revoke`);
  } finally {
    store.close();
  }
}

function client(values: { server?: string; 'api-key'?: string }): FarmClient {
  if (!values.server) throw new UsageError('--server URL is required (e.g. http://127.0.0.1:8790)');
  const k = values['api-key'] ?? process.env.OTE_FARM_API_KEY;
  const [id, secret] = (k ?? '').split(':');
  if (!id || !secret) throw new UsageError('--api-key ID:SECRET is required (or OTE_FARM_API_KEY)');
  return new FarmClient(values.server.replace(/\/$/, ''), { id, secret });
}

/** The exit code a finished job stands for, as `ote optimize` would exit. */
function exitFor(state: string | undefined, exitCode: number | undefined): number {
  if (state === 'completed') return exitCode ?? EXIT.INTERNAL;
  if (state === 'cancelled') return EXIT.CANCELLED;
  return EXIT.INTERNAL;
}

async function submit(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(argv, {
    server: { type: 'string' },
    'api-key': { type: 'string' },
    profile: { type: 'string' },
    deadline: { type: 'string' },
    priority: { type: 'string' },
    'bake-tasks': { type: 'string' },
    'render-tasks': { type: 'string' },
    'no-verify': { type: 'boolean' },
    wait: { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
  });
  const file = requirePositional(positionals, 0, 'the scene file (.glb, or a self-contained .gltf)');
  const c = client(values);
  let data: Uint8Array;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  const p = values.profile ?? 'balanced';
  let profile: string | Record<string, unknown> = p;
  if (!BUILTIN_PROFILES[p.toLowerCase()]) {
    try {
      profile = JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
      throw new UsageError(
        `--profile ${p}: not a built-in profile, and not a readable JSON file (${(e as Error).message})`,
      );
    }
  }
  const job = await c.submit(
    { data, name: file },
    {
      profile,
      verify: !values['no-verify'],
      deadline:
        values.deadline === undefined ? undefined : new Date(deadlineFlag(values.deadline, Date.now())).toISOString(),
      priority:
        values.priority === undefined
          ? undefined
          : numberFlag(values.priority, 'priority', 0, { int: true, min: -100, max: 100 }),
      bakeTasks:
        values['bake-tasks'] === undefined
          ? undefined
          : numberFlag(values['bake-tasks'], 'bake-tasks', 0, { int: true, min: 0, max: 64 }),
      renderTasks:
        values['render-tasks'] === undefined
          ? undefined
          : numberFlag(values['render-tasks'], 'render-tasks', 0, { int: true, min: 0, max: 64 }),
    },
  );
  const plan = job.economy
    ? `${job.deferredUntil ? `, deferred until ${job.deferredUntil}` : ''}: $${job.economy.baselineUsd.toFixed(2)} run now → $${job.economy.plannedUsd.toFixed(2)} planned (${job.economy.savingsPct.toFixed(1)}% saved; ${job.economy.workSource})`
    : '';
  if (!values.wait) {
    ctx.stdout(values.json ? `${JSON.stringify(job)}\n` : `${job.id} ${job.state}${plan}\n`);
    return EXIT.OK;
  }
  if (plan && !values.json) ctx.stderr(`${job.id} ${job.state}${plan}\n`);
  ctx.signal.addEventListener('abort', () => void c.cancel(job.id).catch(() => {}), { once: true });
  // Progress on stderr, as `ote optimize` gives it (JSON lines with --json), so a caller of one reads the other.
  const end = await c.follow(job.id, (e) => {
    if (values.json) {
      if (e.type === 'progress' || e.type === 'log' || e.type === 'state') ctx.stderr(`${JSON.stringify(e)}\n`);
    } else if (e.type === 'progress')
      ctx.stderr(
        `${job.id} ${e.stage} ${(100 * (e.fraction ?? 0)).toFixed(0)}%${e.etaSeconds !== undefined ? `, ETA ${e.etaSeconds} s` : ''}\n`,
      );
    else if (e.type === 'state') ctx.stderr(`${job.id} ${e.state}${e.reason ? `: ${e.reason}` : ''}\n`);
  });
  // The artifacts, where `ote optimize -o` would have written them (each written aside and renamed into place).
  const outputs: string[] = [];
  if (values.out && end.state === 'completed') {
    const done = await c.job(job.id);
    for (const name of Object.keys(done.artifacts)) {
      // A name from the server is a plain file name, never a path out of DIR.
      if (!/^[A-Za-z0-9._-]{1,200}$/.test(name) || name.startsWith('.'))
        throw new UsageError(`the farm returned an artifact named "${name}", which is not a plain file name`);
      await writeFileAtomic(join(values.out, name), await c.artifact(job.id, name));
      outputs.push(name);
    }
  }
  const report = outputs.includes('report.html') ? resolve(join(values.out!, 'report.html')) : undefined;
  if (values.json)
    ctx.stdout(
      `${JSON.stringify({ type: 'result', job: job.id, state: end.state, exitCode: end.exitCode ?? null, reason: end.reason, report, outputs })}\n`,
    );
  else
    ctx.stdout(
      `${job.id} ${end.state}${end.exitCode !== undefined ? ` exit ${end.exitCode}` : ''}${end.reason ? `: ${end.reason}` : ''}${outputs.length ? `\noutputs: ${outputs.join(', ')} in ${values.out}` : ''}\n`,
    );
  return exitFor(end.state, end.exitCode);
}

/**
 * Checks a job's provenance.json offline: its signature (against --farm-key, the key you trust; the farm serves it
 * at /v1/farm-key) and, with --dir, that every artifact file there has the SHA-256 the record gives.
 */
function verifyProvenanceFile(argv: string[], ctx: CommandContext): number {
  const { values, positionals } = parse(argv, {
    dir: { type: 'string' },
    'farm-key': { type: 'string' },
    json: { type: 'boolean' },
  });
  const file = requirePositional(positionals, 0, 'the provenance.json file');
  let record: Provenance;
  try {
    record = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  const files: Record<string, string> = {};
  if (values.dir)
    for (const name of Object.keys(record.artifacts ?? {})) {
      const path = join(values.dir, name);
      if (existsSync(path)) files[name] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  const check = verifyProvenance(record, { farmKey: values['farm-key'], files: values.dir ? files : undefined });
  if (values.json) ctx.stdout(`${JSON.stringify({ ...check, checkedFiles: Object.keys(files) })}\n`);
  else if (check.ok)
    ctx.stdout(
      `${file}: valid; job ${record.job.id} produced by ${record.producedBy.worker}${record.tasks.length ? ` with ${record.tasks.length} tasks on ${[...new Set(record.tasks.map((t) => t.worker))].join(', ')}` : ''}${values.dir ? `; ${Object.keys(files).length} files match` : ''}${values['farm-key'] ? '' : " (signature checked against the key in the record: pass --farm-key to check it is your farm's)"}\n`,
    );
  else ctx.stdout(`${file}: INVALID\n${check.problems.map((p) => `  ${p}`).join('\n')}\n`);
  return check.ok ? EXIT.OK : EXIT.VERIFICATION_REJECTED;
}

async function simple(action: 'status' | 'cancel' | 'workers', argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(argv, {
    server: { type: 'string' },
    'api-key': { type: 'string' },
    json: { type: 'boolean' },
  });
  const c = client(values);
  if (action === 'workers' && !values.json) {
    ctx.stdout(workersTable(((await c.workers()) as { workers: WorkerListing[] }).workers));
    return EXIT.OK;
  }
  const r =
    action === 'workers'
      ? await c.workers()
      : action === 'status'
        ? await c.job(requirePositional(positionals, 0, 'the job id'))
        : await c.cancel(requirePositional(positionals, 0, 'the job id'));
  ctx.stdout(`${JSON.stringify(r, null, 2)}\n`);
  return EXIT.OK;
}

/** A worker as GET /v1/workers lists it: what it said it is, and what the coordinator learned of it. */
interface WorkerListing {
  id: string;
  busy: boolean;
  class?: string;
  /** The load it last reported when it asked for work (null: none). */
  load?: number | null;
  learned: WorkerSummary | null;
}

/**
 * `ote farm workers`: per worker, its attempts and failure rate, and per task kind the learned seconds per unit
 * of size (a bake range's texels, a render task's samples, a simulated job's nominal seconds) with the effective
 * tasks behind it (the model's confidence).
 */
export function workersTable(workers: readonly WorkerListing[]): string {
  const lines = [
    'worker                    class      busy  attempts  failed  p(fail)  p(fail) >95% load  lost/h  load  kind: s/unit (confidence n)',
  ];
  for (const w of workers) {
    const l = w.learned;
    const kinds = l?.kinds.map((k) => `${k.kind}: ${k.secondsPerUnit.toPrecision(3)} (n ${k.n.toFixed(1)})`).join(', ');
    lines.push(
      [
        w.id.padEnd(25),
        (w.class ?? '').padEnd(10),
        (w.busy ? 'yes' : 'no').padEnd(5),
        String(l?.records ?? 0).padStart(8),
        String(l ? l.records - l.done : 0).padStart(7),
        (l ? l.pFail.normal.toFixed(3) : '-').padStart(8),
        (l ? l.pFail.hot.toFixed(3) : '-').padStart(18),
        (l ? l.lossPerHour.toFixed(3) : '-').padStart(7),
        (typeof w.load === 'number' ? w.load.toFixed(2) : '-').padStart(5),
        ` ${kinds || 'nothing learned yet'}${l?.drifts.length ? `; drift: ${l.drifts.map((d) => d.what).join(', ')}` : ''}`,
      ].join(' '),
    );
  }
  return `${lines.join('\n')}\n`;
}

export const farmCommand: Command = {
  name: 'farm',
  summary:
    'run optimize jobs on a farm of workers: serve, keys, worker, submit, status, cancel, workers, verify-provenance',
  usage: USAGE,
  async run(argv, ctx) {
    const [action, ...rest] = argv;
    try {
      switch (action) {
        case 'serve':
          return await serve(rest, ctx);
        case 'keys':
          return await keys(rest, ctx);
        case 'worker':
          return await worker(rest, ctx);
        case 'submit':
          return await submit(rest, ctx);
        case 'verify-provenance':
          return verifyProvenanceFile(rest, ctx);
        case 'status':
        case 'cancel':
        case 'workers':
          return await simple(action, rest, ctx);
        default:
          throw new UsageError(`unknown farm command "${action ?? ''}"\n${USAGE}`);
      }
    } catch (e) {
      if (e instanceof FarmHttpError) {
        ctx.stderr(`ote farm ${action}: ${e.message}\n`);
        // Refused by Economy Offline: no plan meets both the cost ceiling and the deadline (over a budget, as 4 is).
        if (e.code === 'REFUSED') return EXIT.TOO_BIG;
        return e.status === 422 || e.status === 400
          ? EXIT.BAD_INPUT
          : e.status === 413
            ? EXIT.TOO_BIG
            : EXIT.ENGINE_UNREACHABLE;
      }
      if ((e as Error)?.message?.includes('fetch failed')) {
        ctx.stderr(`ote farm ${action}: the farm at the given --server cannot be reached (${(e as Error).message})\n`);
        return EXIT.ENGINE_UNREACHABLE;
      }
      throw e;
    }
  },
};
