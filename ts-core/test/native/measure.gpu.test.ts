/** On a machine with a CUDA device: the CUDA path agrees with the CPU path (npm run test:gpu). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { atrium } from '../../../examples/generators/atrium.js';
import { foliageField } from '../../../examples/generators/foliage.js';
import { nativeInfo } from '../../src/native/addon.js';
import { measureTriangles } from '../../src/native/measure.js';
import { flattenScene } from '../../src/scene/flatten.js';

// Tolerance: per-triangle values use the same float math on both sides (fma contraction may differ): 1e-5 relative.
const REL = 1e-5;

test('a CUDA device is present', () => {
  const info = nativeInfo();
  assert.ok(info.cudaCompiled, 'addon built without CUDA');
  assert.ok(info.devices.length > 0, `no device: ${info.cudaUnavailableReason}`);
});

for (const [name, scene] of [
  ['atrium x4', atrium({ scale: 4 })],
  ['foliage x10', foliageField({ scale: 10 })],
] as const) {
  test(`${name}: CUDA and CPU agree within ${REL} relative`, async () => {
    const flat = flattenScene(scene);
    const cpu = await measureTriangles(flat, { backend: 'cpu', perTriangle: true });
    const gpu = await measureTriangles(flat, { backend: 'cuda', perTriangle: true });
    assert.is(gpu.backend, 'cuda');
    assert.is(gpu.degenerateCount, cpu.degenerateCount);
    assert.ok(Math.abs(gpu.totalArea - cpu.totalArea) <= REL * cpu.totalArea);
    for (let i = 0; i < cpu.triangleArea!.length; i++)
      assert.ok(
        Math.abs(gpu.triangleArea![i] - cpu.triangleArea![i]) <= REL * Math.max(1e-12, cpu.triangleArea![i]),
        `triangle ${i}`,
      );
    for (let i = 0; i < 6; i++)
      assert.ok(Math.abs(gpu.sceneBounds[i] - cpu.sceneBounds[i]) <= REL * Math.max(1, Math.abs(cpu.sceneBounds[i])));
  });
}

test.run();
