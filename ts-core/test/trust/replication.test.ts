/**
 * Adaptive replication in the engine's own parts (replication.ts through scheduler.ts and store.ts): a node's
 * streak read back from the logged reputation events, and the scheduler's choice between a solo seat and the full
 * quorum, on a real SQLite store. The whole protocol with real processes is in faults.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { AuditLog } from '../../src/trust/audit-log.js';
import { newIdentity } from '../../src/trust/crypto.js';
import type { EngineEvent } from '../../src/trust/events.js';
import { replicationOptions } from '../../src/trust/replication.js';
import { DEFAULT_REPUTATION } from '../../src/trust/reputation.js';
import { Scheduler } from '../../src/trust/scheduler.js';
import { EngineStore, type JobSpec } from '../../src/trust/store.js';
import { tempDir } from '../helpers.js';

const NODES = ['a', 'b', 'c', 'd'].map((c) => c.repeat(64));

function engineParts() {
  const store = new EngineStore(join(tempDir('ote-trust-replication-'), 'trust.sqlite'));
  const log = new AuditLog<EngineEvent>(store.db, newIdentity());
  for (const k of NODES) store.upsertNode(k, DEFAULT_REPUTATION.prior, 1, ['lightmap-gltf']);
  return { store, log };
}

const reputation = (node: string, outcome: 'agree' | 'flagged'): EngineEvent => ({
  type: 'reputation',
  node,
  jobId: 'j',
  role: 'quorum',
  outcome,
  alpha: 12,
  beta: 1,
});

test("a node's streak is the verdicts it agreed with since its last flag, from the log", () => {
  const { store, log } = engineParts();
  const [a, b] = NODES;
  assert.is(store.streak(a), 0, 'a new node has none');
  for (const o of ['agree', 'agree', 'flagged', 'agree', 'agree', 'agree'] as const) log.append(reputation(a, o));
  log.append(reputation(b, 'agree'));
  assert.is(store.streak(a), 3);
  assert.is(store.streak(b), 1);
  store.close();
});

test('the scheduler gives a job to its first drawn node alone only when that node has its streak, and logs why', () => {
  const spec: JobSpec = {
    referenceHash: 'r',
    artifactHash: 'x',
    kind: 'lightmap-gltf',
    profile: 'default',
    thresholds: { psnr: 30 },
    claimedMetrics: {},
    complexity: 0,
    confidence: 0.95,
    engineNonce: 'n',
    seed: 's',
    maxSamples: 5,
    quorum: 3,
    issuedAt: 0,
  };
  for (const streak of [0, 20]) {
    const { store } = engineParts();
    store.insertJob('job', spec, 0, 0);
    const seated: string[] = [];
    const solo: { node: string; streak: number }[] = [];
    const scheduler = new Scheduler(
      store,
      {
        reputation: DEFAULT_REPUTATION,
        spotChecks: false,
        assignTimeoutMs: 60_000,
        replication: replicationOptions({ mode: 'adaptive', soloAfter: 20 }),
      },
      {
        connected: () => NODES,
        send: (node) => seated.push(node),
        blobSize: () => 1,
        finalize: () => {},
        fail: () => {},
        streak: () => streak,
        setQuorum: (jobId, quorum, s) => {
          store.setQuorum(jobId, quorum);
          if (s) solo.push(s);
        },
      },
    );
    scheduler.schedule();
    if (streak >= 20) {
      assert.is(seated.length, 1, 'one seat');
      assert.equal(solo, [{ node: seated[0], streak: 20 }]);
      assert.is(store.job('job')?.quorum, 1);
    } else {
      assert.is(seated.length, 3, 'the full quorum');
      assert.equal(solo, []);
    }
    store.close();
  }
});

test.run();
