/**
 * Validation lives in the C++ API (ote/options.h, bake/options.h, bake/packed.h); bindings forward its message.
 * A bad field reaches JavaScript as an error naming the call, the argument and the field, and the value.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { addon } from '../../src/native/addon.js';
import { bakeLightmapsNative, generateLightmapUvsNative } from '../../src/native/bake.js';
import { PACKED_LIGHT, PACKED_MATERIAL, PACKED_SKY } from '../../src/native/layouts.js';
import { bakeInputs } from '../../src/native/transport-inputs.js';

async function rejects(p: () => Promise<unknown>, re: RegExp) {
  try {
    await p();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected an error matching ${re}`);
}

const { flat, inputs } = bakeInputs(cornellBox(), undefined);

test('an option out of range names itself and the value (noiseThreshold is [0, 1], as in TypeScript)', async () => {
  await rejects(
    () => bakeLightmapsNative(flat, inputs, { noiseThreshold: 2 }),
    /^bakeLightmaps: options\.noiseThreshold must be a number in \[0, 1\], got 2$/,
  );
  await rejects(
    () => bakeLightmapsNative(flat, inputs, { samples: 0 }),
    /bakeLightmaps: options\.samples must be a number in \[1, 1048576\], got 0/,
  );
  await rejects(
    () => bakeLightmapsNative(flat, inputs, { bounces: 65 }),
    /bakeLightmaps: options\.bounces must be a number in \[0, 64\], got 65/,
  );
});

test('a bad field of a packed record names the record, its index and the field', async () => {
  const materials = inputs.materials.slice();
  materials[PACKED_MATERIAL.size + PACKED_MATERIAL.offset.metallic] = 2;
  await rejects(
    () => bakeLightmapsNative(flat, { ...inputs, materials }),
    /^bakeLightmaps: inputs\.materials\[1\]\.metallic must be a number in \[0, 1\], got 2$/,
  );
  const mode = inputs.materials.slice();
  mode[PACKED_MATERIAL.offset.alphaMode] = 4;
  await rejects(
    () => bakeLightmapsNative(flat, { ...inputs, materials: mode }),
    /inputs\.materials\[0\]\.alphaMode must be 0 \(OPAQUE\), 1 \(MASK\) or 2 \(BLEND\), got 4/,
  );
  const lights = new Float32Array(PACKED_LIGHT.size);
  lights[PACKED_LIGHT.offset.type] = 7;
  await rejects(
    () => bakeLightmapsNative(flat, { ...inputs, lights }),
    /inputs\.lights\[0\]\.type must be 0 \(directional\), 1 \(point\) or 2 \(spot\), got 7/,
  );
  const sky = new Float32Array(PACKED_SKY.size);
  sky[PACKED_SKY.offset.type] = 1;
  sky[PACKED_SKY.offset.zenith + 1] = -1;
  await rejects(
    () => bakeLightmapsNative(flat, { ...inputs, sky }),
    /inputs\.sky\.zenith must be finite and >= 0, got -1 in component 1/,
  );
  await rejects(
    () => bakeLightmapsNative(flat, { ...inputs, materials: inputs.materials.subarray(1) }),
    /inputs\.materials length \d+ is not a multiple of 33/,
  );
});

test('the preview renderer reads the same records through the same checks', async () => {
  const materials = inputs.materials.slice();
  materials[PACKED_MATERIAL.offset.baseColorTexture + 0] = 3;
  const bvh = await addon().createSceneBvh(flat, {}).promise;
  const params = {
    cameraToWorld: new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 4, 1]),
    yfov: 0.8,
    width: 4,
    height: 4,
    znear: 0.01,
    zfar: 100,
    mode: 0,
    spp: 1,
    aoSamples: 0,
    aoDistance: 1,
    seed: 0,
  };
  try {
    assert.throws(
      () => addon().renderView(bvh.handle, params, { surface: { materials } }, new Float32Array(64), {}),
      /renderView: materials\.surface\.materials\[0\]\.baseColorTexture\.texture must be -1 or a texture of the table \(0\), got 3/,
    );
    // The renderer's own params: ranges from its option table, the rest from check_render_params.
    const render = (p: object) => () =>
      addon().renderView(bvh.handle, { ...params, ...p }, {}, new Float32Array(64), {});
    assert.throws(render({ width: 0 }), /^renderView: params\.width must be an integer in \[1, 32768\], got 0$/);
    assert.throws(render({ spp: 0 }), /^renderView: params\.spp must be an integer in \[1, 1048576\], got 0$/);
    assert.throws(render({ mode: 7 }), /^renderView: params\.mode must be 0 \(albedo\).*got 7$/);
    assert.throws(render({ znear: 5, zfar: 1 }), /params\.znear and zfar must satisfy 0 <= znear < zfar, got 5 and 1/);
    assert.throws(
      render({ sunDirection: new Float32Array(3) }),
      /params\.sunDirection must be a finite, non-zero vector/,
    );
  } finally {
    addon().disposeSceneBvh(bvh.handle);
  }
});

test('lightmap UV options and inputs: the core says what is wrong', async () => {
  const input = {
    positions: new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]),
    indices: new Uint32Array([0, 1, 2]),
    objectFirstTriangle: new Uint32Array([0, 1]),
    objectTexelsPerMeter: new Float32Array([8]),
  };
  await rejects(
    () => generateLightmapUvsNative(input, { pageSize: 8 }),
    /generateLightmapUvs: options\.pageSize must be an integer in \[16, 16384\], got 8/,
  );
  await rejects(
    () => generateLightmapUvsNative(input, { maxConeDegrees: 89 }),
    /options\.maxConeDegrees must be a number in \(1, 89\), got 89/,
  );
  await rejects(
    () => generateLightmapUvsNative({ ...input, indices: new Uint32Array([0, 1, 3]) }),
    /generateLightmapUvs: input\.indices\[2\] is out of range/,
  );
  await rejects(
    () => generateLightmapUvsNative({ ...input, objectTexelsPerMeter: new Float32Array([0]) }),
    /input\.objectTexelsPerMeter\[0\] must be a positive number/,
  );
});

test('the splat API checks its model, camera and Adam inputs; the binding forwards the message', async () => {
  const { createModel } = await import('../../src/scene/gaussians.js');
  const { renderSplats, splatTrainStep, createAdam, createGrads } = await import('../../src/native/splat.js');
  const { splatCamera } = await import('../../src/native/splat-camera.js');
  const { lookAt } = await import('../../src/scene/view.js');
  const model = createModel(4, 1);
  const view = { cameraToWorld: lookAt([0, 0, 5], [0, 0, 0]), yfov: 0.8, width: 16, height: 16, znear: 0.1, zfar: 100 };
  const cam = splatCamera(view);
  await rejects(
    () => renderSplats(model, { ...cam, width: 0 }),
    /^splatRender: camera\.width must be an integer in \[1, 16384\], got 0$/,
  );
  await rejects(
    () => renderSplats(model, { ...cam, znear: 200 }),
    /^splatRender: camera needs 0 < znear < zfar, got znear 200, zfar 100$/,
  );
  const lr = { means: -1, scales: 0.005, quats: 0.001, opacity: 0.05, shDc: 0.0025, shRest: 0.000125 };
  await rejects(
    () => splatTrainStep(model, cam, new Float32Array(3 * 16 * 16), createAdam(model), lr, createGrads(model)),
    /^splatTrainStep: adam\.lrMeans must be a finite number >= 0, got -1$/,
  );
  // The same inputs with a valid rate train.
  const r = await splatTrainStep(
    model,
    cam,
    new Float32Array(3 * 16 * 16),
    createAdam(model),
    { ...lr, means: 0.00016 },
    createGrads(model),
  );
  assert.ok(Number.isFinite(r.loss));
});

test('a flat scene is checked once, by the core, for every kernel that reads it', async () => {
  const bad = {
    positions: new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]),
    indices: new Uint32Array([0, 1, 99]),
    meshFirstTriangle: new Uint32Array([0, 1]),
    instanceMesh: new Uint32Array([0]),
    instanceTransforms: new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
  };
  const message = /scene\.indices\[2\] is out of range: 99 >= the vertex count 3$/;
  assert.throws(
    () => addon().createSceneBvh(bad as never, {}),
    (e: Error) => /^createSceneBvh: /.test(e.message) && message.test(e.message),
  );
  assert.throws(
    () => addon().measureTriangles(bad as never, {} as never, {}),
    (e: Error) => /^measureTriangles: /.test(e.message) && message.test(e.message),
  );
});

test('the metrics core names what it refuses; the binding forwards it', async () => {
  const { computeImageMetricsNative } = await import('../../src/native/metrics.js');
  const img = (w: number, h: number) => ({
    data: new Uint8Array(w * h * 4).fill(128),
    width: w,
    height: h,
    channels: 4 as const,
  });
  await rejects(
    () => computeImageMetricsNative(img(16, 16), img(16, 16), { flip: true, ppd: 0 }),
    /^computeImageMetrics: options\.ppd must be a positive number, got 0$/,
  );
  await rejects(
    () => computeImageMetricsNative(img(16, 16), img(8, 16), { psnr: true, ssimRgb: false, ssimLuma: false }),
    /^computeImageMetrics: sizes differ: reference is 16x16, test is 8x16$/,
  );
  await rejects(
    () => computeImageMetricsNative(img(8, 8), img(8, 8)),
    /^computeImageMetrics: SSIM needs images of at least 11x11 pixels, got 8x8$/,
  );
});

test.run();
