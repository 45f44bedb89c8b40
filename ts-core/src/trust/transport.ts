/**
 * The engine's transport: an HTTP(S) server carrying WebSocket connections (wss when given a certificate). It turns
 * frames into validated, typed requests (protocol.ts) for one handler, and every error the handler throws into an
 * `error` reply addressed to the request, so a bad frame never takes the engine down. It knows nothing of what the
 * requests mean.
 */
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Request, RequestType } from './messages.js';
import {
  decodeBinary,
  encodeBinary,
  MAX_FRAME_BYTES,
  parseEnvelope,
  parseText,
  PROTOCOL_VERSION,
  ProtocolError,
  type ErrorCodeWire,
} from './protocol.js';
import type { Replies } from './replies.js';

/** One connection and what it has proved: nothing yet, a client's API key, or a node's Ed25519 key. */
export interface Conn {
  ws: WebSocket;
  role: 'unknown' | 'client' | 'node';
  remote: string;
  nodeKey?: string;
}

export interface TransportOptions {
  host: string;
  port: number;
  tls?: { cert: string; key: string };
  /** Handles one validated request; what it throws is answered as an error (ProtocolError codes, else INTERNAL). */
  onRequest: (conn: Conn, req: Request, payload: Buffer | undefined) => void;
  onClose: (conn: Conn) => void;
  log?: (line: string) => void;
}

export class Transport {
  url = '';
  private server?: Server;
  private wss?: WebSocketServer;
  private conns = new Set<Conn>();

  constructor(private o: TransportOptions) {}

  /** Listens; resolves with the ws:// or wss:// URL. */
  async listen(): Promise<string> {
    const server = this.o.tls
      ? createHttpsServer({ cert: readFileSync(this.o.tls.cert), key: readFileSync(this.o.tls.key) })
      : createHttpServer();
    this.server = server;
    this.wss = new WebSocketServer({ server, maxPayload: MAX_FRAME_BYTES });
    this.wss.on('connection', (ws, req) => this.onConnection(ws, `${req.socket.remoteAddress}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    const addr = server.address() as { port: number };
    this.url = `${this.o.tls ? 'wss' : 'ws'}://${this.o.host}:${addr.port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((r) => (this.wss ? this.wss.close(() => r()) : r()));
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Sends a message that answers nothing (an event such as `assign`). */
  push(conn: Conn, type: string, body: object) {
    this.send(conn, { type, body });
  }

  reply<T extends RequestType>(conn: Conn, req: { type: T; id?: string }, body: Replies[T]) {
    this.send(conn, { type: 'ok', re: req.id, body });
  }

  /** Replies with bytes: a binary frame whose header is `type` and `body`. */
  replyBinary(conn: Conn, req: { id?: string }, type: string, body: object, payload: Uint8Array) {
    if (conn.ws.readyState === conn.ws.OPEN)
      conn.ws.send(encodeBinary({ v: PROTOCOL_VERSION, type, re: req.id, body }, payload));
  }

  private send(conn: Conn, env: { type: string; re?: string; body: object }) {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...env }));
  }

  private fail(conn: Conn, re: string | undefined, code: ErrorCodeWire, message: string) {
    this.send(conn, { type: 'error', re, body: { code, message } });
  }

  private onConnection(ws: WebSocket, remote: string) {
    const conn: Conn = { ws, role: 'unknown', remote };
    this.conns.add(conn);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data as Buffer, isBinary));
    ws.on('close', () => {
      this.conns.delete(conn);
      this.o.onClose(conn);
    });
    ws.on('error', () => {
      /* the close handler cleans up; a bad frame must not take the engine down */
    });
  }

  private onMessage(conn: Conn, data: Buffer, isBinary: boolean) {
    let req: Request | undefined;
    try {
      let payload: Buffer | undefined;
      if (isBinary) {
        const f = decodeBinary(data);
        req = parseEnvelope(f.header);
        if (req.type !== 'blob.chunk')
          throw new ProtocolError('BAD_MESSAGE', `type: binary frames carry blob.chunk, not ${req.type}`);
        payload = f.payload;
      } else {
        req = parseText(data.toString('utf8'));
      }
      this.o.onRequest(conn, req, payload);
    } catch (e) {
      // Address the error to the request when its id can be read, even from an envelope that failed validation.
      const re = req?.id ?? requestIdOf(data, isBinary);
      if (e instanceof ProtocolError) this.fail(conn, re, e.code, e.message);
      else {
        this.o.log?.(`internal error on ${req?.type}: ${(e as Error).stack}`);
        this.fail(conn, re, 'INTERNAL', (e as Error).message);
      }
    }
  }
}

function requestIdOf(data: Buffer, isBinary: boolean): string | undefined {
  try {
    const v = isBinary
      ? decodeBinary(data).header
      : data.length <= 2 * MAX_FRAME_BYTES
        ? JSON.parse(data.toString('utf8'))
        : undefined;
    const id = (v as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}
