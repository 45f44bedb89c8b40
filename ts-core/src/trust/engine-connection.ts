/**
 * A connection to the engine, as the client (TrustClient) and verifier nodes hold it: request/reply matching by
 * id, binary frames, pushed events, and timeouts on every request so nothing waits forever.
 */
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { decodeBinary, encodeBinary, MAX_FRAME_BYTES, PROTOCOL_VERSION, type Envelope } from './protocol.js';

/** A request that failed: the engine's error code (BAD_MESSAGE, CONFLICT…), or TIMEOUT, DISCONNECTED, UNREACHABLE. */
export class EngineRequestError extends Error {
  constructor(readonly code: string, message: string) { super(message); this.name = 'EngineRequestError'; }
}

export interface ConnectionOptions { ca?: string | Buffer; timeoutMs?: number }

export class EngineConnection {
  private pending = new Map<string, { resolve: (v: { body: Record<string, any>; payload?: Buffer }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  onEvent?: (type: string, body: Record<string, any>) => void;
  onClose?: () => void;
  closed = false;

  private constructor(private ws: WebSocket, private timeoutMs: number) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        let env: Envelope, payload: Buffer | undefined;
        if (isBinary) { const f = decodeBinary(data); env = f.header as Envelope; payload = f.payload; }
        else env = JSON.parse(data.toString('utf8')) as Envelope;
        if (env.re && this.pending.has(env.re)) {
          const p = this.pending.get(env.re)!;
          this.pending.delete(env.re);
          clearTimeout(p.timer);
          if (env.type === 'error') p.reject(new EngineRequestError(String(env.body.code), String(env.body.message)));
          else p.resolve({ body: env.body, payload });
        } else if (!env.re) this.onEvent?.(env.type, env.body);
      } catch { /* a garbled frame from the engine is dropped; the request times out */ }
    });
    ws.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new EngineRequestError('DISCONNECTED', 'connection closed')); }
      this.pending.clear();
      this.onClose?.();
    });
    ws.on('error', () => { /* surfaced through close */ });
  }

  static connect(url: string, o: ConnectionOptions = {}): Promise<EngineConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, ca: o.ca, handshakeTimeout: o.timeoutMs ?? 10_000 });
      ws.once('open', () => resolve(new EngineConnection(ws, o.timeoutMs ?? 30_000)));
      ws.once('error', (e) => reject(new EngineRequestError('UNREACHABLE', `cannot reach ${url}: ${e.message}`)));
    });
  }

  /** Sends one request; `auth` is computed by the caller from the body. */
  request(type: string, body: Record<string, unknown>, extra: { auth?: Envelope['auth']; payload?: Uint8Array } = {}): Promise<{ body: Record<string, any>; payload?: Buffer }> {
    if (this.closed) return Promise.reject(new EngineRequestError('DISCONNECTED', 'connection closed'));
    const id = randomBytes(8).toString('hex');
    const env: Envelope = { v: PROTOCOL_VERSION, type, id, body, ...(extra.auth ? { auth: extra.auth } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new EngineRequestError('TIMEOUT', `${type}: no reply in ${this.timeoutMs} ms`)); }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(extra.payload ? encodeBinary(env, extra.payload) : JSON.stringify(env));
    });
  }

  /** Sends raw bytes or text as-is (tests use this to send malformed frames). */
  sendRaw(data: string | Buffer) { this.ws.send(data); }

  close() { this.ws.close(); }
  terminate() { this.ws.terminate(); }
}
