/**
 * The Trust Engine server. It stores blobs, fixes sample seeds, assigns quorums of verifier nodes, collects signed
 * votes, runs consensus, updates reputation, and records every step in the Merkle audit log before issuing a
 * signed certificate. All state lives in SQLite and every state change commits in the same transaction as the log
 * event that explains it, so a SIGKILL at any point leaves a store that resumes (running jobs are re-assigned) and
 * still audits clean.
 *
 * This file wires the parts together and routes each typed request to them:
 * transport.ts (WebSocket server) → rate-limit.ts, auth.ts (who may send what) → this router →
 * jobs.ts (submissions, votes), scheduler.ts (seats; replication.ts: who verifies alone), verdict.ts (consensus,
 * reputation, audits of provisional verdicts) → signing.ts
 * (certificates), over store.ts (SQLite, schema.ts migrations), audit-log.ts and blob-store.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from './audit-log.js';
import { Authenticator, loadOrCreateApiKeys } from './auth.js';
import type { EngineEvent } from './events.js';
import { BlobStore } from './blob-store.js';
import type { ConsensusOptions } from './consensus.js';
import { blobHashHex, loadOrCreateIdentity, type Identity } from './crypto.js';
import { Jobs } from './jobs.js';
import type { Request } from './messages.js';
import { PROTOCOL_VERSION, ProtocolError } from './protocol.js';
import { RateLimiter } from './rate-limit.js';
import type { EngineInfo } from './replies.js';
import { DEFAULT_REPUTATION, isTrusted, lowerBound, type ReputationOptions } from './reputation.js';
import { type ReplicationOptions, replicationOptions } from './replication.js';
import { Scheduler } from './scheduler.js';
import { EngineStore } from './store.js';
import { Transport, type Conn } from './transport.js';
import { Verdicts } from './verdict.js';

export interface EngineOptions {
  dataDir: string;
  host?: string;
  port?: number;
  /** Nodes per job (k = 2f + 1 tolerates f faults). */
  quorum?: number;
  /** API keys by id; when absent, a `default` key is created in <dataDir>/engine.json on first start. */
  apiKeys?: Record<string, string>;
  tls?: { cert: string; key: string };
  /** A node that has not voted this long after assignment is replaced (its lateness is not held against the producer). */
  assignTimeoutMs?: number;
  maxBlobBytes?: number;
  /** Requests per second per key (token bucket; burst is twice the rate). */
  rateLimit?: number;
  /** Accepted client clock skew; also how long nonces are remembered. */
  clockSkewMs?: number;
  consensus?: Partial<ConsensusOptions>;
  reputation?: ReputationOptions;
  /** Give one untrusted node a non-voting seat on each job so it can earn its way back (default true). */
  spotChecks?: boolean;
  /**
   * Public keys (hex Ed25519) of the only nodes allowed to authenticate. Absent: any node that proves its key may
   * join (an open network: reputation, quorums and flagging are then the only defence, as before).
   */
  allowedNodes?: string[];
  /**
   * The operator of allow-listed keys (key → name): a job's quorum seats one node per operator, so an operator who
   * registers many keys votes once. Keys not named are their own operator.
   */
  nodeOperators?: Record<string, string>;
  /**
   * Replication (replication.ts): `full` quorums by default; `adaptive` lets a long-trusted node verify a job
   * alone, with rechecks at the job's confidence, and audits its provisional verdicts if it is ever flagged.
   */
  replication?: Partial<ReplicationOptions>;
  log?: (line: string) => void;
}

export class TrustEngine {
  readonly identity: Identity;
  readonly apiKeys: Record<string, string>;
  private store: EngineStore;
  private log: AuditLog<EngineEvent>;
  private blobs: BlobStore;
  private transport: Transport;
  private auth: Authenticator;
  private limiter: RateLimiter;
  private scheduler: Scheduler;
  private verdicts: Verdicts;
  private jobs: Jobs;
  /** Authenticated node connections by node key. */
  private nodes = new Map<string, Conn>();
  /** Size declared by blob.begin; kept in memory only while the upload is open, re-declared on resume. */
  private declared = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private quorum: number;
  private reputation: ReputationOptions;
  private allowed?: Set<string>;
  private say: (line: string) => void;

