/**
 * A verifier node: connects to the engine, proves its Ed25519 identity, and for each assignment fetches both blobs,
 * evaluates the seeded samples in order with the sequential stop, and returns a signed vote. Its own failures
 * (a blob it cannot read, an evaluator error) are reported as node.error: the engine reassigns, and the producer is
 * never judged on them. `lie` makes a node Byzantine for the fault tests and the benchmark; it perturbs the
 * output of a real evaluation. `wakeAfter` makes it a sleeper (honest for its first jobs), and `collusion` a
 * quorum-aware colluder (it lies only where enough of its ring sits on the job), the smart adversaries of
 * trust/adversaries.ts as real processes.
 */
import { voteSigningBytes } from './certificate.js';
import { blobHashHex, loadOrCreateIdentity, newIdentity, signHex, type Identity } from './crypto.js';
import type { SampleEvaluator } from './evaluator.js';
import { canStop, passes, sampleSpecs, METRICS } from './sampling.js';
import { Rng } from '../util/rng.js';
import type { MetricName, RenderEnvironment, RenderSpec, SampleMetrics, Thresholds, Vote } from './types.js';
import { EngineConnection } from './engine-connection.js';
import type { Assign, WireRenderSpec } from './messages.js';
import { MAX_CHUNK_BYTES, nodeAuthBytes, parseAssign } from './protocol.js';

export type LieMode = 'none' | 'random' | 'consistent' | 'collude';

/** The engine refused this node's key (it is not on the engine's allow-list). */
export class NodeRefusedError extends Error {
  readonly code = 'FORBIDDEN';
  constructor(message: string) {
    super(message);
    this.name = 'NodeRefusedError';
  }
}

export interface NodeOptions {
  engine: string;
  evaluator: SampleEvaluator;
  keyFile?: string;
  identity?: Identity;
  capability?: number;
  lie?: LieMode;
  /** A sleeper: answer this many jobs honestly before lying (default 0). */
  wakeAfter?: number;
  /** A quorum-aware colluder: lie only on jobs where at least `collusion.at` of its ring are seated. */
  collusion?: Collusion;
  ca?: string | Buffer;
  /** Stop reconnecting after this long without an engine (default 5 minutes). */
  giveUpMs?: number;
  log?: (line: string) => void;
}

/**
 * The side channel of a colluding ring (the CLI's is a shared directory): each member says where it is seated and
 * counts the members seated with it.
 */
export interface Collusion {
  /** Lie where at least this many members (this node included) are seated on the job. */
  at: number;
  /** Called as soon as this node is seated on a job, before it evaluates. */
  seat(jobId: string): void | Promise<void>;
  /** The members seated on the job so far, this node included; asked once it has evaluated, before it votes. */
  count(jobId: string): number | Promise<number>;
}

export class VerifierNode {
  readonly identity: Identity;
  private connection?: EngineConnection;
  private queue: Assign[] = [];
  private busy = false;
  private stopped = false;
  private blobCache = new Map<string, Buffer>();
  jobsDone = 0;

  constructor(private o: NodeOptions) {
    this.identity = o.identity ?? (o.keyFile ? loadOrCreateIdentity(o.keyFile) : newIdentity());
  }

  get key(): string {
    return this.identity.publicKey;
  }

