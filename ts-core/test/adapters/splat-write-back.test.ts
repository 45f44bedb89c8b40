/**
 * The run's splats in each engine's frame (adapters/splat-write-back.ts): every Gaussian keeps its place, its
 * ellipsoid and its colour from every direction, read in the engine's axes and units; and the objects the splats
 * replace are those with no mesh left in the optimized scene.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EngineFrame, fromGltfVector, UNITY_FRAME, UNREAL_FRAME } from '../../src/adapters/engine-frame.js';
import { planSplatWriteBack, shBasis, splatsToEngineFrame } from '../../src/adapters/splat-write-back.js';
import { createModel, type GaussianModel, shCoeffs } from '../../src/scene/gaussians.js';
import type { Scene } from '../../src/scene/types.js';
import { Rng } from '../../src/util/rng.js';

function randomModel(n: number, degree: number): GaussianModel {
  const rng = new Rng('splat-write-back');
  const m = createModel(n, degree);
  for (let i = 0; i < 3 * n; i++) m.means[i] = rng.next() * 20 - 10;
  for (let i = 0; i < 3 * n; i++) m.logScales[i] = Math.log(0.01 + rng.next() * 0.5);
  for (let i = 0; i < 4 * n; i++) m.quats[i] = rng.next() * 2 - 1;
  for (let i = 0; i < n; i++) m.opacity[i] = rng.next() * 4 - 2;
  for (let i = 0; i < m.sh.length; i++) m.sh[i] = rng.next() - 0.5;
  return m;
}

/** Σ = R·diag(s²)·Rᵀ of Gaussian i, row-major. */
function covariance(m: GaussianModel, i: number): number[] {
  let [w, x, y, z] = m.quats.subarray(4 * i, 4 * i + 4);
  const l = Math.hypot(w, x, y, z);
  [w, x, y, z] = [w / l, x / l, y / l, z / l];
  const R = [
    [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
  ];
  const s2 = [0, 1, 2].map((a) => Math.exp(2 * m.logScales[3 * i + a]));
  const out: number[] = [];
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++)
      out.push(R[r][0] * s2[0] * R[c][0] + R[r][1] * s2[1] * R[c][1] + R[r][2] * s2[2] * R[c][2]);
  return out;
}

/** Colour channel `ch` of Gaussian i seen along unit direction d (before the renderer's 0.5 offset and clamp). */
function colour(m: GaussianModel, i: number, ch: number, d: number[]): number {
  const K = shCoeffs(m.shDegree),
    b = shBasis(m.shDegree, d[0], d[1], d[2]);
  let v = 0;
  for (let k = 0; k < K; k++) v += b[k] * m.sh[3 * K * i + 3 * k + ch];
  return v;
}

for (const frame of [UNITY_FRAME, UNREAL_FRAME] as EngineFrame[])
  test(`${frame.name}: each Gaussian keeps its place, its ellipsoid and its colour from every direction`, () => {
    const g = randomModel(200, 3);
    const e = splatsToEngineFrame(g, frame);
    // A model trained antialiased stays marked (the engine's renderer must draw it so); a classic one stays classic.
    assert.is(e.antialiased, undefined);
    assert.is(splatsToEngineFrame({ ...g, antialiased: true }, frame).antialiased, true);
    const k = 1 / frame.metersPerUnit,
      m = frame.m;
    const rng = new Rng('directions');
    for (let i = 0; i < g.count; i++) {
      const p = fromGltfVector(frame, g.means.subarray(3 * i, 3 * i + 3), k);
      for (let a = 0; a < 3; a++) assert.ok(Math.abs(e.means[3 * i + a] - p[a]) < 1e-3 * k, `mean ${i}`);
      // Σ′ = Mᵀ·Σ·M · k²: the same ellipsoid in the engine's axes and units.
      const s = covariance(g, i),
        s2 = covariance(e, i);
      for (let r = 0; r < 3; r++)
        for (let c = 0; c < 3; c++) {
          let want = 0;
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) want += m[a][r] * s[3 * a + b] * m[b][c];
          want *= k * k;
          // Float32 storage: within 1e-5 of the ellipsoid's largest axis².
          const norm = k * k * Math.max(s[0], s[4], s[8]);
          assert.ok(Math.abs(s2[3 * r + c] - want) < 1e-5 * norm, `Σ ${i} [${r}][${c}]: ${s2[3 * r + c]} vs ${want}`);
        }
      // Its colour along an engine direction d′ is the original's along M·d′.
      for (let t = 0; t < 4; t++) {
        const u = 2 * rng.next() - 1,
          phi = 2 * Math.PI * rng.next(),
          r = Math.sqrt(1 - u * u);
        const d = [r * Math.cos(phi), r * Math.sin(phi), u];
        const gd = [0, 1, 2].map((a) => m[a][0] * d[0] + m[a][1] * d[1] + m[a][2] * d[2]);
        for (let ch = 0; ch < 3; ch++)
          assert.ok(Math.abs(colour(e, i, ch, d) - colour(g, i, ch, gd)) < 1e-4, `colour ${i}/${ch}`);
      }
      assert.is(e.opacity[i], g.opacity[i]);
    }
    // A frame that mirrors (both engines') still gives proper rotations: unit quaternions, det +1.
    assert.ok([...e.quats].every(Number.isFinite));
  });

test('the objects the splats replace are those with no mesh node left; the others keep theirs', () => {
  const result = {
    nodes: [
      { name: 'Floor', mesh: 0 },
      { name: 'Fern', mesh: undefined },
      { name: 'Hedge (lightmap part 1)', mesh: 1 },
    ],
  } as unknown as Scene;
  const plan = planSplatWriteBack(
    randomModel(4, 0),
    result,
    { objects: [{ path: 'Floor' }, { path: 'Fern' }, { path: 'Pine' }] },
    UNITY_FRAME,
  );
  assert.equal(plan.replaced, ['Fern', 'Pine']);
  assert.is(plan.model.count, 4);
});

test.run();
