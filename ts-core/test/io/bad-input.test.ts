/** Each malformed input gets an OteError naming the file and the glTF path, never a crash or a silent result. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cornellBox } from '../../../examples/generators/cornell.js';
import { heroObject } from '../../../examples/generators/hero.js';
import { OteError } from '../../src/errors.js';
import { exportGltf } from '../../src/io/gltf-write.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { tempDir } from '../helpers.js';

const dir = tempDir();
const glbPath = join(dir, 'cornell.glb');
const gltfPath = join(dir, 'hero.gltf');
await exportGltf(cornellBox(), glbPath);
await exportGltf(heroObject({ scale: 0.25 }), gltfPath);
const glb = readFileSync(glbPath);
const gltfJson = () => JSON.parse(readFileSync(gltfPath, 'utf8'));

async function expectError(path: string, pattern: RegExp, code = 'BAD_INPUT', options = {}) {
  try {
    await importGltf(path, options);
  } catch (e) {
    assert.instance(e, OteError, `not an OteError: ${(e as Error).stack}`);
    const err = e as OteError;
    assert.is(err.code, code);
    assert.ok(err.message.startsWith(path), `message does not name the file: ${err.message}`);
    assert.match(err.message, pattern);
    return err;
  }
  assert.unreachable(`${path} imported without error`);
}

function writeGltf(name: string, mutate: (j: any) => void): string {
  const j = gltfJson();
  mutate(j);
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(j));
  return p;
}

test('truncated GLB', async () => {
  const p = join(dir, 'truncated.glb');
  writeFileSync(p, glb.subarray(0, glb.length - 100));
  await expectError(p, /header\.length: declares \d+ bytes but the file has \d+: truncated/);
});

test('GLB cut inside the header', async () => {
  const p = join(dir, 'tiny.glb');
  writeFileSync(p, glb.subarray(0, 7));
  await expectError(p, /header: file is 7 bytes.*truncated/);
});

test('wrong magic', async () => {
  const p = join(dir, 'magic.glb');
  const b = Buffer.from(glb);
  b.write('gLTX', 0, 'latin1');
  writeFileSync(p, b);
  await expectError(p, /header: wrong magic 0x58544c67/);
});

test('broken JSON names the line and column', async () => {
  const p = join(dir, 'broken.gltf');
  writeFileSync(p, readFileSync(gltfPath, 'utf8').replace('"asset"', '"asset" "oops"'));
  await expectError(p, /json: broken JSON at line \d+, column \d+/);
});

test('missing external buffer', async () => {
  const p = writeGltf('nobuffer.gltf', (j) => {
    j.buffers[0].uri = 'missing.bin';
  });
  await expectError(p, /buffers\[0\]\.uri: missing file "missing\.bin"/);
});

test('missing external image', async () => {
  const p = writeGltf('noimage.gltf', (j) => {
    j.images[1].uri = 'gone.png';
  });
  await expectError(p, /images\[1\]\.uri: missing file "gone\.png"/);
});

test('accessor out of range names the mesh path', async () => {
  const p = writeGltf('range.gltf', (j) => {
    const acc = j.meshes[0].primitives[0].indices;
    j.accessors[acc].count += 1000;
  });
  await expectError(
    p,
    /meshes\[0\]\.primitives\[0\]\.indices \(accessors\[\d+\]\): reads \d+ elements up to byte \d+, past the end of bufferViews/,
  );
});

test('buffer view past its buffer', async () => {
  const p = writeGltf('view.gltf', (j) => {
    j.bufferViews[0].byteLength += 1 << 20;
  });
  await expectError(p, /bufferViews\[0\]: byte range 0\.\.\d+ is past the end of buffers\[0\]/);
});

test('index past the vertex count', async () => {
  // Rewrite one index in the .bin so the accessor stays in range but points past the vertices.
  const j = gltfJson();
  const acc = j.accessors[j.meshes[0].primitives[0].indices];
  const view = j.bufferViews[acc.bufferView];
  const bin = Buffer.from(readFileSync(join(dir, j.buffers[0].uri)));
  const offset = (view.byteOffset ?? 0) + (acc.byteOffset ?? 0) + 2 * 5;
  if (acc.componentType === 5123) bin.writeUInt16LE(65000, offset);
  else bin.writeUInt32LE(4_000_000, offset);
  writeFileSync(join(dir, 'badindex.bin'), bin);
  j.buffers[0].uri = 'badindex.bin';
  const p = join(dir, 'badindex.gltf');
  writeFileSync(p, JSON.stringify(j));
  await expectError(p, /meshes\[0\]\.primitives\[0\]\.indices: index \d+ at position 5 is past the vertex count \d+/);
});

test('NaN and infinite positions', async () => {
  for (const [name, value] of [
    ['nan', NaN],
    ['inf', Infinity],
  ] as const) {
    const j = gltfJson();
    const acc = j.accessors[j.meshes[0].primitives[0].attributes.POSITION];
    const view = j.bufferViews[acc.bufferView];
    const bin = Buffer.from(readFileSync(join(dir, j.buffers[0].uri)));
    const stride = view.byteStride ?? 12; // glTF-Transform interleaves attributes
    bin.writeFloatLE(value, (view.byteOffset ?? 0) + (acc.byteOffset ?? 0) + stride * 3 + 4);
    writeFileSync(join(dir, `${name}.bin`), bin);
    j.buffers[0].uri = `${name}.bin`;
    const p = join(dir, `${name}.gltf`);
    writeFileSync(p, JSON.stringify(j));
    await expectError(p, /meshes\[0\]\.primitives\[0\]\.attributes\.POSITION: vertex 3 has a non-finite coordinate/);
  }
});

test('a scene too big for the memory budget fails before allocating', async () => {
  const p = writeGltf('huge.gltf', (j) => {
    j.buffers.push({ uri: 'never-read.bin', byteLength: 4e12 });
  });
  const err = await expectError(p, /scene needs about 3\.6 TiB.*over the memory budget/, 'TOO_BIG', {
    memoryBudgetBytes: 8 * 2 ** 30,
  });
  assert.not.match(err!.message, /never-read\.bin/, 'it must fail before trying to read the buffer');
});

test('a light with negative intensity names the light and the node that uses it', async () => {
  const p = writeGltf('light.gltf', (j) => {
    j.extensionsUsed = [...(j.extensionsUsed ?? []), 'KHR_lights_punctual'];
    j.extensions = { KHR_lights_punctual: { lights: [{ type: 'point', intensity: -3 }] } };
    j.nodes[0].extensions = { KHR_lights_punctual: { light: 0 } };
  });
  await expectError(
    p,
    /extensions\.KHR_lights_punctual\.lights\[0\]\.intensity: -3 is out of range \(must be >= 0\) \(light "", on nodes\[0\] \("knot"\)\)/,
  );
});

test('dangling indices name the field that holds them, instead of failing inside the reader', async () => {
  const cases: [string, (j: any) => void, RegExp][] = [
    [
      'scene-node',
      (j) => {
        j.scenes[0].nodes = [7];
      },
      /scenes\[0\]\.nodes\[0\]: refers to nodes\[7\], which does not exist \(there are \d+\)/,
    ],
    [
      'child',
      (j) => {
        j.nodes[0].children = [99];
      },
      /nodes\[0\] \("knot"\)\.children\[0\]: refers to nodes\[99\]/,
    ],
    [
      'mesh',
      (j) => {
        j.nodes[0].mesh = 42;
      },
      /nodes\[0\] \("knot"\)\.mesh: refers to meshes\[42\]/,
    ],
    [
      'material',
      (j) => {
        j.meshes[0].primitives[0].material = 50;
      },
      /meshes\[0\]\.primitives\[0\]\.material: refers to materials\[50\]/,
    ],
    [
      'indices',
      (j) => {
        j.meshes[0].primitives[0].indices = 500;
      },
      /meshes\[0\]\.primitives\[0\]\.indices: refers to accessors\[500\]/,
    ],
    [
      'texture',
      (j) => {
        j.materials[0].pbrMetallicRoughness = { baseColorTexture: { index: 33 } };
      },
      /materials\[0\]\.pbrMetallicRoughness\.baseColorTexture\.index: refers to textures\[33\]/,
    ],
    [
      'image',
      (j) => {
        j.textures[0].source = 9;
      },
      /textures\[0\]\.source: refers to images\[9\]/,
    ],
  ];
  for (const [name, mutate, pattern] of cases) await expectError(writeGltf(`ref-${name}.gltf`, mutate), pattern);
});

test('malformed node transforms and hierarchies are errors, not some other transform', async () => {
  const cases: [string, (j: any) => void, RegExp][] = [
    [
      'matrix-15',
      (j) => {
        j.nodes[0].matrix = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0];
      },
      /nodes\[0\] \("knot"\)\.matrix: must be an array of 16 numbers, got 15/,
    ],
    [
      'matrix-projective',
      (j) => {
        j.nodes[0].matrix = [1, 0, 0, 0.5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
      },
      /\.matrix: is not affine/,
    ],
    [
      'matrix-and-trs',
      (j) => {
        j.nodes[0].matrix = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
        j.nodes[0].scale = [2, 2, 2];
      },
      /\.matrix: is given together with translation\/rotation\/scale/,
    ],
    [
      'translation-null',
      (j) => {
        j.nodes[0].translation = [0, null, 0];
      },
      /nodes\[0\] \("knot"\)\.translation\[1\]: null is not a finite number/,
    ],
    [
      'scale-overflow',
      (j) => {
        j.nodes[0].scale = [1e39, 1, 1];
      },
      /\.scale\[0\]: 1e\+39 is not a finite number in 32-bit float/,
    ],
    [
      'rotation-zero',
      (j) => {
        j.nodes[0].rotation = [0, 0, 0, 0];
      },
      /\.rotation: \[0, 0, 0, 0\] is not a unit quaternion/,
    ],
    [
      'child-self',
      (j) => {
        j.nodes[0].children = [0];
      },
      /nodes\[0\] \("knot"\)\.children: lists the node itself/,
    ],
    [
      'two-parents',
      (j) => {
        j.nodes.push({ name: 'a', children: [0] }, { name: 'b', children: [0] });
      },
      /\.children: lists nodes\[0\] \("knot"\), which is already a child of nodes\[\d+\] \("a"\)/,
    ],
    [
      'cycle',
      (j) => {
        const n = j.nodes.length;
        j.nodes.push({ name: 'a', children: [n + 1] }, { name: 'b', children: [n] });
      },
      /is its own ancestor: the node hierarchy has a cycle/,
    ],
  ];
  for (const [name, mutate, pattern] of cases) await expectError(writeGltf(`node-${name}.gltf`, mutate), pattern);
});

test('a slightly non-unit quaternion, as exporters round them, is normalized on import', async () => {
  const p = writeGltf('quat.gltf', (j) => {
    j.nodes[0].rotation = [0, 0.71, 0, 0.71];
  }); // length 1.0041
  const { scene } = await importGltf(p);
  const r = scene.nodes.find((n) => n.name === 'knot')!.rotation;
  assert.ok(Math.abs(Math.hypot(...r) - 1) < 1e-6, `rotation ${r} is not unit length`);
  assert.ok(Math.abs(r[1] - Math.SQRT1_2) < 1e-6, `rotation ${r}`);
});

test('lights, cameras and material factors out of their glTF ranges name the field', async () => {
  const light = (l: object) => (j: any) => {
    j.extensionsUsed = [...(j.extensionsUsed ?? []), 'KHR_lights_punctual'];
    j.extensions = { KHR_lights_punctual: { lights: [{ type: 'point', intensity: 5, ...l }] } };
    j.nodes[0].extensions = { KHR_lights_punctual: { light: 0 } };
  };
  const cases: [string, (j: any) => void, RegExp][] = [
    ['light-type', light({ type: 'area' }), /lights\[0\]\.type: "area" is not a KHR_lights_punctual type/],
    [
      'light-color',
      light({ color: [1, 'a', 1] }),
      /lights\[0\]\.color\[1\]: "a" is not a finite number \(light "", on nodes\[0\] \("knot"\)\)/,
    ],
    ['light-range', light({ range: -2 }), /lights\[0\]\.range: -2 is out of range \(must be > 0\)/],
    [
      'spot-cone',
      light({ type: 'spot', spot: { innerConeAngle: 1.2, outerConeAngle: 0.5 } }),
      /lights\[0\]\.spot: innerConeAngle 1\.2 must be less than outerConeAngle 0\.5/,
    ],
    [
      'camera-yfov',
      (j) => {
        j.cameras[0].perspective.yfov = 0;
      },
      /cameras\[0\] \("hero"\)\.perspective\.yfov: 0 is out of range/,
    ],
    [
      'camera-znear',
      (j) => {
        j.cameras[0].perspective.znear = -1;
      },
      /\.perspective\.znear: -1 is out of range \(must be > 0\)/,
    ],
    [
      'base-color',
      (j) => {
        j.materials[0].pbrMetallicRoughness = { baseColorFactor: [-1, 0.5, 0.5, 1] };
      },
      /materials\[0\] \("hero"\)\.pbrMetallicRoughness\.baseColorFactor\[0\]: -1 is out of range \(must be >= 0 and <= 1\)/,
    ],
    [
      'emissive',
      (j) => {
        j.materials[0].emissiveFactor = [1, null, 1];
      },
      /materials\[0\] \("hero"\)\.emissiveFactor\[1\]: null is not a finite number/,
    ],
  ];
  for (const [name, mutate, pattern] of cases) await expectError(writeGltf(`value-${name}.gltf`, mutate), pattern);
});

test('file not found', async () => {
  await expectError(join(dir, 'nope.glb'), /file not found/);
});

test.run();
