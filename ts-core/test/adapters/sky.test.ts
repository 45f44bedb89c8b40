/**
 * The level's sky (adapters/sky.ts): Unity's Trilight and Flat ambient as the bake's gradient and constant skies
 * (sRGB decoded, × ambientIntensity), Skybox left to the profile; Unreal's SkyLight as a uniform sky; and the TD
 * profile that carries it, which the profile loader accepts and merges over the built-in one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { srgbToLinear } from '../../src/image/float-image.js';
import { levelProfile, unitySky, unrealSky } from '../../src/adapters/sky.js';
import { environmentSettings, resolveProfile } from '../../src/plan/profile.js';

const ambient = {
  intensity: 2,
  sky: [0.5, 0.6, 1] as [number, number, number],
  equator: [0.5, 0.5, 0.5] as [number, number, number],
  ground: [0.2, 0.1, 0] as [number, number, number],
  flat: [1, 1, 1] as [number, number, number],
};

test('Unity: Trilight is the gradient sky, Flat a constant one, Skybox and Custom are not read', () => {
  const tri = unitySky({ ...ambient, mode: 1 });
  assert.is(tri?.type, 'gradient');
  if (tri?.type !== 'gradient') return;
  assert.ok(Math.abs(tri.zenith[0] - 2 * srgbToLinear(0.5)) < 1e-9, `zenith ${tri.zenith}`);
  assert.equal(
    tri.ground.map((v) => Number(v.toFixed(6))),
    [Number((2 * srgbToLinear(0.2)).toFixed(6)), Number((2 * srgbToLinear(0.1)).toFixed(6)), 0],
  );
  assert.equal(unitySky({ ...ambient, mode: 3 }), { type: 'constant', color: [2, 2, 2] });
  assert.is(unitySky({ ...ambient, mode: 0 }), undefined);
  assert.is(unitySky({ ...ambient, mode: 4 }), undefined);
});

test('Unreal: a SkyLight is a uniform sky of its intensity, tinted by its sRGB colour', () => {
  const sky = unrealSky(3, [255, 128, 0]);
  assert.is(sky.type, 'constant');
  if (sky.type !== 'constant') return;
  assert.ok(Math.abs(sky.color[0] - 3) < 1e-9 && Math.abs(sky.color[1] - 3 * srgbToLinear(128 / 255)) < 1e-9);
});

test("the level's profile extends the built-in one, bakes under the level's sky always, and adds no sun", () => {
  assert.is(levelProfile('balanced', undefined, undefined, 'L'), undefined);
  const doc = levelProfile('balanced', undefined, unitySky({ ...ambient, mode: 3 }), 'Level_01');
  const profile = resolveProfile(doc, 'level-profile.json');
  assert.is(profile.bake.samples, resolveProfile({ extends: 'balanced' }).bake.samples, 'the rest is BALANCED');
  const env = environmentSettings(profile);
  assert.is(env.mode, 'always');
  assert.is(env.sun, null);
  assert.equal(env.sky, { type: 'constant', color: [2, 2, 2] });
  assert.match(profile.name, /Level_01/);
});

test.run();
