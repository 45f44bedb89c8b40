/**
 * The wire protocol, version 1: framing and validation. Text frames carry JSON envelopes; binary frames carry blob
 * bytes behind a length-prefixed JSON header (u32 big-endian length, header, payload). Every envelope and every
 * body is checked against its schema (messages.ts) before anything reads it, so a malformed message is answered
 * with an error naming the field and never reaches the engine's state, and what passes is a typed `Request`.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import {
  AssignSchema,
  EnvelopeSchema,
  isRequestType,
  MAX_CHUNK_BYTES,
  REQUESTS,
  type Assign,
  type Envelope,
  type Request,
  type RequestType,
} from './messages.js';

export { MAX_CHUNK_BYTES } from './messages.js';
export type { ClientAuth, Envelope } from './messages.js';

export const PROTOCOL_VERSION = 1;
/** Largest text message accepted; bodies are small (blobs travel as binary frames). */
export const MAX_TEXT_BYTES = 256 * 1024;
/** ws closes connections whose frames exceed this (the chunk plus its header, with room to spare). */
export const MAX_FRAME_BYTES = MAX_CHUNK_BYTES + 64 * 1024;

export type ErrorCodeWire =
  | 'BAD_MESSAGE'
  | 'UNSUPPORTED_VERSION'
  | 'TOO_LARGE'
  | 'UNAUTHENTICATED'
  | 'REPLAYED'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'INTERNAL';

const ajv = new Ajv({ allErrors: false, strict: false });
const validateEnvelope = ajv.compile<Envelope>(EnvelopeSchema);
const validateAssign = ajv.compile<Assign>(AssignSchema);
const bodyValidators = Object.fromEntries(Object.entries(REQUESTS).map(([k, v]) => [k, ajv.compile(v.body)])) as Record<
  RequestType,
  ValidateFunction
>;

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCodeWire,
    message: string,
  ) {
    super(message);
  }
}

function describe(v: ValidateFunction, prefix: string): string {
  const e = v.errors?.[0];
  if (!e) return `${prefix}: invalid`;
  return `${prefix}${e.instancePath.replace(/\//g, '.')}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ''}`;
}

/** Parses and validates one envelope and its body; throws ProtocolError naming the first bad field. */
export function parseEnvelope(value: unknown): Request {
  if (!validateEnvelope(value)) throw new ProtocolError('BAD_MESSAGE', describe(validateEnvelope, 'message'));
  if (value.v !== PROTOCOL_VERSION)
    throw new ProtocolError(
      'UNSUPPORTED_VERSION',
      `protocol version ${value.v} is not supported (this engine speaks ${PROTOCOL_VERSION})`,
    );
  if (!isRequestType(value.type)) throw new ProtocolError('BAD_MESSAGE', `type: unknown message type "${value.type}"`);
  const validate = bodyValidators[value.type];
  if (!validate(value.body)) throw new ProtocolError('BAD_MESSAGE', describe(validate, `${value.type}.body`));
  // The body has just been checked against the schema of exactly this type, which is what `Request` states.
  return value as Request;
}

/** Validates the body of an `assign` event (engine → node); throws ProtocolError naming the first bad field. */
export function parseAssign(body: unknown): Assign {
  if (!validateAssign(body)) throw new ProtocolError('BAD_MESSAGE', describe(validateAssign, 'assign.body'));
  return body;
}

export function parseText(text: string): Request {
  if (text.length > MAX_TEXT_BYTES)
    throw new ProtocolError('TOO_LARGE', `message of ${text.length} bytes exceeds ${MAX_TEXT_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ProtocolError('BAD_MESSAGE', `not JSON: ${(e as Error).message}`);
  }
  return parseEnvelope(value);
}

/** An envelope as sent: replies are interfaces (replies.ts), and hostile-client tests send anything. */
export type OutgoingEnvelope = Omit<Envelope, 'body'> & { body: unknown };

export function encodeBinary(header: OutgoingEnvelope, payload: Uint8Array): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const out = Buffer.allocUnsafe(4 + h.length + payload.length);
  out.writeUInt32BE(h.length, 0);
  h.copy(out, 4);
  out.set(payload, 4 + h.length);
  return out;
}

/** Splits a binary frame; the header is returned unvalidated JSON (callers validate with parseEnvelope where needed). */
export function decodeBinary(frame: Buffer): { header: unknown; payload: Buffer } {
  if (frame.length < 4) throw new ProtocolError('BAD_MESSAGE', 'binary frame shorter than its length prefix');
  const n = frame.readUInt32BE(0);
  if (n > 16 * 1024 || 4 + n > frame.length)
    throw new ProtocolError('BAD_MESSAGE', `binary frame header length ${n} is invalid`);
  let header: unknown;
  try {
    header = JSON.parse(frame.subarray(4, 4 + n).toString('utf8'));
  } catch {
    throw new ProtocolError('BAD_MESSAGE', 'binary frame header is not JSON');
  }
  if (frame.length - 4 - n > MAX_CHUNK_BYTES)
    throw new ProtocolError('TOO_LARGE', `chunk of ${frame.length - 4 - n} bytes exceeds ${MAX_CHUNK_BYTES}`);
  return { header, payload: frame.subarray(4 + n) };
}

/** The string a client's HMAC covers: type, timestamp, nonce and the SHA-256 of the canonical body. */
export function authString(type: string, ts: number, nonce: string, bodyHash: string): string {
  return `ote-trust/client-auth/v1\n${type}\n${ts}\n${nonce}\n${bodyHash}`;
}

/** What a node signs to answer the engine's challenge: bound to this engine and this node key. */
export function nodeAuthBytes(challenge: string, engineKey: string, nodeKey: string): Uint8Array {
  return new TextEncoder().encode(`ote-trust/node-auth/v1\n${challenge}\n${engineKey}\n${nodeKey}`);
}
