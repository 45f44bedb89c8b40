/**
 * The engine's wire protocol against hostile and broken clients: every malformed, oversized, unauthenticated,
 * replayed or over-limit message is answered with an error, and the engine then still completes a real job.
 * The engine and nodes run in this process over real loopback WebSockets (the multi-process faults are in faults.test).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrustEngine } from '../../src/trust/engine.js';
import { TrustClient } from '../../src/trust/client.js';
import { VerifierNode } from '../../src/trust/node.js';
import { RenderedSampleEvaluator } from '../../src/trust/evaluator-render.js';
import { EngineConnection, EngineRequestError } from '../../src/trust/engine-connection.js';
import { canonicalJson, sha256Hex } from '../../src/trust/bytes.js';
import { hmacHex, newIdentity, signHex, ed25519Verify } from '../../src/trust/crypto.js';
import { authString, encodeBinary, MAX_CHUNK_BYTES, nodeAuthBytes } from '../../src/trust/protocol.js';
import { verifyCertificate } from '../../src/trust/certificate.js';
import { auditStore } from '../../src/trust/audit.js';
import { tempDir } from '../helpers.js';
import { FAST_RENDER, trustBlobs, THRESHOLDS, type Blobs, LIVENESS_MS } from './fixtures.js';

let engine: TrustEngine, client: TrustClient, wire: EngineConnection, blobs: Blobs, dataDir: string;
const nodes: VerifierNode[] = [];
const key = () => ({ id: 'default', secret: engine.apiKeys.default });

function signed(
  type: string,
  body: Record<string, unknown>,
  o: { ts?: number; nonce?: string; secret?: string; key?: string } = {},
) {
  const ts = o.ts ?? Date.now(),
    nonce = o.nonce ?? randomBytes(16).toString('hex');
  return {
    auth: {
      key: o.key ?? 'default',
      ts,
      nonce,
      sig: hmacHex(o.secret ?? engine.apiKeys.default, authString(type, ts, nonce, sha256Hex(canonicalJson(body)))),
    },
  };
}

async function rejects(p: Promise<unknown>, code: string, what: string) {
  try {
    await p;
  } catch (e) {
    assert.instance(e, EngineRequestError, what);
    assert.is((e as EngineRequestError).code, code, `${what}: ${(e as Error).message}`);
    return (e as Error).message;
  }
  assert.unreachable(`${what} was accepted`);
}

/** A reply that arrives for a request sent raw (no id tracking): the next pushed error. */
function nextError(w: EngineConnection): Promise<{ code: string; message: string }> {
  return new Promise((resolve) => {
    w.onEvent = (type, body) => {
      if (type === 'error') resolve(body as { code: string; message: string });
    };
  });
}

test.before(async () => {
  blobs = await trustBlobs();
  dataDir = tempDir('ote-trust-proto-');
  engine = new TrustEngine({ dataDir, quorum: 3, rateLimit: 400, clockSkewMs: 30_000 });
  await engine.start();
  // The product's evaluator, its caches shared by the three nodes (each still renders and measures every sample
  // itself); jobs ask for FAST_RENDER on the small Cornell box, which keeps each sample cheap.
  const evaluator = new RenderedSampleEvaluator();
  for (let i = 0; i < 3; i++) {
    const n = new VerifierNode({ engine: engine.url, evaluator });
    await n.start();
    nodes.push(n);
  }
  client = new TrustClient({ url: engine.url, apiKey: key() });
  wire = await EngineConnection.connect(engine.url);
});

test.after(async () => {
  for (const n of nodes) n.stop();
  client.close();
  wire.close();
  await engine.stop();
});

test('malformed messages are rejected with an error naming what is wrong', async () => {
  let e = nextError(wire);
  wire.sendRaw('{not json');
  assert.is((await e).code, 'BAD_MESSAGE');
  e = nextError(wire);
  wire.sendRaw(JSON.stringify({ v: 1, type: 'job.get' }));
  assert.match((await e).message, /body/);
  e = nextError(wire);
  wire.sendRaw(JSON.stringify({ v: 9, type: 'engine.info', body: {} }));
  assert.is((await e).code, 'UNSUPPORTED_VERSION');
  await rejects(wire.requestUnchecked('no.such.type', {}), 'BAD_MESSAGE', 'unknown type');
  await rejects(
    wire.request('blob.begin', { hash: 'xyz', size: 1 }, signed('blob.begin', { hash: 'xyz', size: 1 })),
    'BAD_MESSAGE',
    'bad hash field',
  );
  const m = await rejects(
    wire.requestUnchecked('job.submit', {
      referenceHash: 'a'.repeat(64),
      artifactHash: 'b'.repeat(64),
      kind: 'mesh',
      thresholds: {},
    }),
    'BAD_MESSAGE',
    'bad enum',
  );
  assert.match(m!, /job\.submit\.body\.kind/);
  e = nextError(wire);
  wire.sendRaw(Buffer.from([0, 0]));
  assert.is((await e).code, 'BAD_MESSAGE', 'short binary frame');
});

