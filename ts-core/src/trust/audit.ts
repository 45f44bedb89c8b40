/**
 * `ote trust audit verify`: re-checks a whole engine store offline. The log must verify on its own (leaf hashes,
 * signed checkpoints, consistency), and every state row must agree with the log event that created or last changed
 * it: jobs with their submission and seed, votes with their vote events, node reputations with their last
 * reputation event, certificates with their logged body and signatures. Editing any of those rows is detected.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { canonicalJson } from './bytes.js';
import { verifyCertificate, type Certificate } from './certificate.js';
import { ed25519Verify } from './crypto.js';
import { verifyLog } from './audit-log.js';
import type { EngineEvent } from './events.js';
import { DEFAULT_REPUTATION } from './reputation.js';

export interface StoreAudit {
  ok: boolean;
  logSize: number;
  checkpoints: number;
  jobs: number;
  certificates: number;
  problems: string[];
}

export function auditStore(dataDir: string, opts: { engineKey?: string } = {}): StoreAudit {
  const db = new Database(join(dataDir, 'trust.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const log = verifyLog(db, ed25519Verify, opts.engineKey);
    const problems = [...log.problems];
    const events = (db.prepare('SELECT idx, data FROM log ORDER BY idx').all() as { idx: number; data: string }[]).map(
      (r) => JSON.parse(r.data) as EngineEvent,
    ); // checked against their leaf hashes by verifyLog
    const jobs = db.prepare('SELECT * FROM jobs').all() as {
      id: string;
      spec: string;
      state: string;
      log_index: number;
      cert: string | null;
      result: string | null;
    }[];
    let certificates = 0;
    for (const j of jobs) {
      const where = `jobs[${j.id}]`;
      const spec = JSON.parse(j.spec);
      const sub = events[j.log_index],
        seed = events[j.log_index + 1];
      if (sub?.type !== 'job.submitted' || sub.jobId !== j.id) {
        problems.push(`${where}: log_index does not point at its submission`);
        continue;
      }
      const { engineNonce, seed: s, ...rest } = spec;
      if (canonicalJson(rest) !== canonicalJson(sub.spec))
        problems.push(`${where}.spec: differs from the logged submission`);
      if (seed?.type !== 'job.seed' || seed.engineNonce !== engineNonce || seed.seed !== s)
        problems.push(`${where}.spec: seed differs from the logged seed`);
      if (j.state === 'failed') {
        const failed = events.find(
          (e): e is Extract<EngineEvent, { type: 'job.failed' }> => e.type === 'job.failed' && e.jobId === j.id,
        );
        if (
          !failed ||
          canonicalJson({ reason: failed.reason, errors: failed.errors }) !==
            canonicalJson(JSON.parse(j.result ?? 'null'))
        )
          problems.push(`${where}.result: failure differs from the log`);
        if (j.cert) problems.push(`${where}.cert: a failed job has a certificate`);
      }
      if (j.state === 'done') {
        // The last verdict stands: an audited job (replication.ts) has a second one.
        const verdict = events
          .filter((e): e is Extract<EngineEvent, { type: 'verdict' }> => e.type === 'verdict' && e.jobId === j.id)
          .at(-1);
        const result = JSON.parse(j.result ?? 'null');
        if (!verdict || !result || verdict.verdict !== result.verdict)
          problems.push(`${where}.result: verdict differs from the log`);
        const cert = JSON.parse(j.cert ?? 'null') as Certificate | null;
        if (!cert) {
          problems.push(`${where}.cert: missing`);
          continue;
        }
        certificates++;
        const c = verifyCertificate(cert, ed25519Verify, { engineKey: opts.engineKey });
        problems.push(...c.problems.map((p) => `${where}.cert: ${p}`));
        const logged = events[cert.log.index];
        const { log: _l, sig: _s, ...body } = cert;
        if (logged?.type !== 'certificate' || canonicalJson(logged.body) !== canonicalJson(body))
          problems.push(`${where}.cert: differs from the logged certificate`);
        if (verdict && cert.verdict !== verdict.verdict)
          problems.push(`${where}.cert: verdict differs from the logged verdict`);
        // An audit of a provisional verdict, and its revocation, are logged (replication.ts); a row that hides a
        // revocation, or claims one the log does not hold, is tampered with.
        const audited = events.some((e) => e.type === 'job.audit' && e.jobId === j.id);
        const revoked = events.some((e) => e.type === 'job.revoked' && e.jobId === j.id);
        if (audited !== (result?.audit !== undefined)) problems.push(`${where}.result.audit: differs from the log`);
        if (revoked !== (result?.audit?.revoked === true))
          problems.push(`${where}.result.audit.revoked: differs from the log (a revocation hidden or invented)`);
      }
    }
    for (const v of db.prepare('SELECT * FROM votes').all() as {
      job: string;
      node: string;
      vote: string;
      log_index: number;
    }[]) {
      const e = events[v.log_index];
      if (
        e?.type !== 'vote' ||
        canonicalJson(e.vote) !== canonicalJson(JSON.parse(v.vote)) ||
        e.vote.nodeKey !== v.node ||
        e.jobId !== v.job
      )
        problems.push(`votes[${v.job}/${v.node.slice(0, 12)}]: differs from the logged vote`);
    }
    const lastRep = new Map<string, { alpha: number; beta: number }>();
    for (const e of events) if (e.type === 'reputation') lastRep.set(e.node, { alpha: e.alpha, beta: e.beta });
    for (const n of db.prepare('SELECT key, alpha, beta FROM nodes').all() as {
      key: string;
      alpha: number;
      beta: number;
    }[]) {
      const want = lastRep.get(n.key) ?? DEFAULT_REPUTATION.prior;
      if (n.alpha !== want.alpha || n.beta !== want.beta)
        problems.push(
          `nodes[${n.key.slice(0, 12)}]: reputation (${n.alpha}, ${n.beta}) differs from the log (${want.alpha}, ${want.beta})`,
        );
    }
    return {
      ok: problems.length === 0,
      logSize: log.size,
      checkpoints: log.checkpoints,
      jobs: jobs.length,
      certificates,
      problems,
    };
  } finally {
    db.close();
  }
}
