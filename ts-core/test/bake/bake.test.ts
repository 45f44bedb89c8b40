import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cornellBox } from '../../../examples/generators/index.js';
import { bakeScene, prepareBake, traceBake } from '../../src/bake/bake.js';
import { encodeExr, encodeRgbm, toHalf } from '../../src/bake/encode.js';
import { applyLightmaps } from '../../src/bake/writeback.js';
import { lightmapsFromScene } from '../../src/render/scene-lightmaps.js';
import { toRgba8, type FloatImage } from '../../src/image/float-image.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { exportGltf, sceneToGlb } from '../../src/io/gltf-write.js';
import { decodePng, encodePng } from '../../src/io/png.js';
import { renderLightmapped } from '../../src/render/lightmapped.js';
import { renderPathtraced } from '../../src/render/pathtrace.js';
import { addNode } from '../../src/scene/build.js';
import type { Scene } from '../../src/scene/types.js';
import { defaultView } from '../../src/scene/view.js';
import { oteBin, repoRoot, tempDir } from '../helpers.js';

function psnr(a: FloatImage, b: FloatImage): number {
  const x = toRgba8(a, { toneMap: 'aces' }),
    y = toRgba8(b, { toneMap: 'aces' });
  let se = 0;
  for (let i = 0; i < x.length; i++) if (i % 4 !== 3) se += (x[i] - y[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (se / ((x.length * 3) / 4)));
}

const dir = tempDir('ote-bake-');

test('cornell: lightmapped render reaches PSNR >= 30 dB against the path-traced render from the scene camera', async () => {
  const scene = cornellBox();
  const view = defaultView(scene, 64);
  // Default samples (256), 3 bounces; a lower texel density keeps the test short on 2 cores.
  const bake = await bakeScene(scene, { texelsPerMeter: 16 });
  const lm = await renderLightmapped(bake.scene, bake.layout, bake.pages, view, { spp: 16 });
  const pt = await renderPathtraced(scene, view, { spp: 512 });
  const db = psnr(pt, lm);
  assert.ok(db >= 30, `PSNR ${db.toFixed(2)} dB`);
  // And the comparison can fail: a lightmap at half brightness is far off.
  const dim = bake.pages.map((p) => ({ ...p, data: p.data.map((v, i) => (i % 4 === 3 ? v : v * 0.5)) }));
  const bad = await renderLightmapped(bake.scene, bake.layout, dim, view, { spp: 16 });
  assert.ok(psnr(pt, bad) < 25, `half-bright lightmap still scores ${psnr(pt, bad).toFixed(2)} dB`);
  // AO: open floor texels are brighter in AO than texels at the block contacts, and nothing is outside [0,1].
  for (const p of bake.pages) for (let i = 3; i < p.data.length; i += 4) assert.ok(p.data[i] >= 0 && p.data[i] <= 1);
});

test('no light leaks at wall, floor and ceiling corners or under the blocks: lights outside the closed box stay outside', async () => {
  const scene: Scene = cornellBox();
  // Lamp off; point lights just outside the left, right and back walls and above the ceiling. Nothing lit can
  // reach the interior (the open front faces away from all of them), so any light on an inward texel is a leak.
  scene.materials = scene.materials.map((m) => ({ ...m, emissiveFactor: [0, 0, 0] }));
  for (const [i, pos] of (
    [
      [-1.3, 1, 0],
      [1.3, 1, 0],
      [0, 1, -1.3],
      [0, 2.3, 0],
    ] as [number, number, number][]
  ).entries()) {
    scene.lights.push({
      name: `outside${i}`,
      type: 'point',
      color: [1, 1, 1],
      intensity: 50,
      innerConeAngle: 0,
      outerConeAngle: Math.PI / 4,
    });
    addNode(scene, { name: `outside${i}`, light: scene.lights.length - 1, translation: pos });
  }
  const bake = await bakeScene(scene, { texelsPerMeter: 24, samples: 32, denoise: false });
  let worst = 0,
    texels = 0;
  bake.pages.forEach((p, pg) => {
    for (let k = 0; k < p.width * p.height; k++) {
      if (!bake.valid[pg][k]) continue;
      texels++;
      worst = Math.max(worst, p.data[4 * k], p.data[4 * k + 1], p.data[4 * k + 2]);
    }
  });
  assert.ok(texels > 1000);
  // A texel leaking past a wall sees a 50 cd light from ~0.3 m: L ~ 50 / 0.09 / π ≈ 180.
  assert.ok(worst < 1e-3, `brightest interior texel L = ${worst}`);
});

test('deterministic: the same seed gives identical lightmaps; another seed differs', async () => {
  const scene = cornellBox();
  const a = await bakeScene(scene, { texelsPerMeter: 8, samples: 16, seed: 7 });
  const b = await bakeScene(scene, { texelsPerMeter: 8, samples: 16, seed: 7 });
  const c = await bakeScene(scene, { texelsPerMeter: 8, samples: 16, seed: 8 });
  assert.equal(
    a.pages.map((p) => Array.from(p.data)),
    b.pages.map((p) => Array.from(p.data)),
  );
  assert.not.equal(
    a.pages.map((p) => Array.from(p.data)),
    c.pages.map((p) => Array.from(p.data)),
  );
});

test('the direct part of each texel: all of it without bounces under a point light, less than all of it in a closed box with bounces', async () => {
  // A point light, which only next-event samples find (no bounce ray hits it), in a box that no ray escapes.
  const scene = cornellBox({ variant: 'point' });
  const trace = async (bounces: number) =>
    traceBake(await prepareBake(scene, { texelsPerMeter: 8, samples: 16, bounces, seed: 3 }));
  const luma = (a: ArrayLike<number>, i: number, per: number) =>
    0.2126 * a[per * i] + 0.7152 * a[per * i + 1] + 0.0722 * a[per * i + 2];
  const none = await trace(0);
  let texels = 0;
  none.pages.valid.forEach((valid, pg) => {
    for (let i = 0; i < valid.length; i++) {
      if (!valid[i]) continue;
      texels++;
      for (let c = 0; c < 3; c++)
        assert.is(
          none.pages.direct[pg][3 * i + c],
          none.pages.rgba[pg][4 * i + c],
          `texel ${i}: all found by next-event samples`,
        );
    }
  });
  assert.ok(texels > 100, `${texels} texels`);
  const three = await trace(3);
  let all = 0,
    direct = 0;
  three.pages.valid.forEach((valid, pg) => {
    for (let i = 0; i < valid.length; i++) {
      if (!valid[i]) continue;
      const d = luma(three.pages.direct[pg], i, 3),
        l = luma(three.pages.rgba[pg], i, 4);
      assert.ok(d <= l * (1 + 1e-5) + 1e-7, `texel ${i}: direct ${d} over all ${l}`);
      direct += d;
      all += l;
    }
  });
  // The box's walls light each other: bounced light is a good part of what they receive.
  assert.ok(direct < 0.85 * all && direct > 0.2 * all, `direct ${(direct / all).toFixed(3)} of all`);
});

test('world-space flattening traces the same lighting as the two-level BVH', async () => {
  const scene = cornellBox();
  const o = { texelsPerMeter: 8, samples: 32, noiseThreshold: 0, denoise: false } as const;
  const flat = await bakeScene(scene, o),
    two = await bakeScene(scene, { ...o, flattenWorld: false });
  assert.ok(flat.stats.flattened && !two.stats.flattened);
  assert.equal(flat.stats.texels, two.stats.texels);
  // Same texels and seeds; only the float rounding of the traversal differs, so the means agree closely.
  const mean = (r: typeof flat) => {
    let s = 0;
    for (const p of r.pages) for (let i = 0; i < p.data.length; i += 4) s += p.data[i] + p.data[i + 1] + p.data[i + 2];
    return s;
  };
  assert.ok(Math.abs(mean(flat) / mean(two) - 1) < 0.01, `${mean(flat)} vs ${mean(two)}`);
});

test('low-discrepancy samples: at equal samples texels are nearer a converged bake, and the lighting is the same', async () => {
  // The point light's soft shadows and its bounce light (measured: RMS error ×0.64 at 32 samples, ×0.53 at 128;
  // the area-lit box ×0.87 and ×0.75).
  const scene = cornellBox({ variant: 'point' });
  const o = { texelsPerMeter: 8, noiseThreshold: 0, denoise: false } as const;
  const truth = await bakeScene(scene, { ...o, samples: 1024, seed: 9 });
  const stratified = await bakeScene(scene, { ...o, samples: 32 }),
    random = await bakeScene(scene, { ...o, samples: 32, lowDiscrepancy: false });
  // Relative RMS error of the covered texels' luminance, and their total, against the converged bake.
  const against = (r: typeof truth) => {
    let se = 0,
      ref = 0,
      sum = 0,
      total = 0;
    r.pages.forEach((p, pg) => {
      const t = truth.pages[pg].data;
      for (let i = 0; i < p.data.length; i += 4) {
        const y = 0.2126 * p.data[i] + 0.7152 * p.data[i + 1] + 0.0722 * p.data[i + 2];
        const yt = 0.2126 * t[i] + 0.7152 * t[i + 1] + 0.0722 * t[i + 2];
        if (!(yt > 0)) continue;
        se += (y - yt) ** 2;
        ref += yt * yt;
        sum += y;
        total += yt;
      }
    });
    return { rms: Math.sqrt(se / ref), mean: sum / total };
  };
  const s = against(stratified),
    r = against(random);
  assert.ok(s.rms < 0.85 * r.rms, `relative RMS error ${r.rms.toFixed(4)} random, ${s.rms.toFixed(4)} low-discrepancy`);
  for (const [name, e] of [
    ['low-discrepancy', s],
    ['random', r],
  ] as const)
    assert.ok(Math.abs(e.mean - 1) < 0.01, `${name}: total ${e.mean.toFixed(4)} of the converged bake's`);
});

test('progressive sampling stops early where texels converged, never before minSamples', async () => {
  const scene = cornellBox();
  const full = await bakeScene(scene, { texelsPerMeter: 8, samples: 64, noiseThreshold: 0 });
  assert.is(full.stats.samplesPerTexel, 64);
  const early = await bakeScene(scene, { texelsPerMeter: 8, samples: 64, minSamples: 16, noiseThreshold: 0.2 });
  assert.ok(
    early.stats.samplesPerTexel < 64 && early.stats.samplesPerTexel >= 16,
    `${early.stats.samplesPerTexel} samples per texel`,
  );
  assert.ok(
    early.stats.rays > 0 && early.stats.texelSamples === Math.round(early.stats.samplesPerTexel * early.stats.texels),
  );
});

test('glTF out: UV1 and MOZ_lightmap {index, texCoord: 1, intensity}, read back for the lightmapped render; unlit option', async () => {
  const scene = cornellBox();
  const bake = await bakeScene(scene, { texelsPerMeter: 8, samples: 16 });
  const pages = bake.pages.map((img) => ({
    png: encodePng({
      width: img.width,
      height: img.height,
      bitDepth: 8,
      data: toRgba8({ ...img, data: img.data.map((v) => v / 2) }),
    }),
    width: img.width,
    height: img.height,
    scale: 2,
  }));
  const baked = applyLightmaps(bake.scene, bake.layout, pages);
  const path = join(dir, 'baked.glb');
  await exportGltf(baked, path);
  const glb = readFileSync(path);
  const json = JSON.parse(glb.subarray(20, 20 + glb.readUInt32LE(12)).toString('utf8'));
  assert.ok(json.extensionsUsed.includes('MOZ_lightmap'));
  const lit = json.materials.filter((m: { extensions?: Record<string, unknown> }) => m.extensions?.MOZ_lightmap);
  assert.ok(lit.length >= 4, `${lit.length} lightmapped materials`);
  for (const m of lit) {
    const ext = m.extensions.MOZ_lightmap;
    assert.is(ext.texCoord, 1);
    assert.ok(Math.abs(ext.intensity - 2 * Math.PI) < 1e-5);
  }
  assert.ok(
    json.meshes.every((m: { primitives: { attributes: Record<string, number> }[] }) =>
      m.primitives.every((p) => p.attributes.TEXCOORD_1 !== undefined),
    ),
  );
  const { scene: back } = await importGltf(path);
  const read = lightmapsFromScene(back, (t) => {
    const png = decodePng(t.image);
    return { width: png.width, height: png.height, data: Float32Array.from(png.data as Uint8Array, (v) => v / 255) };
  });
  assert.is(read.pages.length, bake.pages.length);
  assert.is(read.layout.primitivePages.size, bake.layout.primitivePages.size);
  const img = await renderLightmapped(back, read.layout, read.pages, defaultView(back, 32), { spp: 1 });
  let lum = 0;
  for (let i = 0; i < img.data.length; i += 4) lum += img.data[i];
  assert.ok(lum > 0);

  const unlit = applyLightmaps(
    bake.scene,
    bake.layout,
    pages.map((p) => ({ ...p, unlitPng: p.png })),
    { unlit: true },
  );
  const u = unlit.materials.filter((m) => m.unlit);
  assert.ok(u.length >= 4);
  assert.ok(u.some((m) => m.baseColorTexture?.texCoord === 1));
  const ub = Buffer.from(await sceneToGlb(unlit));
  const uj = JSON.parse(ub.subarray(20, 20 + ub.readUInt32LE(12)).toString('utf8'));
  assert.ok(uj.extensionsUsed.includes('KHR_materials_unlit'));
  assert.not.ok((uj.extensionsUsed as string[]).includes('MOZ_lightmap'));
});

test('encodings: half floats, EXR header and size, RGBM round trip', () => {
  assert.is(toHalf(1), 0x3c00);
  assert.is(toHalf(0.5), 0x3800);
  assert.is(toHalf(65504), 0x7bff);
  assert.is(toHalf(1e6), 0x7c00);
  assert.is(toHalf(-2), 0xc000);
  assert.is(toHalf(2 ** -24), 1); // smallest subnormal
  const img: FloatImage = { width: 3, height: 2, data: Float32Array.from({ length: 24 }, (_, i) => i / 4) };
  const exr = encodeExr(img);
  const dv = new DataView(exr.buffer, exr.byteOffset);
  assert.is(dv.getUint32(0, true), 20000630);
  assert.ok(new TextDecoder().decode(exr.subarray(0, 400)).includes('dataWindow'));
  // header + offset table (8 per line) + per line (y, size, 4 channels × 3 px × 2 bytes)
  const lines = 2 * (8 + 4 * 3 * 2);
  const headerEnd = exr.length - lines - 8 * 2;
  assert.is(Number(dv.getBigUint64(headerEnd, true)), headerEnd + 16);
  const rgbm = encodeRgbm(img, 8);
  for (let i = 0; i < 6; i++) {
    const m = (rgbm[4 * i + 3] / 255) * 8;
    for (let c = 0; c < 3; c++)
      assert.ok(Math.abs((rgbm[4 * i + c] / 255) * m - img.data[4 * i + c]) < 0.05, `texel ${i} channel ${c}`);
  }
});

test('bad input: NaN or negative light intensity, a mesh with no area, bad sample counts', async () => {
  const withLight = (intensity: number) => {
    const s = cornellBox({ variant: 'point' });
    s.lights[0] = { ...s.lights[0], intensity };
    return s;
  };
  for (const v of [NaN, -1]) {
    try {
      await bakeScene(withLight(v), { samples: 1 });
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code: string }).code, 'BAD_INPUT');
      assert.match((e as Error).message, /light "bulb" has intensity/);
    }
  }
  const flat = cornellBox();
  flat.meshes[1].primitives[0].positions.fill(0);
  try {
    await bakeScene(flat, { samples: 1 });
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, 'BAD_INPUT');
    assert.match((e as Error).message, /tall_block.*no triangle with area/);
  }
  try {
    await bakeScene(cornellBox(), { samples: 0 });
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, 'BAD_PROFILE');
  }
});

