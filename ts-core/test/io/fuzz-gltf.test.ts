/**
 * Fuzzing the glTF reader (importGltf, GLB and JSON glTF): files mutated from small valid seeds made by the
 * project's own generators (a Cornell box with a point light, a texture, texture transform, a lightmap and GPU
 * instancing; a foliage field; the textured hero object as .gltf with external .bin and PNGs). Mutations: JSON
 * values replaced by wrong types, null, huge or fractional numbers, removed or copied fields (re-encoded into the
 * GLB); byte flips, writes, insertions, deletions and truncation of the whole file; NaN, infinite and huge values
 * written into the binary chunk. Every case must end in a valid scene (sceneProblem) or a clean OteError
 * (fuzz-helpers.ts), within a time bound per case.
 *
 * `npm test` runs a fixed seed, 400 cases per property (about 15 s). A longer run, with a fresh seed that it prints
 * (about 7 minutes per 10,000 cases of every property):
 *   npx tsc -b && OTE_FUZZ_RUNS=100000 node dist/ts-core/test/io/fuzz-gltf.test.js
 * OTE_FUZZ_RUNS sets the cases of every property; OTE_FUZZ_SEED=<n> replays a seed; OTE_FUZZ_ONLY=<text> runs the
 * properties whose name (printed with the counts) contains it; OTE_FUZZ_PATH=<path> replays one failing case.
 */
import { test } from 'uvu';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cornellBox, foliageField, heroObject } from '../../../examples/generators/index.js';
import { Logger } from '@gltf-transform/core';
import { gltfIO } from '../../src/io/gltf-io.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { exportGltf, sceneToGlb } from '../../src/io/gltf-write.js';
import { encodePng } from '../../src/io/png.js';
import { flattenScene } from '../../src/scene/flatten.js';
import { hashScene } from '../../src/scene/hash.js';
import { sceneStats } from '../../src/scene/stats.js';
import type { Scene } from '../../src/scene/types.js';
import { tempDir } from '../helpers.js';
import {
  byteOps,
  expectCleanOutcome,
  fuzzParams,
  fuzzRuns,
  fuzzSelected,
  jsonOps,
  mutateBytes,
  mutateJson,
  summary,
  tally,
} from './fuzz-helpers.js';

const RUNS = fuzzRuns(400);
/** Per case: these files import in milliseconds; a case this slow is a hang or a blow-up. */
const BOUND_MS = 10_000;
/** Over this the import must fail with TOO_BIG before allocating, not take the test's memory. */
const memoryBudgetBytes = 64 * 2 ** 20;
const dir = tempDir('ote-fuzz-gltf-');
// glTF-Transform's console warnings ("Missing optional extension") would fill the log; errors still throw.
(await gltfIO()).setLogger(new Logger(Logger.Verbosity.ERROR));

// ---------------------------------------------------------------------------------------------------------------
// Seeds

/** The point-light Cornell box, plus what the reader handles beyond it: a texture with a transform, a lightmap on
 * uv1 (MOZ_lightmap), emissive strength and an instanced node. */
function richCornell(): Scene {
  const s = cornellBox({ variant: 'point' });
  const px = new Uint8Array(4 * 4 * 4).map((_, i) => (i * 37) & 255);
  s.textures.push({
    name: 'checker',
    mimeType: 'image/png',
    image: encodePng({ width: 4, height: 4, bitDepth: 8, data: px }),
    width: 4,
    height: 4,
  });
  s.materials[0].baseColorTexture = {
    texture: 0,
    texCoord: 0,
    transform: { offset: [0.5, 0], rotation: 0.1, scale: [2, 2] },
  };
  s.materials[1].lightmap = { texture: 0, intensity: 1.5 };
  s.materials[2].emissiveFactor = [1, 0.5, 0.25];
  s.materials[2].emissiveStrength = 4;
  for (const m of s.meshes) for (const p of m.primitives) if (p.uv0) p.uv1 = p.uv0.slice();
  const block = s.nodes.findIndex((n) => n.mesh !== undefined && n.name !== 'room');
  s.nodes[block].instances = {
    translation: Float32Array.of(0, 0, 0, 0.2, 0, 0),
    rotation: Float32Array.of(0, 0, 0, 1, 0, 0.38268343, 0, 0.9238795),
    scale: Float32Array.of(1, 1, 1, 0.5, 0.5, 0.5),
  };
  return s;
}

