/**
 * A farm client over HTTP and WebSocket: signs every request (signing.ts), uploads scenes content-addressed (an
 * upload of bytes the farm already holds is answered at once), submits, reads, cancels and follows jobs. Used by
 * `ote farm submit|status|cancel|workers`, the tests and the benchmarks.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import WebSocket from 'ws';
import type { JobStatus, JobSubmit } from './api-schemas.js';
import { signRequest } from './signing.js';

export class FarmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export interface FarmEvent {
  seq: number;
  ts: string;
  type: 'state' | 'progress' | 'log' | 'end';
  state?: string;
  stage?: string;
  fraction?: number;
  etaSeconds?: number;
  message?: string;
  exitCode?: number;
  reason?: string;
}

export class FarmClient {
  constructor(
    readonly url: string,
    readonly key: { id: string; secret: string },
  ) {}

  /** One signed request; resolves to the parsed JSON (or bytes), throws FarmHttpError on a non-2xx answer. */
  async request(method: string, path: string, body?: unknown, raw = false): Promise<unknown> {
    const bytes =
      body === undefined
        ? undefined
        : body instanceof Uint8Array
          ? body
          : new TextEncoder().encode(JSON.stringify(body));
    const headers: Record<string, string> = signRequest(this.key, method, path, bytes ?? '');
    if (bytes) headers['content-type'] = body instanceof Uint8Array ? 'application/octet-stream' : 'application/json';
    const res = await fetch(this.url + path, { method, headers, body: bytes });
    if (!res.ok) {
      let code = 'HTTP_ERROR',
        message = res.statusText;
      try {
        const j = (await res.json()) as { error?: string; message?: string };
        code = j.error ?? code;
        message = j.message ?? message;
      } catch {}
      const ra = res.headers.get('retry-after');
      throw new FarmHttpError(
        res.status,
        code,
        `${method} ${path}: ${res.status} ${code}: ${message}`,
        ra ? Number(ra) : undefined,
      );
    }
    return raw ? new Uint8Array(await res.arrayBuffer()) : res.json();
  }

  async upload(data: Uint8Array): Promise<string> {
    const hash = createHash('sha256').update(data).digest('hex');
    await this.request('PUT', `/v1/blobs/${hash}`, data);
    return hash;
  }

  async submit(scene: { data: Uint8Array; name: string }, opts: Omit<JobSubmit, 'scene'> = {}): Promise<JobStatus> {
    const hash = await this.upload(scene.data);
    return (await this.request('POST', '/v1/jobs', {
      ...opts,
      scene: { hash, name: basename(scene.name) },
    })) as JobStatus;
  }

  job(id: string): Promise<JobStatus> {
    return this.request('GET', `/v1/jobs/${id}`) as Promise<JobStatus>;
  }

  cancel(id: string): Promise<JobStatus> {
    return this.request('DELETE', `/v1/jobs/${id}`) as Promise<JobStatus>;
  }

  artifact(id: string, name: string): Promise<Uint8Array> {
    return this.request(
      'GET',
      `/v1/jobs/${id}/artifacts/${encodeURIComponent(name)}`,
      undefined,
      true,
    ) as Promise<Uint8Array>;
  }

  workers(): Promise<unknown> {
    return this.request('GET', '/v1/workers');
  }

  /** Follows a job's events until its terminal event, which it resolves to; `onEvent` sees every event in order. */
  follow(id: string, onEvent: (e: FarmEvent) => void = () => {}): Promise<FarmEvent> {
    const path = `/v1/jobs/${id}/events`;
    const ws = new WebSocket(this.url.replace(/^http/, 'ws') + path, { headers: signRequest(this.key, 'GET', path) });
    return new Promise((resolve, reject) => {
      let end: FarmEvent | undefined;
      ws.on('message', (m) => {
        const e = JSON.parse(m.toString()) as FarmEvent;
        onEvent(e);
        if (e.type === 'end') end = e;
      });
      ws.on('unexpected-response', (_req, res) =>
        reject(
          new FarmHttpError(res.statusCode ?? 0, 'WS_REFUSED', `GET ${path}: ${res.statusCode} ${res.statusMessage}`),
        ),
      );
      ws.on('error', reject);
      ws.on('close', (code, reason) =>
        end ? resolve(end) : reject(new Error(`${path}: closed (${code} ${reason.toString()}) before the job ended`)),
      );
    });
  }
}
