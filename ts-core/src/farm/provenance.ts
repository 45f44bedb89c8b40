/**
 * Provenance: which workers produced a farm job's artifacts, attested by the farm server, not by the workers. When
 * a job completes, the server signs (Ed25519, its key in `<data>/farm-identity.pem`) a record of the job's scene,
 * its profile, each artifact's SHA-256, the worker that returned them and the API key that worker authenticated
 * with, and each of the job's tasks (a split bake's ranges) with its worker and key. The record is the job's
 * `provenance.json` artifact; anyone checks it offline against the farm's public key and the files
 * (`ote farm verify-provenance`).
 *
 * What it proves: that this farm received these bytes from these authenticated workers. It does not prove the
 * bytes are good: that is the Trust Engine's certificate (its hash is in the record when the job was verified).
 */
import { signingBytes } from '../trust/bytes.js';
import { ed25519Verify, type Identity, signHex } from '../trust/crypto.js';
import type { JobRow } from './store.js';

export interface ProvenanceBody {
  version: 1;
  farmKey: string;
  job: { id: string; submittedBy: string; created: number; finished: number; profile: unknown };
  scene: { name: string; sha256: string } | null;
  /** Artifact name → SHA-256, as the worker returned them (provenance.json itself excluded). */
  artifacts: Record<string, string>;
  producedBy: { worker: string; key: string | null };
  tasks: {
    index: number;
    id: string;
    kind: string;
    worker: string | null;
    key: string | null;
    artifacts: Record<string, string>;
  }[];
  /** SHA-256 of the Trust Engine's certificate among the artifacts, and its verdict, when the job was verified. */
  certificate: { sha256: string; verdict: string | null } | null;
}

export interface Provenance extends ProvenanceBody {
  sig: string;
}

const PURPOSE = 'farm-provenance';

/** The signed record for `job`, completing with `artifacts` from `worker` (authenticated as `key`). */
export function signProvenance(
  identity: Identity,
  job: JobRow,
  done: { worker: string; key: string | null; artifacts: Record<string, string>; verdict?: string; finished: number },
  tasks: readonly JobRow[],
): Provenance {
  const cert = Object.entries(done.artifacts).find(([name]) => name === 'certificate.json');
  const body: ProvenanceBody = {
    version: 1,
    farmKey: identity.publicKey,
    job: {
      id: job.id,
      submittedBy: job.key,
      created: job.created,
      finished: done.finished,
      profile: job.spec.profile ?? null,
    },
    scene: job.spec.scene ? { name: job.spec.scene.name, sha256: job.spec.scene.hash } : null,
    artifacts: done.artifacts,
    producedBy: { worker: done.worker, key: done.key },
    tasks: tasks.map((t) => ({
      index: t.taskIndex ?? 0,
      id: t.id,
      kind: t.kind,
      worker: t.result?.worker ?? t.worker,
      key: t.result?.workerKey ?? null,
      artifacts: t.result?.artifacts ?? {},
    })),
    certificate: cert ? { sha256: cert[1], verdict: done.verdict ?? null } : null,
  };
  return { ...body, sig: signHex(identity, signingBytes(PURPOSE, body)) };
}

export interface ProvenanceCheck {
  ok: boolean;
  problems: string[];
}

/**
 * Checks a record's signature (against `farmKey` when given: the key you trust; otherwise the record's own, which
 * only shows it was not altered since signing) and, with `files` (artifact name → its SHA-256 as you computed it),
 * that every file named in the record has the hash it records.
 */
export function verifyProvenance(
  p: Provenance,
  opts: { farmKey?: string; files?: Record<string, string> } = {},
): ProvenanceCheck {
  const problems: string[] = [];
  if (p.version !== 1) problems.push(`version ${p.version} is not 1`);
  if (opts.farmKey && opts.farmKey.toLowerCase() !== p.farmKey?.toLowerCase())
    problems.push(`signed by farm key ${p.farmKey}, not the expected ${opts.farmKey}`);
  const { sig, ...body } = p;
  if (!ed25519Verify(p.farmKey, signingBytes(PURPOSE, body), sig)) problems.push('the signature does not match');
  for (const [name, hash] of Object.entries(opts.files ?? {})) {
    const recorded = p.artifacts[name];
    if (recorded === undefined) problems.push(`${name}: not in the record`);
    else if (recorded !== hash) problems.push(`${name}: SHA-256 ${hash}, the record says ${recorded}`);
  }
  return { ok: problems.length === 0, problems };
}
