/**
 * `ote optimize` end to end as CI runs it: real processes, the embedded Trust Engine, outputs, cache, cancel.
 *
 * test-runner: alone (whole optimize runs use both cores, and the cancel is timed; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { splatIterations } from '../../src/optimize/run.js';
import { builtinProfile } from '../../src/plan/profile.js';
import { oteBin, tempDir } from '../helpers.js';

const dir = tempDir();
const env = { ...process.env, OTE_CACHE_DIR: join(dir, 'cache') };
const ote = (...args: string[]) =>
  spawnSync(process.execPath, [oteBin, ...args], { encoding: 'utf8', cwd: dir, env, timeout: 300_000 });

test('Cornell box under REALTIME: baked, verified by 3 embedded nodes, certificate checks offline; a re-run is cached', () => {
  assert.is(ote('gen', 'cornell', '-o', 'cornell.glb').status, 0);
  const r = ote('optimize', 'cornell.glb', '-o', 'out-cornell', '--profile', 'realtime', '--json');
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.is(r.status, 0, r.stderr);
  assert.is(result.verdict, 'accepted');
  assert.is(result.plan.pipeline, 'baking');
  for (const f of [
    'scene.glb',
    'report.json',
    'report.html',
    'certificate.json',
    'before.png',
    'after.png',
    'flip.png',
  ])
    assert.ok(existsSync(join(dir, 'out-cornell', f)), f);
  const report = JSON.parse(readFileSync(join(dir, 'out-cornell', 'report.json'), 'utf8'));
  // Every registered stage is timed, in order, where it ran; the cost prices CPU stages by the cores they used.
  assert.equal(
    report.timings.map((t: { stage: string }) => t.stage),
    ['import', 'measure', 'analyze', 'plan', 'bake', 'reference', 'splat', 'output', 'preview', 'check', 'verify'],
  );
  assert.ok(
    report.timings.every(
      (t: { device: string; seconds: number }) => ['cpu', 'cuda'].includes(t.device) && t.seconds >= 0,
    ),
  );
  assert.ok(report.cost.cpuCoreHours + report.cost.gpuHours > 0);
  assert.match(readFileSync(join(dir, 'out-cornell', 'report.html'), 'utf8'), /Verification accepted/);
  assert.match(r.stderr, /"type":"progress"/, 'JSON-lines progress on stderr');
  const cert = ote('verify-cert', join('out-cornell', 'certificate.json'));
  assert.is(cert.status, 0, cert.stdout + cert.stderr);
  const t0 = Date.now();
  const again = ote('optimize', 'cornell.glb', '-o', 'out-cornell', '--profile', 'realtime', '--json');
  assert.is(again.status, 0);
  assert.is(JSON.parse(again.stdout.trim().split('\n').pop()!).cached, true);
  assert.ok(Date.now() - t0 < 10_000, 'cached re-run is quick');
});

test('foliage: plants become trained splats (PLY + SPZ), the ground is baked, the glTF keeps only the ground; the composite reaches REALTIME', () => {
  assert.is(ote('gen', 'foliage', '--scale', '0.2', '-o', 'foliage.glb').status, 0);
  // Alpha-tested cards bake by default now; a TD file sends the plants to splats, as a studio would.
  writeFileSync(
    join(dir, 'foliage-splats.json'),
    JSON.stringify({
      extends: 'realtime',
      name: 'REALTIME+plants-as-splats',
      objects: [{ match: 'plants*', route: 'splat' }],
    }),
  );
  const r = ote(
    'optimize',
    'foliage.glb',
    '-o',
    'out-foliage',
    '--profile',
    'foliage-splats.json',
    '--no-verify',
    '--json',
    // 100 iterations, not REALTIME's 500 (asserted below from the sizes the run reports), so that training renders
    // 27 views, not 64 (splat/object.ts viewCounts): the splat stage takes about 65 s (131 s at 150 iterations on 64
    // views). At 500 it passes REALTIME's own check at 29.17 dB and the verifier (README, known gaps).
    '--splat-iterations',
    '100',
  );
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.is(result.plan.pipeline, 'hybrid');
  assert.equal(result.outputs.splats, ['splats.ply', 'splats.spz']);
  const ply = readFileSync(join(dir, 'out-foliage', 'splats.ply'));
  assert.match(ply.subarray(0, 200).toString('latin1'), /^ply\nformat binary_little_endian 1\.0\n/);
  const info = JSON.parse(ote('info', join('out-foliage', 'scene.glb'), '--json').stdout);
  assert.is(info.instancedTriangles, 32, 'only the ground mesh is left');
  // Lean: what only the plants used is gone (it was 201 meshes, 25,632 stored triangles and 200 empty nodes).
  assert.is(info.meshes, 1);
  assert.is(info.triangles, 32, 'no stored triangles that nothing draws');
  // The ground and the camera: the plants' node, left empty, goes too (it stayed while the bake split it into copies).
  assert.is(info.nodes, 2, 'the ground and the camera');
  assert.is(info.materials, 1);
  const report = JSON.parse(readFileSync(join(dir, 'out-foliage', 'report.json'), 'utf8'));
  // Training against path-traced views beats the unlit conversion on held-out views, so the trained model ships.
  assert.is(report.splats.kept, 'trained');
  assert.is(report.splats.targets, 'pathtrace');
  assert.is(report.splats.targetSpp, 8, "REALTIME's targets take 8 samples per pixel (stages/splat.ts splatTargetSpp)");
  // Targets as fine as the check view's pixel at the plants: the nearest stand under the camera asks more than the
  // largest views (512 px), and those views of the whole field are coarser than the pixel at its centre, so
  // close-ups and views from the planned viewpoints, half as many each, join the views around it, and the cap grows
  // to REALTIME's budget; REALTIME's 500 iterations fit the deterministic work bound at that size (and train on 32
  // views around, 16 close-ups and 16 from the viewpoints), and training that short starts from the whole cap
  // (splat/object.ts startShare). 100 iterations visit 13 + 7 + 7 views about 4 times each.
  assert.equal(
    [report.splats.resolution, report.splats.views, report.splats.closeUps, report.splats.eyeViews, report.splats.cap],
    [512, 27, 7, 7, 200_000],
  );
  assert.is(report.splats.iterations, 100, 'the iterations asked for');
  assert.is(splatIterations(builtinProfile('realtime'), undefined, report.splats), 500);
  assert.ok(report.splats.gaussians > 0.95 * 200_000, `${report.splats.gaussians} Gaussians`);
  // The composite (lightmapped ground + splats) against REALTIME's 26 dB / 0.9 / 0.15: 27.27 / 0.971 / 0.112 at 100
  // iterations since the splat layer is composited over the ground in linear light (render/hybrid.ts); blended over
  // the ground's displayed pixels, the same splats read 25.79 / 0.965 / 0.129, under the bound, so this catches a
  // return to that blend.
  const { ownCheck } = report;
  assert.ok(ownCheck.psnr > 26.5 && ownCheck.ssim > 0.96 && ownCheck.flip < 0.122, JSON.stringify(ownCheck));
  assert.is(r.status, 0, r.stderr);
  assert.ok(report.splats.heldOutPsnr > report.splats.conversionPsnr + 1, JSON.stringify(report.splats));
  assert.match(
    report.images.find((i: { file: string }) => i.file === 'after.png').label,
    /splats, composited by depth/,
  );
  assert.match(readFileSync(join(dir, 'out-foliage', 'report.html'), 'utf8'), /Shipped the <b>trained<\/b> model/);
  // The size: what a viewer loads, each file as written, and why it outweighs the small instanced input.
  const { size } = report;
  const bytes = (f: string) => statSync(join(dir, 'out-foliage', f)).size;
  assert.equal(size.files, [
    { name: 'scene.glb', bytes: bytes('scene.glb') },
    { name: 'splats.spz', bytes: bytes('splats.spz') },
  ]);
  assert.is(size.input, statSync(join(dir, 'foliage.glb')).size);
  assert.is(size.output, bytes('scene.glb') + bytes('splats.spz'));
  assert.ok(size.lightmaps > 0 && size.lightmaps < bytes('scene.glb'));
  // The plants cast shadows but take no lightmap: the page holds the ground alone (it held 200 plant charts too,
  // 0.84 MB of texels nothing shipped).
  assert.equal(
    report.lightmap.objects.map((o: { name: string }) => o.name),
    ['ground'],
  );
  assert.ok(size.lightmaps < 100_000, `lightmap pages ${size.lightmaps} B`);
  assert.match(size.larger, /^the lightmap pages are .+ and [\d,]+ Gaussians are .+, and the geometry/);
  assert.match(
    readFileSync(join(dir, 'out-foliage', 'report.html'), 'utf8'),
    /<p>Writes .+ for an input of .+, larger because/,
  );
  // Below the profile at first, with the ground's texels several pixels across where the camera sees it nearest:
  // baked again at a raised density before the check that stands (optimize/rebake.ts); the splats are not trained
  // twice.
  assert.is(report.lightmap.viewFloor.applied, true);
  assert.equal(
    report.timings.map((t: { stage: string }) => t.stage).filter((s: string) => s === 'bake' || s === 'splat'),
    ['bake', 'splat', 'bake'],
  );
});

test('foliage as the router sends it under REALTIME, explained: the first bake fails its own check, the second, raised where the camera sees 10 cm texels 6 px across, passes', () => {
  const r = ote(
    'optimize',
    'foliage.glb',
    '-o',
    'out-foliage-baked',
    '--profile',
    'realtime',
    '--no-verify',
    '--explain',
  );
  assert.is(r.status, 0, r.stdout + r.stderr);
  // --explain: the route and the score that decided it (a whole run of the shared Cornell box checked this before;
  // test:scenes runs every shared scene).
  assert.match(r.stdout, /profile REALTIME: baking pipeline, scene class \w+/);
  assert.match(r.stdout, /baking_score [\d.]+ > 0\.70/);
  assert.match(r.stdout + r.stderr, /own check below the profile, and the views see lightmap texels over 4 pixels/);
  const report = JSON.parse(readFileSync(join(dir, 'out-foliage-baked', 'report.json'), 'utf8'));
  assert.is(report.plan.pipeline, 'baking');
  assert.ok(report.ownCheck.psnr >= 26, JSON.stringify(report.ownCheck));
  assert.is(report.lightmap.viewFloor.applied, true);
  const ground = report.lightmap.objects.find((o: { name: string }) => o.name === 'ground');
  assert.ok(ground.requested === 10 && ground.effective > 13, JSON.stringify(ground));
});

// That --splat-iterations 0 ships the direct conversion is checked where the viewer test runs that very job
// (test/viewer/view.test.ts, the hybrid foliage), so the foliage is not converted twice in one npm test.
test('--splat-iterations with a bad value is a usage error, before any work', () => {
  const bad = ote('optimize', 'foliage.glb', '-o', 'out-bad2', '--splat-iterations=-3');
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--splat-iterations must be an integer >= 0/);
});

test('bad profile exits 5; cancelling mid-run leaves the output directory as it was', async () => {
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ extends: 'balanced', bake: { samples: -1 } }));
  const bad = ote('optimize', 'cornell.glb', '-o', 'out-bad', '--profile', 'bad.json');
  assert.is(bad.status, 5);
  assert.match(bad.stderr, /bad\.json: bake\.samples: must be >= 1/);
  const out = join(dir, 'out-cancel');
  mkdirSync(out);
  writeFileSync(join(out, 'mine.txt'), 'keep me');
  const child = spawn(
    process.execPath,
    [oteBin, 'optimize', 'cornell.glb', '-o', 'out-cancel', '--profile', 'quality', '--no-cache'],
    { cwd: dir, env },
  );
  await new Promise((r) => setTimeout(r, 2500));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.is(code, 130);
  assert.equal(readdirSync(out), ['mine.txt']);
  assert.is(readFileSync(join(out, 'mine.txt'), 'utf8'), 'keep me');
  assert.equal(
    readdirSync(dir).filter((f) => f.includes('staging')),
    [],
    'no staging directory left behind',
  );
});

test.run();
