/**
 * How a farm request is signed (README, "The farm: signing requests"). The client sends five headers:
 *
 *   X-OTE-Key        the API key's id
 *   X-OTE-Timestamp  milliseconds since the Unix epoch
 *   X-OTE-Nonce      16 to 64 characters of [A-Za-z0-9_-], never reused with this key
 *   X-OTE-Signature  lower-case hex HMAC-SHA256, keyed with the key's secret, of the canonical string
 *
 * canonical = "OTE1-HMAC-SHA256\n" + METHOD + "\n" + path with query + "\n" + timestamp + "\n" + nonce + "\n" +
 *             hex SHA-256 of the raw body (of nothing, for a request without one)
 *
 * The server refuses a timestamp more than 5 minutes off its clock and a nonce it has seen inside that window, and
 * compares signatures in constant time. A WebSocket upgrade is a GET and is signed the same way.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNING_SCHEME = 'OTE1-HMAC-SHA256';
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export const HEADERS = {
  key: 'x-ote-key',
  timestamp: 'x-ote-timestamp',
  nonce: 'x-ote-nonce',
  signature: 'x-ote-signature',
} as const;

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function canonicalRequest(method: string, path: string, timestamp: string, nonce: string, bodySha256: string) {
  return `${SIGNING_SCHEME}\n${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${bodySha256}`;
}

export function signature(secret: string, canonical: string): string {
  return createHmac('sha256', secret).update(canonical).digest('hex');
}

/** The headers that sign `method path` with `body` now (or at `now`, for tests of the clock check). */
export function signRequest(
  key: { id: string; secret: string },
  method: string,
  path: string,
  body: Uint8Array | string = '',
  now = Date.now(),
  nonce = randomBytes(16).toString('hex'),
): Record<string, string> {
  const timestamp = String(now);
  return {
    [HEADERS.key]: key.id,
    [HEADERS.timestamp]: timestamp,
    [HEADERS.nonce]: nonce,
    [HEADERS.signature]: signature(key.secret, canonicalRequest(method, path, timestamp, nonce, sha256Hex(body))),
  };
}

/** Constant-time comparison of two hex strings (false on any length or format mismatch). */
export function hexEqual(a: string, b: string): boolean {
  if (a.length !== b.length || !/^[0-9a-f]*$/.test(a) || !/^[0-9a-f]*$/.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
