/**
 * Every message of the wire protocol, version 1, as TypeBox schemas: the same objects are the JSON Schemas Ajv
 * validates (protocol.ts) and, through `Static`, the TypeScript types the engine's handlers, the client and the
 * nodes read (replies, which the engine builds and nobody validates, are interfaces in replies.ts). A field added here is checked on the wire and seen by the compiler at once.
 *
 * The schemas are the wire contract: ts-core/test/trust/wire-schemas.test.ts compares them with a snapshot, so a
 * change to what the engine accepts is always deliberate. Enumerations are written `{ enum: [...] }` (not TypeBox's
 * union of literals) because that is the JSON Schema the protocol has always used, with its error messages.
 */
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import type { ArtifactKind, RenderSpec } from './types.js';

/** Largest blob chunk one message carries (blobs travel in chunks as binary frames). */
export const MAX_CHUNK_BYTES = 1 << 20;

/** An object that refuses properties it does not declare (every protocol object does). */
const Strict = <P extends TProperties>(properties: P) => Type.Object(properties, { additionalProperties: false });
/** One of a few strings, as the JSON Schema `enum` keyword. */
const OneOf = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ enum: [...values] });
/** Exactly three numbers (a JSON array; the type is a tuple). */
const Triple = (limits: { minimum: number; maximum: number }) =>
  Type.Unsafe<[number, number, number]>({
    type: 'array',
    minItems: 3,
    maxItems: 3,
    items: { type: 'number', ...limits },
  });

const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Sig128 = Type.String({ pattern: '^[0-9a-f]{128}$' });
const JobId = Type.String({ maxLength: 64 });
const Kind = OneOf(['lightmap-gltf', 'splat', 'hybrid'] as const satisfies readonly ArtifactKind[]);
const Metrics = Strict({
  psnr: Type.Optional(Type.Number()),
  ssim: Type.Optional(Type.Number()),
  flip: Type.Optional(Type.Number()),
});
const MetricMeans = Strict({ psnr: Type.Number(), ssim: Type.Number(), flip: Type.Number() });
const Sample = Strict({
  index: Type.Integer({ minimum: 0 }),
  psnr: Type.Number(),
  ssim: Type.Number(),
  flip: Type.Number(),
});

export const ClientAuthSchema = Strict({
  key: Type.String({ maxLength: 128 }),
  ts: Type.Integer(),
  nonce: Type.String({ pattern: '^[0-9a-f]{16,64}$' }),
  sig: Hex64,
});
export type ClientAuth = Static<typeof ClientAuthSchema>;

/** Every frame's envelope; `body` is checked against its type's schema once the type is known. */
export const EnvelopeSchema = Strict({
  v: Type.Integer(),
  type: Type.String({ maxLength: 64 }),
  /** Request id chosen by the sender; replies carry it in `re`. */
  id: Type.Optional(Type.String({ maxLength: 64 })),
  re: Type.Optional(Type.String({ maxLength: 64 })),
  body: Type.Unsafe<Record<string, unknown>>({ type: 'object' }),
  auth: Type.Optional(ClientAuthSchema),
});
export type Envelope = Static<typeof EnvelopeSchema>;

/** A linear RGB triple (radiance or illuminance), bounded so that no job can ask for a non-finite render. */
const Rgb = Triple({ minimum: 0, maximum: 1e6 });

/**
 * How nodes render a job (types.ts RenderSpec is the producer's view of it). The sky is one object whose colour
 * fields are all optional whatever its `type`: that is what version 1 accepts, so a node narrows it before use
 * (renderSpecOf in node.ts).
 */
export const RenderSpecSchema = Strict({
  reference: OneOf(['pathtrace', 'shaded', 'albedo']),
  // Bounded so that one job cannot make every node spend minutes per sample.
  spp: Type.Integer({ minimum: 1, maximum: 1024 }),
  bounces: Type.Integer({ minimum: 0, maximum: 16 }),
  pixels: Type.Integer({ minimum: 16, maximum: 256 }),
  exposure: Type.Optional(Type.Number({ minimum: -20, maximum: 20 })),
  // At most a quarter of the crop's render pixel is ever used (viewScale), so a tiny value cannot raise the cost.
  viewPixel: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  splatComposite: Type.Optional(OneOf(['linear', 'display'])),
  environment: Type.Optional(
    Strict({
      sky: Strict({
        type: OneOf(['none', 'constant', 'gradient']),
        color: Type.Optional(Rgb),
        zenith: Type.Optional(Rgb),
        horizon: Type.Optional(Rgb),
        ground: Type.Optional(Rgb),
      }),
      sun: Type.Optional(
        Strict({
          direction: Triple({ minimum: -1, maximum: 1 }),
          color: Rgb,
          angularDiameter: Type.Number({ minimum: 0, maximum: 30 }),
        }),
      ),
    }),
  ),
});
export type WireRenderSpec = Static<typeof RenderSpecSchema>;

