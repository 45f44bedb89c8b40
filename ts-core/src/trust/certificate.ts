/**
 * Certificates: the engine's signed statement that an artifact was verified. Everything needed to re-check it
 * offline is inside: the votes with the nodes' signatures, the weights, the sample seed inputs, the log leaf's
 * inclusion proof and the signed checkpoint it is proved against. Verification is pure; the Ed25519 check is
 * passed in (node:crypto in the CLI, any implementation in the editor).
 */
import { canonicalJson, fromHex, sha256Hex, signingBytes, utf8 } from './bytes.js';
import { decide, unreproducedClaims, type ConsensusOptions } from './consensus.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { deriveSeed, sampleSize } from './sampling.js';
import type { ArtifactKind, MetricName, Thresholds, Vote } from './types.js';
import type { WireRenderSpec } from './messages.js';
import type { Interval } from './stats.js';
import { valueAt } from '../util/check-values.js';

export type Ed25519Verify = (publicKeyHex: string, message: Uint8Array, signatureHex: string) => boolean;

export interface Checkpoint {
  size: number;
  root: string; // hex
  timestamp: number; // ms since epoch
  engineKey: string; // hex Ed25519 public key
  sig: string;
}

export type CheckpointBody = Omit<Checkpoint, 'sig'>;

export function checkpointBytes(c: CheckpointBody): Uint8Array {
  return signingBytes('checkpoint', { size: c.size, root: c.root, timestamp: c.timestamp, engineKey: c.engineKey });
}

export interface CertificateBody {
  version: 1;
  engineKey: string;
  job: {
    id: string;
    sceneHash: string;
    artifactHash: string;
    kind: ArtifactKind;
    profile: string;
    thresholds: Thresholds;
    claimedMetrics: Partial<Record<MetricName, number>>;
    complexity: number;
    confidence: number;
    engineNonce: string;
    seed: string;
    maxSamples: number;
    issuedAt: number;
    /** How the nodes rendered: the reference mode, samples per pixel, bounces, crop pixels (as submitted). */
    render?: WireRenderSpec;
  };
  consensus: Partial<ConsensusOptions>;
  metrics: Record<MetricName, { median: number } & Interval>;
  nodes: { key: string; weight: number; flagged: boolean; vote: Vote }[];
  verdict: 'accepted' | 'rejected';
  reason: string;
  /**
   * Reached by fewer votes than the job's full quorum (adaptive replication, replication.ts): the verdict stands
   * unless an audit revokes it, which the engine's log records (`job.revoked`) and an offline check cannot see.
   */
  provisional?: true;
  /** The log index of the provisional certificate this one replaces after its audit (replication.ts). */
  supersedes?: number;
}

export interface Certificate extends CertificateBody {
  log: { index: number; inclusionProof: string[]; checkpoint: Checkpoint };
  sig: string;
}

/** The audit-log event a certificate is recorded as; its leaf is what the inclusion proof proves. */
export function certificateLeafData(body: CertificateBody): Uint8Array {
  return utf8(canonicalJson({ type: 'certificate', body }));
}

export function certificateBody(c: Certificate): CertificateBody {
  const { log: _log, sig: _sig, ...body } = c;
  return body;
}

export function certificateSigningBytes(c: Omit<Certificate, 'sig'>): Uint8Array {
  return signingBytes('certificate', c);
}

export function voteSigningBytes(v: Omit<Vote, 'sig'>): Uint8Array {
  return signingBytes('vote', { jobId: v.jobId, nodeKey: v.nodeKey, samples: v.samples, means: v.means, pass: v.pass });
}

export interface CertificateCheck {
  ok: boolean;
  problems: string[];
}

/** The fields verification reads, with the JSON type each must have. */
const CERTIFICATE_FIELDS: [string, 'number' | 'string' | 'object' | 'array'][] = [
  ['version', 'number'],
  ['engineKey', 'string'],
  ['sig', 'string'],
  ['verdict', 'string'],
  ['reason', 'string'],
  ['job', 'object'],
  ['job.id', 'string'],
  ['job.sceneHash', 'string'],
  ['job.artifactHash', 'string'],
  ['job.kind', 'string'],
  ['job.thresholds', 'object'],
  ['job.complexity', 'number'],
  ['job.confidence', 'number'],
  ['job.engineNonce', 'string'],
  ['job.seed', 'string'],
  ['job.maxSamples', 'number'],
  ['consensus', 'object'],
  ['metrics', 'object'],
  ['nodes', 'array'],
  ['log', 'object'],
  ['log.index', 'number'],
  ['log.inclusionProof', 'array'],
  ['log.checkpoint', 'object'],
  ['log.checkpoint.size', 'number'],
  ['log.checkpoint.root', 'string'],
  ['log.checkpoint.timestamp', 'number'],
  ['log.checkpoint.engineKey', 'string'],
  ['log.checkpoint.sig', 'string'],
];