test('oversized messages are rejected; frames past the hard limit close only that connection', async () => {
  await rejects(wire.requestUnchecked('engine.info', { pad: 'x'.repeat(300_000) }), 'TOO_LARGE', 'text over 256 KiB');
  const huge = 'f'.repeat(64);
  await rejects(client.call('blob.begin', { hash: huge, size: 300 << 20 }), 'TOO_LARGE', 'blob over the limit');
  const w2 = await EngineConnection.connect(engine.url);
  const closed = new Promise<void>((r) => {
    w2.onClose = () => r();
  });
  w2.sendRaw(Buffer.alloc(MAX_CHUNK_BYTES + 200_000));
  await closed;
  assert.ok((await wire.request('engine.info', {})).body.engineKey, 'the engine still answers');
});

test('unauthenticated, forged, stale and replayed requests are refused', async () => {
  const body = { jobId: 'nope' };
  await rejects(wire.request('job.get', body), 'UNAUTHENTICATED', 'no auth');
  await rejects(
    wire.request('job.get', body, signed('job.get', body, { key: 'intruder' })),
    'UNAUTHENTICATED',
    'unknown key',
  );
  await rejects(
    wire.request('job.get', body, signed('job.get', body, { secret: 'guessed' })),
    'UNAUTHENTICATED',
    'wrong secret',
  );
  const s = signed('job.get', body);
  await rejects(wire.request('job.get', { jobId: 'other' }, s), 'UNAUTHENTICATED', 'body changed after signing');
  await rejects(
    wire.request('job.get', body, signed('job.get', body, { ts: Date.now() - 120_000 })),
    'REPLAYED',
    'stale timestamp',
  );
  const once = signed('job.get', body);
  await rejects(wire.request('job.get', body, once), 'NOT_FOUND', 'first use reaches the handler');
  await rejects(wire.request('job.get', body, once), 'REPLAYED', 'same nonce again');
  // a node may not act as a client, nor a client as a node
  await rejects(
    wire.request('node.vote', {
      vote: {
        jobId: 'x',
        nodeKey: 'a'.repeat(64),
        samples: [],
        means: { psnr: 1, ssim: 1, flip: 1 },
        pass: true,
        sig: 'a'.repeat(128),
      },
    }),
    'UNAUTHENTICATED',
    'vote without node auth',
  );
});

test('node auth is an Ed25519 challenge bound to the engine and the key', async () => {
  const id = newIdentity(),
    other = newIdentity();
  const w = await EngineConnection.connect(engine.url);
  const hello = await w.request('node.hello', { publicKey: id.publicKey });
  await rejects(
    w.request('node.auth', {
      sig: signHex(other, nodeAuthBytes(hello.body.challenge, hello.body.engineKey, id.publicKey)),
    }),
    'UNAUTHENTICATED',
    'signed by another key',
  );
  await rejects(
    w.request('node.auth', {
      sig: signHex(id, nodeAuthBytes(hello.body.challenge, hello.body.engineKey, id.publicKey)),
    }),
    'BAD_MESSAGE',
    'a challenge is good for one attempt',
  );
  const h2 = await w.request('node.hello', { publicKey: id.publicKey });
  assert.is.not(h2.body.challenge, hello.body.challenge);
  await w.request('node.auth', { sig: signHex(id, nodeAuthBytes(h2.body.challenge, h2.body.engineKey, id.publicKey)) });
  await rejects(
    w.request('blob.get', { hash: sha256Hex(blobs.reference), offset: 0, length: 10 }),
    'FORBIDDEN',
    'blob of a job not assigned to it',
  );
  w.close();
});

