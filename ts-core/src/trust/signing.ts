/**
 * What the engine signs: a certificate. Its body is appended to the audit log first, a checkpoint of the log is
 * signed, and the certificate carries the inclusion proof of its own log entry against that checkpoint, all under
 * the engine's Ed25519 signature, so that it can be re-checked offline (certificate.ts verifyCertificate).
 * Call inside the transaction that records the verdict.
 */
import type { AuditLog } from './audit-log.js';
import type { EngineEvent } from './events.js';
import { certificateSigningBytes, type Certificate, type CertificateBody } from './certificate.js';
import { signHex, type Identity } from './crypto.js';

export function issueCertificate(log: AuditLog<EngineEvent>, identity: Identity, body: CertificateBody): Certificate {
  const index = log.append({ type: 'certificate', body });
  const checkpoint = log.checkpoint();
  const unsigned = { ...body, log: { index, inclusionProof: log.inclusion(index, checkpoint.size), checkpoint } };
  return { ...unsigned, sig: signHex(identity, certificateSigningBytes(unsigned)) };
}