test('ote bake CLI: writes glb (+ EXR and RGBM with --hdr); bad input and cancellation write nothing', async () => {
  const src = join(dir, 'cornell.glb');
  await exportGltf(cornellBox(), src);
  const out = join(dir, 'out.glb');
  const ok = spawnSync(
    process.execPath,
    [oteBin, 'bake', src, '-o', out, '--samples', '4', '--texels-per-meter', '8', '--hdr', '--json'],
    { encoding: 'utf8' },
  );
  assert.is(ok.status, 0, ok.stderr);
  const report = JSON.parse(ok.stdout);
  assert.is(report.overlaps, 0);
  assert.ok(
    existsSync(out) && existsSync(join(dir, 'out.lightmap0.exr')) && existsSync(join(dir, 'out.lightmap0.rgbm.png')),
  );
  assert.ok(ok.stderr.includes('"stage":"bake"'), 'JSON progress lines');

  // --profile takes the same profiles as ote optimize: a TD file's bake block sets the samples and the early stop
  // (a loose threshold stops texels at the minimum), and a flag overrides it (0: every texel takes every sample).
  const td = join(dir, 'td.json');
  writeFileSync(
    td,
    JSON.stringify({ extends: 'economy', name: 'TD', bake: { samples: 48, noiseThreshold: 1, texelsPerMeter: 8 } }),
  );
  const bakeWith = (...extra: string[]) => {
    const r = spawnSync(
      process.execPath,
      [oteBin, 'bake', src, '-o', join(dir, 'td.glb'), '--profile', td, '--json', ...extra],
      { encoding: 'utf8' },
    );
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout).stats as { minTexelSamples: number; maxTexelSamples: number };
  };
  const loose = bakeWith();
  assert.ok(
    loose.maxTexelSamples <= 48 && loose.minTexelSamples < 48,
    `profile's early stop: ${JSON.stringify(loose)}`,
  );
  const all = bakeWith('--noise-threshold', '0');
  assert.equal([all.minTexelSamples, all.maxTexelSamples], [48, 48], 'the flag overrides the profile');
  writeFileSync(td, JSON.stringify({ extends: 'economy', name: 'TD', bake: { noiseThreshold: 3 } }));
  const badProf = spawnSync(process.execPath, [oteBin, 'bake', src, '-o', join(dir, 'td2.glb'), '--profile', td], {
    encoding: 'utf8',
  });
  assert.is.not(badProf.status, 0);
  assert.match(badProf.stderr, /td\.json/);
  assert.match(badProf.stderr, /noiseThreshold/);
  assert.not.ok(existsSync(join(dir, 'td2.glb')));

  const badSrc = join(dir, 'bad.glb');
  const bad = cornellBox({ variant: 'point' });
  bad.lights[0].intensity = -5;
  await exportGltf(bad, badSrc);
  const before = readdirSync(dir).length;
  const r = spawnSync(process.execPath, [oteBin, 'bake', badSrc, '-o', join(dir, 'bad-out.glb')], { encoding: 'utf8' });
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /intensity/);
  assert.is(readdirSync(dir).length, before, 'nothing written');

  const c = spawnSync(
    process.execPath,
    [
      '-e',
      `
    const { spawn } = require('node:child_process');
    const p = spawn(process.execPath, [${JSON.stringify(oteBin)}, 'bake', ${JSON.stringify(src)}, '-o', ${JSON.stringify(join(dir, 'cancel.glb'))}, '--samples', '4096', '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let sent = false;
    // Interrupt once the bake reports progress (the handler is installed by then), as a user pressing Ctrl-C.
    p.stderr.on('data', (d) => { if (!sent && String(d).includes('"stage":"bake"')) { sent = true; p.kill('SIGINT'); } });
    p.on('exit', (code, signal) => process.exit(code ?? (signal ? 98 : 99)));`,
    ],
    { encoding: 'utf8' },
  );
  assert.is(c.status, 130, c.stderr);
  assert.not.ok(existsSync(join(dir, 'cancel.glb')));
});

test('native bake tests (build/test_bake)', () => {
  const exe = join(repoRoot, 'build', 'test_bake');
  assert.ok(existsSync(exe), `${exe} missing: run npm run build:native`);
  const r = spawnSync(exe, [], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr + r.stdout);
});

test.run();
