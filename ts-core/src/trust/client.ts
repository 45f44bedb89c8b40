/**
 * The Trust Engine client used by `ote optimize` and `ote verify`: uploads the two blobs (content-addressed,
 * chunked, resumed where the engine stopped), submits the job, and waits for the certificate. Every request is
 * signed with HMAC-SHA256 over its type, timestamp, nonce and body hash. It reconnects across engine restarts
 * and gives up only at its deadline.
 */
import { randomBytes } from 'node:crypto';
import { canonicalJson, sha256Hex } from './bytes.js';
import type { Certificate } from './certificate.js';
import { blobHashHex, hmacHex } from './crypto.js';
import { EngineConnection, EngineRequestError, type Reply } from './engine-connection.js';
import type { RequestBody, RequestType } from './messages.js';
import { authString, MAX_CHUNK_BYTES } from './protocol.js';
import type { Replies } from './replies.js';
import type { ArtifactKind, MetricName, RenderSpec, Thresholds } from './types.js';
import { OteError } from '../errors.js';

export interface ClientOptions {
  url: string;
  apiKey: { id: string; secret: string };
  ca?: string | Buffer;
  requestTimeoutMs?: number;
}

export interface SubmitRequest {
  referenceScene: Uint8Array;
  artifact: Uint8Array;
  kind: ArtifactKind;
  thresholds: Thresholds;
  claimedMetrics?: Partial<Record<MetricName, number>>;
  complexity?: number;
  confidence?: number;
  profile?: string;
  quorum?: number;
  /** The producing node's key: the engine never lets it verify its own work. */
  producer?: string;
  /** How nodes render the reference (and the sampled crops' size and cost); the engine's default when absent. */
  render?: RenderSpec;
}

export class TrustClient {
  private connection?: EngineConnection;
  constructor(readonly o: ClientOptions) {}

  private async conn(): Promise<EngineConnection> {
    if (this.connection && !this.connection.closed) return this.connection;
    try {
      this.connection = await EngineConnection.connect(this.o.url, {
        ca: this.o.ca,
        timeoutMs: this.o.requestTimeoutMs,
      });
    } catch (e) {
      throw new OteError('ENGINE_UNREACHABLE', (e as Error).message);
    }
    return this.connection;
  }

  /** One signed request. */
  async call<T extends RequestType>(type: T, body: RequestBody<T>, payload?: Uint8Array): Promise<Reply<Replies[T]>> {
    const ts = Date.now(),
      nonce = randomBytes(16).toString('hex');
    const sig = hmacHex(this.o.apiKey.secret, authString(type, ts, nonce, sha256Hex(canonicalJson(body))));
    return (await this.conn()).request(type, body, { auth: { key: this.o.apiKey.id, ts, nonce, sig }, payload });
  }

  async info() {
    return (await this.call('engine.info', {})).body;
  }

  /** Uploads a blob unless the engine has it; resumes a partial upload from the engine's offset. Returns its hash. */
  async upload(bytes: Uint8Array): Promise<string> {
    const hash = blobHashHex(bytes);
    // A CONFLICT means another upload of the same content moved the offset (or a restart lost it): ask again and
    // continue from wherever the engine is. Bounded, so a misbehaving engine cannot keep us here.
    for (let attempt = 0; ; attempt++) {
      try {
        const begin = (await this.call('blob.begin', { hash, size: bytes.length })).body;
        if (begin.complete) return hash;
        for (let off = begin.received; off < bytes.length; ) {
          const chunk = bytes.subarray(off, Math.min(bytes.length, off + MAX_CHUNK_BYTES));
          off = (await this.call('blob.chunk', { hash, offset: off, chunkHash: blobHashHex(chunk) }, chunk)).body
            .received;
        }
        await this.call('blob.end', { hash });
        return hash;
      } catch (e) {
        if (!(e instanceof EngineRequestError && e.code === 'CONFLICT') || attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    }
  }

  async submitJob(req: SubmitRequest): Promise<string> {
    const referenceHash = await this.upload(req.referenceScene);
    const artifactHash = await this.upload(req.artifact);
    const r = await this.call('job.submit', {
      referenceHash,
      artifactHash,
      kind: req.kind,
      thresholds: req.thresholds,
      claimedMetrics: req.claimedMetrics ?? {},
      complexity: req.complexity ?? 0.5,
      confidence: req.confidence ?? 0.95,
      profile: req.profile ?? 'default',
      ...(req.quorum ? { quorum: req.quorum } : {}),
      ...(req.producer ? { producer: req.producer } : {}),
      ...(req.render ? { render: req.render } : {}),
    });
    return r.body.jobId;
  }

  /**
   * A job's state: its votes, result and certificate, and for a provisional verdict (replication.ts) whether an
   * audit re-checked it and whether it revoked it (`result.audit`).
   */
  async status(jobId: string) {
    return (await this.call('job.get', { jobId })).body;
  }

  /** Polls until the job has a certificate; survives engine restarts (reconnects) until `timeoutMs`. */
  async waitForCertificate(
    jobId: string,
    opts: { timeoutMs?: number; signal?: AbortSignal; onStatus?: (s: { state: string; votes: number }) => void } = {},
  ): Promise<Certificate> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    let delay = 50;
    while (Date.now() < deadline) {
      if (opts.signal?.aborted) throw new OteError('CANCELLED', `stopped waiting for job ${jobId}`);
      try {
        const s = (await this.call('job.get', { jobId })).body;
        opts.onStatus?.(s);
        if (s.certificate) return s.certificate;
        if (s.state === 'failed')
          throw new OteError('VERIFICATION_FAILED', `job ${jobId}: ${s.failure?.reason ?? 'failed'}`);
      } catch (e) {
        if (e instanceof OteError) throw e;
        if (e instanceof EngineRequestError && e.code === 'NOT_FOUND') throw new OteError('BAD_INPUT', e.message);
        // Engine gone (restarting) or connection dropped: retry until the deadline.
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(500, delay * 1.5);
    }
    throw new OteError('ENGINE_UNREACHABLE', `job ${jobId}: no certificate within ${opts.timeoutMs ?? 120_000} ms`);
  }

  async submit(req: SubmitRequest, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Certificate> {
    return this.waitForCertificate(await this.submitJob(req), opts);
  }

  close() {
    this.connection?.close();
  }
}
