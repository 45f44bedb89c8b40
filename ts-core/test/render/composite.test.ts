/** Depth compositing of splats over meshes, on synthetic 2×2 images whose every pixel is a different case. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compositeByDepth, compositeSplatLayer } from '../../src/render/composite.js';
import { toDisplayValue } from '../../src/image/float-image.js';

const img = (px: number[][]) => ({ width: 2, height: 2, data: Float32Array.from(px.flat()) });
const close = (a: ArrayLike<number>, b: number[], msg: string) =>
  assert.ok(
    Array.from(a).every((v, i) => Math.abs(v - b[i]) < 1e-6),
    `${msg}: got ${Array.from(a).join(', ')}, want ${b.join(', ')}`,
  );

test('splats in front blend over the mesh, splats behind are hidden, background never hides', () => {
  // Mesh: red, opaque, depth 5 in pixels 0..2; pixel 3 sees nothing.
  const mesh = {
    image: img([
      [1, 0, 0, 1],
      [1, 0, 0, 1],
      [1, 0, 0, 1],
      [0, 0, 0, 0],
    ]),
    depth: Float32Array.of(5, 5, 5, 0),
  };
  // Splats: green at half coverage (premultiplied 0.5), in front (2), behind (8), absent, and over the background.
  const splats = {
    image: img([
      [0, 0.5, 0, 0.5],
      [0, 0.5, 0, 0.5],
      [0, 0, 0, 0],
      [0, 0.5, 0, 0.5],
    ]),
    depth: Float32Array.of(2, 8, 0, 3),
  };
  const out = compositeByDepth(mesh, splats);
  close(out.data.subarray(0, 4), [0.5, 0.5, 0, 1], 'in front: splat + (1 − α)·mesh');
  close(out.data.subarray(4, 8), [1, 0, 0, 1], 'behind: mesh only');
  close(out.data.subarray(8, 12), [1, 0, 0, 1], 'no splat: mesh');
  close(out.data.subarray(12, 16), [0, 0.5, 0, 0.5], 'no mesh: splat over the background, its coverage kept');
});

test('the inputs are not modified and mismatched sizes are refused with both sizes named', () => {
  const mesh = {
    image: img([
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ]),
    depth: new Float32Array(4).fill(1),
  };
  const splats = {
    image: img([
      [0.2, 0.2, 0.2, 0.2],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]),
    depth: new Float32Array(4).fill(0.5),
  };
  const before = Array.from(mesh.image.data);
  compositeByDepth(mesh, splats);
  assert.equal(Array.from(mesh.image.data), before);
  assert.throws(
    () =>
      compositeByDepth(mesh, {
        image: { width: 1, height: 4, data: new Float32Array(16) },
        depth: new Float32Array(4),
      }),
    /2x2 but splats are 1x4/,
  );
  assert.throws(() => compositeByDepth(mesh, { ...splats, depth: new Float32Array(3) }), /must have 4 values/);
});

test('a splat layer trained on display values of coverage × radiance mixes with the mesh behind it as light does', () => {
  // A dark leaf (linear radiance L) half covers a sunlit tan ground (G), as the path tracer averages it: cov·L +
  // (1 − cov)·G. The splats were trained on the display value of cov·L over black (float-image.ts toDisplayImage),
  // which is what the layer holds. Decoded and laid over the ground in linear light, the pixel is the path tracer's.
  const exposure = 0.7,
    cov = 0.5,
    L = [0.004, 0.06, 0.003],
    G = [0.5, 0.42, 0.28];
  const layer = [...L.map((l) => toDisplayValue(cov * l, exposure)), cov];
  const mesh = { image: { width: 1, height: 1, data: Float32Array.of(...G, 1) }, depth: Float32Array.of(10) };
  const splats = { image: { width: 1, height: 1, data: Float32Array.from(layer) }, depth: Float32Array.of(2) };
  const out = compositeSplatLayer(mesh, splats, exposure).data;
  for (let c = 0; c < 3; c++) {
    const want = cov * L[c] + (1 - cov) * G[c];
    assert.ok(Math.abs(out[c] - want) < 1e-4 * want + 1e-6, `channel ${c}: ${out[c]} against ${want}`);
    // Blended over the ground's displayed value instead (a three.js canvas), the pixel shows darker: by more than
    // a tenth in display value on the tan ground's red.
    const displayBlend = layer[c] + (1 - cov) * toDisplayValue(G[c], exposure);
    if (c === 0) assert.ok(toDisplayValue(want, exposure) - displayBlend > 0.1, `display blend ${displayBlend}`);
  }
  assert.equal(out[3], 1);
  // Behind the mesh the layer is hidden, whatever it holds.
  const behind = compositeSplatLayer(mesh, { ...splats, depth: Float32Array.of(20) }, exposure).data;
  assert.equal(Array.from(behind), [...Float32Array.of(...G, 1)]);
});

test.run();
