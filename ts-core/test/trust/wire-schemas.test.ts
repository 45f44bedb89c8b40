/**
 * The wire contract does not drift: the JSON Schemas the engine validates (generated from the TypeBox schemas in
 * messages.ts) equal the snapshot in wire-schemas.json, which was taken from the hand-written schemas of protocol
 * version 1 before the types were generated from them. A change here changes what deployed clients and nodes may
 * send: make it deliberately, and update the snapshot (and the protocol version where old peers would break).
 * The cases below pin the newest fields (render exposure, environment, viewPixel and splatComposite) by behaviour as
 * well.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvelopeSchema, REQUESTS } from '../../src/trust/messages.js';
import { parseEnvelope, ProtocolError } from '../../src/trust/protocol.js';
import { renderSpecOf } from '../../src/trust/node.js';
import { repoRoot } from '../helpers.js';

/** Sorted keys (except property order, which decides which error Ajv reports first); `required: []` is no constraint. */
function normalize(v: unknown, properties = false): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter(
      (k) => !(k === 'required' && Array.isArray(o[k]) && (o[k] as unknown[]).length === 0),
    );
    if (!properties) keys.sort();
    return Object.fromEntries(keys.map((k) => [k, normalize(o[k], k === 'properties')]));
  }
  return v;
}

test('the validated schemas equal the protocol-1 snapshot', () => {
  const snapshot = JSON.parse(readFileSync(join(repoRoot, 'ts-core/test/trust/wire-schemas.json'), 'utf8'));
  // JSON round trip: what Ajv sees (TypeBox's symbol-keyed metadata is not JSON Schema).
  const now = JSON.parse(
    JSON.stringify({
      envelope: EnvelopeSchema,
      bodies: Object.fromEntries(
        Object.entries(REQUESTS).map(([type, r]) => [type, { roles: r.roles, schema: r.body }]),
      ),
    }),
  );
  assert.equal(normalize(now), snapshot);
});

const hash = 'a'.repeat(64);
const submit = (render: unknown) => ({
  v: 1,
  type: 'job.submit',
  body: { referenceHash: hash, artifactHash: hash, kind: 'splat', thresholds: {}, render },
});
const base = { reference: 'pathtrace', spp: 64, bounces: 3, pixels: 32 };
function refused(value: unknown, field: RegExp) {
  try {
    parseEnvelope(value);
  } catch (e) {
    assert.instance(e, ProtocolError);
    assert.match((e as Error).message, field);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(value)}`);
}

test('render specs: exposure, environment, viewPixel and splatComposite are accepted within their bounds and refused outside', () => {
  const sun = { direction: [0, -1, 0], color: [5, 5, 5], angularDiameter: 2 };
  for (const render of [
    base,
    { ...base, exposure: -3.5 },
    { ...base, viewPixel: 0.0021 },
    { ...base, splatComposite: 'linear' },
    { ...base, splatComposite: 'display' },
    { ...base, environment: { sky: { type: 'none' } } },
    {
      ...base,
      environment: {
        sky: { type: 'gradient', zenith: [0.2, 0.3, 0.6], horizon: [0.6, 0.7, 0.7], ground: [0.2, 0.1, 0.1] },
        sun,
      },
    },
    // Version 1 accepts a sky without the colours its type needs (nodes then refuse the job: renderSpecOf).
    { ...base, environment: { sky: { type: 'constant' } } },
  ]) {
    const r = parseEnvelope(submit(render));
    assert.is(r.type, 'job.submit');
  }
  refused(submit({ ...base, exposure: 21 }), /job\.submit\.body\.render\.exposure/);
  refused(submit({ ...base, environment: { sky: { type: 'hdri' } } }), /render\.environment\.sky\.type/);
  refused(
    submit({ ...base, environment: { sky: { type: 'none' }, sun: { ...sun, angularDiameter: 31 } } }),
    /sun\.angularDiameter/,
  );
  refused(submit({ ...base, environment: { sky: { type: 'constant', color: [1, 1] } } }), /sky\.color/);
  refused(
    submit({ ...base, environment: { sky: { type: 'none' }, moon: {} } }),
    /render\.environment.*additional properties \(moon\)/,
  );
  refused(submit({ ...base, pixels: 8 }), /render\.pixels/);
  refused(submit({ ...base, viewPixel: 0 }), /render\.viewPixel/);
  refused(submit({ ...base, viewPixel: 1.5 }), /render\.viewPixel/);
  refused(submit({ ...base, splatComposite: 'gamma' }), /render\.splatComposite/);
});

test("a node narrows a job's render spec, and refuses a sky without its colours", () => {
  assert.equal(renderSpecOf({ ...base, reference: 'pathtrace' }), base);
  const sky = {
    type: 'gradient' as const,
    zenith: [1, 1, 1] as [number, number, number],
    horizon: [1, 1, 1] as [number, number, number],
    ground: [0, 0, 0] as [number, number, number],
  };
  assert.equal(renderSpecOf({ ...base, reference: 'pathtrace', environment: { sky } }).environment, { sky });
  assert.throws(
    () => renderSpecOf({ ...base, reference: 'pathtrace', environment: { sky: { type: 'constant' } } }),
    /render\.environment\.sky\.color: a constant sky needs it/,
  );
});

test.run();
