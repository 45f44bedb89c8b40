/**
 * Engine light units → glTF (adapters/light-units.ts), against the formulas its header cites: Unreal's unit
 * factors (unitless ÷ 625, lumens over the cone, EV100 with K = 12.5), Unity's built-in and URP convention (π ×
 * intensity, gamma-space intensity ^2.2) and HDRP's physical units (lumens over the sphere or, with the reflector,
 * the cone). Worked values, then the clear errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  builtinFalloff,
  builtinFalloffScale,
  unityLightToGltf,
  unrealLightToGltf,
} from '../../src/adapters/light-units.js';
import { srgbToLinear } from '../../src/image/float-image.js';
import { OteError } from '../../src/errors.js';

const at = { level: 'Level_01', where: 'lights[2] "Lamp"' };
const near = (a: number, b: number, tol = 1e-4) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
const white: [number, number, number] = [255, 255, 255];

test('Unreal: unitless ÷ 625, candelas as they are, lumens over the sphere or the spot cone, EV100 as 2^(EV − 3)', () => {
  const point = (intensity: number, units?: 'unitless' | 'candelas' | 'lumens' | 'ev') =>
    unrealLightToGltf({ kind: 'point', intensity, units, color: white }, at);
  assert.ok(near(point(5000).intensity, 8), 'the pre-4.19 default of 5000 unitless is 8 cd');
  assert.ok(near(point(5000, 'unitless').intensity, 8));
  assert.is(point(800, 'candelas').intensity, 800);
  assert.ok(near(point(1700, 'lumens').intensity, 1700 / (4 * Math.PI)), '1700 lm over 4π sr');
  assert.ok(near(point(10, 'ev').intensity, 128));
  assert.ok(near(point(-1, 'ev').intensity, 1 / 16), 'EV may be negative');
  const spot = unrealLightToGltf(
    { kind: 'spot', intensity: 1000, units: 'lumens', color: white, innerConeAngle: 50, outerConeAngle: 30 },
    at,
  );
  assert.ok(near(spot.intensity, 1000 / (2 * Math.PI * (1 - Math.cos(Math.PI / 6)))), `spot: ${spot.intensity}`);
  assert.ok(near(spot.outerConeAngle!, Math.PI / 6));
  assert.is(spot.innerConeAngle, spot.outerConeAngle, 'an inner cone wider than the outer is held to it');
  assert.is(spot.type, 'spot');
});

test('Unreal: directional lights in lux, sRGB colours decoded, rect lights as 90° spots with the panel peak', () => {
  const sun = unrealLightToGltf({ kind: 'directional', intensity: 10, units: 'lumens', color: [255, 128, 0] }, at);
  assert.equal(sun.type, 'directional');
  assert.is(sun.intensity, 10, 'lux, whatever IntensityUnits says (local lights only)');
  assert.ok(near(sun.color[1], 0.2158605), `128 decodes to ${sun.color[1]}`);
  assert.equal([sun.color[0], sun.color[2]], [1, 0]);
  const rect = unrealLightToGltf({ kind: 'rect', intensity: 100 * Math.PI, units: 'lumens', color: white }, at);
  assert.ok(near(rect.intensity, 100), 'a one-sided Lambertian panel: peak = flux / π');
  assert.is(rect.outerConeAngle, Math.PI / 2);
  assert.match(rect.approximated ?? '', /rect.*spot/);
});

test('Unity built-in and URP: π × intensity, and intensity^2.2 when lights do not use linear intensity', () => {
  const dir = (intensity: number, linearIntensity: boolean) =>
    unityLightToGltf({ kind: 'directional', intensity, color: [1, 0.5, 1], linearIntensity }, at);
  assert.ok(near(dir(1, true).intensity, Math.PI));
  assert.ok(near(dir(2, false).intensity, Math.PI * 2 ** 2.2));
  assert.ok(near(dir(1, true).color[1], 0.2140411), 'Color.linear of 0.5');
  const spot = unityLightToGltf(
    { kind: 'spot', intensity: 1, color: [1, 1, 1], spotAngle: 60, innerSpotAngle: 20, linearIntensity: true },
    at,
  );
  assert.ok(near(spot.outerConeAngle!, Math.PI / 6), 'spotAngle is the full angle');
  assert.ok(near(spot.innerConeAngle!, Math.PI / 18));
});

test('Unity built-in point and spot lights: their falloff over the range, as the inverse square equal to it at half the range', () => {
  // The URP manual's stand-in for the built-in curve: 1 at the light, 1/8 at half the range, 0 at the range.
  assert.equal([builtinFalloff(0), builtinFalloff(0.5), builtinFalloff(1), builtinFalloff(2)], [1, 0.125, 0, 0]);
  const base = { color: [1, 1, 1] as [number, number, number], linearIntensity: true, intensity: 2 };
  for (const range of [4, 10, 25]) {
    const g = unityLightToGltf({ ...base, kind: 'point', builtinFalloff: true, range }, at);
    // What a Lambertian surface facing the light receives in each, at distance d: π · intensity · falloff in Unity's
    // shading (no 1/π in its diffuse term), candela / d² in glTF.
    const unity = (d: number) => Math.PI * 2 * builtinFalloff(d / range);
    const gltf = (d: number) => g.intensity / (d * d);
    assert.ok(near(gltf(range / 2), unity(range / 2)), `range ${range}: equal at half the range`);
    assert.ok(
      gltf(range / 4) > unity(range / 4) && gltf(0.9 * range) > unity(0.9 * range),
      'brighter off the midpoint',
    );
    assert.ok(gltf(0.4 * range) / unity(0.4 * range) < 1.3 && gltf(0.6 * range) / unity(0.6 * range) < 1.6);
    assert.match(g.approximated ?? '', new RegExp(`built-in falloff over a range of ${range} m`));
  }
  const spot = unityLightToGltf({ ...base, kind: 'spot', spotAngle: 60, builtinFalloff: true, range: 8 }, at);
  assert.ok(near(spot.intensity, 2 * Math.PI * builtinFalloffScale(8)) && near(spot.outerConeAngle!, Math.PI / 6));
  // URP (no built-in falloff) and directional lights are as before.
  assert.ok(near(unityLightToGltf({ ...base, kind: 'point', range: 8 }, at).intensity, 2 * Math.PI));
  assert.ok(near(unityLightToGltf({ ...base, kind: 'directional', builtinFalloff: true }, at).intensity, 2 * Math.PI));
  assert.throws(
    () => unityLightToGltf({ ...base, kind: 'point', builtinFalloff: true, range: 0 }, at),
    /range must be a finite number/,
  );
});

test('Unity physical units (HDRP): lumens over the sphere, or over the cone with the reflector; lux; EV100; nits', () => {
  const base = { color: [1, 1, 1] as [number, number, number], linearIntensity: true };
  assert.ok(near(unityLightToGltf({ ...base, kind: 'point', intensity: 1000, unit: 'lumen' }, at).intensity, 79.5775));
  const cone = 2 * Math.PI * (1 - Math.cos(Math.PI / 6));
  const spot = (reflector: boolean) =>
    unityLightToGltf({ ...base, kind: 'spot', intensity: 1000, unit: 'lumen', spotAngle: 60, reflector }, at);
  assert.ok(near(spot(true).intensity, 1000 / cone));
  assert.ok(near(spot(false).intensity, 1000 / (4 * Math.PI)));
  assert.is(unityLightToGltf({ ...base, kind: 'directional', intensity: 1e5, unit: 'lux' }, at).intensity, 1e5);
  assert.ok(near(unityLightToGltf({ ...base, kind: 'point', intensity: 10, unit: 'ev100' }, at).intensity, 128));
  const panel = unityLightToGltf({ ...base, kind: 'area', intensity: 1000, unit: 'nits', width: 2, height: 0.5 }, at);
  assert.ok(near(panel.intensity, 1000), 'luminance × area');
  assert.is(panel.type, 'spot');
});

test('bad settings are errors that name the level, the light and the field', () => {
  const expectError = (f: () => unknown, path: RegExp) => {
    try {
      f();
    } catch (e) {
      assert.instance(e, OteError);
      assert.is((e as OteError).file, 'Level_01');
      assert.match(String((e as OteError).path), path);
      assert.match((e as Error).message, /lights\[2\] "Lamp"/);
      return;
    }
    assert.unreachable('no error');
  };
  expectError(() => unrealLightToGltf({ kind: 'point', intensity: Number.NaN, color: white }, at), /\.Intensity$/);
  expectError(() => unrealLightToGltf({ kind: 'point', intensity: 1, color: [255, -1, 0] }, at), /LightColor\[1\]$/);
  expectError(
    () => unrealLightToGltf({ kind: 'point', intensity: 1, units: 'watts' as 'lumens', color: white }, at),
    /IntensityUnits$/,
  );
  expectError(
    () =>
      unityLightToGltf(
        { kind: 'directional', intensity: 1, color: [1, 1, 1], linearIntensity: true, unit: 'lumen' },
        at,
      ),
    /lightUnit$/,
  );
  assert.ok(near(srgbToLinear(1), 1) && srgbToLinear(0) === 0);
});

test.run();
