/**
 * The wire protocol, version 1. Text frames carry JSON envelopes; binary frames carry blob bytes behind a
 * length-prefixed JSON header (u32 big-endian length, header, payload). Every envelope and every body is checked
 * against a JSON Schema before anything reads it, so a malformed message is answered with an error naming the
 * field and never reaches the engine's state.
 */
import { Ajv, type ValidateFunction } from 'ajv';

export const PROTOCOL_VERSION = 1;
/** Largest text message accepted; bodies are small (blobs travel as binary frames). */
export const MAX_TEXT_BYTES = 256 * 1024;
/** Largest blob chunk in one binary frame. */
export const MAX_CHUNK_BYTES = 1 << 20;
/** ws closes connections whose frames exceed this (the chunk plus its header, with room to spare). */
export const MAX_FRAME_BYTES = MAX_CHUNK_BYTES + 64 * 1024;

export interface ClientAuth { key: string; ts: number; nonce: string; sig: string }

export interface Envelope {
  v: number;
  type: string;
  /** Request id chosen by the sender; replies carry it in `re`. */
  id?: string;
  re?: string;
  body: Record<string, unknown>;
  auth?: ClientAuth;
}

export type ErrorCodeWire = 'BAD_MESSAGE' | 'UNSUPPORTED_VERSION' | 'TOO_LARGE' | 'UNAUTHENTICATED' | 'REPLAYED' | 'RATE_LIMITED'
  | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'INTERNAL';

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const metrics = { type: 'object', additionalProperties: false, properties: { psnr: { type: 'number' }, ssim: { type: 'number' }, flip: { type: 'number' } } };
const sample = { type: 'object', additionalProperties: false, required: ['index', 'psnr', 'ssim', 'flip'], properties: { index: { type: 'integer', minimum: 0 }, psnr: { type: 'number' }, ssim: { type: 'number' }, flip: { type: 'number' } } };
const obj = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required, properties });

const envelopeSchema = obj(['v', 'type', 'body'], {
  v: { type: 'integer' },
  type: { type: 'string', maxLength: 64 },
  id: { type: 'string', maxLength: 64 },
  re: { type: 'string', maxLength: 64 },
  body: { type: 'object' },
  auth: obj(['key', 'ts', 'nonce', 'sig'], { key: { type: 'string', maxLength: 128 }, ts: { type: 'integer' }, nonce: { type: 'string', pattern: '^[0-9a-f]{16,64}$' }, sig: hex64 }),
});

/** A linear RGB triple (radiance or illuminance), bounded so that no job can ask for a non-finite render. */
const rgb = { type: 'array', minItems: 3, maxItems: 3, items: { type: 'number', minimum: 0, maximum: 1e6 } };

