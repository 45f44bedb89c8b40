/**
 * Checks a signed farm request (signing.ts) and the scope its route needs. The signature is checked before the
 * nonce is recorded, so nobody can burn another client's nonces, and the nonce only after the clock, so the nonce
 * table holds at most the skew window. Each refusal has its HTTP status and says which header is wrong.
 */
import type { KeyRing } from './keys.js';
import {
  canonicalRequest,
  HEADERS,
  hexEqual,
  MAX_CLOCK_SKEW_MS,
  NONCE_PATTERN,
  sha256Hex,
  signature,
} from './signing.js';
import type { FarmStore, KeyRow, Scope } from './store.js';

export class FarmAuthError extends Error {
  constructor(
    readonly status: 401 | 403 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SignedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

function header(r: SignedRequest, name: string): string {
  const v = r.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) throw new FarmAuthError(401, 'UNSIGNED', `missing ${name} header (see README, "The farm: signing requests")`);
  return s;
}

export function authenticate(
  keys: KeyRing,
  store: FarmStore,
  r: SignedRequest,
  scopes: readonly Scope[],
  now = Date.now(),
): KeyRow {
  const id = header(r, HEADERS.key);
  const ts = header(r, HEADERS.timestamp);
  const nonce = header(r, HEADERS.nonce);
  const sig = header(r, HEADERS.signature).toLowerCase();
  const key = keys.active(id);
  if (!key) throw new FarmAuthError(401, 'UNKNOWN_KEY', `${HEADERS.key}: no active API key "${id}"`);
  if (!/^\d{1,16}$/.test(ts))
    throw new FarmAuthError(401, 'BAD_TIMESTAMP', `${HEADERS.timestamp}: not milliseconds since the epoch`);
  if (!NONCE_PATTERN.test(nonce))
    throw new FarmAuthError(401, 'BAD_NONCE', `${HEADERS.nonce}: 16 to 64 characters of A-Z, a-z, 0-9, _ and -`);
  const want = signature(key.secret, canonicalRequest(r.method, r.url, ts, nonce, sha256Hex(r.body)));
  if (!hexEqual(want, sig))
    throw new FarmAuthError(
      401,
      'BAD_SIGNATURE',
      `${HEADERS.signature}: does not match the request (method, path, timestamp, nonce or body)`,
    );
  const skew = now - Number(ts);
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS)
    throw new FarmAuthError(
      401,
      'STALE_TIMESTAMP',
      `${HEADERS.timestamp}: ${Math.round(skew / 1000)} s off the server's clock (at most ${MAX_CLOCK_SKEW_MS / 1000} s)`,
    );
  if (!store.useNonce(id, nonce, Number(ts), now - 2 * MAX_CLOCK_SKEW_MS))
    throw new FarmAuthError(409, 'REPLAYED', `${HEADERS.nonce}: already used with this key (a replayed request)`);
  if (!scopes.some((s) => key.row.scopes.includes(s)) && !key.row.scopes.includes('admin'))
    throw new FarmAuthError(
      403,
      'FORBIDDEN',
      `API key ${id} lacks the "${scopes.join('" or "')}" scope (it has ${key.row.scopes.join(', ')})`,
    );
  return key.row;
}
