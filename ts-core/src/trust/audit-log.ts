/**
 * The append-only audit log, stored in SQLite. Every event (job submitted, sample seed, vote, verdict, reputation
 * change, certificate) is canonical JSON and one leaf of an RFC 6962 tree. Checkpoints (size, root, time) are
 * signed with the engine's Ed25519 key. Inclusion and consistency proofs are served from the stored leaf hashes;
 * `verifyLog` re-derives everything from the stored event text, so editing any row is detected.
 */
import type Database from 'better-sqlite3';
import { canonicalJson, fromHex, toHex, utf8 } from './bytes.js';
import { checkpointBytes, type Checkpoint, type Ed25519Verify } from './certificate.js';
import { signHex, type Identity } from './crypto.js';
import { consistencyProof, inclusionProof, leafHash, subtreeRoot, verifyConsistency, type Hash } from './merkle.js';

export interface LogEvent {
  type: string;
  [k: string]: unknown;
}

/** An append-only log of events of type `E` (the engine's: events.ts). */
export class AuditLog<E extends LogEvent = LogEvent> {
  private leafCache: Hash[] = [];
  private memo = new Map<string, Hash>();

  /** `db` has the store's schema (schema.ts creates the log and checkpoints tables with the others). */
  constructor(
    private db: Database.Database,
    private identity: Identity,
  ) {
    for (const r of db.prepare('SELECT leaf FROM log ORDER BY idx').all() as { leaf: string }[])
      this.leafCache.push(fromHex(r.leaf));
  }

  get size(): number {
    return this.leafCache.length;
  }

  /** Appends one event (call inside the caller's transaction so the event and the state it explains commit together). */
  append(event: E): number {
    const data = canonicalJson(event);
    const idx = this.leafCache.length;
    const leaf = leafHash(utf8(data));
    this.db.prepare('INSERT INTO log (idx, data, leaf) VALUES (?, ?, ?)').run(idx, data, toHex(leaf));
    this.leafCache.push(leaf);
    return idx;
  }

  /** Called when a transaction that appended rolls back: forget leaves that never reached disk. */
  reloadAfterRollback(): void {
    const n = (this.db.prepare('SELECT COUNT(*) AS n FROM log').get() as { n: number }).n;
    if (n < this.leafCache.length) this.leafCache.length = n;
    for (const k of [...this.memo.keys()]) if (Number(k.split(':')[1]) > n) this.memo.delete(k);
  }

  root(size = this.size): Hash {
    return subtreeRoot((i) => this.leafCache[i], 0, size, this.memo);
  }

  /** Signs and stores a checkpoint of the current tree (idempotent per size). */
  checkpoint(now = Date.now()): Checkpoint {
    const size = this.size;
    const existing = this.db.prepare('SELECT * FROM checkpoints WHERE size = ?').get(size) as
      | { size: number; root: string; timestamp: number; engine_key: string; sig: string }
      | undefined;
    if (existing)
      return {
        size,
        root: existing.root,
        timestamp: existing.timestamp,
        engineKey: existing.engine_key,
        sig: existing.sig,
      };
    const body = { size, root: toHex(this.root(size)), timestamp: now, engineKey: this.identity.publicKey };
    const sig = signHex(this.identity, checkpointBytes(body));
    this.db
      .prepare('INSERT INTO checkpoints (size, root, timestamp, engine_key, sig) VALUES (?, ?, ?, ?, ?)')
      .run(size, body.root, now, body.engineKey, sig);
    return { ...body, sig };
  }

  latestCheckpoint(): Checkpoint | undefined {
    const r = this.db.prepare('SELECT * FROM checkpoints ORDER BY size DESC LIMIT 1').get() as
      | { size: number; root: string; timestamp: number; engine_key: string; sig: string }
      | undefined;
    return r && { size: r.size, root: r.root, timestamp: r.timestamp, engineKey: r.engine_key, sig: r.sig };
  }

  inclusion(index: number, size: number): string[] {
    if (size > this.size) throw new RangeError(`tree size ${size} is beyond the log's ${this.size}`);
    return inclusionProof((i) => this.leafCache[i], index, size).map(toHex);
  }

  consistency(first: number, second: number): string[] {
    if (second > this.size) throw new RangeError(`tree size ${second} is beyond the log's ${this.size}`);
    return consistencyProof((i) => this.leafCache[i], first, second).map(toHex);
  }

  event(index: number): E {
    const r = this.db.prepare('SELECT data FROM log WHERE idx = ?').get(index) as { data: string } | undefined;
    if (!r) throw new RangeError(`no log entry ${index}`);
    return JSON.parse(r.data) as E; // its own rows, as append wrote them
  }
}

export interface LogAudit {
  ok: boolean;
  size: number;
  checkpoints: number;
  problems: string[];
}

/**
 * Re-checks the log from the stored rows only: indices are dense, every leaf hash is SHA-256(0x00 ‖ data), every
 * checkpoint's root is the tree of that size and carries a valid engine signature, and every checkpoint is
 * consistent with the next (proved with RFC 6962 consistency proofs over the recomputed leaves).
 */
export function verifyLog(db: Database.Database, ed25519Verify: Ed25519Verify, engineKey?: string): LogAudit {
  const problems: string[] = [];
  const rows = db.prepare('SELECT idx, data, leaf FROM log ORDER BY idx').all() as {
    idx: number;
    data: string;
    leaf: string;
  }[];
  const leaves: Hash[] = [];
  rows.forEach((r, i) => {
    if (r.idx !== i) problems.push(`log: entry ${i} is missing (found index ${r.idx})`);
    const h = leafHash(utf8(r.data));
    if (toHex(h) !== r.leaf) problems.push(`log[${r.idx}]: stored leaf hash does not match its data`);
    try {
      JSON.parse(r.data);
    } catch {
      problems.push(`log[${r.idx}]: data is not JSON`);
    }
    leaves.push(h); // recomputed, so an edited data row changes every later root
  });
  const memo = new Map<string, Hash>();
  const at = (i: number) => leaves[i];
  const cps = db.prepare('SELECT * FROM checkpoints ORDER BY size').all() as {
    size: number;
    root: string;
    timestamp: number;
    engine_key: string;
    sig: string;
  }[];
  let prev: { size: number; root: Hash } | undefined;
  for (const c of cps) {
    const where = `checkpoint ${c.size}`;
    if (engineKey && c.engine_key !== engineKey)
      problems.push(`${where}: signed by ${c.engine_key.slice(0, 12)}…, not this engine`);
    if (
      !ed25519Verify(
        c.engine_key,
        checkpointBytes({ size: c.size, root: c.root, timestamp: c.timestamp, engineKey: c.engine_key }),
        c.sig,
      )
    )
      problems.push(`${where}: signature does not verify`);
    if (c.size > leaves.length) {
      problems.push(`${where}: beyond the log's ${leaves.length} entries (entries were deleted)`);
      continue;
    }
    const root = subtreeRoot(at, 0, c.size, memo);
    if (toHex(root) !== c.root) problems.push(`${where}: root does not match the stored entries`);
    if (
      prev &&
      !verifyConsistency(prev.size, c.size, prev.root, fromHex(c.root), consistencyProof(at, prev.size, c.size))
    )
      problems.push(`${where}: not consistent with checkpoint ${prev.size}`);
    prev = { size: c.size, root: fromHex(c.root) };
  }
  return { ok: problems.length === 0, size: leaves.length, checkpoints: cps.length, problems };
}