test('blob upload: chunk checks, out-of-order refusal, resume after a dropped connection, hash check', async () => {
  const data = randomBytes(3 * 1000 + 17);
  const hash = createHash('sha256').update(data).digest('hex');
  assert.equal((await client.call('blob.begin', { hash, size: data.length })).body, { received: 0, complete: false });
  const c1 = data.subarray(0, 1000);
  await rejects(
    client.call('blob.chunk', { hash, offset: 0, chunkHash: 'a'.repeat(64) }, c1),
    'BAD_MESSAGE',
    'chunk hash mismatch',
  );
  await client.call('blob.chunk', { hash, offset: 0, chunkHash: sha256Hex(c1) }, c1);
  await rejects(client.call('blob.chunk', { hash, offset: 2000, chunkHash: sha256Hex(c1) }, c1), 'CONFLICT', 'gap');
  client.close(); // drop the connection mid-upload
  const again = new TrustClient({ url: engine.url, apiKey: key() });
  assert.is((await again.call('blob.begin', { hash, size: data.length })).body.received, 1000, 'resumes at 1000');
  assert.is(await again.upload(data), hash);
  assert.equal((await again.call('blob.begin', { hash, size: data.length })).body, {
    received: data.length,
    complete: true,
  });
  // bytes that do not hash to the declared hash are discarded
  const liar = 'c'.repeat(64),
    junk = randomBytes(100);
  await again.call('blob.begin', { hash: liar, size: 100 });
  await again.call('blob.chunk', { hash: liar, offset: 0, chunkHash: sha256Hex(junk) }, junk);
  await rejects(again.call('blob.end', { hash: liar }), 'CONFLICT', 'hash mismatch at the end');
  await rejects(
    again.call('job.submit', { referenceHash: liar, artifactHash: hash, kind: 'lightmap-gltf', thresholds: {} }),
    'NOT_FOUND',
    'job on an uncommitted blob',
  );
  again.close();
  client = new TrustClient({ url: engine.url, apiKey: key() });
});

test('binary frames must be signed like text requests', async () => {
  const chunk = randomBytes(10),
    hash = sha256Hex(chunk);
  const e = nextError(wire);
  wire.sendRaw(encodeBinary({ v: 1, type: 'blob.chunk', body: { hash, offset: 0, chunkHash: hash } }, chunk));
  assert.is((await e).code, 'UNAUTHENTICATED');
});

test('per-key rate limit', async () => {
  const e2 = new TrustEngine({ dataDir: tempDir('ote-trust-rl-'), rateLimit: 5 });
  await e2.start();
  const c = new TrustClient({ url: e2.url, apiKey: { id: 'default', secret: e2.apiKeys.default } });
  const results = await Promise.allSettled(Array.from({ length: 30 }, () => c.info()));
  const limited = results.filter(
    (r) => r.status === 'rejected' && (r.reason as EngineRequestError).code === 'RATE_LIMITED',
  ).length;
  assert.ok(limited >= 15, `${limited} of 30 rate limited`);
  c.close();
  await e2.stop();
});

/** The faithful bake on FAST_RENDER: a job any honest node accepts quickly. */
const faithfulJob = () => ({
  referenceScene: blobs.reference,
  artifact: blobs.good,
  kind: 'lightmap-gltf' as const,
  render: FAST_RENDER,
  thresholds: THRESHOLDS,
});

test('a node that connects while a job waits gets the seat the engine pushes right behind its auth reply', async () => {
  // The engine seats a node the moment it authenticates, so the assignment follows the auth reply on the wire,
  // often in the same read: a node that listened for assignments only after the reply lost it, and the seat timed
  // out (the engine-restart fault test failed so, 1 run in 3).
  const e = new TrustEngine({ dataDir: tempDir('ote-trust-seat-on-auth-'), quorum: 1, assignTimeoutMs: 20_000 });
  await e.start();
  const c = new TrustClient({ url: e.url, apiKey: { id: 'default', secret: e.apiKeys.default } });
  const started: VerifierNode[] = [];
  try {
    for (let round = 0; round < 5; round++) {
      const jobId = await c.submitJob(faithfulJob());
      // A fresh key each round: the job waits for a node that is not yet connected.
      const n = new VerifierNode({ engine: e.url, evaluator: new RenderedSampleEvaluator() });
      started.push(n);
      await n.start();
      const cert = await c.waitForCertificate(jobId, { timeoutMs: 15_000 });
      assert.is(cert.nodes[0].key, n.key, `round ${round}`);
      n.stop();
    }
  } finally {
    for (const n of started) n.stop();
    c.close();
    await e.stop();
  }
});

