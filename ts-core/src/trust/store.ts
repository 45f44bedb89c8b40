/**
 * The engine's state in SQLite (schema.ts): nonces, blobs, nodes, jobs, assignments and votes, read and written
 * through typed queries so that no other engine module writes SQL. The audit log shares the database
 * (audit-log.ts), and `tx` commits a state change together with the log events that explain it.
 */
import Database from 'better-sqlite3';
import { migrate } from './schema.js';
import type { ArtifactKind, MetricName, Thresholds, Vote } from './types.js';
import type { JobFailure, JobResult } from './replies.js';
import type { WireRenderSpec } from './messages.js';

/** A job as stored: what was submitted, plus the seed the engine fixed. */
export interface JobSpec {
  referenceHash: string;
  artifactHash: string;
  kind: ArtifactKind;
  profile: string;
  thresholds: Thresholds;
  claimedMetrics: Partial<Record<MetricName, number>>;
  complexity: number;
  confidence: number;
  producer?: string;
  engineNonce: string;
  seed: string;
  maxSamples: number;
  quorum: number;
  issuedAt: number;
  /** Absent in jobs stored before render specs existed: nodes then use their default. */
  render?: WireRenderSpec;
}

export interface NodeRow {
  key: string;
  alpha: number;
  beta: number;
  capability: number;
  kinds: string;
}
export type SeatRole = 'quorum' | 'spot';
/** assigned → voted | timeout | error | released; only 'assigned' rows are open. */
export interface AssignmentRow {
  node: string;
  role: SeatRole;
  state: string;
}
export interface JobRow {
  id: string;
  spec: JobSpec;
  state: string;
  quorum: number;
  result: JobResult | null;
  cert: string | null;
  failure?: JobFailure;
}