function missingFields(cert: unknown): [string, string][] {
  const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  const bad = CERTIFICATE_FIELDS.filter(([path, type]) => typeOf(valueAt(cert, path)) !== type);
  // A missing object stands for its fields: name log.checkpoint, not each of its five fields too.
  return bad.filter(([path]) => !bad.some(([parent]) => path.startsWith(`${parent}.`)));
}

/**
 * Re-checks a certificate without the engine: signatures (engine, checkpoint, every vote), the pinned engine key,
 * the seed, the sample budget, the consensus recomputed from the votes, and the log inclusion proof.
 */
export function verifyCertificate(
  cert: Certificate,
  ed25519Verify: Ed25519Verify,
  opts: { engineKey?: string } = {},
): CertificateCheck {
  // A file that is not shaped like a certificate gets the fields it lacks, not a TypeError from deep in the checks.
  const missing = missingFields(cert);
  if (missing.length > 4)
    return {
      ok: false,
      problems: [
        `not a certificate: ${missing.length} of ${CERTIFICATE_FIELDS.length} required fields are missing or of the wrong type (${missing
          .slice(0, 5)
          .map(([p]) => p)
          .join(', ')}, …)`,
      ],
    };
  if (missing.length)
    return {
      ok: false,
      problems: missing.map(([path, type]) => `${path}: missing or not ${/^[ao]/.test(type) ? 'an' : 'a'} ${type}`),
    };
  const problems: string[] = [];
  const check = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  try {
    check(cert.version === 1, `version: unsupported certificate version ${cert.version}`);
    if (opts.engineKey)
      check(
        cert.engineKey.toLowerCase() === opts.engineKey.toLowerCase(),
        `engineKey: certificate names engine ${cert.engineKey.slice(0, 16)}…, expected ${opts.engineKey.slice(0, 16)}…`,
      );
    const { sig, ...unsigned } = cert;
    check(
      ed25519Verify(cert.engineKey, certificateSigningBytes(unsigned), sig),
      'sig: engine signature does not verify',
    );
    const cp = cert.log.checkpoint;
    check(cp.engineKey === cert.engineKey, 'log.checkpoint.engineKey: checkpoint signed by another engine');
    check(
      ed25519Verify(cp.engineKey, checkpointBytes(cp), cp.sig),
      'log.checkpoint.sig: checkpoint signature does not verify',
    );
    const leaf = leafHash(certificateLeafData(certificateBody(cert)));
    check(
      verifyInclusion(leaf, cert.log.index, cp.size, cert.log.inclusionProof.map(fromHex), fromHex(cp.root)),
      `log.inclusionProof: leaf ${cert.log.index} is not in the checkpointed tree of size ${cp.size}`,
    );
    const j = cert.job;
    check(
      deriveSeed(j.sceneHash, j.artifactHash, j.engineNonce) === j.seed,
      'job.seed: not derived from the two blob hashes and the engine nonce',
    );
    check(
      j.maxSamples === sampleSize(j.complexity, j.confidence),
      `job.maxSamples: ${j.maxSamples} is not the formula's ${sampleSize(j.complexity, j.confidence)}`,
    );
    const weights = new Map<string, number>();
    for (const [i, n] of cert.nodes.entries()) {
      weights.set(n.key, n.weight);
      const { sig: vsig, ...vote } = n.vote;
      check(n.vote.nodeKey === n.key && n.vote.jobId === j.id, `nodes[${i}].vote: belongs to another node or job`);
      check(ed25519Verify(n.key, voteSigningBytes(vote), vsig), `nodes[${i}].vote.sig: node signature does not verify`);
      check(
        n.vote.samples.length <= j.maxSamples && n.vote.samples.every((s, k) => s.index === k),
        `nodes[${i}].vote.samples: not a prefix of the seeded samples`,
      );
    }
    const re = decide(
      cert.nodes.map((n) => n.vote),
      weights,
      j.thresholds,
      cert.consensus,
    );
    // Same rule as the engine: an accepted consensus is still rejected when the producer's claims are not reproduced.
    const expected =
      re.verdict === 'accepted' && unreproducedClaims(j.claimedMetrics, re.medians, cert.consensus).length === 0
        ? 'accepted'
        : 'rejected';
    check(expected === cert.verdict, `verdict: votes give "${expected}", certificate says "${cert.verdict}"`);
    for (const n of cert.nodes)
      check(
        re.flagged.includes(n.key) === n.flagged,
        `nodes: flag of ${n.key.slice(0, 12)}… does not follow from the votes`,
      );
    for (const k of ['psnr', 'ssim', 'flip'] as MetricName[])
      check(
        Math.abs(re.medians[k] - cert.metrics[k].median) <= 1e-9 * (1 + Math.abs(re.medians[k])),
        `metrics.${k}.median: does not follow from the votes`,
      );
  } catch (e) {
    problems.push(`malformed certificate: ${(e as Error).message}`);
  }
  return { ok: problems.length === 0, problems };
}

/** Short content fingerprint of a certificate, for logs and file names. */
export function certificateId(c: Certificate): string {
  return sha256Hex(canonicalJson(c)).slice(0, 16);
}