test('a node that takes its seat and never votes: the seat times out and the failure names the node', async () => {
  const e = new TrustEngine({ dataDir: tempDir('ote-trust-silent-'), quorum: 1, assignTimeoutMs: 300 });
  await e.start();
  const id = newIdentity();
  const silent = await EngineConnection.connect(e.url);
  const hello = await silent.request('node.hello', { publicKey: id.publicKey });
  await silent.request('node.auth', {
    sig: signHex(id, nodeAuthBytes(hello.body.challenge, hello.body.engineKey, id.publicKey)),
  });
  let assigned = 0;
  silent.onEvent = (type) => {
    if (type === 'assign') assigned++;
  };
  const c = new TrustClient({ url: e.url, apiKey: { id: 'default', secret: e.apiKeys.default } });
  const jobId = await c.submitJob(faithfulJob());
  let message = '';
  try {
    await c.waitForCertificate(jobId, { timeoutMs: 20_000 });
    assert.unreachable('a certificate from a node that never voted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'VERIFICATION_FAILED', (err as Error).message);
    message = (err as Error).message;
  }
  assert.is(assigned, 1, 'the silent node was seated once, and not again after its deadline');
  assert.match(message, /1 node\(s\) could not verify/);
  assert.match(message, new RegExp(`node ${id.publicKey.slice(0, 12)}: no vote before its assignment's deadline`));
  c.close();
  silent.close();
  await e.stop();
});

test('wss when a certificate is given', async () => {
  const dir = tempDir('ote-trust-tls-');
  const gen = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  assert.is(gen.status, 0, gen.stderr);
  const e = new TrustEngine({
    dataDir: join(dir, 'data'),
    tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
  });
  const url = await e.start();
  assert.match(url, /^wss:\/\/127\.0\.0\.1:/);
  const ca = readFileSync(join(dir, 'cert.pem'));
  const c = new TrustClient({ url, apiKey: { id: 'default', secret: e.apiKeys.default }, ca });
  assert.is((await c.info()).engineKey, e.engineKey);
  c.close();
  const untrusting = new TrustClient({ url, apiKey: { id: 'default', secret: e.apiKeys.default } });
  try {
    await untrusting.info();
    assert.unreachable('a client that does not trust the certificate connected');
  } catch (err) {
    assert.match((err as Error).message, /certificate|self.signed/i);
  }
  await e.stop();
});

test('after all that, the engine verifies real jobs: faithful accepted, broken rejected, certificates check offline', async () => {
  const good = await client.submit(
    {
      referenceScene: blobs.reference,
      artifact: blobs.good,
      kind: 'lightmap-gltf',
      render: FAST_RENDER,
      thresholds: THRESHOLDS,
      claimedMetrics: { ssim: 0.99 },
    },
    { timeoutMs: LIVENESS_MS },
  );
  assert.is(good.verdict, 'accepted', good.reason);
  assert.is(good.nodes.length, 3);
  assert.ok(good.metrics.psnr.lo > 30 && good.metrics.ssim.median > 0.99, JSON.stringify(good.metrics));
  assert.ok(good.nodes[0].vote.samples.length < good.job.maxSamples, 'a clear pass stops early');
  assert.ok(verifyCertificate(good, ed25519Verify, { engineKey: engine.engineKey }).ok);
  const bad = await client.submit(
    {
      referenceScene: blobs.reference,
      artifact: blobs.bad,
      kind: 'lightmap-gltf',
      render: FAST_RENDER,
      thresholds: THRESHOLDS,
    },
    { timeoutMs: LIVENESS_MS },
  );
  assert.is(bad.verdict, 'rejected');
  assert.match(bad.reason, /ssim|flip/);
  const overclaim = await client.submit(
    {
      referenceScene: blobs.reference,
      artifact: blobs.good,
      kind: 'lightmap-gltf',
      render: FAST_RENDER,
      thresholds: THRESHOLDS,
      claimedMetrics: { flip: 0, psnr: 99 },
    },
    { timeoutMs: LIVENESS_MS },
  );
  assert.is(overclaim.verdict, 'rejected');
  assert.match(overclaim.reason, /not reproduced/);
  // the producer never verifies its own work
  const producer = nodes[0].key;
  const own = await client.submit(
    {
      referenceScene: blobs.reference,
      artifact: blobs.good,
      kind: 'lightmap-gltf',
      render: FAST_RENDER,
      thresholds: THRESHOLDS,
      quorum: 2,
      producer,
    },
    { timeoutMs: LIVENESS_MS },
  );
  assert.not.ok(own.nodes.some((n) => n.key === producer));
  // log proofs served by the API
  const cp = (await client.call('log.checkpoint', {})).body.checkpoint;
  const cons = (await client.call('log.consistency', { first: good.log.checkpoint.size, second: cp.size })).body
    .proof as string[];
  const { verifyConsistency } = await import('../../src/trust/merkle.js');
  const { fromHex } = await import('../../src/trust/bytes.js');
  assert.ok(
    verifyConsistency(
      good.log.checkpoint.size,
      cp.size,
      fromHex(good.log.checkpoint.root),
      fromHex(cp.root),
      cons.map(fromHex),
    ),
  );
  await rejects(client.call('log.inclusion', { index: 0, size: cp.size + 100 }), 'NOT_FOUND', 'proof beyond the log');
  const audit = auditStore(dataDir, { engineKey: engine.engineKey });
  assert.ok(audit.ok, audit.problems.join('\n'));
});

test.run();