interface Glb {
  json: unknown;
  bin: Uint8Array;
}

function splitGlb(b: Uint8Array): Glb {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const jsonLength = v.getUint32(12, true);
  const json = JSON.parse(new TextDecoder().decode(b.subarray(20, 20 + jsonLength)));
  const binStart = 20 + jsonLength;
  return { json, bin: b.slice(binStart + 8, binStart + 8 + v.getUint32(binStart, true)) };
}

function joinGlb({ json, bin }: Glb): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(json));
  const jl = (text.length + 3) & ~3,
    bl = (bin.length + 3) & ~3;
  const out = new Uint8Array(12 + 8 + jl + 8 + bl),
    v = new DataView(out.buffer);
  v.setUint32(0, 0x46546c67, true);
  v.setUint32(4, 2, true);
  v.setUint32(8, out.length, true);
  v.setUint32(12, jl, true);
  v.setUint32(16, 0x4e4f534a, true);
  out.fill(0x20, 20, 20 + jl);
  out.set(text, 20);
  v.setUint32(20 + jl, bl, true);
  v.setUint32(24 + jl, 0x004e4942, true);
  out.set(bin, 28 + jl);
  return out;
}

const glbSeeds: Glb[] = [
  splitGlb(await sceneToGlb(richCornell())),
  splitGlb(await sceneToGlb(foliageField({ scale: 0.002 }))),
];
const gltfPath = join(dir, 'hero.gltf');
await exportGltf(heroObject({ scale: 0.25 }), gltfPath);
const gltfText = new TextEncoder().encode(
  JSON.stringify(JSON.parse(await (await import('node:fs/promises')).readFile(gltfPath, 'utf8'))),
);
const gltfJson = JSON.parse(new TextDecoder().decode(gltfText));

// ---------------------------------------------------------------------------------------------------------------
// What an accepted scene must be: every index in range, every number finite, and usable by the stages after import.

