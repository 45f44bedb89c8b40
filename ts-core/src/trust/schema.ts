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
import { type Migration, migrate as runMigrations, schemaVersion } from '../util/sqlite-migrations.js';

export { schemaVersion, type Migration };

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
  {
    version: 2,
    why: "log events by job: a job's audit and solo events (replication.ts) are looked up on every verdict",
    sql: "CREATE INDEX IF NOT EXISTS log_job ON log (json_extract(data, '$.jobId'));",
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings `db` (named `where` in errors) to SCHEMA_VERSION; returns the version it was at. */
export function migrate(db: Database.Database, where: string, migrations: readonly Migration[] = MIGRATIONS): number {
  return runMigrations(db, where, migrations, 'trust schema');
}
