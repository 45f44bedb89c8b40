import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_ENVIRONMENT, resolveEnvironment, SUN_NODE, withEnvironmentSun } from '../../src/plan/environment.js';
import { builtinProfile, environmentSettings, resolveProfile } from '../../src/plan/profile.js';
import { OteError } from '../../src/errors.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { worldMatrices } from '../../src/scene/transform.js';
import { createScene, defaultMaterial, type Scene } from '../../src/scene/types.js';

/** One triangle of the given material, and nothing else. */
function triangleScene(emissive = false): Scene {
  const s = createScene('t');
  const m = addMaterial(s, { ...defaultMaterial('m'), emissiveFactor: emissive ? [1, 1, 1] : [0, 0, 0] });
  const mesh = addMesh(s, 'tri', [
    { positions: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0]), indices: Uint32Array.from([0, 1, 2]), material: m },
  ]);
  addNode(s, { mesh });
  return s;
}

test('a scene without lights or emissive surfaces gets the default sky and sun; one with either does not', () => {
  const dark = triangleScene();
  const env = resolveEnvironment(dark, DEFAULT_ENVIRONMENT);
  assert.ok(env);
  assert.is(env!.reason, 'default');
  assert.is(env!.sky.type, 'gradient');
  assert.ok(env!.sun);
  assert.is(resolveEnvironment(triangleScene(true), DEFAULT_ENVIRONMENT), undefined);
  const lit = triangleScene();
  lit.lights.push({
    name: 'lamp',
    type: 'point',
    color: [1, 1, 1],
    intensity: 10,
    innerConeAngle: 0,
    outerConeAngle: 0.7,
  });
  addNode(lit, { light: 0 });
  assert.is(resolveEnvironment(lit, DEFAULT_ENVIRONMENT), undefined);
  // 'always' adds it to a lit scene too; 'off' never adds it.
  assert.is(resolveEnvironment(lit, { ...DEFAULT_ENVIRONMENT, mode: 'always' })?.reason, 'profile');
  assert.is(resolveEnvironment(dark, { ...DEFAULT_ENVIRONMENT, mode: 'off' }), undefined);
});

test('the sun node shines along the direction the elevation and azimuth give', () => {
  const s = triangleScene();
  for (const [elevation, azimuth] of [
    [55, 30],
    [90, 0],
    [10, -120],
    [0, 180],
  ]) {
    const env = resolveEnvironment(s, {
      ...DEFAULT_ENVIRONMENT,
      sun: { ...DEFAULT_ENVIRONMENT.sun!, elevation, azimuth },
    })!;
    const lit = withEnvironmentSun(s, env);
    const n = lit.nodes.length - 1;
    assert.is(lit.nodes[n].name, SUN_NODE);
    assert.is(lit.lights[lit.nodes[n].light!].type, 'directional');
    const m = worldMatrices(lit)[n];
    const d = [-m[8], -m[9], -m[10]]; // a glTF light shines down its node's -Z
    for (let a = 0; a < 3; a++)
      assert.ok(
        Math.abs(d[a] - env.sun!.direction[a]) < 1e-5,
        `elevation ${elevation} azimuth ${azimuth}: ${d} vs ${env.sun!.direction}`,
      );
    // Light travels downwards (towards -Y) whenever the sun is above the horizon.
    assert.ok(env.sun!.direction[1] <= 1e-9);
    // The input scene is untouched.
    assert.is(s.nodes.length, 1);
  }
});

test('profiles set the environment, fields left out keep the defaults, and bad values are refused with their field', () => {
  const p = resolveProfile({ extends: 'balanced', bake: { environment: { mode: 'always', sun: null } } }, 'td.json');
  const e = environmentSettings(p);
  assert.is(e.mode, 'always');
  assert.is(e.sun, null);
  assert.equal(e.sky, DEFAULT_ENVIRONMENT.sky);
  assert.equal(environmentSettings(builtinProfile('balanced')), DEFAULT_ENVIRONMENT);
  const off = resolveProfile({ extends: 'economy', bake: { environment: { mode: 'off' } } }, 'dark.json');
  assert.is(resolveEnvironment(triangleScene(), environmentSettings(off)), undefined);
  try {
    resolveProfile({ extends: 'balanced', bake: { environment: { sun: { elevation: 120 } } } }, 'bad.json');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, OteError);
    assert.match((e as Error).message, /bake\.environment\.sun/);
  }
});

test.run();