// Compile-time: every RenderSpec a producer can build has the wire schema's type.
true satisfies RenderSpec extends WireRenderSpec ? true : never;

export const VoteSchema = Strict({
  jobId: JobId,
  nodeKey: Hex64,
  samples: Type.Array(Sample, { maxItems: 1000 }),
  means: MetricMeans,
  pass: Type.Boolean(),
  sig: Sig128,
});

export type Role = 'client' | 'node' | 'any';
const request = <const R extends readonly Role[], S extends TSchema>(roles: R, body: S) => ({ roles, body });

/** Body schema of every request type, and the roles allowed to send it. */
export const REQUESTS = {
  'engine.info': request(['any'], Strict({})),
  'blob.begin': request(['client'], Strict({ hash: Hex64, size: Type.Integer({ minimum: 0 }) })),
  'blob.end': request(['client'], Strict({ hash: Hex64 })),
  'blob.get': request(
    ['node'],
    Strict({
      hash: Hex64,
      offset: Type.Integer({ minimum: 0 }),
      length: Type.Integer({ minimum: 1, maximum: MAX_CHUNK_BYTES }),
    }),
  ),
  'job.submit': request(
    ['client'],
    Strict({
      referenceHash: Hex64,
      artifactHash: Hex64,
      kind: Kind,
      profile: Type.Optional(Type.String({ maxLength: 128 })),
      thresholds: Metrics,
      claimedMetrics: Type.Optional(Metrics),
      complexity: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      confidence: Type.Optional(Type.Number({ minimum: 0.9, maximum: 0.999 })),
      quorum: Type.Optional(Type.Integer({ minimum: 1, maximum: 15 })),
      producer: Type.Optional(Hex64),
      render: Type.Optional(RenderSpecSchema),
    }),
  ),
  'job.get': request(['client'], Strict({ jobId: JobId })),
  'log.checkpoint': request(['client', 'node'], Strict({})),
  'log.inclusion': request(
    ['client', 'node'],
    Strict({ index: Type.Integer({ minimum: 0 }), size: Type.Integer({ minimum: 1 }) }),
  ),
  'log.consistency': request(
    ['client', 'node'],
    Strict({ first: Type.Integer({ minimum: 0 }), second: Type.Integer({ minimum: 0 }) }),
  ),
  'node.hello': request(
    ['any'],
    Strict({
      publicKey: Hex64,
      capability: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
      kinds: Type.Optional(Type.Array(Kind, { maxItems: 8 })),
    }),
  ),
  'node.auth': request(['any'], Strict({ sig: Sig128 })),
  'node.vote': request(['node'], Strict({ vote: VoteSchema })),
  'node.error': request(['node'], Strict({ jobId: JobId, reason: Type.String({ maxLength: 2000 }) })),
  /** Sent as a binary frame: this header, then the chunk's bytes. */
  'blob.chunk': request(['client'], Strict({ hash: Hex64, offset: Type.Integer({ minimum: 0 }), chunkHash: Hex64 })),
};

export type RequestType = keyof typeof REQUESTS;
export type RequestBody<T extends RequestType> = Static<(typeof REQUESTS)[T]['body']>;

/** A validated request, discriminated by `type` (a `switch` on it gives each handler its body's type). */
export type Request = {
  [T in RequestType]: { v: number; type: T; id?: string; re?: string; auth?: ClientAuth; body: RequestBody<T> };
}[RequestType];

export const isRequestType = (type: string): type is RequestType => Object.hasOwn(REQUESTS, type);

/**
 * The engine's push to a node: verify this job. Checked by the node on arrival; extra fields are allowed so that
 * an engine may add some without stopping older nodes.
 */
export const AssignSchema = Type.Object({
  jobId: JobId,
  referenceHash: Hex64,
  artifactHash: Hex64,
  kind: Kind,
  seed: Type.String(),
  maxSamples: Type.Integer(),
  thresholds: Metrics,
  confidence: Type.Number(),
  render: Type.Optional(RenderSpecSchema),
  sizes: Type.Object({ reference: Type.Integer({ minimum: 0 }), artifact: Type.Integer({ minimum: 0 }) }),
});
export type Assign = Static<typeof AssignSchema>;
