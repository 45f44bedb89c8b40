/**
 * The Trust Engine server: WebSocket (wss when given a certificate) in front of SQLite. It stores blobs, fixes
 * sample seeds, assigns quorums of verifier nodes, collects signed votes, runs consensus, updates reputation, and
 * records every step in the Merkle audit log before issuing a signed certificate. All state lives in SQLite and
 * every state change commits in the same transaction as the log event that explains it, so a SIGKILL at any
 * point leaves a store that resumes (running jobs are re-assigned) and still audits clean.
 */
import Database from 'better-sqlite3';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { canonicalJson, sha256Hex } from './bytes.js';
import { certificateSigningBytes, voteSigningBytes, type Certificate, type CertificateBody } from './certificate.js';
import { decide, deviates, unreproducedClaims, widenCap, DEFAULT_CONSENSUS, type ConsensusOptions } from './consensus.js';
import { ed25519Verify, hexEqual, hmacHex, loadOrCreateIdentity, randomHex, signHex, type Identity } from './crypto.js';
import { AuditLog } from './audit-log.js';
import { BlobStore } from './blob-store.js';
import {
  authString, BODY_SCHEMAS, nodeAuthBytes, decodeBinary, encodeBinary, MAX_FRAME_BYTES, parseEnvelope, parseText, PROTOCOL_VERSION, ProtocolError,
  type Envelope, type ErrorCodeWire,
} from './protocol.js';
import { DEFAULT_REPUTATION, isTrusted, lowerBound, updateReputation, voteWeight, type Reputation, type ReputationOptions } from './reputation.js';
import { deriveSeed, MIN_SAMPLES, METRICS, sampleSize } from './sampling.js';
import { DEFAULT_RENDER, type ArtifactKind, type MetricName, type RenderSpec, type Thresholds, type Vote } from './types.js';

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
  log?: (line: string) => void;
}

interface JobSpec {
  referenceHash: string; artifactHash: string; kind: ArtifactKind; profile: string; thresholds: Thresholds;
  claimedMetrics: Partial<Record<MetricName, number>>; complexity: number; confidence: number; producer?: string;
  engineNonce: string; seed: string; maxSamples: number; quorum: number; issuedAt: number;
  /** Absent in jobs stored before render specs existed: nodes then use their default. */
  render?: RenderSpec;
}

interface Conn {
  ws: WebSocket;
  role: 'unknown' | 'client' | 'node';
  remote: string;
  nodeKey?: string;
  pendingNode?: { publicKey: string; challenge: string; capability: number; kinds: ArtifactKind[] };
}

interface NodeRow { key: string; alpha: number; beta: number; capability: number; kinds: string }

export class TrustEngine {
  readonly identity: Identity;
  readonly apiKeys: Record<string, string>;
  private db: Database.Database;
  private log: AuditLog;
  private blobs: BlobStore;
  private server?: Server;
  private wss?: WebSocketServer;
  private conns = new Set<Conn>();
  private nodes = new Map<string, Conn>();
  private buckets = new Map<string, { tokens: number; last: number }>();
  private timer?: NodeJS.Timeout;
  private o: Required<Omit<EngineOptions, 'tls' | 'apiKeys' | 'consensus' | 'log' | 'allowedNodes'>> & Pick<EngineOptions, 'tls' | 'consensus' | 'log'>;
  private allowed?: Set<string>;
  url = '';

