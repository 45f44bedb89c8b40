/**
 * Ordered SQLite schema migrations, shared by the stores (trust/schema.ts, farm/schema.ts). `schema_version` holds
 * the version a database is at; opening runs every later step, each in one transaction with its version bump, so a
 * crash mid-upgrade leaves the previous version intact. A database newer than the code is refused, not misread.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  /** Why the step exists, for the reader of this file and the error when it fails. */
  why: string;
  sql: string;
}

/** The version a database is at: 0 for one created before schema_version existed (or a new, empty one). */
export function schemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

/**
 * Brings `db` (named `where` in errors) to the last of `migrations`, each step in one transaction with its version
 * bump; returns the version it was at. `what` names the schema in errors about the list itself.
 */
export function migrate(db: Database.Database, where: string, migrations: readonly Migration[], what: string): number {
  const latest = migrations[migrations.length - 1].version;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`${what}: migration ${i} has version ${m.version}; steps must be numbered 1, 2, 3… in order`);
  });
  const from = schemaVersion(db);
  if (from > latest)
    throw new Error(
      `${where}: store is at schema version ${from}, but this ote knows versions up to ${latest}; run a newer ote`,
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
