/**
 * The farm store's SQLite schema, as ordered migrations (util/sqlite-migrations.ts). New steps are appended, never
 * edited: a shipped step has already run.
 */
import type Database from 'better-sqlite3';
import { type Migration, migrate as runMigrations } from '../util/sqlite-migrations.js';

export const FARM_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    why: 'the first farm schema: API keys, replay nonces, jobs with their queue lease, ordered job events, workers',
    sql: `
      CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL, secret_sha256 TEXT NOT NULL,
                             sealed_secret TEXT NOT NULL, created INTEGER NOT NULL, revoked INTEGER);
      CREATE TABLE nonces (key TEXT NOT NULL, nonce TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (key, nonce));
      CREATE INDEX nonces_ts ON nonces (ts);
      CREATE TABLE jobs (id TEXT PRIMARY KEY, key TEXT NOT NULL, batch TEXT, kind TEXT NOT NULL, spec TEXT NOT NULL,
                         state TEXT NOT NULL, priority INTEGER NOT NULL, deadline INTEGER, created INTEGER NOT NULL,
                         started INTEGER, finished INTEGER, stage TEXT, progress REAL NOT NULL DEFAULT 0, eta REAL,
                         attempt_started INTEGER,
                         attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, not_before INTEGER NOT NULL,
                         worker TEXT, lease_until INTEGER, exit_code INTEGER, reason TEXT, result TEXT,
                         last_seq INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX jobs_ready ON jobs (state, priority DESC, created);
      CREATE TABLE events (job TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, data TEXT NOT NULL,
                           PRIMARY KEY (job, seq));
      CREATE TABLE workers (id TEXT PRIMARY KEY, info TEXT NOT NULL, seen INTEGER NOT NULL, busy INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    why: 'tasks: a job split into tasks (its children), each with its index and predicted seconds',
    sql: `
      ALTER TABLE jobs ADD COLUMN parent TEXT;
      ALTER TABLE jobs ADD COLUMN task_index INTEGER;
      ALTER TABLE jobs ADD COLUMN predicted_seconds REAL;
      CREATE UNIQUE INDEX jobs_task ON jobs (parent, task_index) WHERE parent IS NOT NULL;
    `,
  },
  {
    version: 3,
    why: 'verification by the farm: workers a job avoids after they returned bad work, and each worker verdict count',
    sql: `
      ALTER TABLE jobs ADD COLUMN avoid_workers TEXT;
      CREATE TABLE worker_verdicts (worker TEXT PRIMARY KEY, accepted INTEGER NOT NULL DEFAULT 0,
                                    rejected INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0);
    `,
  },
  {
    version: 4,
    why: "the learning coordinator: each worker's last task attempts (coordinator/history.ts), and why a job's attempt went where it did",
    sql: `
      CREATE TABLE task_history (worker TEXT NOT NULL, seq INTEGER NOT NULL, record TEXT NOT NULL,
                                 PRIMARY KEY (worker, seq));
      ALTER TABLE jobs ADD COLUMN dispatch TEXT;
    `,
  },
  {
    version: 5,
    why: "backup copies of stragglers (dispatch.ts): a job's copies are looked up whenever a job ends",
    sql: `CREATE INDEX jobs_backup ON jobs (json_extract(spec, '$.backupOf'))
            WHERE json_extract(spec, '$.backupOf') IS NOT NULL;`,
  },
  {
    version: 6,
    why: 'when a running job last reported progress: its progress rate is the fraction over the time to that report, not to now',
    sql: `ALTER TABLE jobs ADD COLUMN progress_at INTEGER;`,
  },
];

export function migrateFarm(db: Database.Database, where: string): number {
  return runMigrations(db, where, FARM_MIGRATIONS, 'farm schema');
}
