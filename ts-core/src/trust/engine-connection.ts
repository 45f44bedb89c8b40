/**
 * A connection to the engine, as the client (TrustClient) and verifier nodes hold it: request/reply matching by
 * id, binary frames, pushed events, and timeouts on every request so nothing waits forever. Requests are typed by
 * their schemas (messages.ts); replies by replies.ts (the engine builds them; they are not re-validated here).
 */
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import type { ClientAuth, RequestBody, RequestType } from './messages.js';
import { decodeBinary, encodeBinary, MAX_FRAME_BYTES, PROTOCOL_VERSION, type OutgoingEnvelope } from './protocol.js';
import type { Replies } from './replies.js';

/** A request that failed: the engine's error code (BAD_MESSAGE, CONFLICT…), or TIMEOUT, DISCONNECTED, UNREACHABLE. */
export class EngineRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineRequestError';
  }
}

export interface ConnectionOptions {
  ca?: string | Buffer;
  timeoutMs?: number;
}

export interface Reply<B> {
  body: B;
  payload?: Buffer;
}
type Extra = { auth?: ClientAuth; payload?: Uint8Array };

/** A frame from the engine as far as this side reads it. */
interface Incoming {
  type: string;
  re?: string;
  body: Record<string, unknown>;
}

export class EngineConnection {
  private pending = new Map<
    string,
    { resolve: (v: Reply<unknown>) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  /** Messages that answer no request of ours: pushed events (`assign`), and errors whose request id was unreadable. */
  onEvent?: (type: string, body: Record<string, unknown>) => void;
  onClose?: () => void;
  closed = false;

  private constructor(
    private ws: WebSocket,
    private timeoutMs: number,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        let msg: Incoming, payload: Buffer | undefined;
        if (isBinary) {
          const f = decodeBinary(data);
          msg = f.header as Incoming;
          payload = f.payload;
        } else msg = JSON.parse(data.toString('utf8')) as Incoming;
        if (msg.re && this.pending.has(msg.re)) {
          const p = this.pending.get(msg.re)!;
          this.pending.delete(msg.re);
          clearTimeout(p.timer);
          if (msg.type === 'error') p.reject(new EngineRequestError(String(msg.body.code), String(msg.body.message)));
          else p.resolve({ body: msg.body, payload });
        } else if (!msg.re) this.onEvent?.(msg.type, msg.body);
      } catch {
        /* a garbled frame from the engine is dropped; the request times out */
      }
    });
    ws.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new EngineRequestError('DISCONNECTED', 'connection closed'));
      }
      this.pending.clear();
      this.onClose?.();
    });
    ws.on('error', () => {
      /* surfaced through close */
    });
  }

  static connect(url: string, o: ConnectionOptions = {}): Promise<EngineConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, ca: o.ca, handshakeTimeout: o.timeoutMs ?? 10_000 });
      ws.once('open', () => resolve(new EngineConnection(ws, o.timeoutMs ?? 30_000)));
      ws.once('error', (e) => reject(new EngineRequestError('UNREACHABLE', `cannot reach ${url}: ${e.message}`)));
    });
  }

  /** Sends one request; `auth` is computed by the caller from the body. */
  async request<T extends RequestType>(type: T, body: RequestBody<T>, extra: Extra = {}): Promise<Reply<Replies[T]>> {
    // The engine answers each request type with its Replies body (replies.ts); it is trusted, not re-validated.
    return (await this.requestUnchecked(type, body, extra)) as Reply<Replies[T]>;
  }

  /** Sends any type and body, unchecked by the compiler (tests of hostile clients use it). */
  requestUnchecked(type: string, body: unknown, extra: Extra = {}): Promise<Reply<unknown>> {
    if (this.closed) return Promise.reject(new EngineRequestError('DISCONNECTED', 'connection closed'));
    const id = randomBytes(8).toString('hex');
    const env: OutgoingEnvelope = { v: PROTOCOL_VERSION, type, id, body, ...(extra.auth ? { auth: extra.auth } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new EngineRequestError('TIMEOUT', `${type}: no reply in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(extra.payload ? encodeBinary(env, extra.payload) : JSON.stringify(env));
    });
  }

  /** Sends raw bytes or text as-is (tests use this to send malformed frames). */
  sendRaw(data: string | Buffer) {
    this.ws.send(data);
  }

  close() {
    this.ws.close();
  }
  terminate() {
    this.ws.terminate();
  }
}