  constructor(options: EngineOptions) {
    const o = {
      host: '127.0.0.1',
      port: 0,
      quorum: 3,
      assignTimeoutMs: 60_000,
      maxBlobBytes: 256 << 20,
      rateLimit: 200,
      clockSkewMs: 60_000,
      reputation: DEFAULT_REPUTATION,
      spotChecks: true,
      ...options,
    };
    if (options.allowedNodes) {
      const bad = options.allowedNodes.find((k) => !/^[0-9a-fA-F]{64}$/.test(k));
      if (bad !== undefined) throw new Error(`allowedNodes: "${bad}" is not a 64-digit hex Ed25519 public key`);
      this.allowed = new Set(options.allowedNodes.map((k) => k.toLowerCase()));
    }
    this.say = (line) => o.log?.(line);
    this.quorum = o.quorum;
    this.reputation = o.reputation;
    mkdirSync(o.dataDir, { recursive: true });
    this.identity = loadOrCreateIdentity(join(o.dataDir, 'engine.key'));
    this.apiKeys = options.apiKeys ?? loadOrCreateApiKeys(join(o.dataDir, 'engine.json'));
    this.store = new EngineStore(join(o.dataDir, 'trust.sqlite'));
    this.log = new AuditLog<EngineEvent>(this.store.db, this.identity);
    this.store.whenRolledBack(() => this.log.reloadAfterRollback());
    this.blobs = new BlobStore(join(o.dataDir, 'blobs'), o.maxBlobBytes);
    this.limiter = new RateLimiter(o.rateLimit);
    this.auth = new Authenticator(
      {
        engineKey: this.engineKey,
        apiKeys: this.apiKeys,
        clockSkewMs: o.clockSkewMs,
        allowedNodes: this.allowed,
        log: this.say,
      },
      this.store,
    );
    const connected = () => this.nodes.keys();
    const operators = new Map(Object.entries(options.nodeOperators ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const operatorOf = (key: string) => operators.get(key.toLowerCase()) ?? key;
    const replication = replicationOptions(options.replication);
    this.verdicts = new Verdicts(
      this.store,
      this.log,
      this.identity,
      {
        consensus: o.consensus,
        reputation: o.reputation,
        operatorOf,
        replication,
        log: this.say,
      },
      connected,
    );
    this.jobs = new Jobs(this.store, this.log, this.blobs, this.verdicts, { quorum: o.quorum, log: this.say });
    this.scheduler = new Scheduler(
      this.store,
      {
        reputation: o.reputation,
        spotChecks: o.spotChecks,
        assignTimeoutMs: o.assignTimeoutMs,
        operatorOf,
        replication,
        log: this.say,
      },
      {
        connected,
        streak: (node) => this.verdicts.streak(node),
        setQuorum: (jobId, quorum, solo) =>
          this.store.tx(() => {
            if (solo) this.log.append({ type: 'job.solo', jobId, ...solo });
            this.store.setQuorum(jobId, quorum);
          }),
        send: (node, assign) => {
          const conn = this.nodes.get(node);
          if (conn) this.transport.push(conn, 'assign', assign);
        },
        blobSize: (hash) => this.blobs.size(hash),
        finalize: (jobId) => this.verdicts.finalize(jobId),
        fail: (jobId, why) => this.jobs.fail(jobId, why),
      },
    );
    this.transport = new Transport({
      host: o.host,
      port: o.port,
      tls: o.tls,
      log: this.say,
      onRequest: (conn, req, payload) => this.onRequest(conn, req, payload),
      onClose: (conn) => this.onClose(conn),
    });
    // Connections did not survive a restart: open assignments are dropped, and the same nodes may take them again
    // when they reconnect (a lost connection is nobody's fault; timeouts and node errors exclude the node instead).
    this.store.dropOpenAssignments();
  }

  get engineKey(): string {
    return this.identity.publicKey;
  }
  get url(): string {
    return this.transport.url;
  }

  async start(): Promise<string> {
    const url = await this.transport.listen();
    this.timer = setInterval(() => this.tick(), 200);
    this.timer.unref();
    this.tick();
    return url;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.transport.close();
    this.store.close();
  }

  /** Fills every running job's quorum from connected trusted nodes, and finalizes jobs whose votes are in. */
  schedule() {
    this.scheduler.schedule();
  }

  info(): EngineInfo {
    return {
      engineKey: this.engineKey,
      version: PROTOCOL_VERSION,
      quorum: this.quorum,
      logSize: this.log.size,
      allowList: this.allowed ? this.allowed.size : null,
      nodes: this.store.nodes().map((r) => ({
        key: r.key,
        connected: this.nodes.has(r.key),
        trusted: isTrusted(r, this.reputation),
        reputation: lowerBound(r, this.reputation),
        alpha: r.alpha,
        beta: r.beta,
      })),
    };
  }

  private tick() {
    this.auth.forgetOldNonces();
    this.scheduler.tick();
  }

  private onClose(conn: Conn) {
    if (conn.nodeKey && this.nodes.get(conn.nodeKey) === conn) {
      this.nodes.delete(conn.nodeKey);
      const n = this.store.dropOpenAssignments(conn.nodeKey);
      if (n) this.say(`node ${conn.nodeKey.slice(0, 8)} left with ${n} open assignment(s); reassigning`);
      this.scheduler.schedule();
    }
  }

  /** Rate limit, then authorization, then the request itself. */
  private onRequest(conn: Conn, req: Request, payload: Buffer | undefined) {
    if (!this.limiter.take(req.auth?.key ?? conn.nodeKey ?? conn.remote))
      throw new ProtocolError('RATE_LIMITED', 'too many requests; slow down');
    this.auth.authorize(conn, req);
    this.handle(conn, req, payload);
  }

  /** Each case sees its request's body with the type of its schema (messages.ts). */
  private handle(conn: Conn, req: Request, payload: Buffer | undefined) {
    const t = this.transport;
    switch (req.type) {
      case 'engine.info':
        return t.reply(conn, req, this.info());
      case 'node.hello':
        return t.reply(conn, req, this.auth.challenge(conn, req.body));
      case 'node.auth': {
        const node = this.auth.prove(conn, req.body.sig);
        const old = this.nodes.get(node.publicKey);
        if (old && old !== conn) old.ws.terminate();
        conn.role = 'node';
        conn.nodeKey = node.publicKey;
        this.nodes.set(node.publicKey, conn);
        this.store.upsertNode(node.publicKey, this.reputation.prior, node.capability, node.kinds);
        t.reply(conn, req, { ok: true });
        this.say(`node ${node.publicKey.slice(0, 8)} connected`);
        return this.scheduler.schedule();
      }
      case 'blob.begin': {
        const r = this.blobs.begin(req.body.hash, req.body.size);
        this.declared.set(req.body.hash, req.body.size);
        return t.reply(conn, req, r);
      }
      case 'blob.chunk': {
        // The transport delivers blob.chunk only from binary frames, which always carry a payload.
        const bytes = payload ?? Buffer.alloc(0);
        if (blobHashHex(bytes) !== req.body.chunkHash)
          throw new ProtocolError('BAD_MESSAGE', 'blob.chunk.chunkHash: does not match the bytes');
        return t.reply(conn, req, {
          received: this.blobs.append(req.body.hash, this.pendingSize(req.body.hash), req.body.offset, bytes),
        });
      }
      case 'blob.end': {
        this.blobs.finish(req.body.hash, this.pendingSize(req.body.hash));
        this.store.recordBlob(req.body.hash, this.blobs.size(req.body.hash));
        return t.reply(conn, req, { complete: true });
      }
      case 'blob.get': {
        const { hash, offset, length } = req.body;
        if (!conn.nodeKey || !this.store.mayFetch(conn.nodeKey, hash))
          throw new ProtocolError('FORBIDDEN', 'blob.get.hash: not a blob of a job assigned to this node');
        const total = this.blobs.size(hash);
        const chunk = this.blobs.read(hash, offset, Math.min(length, Math.max(0, total - offset)));
        return t.replyBinary(conn, req, 'blob.data', { hash, offset, total }, chunk);
      }
      case 'job.submit': {
        // authorize() admits job.submit only with client auth.
        if (!req.auth) throw new ProtocolError('UNAUTHENTICATED', 'job.submit needs auth (API key and HMAC signature)');
        const jobId = this.jobs.submit(req.body, req.auth.key);
        this.scheduler.schedule();
        return t.reply(conn, req, { jobId });
      }
      case 'job.get':
        return t.reply(conn, req, this.jobs.status(req.body.jobId));
      case 'node.vote': {
        this.jobs.acceptVote(this.nodeKeyOf(conn), req.body.vote);
        this.scheduler.schedule();
        return t.reply(conn, req, { accepted: true });
      }
      case 'node.error': {
        this.jobs.nodeError(this.nodeKeyOf(conn), req.body.jobId, req.body.reason);
        t.reply(conn, req, { ok: true });
        return this.scheduler.schedule();
      }
      case 'log.checkpoint':
        return t.reply(conn, req, { checkpoint: this.store.tx(() => this.log.checkpoint()) });
      case 'log.inclusion': {
        const { index, size } = req.body;
        return t.reply(conn, req, {
          proof: proof(() => this.log.inclusion(index, size)),
          leaf: index < this.log.size ? this.log.event(index) : null,
        });
      }
      case 'log.consistency':
        return t.reply(conn, req, { proof: proof(() => this.log.consistency(req.body.first, req.body.second)) });
      default: {
        const unhandled: never = req;
        throw new ProtocolError('BAD_MESSAGE', `type: ${(unhandled as Request).type} is not a request`);
      }
    }
  }

  /** Node requests reach the router only on authenticated node connections (auth.ts). */
  private nodeKeyOf(conn: Conn): string {
    if (!conn.nodeKey) throw new ProtocolError('UNAUTHENTICATED', 'needs an authenticated node connection');
    return conn.nodeKey;
  }

  private pendingSize(hash: string): number {
    const s = this.declared.get(hash);
    if (s === undefined)
      throw new ProtocolError('CONFLICT', 'blob.begin must come first (on every connection after a restart)');
    return s;
  }
}

/** A proof the log cannot give (a size beyond it) is NOT_FOUND, not an internal error. */
function proof(f: () => string[]): string[] {
  try {
    return f();
  } catch (e) {
    throw new ProtocolError('NOT_FOUND', (e as Error).message);
  }
}