export class EngineStore {
  readonly db: Database.Database;
  private onRollback: (() => void)[] = [];

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    migrate(this.db, path);
  }

  /** Runs `f` in one transaction; on rollback, in-memory mirrors (the audit log's leaves) are told to reload. */
  tx<T>(f: () => T): T {
    try {
      return this.db.transaction(f)();
    } catch (e) {
      for (const r of this.onRollback) r();
      throw e;
    }
  }

  whenRolledBack(f: () => void) {
    this.onRollback.push(f);
  }

  close() {
    this.db.close();
  }

  // ---------- replay nonces ----------

  /** Remembers a client nonce; false when it was already seen. */
  rememberNonce(key: string, nonce: string, ts: number): boolean {
    return (
      this.db.prepare('INSERT OR IGNORE INTO nonces (key, nonce, ts) VALUES (?, ?, ?)').run(key, nonce, ts).changes > 0
    );
  }

  forgetNoncesBefore(ts: number) {
    this.db.prepare('DELETE FROM nonces WHERE ts < ?').run(ts);
  }

  // ---------- blobs ----------

  recordBlob(hash: string, size: number) {
    this.db.prepare('INSERT OR IGNORE INTO blobs (hash, size) VALUES (?, ?)').run(hash, size);
  }

  /** Whether `node` holds an open assignment of a job whose reference or artifact is `hash`. */
  mayFetch(node: string, hash: string): boolean {
    return !!this.db
      .prepare(`SELECT 1 FROM assignments a JOIN jobs j ON j.id = a.job WHERE a.node = ? AND a.state = 'assigned'
      AND (json_extract(j.spec, '$.referenceHash') = ? OR json_extract(j.spec, '$.artifactHash') = ?)`)
      .get(node, hash, hash);
  }

  // ---------- nodes ----------

  /** A node that authenticated: new ones start at `prior`; known ones keep their reputation. */
  upsertNode(key: string, prior: { alpha: number; beta: number }, capability: number, kinds: ArtifactKind[]) {
    this.db
      .prepare(
        'INSERT INTO nodes (key, alpha, beta, capability, kinds) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET capability = excluded.capability, kinds = excluded.kinds',
      )
      .run(key, prior.alpha, prior.beta, capability, JSON.stringify(kinds));
  }

  node(key: string): NodeRow {
    const row = this.db.prepare('SELECT * FROM nodes WHERE key = ?').get(key) as NodeRow | undefined;
    if (!row) throw new Error(`trust store: no node ${key.slice(0, 12)}… (a node is stored when it authenticates)`);
    return row;
  }

  nodes(): NodeRow[] {
    return this.db.prepare('SELECT * FROM nodes').all() as NodeRow[];
  }

  setReputation(key: string, alpha: number, beta: number) {
    this.db.prepare('UPDATE nodes SET alpha = ?, beta = ? WHERE key = ?').run(alpha, beta, key);
  }

  // ---------- jobs ----------

  insertJob(id: string, spec: JobSpec, created: number, logIndex: number) {
    this.db
      .prepare("INSERT INTO jobs (id, spec, state, quorum, created, log_index) VALUES (?, ?, 'running', ?, ?, ?)")
      .run(id, JSON.stringify(spec), spec.quorum, created, logIndex);
  }

  job(id: string): JobRow | undefined {
    const r = this.db.prepare('SELECT id, spec, state, quorum, result, cert FROM jobs WHERE id = ?').get(id) as
      | { id: string; spec: string; state: string; quorum: number; result: string | null; cert: string | null }
      | undefined;
    if (!r) return undefined;
    const stored = r.result ? (JSON.parse(r.result) as unknown) : null;
    return r.state === 'failed'
      ? { ...r, spec: JSON.parse(r.spec) as JobSpec, result: null, failure: stored as JobFailure }
      : { ...r, spec: JSON.parse(r.spec) as JobSpec, result: stored as JobResult | null };
  }

  /** Running jobs, oldest first (the order the scheduler serves them). */
  runningJobs(): { id: string; spec: JobSpec; quorum: number }[] {
    return (
      this.db.prepare("SELECT id, spec, quorum FROM jobs WHERE state = 'running' ORDER BY created").all() as {
        id: string;
        spec: string;
        quorum: number;
      }[]
    ).map((r) => ({ ...r, spec: JSON.parse(r.spec) as JobSpec }));
  }

  setQuorum(id: string, quorum: number) {
    this.db.prepare('UPDATE jobs SET quorum = ? WHERE id = ?').run(quorum, id);
  }

  /**
   * Reopens a finished job for its audit (replication.ts) with room for `quorum` quorum votes, the excluded one
   * counted: it runs again, keeps its votes, and its stored result and certificate until the new verdict.
   */
  reopenJob(id: string, quorum: number) {
    this.db.prepare("UPDATE jobs SET state = 'running', quorum = ? WHERE id = ? AND state = 'done'").run(quorum, id);
  }

  /** Finished jobs whose provisional verdict `node` voted on and no audit has re-checked yet, oldest first. */
  unauditedProvisionalJobs(node: string): string[] {
    return (
      this.db
        .prepare(`SELECT j.id FROM jobs j JOIN votes v ON v.job = j.id WHERE v.node = ? AND v.role = 'quorum'
        AND j.state = 'done' AND json_extract(j.result, '$.provisional') = 1
        AND json_extract(j.result, '$.audit') IS NULL ORDER BY j.created`)
        .all(node) as { id: string }[]
    ).map((r) => r.id);
  }

  /** The nodes whose votes an audit set aside on `job` (its job.audit events), and the log index of the first. */
  auditOf(job: string): { nodes: string[]; since: number } | undefined {
    const rows = this.db
      .prepare(`SELECT idx, json_extract(data, '$.node') AS node FROM log WHERE json_extract(data, '$.jobId') = ?
      AND json_extract(data, '$.type') = 'job.audit' ORDER BY idx`)
      .all(job) as { idx: number; node: string }[];
    return rows.length ? { nodes: rows.map((r) => r.node), since: rows[0].idx } : undefined;
  }

  /** The node a job was given to alone (its job.solo event; replication.ts), if it was. */
  soloOf(job: string): string | undefined {
    const r = this.db
      .prepare(`SELECT json_extract(data, '$.node') AS node FROM log WHERE json_extract(data, '$.jobId') = ?
      AND json_extract(data, '$.type') = 'job.solo' ORDER BY idx DESC LIMIT 1`)
      .get(job) as { node: string } | undefined;
    return r?.node;
  }

  /** Verdicts `node` agreed with since its last flag (or since it joined), from the logged reputation events. */
  streak(node: string): number {
    const rep = "json_extract(data, '$.type') = 'reputation' AND json_extract(data, '$.node') = ?";
    const last = this.db
      .prepare(`SELECT MAX(idx) AS i FROM log WHERE ${rep} AND json_extract(data, '$.outcome') = 'flagged'`)
      .get(node) as { i: number | null };
    return (
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM log WHERE ${rep} AND json_extract(data, '$.outcome') = 'agree' AND idx > ?`)
        .get(node, last.i ?? -1) as { n: number }
    ).n;
  }

  /** Closes a job with its verdict and certificate; quorum members still working on it are released. */
  /**
   * Verdicts in the audit log after the last one that flagged a node (all of them when none did; Infinity when
   * there are none): the recheck alert's state (recheck.ts), which survives a restart.
   */
  verdictsSinceFlag(): number {
    const verdict = "json_extract(data, '$.type') = 'verdict'";
    const last = this.db
      .prepare(
        `SELECT MAX(idx) AS i FROM log WHERE ${verdict} AND json_array_length(json_extract(data, '$.flagged')) > 0`,
      )
      .get() as { i: number | null };
    if (last.i === null) return Number.POSITIVE_INFINITY;
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM log WHERE ${verdict} AND idx > ?`).get(last.i) as { n: number })
      .n;
  }

  finishJob(id: string, result: JobResult, certificateJson: string) {
    this.db
      .prepare("UPDATE jobs SET state = 'done', result = ?, cert = ? WHERE id = ?")
      .run(JSON.stringify(result), certificateJson, id);
    this.db
      .prepare("UPDATE assignments SET state = 'released' WHERE job = ? AND state = 'assigned' AND role = 'quorum'")
      .run(id);
  }

  /** Closes a job that cannot reach its quorum (state 'failed'); the failure is kept in the result column. */
  failJob(id: string, failure: JobFailure) {
    this.db
      .prepare("UPDATE jobs SET state = 'failed', result = ? WHERE id = ? AND state = 'running'")
      .run(JSON.stringify(failure), id);
    this.db.prepare("UPDATE assignments SET state = 'released' WHERE job = ? AND state = 'assigned'").run(id);
  }

  // ---------- assignments ----------

  assign(job: string, node: string, role: SeatRole, deadline: number) {
    this.db
      .prepare("INSERT INTO assignments (job, node, role, state, deadline) VALUES (?, ?, ?, 'assigned', ?)")
      .run(job, node, role, deadline);
  }

  assignments(job: string): AssignmentRow[] {
    return this.db.prepare('SELECT node, role, state FROM assignments WHERE job = ?').all(job) as AssignmentRow[];
  }

  assignment(job: string, node: string): { role: SeatRole; state: string } | undefined {
    return this.db.prepare('SELECT role, state FROM assignments WHERE job = ? AND node = ?').get(job, node) as
      | { role: SeatRole; state: string }
      | undefined;
  }

  /** Open assignments held by `node` (its load, for spreading work). */
  openAssignments(node: string): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM assignments WHERE node = ? AND state = 'assigned'").get(node) as {
        n: number;
      }
    ).n;
  }

  /** Drops open assignments (of one node, or all): lost connections are nobody's fault, and the seats reopen. */
  dropOpenAssignments(node?: string): number {
    return node === undefined
      ? this.db.prepare("DELETE FROM assignments WHERE state = 'assigned'").run().changes
      : this.db.prepare("DELETE FROM assignments WHERE node = ? AND state = 'assigned'").run(node).changes;
  }

  /** Marks open assignments past their deadline as timed out (the node is not asked again for that job). */
  timeOutAssignments(now: number): number {
    return this.db
      .prepare("UPDATE assignments SET state = 'timeout' WHERE state = 'assigned' AND deadline < ?")
      .run(now).changes;
  }

  /** The `node.error` events the audit log holds for a job, in log order (read when a job fails: rare). */
  loggedNodeErrors(job: string): { node: string; reason: string }[] {
    return this.db
      .prepare(`SELECT json_extract(data, '$.node') AS node, json_extract(data, '$.reason') AS reason FROM log
      WHERE json_extract(data, '$.type') = 'node.error' AND json_extract(data, '$.jobId') = ? ORDER BY idx`)
      .all(job) as { node: string; reason: string }[];
  }

  /** A node reported that it cannot verify the job; returns whether it held an open assignment of it. */
  failAssignment(job: string, node: string): boolean {
    return (
      this.db
        .prepare("UPDATE assignments SET state = 'error' WHERE job = ? AND node = ? AND state = 'assigned'")
        .run(job, node).changes > 0
    );
  }

  // ---------- votes ----------

  insertVote(vote: Vote, role: SeatRole, logIndex: number) {
    this.db
      .prepare('INSERT INTO votes (job, node, role, vote, log_index) VALUES (?, ?, ?, ?, ?)')
      .run(vote.jobId, vote.nodeKey, role, JSON.stringify(vote), logIndex);
    this.db.prepare("UPDATE assignments SET state = 'voted' WHERE job = ? AND node = ?").run(vote.jobId, vote.nodeKey);
  }

  /** A job's votes in the order they were logged, with the log index of each. */
  votes(job: string): { node: string; role: SeatRole; vote: Vote; logIndex: number }[] {
    return (
      this.db.prepare('SELECT node, role, vote, log_index FROM votes WHERE job = ? ORDER BY log_index').all(job) as {
        node: string;
        role: SeatRole;
        vote: string;
        log_index: number;
      }[]
    ).map((r) => ({ node: r.node, role: r.role, vote: JSON.parse(r.vote) as Vote, logIndex: r.log_index }));
  }

  quorumVotes(job: string): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM votes WHERE job = ? AND role = 'quorum'").get(job) as { n: number }
    ).n;
  }
}