/** Body schema of every request type, by the role allowed to send it. */
export const BODY_SCHEMAS: Record<string, { roles: ('client' | 'node' | 'any')[]; schema: object }> = {
  'engine.info': { roles: ['any'], schema: obj([], {}) },
  'blob.begin': { roles: ['client'], schema: obj(['hash', 'size'], { hash: hex64, size: { type: 'integer', minimum: 0 } }) },
  'blob.end': { roles: ['client'], schema: obj(['hash'], { hash: hex64 }) },
  'blob.get': { roles: ['node'], schema: obj(['hash', 'offset', 'length'], { hash: hex64, offset: { type: 'integer', minimum: 0 }, length: { type: 'integer', minimum: 1, maximum: MAX_CHUNK_BYTES } }) },
  'job.submit': {
    roles: ['client'],
    schema: obj(['referenceHash', 'artifactHash', 'kind', 'thresholds'], {
      referenceHash: hex64, artifactHash: hex64,
      kind: { enum: ['lightmap-gltf', 'splat'] },
      profile: { type: 'string', maxLength: 128 },
      thresholds: metrics,
      claimedMetrics: metrics,
      complexity: { type: 'number', minimum: 0, maximum: 1 },
      confidence: { type: 'number', minimum: 0.9, maximum: 0.999 },
      quorum: { type: 'integer', minimum: 1, maximum: 15 },
      producer: hex64,
      render: obj(['reference', 'spp', 'bounces', 'pixels'], {
        reference: { enum: ['pathtrace', 'shaded', 'albedo'] },
        // Bounded so that one job cannot make every node spend minutes per sample.
        spp: { type: 'integer', minimum: 1, maximum: 1024 },
        bounces: { type: 'integer', minimum: 0, maximum: 16 },
        pixels: { type: 'integer', minimum: 16, maximum: 256 },
        exposure: { type: 'number', minimum: -20, maximum: 20 },
        environment: obj(['sky'], {
          sky: obj(['type'], { type: { enum: ['none', 'constant', 'gradient'] }, color: rgb, zenith: rgb, horizon: rgb, ground: rgb }),
          sun: obj(['direction', 'color', 'angularDiameter'], {
            direction: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'number', minimum: -1, maximum: 1 } },
            color: rgb, angularDiameter: { type: 'number', minimum: 0, maximum: 30 },
          }),
        }),
      }),
    }),
  },
  'job.get': { roles: ['client'], schema: obj(['jobId'], { jobId: { type: 'string', maxLength: 64 } }) },
  'log.checkpoint': { roles: ['client', 'node'], schema: obj([], {}) },
  'log.inclusion': { roles: ['client', 'node'], schema: obj(['index', 'size'], { index: { type: 'integer', minimum: 0 }, size: { type: 'integer', minimum: 1 } }) },
  'log.consistency': { roles: ['client', 'node'], schema: obj(['first', 'second'], { first: { type: 'integer', minimum: 0 }, second: { type: 'integer', minimum: 0 } }) },
  'node.hello': { roles: ['any'], schema: obj(['publicKey'], { publicKey: hex64, capability: { type: 'number', minimum: 0, maximum: 1000 }, kinds: { type: 'array', maxItems: 8, items: { enum: ['lightmap-gltf', 'splat'] } } }) },
  'node.auth': { roles: ['any'], schema: obj(['sig'], { sig: { type: 'string', pattern: '^[0-9a-f]{128}$' } }) },
  'node.vote': {
    roles: ['node'],
    schema: obj(['vote'], {
      vote: obj(['jobId', 'nodeKey', 'samples', 'means', 'pass', 'sig'], {
        jobId: { type: 'string', maxLength: 64 }, nodeKey: hex64,
        samples: { type: 'array', maxItems: 1000, items: sample },
        means: { ...metrics, required: ['psnr', 'ssim', 'flip'] }, pass: { type: 'boolean' }, sig: { type: 'string', pattern: '^[0-9a-f]{128}$' },
      }),
    }),
  },
  'node.error': { roles: ['node'], schema: obj(['jobId', 'reason'], { jobId: { type: 'string', maxLength: 64 }, reason: { type: 'string', maxLength: 2000 } }) },
  'blob.chunk': { roles: ['client'], schema: obj(['hash', 'offset', 'chunkHash'], { hash: hex64, offset: { type: 'integer', minimum: 0 }, chunkHash: hex64 }) },
};

const ajv = new Ajv({ allErrors: false, strict: false });
const validateEnvelope = ajv.compile(envelopeSchema);
const bodyValidators: Record<string, ValidateFunction> = Object.fromEntries(Object.entries(BODY_SCHEMAS).map(([k, v]) => [k, ajv.compile(v.schema)]));

export class ProtocolError extends Error {
  constructor(readonly code: ErrorCodeWire, message: string) { super(message); }
}

function describe(v: ValidateFunction, prefix: string): string {
  const e = v.errors?.[0];
  if (!e) return `${prefix}: invalid`;
  return `${prefix}${e.instancePath.replace(/\//g, '.')}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ''}`;
}

/** Parses and validates one envelope and its body; throws ProtocolError naming the first bad field. */
export function parseEnvelope(value: unknown): Envelope {
  if (!validateEnvelope(value)) throw new ProtocolError('BAD_MESSAGE', describe(validateEnvelope, 'message'));
  const env = value as unknown as Envelope;
  if (env.v !== PROTOCOL_VERSION) throw new ProtocolError('UNSUPPORTED_VERSION', `protocol version ${env.v} is not supported (this engine speaks ${PROTOCOL_VERSION})`);
  const validate = bodyValidators[env.type];
  if (!validate) throw new ProtocolError('BAD_MESSAGE', `type: unknown message type "${env.type}"`);
  if (!validate(env.body)) throw new ProtocolError('BAD_MESSAGE', describe(validate, `${env.type}.body`));
  return env;
}

export function parseText(text: string): Envelope {
  if (text.length > MAX_TEXT_BYTES) throw new ProtocolError('TOO_LARGE', `message of ${text.length} bytes exceeds ${MAX_TEXT_BYTES}`);
  let value: unknown;
  try { value = JSON.parse(text); } catch (e) { throw new ProtocolError('BAD_MESSAGE', `not JSON: ${(e as Error).message}`); }
  return parseEnvelope(value);
}

export function encodeBinary(header: Envelope, payload: Uint8Array): Buffer {
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
  if (n > 16 * 1024 || 4 + n > frame.length) throw new ProtocolError('BAD_MESSAGE', `binary frame header length ${n} is invalid`);
  let header: unknown;
  try { header = JSON.parse(frame.subarray(4, 4 + n).toString('utf8')); } catch { throw new ProtocolError('BAD_MESSAGE', 'binary frame header is not JSON'); }
  if (frame.length - 4 - n > MAX_CHUNK_BYTES) throw new ProtocolError('TOO_LARGE', `chunk of ${frame.length - 4 - n} bytes exceeds ${MAX_CHUNK_BYTES}`);
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
