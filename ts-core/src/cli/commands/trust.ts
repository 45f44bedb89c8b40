/**
 * `ote trust serve | node | audit verify`: the Trust Engine's processes and its offline store audit.
 * serve prints one JSON line {"event":"listening",...} on stdout when ready (the embedded launcher waits for it).
 */
import { join } from 'node:path';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Collusion, LieMode, VerifierNode } from '../../trust/node.js';
import { loadOrCreateIdentity } from '../../trust/crypto.js';
import type { SampleEvaluator } from '../../trust/evaluator.js';
import { REPLICATION_DEFAULTS, type ReplicationOptions } from '../../trust/replication.js';
import { numberFlag, parse, UsageError } from '../args.js';
import { type Command, type CommandContext, waitForAbort } from '../command.js';
import { EXIT } from '../../exit-codes.js';

// Each subcommand loads what it runs (a node needs no SQLite, the engine no renderer): an embedded engine starts
// four of these processes (cli/commands/index.ts).
async function serve(argv: string[], ctx: CommandContext): Promise<number> {
  const { TrustEngine } = await import('../../trust/engine.js');
  const { values } = parse(argv, {
    data: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    quorum: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'assign-timeout-ms': { type: 'string' },
    'rate-limit': { type: 'string' },
    'max-blob-mb': { type: 'string' },
    'no-spot-checks': { type: 'boolean' },
    replication: { type: 'string' },
    'solo-after': { type: 'string' },
    'catch-within': { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    'allow-node': { type: 'string', multiple: true },
    'allow-nodes': { type: 'string' },
  });
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new UsageError('--tls-cert and --tls-key go together');
  const allow = allowList(values['allow-node'], values['allow-nodes']);
  const allowedNodes = allow?.map((a) => a.key);
  const nodeOperators = Object.fromEntries(allow?.flatMap((a) => (a.operator ? [[a.key, a.operator]] : [])) ?? []);
  const quorum = numberFlag(values.quorum, 'quorum', 3, { int: true, min: 1, max: 15 });
  // A quorum seats one node per operator: with fewer operators than its size, no job can be verified (yet).
  const operators = new Set(allow?.map((a) => a.operator ?? a.key));
  if (allow && operators.size < quorum)
    ctx.stderr(
      `warning: --quorum ${quorum}, but the allow-list has ${operators.size} operator(s) and a quorum seats one node per operator: no job can reach its quorum until more are listed\n`,
    );
  const engine = new TrustEngine({
    dataDir: values.data ?? join('out', 'trust'),
    host: values.host ?? '127.0.0.1',
    port: numberFlag(values.port, 'port', 0, { int: true, min: 0, max: 65535 }),
    quorum,
    assignTimeoutMs: numberFlag(values['assign-timeout-ms'], 'assign-timeout-ms', 60_000, { above: 0 }),
    rateLimit: numberFlag(values['rate-limit'], 'rate-limit', 200, { above: 0 }),
    maxBlobBytes: numberFlag(values['max-blob-mb'], 'max-blob-mb', 256, { above: 0 }) * (1 << 20),
    spotChecks: !values['no-spot-checks'],
    replication: replicationFlags(values.replication, values['solo-after'], values['catch-within']),
    allowedNodes,
    nodeOperators,
    tls: values['tls-cert'] ? { cert: values['tls-cert'], key: values['tls-key']! } : undefined,
    log: values.verbose || !values.json ? (l) => ctx.stderr(`[engine] ${l}\n`) : undefined,
  });
  const url = await engine.start();
  ctx.stdout(
    values.json
      ? `${JSON.stringify({ event: 'listening', url, engineKey: engine.engineKey, dataDir: values.data, allowedNodes: allowedNodes?.length ?? null })}\n`
      : `trust engine listening on ${url}\nengine key ${engine.engineKey}\n${allowedNodes ? `nodes: only the ${allowedNodes.length} allowed key(s)` : 'nodes: any node that proves its key (no allow-list)'}\n`,
  );
  await waitForAbort(ctx.signal);
  await engine.stop();
  return EXIT.OK;
}

/** --replication full|adaptive, --solo-after N, --catch-within N (replication.ts), checked as usage errors. */
function replicationFlags(mode: string | undefined, soloAfter: string | undefined, catchWithin: string | undefined) {
  if (mode !== undefined && mode !== 'full' && mode !== 'adaptive')
    throw new UsageError(`--replication ${mode}: expected full or adaptive`);
  return {
    mode: (mode ?? REPLICATION_DEFAULTS.mode) as ReplicationOptions['mode'],
    soloAfter: numberFlag(soloAfter, 'solo-after', REPLICATION_DEFAULTS.soloAfter, { int: true, min: 0 }),
    catchWithin: numberFlag(catchWithin, 'catch-within', REPLICATION_DEFAULTS.catchWithin, { min: 1 }),
  };
}

/**
 * The node allow-list: keys from repeated --allow-node KEY[=OPERATOR] flags and from --allow-nodes FILE (one hex key
 * per line, optionally followed by its operator's name; blank lines and # comments ignored). An operator's keys
 * share one seat per quorum. Undefined when neither is given: any authenticated node may join.
 */
function allowList(
  flags: string[] | undefined,
  file: string | undefined,
): { key: string; operator?: string }[] | undefined {
  if (!flags?.length && file === undefined) return undefined;
  const keys: { key: string; operator?: string; where: string }[] = (flags ?? []).map((f) => {
    const [k, operator] = f.split('=', 2).map((x) => x.trim());
    return { key: k, operator: operator || undefined, where: '--allow-node' };
  });
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--allow-nodes ${file}: ${(e as Error).message}`);
    }
    text.split(/\r?\n/).forEach((line, i) => {
      const [k, ...operator] = line.replace(/#.*/, '').trim().split(/\s+/);
      if (k) keys.push({ key: k, operator: operator.join(' ') || undefined, where: `${file}:${i + 1}` });
    });
  }
  for (const { key, where } of keys)
    if (!/^[0-9a-fA-F]{64}$/.test(key))
      throw new UsageError(
        `${where}: "${key}" is not a node public key (64 hex digits; print one with ote trust node --print-key)`,
      );
  return keys.map((k) => ({ key: k.key.toLowerCase(), operator: k.operator }));
}

async function node(argv: string[], ctx: CommandContext): Promise<number> {
  const [{ NodeRefusedError, VerifierNode }, { RenderedSampleEvaluator }] = await Promise.all([
    import('../../trust/node.js'),
    import('../../trust/evaluator-render.js'),
  ]);
  const { values } = parse(argv, {
    engine: { type: 'string' },
    key: { type: 'string' },
    capability: { type: 'string' },
    lie: { type: 'string' },
    'wake-after': { type: 'string' },
    'collusion-dir': { type: 'string' },
    'collude-at': { type: 'string' },
    ca: { type: 'string' },
    count: { type: 'string' },
    'sample-delay-ms': { type: 'string' },
    evaluator: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
    'print-key': { type: 'boolean' },
  });
  if (values['print-key']) {
    // The key an engine operator puts on the allow-list; created (and kept) at --key when the node has none yet.
    ctx.stdout(`${loadOrCreateIdentity(values.key ?? join('out', 'trust', 'node.key')).publicKey}\n`);
    return EXIT.OK;
  }
  if (!values.engine) throw new UsageError('missing --engine ws://host:port');
  const lie = (values.lie ?? 'none') as LieMode;
  if (!['none', 'random', 'consistent', 'collude'].includes(lie))
    throw new UsageError(`--lie must be none, random, consistent or collude, got "${values.lie}"`);
  // --count hosts several independent node identities in one process (one GPU box running several workers).
  const count = numberFlag(values.count, 'count', 1, { int: true, min: 1, max: 64 });
  // Smart adversaries for the fault tests: a sleeper, and a ring that lies only where it holds enough seats.
  const wakeAfter = numberFlag(values['wake-after'], 'wake-after', 0, { int: true, min: 0 });
  const ringDir = values['collusion-dir'];
  if (values['collude-at'] !== undefined && !ringDir) throw new UsageError('--collude-at needs --collusion-dir');
  const colludeAt = numberFlag(values['collude-at'], 'collude-at', 2, { int: true, min: 1 });
  const collusionOf = (key: () => string): Collusion | undefined =>
    ringDir
      ? {
          at: colludeAt,
          seat: (jobId) => {
            mkdirSync(join(ringDir, jobId), { recursive: true });
            writeFileSync(join(ringDir, jobId, key()), '');
          },
          count: (jobId) => (existsSync(join(ringDir, jobId)) ? readdirSync(join(ringDir, jobId)).length : 0),
        }
      : undefined;
  const delay = numberFlag(values['sample-delay-ms'], 'sample-delay-ms', 0, { min: 0 });
  const keyBase = values.key ?? join('out', 'trust', 'node.key');
  // One evaluator is left (the interim JavaScript ray caster retired, issue #17); the flag stays so that scripts
  // naming it keep working, and a future evaluator has a place.
  const which = values.evaluator ?? 'render';
  if (which !== 'render')
    throw new UsageError(
      `--evaluator must be render (the product's renderers and PSNR/SSIM/FLIP; the interim evaluator was retired), got "${which}"`,
    );
  const nodes: VerifierNode[] = [];
  for (let i = 0; i < count; i++) {
    const inner: SampleEvaluator = new RenderedSampleEvaluator();
    // --sample-delay-ms stands in for a slow renderer (tests kill nodes mid-job with it).
    const evaluator: SampleEvaluator = delay
      ? {
          name: inner.name,
          kinds: inner.kinds,
          evaluate: async (...a: Parameters<SampleEvaluator['evaluate']>) => {
            await new Promise((r) => setTimeout(r, delay));
            return inner.evaluate(...a);
          },
        }
      : inner;
    const node: VerifierNode = new VerifierNode({
      engine: values.engine!,
      evaluator,
      keyFile: values.count === undefined ? keyBase : `${keyBase}.${i}`,
      capability: numberFlag(values.capability, 'capability', 1, { above: 0 }),
      lie,
      wakeAfter,
      collusion: collusionOf(() => node.key),
      ca: values.ca ? readFileSync(values.ca) : undefined,
      log: (l) => ctx.stderr(`[node] ${l}\n`),
    });
    nodes.push(node);
  }
  try {
    await Promise.all(nodes.map((n) => n.start()));
  } catch (e) {
    if (!(e instanceof NodeRefusedError)) throw e;
    for (const n of nodes) n.stop();
    ctx.stderr(`ote trust node: refused by ${values.engine}: ${e.message}\n`);
    return EXIT.USAGE;
  }
  if (values.verbose) for (const n of nodes) ctx.stderr(`[node] ${n.key} connected to ${values.engine}\n`);
  await waitForAbort(ctx.signal);
  for (const n of nodes) n.stop();
  return EXIT.OK;
}

async function audit(argv: string[], ctx: CommandContext): Promise<number> {
  const { auditStore } = await import('../../trust/audit.js');
  const { values, positionals } = parse(argv, {
    data: { type: 'string' },
    'engine-key': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals[0] !== 'verify') throw new UsageError('usage: ote trust audit verify --data DIR [--engine-key KEY]');
  const r = auditStore(values.data ?? join('out', 'trust'), { engineKey: values['engine-key'] });
  if (values.json) ctx.stdout(`${JSON.stringify(r)}\n`);
  else {
    ctx.stdout(
      `log: ${r.logSize} entries, ${r.checkpoints} signed checkpoints; ${r.jobs} jobs, ${r.certificates} certificates\n`,
    );
    for (const p of r.problems) ctx.stdout(`TAMPERED ${p}\n`);
    ctx.stdout(
      r.ok
        ? 'audit ok: every row matches the Merkle log and its signed checkpoints\n'
        : `audit FAILED: ${r.problems.length} problem(s)\n`,
    );
  }
  return r.ok ? EXIT.OK : EXIT.VERIFICATION_REJECTED;
}

export const trustCommand: Command = {
  name: 'trust',
  summary: 'Trust Engine: serve the engine, run a verifier node, audit a store',
  usage:
    'ote trust serve [--data DIR] [--port N] [--quorum K] [--tls-cert F --tls-key F] [--allow-node KEY[=OPERATOR]]... [--allow-nodes FILE] [--replication full|adaptive [--solo-after N] [--catch-within N]] | ote trust node --engine ws://host:port [--key FILE] [--count N] [--capability C] [--evaluator render] | ote trust node --print-key [--key FILE] | ote trust audit verify [--data DIR] [--engine-key KEY]',
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    if (sub === 'serve') return serve(rest, ctx);
    if (sub === 'node') return node(rest, ctx);
    if (sub === 'audit') return audit(rest, ctx);
    throw new UsageError(`unknown trust subcommand "${sub ?? ''}"; use serve, node or audit`);
  },
};