function sceneProblem(s: Scene): string | undefined {
  const inRange = (v: number | undefined, n: number) => v === undefined || (Number.isInteger(v) && v >= 0 && v < n);
  const finite = (a: ArrayLike<number>) => Array.prototype.every.call(a, Number.isFinite);
  for (const [i, m] of s.meshes.entries())
    for (const [j, p] of m.primitives.entries()) {
      const at = `meshes[${i}].primitives[${j}]`,
        vc = p.positions.length / 3;
      if (!Number.isInteger(vc) || !finite(p.positions)) return `${at}: positions`;
      if (p.indices.length % 3 || p.indices.some((k) => k >= vc)) return `${at}: indices`;
      for (const [name, a, n] of [
        ['normals', p.normals, 3],
        ['tangents', p.tangents, 4],
        ['uv0', p.uv0, 2],
        ['uv1', p.uv1, 2],
        ['colors', p.colors, 4],
      ] as const)
        if (a && a.length !== vc * n) return `${at}: ${name} has ${a.length} values for ${vc} vertices`;
      if (p.material !== -1 && !inRange(p.material, s.materials.length)) return `${at}: material ${p.material}`;
    }
  for (const [i, n] of s.nodes.entries()) {
    if (!inRange(n.mesh, s.meshes.length) || !inRange(n.light, s.lights.length) || !inRange(n.camera, s.cameras.length))
      return `nodes[${i}]: reference`;
    if (n.children.some((c) => !inRange(c, s.nodes.length) || s.nodes[c].parent !== i)) return `nodes[${i}]: children`;
    if (!finite(n.translation) || !finite(n.rotation) || !finite(n.scale))
      return `nodes[${i}]: transform ${[n.translation, n.rotation, n.scale]}`;
    if (n.instances) {
      const c = n.instances.translation.length / 3;
      if (n.instances.rotation.length !== 4 * c || n.instances.scale.length !== 3 * c) return `nodes[${i}]: instances`;
    }
  }
  if (s.roots.some((r) => !inRange(r, s.nodes.length))) return 'roots';
  for (const [i, m] of s.materials.entries()) {
    const refs = [
      m.baseColorTexture,
      m.metallicRoughnessTexture,
      m.normalTexture,
      m.occlusionTexture,
      m.emissiveTexture,
      m.lightmap,
    ];
    if (refs.some((r) => r && !inRange(r.texture, s.textures.length))) return `materials[${i}]: texture`;
    if (!finite([...m.baseColorFactor, ...m.emissiveFactor, m.metallicFactor, m.roughnessFactor, m.emissiveStrength]))
      return `materials[${i}]: factors`;
  }
  sceneStats(s);
  hashScene(s);
  flattenScene(s);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

let caseNo = 0;
/** Each case gets its own file (beside hero.bin and its PNGs, which .gltf cases refer to). */
function write(ext: string, bytes: Uint8Array): string {
  const p = join(dir, `case${caseNo++ % 8}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}

/** `make` builds the case's file from a generated value (data, so that fast-check can show and shrink it). */
async function fuzz<T>(name: string, arb: fc.Arbitrary<T>, ext: 'glb' | 'gltf', make: (v: T) => Uint8Array) {
  if (!fuzzSelected(name)) return;
  const t = tally(),
    t0 = performance.now();
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      const path = write(ext, make(v));
      await expectCleanOutcome(
        () => importGltf(path, { memoryBudgetBytes }),
        (r) => sceneProblem(r.scene),
        t,
        BOUND_MS,
      );
    }),
    fuzzParams(RUNS, BOUND_MS),
  );
  console.log(summary(name, RUNS, t, performance.now() - t0));
}

const seed = fc.nat(glbSeeds.length - 1);

/** The GLB's declared length set to the actual one: else nearly every length change stops at the header check. */
function fixLength(b: Uint8Array): Uint8Array {
  if (b.length >= 12) new DataView(b.buffer, b.byteOffset).setUint32(8, b.length, true);
  return b;
}

test('GLB: JSON values of wrong types, null, huge numbers, removed and copied fields', async () => {
  await fuzz('glb json', fc.tuple(seed, jsonOps(3)), 'glb', ([i, ops]) =>
    joinGlb({ json: mutateJson(glbSeeds[i].json, ops), bin: glbSeeds[i].bin }),
  );
});

test('GLB: byte flips, writes, insertions, deletions, truncation', async () => {
  await fuzz('glb bytes', fc.tuple(seed, byteOps(4), fc.boolean()), 'glb', ([i, ops, fix]) => {
    const b = mutateBytes(joinGlb(glbSeeds[i]), ops);
    return fix ? fixLength(b) : b;
  });
});

test('GLB: NaN, infinite and huge values in the binary chunk', async () => {
  const ops = byteOps(6).filter((o) => o.every((x) => x.op === 'u32' || x.op === 'f32' || x.op === 'set'));
  await fuzz('glb bin', fc.tuple(seed, ops), 'glb', ([i, o]) =>
    joinGlb({ json: glbSeeds[i].json, bin: mutateBytes(glbSeeds[i].bin, o, 4) }),
  );
});

test('.gltf: JSON values of wrong types, null, huge numbers, removed and copied fields', async () => {
  await fuzz('gltf json', jsonOps(3), 'gltf', (ops) =>
    new TextEncoder().encode(JSON.stringify(mutateJson(gltfJson, ops))),
  );
});

test('.gltf: byte mutations of the JSON text', async () => {
  await fuzz('gltf bytes', byteOps(3), 'gltf', (ops) => mutateBytes(gltfText, ops));
});

test.run();
