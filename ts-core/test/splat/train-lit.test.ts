/**
 * Training against the lit scene: targets are the ray-traced preview renderer's shaded images of the example
 * hero object (textures are not in those renders, so the direct conversion starts far off: its colours are the
 * textures'). 16 views around the object, 300 iterations on the CPU, >= 28 dB on 2 held-out views.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { heroObject } from '../../../examples/generators/index.js';
import type { FloatImage } from '../../src/image/float-image.js';
import { decodeSceneTextures } from '../../src/io/textures.js';
import { renderSplats } from '../../src/native/splat.js';
import { renderView, sceneBvh } from '../../src/render/render-view.js';
import { sceneBounds } from '../../src/scene/bounds.js';
import type { View } from '../../src/scene/view.js';
import { splatCamera } from '../../src/native/splat-camera.js';
import { convertScene } from '../../src/splat/convert.js';
import { placeCameras, trainSplats, type TrainingView } from '../../src/splat/train.js';

const psnr = (a: FloatImage, b: FloatImage) => {
  let e = 0;
  for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) e += (a.data[i] - b.data[i]) ** 2;
  return 10 * Math.log10(1 / (e / (a.width * a.height * 3)));
};

test('training against lit renders reaches 28 dB on held-out views', async () => {
  const scene = heroObject({ scale: 1 });
  const { textures } = await decodeSceneTextures(scene);
  const bounds = sceneBounds(scene),
    W = 96;
  const bvh = await sceneBvh(scene);
  const lit = async (views: View[]): Promise<TrainingView[]> => {
    const out: TrainingView[] = [];
    for (const view of views)
      out.push({
        view,
        target: await renderView(scene, view, {
          mode: 'shaded',
          spp: 4,
          bvh,
          background: [0, 0, 0, 1],
          seed: 1,
          backend: 'cpu',
        }),
      });
    return out;
  };
  const train = await lit(placeCameras(bounds, { count: 16, width: W, height: W, seed: 'train' }));
  const held = await lit(placeCameras(bounds, { count: 2, width: W, height: W, seed: 'held' }));
  const init = convertScene(scene, { budget: 5000, textures, seed: 2 });
  const score = async (m: typeof init) => {
    let s = 0;
    for (const v of held) s += psnr((await renderSplats(m, splatCamera(v.view), { backend: 'cpu' })).image, v.target);
    return s / held.length;
  };
  const before = await score(init);
  const res = await trainSplats(init, train, {
    iterations: 300,
    shDegree: 1,
    maxGaussians: 20000,
    densifyEvery: 50,
    backend: 'cpu',
  });
  const after = await score(res.model);
  assert.ok(before < 20, `conversion already matches the lit renders (${before.toFixed(2)} dB)`);
  assert.ok(after >= 28, `held-out PSNR ${after.toFixed(2)} dB after training (from ${before.toFixed(2)})`);
});

test.run();
