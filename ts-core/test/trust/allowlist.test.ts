/**
 * Node allow-listing with real processes: `ote trust node --print-key` gives the key an operator lists, an engine
 * started with `--allow-node` (and `--allow-nodes FILE`) admits exactly those nodes, and a node that is not listed
 * is refused with an error that says so and exits instead of retrying.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OTE_BIN, startEmbeddedTrust, type EmbeddedTrust } from '../../src/trust/embedded.js';
import { tempDir } from '../helpers.js';

const dir = tempDir('ote-trust-allow-');
let trust: EmbeddedTrust | undefined;

const printKey = (keyFile: string) => {
  const r = spawnSync(process.execPath, [OTE_BIN, 'trust', 'node', '--print-key', '--key', keyFile], {
    encoding: 'utf8',
  });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim();
};

test.after(async () => {
  await trust?.stop();
});

test('--print-key prints the node key and keeps it', () => {
  const k = printKey(join(dir, 'node-0.key'));
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.is(printKey(join(dir, 'node-0.key')), k, 'the same key file gives the same key');
  assert.is.not(printKey(join(dir, 'other.key')), k);
});

test('an allow-listed engine admits the listed nodes and refuses others with a clear error', async () => {
  const k0 = printKey(join(dir, 'node-0.key')),
    k1 = printKey(join(dir, 'node-1.key'));
  const listFile = join(dir, 'allowed.txt');
  writeFileSync(listFile, `# verifier nodes of the render farm\n${k1}\n\n`);
  trust = await startEmbeddedTrust({
    dataDir: dir,
    nodes: 0,
    serveArgs: ['--allow-node', k0, '--allow-nodes', listFile],
  });
  trust.addNode([], 0);
  trust.addNode([], 1);
  await trust.waitForNodes(2, 20_000);

  // A third identity, not listed: refused at authentication, and the process exits with the reason.
  const outsider = spawn(
    process.execPath,
    [OTE_BIN, 'trust', 'node', '--engine', trust.url, '--key', join(dir, 'outsider.key')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  outsider.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => {
      outsider.kill('SIGKILL');
      resolve(null);
    }, 20_000);
    outsider.once('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  assert.is(code, 2, `the refused node exits (stderr: ${stderr})`);
  assert.match(stderr, /not on this engine's allow-list/);

  const client = trust.client();
  try {
    const info = await client.info();
    const keys = (info.nodes as { key: string; connected: boolean }[])
      .filter((n) => n.connected)
      .map((n) => n.key)
      .sort();
    assert.equal(keys, [k0, k1].sort(), 'only the listed nodes are connected');
    assert.is(info.allowList, 2);
  } finally {
    client.close();
  }
});

test("an engine that cannot start: the embedded launcher says why, in the engine's own words", async () => {
  const err = await startEmbeddedTrust({ dataDir: join(dir, 'bad'), nodes: 0, serveArgs: ['--quorum', 'nope'] }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, 'the start must fail');
  assert.match(
    err!.message,
    /trust engine exited with status 2 while starting; its last words: .*--quorum must be an integer/,
  );
});

test('a malformed allow-list entry is a usage error naming the file and line', () => {
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, 'not-a-key\n');
  const r = spawnSync(
    process.execPath,
    [OTE_BIN, 'trust', 'serve', '--data', join(dir, 'other'), '--allow-nodes', bad],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.is(r.status, 2);
  assert.match(r.stderr, /bad\.txt:1: "not-a-key" is not a node public key/);
});

test.run();
