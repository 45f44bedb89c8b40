/**
 * The engine store's migrations (schema.ts): a database created before schema_version existed opens with its rows
 * intact, every step runs once and atomically, and a database newer than the code is refused by name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TrustEngine } from '../../src/trust/engine.js';
import { migrate, MIGRATIONS, SCHEMA_VERSION, schemaVersion, type Migration } from '../../src/trust/schema.js';
import { tempDir } from '../helpers.js';

/** The tables exactly as engines before migrations created them (engine.ts and audit-log.ts, protocol version 1). */
const LEGACY_DDL = `
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
`;

test('a store created before migrations opens at the current version with its rows', async () => {
  const dataDir = tempDir('ote-trust-legacy-');
  const key = 'ab'.repeat(32);
  const old = new Database(join(dataDir, 'trust.sqlite'));
  old.exec(LEGACY_DDL);
  old
    .prepare('INSERT INTO nodes (key, alpha, beta, capability, kinds) VALUES (?, 7, 2, 1, ?)')
    .run(key, '["lightmap-gltf"]');
  old.close();
  const engine = new TrustEngine({ dataDir });
  try {
    const node = engine.info().nodes.find((n) => n.key === key);
    assert.ok(node, 'the old node row is there');
    assert.equal([node.alpha, node.beta], [7, 2]);
  } finally {
    await engine.stop();
  }
  const db = new Database(join(dataDir, 'trust.sqlite'), { readonly: true });
  try {
    assert.is(schemaVersion(db), SCHEMA_VERSION);
  } finally {
    db.close();
  }
  // Opening again runs nothing.
  const again = new TrustEngine({ dataDir });
  await again.stop();
});

test('each step runs once, in order, atomically; a failed step leaves the previous version', () => {
  const db = new Database(':memory:');
  assert.is(migrate(db, 'mem'), 0, 'a new database starts at 0');
  assert.is(schemaVersion(db), SCHEMA_VERSION);
  const next: Migration[] = [
    ...MIGRATIONS,
    { version: SCHEMA_VERSION + 1, why: 'a test column', sql: 'ALTER TABLE jobs ADD COLUMN note TEXT' },
  ];
  assert.is(migrate(db, 'mem', next), SCHEMA_VERSION);
  assert.is(schemaVersion(db), SCHEMA_VERSION + 1);
  assert.is(migrate(db, 'mem', next), SCHEMA_VERSION + 1, 'nothing left to run');
  const broken: Migration[] = [
    ...next,
    {
      version: SCHEMA_VERSION + 2,
      why: 'a broken step',
      sql: 'CREATE TABLE extra (x); ALTER TABLE nowhere ADD COLUMN y',
    },
  ];
  assert.throws(
    () => migrate(db, 'mem', broken),
    /mem: migration to schema version \d+ \(a broken step\) failed: no such table: nowhere/,
  );
  assert.is(schemaVersion(db), SCHEMA_VERSION + 1);
  assert.not.ok(
    db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'extra'").get(),
    'the failed step left nothing behind',
  );
  db.close();
});

test('a store newer than this code, and misnumbered steps, are refused by name', () => {
  const db = new Database(':memory:');
  migrate(db, 'mem');
  db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 5);
  assert.throws(
    () => migrate(db, 'store.sqlite'),
    new RegExp(
      `store\\.sqlite: store is at schema version ${SCHEMA_VERSION + 5}, but this ote knows versions up to ${SCHEMA_VERSION}`,
    ),
  );
  assert.throws(
    () => migrate(new Database(':memory:'), 'mem', [{ version: 2, why: 'skips 1', sql: '' }]),
    /migration 0 has version 2/,
  );
  db.close();
});

test.run();
