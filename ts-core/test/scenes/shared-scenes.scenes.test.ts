/**
 * `npm run test:scenes` (CI's step after `npm test`): every externally authored scene in ../shared/scenes optimized
 * end to end as a user runs it, at the cheap ECONOMY profile with its bake aimed at 45 s instead of 90 (a TD's
 * profile file, as a user would write it), with the embedded Trust Engine: it must exit 0 with verification
 * accepted, its previews must show the lit scene, and its report must say what lit it. The real figures at BALANCED
 * come from `npm run bench:scenes`.
 *
 * Why 45 s: the bakes bound by the time target were over half of this step (sponza_crytek 101 s, zdm2 82 s of CI's
 * 30 minutes, 2026-12-07), and the step checks that each scene goes end to end to a clear verdict, which a shorter
 * bake still does; the thresholds stay ECONOMY's.
 *
 * test-runner: alone (every shared scene optimized end to end on both cores; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { validateBytes } from 'gltf-validator';
import { displayStats } from '../../src/image/display.js';
import { repoRoot, sharedScenes, tempDir } from '../helpers.js';

const work = tempDir('ote-scenes-');
const oteBin = join(repoRoot, 'ts-core', 'bin', 'ote.js');
const BAKE_SECONDS = 45;
/** OTE_SCENES_PROFILE runs another profile as it is (`balanced`, or a file). */
const custom = process.env.OTE_SCENES_PROFILE;
const PROFILE_NAME = custom?.toUpperCase() ?? `ECONOMY with a ${BAKE_SECONDS} s bake`;
const PROFILE = custom ?? join(work, 'economy-ci.json');
if (!custom)
  writeFileSync(
    PROFILE,
    JSON.stringify({ extends: 'economy', name: PROFILE_NAME, bake: { targetSeconds: BAKE_SECONDS } }),
  );

/**
 * Scenes that do not pass yet (README, "Known gaps"), with what they must do instead: end with a clear verdict
 * naming the objects that fail, never an internal error or a silent pass. The bake's time target makes the lightmap
 * density depend on the machine's speed, so a faster machine may pass one: then it must pass fully (exit 0 and
 * accepted verification, as every other scene), and the run prints the news.
 */
const KNOWN_GAPS: Record<string, { exit: number[]; why: string }> = {
  // Lit only by the default sky through the roof: the lightmap at ~8 texels/m and the samples ECONOMY's 90 s
  // allow differs from the reference in patches (own check 25.1 dB / SSIM 0.87 / FLIP 0.16 with sky portals on
  // 2026-12-04, 23.4 / 0.81 / 0.18 before them; 26.5 / 0.911 / 0.128 on 2026-12-06 with the final gather priced as
  // such, 27.7 / 0.920 / 0.112 the same day with its first pass at 8 samples, against ECONOMY's 28 / 0.92 / 0.12;
  // 27.2 / 0.910 / 0.117 at 90 s and 25.1 / 0.889 / 0.154 at this step's 45 s on 2026-12-07, 5.3 texels/m).
  sponza_crytek: { exit: [6, 7], why: 'daylight-only interior: the lightmap too coarse and noisy' },
  // Passes here since the nodes take the reference's noise out (2026-12-04: 6.9 texels/m, own check 36.1 dB / 0.952
  // / 0.048, accepted; 2026-12-07 with the 45 s bake: 37.1 / 0.947 / 0.047, accepted), but the bake target sets its
  // density by the machine's speed and the nodes' zoomed crops see its soft sun shadows, so it stays listed until it
  // passes on slower machines too.
  zdm2_sauerbraten: { exit: [6, 7], why: 'sun shadows too soft at the density a short bake allows' },
};

for (const scene of sharedScenes()) {
  const gap = KNOWN_GAPS[scene.name];
  test(`${scene.name}: optimizes under ${PROFILE_NAME}, ${gap ? `known gap (${gap.why}): a clear verdict naming objects` : 'verified'}, with previews that show the lit scene and a glTF the Khronos validator passes`, async () => {
    const out = join(work, scene.name);
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [oteBin, 'optimize', scene.path, '-o', out, '--profile', PROFILE, '--no-cache'],
      { encoding: 'utf8', env: { ...process.env, OTE_CACHE_DIR: join(work, 'cache') }, timeout: 900_000 },
    );
    // Each scene's exit and seconds in the log: where CI's time goes.
    console.log(`  ${scene.name}: exit ${r.status} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const passes = !gap || r.status === 0;
    if (gap && r.status === 0) console.log(`  news: known gap ${scene.name} (${gap.why}) passes on this machine`);
    if (!passes) {
      assert.ok(
        gap!.exit.includes(r.status!),
        `exit ${r.status}, not one of the known gap's ${gap!.exit.join(', ')}: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`,
      );
      // Exit 6 leaves the output directory as it was: the message must say which objects and which profile.
      if (r.status === 6) {
        assert.match(r.stdout + r.stderr, /most error on "/);
        return;
      }
    } else
      assert.is(r.status, 0, `exit ${r.status}: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.is(report.verification.verdict, passes ? 'accepted' : 'rejected');
    assert.ok(
      report.lighting && ['scene', 'default', 'profile'].includes(report.lighting.source),
      'the report says what lit the scene',
    );
    for (const f of ['before.png', 'after.png']) {
      assert.ok(existsSync(join(out, f)), `${f} written`);
      const png = PNG.sync.read(readFileSync(join(out, f)));
      assert.ok(
        Math.max(png.width, png.height) >= 768,
        `${f} is ${png.width}x${png.height}, at least 768 px on the long side`,
      );
      const s = displayStats({ width: png.width, height: png.height, bitDepth: 8, data: png.data });
      // Not black, and not one flat colour (an object over a black background has a low mean but a wide spread).
      assert.ok(
        s.mean > 3 && s.std > 8,
        `${f} shows the lit scene (mean luma ${s.mean.toFixed(1)}, spread ${s.std.toFixed(1)} of 255)`,
      );
    }
    // What `ote optimize` writes is valid glTF: zero errors from the Khronos validator (infos and warnings allowed:
    // MOZ_lightmap is an extension it does not know).
    const report2 = await validateBytes(new Uint8Array(readFileSync(join(out, 'scene.glb'))), {
      uri: 'scene.glb',
      maxIssues: 0,
      writeTimestamp: false,
    });
    const errors = report2.issues.messages.filter((m) => m.severity === 0);
    assert.is(
      errors.length,
      0,
      errors
        .slice(0, 3)
        .map((e) => `${e.pointer}: ${e.code} ${e.message}`)
        .join('; '),
    );
    // The JSON holds numbers only: no Infinity or NaN could have been written (JSON.parse would have failed on them).
    assert.ok(Number.isFinite(report.ownCheck.psnr));
  });
}

test.run();
