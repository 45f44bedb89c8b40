/** Measure: flattens the scene's instances and measures every triangle (area, screen size) with the native kernels. */
import { measureTriangles } from '../../native/measure.js';
import { flattenScene } from '../../scene/flatten.js';
import { nativeDevice } from '../devices.js';
import { defineStage } from '../stage.js';

export const measureStage = defineStage({
  name: 'measure',
  needs: ['scene'],
  produces: ['flat', 'measured'],
  device: nativeDevice,
  async run({ scene }, ctx) {
    const flat = flattenScene(scene);
    const measured = await measureTriangles(flat, {
      signal: ctx.signal,
      backend: ctx.options.backend,
      onProgress: (f) => ctx.progress(f),
    });
    return { flat, measured };
  },
});
