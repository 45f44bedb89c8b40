/**
 * The body of each request's `ok` reply (messages.ts holds the requests). Replies are built by this engine and not
 * validated by the client, so they are interfaces, checked by the compiler where the engine builds them.
 */
import type { LogEvent } from './audit-log.js';
import type { Certificate, Checkpoint } from './certificate.js';
import type { RequestType } from './messages.js';
import type { MetricName } from './types.js';

/** A connected node's standing, as `engine.info` reports it. */
export interface NodeInfo {
  key: string;
  connected: boolean;
  trusted: boolean;
  reputation: number;
  alpha: number;
  beta: number;
}
export interface EngineInfo {
  engineKey: string;
  version: number;
  quorum: number;
  logSize: number;
  /** Number of allowed node keys; null when any node may join. */
  allowList: number | null;
  nodes: NodeInfo[];
}

/** The outcome stored with a finished job. */
export interface JobResult {
  verdict: 'accepted' | 'rejected';
  reason: string;
  medians: Record<MetricName, number>;
  flagged: string[];
  contested: boolean;
  /** Reached by fewer votes than the full quorum (adaptive replication): audited if a voter is flagged later. */
  provisional?: boolean;
  /**
   * Set by an audit (replication.ts): the flagged voters whose votes it set aside, the provisional verdict before
   * it, and whether it overturned that verdict (the log's job.revoked; the earlier certificate no longer stands).
   */
  audit?: { setAside: string[]; previous: 'accepted' | 'rejected'; revoked: boolean };
}
/** Why a job failed (state 'failed'): what each node that could not verify it reported. */
export interface JobFailure {
  reason: string;
  errors: { node: string; reason: string }[];
}
export interface JobStatus {
  state: string;
  votes: number;
  assignments: { node: string; role: string; state: string }[];
  result: JobResult | null;
  certificate: Certificate | null;
  /** Set when state is 'failed'. */
  failure?: JobFailure;
}

export interface Replies {
  'engine.info': EngineInfo;
  'blob.begin': { received: number; complete: boolean };
  'blob.end': { complete: true };
  /** Answered by a binary `blob.data` frame carrying the bytes. */
  'blob.get': { hash: string; offset: number; total: number };
  'job.submit': { jobId: string };
  'job.get': JobStatus;
  'log.checkpoint': { checkpoint: Checkpoint };
  'log.inclusion': { proof: string[]; leaf: LogEvent | null };
  'log.consistency': { proof: string[] };
  'node.hello': { challenge: string; engineKey: string };
  'node.auth': { ok: true };
  'node.vote': { accepted: true };
  'node.error': { ok: true };
  'blob.chunk': { received: number };
}
// Compile-time: a reply type for exactly the request types.
true satisfies [RequestType] extends [keyof Replies] ? ([keyof Replies] extends [RequestType] ? true : never) : never;

/** An `error` reply (or event, when the request's id could not be read). */
export interface ErrorBody {
  code: string;
  message: string;
}
