/**
 * A converted Gaussian's footprint (splat/footprint.ts): round where the surface goes on, narrowed across an end
 * within its reach and stretched along it, whether the end is a mesh border or an alpha-tested edge.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fitFootprint } from '../../src/splat/footprint.js';

// A large triangle in z = 0 (no border near the probes unless flagged), with the tangent along x.
const corners: [number[], number[], number[]] = [
  [-10, -10, 0],
  [10, -10, 0],
  [0, 10, 0],
];
const frame = { tan: [1, 0, 0], bit: [0, 1, 0] };

test('fitFootprint: a disc where nothing ends within two standard deviations', () => {
  const f = fitFootprint({ p: [0, 0, 0], corners, ...frame, sigma: 0.1, border: [0, 0, 0] });
  assert.is(f.major, 0.1);
  assert.is(f.minor, 0.1);
});

test('fitFootprint: a strip 0.18 wide (alpha): narrow across it, stretched along it, the area kept', () => {
  const sigma = 0.1;
  // Drawn where |y| < 0.09: the strip runs along x. In barycentric terms, y = -10 + 20 w2.
  const kept = (w: number[]) => Math.abs(-10 + 20 * w[2]) < 0.09;
  const f = fitFootprint({ p: [0, 0, 0], corners, ...frame, sigma, border: [0, 0, 0], kept });
  // The edge is found between two probes (0.075 and 0.1 here) and put half-way.
  assert.ok(2 * f.minor <= 0.0875 + 1e-9, `two sigma across (${2 * f.minor}) reach past the strip's edge`);
  assert.ok(Math.abs(f.axis[0]) > 0.99, `long axis ${f.axis} not along the strip`);
  assert.ok(Math.abs(f.major * f.minor - sigma * sigma) < 1e-9, 'the disc area is kept');
  assert.ok(f.major <= 3 * sigma);
});

test('fitFootprint: an open mesh border narrows the footprint across it; a shared edge does not', () => {
  // The triangle's edge 0 (corner 0 to 1) is y = -10; a Gaussian 0.05 from it.
  const p = [0, -9.95, 0];
  const open = fitFootprint({ p, corners, ...frame, sigma: 0.1, border: [1, 0, 0] });
  assert.ok(open.minor < 0.1 && open.major > 0.1 && Math.abs(open.axis[0]) > 0.99, `${JSON.stringify(open)}`);
  const shared = fitFootprint({ p, corners, ...frame, sigma: 0.1, border: [0, 0, 0] });
  assert.is(shared.minor, 0.1);
});

test.run();