  /** Connects and keeps reconnecting (bounded by giveUpMs) until stop(). Resolves once first authenticated. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const deadline = Date.now() + (this.o.giveUpMs ?? 300_000);
    let delay = 100;
    for (;;) {
      if (this.stopped) return;
      let conn: EngineConnection | undefined;
      try {
        conn = await EngineConnection.connect(this.o.engine, { ca: this.o.ca });
        const hello = await conn.request('node.hello', {
          publicKey: this.key,
          capability: this.o.capability ?? 1,
          kinds: this.o.evaluator.kinds,
        });
        // Listening before the auth request: the engine seats a node the moment it authenticates, so an assignment
        // follows the auth reply on the wire, often in the same read, before the code after the await runs.
        const current = conn;
        conn.onEvent = (type, body) => {
          if (type === 'assign') this.onAssign(current, body);
        };
        await conn.request('node.auth', {
          sig: signHex(this.identity, nodeAuthBytes(hello.body.challenge, hello.body.engineKey, this.key)),
        });
        this.connection = conn;
        conn.onClose = () => {
          this.connection = undefined;
          this.queue = [];
          if (!this.stopped) this.connect().catch((e) => this.o.log?.(`stopped: ${(e as Error).message}`));
        };
        // Assignments that came with the auth reply wait in the queue: the pump could not start without a connection.
        void this.pump();
        return;
      } catch (e) {
        conn?.close(); // a half-open connection must not keep the process alive
        // Refused by the engine's allow-list: retrying cannot help, and the operator must see why.
        if ((e as { code?: string }).code === 'FORBIDDEN') {
          this.stopped = true;
          throw new NodeRefusedError((e as Error).message);
        }
        if (Date.now() > deadline) {
          this.o.log?.(`giving up on ${this.o.engine}: ${(e as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(2000, delay * 2);
      }
    }
  }

  stop() {
    this.stopped = true;
    this.connection?.close();
  }

  /** Queues a checked assignment; one the node cannot read is refused at once, so the engine reassigns the seat. */
  private onAssign(conn: EngineConnection, body: unknown) {
    try {
      const a = parseAssign(body);
      this.queue.push(a);
      void Promise.resolve(this.o.collusion?.seat(a.jobId)).catch(() => {});
      void this.pump();
    } catch (e) {
      const jobId = (body as { jobId?: unknown } | null)?.jobId;
      this.o.log?.(`unreadable assignment: ${(e as Error).message}`);
      if (typeof jobId === 'string' && jobId.length <= 64)
        void conn.request('node.error', { jobId, reason: (e as Error).message.slice(0, 1900) }).catch(() => {});
    }
  }

