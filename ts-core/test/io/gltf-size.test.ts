/** The input's size for the report: a .glb is its bytes; a .gltf adds the files its buffers and images reference. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gltfSceneBytes } from '../../src/io/gltf-size.js';
import { tempDir } from '../helpers.js';

test('a .gltf counts its JSON and each referenced file once; data: URIs, URLs and missing files add nothing', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'tex'));
  writeFileSync(join(dir, 'mesh data.bin'), new Uint8Array(1000));
  writeFileSync(join(dir, 'tex', 'a.png'), new Uint8Array(300));
  const json = JSON.stringify({
    asset: { version: '2.0' },
    buffers: [{ uri: 'mesh%20data.bin', byteLength: 1000 }, { uri: 'data:application/octet-stream;base64,AAAA' }],
    images: [{ uri: 'tex/a.png' }, { uri: 'tex/a.png' }, { uri: 'https://example.com/b.png' }, { uri: 'gone.png' }],
  });
  const bytes = new TextEncoder().encode(json);
  writeFileSync(join(dir, 'scene.gltf'), bytes);
  assert.is(await gltfSceneBytes(join(dir, 'scene.gltf'), bytes), bytes.length + 1000 + 300);
  // A .glb (or anything that is not JSON) is its own bytes.
  const glb = new Uint8Array([0x67, 0x6c, 0x54, 0x46, 2, 0, 0, 0]);
  assert.is(await gltfSceneBytes(join(dir, 'x.glb'), glb), 8);
});

test.run();
