/**
 * Who may send what. Client requests carry an HMAC-SHA256 over type, timestamp, nonce and body hash with an API key
 * the engine holds; the timestamp must be within the clock skew, and the nonce is remembered (durably) for as long
 * as that timestamp is acceptable, so a replay inside the window is caught. Nodes prove their Ed25519 key by signing
 * a one-time challenge bound to this engine, and may then send node requests on that connection without auth.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { canonicalJson, sha256Hex } from './bytes.js';
import { ed25519Verify, hexEqual, hmacHex, randomHex } from './crypto.js';
import { REQUESTS, type Request, type RequestBody } from './messages.js';
import { authString, nodeAuthBytes, ProtocolError } from './protocol.js';
import type { EngineStore } from './store.js';
import type { Conn } from './transport.js';
import type { ArtifactKind } from './types.js';

/** A node that has proved its key. */
export interface ProvenNode {
  publicKey: string;
  capability: number;
  kinds: ArtifactKind[];
}

export interface AuthOptions {
  engineKey: string;
  /** API key secrets by key id. */
  apiKeys: Record<string, string>;
  clockSkewMs: number;
  /** Lower-case hex keys of the only nodes admitted; undefined admits any node that proves its key. */
  allowedNodes?: Set<string>;
  log?: (line: string) => void;
}

export class Authenticator {
  /** The open challenge of each connection that said node.hello (one attempt per challenge). */
  private challenges = new WeakMap<Conn, ProvenNode & { challenge: string }>();

  constructor(
    private o: AuthOptions,
    private store: EngineStore,
  ) {}

  /** Throws unless `conn` may send `req`; a connection's first authenticated client request makes it a client's. */
  authorize(conn: Conn, req: Request): void {
    const roles: readonly string[] = REQUESTS[req.type].roles;
    if (roles.includes('any')) return;
    if (roles.includes('node') && conn.role === 'node' && !req.auth) return;
    if (!roles.includes('client'))
      throw new ProtocolError('UNAUTHENTICATED', `${req.type} needs an authenticated node connection`);
    const a = req.auth;
    if (!a) throw new ProtocolError('UNAUTHENTICATED', `${req.type} needs auth (API key and HMAC signature)`);
    const secret = Object.hasOwn(this.o.apiKeys, a.key) ? this.o.apiKeys[a.key] : undefined;
    if (!secret) throw new ProtocolError('UNAUTHENTICATED', 'auth.key: unknown API key');
    const want = hmacHex(secret, authString(req.type, a.ts, a.nonce, sha256Hex(canonicalJson(req.body))));
    if (!hexEqual(want, a.sig)) throw new ProtocolError('UNAUTHENTICATED', 'auth.sig: HMAC signature does not match');
    const now = Date.now();
    if (Math.abs(now - a.ts) > this.o.clockSkewMs)
      throw new ProtocolError(
        'REPLAYED',
        `auth.ts: timestamp is ${Math.round((now - a.ts) / 1000)} s off the engine clock`,
      );
    if (!this.store.rememberNonce(a.key, a.nonce, a.ts))
      throw new ProtocolError('REPLAYED', 'auth.nonce: this request was already received');
    if (conn.role === 'unknown') conn.role = 'client';
  }

  /** Nonces older than twice the skew can no longer be replayed (their timestamps are refused). */
  forgetOldNonces(now = Date.now()) {
    this.store.forgetNoncesBefore(now - 2 * this.o.clockSkewMs);
  }

  /** node.hello: a fresh challenge for this connection. */
  challenge(conn: Conn, hello: RequestBody<'node.hello'>): { challenge: string; engineKey: string } {
    const challenge = randomHex(32);
    this.challenges.set(conn, {
      publicKey: hello.publicKey,
      capability: hello.capability ?? 1,
      kinds: hello.kinds ?? ['lightmap-gltf'],
      challenge,
    });
    return { challenge, engineKey: this.o.engineKey };
  }

  /** node.auth: the node that signed this connection's challenge, if it did and is admitted; throws otherwise. */
  prove(conn: Conn, sig: string): ProvenNode {
    const p = this.challenges.get(conn);
    if (!p) throw new ProtocolError('BAD_MESSAGE', 'node.auth before node.hello');
    this.challenges.delete(conn); // one attempt per challenge
    if (!ed25519Verify(p.publicKey, nodeAuthBytes(p.challenge, this.o.engineKey, p.publicKey), sig))
      throw new ProtocolError('UNAUTHENTICATED', 'node.auth.sig: signature over the challenge does not verify');
    // Checked after the signature: only a node that holds the key learns whether that key is listed.
    if (this.o.allowedNodes && !this.o.allowedNodes.has(p.publicKey.toLowerCase())) {
      this.o.log?.(`node ${p.publicKey.slice(0, 8)} refused: not on the allow-list`);
      throw new ProtocolError(
        'FORBIDDEN',
        `node.hello.publicKey: node ${p.publicKey} is not on this engine's allow-list (ote trust serve --allow-node KEY / --allow-nodes FILE)`,
      );
    }
    return { publicKey: p.publicKey, capability: p.capability, kinds: p.kinds };
  }
}

/** The API keys in `path` ({"apiKeys": {id: secret}}), creating a `default` key (mode 0600, written atomically) on first use. */
export function loadOrCreateApiKeys(path: string): Record<string, string> {
  if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { apiKeys: Record<string, string> }).apiKeys;
  const keys = { default: randomHex(32) };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ apiKeys: keys }, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
  return keys;
}
