/**
 * The glTF JSON's types (gltf-shape.ts) and the Khronos validator on import (gltf-validate.ts): each malformed file
 * gets one BAD_INPUT line naming the file and the glTF path, errors that change nothing read are tolerated as one
 * warning, and a validator crash is no crash of ours.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cornellBox } from '../../../examples/generators/cornell.js';
import { heroObject } from '../../../examples/generators/hero.js';
import { OteError } from '../../src/errors.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { exportGltf, sceneToGlb } from '../../src/io/gltf-write.js';
import { pointerToPath } from '../../src/io/gltf-validate.js';
import { encodePng } from '../../src/io/png.js';
import { tempDir } from '../helpers.js';

const dir = tempDir();
const gltfPath = join(dir, 'hero.gltf');
await exportGltf(heroObject({ scale: 0.25 }), gltfPath);

function writeGltf(name: string, mutate: (j: any) => void): string {
  const j = JSON.parse(readFileSync(gltfPath, 'utf8'));
  mutate(j);
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(j));
  return p;
}

async function expectError(path: string, pattern: RegExp) {
  try {
    await importGltf(path);
  } catch (e) {
    assert.instance(e, OteError, `not an OteError: ${(e as Error).stack}`);
    assert.is((e as OteError).code, 'BAD_INPUT');
    assert.ok((e as OteError).message.startsWith(`${path}: `), (e as OteError).message);
    assert.is((e as OteError).message.split('\n').length, 1);
    assert.match((e as OteError).message, pattern);
    return;
  }
  assert.unreachable(`${path} imported without error`);
}

test('fields of the wrong type name the field, instead of "Cannot read properties of null"', async () => {
  const cases: [string, (j: any) => void, RegExp][] = [
    [
      'accessor-null',
      (j) => {
        j.accessors[0] = null;
      },
      /: accessors\[0\]: must be an object, got null$/,
    ],
    [
      'meshes-object',
      (j) => {
        j.meshes = { 0: j.meshes[0] };
      },
      /: meshes: must be an array, got an object$/,
    ],
    [
      'primitives-string',
      (j) => {
        j.meshes[0].primitives = 'x';
      },
      /: meshes\[0\]\.primitives: must be an array, got "x"$/,
    ],
    [
      'attributes-array',
      (j) => {
        j.meshes[0].primitives[0].attributes = [0];
      },
      /attributes: must be an object, got an array of 1$/,
    ],
    [
      'index-fraction',
      (j) => {
        j.meshes[0].primitives[0].indices = 1.5;
      },
      /primitives\[0\]\.indices: must be a non-negative integer, got 1\.5$/,
    ],
    [
      'index-negative',
      (j) => {
        j.nodes[0].mesh = -1;
      },
      /nodes\[0\]\.mesh: must be a non-negative integer, got -1$/,
    ],
    [
      'count-missing',
      (j) => {
        delete j.accessors[1].count;
      },
      /accessors\[1\]\.count: missing \(required by glTF 2\.0\)$/,
    ],
    [
      'type-proto',
      (j) => {
        j.accessors[0].type = 'constructor';
      },
      /accessors\[0\]\.type: must be one of SCALAR, VEC2/,
    ],
    [
      'extensions-number',
      (j) => {
        j.materials[0].extensions = { KHR_materials_unlit: 5 };
      },
      /materials\[0\]\.extensions\.KHR_materials_unlit: must be an object, got 5$/,
    ],
    [
      'texture-no-image',
      (j) => {
        delete j.textures[0].source;
      },
      /textures\[0\]: has no image \(no source\), but materials\[0\]\.pbrMetallicRoughness\.baseColorTexture uses it$/,
    ],
  ];
  for (const [name, mutate, pattern] of cases) await expectError(writeGltf(`type-${name}.gltf`, mutate), pattern);
});

test('a validator error that our own checks miss is one line: path, code, message, how many more', async () => {
  // A byte stride below the element size: the attributes of neighbouring vertices overlap.
  const p = writeGltf('stride.gltf', (j) => {
    for (const v of j.bufferViews) if (v.byteStride) v.byteStride = 4;
  });
  await expectError(
    p,
    /: accessors\[0\]: ACCESSOR_SMALL_BYTESTRIDE: Referenced bufferView's byteStride value 4 is less than accessor element's length 12\. \(and \d+ more errors\) \[glTF-Validator\]$/,
  );
});

test('validator errors that change nothing read (declared bounds) are one warning, counted by code', async () => {
  const p = writeGltf('bounds.gltf', (j) => {
    const pos = j.accessors[j.meshes[0].primitives[0].attributes.POSITION];
    pos.max = pos.max.map((x: number) => x + 1);
  });
  const { warnings } = await importGltf(p);
  assert.equal(
    warnings.filter((w) => w.startsWith('glTF validator')),
    ['glTF validator: 3 tolerated errors (ACCESSOR_MAX_MISMATCH ×3), none changes the scene as read'],
  );
});

test('a PNG that crashes the validator (IHDR renamed) leaves a warning, not a dead process', async () => {
  const s = cornellBox();
  const png = encodePng({ width: 4, height: 4, bitDepth: 8, data: new Uint8Array(64).fill(200) });
  png[14] = 0x78; // 'IHDR' -> 'IHxR': the validator throws "Future already completed" outside its promise
  s.textures.push({ name: 'bad', mimeType: 'image/png', image: png, width: 4, height: 4 });
  s.materials[0].baseColorTexture = { texture: 0, texCoord: 0 };
  const p = join(dir, 'crash.glb');
  writeFileSync(p, await sceneToGlb(s));
  const { scene, warnings } = await importGltf(p);
  assert.is(scene.textures.length, 1);
  assert.ok(
    warnings.some((w) => w.startsWith('glTF validator could not check the file')),
    warnings.join('; '),
  );
  const again = await importGltf(p); // a fresh validator thread
  assert.ok(again.warnings.some((w) => w.startsWith('glTF validator could not check the file')));
});

test("validator JSON pointers read as this project's glTF paths", () => {
  assert.is(
    pointerToPath('/meshes/0/primitives/12/attributes/TEXCOORD_0'),
    'meshes[0].primitives[12].attributes.TEXCOORD_0',
  );
  assert.is(pointerToPath('/extensions/KHR_lights_punctual/lights/1'), 'extensions.KHR_lights_punctual.lights[1]');
  assert.is(pointerToPath('/a~1b/c~0d'), 'a/b.c~d');
  assert.is(pointerToPath(''), '');
});

test.run();
