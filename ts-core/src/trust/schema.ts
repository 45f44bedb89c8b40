/**
 * The engine store's SQLite schema, as ordered migrations. `schema_version` holds the version a database is at;
 * opening runs every later step, each in one transaction with its version bump, so a crash mid-upgrade leaves the
 * previous version intact. A database newer than this code is refused rather than misread.
 *
 * Step 1 is the schema every engine before migrations created (without a schema_version table): its statements
 * say IF NOT EXISTS, so such a database reads as version 0, step 1 finds its tables in place, and it opens as
 * version 1 with its rows untouched. New steps are appended, never edited: a shipped step has already run.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  /** Why the step exists, for the reader of this file and the error when it fails. */
  why: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    why: 'the first schema: replay nonces, blobs, nodes, jobs, assignments, votes, and the Merkle audit log',
    sql: `
      CREATE TABLE IF NOT EXISTS nonces (key TEXT NOT NULL, nonce TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (key, nonce));
      CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS nodes (key TEXT PRIMARY KEY, alpha REAL NOT NULL, beta REAL NOT NULL, capability REAL NOT NULL, kinds TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, spec TEXT NOT NULL, state TEXT NOT NULL, quorum INTEGER NOT NULL, created INTEGER NOT NULL,
                                       result TEXT, cert TEXT, log_index INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS assignments (job TEXT NOT NULL, node TEXT NOT NULL, role TEXT NOT NULL, state TEXT NOT NULL, deadline INTEGER NOT NULL,
                                              PRIMARY KEY (job, node));
      CREATE TABLE IF NOT EXISTS votes (job TEXT NOT NULL, node TEXT NOT NULL, role TEXT NOT NULL, vote TEXT NOT NULL, log_index INTEGER NOT NULL, PRIMARY KEY (job, node));
      CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY, data TEXT NOT NULL, leaf TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root TEXT NOT NULL, timestamp INTEGER NOT NULL, engine_key TEXT NOT NULL, sig TEXT NOT NULL);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The version a database is at: 0 for one created before schema_version existed (or a new, empty one). */
export function schemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

/** Brings `db` (named `where` in errors) to SCHEMA_VERSION; returns the version it was at. */
export function migrate(db: Database.Database, where: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations[migrations.length - 1].version;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `trust schema: migration ${i} has version ${m.version}; steps must be numbered 1, 2, 3… in order`,
      );
  });
  const from = schemaVersion(db);
  if (from > latest)
    throw new Error(
      `${where}: store is at schema version ${from}, but this engine knows versions up to ${latest}; run a newer ote`,
    );
  for (const m of migrations.slice(from)) {
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
        db.exec('DELETE FROM schema_version');
        db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
      })();
    } catch (e) {
      throw new Error(`${where}: migration to schema version ${m.version} (${m.why}) failed: ${(e as Error).message}`);
    }
  }
  return from;
}
