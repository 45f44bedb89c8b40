/**
 * The farm verifies its workers: a farm with its own Trust Engine and 3 verifier nodes (real processes) turns down
 * a result that lacks a certificate from its engine; the job is redone on another machine, the cheating machine's
 * reputation falls and the job avoids it; an honest worker's result, verified by the farm's nodes (not by that
 * worker), completes with a certificate the farm's engine issued for exactly the bytes returned, and the farm's
 * provenance record names the honest worker and that certificate.
 *
 * test-runner: alone (an optimize verified by three node processes uses both cores; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { FarmClient } from '../../src/farm/client.js';
import { defaultExecutors } from '../../src/farm/executors.js';
import { HttpLink } from '../../src/farm/links.js';
import { type Provenance, verifyProvenance } from '../../src/farm/provenance.js';
import { startFarmServer } from '../../src/farm/server.js';
import { FarmWorker } from '../../src/farm/worker.js';
import { sceneToGlb } from '../../src/io/gltf-write.js';
import { sha256Hex } from '../../src/trust/bytes.js';
import { type Certificate, verifyCertificate } from '../../src/trust/certificate.js';
import { ed25519Verify } from '../../src/trust/crypto.js';
import { tempDir } from '../helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a result without the farm engine certificate is turned down and redone elsewhere; the honest one is verified by the farm', async () => {
  const dataDir = tempDir('ote-farm-verify-');
  const farm = await startFarmServer({ dataDir, port: 0, workers: 0, verifiers: 3, queue: { backoffMs: 50 } });
  const workers: FarmWorker[] = [];
  try {
    const c = new FarmClient(farm.url, farm.keys.create(['submit', 'read']));
    const work = new FarmClient(farm.url, farm.keys.create(['work']));
    const link = new HttpLink(work, farm.queue.options.leaseMs);
    // Each says what it is, as `ote farm worker` does.
    for (const worker of ['cheat', 'honest'])
      await work.request('POST', '/v1/workers/register', {
        worker,
        cores: 2,
        isa: 'x64',
        gpu: null,
        region: 'local',
        class: 'volunteer',
        kinds: ['optimize'],
      });
    // The cheat returns a plausible scene and no certificate (it skipped the verification it was asked for).
    const cheat = new FarmWorker(
      'cheat',
      link,
      {
        optimize: async () => ({
          exitCode: 0,
          verdict: 'accepted',
          artifacts: { 'scene.glb': await sceneToGlb(cornellBox()), 'report.json': new TextEncoder().encode('{}') },
        }),
      },
      tempDir('ote-farm-cheat-'),
    );
    workers.push(cheat);
    void cheat.run();
    const glb = await sceneToGlb(cornellBox());
    const job = await c.submit({ data: glb, name: 'cornell.glb' }, { profile: 'economy' });
    while ((await c.job(job.id)).attempts < 1 || (await c.job(job.id)).state === 'running') await sleep(50);
    cheat.stop();
    const honest = new FarmWorker('honest', link, defaultExecutors(), tempDir('ote-farm-honest-'));
    workers.push(honest);
    void honest.run();
    const t0 = Date.now();
    const end = await c.follow(job.id);
    console.log(`  honest attempt with the farm's verification: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.is(end.state, 'completed', end.reason);
    const done = await c.job(job.id);
    assert.is(done.attempts, 2, 'the turned-down attempt, then the honest one');
    assert.is(done.verdict, 'accepted');

    const reps = (await c.workers()) as { workers: { id: string; reputation?: number; invalid?: number }[] };
    const rep = (id: string) => reps.workers.find((w) => w.id === id)!;
    assert.is(rep('cheat').invalid, 1);
    assert.ok(rep('cheat').reputation! < 0.2, String(rep('cheat').reputation));
    assert.ok(rep('honest').reputation! > 0.6, String(rep('honest').reputation));

    // The certificate is the farm engine's, for exactly the scene the job returned.
    const scene = await c.artifact(job.id, 'scene.glb');
    const cert = JSON.parse(new TextDecoder().decode(await c.artifact(job.id, 'certificate.json'))) as Certificate;
    const keys = (await (await fetch(`${farm.url}/v1/farm-key`)).json()) as { farmKey: string; engineKey: string };
    const farmKey = keys.farmKey;
    assert.equal(verifyCertificate(cert, ed25519Verify, { engineKey: keys.engineKey }).problems, []);
    assert.is.not(cert.engineKey, farmKey, 'the engine signs certificates, the farm signs provenance');
    assert.is(cert.job.artifactHash, sha256Hex(scene));
    const record = JSON.parse(new TextDecoder().decode(await c.artifact(job.id, 'provenance.json'))) as Provenance;
    assert.is(verifyProvenance(record, { farmKey }).ok, true);
    assert.is(record.producedBy.worker, 'honest');
    const certBytes = await c.artifact(job.id, 'certificate.json');
    assert.equal(record.certificate, { sha256: sha256Hex(certBytes), verdict: 'accepted' });
  } finally {
    for (const w of workers) w.stop();
    await farm.close();
  }
});

test.run();
