import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OteError } from '../../src/errors.js';
import {
  BUILTIN_PROFILES,
  builtinProfile,
  diffProfiles,
  resolveProfile,
  validateProfile,
} from '../../src/plan/profile.js';
import { oteBin, tempDir } from '../helpers.js';

const dir = tempDir();

test('the seven built-ins exist and validate', () => {
  assert.equal(Object.keys(BUILTIN_PROFILES), [
    'quality',
    'balanced',
    'economy',
    'realtime',
    'archviz',
    'gaming',
    'ai_training',
  ]);
  for (const p of Object.values(BUILTIN_PROFILES)) validateProfile(p, p.name);
});

test('built-ins order sensibly: QUALITY is stricter and slower than ECONOMY', () => {
  const q = builtinProfile('QUALITY'),
    e = builtinProfile('economy');
  assert.ok(q.bake.samples > e.bake.samples && q.bake.texelsPerMeter > e.bake.texelsPerMeter);
  assert.ok(q.quality.psnr > e.quality.psnr && q.quality.ssim > e.quality.ssim && q.quality.flip < e.quality.flip);
  assert.ok(q.verification.quorum >= e.verification.quorum);
});

test('a TD file extends a built-in and overrides only what it sets', () => {
  const p = resolveProfile({ extends: 'Gaming', name: 'studio', bake: { samples: 512 } }, 'studio.json');
  assert.is(p.name, 'studio');
  assert.is(p.bake.samples, 512);
  assert.is(p.bake.texelsPerMeter, builtinProfile('gaming').bake.texelsPerMeter);
  assert.equal(
    diffProfiles(builtinProfile('gaming'), p).map((d) => d.field),
    ['bake.samples', 'name'],
  );
});

test('errors name the file and every bad field', () => {
  try {
    resolveProfile(
      { extends: 'balanced', bake: { samples: 0.5, sampels: 1 }, verification: { renderer: 'vulkan' } },
      'bad.json',
    );
    assert.unreachable();
  } catch (e) {
    assert.instance(e, OteError);
    assert.is((e as OteError).code, 'BAD_PROFILE');
    const m = (e as Error).message;
    assert.match(m, /^bad\.json: 4 problems/);
    assert.match(m, /bake\.sampels: unknown field \(did you mean "samples"\?\)/);
    assert.match(m, /bake\.samples: must be integer, got 0\.5/);
    assert.match(m, /bake\.samples: must be >= 1, got 0\.5/);
    assert.match(m, /verification\.renderer: must be one of "pathtrace", "raster", got "vulkan"/);
  }
  assert.throws(() => resolveProfile({ extends: 'nope' }, 'x.json'), /x\.json: extends: unknown profile "nope"/);
  assert.throws(() => resolveProfile({ name: 'incomplete', bake: {} }, 'y.json'), /y\.json: .*splat: required/s);
});

test('ote profiles: list, show, validate with exit codes, diff', () => {
  const ote = (...a: string[]) => spawnSync(process.execPath, [oteBin, 'profiles', ...a], { encoding: 'utf8' });
  assert.match(ote('list').stdout, /^QUALITY .*\nBALANCED/m);
  assert.is(JSON.parse(ote('show', 'realtime', '--json').stdout).bake.samples, builtinProfile('realtime').bake.samples);
  const good = join(dir, 'good.json'),
    bad = join(dir, 'bad.json');
  writeFileSync(good, JSON.stringify({ extends: 'archviz', bake: { bounces: 8 } }));
  writeFileSync(bad, JSON.stringify({ extends: 'archviz', bake: { bounces: -2 } }));
  assert.is(ote('validate', good).status, 0);
  const r = ote('validate', bad);
  assert.is(r.status, 5);
  assert.match(r.stderr, /bad\.json: bake\.bounces: must be >= 0, got -2/);
  assert.match(ote('diff', 'archviz', good).stdout, /bake\.bounces\s+6 → 8/);
});

test.run();
