/**
 * API keys with scopes. A key is an id (public, `otek_` + 16 hex) and a secret shown once at creation. HMAC needs
 * the secret on the server, so the store keeps it sealed (AES-256-GCM under the master key in `<data>/master.key`,
 * mode 0600, outside the database) plus its SHA-256; the database alone yields no secret. Revoked keys stay listed.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SCOPES, type FarmStore, type KeyRow, type Scope } from './store.js';

export interface CreatedKey {
  id: string;
  /** Shown once; the farm cannot show it again. */
  secret: string;
  scopes: Scope[];
  name: string;
}

export function loadOrCreateMasterKey(path: string): Buffer {
  if (existsSync(path)) {
    const k = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
    if (k.length !== 32) throw new Error(`${path}: the farm's master key must be 64 hex characters`);
    return k;
  }
  const k = randomBytes(32);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${k.toString('hex')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return k;
}

function seal(master: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', master, iv);
  const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
  return [iv, c.getAuthTag(), ct].map((b) => b.toString('base64')).join('.');
}

function unseal(master: Buffer, sealed: string, id: string): string {
  const [iv, tag, ct] = sealed.split('.').map((s) => Buffer.from(s, 'base64'));
  try {
    const d = createDecipheriv('aes-256-gcm', master, iv);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ct), d.final()]).toString('utf8');
  } catch {
    throw new Error(`API key ${id}: its sealed secret does not open with this farm's master key`);
  }
}

export function parseScopes(list: string): Scope[] {
  const scopes = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = scopes.filter((s) => !SCOPES.includes(s as Scope));
  if (bad.length || !scopes.length)
    throw new Error(`scopes must be a comma-separated list of ${SCOPES.join(', ')}; got "${list}"`);
  return [...new Set(scopes)] as Scope[];
}

export class KeyRing {
  /** Opened secrets by key id: unsealing costs more than the rest of a request's check. Revocation is read each time. */
  private opened = new Map<string, string>();

  constructor(
    private store: FarmStore,
    private master: Buffer,
  ) {}

  create(scopes: Scope[], name = '', now = Date.now()): CreatedKey {
    const id = `otek_${randomBytes(8).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    this.store.addKey({
      id,
      name,
      scopes,
      secretSha256: createHash('sha256').update(secret).digest('hex'),
      sealedSecret: seal(this.master, secret),
      created: now,
      revoked: null,
    });
    return { id, secret, scopes, name };
  }

  /** The key and its secret, for verifying a signature; undefined when unknown or revoked. */
  active(id: string): { row: KeyRow; secret: string } | undefined {
    const row = this.store.key(id);
    if (!row || row.revoked !== null) return undefined;
    let secret = this.opened.get(id);
    if (secret === undefined) {
      secret = unseal(this.master, row.sealedSecret, id);
      if (createHash('sha256').update(secret).digest('hex') !== row.secretSha256)
        throw new Error(`API key ${id}: its sealed secret does not match its hash`);
      this.opened.set(id, secret);
    }
    return { row, secret };
  }

  list(): Omit<KeyRow, 'sealedSecret' | 'secretSha256'>[] {
    return this.store.keys().map(({ sealedSecret: _s, secretSha256: _h, ...k }) => k);
  }

  revoke(id: string, now = Date.now()): boolean {
    return this.store.revokeKey(id, now);
  }
}