  private async pump() {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.connection) {
        const a = this.queue.shift();
        if (!a) break;
        const conn = this.connection;
        try {
          const vote = await this.verify(conn, a);
          await conn.request('node.vote', { vote });
          this.jobsDone++;
        } catch (e) {
          // A connection lost mid-job loses the job's seat with it: the engine seats the node again on reconnect.
          if (conn.closed)
            this.o.log?.(`job ${a.jobId.slice(0, 12)} dropped with its connection: ${(e as Error).message}`);
          else
            await conn
              .request('node.error', { jobId: a.jobId, reason: (e as Error).message.slice(0, 1900) })
              .catch(() => {});
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async fetch(conn: EngineConnection, hash: string, size: number): Promise<Buffer> {
    const hit = this.blobCache.get(hash);
    if (hit) return hit;
    const parts: Buffer[] = [];
    for (let off = 0; off < size; ) {
      const r = await conn.request('blob.get', { hash, offset: off, length: Math.min(MAX_CHUNK_BYTES, size - off) });
      if (!r.payload?.length) throw new Error(`blob ${hash.slice(0, 12)} ended at ${off} of ${size} bytes`);
      parts.push(r.payload);
      off += r.payload.length;
    }
    const blob = Buffer.concat(parts);
    if (blobHashHex(blob) !== hash) throw new Error(`blob ${hash.slice(0, 12)} does not match its hash`);
    if (this.blobCache.size > 16) this.blobCache.clear();
    this.blobCache.set(hash, blob);
    return blob;
  }

  private async verify(conn: EngineConnection, a: Assign): Promise<Vote> {
    const render = a.render && renderSpecOf(a.render);
    const ref = await this.fetch(conn, a.referenceHash, a.sizes.reference);
    const art = await this.fetch(conn, a.artifactHash, a.sizes.artifact);
    const samples: SampleMetrics[] = [];
    for (const spec of sampleSpecs(a.seed, a.maxSamples)) {
      const m = await this.o.evaluator.evaluate(ref, art, a.kind, spec, render);
      samples.push({ index: spec.index, ...m });
      if (canStop(samples, a.thresholds, a.confidence)) break;
    }
    const honest = summarize(samples, a.thresholds);
    const awake = this.jobsDone >= (this.o.wakeAfter ?? 0);
    const ring = !this.o.collusion || (await this.o.collusion.count(a.jobId)) >= this.o.collusion.at;
    const told = lie(awake && ring ? (this.o.lie ?? 'none') : 'none', honest.samples, honest.pass, a, this.key);
    const s = summarize(told.samples, a.thresholds);
    const unsigned = {
      jobId: a.jobId,
      nodeKey: this.key,
      samples: s.samples,
      means: s.means,
      pass: told.pass ?? s.pass,
    };
    return { ...unsigned, sig: signHex(this.identity, voteSigningBytes(unsigned)) };
  }
}

/**
 * The render spec a job states, as the renderers take it. Version 1 of the protocol accepts a sky with any of its
 * colour fields (messages.ts): a sky missing the colours its type needs cannot be rendered, and this node says so
 * (node.error, and the engine reassigns) rather than rendering something else.
 */
export function renderSpecOf(w: WireRenderSpec): RenderSpec {
  const { environment, ...rest } = w;
  if (!environment) return rest;
  const s = environment.sky;
  const need = (field: 'color' | 'zenith' | 'horizon' | 'ground') => {
    const v = s[field];
    if (!v) throw new Error(`render.environment.sky.${field}: a ${s.type} sky needs it`);
    return v;
  };
  const sky: RenderEnvironment['sky'] =
    s.type === 'none'
      ? { type: 'none' }
      : s.type === 'constant'
        ? { type: 'constant', color: need('color') }
        : { type: 'gradient', zenith: need('zenith'), horizon: need('horizon'), ground: need('ground') };
  return { ...rest, environment: { sky, ...(environment.sun ? { sun: environment.sun } : {}) } };
}

function summarize(samples: SampleMetrics[], t: Thresholds) {
  const means = Object.fromEntries(
    METRICS.map((k) => [k, samples.reduce((s, x) => s + x[k], 0) / samples.length]),
  ) as Record<MetricName, number>;
  return { samples, means, pass: passes(means, t) };
}

/**
 * Byzantine behaviours, applied to an honest measurement:
 * - random: every sample replaced with noise, pass bit a coin flip;
 * - consistent: always claims the opposite verdict, with numbers shifted from the truth by a fixed rule;
 * - collude: claims the opposite verdict with numbers every colluder derives identically from the job seed.
 */
function lie(
  mode: LieMode,
  samples: SampleMetrics[],
  honestPass: boolean,
  a: Assign,
  key: string,
): { samples: SampleMetrics[]; pass?: boolean } {
  if (mode === 'none') return { samples };
  if (mode === 'random') {
    const r = new Rng(`${a.seed}:${key}`);
    return {
      samples: samples.map((s) => ({
        index: s.index,
        psnr: r.range(8, 60),
        ssim: r.range(0.2, 1),
        flip: r.range(0, 0.6),
      })),
      pass: r.next() < 0.5,
    };
  }
  if (mode === 'consistent') {
    return {
      samples: samples.map((s) =>
        honestPass
          ? { index: s.index, psnr: s.psnr * 0.5, ssim: s.ssim * 0.6, flip: Math.min(1, s.flip + 0.3) }
          : {
              index: s.index,
              psnr: Math.min(100, s.psnr * 1.8 + 10),
              ssim: Math.min(1, s.ssim * 1.3 + 0.2),
              flip: s.flip * 0.2,
            },
      ),
      pass: !honestPass,
    };
  }
  const r = new Rng(`collude:${a.seed}`);
  return {
    samples: samples.map((s) =>
      honestPass
        ? { index: s.index, psnr: r.range(12, 14), ssim: r.range(0.4, 0.45), flip: r.range(0.35, 0.4) }
        : { index: s.index, psnr: r.range(58, 62), ssim: r.range(0.98, 0.99), flip: r.range(0.005, 0.01) },
    ),
    pass: !honestPass,
  };
}
