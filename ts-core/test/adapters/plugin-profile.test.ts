/**
 * The plugins' profile setting (adapters/plugin-profile.ts): a project file naming a built-in profile or a TD file,
 * BALANCED without it, clear errors naming the file and field; and the level's sky over either (adapters/sky.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isProfileFile, pluginProfile, profileSetting, projectPath } from '../../src/adapters/plugin-profile.js';
import { levelProfile, unrealSky } from '../../src/adapters/sky.js';
import { OteError } from '../../src/errors.js';
import { environmentSettings, resolveProfile } from '../../src/plan/profile.js';

const file = 'Config/OptimizerProfile.json';

test('the setting names a built-in profile or a TD file; without it, BALANCED', () => {
  assert.is(profileSetting(undefined, file), 'balanced');
  assert.is(profileSetting('{ "profile": " quality " }', file), 'quality');
  assert.is(profileSetting('{ "profile": "Tools/studio.json" }', file), 'Tools/studio.json');
  assert.ok(isProfileFile('Tools/studio.JSON') && !isProfileFile('quality'));
  assert.is(projectPath('/p/Game/', 'Tools/a.json'), '/p/Game/Tools/a.json');
  assert.is(projectPath('/p/Game', '/abs/a.json'), '/abs/a.json');
  assert.is(projectPath('C:/Game', 'D:\\\\studio\\\\a.json'), 'D:\\\\studio\\\\a.json');
});

test('a broken setting is a BAD_PROFILE error naming the file and the field', () => {
  for (const [text, path, message] of [
    ['{ "profile": ', undefined, /broken JSON/],
    ['{ "profile": 3 }', 'profile', /built-in profile name or a TD file/],
    ['null', 'profile', /built-in profile name or a TD file/],
  ] as const) {
    try {
      profileSetting(text, file);
      assert.unreachable(text);
    } catch (e) {
      assert.instance(e, OteError);
      assert.is((e as OteError).code, 'BAD_PROFILE');
      assert.is((e as OteError).file, file);
      assert.is((e as OteError).path, path);
      assert.match((e as Error).message, message);
    }
  }
});

test("the level's sky over a TD file: its document with the environment added, unless it sets one itself", () => {
  const sky = unrealSky(2, [255, 255, 255]);
  const td = { name: 'Studio', extends: 'economy', bake: { samples: 48 } };
  const profile = resolveProfile(levelProfile('Tools/studio.json', td, sky, 'L'));
  assert.is(profile.bake.samples, 48, "the TD's own settings stay");
  assert.equal(environmentSettings(profile).sky, { type: 'constant', color: [2, 2, 2] });
  assert.match(profile.name, /^Studio \+ the sky of L$/);
  assert.is(
    levelProfile('x.json', { bake: { environment: { mode: 'off' } } }, sky, 'L'),
    undefined,
    "the TD's choice stands",
  );
  assert.is(levelProfile('quality', undefined, undefined, 'L'), undefined, 'no sky: the profile as it is');
});

test('the run the plugin starts writes float EXR pages for the write-back, over any profile, with the sky kept', () => {
  const files: Record<string, string> = {
    '/P/Config/OptimizerProfile.json': '{ "profile": "Tools/studio.json" }',
    '/P/Tools/studio.json': JSON.stringify({ name: 'Studio', extends: 'economy', bake: { samples: 48 } }),
    '/P/Tools/hdr.json': JSON.stringify({ name: 'HDR', extends: 'economy', bake: { encoding: 'hdr' } }),
  };
  const run = (setting: string | undefined, withSky: boolean) => {
    const out = pluginProfile({
      project: '/P',
      settingFile: '/P/Config/OptimizerProfile.json',
      read: (path) => (path === '/P/Config/OptimizerProfile.json' ? setting : files[path]),
      sky: withSky ? unrealSky(1, [255, 255, 255]) : undefined,
      level: 'L',
      levelProfileFile: '/P/Saved/level-profile.json',
    });
    return { ...out, profile: out.write ? resolveProfile(JSON.parse(out.write.json)) : undefined, arg: out.profile };
  };
  // Built-in, no sky: BALANCED with HDR pages, the rest as BALANCED.
  const plain = run(undefined, false);
  assert.is(plain.arg, '/P/Saved/level-profile.json');
  assert.is(plain.profile!.bake.encoding, 'hdr');
  assert.is(plain.profile!.bake.samples, resolveProfile({ extends: 'balanced' }).bake.samples);
  assert.is(plain.profile!.name, 'BALANCED');
  // A TD file with the sky: its settings, the sky and HDR pages.
  const td = run('{ "profile": "Tools/studio.json" }', true);
  assert.is(td.profile!.bake.samples, 48);
  assert.is(td.profile!.bake.encoding, 'hdr');
  assert.equal(environmentSettings(td.profile!).sky, { type: 'constant', color: [1, 1, 1] });
  // A TD file that already asks for HDR pages and gets no sky runs as it is.
  const hdr = run('{ "profile": "Tools/hdr.json" }', false);
  assert.is(hdr.arg, '/P/Tools/hdr.json');
  assert.is(hdr.write, undefined);
});

test.run();
