/**
 * The hybrid verification blob (io/hybrid-artifact.ts): both parts come back byte for byte, and every malformed
 * header is refused with its field named, before any part is read.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeHybridArtifact, encodeHybridArtifact, isHybridArtifact } from '../../src/io/hybrid-artifact.js';

const glb = Uint8Array.from({ length: 37 }, (_, i) => (i * 7) & 255),
  splats = Uint8Array.from({ length: 11 }, (_, i) => 200 - i);

function refused(bytes: Uint8Array, field: string, why: RegExp) {
  try {
    decodeHybridArtifact(bytes, 'job 12');
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`^job 12: ${field}: decodeHybridArtifact: `));
    assert.match((e as Error).message, why);
    return;
  }
  assert.unreachable(`accepted a blob with a bad ${field}`);
}

test('round trip: the GLB and the splats come back unchanged', () => {
  const blob = encodeHybridArtifact({ glb, splats });
  assert.ok(isHybridArtifact(blob));
  assert.not.ok(isHybridArtifact(glb));
  const back = decodeHybridArtifact(blob);
  assert.equal([...back.glb], [...glb]);
  assert.equal([...back.splats], [...splats]);
  // A view into a larger buffer decodes the same.
  const padded = new Uint8Array(blob.length + 8);
  padded.set(blob, 5);
  assert.equal([...decodeHybridArtifact(padded.subarray(5, 5 + blob.length)).splats], [...splats]);
});

test('malformed blobs are refused with the field named', () => {
  const blob = encodeHybridArtifact({ glb, splats });
  refused(blob.subarray(0, 10), 'header', /10 bytes/);
  const magic = blob.slice();
  magic[0] ^= 1;
  refused(magic, 'magic', /not "OTEH"/);
  const version = blob.slice();
  version[4] = 9;
  refused(version, 'version', /9 \(this build reads 1\)/);
  refused(blob.subarray(0, blob.length - 1), 'lengths', /GLB 37 \+ splats 11 bytes/);
  refused(encodeHybridArtifact({ glb, splats: new Uint8Array(0) }), 'splats', /empty/);
});

test.run();