  constructor(options: EngineOptions) {
    this.o = {
      host: '127.0.0.1', port: 0, quorum: 3, assignTimeoutMs: 60_000, maxBlobBytes: 256 << 20, rateLimit: 200, clockSkewMs: 60_000,
      reputation: DEFAULT_REPUTATION, spotChecks: true, ...options,
    } as TrustEngine['o'];
    if (options.allowedNodes) {
      const bad = options.allowedNodes.find((k) => !/^[0-9a-fA-F]{64}$/.test(k));
      if (bad !== undefined) throw new Error(`allowedNodes: "${bad}" is not a 64-digit hex Ed25519 public key`);
      this.allowed = new Set(options.allowedNodes.map((k) => k.toLowerCase()));
    }
    mkdirSync(options.dataDir, { recursive: true });
    this.identity = loadOrCreateIdentity(join(options.dataDir, 'engine.key'));
    this.apiKeys = options.apiKeys ?? loadOrCreateApiKeys(join(options.dataDir, 'engine.json'));
    this.db = new Database(join(options.dataDir, 'trust.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS nonces (key TEXT NOT NULL, nonce TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (key, nonce));
      CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS nodes (key TEXT PRIMARY KEY, alpha REAL NOT NULL, beta REAL NOT NULL, capability REAL NOT NULL, kinds TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, spec TEXT NOT NULL, state TEXT NOT NULL, quorum INTEGER NOT NULL, created INTEGER NOT NULL,
                                       result TEXT, cert TEXT, log_index INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS assignments (job TEXT NOT NULL, node TEXT NOT NULL, role TEXT NOT NULL, state TEXT NOT NULL, deadline INTEGER NOT NULL,
                                              PRIMARY KEY (job, node));
      CREATE TABLE IF NOT EXISTS votes (job TEXT NOT NULL, node TEXT NOT NULL, role TEXT NOT NULL, vote TEXT NOT NULL, log_index INTEGER NOT NULL, PRIMARY KEY (job, node));
    `);
    this.log = new AuditLog(this.db, this.identity);
    this.blobs = new BlobStore(join(options.dataDir, 'blobs'), this.o.maxBlobBytes);
    // Connections did not survive a restart: open assignments are dropped, and the same nodes may take them again
    // when they reconnect (a lost connection is nobody's fault; timeouts and node errors exclude the node instead).
    this.db.prepare("DELETE FROM assignments WHERE state = 'assigned'").run();
  }

  get engineKey(): string { return this.identity.publicKey; }

  async start(): Promise<string> {
    this.server = this.o.tls ? createHttpsServer({ cert: readFileSync(this.o.tls.cert), key: readFileSync(this.o.tls.key) }) : createHttpServer();
    this.wss = new WebSocketServer({ server: this.server, maxPayload: MAX_FRAME_BYTES });
    this.wss.on('connection', (ws, req) => this.onConnection(ws, `${req.socket.remoteAddress}`));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => resolve());
    });
    const addr = this.server.address() as { port: number };
    this.url = `${this.o.tls ? 'wss' : 'ws'}://${this.o.host}:${addr.port}`;
    this.timer = setInterval(() => this.tick(), 200);
    this.timer.unref();
    this.tick();
    return this.url;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((r) => this.wss ? this.wss.close(() => r()) : r());
    await new Promise<void>((r) => this.server ? this.server.close(() => r()) : r());
    this.db.close();
  }

  private say(line: string) { this.o.log?.(line); }

  // ---------- connections and auth ----------

  private onConnection(ws: WebSocket, remote: string) {
    const conn: Conn = { ws, role: 'unknown', remote };
    this.conns.add(conn);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data as Buffer, isBinary));
    ws.on('close', () => this.onClose(conn));
    ws.on('error', () => { /* the close handler cleans up; a bad frame must not take the engine down */ });
  }

  private onClose(conn: Conn) {
    this.conns.delete(conn);
    if (conn.nodeKey && this.nodes.get(conn.nodeKey) === conn) {
      this.nodes.delete(conn.nodeKey);
      const n = this.db.prepare("DELETE FROM assignments WHERE node = ? AND state = 'assigned'").run(conn.nodeKey).changes;
      if (n) this.say(`node ${conn.nodeKey.slice(0, 8)} left with ${n} open assignment(s); reassigning`);
      this.schedule();
    }
  }

  private send(conn: Conn, env: Omit<Envelope, 'v'>) {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...env }));
  }

  private reply(conn: Conn, re: string | undefined, body: Record<string, unknown>) { this.send(conn, { type: 'ok', re, body }); }

  private fail(conn: Conn, re: string | undefined, code: ErrorCodeWire, message: string) {
    this.send(conn, { type: 'error', re, body: { code, message } });
  }

  private rateLimited(key: string): boolean {
    const now = Date.now(), rate = this.o.rateLimit;
    const b = this.buckets.get(key) ?? { tokens: 2 * rate, last: now };
    b.tokens = Math.min(2 * rate, b.tokens + (now - b.last) / 1000 * rate);
    b.last = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return true;
    b.tokens -= 1;
    return false;
  }

  private onMessage(conn: Conn, data: Buffer, isBinary: boolean) {
    let env: Envelope | undefined;
    let payload: Buffer | undefined;
    try {
      if (isBinary) {
        const f = decodeBinary(data);
        env = parseEnvelope(f.header);
        if (env.type !== 'blob.chunk') throw new ProtocolError('BAD_MESSAGE', `type: binary frames carry blob.chunk, not ${env.type}`);
        payload = f.payload;
      } else {
        env = parseText(data.toString('utf8'));
      }
      if (this.rateLimited(env.auth?.key ?? conn.nodeKey ?? conn.remote)) throw new ProtocolError('RATE_LIMITED', 'too many requests; slow down');
      this.authorize(conn, env);
      this.handle(conn, env, payload);
    } catch (e) {
      // Address the error to the request when its id can be read, even from an envelope that failed validation.
      const re = env?.id ?? requestIdOf(data, isBinary);
      if (e instanceof ProtocolError) this.fail(conn, re, e.code, e.message);
      else { this.say(`internal error on ${env?.type}: ${(e as Error).stack}`); this.fail(conn, re, 'INTERNAL', (e as Error).message); }
    }
  }

  /** Client requests carry HMAC auth; node requests need a completed Ed25519 challenge on this connection. */
  private authorize(conn: Conn, env: Envelope) {
    const roles = BODY_SCHEMAS[env.type].roles;
    if (roles.includes('any')) return;
    if (roles.includes('node') && conn.role === 'node' && !env.auth) return;
    if (!roles.includes('client')) throw new ProtocolError('UNAUTHENTICATED', `${env.type} needs an authenticated node connection`);
    const a = env.auth;
    if (!a) throw new ProtocolError('UNAUTHENTICATED', `${env.type} needs auth (API key and HMAC signature)`);
    const secret = this.apiKeys[a.key];
    if (!secret) throw new ProtocolError('UNAUTHENTICATED', 'auth.key: unknown API key');
    const want = hmacHex(secret, authString(env.type, a.ts, a.nonce, sha256Hex(canonicalJson(env.body))));
    if (!hexEqual(want, a.sig)) throw new ProtocolError('UNAUTHENTICATED', 'auth.sig: HMAC signature does not match');
    const now = Date.now();
    if (Math.abs(now - a.ts) > this.o.clockSkewMs) throw new ProtocolError('REPLAYED', `auth.ts: timestamp is ${Math.round((now - a.ts) / 1000)} s off the engine clock`);
    // The nonce is remembered (durably) for as long as its timestamp is acceptable: a replay inside the window is caught here.
    const inserted = this.db.prepare('INSERT OR IGNORE INTO nonces (key, nonce, ts) VALUES (?, ?, ?)').run(a.key, a.nonce, a.ts).changes;
    if (!inserted) throw new ProtocolError('REPLAYED', 'auth.nonce: this request was already received');
    if (conn.role === 'unknown') conn.role = 'client';
  }

  private handle(conn: Conn, env: Envelope, payload?: Buffer) {
    const b = env.body as Record<string, any>;
    switch (env.type) {
      case 'engine.info': return this.reply(conn, env.id, this.info());
      case 'node.hello': {
        const challenge = randomHex(32);
        conn.pendingNode = { publicKey: b.publicKey, challenge, capability: b.capability ?? 1, kinds: b.kinds ?? ['lightmap-gltf'] };
        return this.reply(conn, env.id, { challenge, engineKey: this.engineKey });
      }
      case 'node.auth': {
        const p = conn.pendingNode;
        if (!p) throw new ProtocolError('BAD_MESSAGE', 'node.auth before node.hello');
        conn.pendingNode = undefined; // one attempt per challenge
        if (!ed25519Verify(p.publicKey, nodeAuthBytes(p.challenge, this.engineKey, p.publicKey), b.sig)) throw new ProtocolError('UNAUTHENTICATED', 'node.auth.sig: signature over the challenge does not verify');
        // Checked after the signature: only a node that holds the key learns whether that key is listed.
        if (this.allowed && !this.allowed.has(p.publicKey.toLowerCase())) {
          this.say(`node ${p.publicKey.slice(0, 8)} refused: not on the allow-list`);
          throw new ProtocolError('FORBIDDEN', `node.hello.publicKey: node ${p.publicKey} is not on this engine's allow-list (ote trust serve --allow-node KEY / --allow-nodes FILE)`);
        }
        const old = this.nodes.get(p.publicKey);
        if (old && old !== conn) old.ws.terminate();
        conn.role = 'node';
        conn.nodeKey = p.publicKey;
        this.nodes.set(p.publicKey, conn);
        const prior = this.o.reputation.prior;
        this.db.prepare('INSERT INTO nodes (key, alpha, beta, capability, kinds) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET capability = excluded.capability, kinds = excluded.kinds')
          .run(p.publicKey, prior.alpha, prior.beta, p.capability, JSON.stringify(p.kinds));
        this.reply(conn, env.id, { ok: true });
        this.say(`node ${p.publicKey.slice(0, 8)} connected`);
        return this.schedule();
      }
      case 'blob.begin': {
        const r = this.blobs.begin(b.hash, b.size);
        this.declared.set(b.hash, b.size);
        return this.reply(conn, env.id, r);
      }
      case 'blob.chunk': {
        if (sha256Hex(payload!) !== b.chunkHash) throw new ProtocolError('BAD_MESSAGE', 'blob.chunk.chunkHash: does not match the bytes');
        const size = this.pendingSize(b.hash);
        return this.reply(conn, env.id, { received: this.blobs.append(b.hash, size, b.offset, payload!) });
      }
      case 'blob.end': {
        this.blobs.finish(b.hash, this.pendingSize(b.hash));
        this.db.prepare('INSERT OR IGNORE INTO blobs (hash, size) VALUES (?, ?)').run(b.hash, this.blobs.size(b.hash));
        return this.reply(conn, env.id, { complete: true });
      }
      case 'blob.get': {
        const allowed = this.db.prepare(`SELECT 1 FROM assignments a JOIN jobs j ON j.id = a.job WHERE a.node = ? AND a.state = 'assigned'
          AND (json_extract(j.spec, '$.referenceHash') = ? OR json_extract(j.spec, '$.artifactHash') = ?)`).get(conn.nodeKey, b.hash, b.hash);
        if (!allowed) throw new ProtocolError('FORBIDDEN', 'blob.get.hash: not a blob of a job assigned to this node');
        const total = this.blobs.size(b.hash);
        const chunk = this.blobs.read(b.hash, b.offset, Math.min(b.length, Math.max(0, total - b.offset)));
        conn.ws.send(encodeBinary({ v: PROTOCOL_VERSION, type: 'blob.data', re: env.id, body: { hash: b.hash, offset: b.offset, total } }, chunk));
        return;
      }
      case 'job.submit': return this.reply(conn, env.id, { jobId: this.submit(b as any, env.auth!.key) });
      case 'job.get': return this.reply(conn, env.id, this.jobStatus(b.jobId));
      case 'node.vote': return this.reply(conn, env.id, this.acceptVote(conn, b.vote as Vote));
      case 'node.error': {
        const n = this.db.prepare("UPDATE assignments SET state = 'error' WHERE job = ? AND node = ? AND state = 'assigned'").run(b.jobId, conn.nodeKey).changes;
        if (n) this.say(`node ${conn.nodeKey!.slice(0, 8)} could not verify ${b.jobId}: ${b.reason}; reassigning`);
        this.reply(conn, env.id, { ok: true });
        return this.schedule();
      }
      case 'log.checkpoint': return this.reply(conn, env.id, { checkpoint: this.db.transaction(() => this.log.checkpoint())() });
      case 'log.inclusion': return this.reply(conn, env.id, { proof: this.proof(() => this.log.inclusion(b.index, b.size)), leaf: b.index < this.log.size ? this.log.event(b.index) : null });
      case 'log.consistency': return this.reply(conn, env.id, { proof: this.proof(() => this.log.consistency(b.first, b.second)) });
      default: throw new ProtocolError('BAD_MESSAGE', `type: ${env.type} is not a request`);
    }
  }

  private proof(f: () => string[]): string[] {
    try { return f(); } catch (e) { throw new ProtocolError('NOT_FOUND', (e as Error).message); }
  }

  /** Size declared by blob.begin; kept in memory only while the upload is open, re-declared on resume. */
  private declared = new Map<string, number>();
  private pendingSize(hash: string): number {
    const s = this.declared.get(hash);
    if (s === undefined) throw new ProtocolError('CONFLICT', 'blob.begin must come first (on every connection after a restart)');
    return s;
  }

  info() {
    const rows = this.db.prepare('SELECT * FROM nodes').all() as NodeRow[];
    return {
      engineKey: this.engineKey, version: PROTOCOL_VERSION, quorum: this.o.quorum, logSize: this.log.size, allowList: this.allowed ? this.allowed.size : null,
      nodes: rows.map((r) => ({ key: r.key, connected: this.nodes.has(r.key), trusted: isTrusted(r, this.o.reputation), reputation: lowerBound(r, this.o.reputation), alpha: r.alpha, beta: r.beta })),
    };
  }

  // ---------- jobs ----------

  private submit(b: { referenceHash: string; artifactHash: string; kind: ArtifactKind; profile?: string; thresholds: Thresholds; claimedMetrics?: Record<string, number>; complexity?: number; confidence?: number; quorum?: number; producer?: string; render?: RenderSpec }, key: string): string {
    for (const [field, h] of [['referenceHash', b.referenceHash], ['artifactHash', b.artifactHash]] as const)
      if (!this.blobs.has(h)) throw new ProtocolError('NOT_FOUND', `job.submit.${field}: blob ${h.slice(0, 12)}… is not committed; upload it first`);
    const complexity = b.complexity ?? 0.5, confidence = b.confidence ?? 0.95;
    // The seed is fixed here, after both blobs are committed, from their hashes and a nonce the producer never sees first.
    const engineNonce = randomHex(32);
    const spec: JobSpec = {
      referenceHash: b.referenceHash, artifactHash: b.artifactHash, kind: b.kind, profile: b.profile ?? 'default', thresholds: b.thresholds,
      claimedMetrics: b.claimedMetrics ?? {}, complexity, confidence, producer: b.producer, engineNonce,
      seed: deriveSeed(b.referenceHash, b.artifactHash, engineNonce), maxSamples: sampleSize(complexity, confidence),
      quorum: b.quorum ?? this.o.quorum, issuedAt: Date.now(), render: b.render ?? DEFAULT_RENDER,
    };
    const id = randomHex(16);
    this.tx(() => {
      const idx = this.log.append({ type: 'job.submitted', jobId: id, apiKey: key, spec: { ...spec, engineNonce: undefined, seed: undefined } });
      this.log.append({ type: 'job.seed', jobId: id, engineNonce, seed: spec.seed, maxSamples: spec.maxSamples });
      this.db.prepare("INSERT INTO jobs (id, spec, state, quorum, created, log_index) VALUES (?, ?, 'running', ?, ?, ?)").run(id, JSON.stringify(spec), spec.quorum, Date.now(), idx);
    });
    this.say(`job ${id} submitted (${spec.maxSamples} samples max, quorum ${spec.quorum})`);
    this.schedule();
    return id;
  }

  private tx<T>(f: () => T): T {
    try { return this.db.transaction(f)(); } catch (e) { this.log.reloadAfterRollback(); throw e; }
  }

  private jobStatus(id: string) {
    const j = this.db.prepare('SELECT state, result, cert FROM jobs WHERE id = ?').get(id) as { state: string; result: string | null; cert: string | null } | undefined;
    if (!j) throw new ProtocolError('NOT_FOUND', `job.get.jobId: no job ${id}`);
    const votes = (this.db.prepare("SELECT COUNT(*) AS n FROM votes WHERE job = ? AND role = 'quorum'").get(id) as { n: number }).n;
    const assignments = this.db.prepare('SELECT node, role, state FROM assignments WHERE job = ?').all(id);
    return { state: j.state, votes, assignments, result: j.result ? JSON.parse(j.result) : null, certificate: j.cert ? JSON.parse(j.cert) : null };
  }

  private tick() {
    const now = Date.now();
    const late = this.db.prepare("UPDATE assignments SET state = 'timeout' WHERE state = 'assigned' AND deadline < ?").run(now).changes;
    if (late) this.say(`${late} assignment(s) timed out; reassigning`);
    this.db.prepare('DELETE FROM nonces WHERE ts < ?').run(now - 2 * this.o.clockSkewMs);
    this.schedule();
  }

  private nodeRow(key: string): NodeRow {
    return this.db.prepare('SELECT * FROM nodes WHERE key = ?').get(key) as NodeRow;
  }

  /** Fills every running job's quorum from connected trusted nodes, and finalizes jobs whose votes are in. */
  schedule() {
    const jobs = this.db.prepare("SELECT id, spec, quorum FROM jobs WHERE state = 'running' ORDER BY created").all() as { id: string; spec: string; quorum: number }[];
    for (const j of jobs) {
      const spec = JSON.parse(j.spec) as JobSpec;
      const rows = this.db.prepare('SELECT node, role, state FROM assignments WHERE job = ?').all(j.id) as { node: string; role: string; state: string }[];
      const voted = rows.filter((r) => r.role === 'quorum' && r.state === 'voted').length;
      if (voted >= j.quorum) { this.finalize(j.id); continue; }
      const open = rows.filter((r) => r.role === 'quorum' && r.state === 'assigned').length;
      let need = j.quorum - voted - open;
      const used = new Set(rows.map((r) => r.node));
      const load = (k: string) => (this.db.prepare("SELECT COUNT(*) AS n FROM assignments WHERE node = ? AND state = 'assigned'").get(k) as { n: number }).n;
      const candidates = [...this.nodes.keys()].filter((k) => !used.has(k) && k !== spec.producer)
        .map((k) => ({ k, row: this.nodeRow(k), load: load(k), r: Math.random() }))
        .sort((a, b) => a.load - b.load || a.r - b.r);
      for (const c of candidates) {
        if (need <= 0) break;
        if (!isTrusted(c.row, this.o.reputation)) continue; // A node never verifies its own work, and untrusted nodes do not vote.
        this.assign(j.id, spec, c.k, 'quorum');
        need--;
      }
      if (this.o.spotChecks && !rows.some((r) => r.role === 'spot')) {
        const spot = candidates.find((c) => !isTrusted(c.row, this.o.reputation));
        if (spot) this.assign(j.id, spec, spot.k, 'spot');
      }
    }
  }

  private assign(jobId: string, spec: JobSpec, node: string, role: 'quorum' | 'spot') {
    this.db.prepare("INSERT INTO assignments (job, node, role, state, deadline) VALUES (?, ?, ?, 'assigned', ?)").run(jobId, node, role, Date.now() + this.o.assignTimeoutMs);
    const conn = this.nodes.get(node)!;
    this.send(conn, {
      type: 'assign', body: {
        jobId, referenceHash: spec.referenceHash, artifactHash: spec.artifactHash, kind: spec.kind, seed: spec.seed, maxSamples: spec.maxSamples,
        thresholds: spec.thresholds, confidence: spec.confidence, ...(spec.render ? { render: spec.render } : {}),
        sizes: { reference: this.blobs.size(spec.referenceHash), artifact: this.blobs.size(spec.artifactHash) },
      },
    });
  }

  private acceptVote(conn: Conn, vote: Vote) {
    const key = conn.nodeKey!;
    if (vote.nodeKey !== key) throw new ProtocolError('FORBIDDEN', 'node.vote.vote.nodeKey: not this connection\'s node');
    const a = this.db.prepare('SELECT role, state FROM assignments WHERE job = ? AND node = ?').get(vote.jobId, key) as { role: string; state: string } | undefined;
    if (!a || a.state !== 'assigned') throw new ProtocolError('CONFLICT', `node.vote.vote.jobId: no open assignment of ${vote.jobId} for this node`);
    const { sig, ...unsigned } = vote;
    if (!ed25519Verify(key, voteSigningBytes(unsigned), sig)) throw new ProtocolError('UNAUTHENTICATED', 'node.vote.vote.sig: signature does not verify');
    const job = this.db.prepare('SELECT spec, state, result FROM jobs WHERE id = ?').get(vote.jobId) as { spec: string; state: string; result: string | null };
    const spec = JSON.parse(job.spec) as JobSpec;
    const n = vote.samples.length;
    if (n < Math.min(MIN_SAMPLES, spec.maxSamples) || n > spec.maxSamples || vote.samples.some((s, i) => s.index !== i))
      throw new ProtocolError('BAD_MESSAGE', `node.vote.vote.samples: must be the first ${Math.min(MIN_SAMPLES, spec.maxSamples)}..${spec.maxSamples} seeded samples in order`);
    for (const k of METRICS) {
      const m = vote.samples.reduce((s, x) => s + x[k], 0) / n;
      if (!(Math.abs(m - vote.means[k]) <= 1e-9 * (1 + Math.abs(m)))) throw new ProtocolError('BAD_MESSAGE', `node.vote.vote.means.${k}: not the mean of the samples`);
    }
    this.tx(() => {
      const idx = this.log.append({ type: 'vote', jobId: vote.jobId, role: a.role, vote });
      this.db.prepare('INSERT INTO votes (job, node, role, vote, log_index) VALUES (?, ?, ?, ?, ?)').run(vote.jobId, key, a.role, JSON.stringify(vote), idx);
      this.db.prepare("UPDATE assignments SET state = 'voted' WHERE job = ? AND node = ?").run(vote.jobId, key);
      // A spot check that arrives after the verdict is graded against the stored consensus.
      if (a.role === 'spot' && job.state === 'done' && job.result && !JSON.parse(job.result).contested) this.gradeSpot(vote.jobId, vote, JSON.parse(job.result).medians);
    });
    this.schedule();
    return { accepted: true };
  }

  private setReputation(node: string, outcome: 'agree' | 'flagged', jobId: string, role: string) {
    const row = this.nodeRow(node);
    const r: Reputation = updateReputation(row, outcome, this.o.reputation);
    this.db.prepare('UPDATE nodes SET alpha = ?, beta = ? WHERE key = ?').run(r.alpha, r.beta, node);
    this.log.append({ type: 'reputation', node, jobId, role, outcome, alpha: r.alpha, beta: r.beta });
  }

  private gradeSpot(jobId: string, vote: Vote, medians: Record<MetricName, number>) {
    const o = { ...DEFAULT_CONSENSUS, ...this.o.consensus, absTolerance: { ...DEFAULT_CONSENSUS.absTolerance, ...this.o.consensus?.absTolerance } };
    const bad = METRICS.some((k) => deviates(vote.means[k], medians[k], k, o));
    this.setReputation(vote.nodeKey, bad ? 'flagged' : 'agree', jobId, 'spot');
  }

  private finalize(jobId: string) {
    const job = this.db.prepare('SELECT spec, quorum, state FROM jobs WHERE id = ?').get(jobId) as { spec: string; quorum: number; state: string };
    if (job.state !== 'running') return;
    const spec = JSON.parse(job.spec) as JobSpec;
    const voteRows = this.db.prepare('SELECT node, role, vote FROM votes WHERE job = ? ORDER BY log_index').all(jobId) as { node: string; role: string; vote: string }[];
    const votes = voteRows.filter((r) => r.role === 'quorum').map((r) => JSON.parse(r.vote) as Vote);
    const weights = new Map<string, number>();
    for (const v of votes) {
      const row = this.nodeRow(v.nodeKey);
      weights.set(v.nodeKey, voteWeight(row, row.capability, (JSON.parse(row.kinds) as string[]).includes(spec.kind), this.o.reputation));
    }
    const result = decide(votes, weights, spec.thresholds, { ...this.o.consensus, confidence: spec.confidence });
    // Any disagreement widens the quorum (by two, up to widenCap, never past the trusted nodes that could still vote,
    // so a widened job cannot wait for votes nobody can cast) before anyone is judged: a small quorum may be held by
    // colluding liars, and flagging the honest minority against their median is how honest nodes got flagged.
    const seated = new Set((this.db.prepare('SELECT node FROM assignments WHERE job = ?').all(jobId) as { node: string }[]).map((r) => r.node));
    const eligible = votes.length + [...this.nodes.keys()].filter((k) => !seated.has(k) && k !== spec.producer && isTrusted(this.nodeRow(k), this.o.reputation)).length;
    const widened = Math.min(job.quorum + 2, widenCap(spec.quorum, result.contested || result.verdict === 'inconclusive'), eligible);
    if ((result.verdict === 'inconclusive' || result.contested || result.dissenting.length > 0) && widened > job.quorum) {
      this.db.prepare('UPDATE jobs SET quorum = ? WHERE id = ?').run(widened, jobId);
      this.say(`job ${jobId}: ${result.contested ? `contested (${result.reason})` : `${result.dissenting.length} dissenting vote(s)`}; widening the quorum to ${widened}`);
      return;
    }
    let verdict: 'accepted' | 'rejected' = result.verdict === 'accepted' ? 'accepted' : 'rejected';
    let reason = result.reason;
    const unreproduced = unreproducedClaims(spec.claimedMetrics, result.medians, this.o.consensus);
    if (verdict === 'accepted' && unreproduced.length) { verdict = 'rejected'; reason = `claimed ${unreproduced.join(', ')} not reproduced by the verifiers`; }
    const certBody: CertificateBody = {
      version: 1, engineKey: this.engineKey,
      job: {
        id: jobId, sceneHash: spec.referenceHash, artifactHash: spec.artifactHash, kind: spec.kind, profile: spec.profile, thresholds: spec.thresholds,
        claimedMetrics: spec.claimedMetrics, complexity: spec.complexity, confidence: spec.confidence, engineNonce: spec.engineNonce, seed: spec.seed,
        maxSamples: spec.maxSamples, issuedAt: Date.now(), ...(spec.render ? { render: spec.render } : {}),
      },
      consensus: { ...this.o.consensus, confidence: spec.confidence },
      metrics: Object.fromEntries(METRICS.map((k) => [k, { median: result.medians[k], ...finite(result.intervals[k]) }])) as CertificateBody['metrics'],
      nodes: votes.map((v) => ({ key: v.nodeKey, weight: weights.get(v.nodeKey)!, flagged: result.flagged.includes(v.nodeKey), vote: v })),
      verdict, reason,
    };
    this.tx(() => {
      if (!result.contested) {
        for (const v of votes) this.setReputation(v.nodeKey, result.flagged.includes(v.nodeKey) ? 'flagged' : 'agree', jobId, 'quorum');
        for (const r of voteRows.filter((r) => r.role === 'spot')) this.gradeSpot(jobId, JSON.parse(r.vote), result.medians);
      }
      this.log.append({ type: 'verdict', jobId, verdict, reason, medians: result.medians, flagged: result.flagged });
      const index = this.log.append({ type: 'certificate', body: certBody });
      const checkpoint = this.log.checkpoint();
      const unsigned = { ...certBody, log: { index, inclusionProof: this.log.inclusion(index, checkpoint.size), checkpoint } };
      const cert: Certificate = { ...unsigned, sig: signHex(this.identity, certificateSigningBytes(unsigned)) };
      this.db.prepare("UPDATE jobs SET state = 'done', result = ?, cert = ? WHERE id = ?")
        .run(JSON.stringify({ verdict, reason, medians: result.medians, flagged: result.flagged, contested: result.contested }), JSON.stringify(cert), jobId);
      // Quorum members still working on a finished job are released.
      this.db.prepare("UPDATE assignments SET state = 'released' WHERE job = ? AND state = 'assigned' AND role = 'quorum'").run(jobId);
    });
    this.say(`job ${jobId}: ${verdict} (${reason})${result.flagged.length ? `; flagged ${result.flagged.map((k) => k.slice(0, 8)).join(', ')}` : ''}`);
  }
}

/** Intervals from fewer than two samples are unbounded; certificates carry JSON numbers, so those become nulls-free ±1e308. */
function finite(i: { mean: number; lo: number; hi: number; n: number }) {
  const f = (x: number) => (Number.isFinite(x) ? x : x > 0 ? 1e308 : -1e308);
  return { mean: f(i.mean), lo: f(i.lo), hi: f(i.hi), n: i.n };
}

function requestIdOf(data: Buffer, isBinary: boolean): string | undefined {
  try {
    const v = isBinary ? decodeBinary(data).header : data.length <= 2 * MAX_FRAME_BYTES ? JSON.parse(data.toString('utf8')) : undefined;
    const id = (v as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' && id.length <= 64 ? id : undefined;
  } catch { return undefined; }
}

function loadOrCreateApiKeys(path: string): Record<string, string> {
  if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { apiKeys: Record<string, string> }).apiKeys;
  const keys = { default: randomHex(32) };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ apiKeys: keys }, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
  return keys;
}
