/**
 * The training step's Adam is sparse: a Gaussian the step's view does not see (screen radius 0) keeps its
 * parameters and both moments bit for bit, even with momentum left from earlier views, while the ones it sees move.
 * Dense Adam would move the unseen ones by their stale momentum.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adamBlockOffset } from '../../src/native/layouts.js';
import { createAdam, createGrads, splatTrainStep } from '../../src/native/splat.js';
import { splatCamera } from '../../src/native/splat-camera.js';
import { shCoeffs } from '../../src/scene/gaussians.js';
import { Rng } from '../../src/util/rng.js';
import { orbitView, randomModel } from './fixtures.js';

test('Gaussians outside the view keep their parameters and Adam moments; the seen ones move', async () => {
  const W = 40,
    H = 32,
    view = orbitView(0.4, 0.3, 3.2, W, H),
    cam = splatCamera(view);
  const model = randomModel(120, 11, { shDegree: 1 });
  const eye = [0, 1, 2].map((k) => view.cameraToWorld[12 + k]);
  // Every third Gaussian goes behind the camera, as far behind it as the target is in front.
  for (let i = 0; i < model.count; i += 3) for (let k = 0; k < 3; k++) model.means[3 * i + k] += 2 * eye[k];
  const adam = createAdam(model);
  adam.m.fill(0.05); // momentum from earlier views
  adam.v.fill(0.01);
  adam.step = 4;
  const rng = new Rng(2),
    target = Float32Array.from({ length: 3 * W * H }, () => rng.range(0, 1)),
    grads = createGrads(model);
  const before = {
    params: [model.means, model.logScales, model.quats, model.opacity, model.sh].map((a) => a.slice()),
    m: adam.m.slice(),
    v: adam.v.slice(),
  };
  const lr = { means: 1e-3, scales: 5e-3, quats: 1e-3, opacity: 0.05, shDc: 2.5e-3, shRest: 1.25e-4 };
  await splatTrainStep(model, cam, target, adam, lr, grads, { backend: 'cpu' });

  const stride = shCoeffs(model.shDegree),
    groups = ['means', 'logScales', 'quats', 'opacity', 'sh'] as const,
    per = [3, 3, 4, 1, 3 * stride],
    after = [model.means, model.logScales, model.quats, model.opacity, model.sh];
  let unseen = 0,
    seenMoved = 0;
  for (let i = 0; i < model.count; i++) {
    let moved = false;
    groups.forEach((g, gi) => {
      const o = adamBlockOffset(g, model.count, stride);
      for (let j = per[gi] * i; j < per[gi] * (i + 1); j++)
        if (
          after[gi][j] !== before.params[gi][j] ||
          adam.m[o + j] !== before.m[o + j] ||
          adam.v[o + j] !== before.v[o + j]
        )
          moved = true;
    });
    if (grads.radii[i] === 0) {
      unseen++;
      assert.not.ok(moved, `Gaussian ${i} is not in the view but its parameters or moments changed`);
    } else if (moved) seenMoved++;
  }
  assert.ok(unseen >= model.count / 3, `${unseen} Gaussians outside the view`);
  assert.ok(seenMoved === model.count - unseen, `${seenMoved} of ${model.count - unseen} seen Gaussians moved`);
});

test.run();
