/**
 * Every glTF this project writes passes the Khronos glTF-Validator with zero errors: each `ote gen` generator (as GLB,
 * and as .gltf with its .bin and images beside it), and `ote bake` outputs (GLB, and .gltf with an HDR lightmap).
 * The validator runs here in-process on the written files, independently of the import path that also runs it.
 * Warnings and infos are allowed (MOZ_lightmap and EXT_mesh_gpu_instancing are unknown to the validator).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { validateBytes, type ValidationMessage } from 'gltf-validator';
import { GENERATORS } from '../../../examples/generators/index.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { exportGltf } from '../../src/io/gltf-write.js';
import { oteBin, tempDir } from '../helpers.js';

const dir = tempDir('ote-validator-');

async function validatorErrors(path: string): Promise<ValidationMessage[]> {
  const report = await validateBytes(new Uint8Array(await readFile(path)), {
    uri: path,
    maxIssues: 0,
    writeTimestamp: false,
    externalResourceFunction: async (uri) =>
      new Uint8Array(await readFile(resolve(dirname(path), decodeURIComponent(uri)))),
  });
  return report.issues.messages.filter((m) => m.severity === 0);
}

async function assertValid(path: string) {
  const errors = await validatorErrors(path);
  const shown = errors
    .slice(0, 5)
    .map((e) => `${e.pointer ?? `byte ${e.offset}`}: ${e.code} ${e.message}`)
    .join('; ');
  assert.is(errors.length, 0, `${path}: ${errors.length} validator errors: ${shown}`);
}

/** Small enough for a quick test, large enough that every generator builds all its parts. */
const SCALES: Record<string, number> = { cornell: 1, 'cornell-point': 1, atrium: 0.2, foliage: 0.01, hero: 0.25 };

test('the test covers every generator', () => {
  assert.equal(Object.keys(SCALES).sort(), Object.keys(GENERATORS).sort());
});

for (const [kind, make] of Object.entries(GENERATORS)) {
  test(`ote gen ${kind}: GLB and .gltf pass the validator with zero errors`, async () => {
    const scene = make(SCALES[kind]);
    for (const ext of ['glb', 'gltf']) {
      const path = join(dir, `${kind}.${ext}`);
      await exportGltf(scene, path);
      await assertValid(path);
    }
  });
}

const ote = (...args: string[]) => spawnSync(process.execPath, [oteBin, ...args], { encoding: 'utf8', cwd: dir });

for (const [kind, out, flags] of [
  ['cornell', 'cornell-baked.glb', []],
  ['hero', 'hero-baked.gltf', ['--hdr']],
] as const) {
  test(`ote bake ${kind} -o ${out} passes the validator with zero errors, and imports with its lightmap`, async () => {
    const input = join(dir, `${kind}-in.glb`);
    await exportGltf(GENERATORS[kind](SCALES[kind]), input);
    const r = ote(
      'bake',
      input,
      '-o',
      join(dir, out),
      '--samples',
      '4',
      '--texels-per-meter',
      '8',
      '--backend',
      'cpu',
      ...flags,
    );
    assert.is(r.status, 0, r.stderr);
    await assertValid(join(dir, out));
    const { scene, warnings } = await importGltf(join(dir, out));
    assert.ok(
      scene.materials.some((m) => m.lightmap),
      'a material has a MOZ_lightmap',
    );
    assert.not.ok(
      warnings.some((w) => w.startsWith('glTF validator')),
      warnings.join('; '),
    );
  });
}

test.run();
