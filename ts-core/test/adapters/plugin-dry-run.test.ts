/**
 * The editor plugins' scripts, run under Node against recording fakes of the engines' modules (engine-fakes/: Puerts'
 * `ue` for Unreal, `csharp` for Unity, and `puerts`). Unreal and Unity cannot run here; these fakes stand in for
 * them (README, "Editor plugins"). Each dry run dumps a small level with two materials and lights, and checks the
 * level.glb the script writes (read back by the core's importer, Khronos validator included), the lights in glTF
 * units and directions, and the calls that leave the editor: the file saved and the ote command started.
 */
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createImage } from '../../src/image/float-image.js';
import { encodeExr } from '../../src/bake/encode.js';
import { generateLightmapUvs, layoutOf } from '../../src/bake/uv.js';
import { applyLightmaps } from '../../src/bake/writeback.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { sceneToGlb } from '../../src/io/gltf-write.js';
import { environmentSettings, resolveProfile } from '../../src/plan/profile.js';
import { decodePng, encodePng } from '../../src/io/png.js';
import { decodeSplats, encodeSplats } from '../../src/io/splat-formats.js';
import { createModel } from '../../src/scene/gaussians.js';
import type { Scene } from '../../src/scene/types.js';
import { tempDir } from '../helpers.js';
import type { UnityRendererData, UnityScene } from './engine-fakes/csharp.js';
import type { FakeCall, FakeEngineState } from './engine-fakes/state.js';
import type { UeLevel } from './engine-fakes/ue.js';

register(new URL('./engine-fakes/hooks.js', import.meta.url));

let runs = 0;
/**
 * Imports a plugin script (a fresh instance each time) over `level`, and returns its calls once it starts ote, or,
 * with a scripted `process` (its lines and exit code), once it has shown the run's verdict.
 */
async function dryRun(script: string, level: unknown, process?: FakeEngineState['process']): Promise<FakeCall[]> {
  let markStarted!: () => void, markEnded!: () => void;
  const started = new Promise<void>((r) => {
    markStarted = r;
  });
  const ended = new Promise<void>((r) => {
    markEnded = r;
  });
  const state: FakeEngineState = { level, calls: [], started, markStarted, process, markEnded };
  (globalThis as { __oteFakeEngine?: FakeEngineState }).__oteFakeEngine = state;
  await import(`${new URL(script, import.meta.url).href}?run=${++runs}`);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    process ? ended : started,
    new Promise((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`${script}: never ${process ? 'ended' : 'started ote'}; calls: ${JSON.stringify(state.calls)}`),
          ),
        10_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return state.calls;
}

/** The glTF a dry run saved, read back by the core's importer (which validates it). */
async function savedScene(calls: FakeCall[], fn: string): Promise<Scene> {
  const saved = calls.find((c) => c.fn === fn);
  assert.ok(saved, `no ${fn} call in ${calls.map((c) => c.fn).join(', ')}`);
  const path = join(tempDir(), 'level.glb');
  writeFileSync(path, saved!.args[1] as Uint8Array);
  return (await importGltf(path)).scene;
}

const near = (a: number, b: number, tol = 1e-4) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

/** Where a light node shines, in glTF: its rotation applied to −Z. */
function lightDirection(scene: Scene, name: string): number[] {
  const node = scene.nodes.find((n) => n.light !== undefined && scene.lights[n.light].name === name)!;
  const [x, y, z, w] = node.rotation ?? [0, 0, 0, 1];
  // q · (0, 0, −1) · q*
  const v = [0, 0, -1];
  const t = [2 * (y * v[2] - z * v[1]), 2 * (z * v[0] - x * v[2]), 2 * (x * v[1] - y * v[0])];
  return [
    v[0] + w * t[0] + (y * t[2] - z * t[1]),
    v[1] + w * t[1] + (z * t[0] - x * t[2]),
    v[2] + w * t[2] + (x * t[1] - y * t[0]),
  ];
}

const quad = (size: number) => ({
  positions: [0, 0, 0, size, 0, 0, size, size, 0, 0, size, 0],
  normals: [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1],
  uv: [0, 0, 1, 0, 1, 1, 0, 1],
  indices: [0, 1, 2, 0, 2, 3],
});

/** A texture asset's source art, as UOteEditorLibrary::ExportTexturePng returns it. */
const brick = {
  path: '/Game/Textures/T_Brick.T_Brick',
  width: 4,
  height: 2,
  png: encodePng({ width: 4, height: 2, bitDepth: 8, data: new Uint8Array(32).fill(120) }),
};

/** A static Unity renderer at the origin drawing a unit quad with `submeshes` of its two triangles. */
const unityQuad = (
  object: string,
  mesh: string,
  submeshes: number[][],
  materials: UnityRendererData['materials'],
): UnityRendererData => ({
  object,
  isStatic: true,
  position: [0, 0, 0],
  rotation: [0, 0, 0, 1],
  mesh: { name: mesh, vertices: quad(1).positions, normals: quad(1).normals, uv: quad(1).uv, submeshes },
  materials,
});

test('Unreal: a level with two materials and four lights (one off) becomes level.glb with its lights in glTF units, and ote starts on it', async () => {
  const s45 = Math.SQRT1_2;
  const level: UeLevel = {
    name: 'Level_01',
    // The project's profile setting: QUALITY for this project.
    files: { '/Project/Saved/../Config/OptimizerProfile.json': '{ "profile": "quality" }' },
    materials: {
      // A master with hand-made parameter names, an instance of it, and a masked two-sided base material.
      // Its normal map's pixels are read and its green flipped (DirectX's convention); its base colour texture is
      // exported once, though M_Wood uses it too.
      M_Master: {
        scalars: { Roughness: 0.5, Metallic: 0 },
        vectors: { 'Base Color': [1, 1, 1, 1] },
        textures: {
          BaseColorTexture: brick,
          Normal: {
            path: '/Game/Textures/T_Brick_N.T_Brick_N',
            width: 1,
            height: 1,
            rgba: Uint8Array.from([204, 64, 230, 255]),
          },
        },
      },
      M_Stone: { parent: 'M_Master', scalars: { Roughness: 0.9 }, vectors: { 'Base Color': [0.5, 0.4, 0.3, 1] } },
      M_Wood: {
        blendMode: 1,
        twoSided: true,
        opacityMaskClipValue: 0.4,
        vectors: { BaseColor: [0.3, 0.2, 0.1, 1] },
        textures: {
          'Base Color': brick,
          // A roughness map of its own (R), read as stored and repacked into glTF's G.
          'Roughness Map': {
            path: '/Game/Textures/T_Wood_R.T_Wood_R',
            width: 2,
            height: 1,
            rgba: Uint8Array.from([51, 0, 0, 255, 204, 0, 0, 255]),
          },
        },
      },
    },
    actors: [
      {
        label: 'Floor',
        cls: 'StaticMeshActor',
        location: [0, 0, 0],
        rotation: [0, 0, 0, 1],
        mesh: {
          path: '/Game/SM_Floor',
          sections: [
            { ...quad(100), material: 'M_Stone' },
            { ...quad(50), material: 'M_Wood' },
          ],
        },
      },
      {
        label: 'Door',
        cls: 'StaticMeshActor',
        location: [300, 0, 0],
        rotation: [0, 0, 0, 1],
        mobility: 2,
        mesh: {
          path: '/Game/SM_Floor',
          sections: [
            { ...quad(100), material: 'M_Stone' },
            { ...quad(50), material: 'M_Wood' },
          ],
        },
      },
      {
        label: 'Lamp',
        cls: 'PointLight',
        location: [100, 200, 300],
        rotation: [0, 0, 0, 1],
        light: { Intensity: 1700, IntensityUnits: 2, LightColor: { R: 255, G: 128, B: 0, A: 255 } },
      },
      // +X turned onto −Z: the sun shines straight down.
      {
        label: 'Sun',
        cls: 'DirectionalLight',
        location: [0, 0, 1000],
        rotation: [0, s45, 0, s45],
        light: { Intensity: 10, LightColor: { R: 255, G: 255, B: 255, A: 255 } },
      },
      {
        label: 'Spot',
        cls: 'SpotLight',
        location: [0, 0, 200],
        rotation: [0, 0, 0, 1],
        light: {
          Intensity: 1000,
          IntensityUnits: 2,
          LightColor: { R: 255, G: 255, B: 255, A: 255 },
          InnerConeAngle: 20,
          OuterConeAngle: 30,
        },
      },
      {
        label: 'Foliage',
        cls: 'InstancedFoliageActor',
        location: [0, 0, 0],
        rotation: [0, 0, 0, 1],
        instanced: [
          {
            name: 'FoliageInstancedStaticMeshComponent_0',
            mesh: { path: '/Game/SM_Bush', sections: [{ ...quad(30), material: 'M_Wood' }] },
            copies: [
              { location: [100, 0, 0], rotation: [0, 0, 0, 1], scale: [1, 1, 1] },
              { location: [200, 100, 0], rotation: [0, 0, 0, 1], scale: [1, 1, 1] },
              { location: [300, -100, 50], rotation: [0, 0, s45, s45], scale: [2, 2, 2] },
            ],
          },
        ],
      },
      {
        label: 'Sky',
        cls: 'SkyLight',
        location: [0, 0, 0],
        rotation: [0, 0, 0, 1],
        light: { Intensity: 2, LightColor: { R: 255, G: 255, B: 255, A: 255 } },
      },
      {
        label: 'Off',
        cls: 'PointLight',
        location: [0, 0, 0],
        rotation: [0, 0, 0, 1],
        light: { Intensity: 5000, bAffectsWorld: false, LightColor: { R: 255, G: 255, B: 255, A: 255 } },
      },
    ],
  };
  const calls = await dryRun('../../../plugin-unreal/Scripts/optimize-level.js', level);
  const saved = calls.find((c) => c.fn === 'SaveBytesAtomic')!;
  assert.is(saved.args[0], '/Project/Saved/Optimizer/level.glb');
  const start = calls.find((c) => c.fn === 'StartOptimize')!;
  assert.match(
    String(start.args[2]),
    /optimize .*level\.glb.*--profile \/Project\/Saved\/Optimizer\/level-profile\.json/,
  );
  // The SkyLight, which glTF cannot carry, goes to ote as a TD profile over the project's profile (QUALITY).
  const profileFile = calls.find((c) => c.fn === 'SaveBytesAtomic' && /level-profile\.json$/.test(String(c.args[0])))!;
  const profile = resolveProfile(JSON.parse(new TextDecoder().decode(profileFile.args[1] as Uint8Array)));
  assert.is(profile.bake.samples, resolveProfile({ extends: 'quality' }).bake.samples, 'QUALITY, with the sky');
  assert.equal(environmentSettings(profile).sky, { type: 'constant', color: [2, 2, 2] });
  assert.is(environmentSettings(profile).mode, 'always');
  // Without a process to start, the verdict says so (adapters/run-watch.ts startFailure).
  const end = calls.find((c) => c.fn === 'EndRun')!;
  assert.equal(end.args.slice(0, 3), [false, 1, 'ote could not start']);

  const scene = await savedScene(calls, 'SaveBytesAtomic');
  assert.equal(scene.materials.map((m) => m.name).sort(), ['M_Stone', 'M_Wood']);
  const stone = scene.materials.find((m) => m.name === 'M_Stone')!,
    wood = scene.materials.find((m) => m.name === 'M_Wood')!;
  assert.equal(
    [...stone.baseColorFactor].map((v) => Number(v.toFixed(4))),
    [0.5, 0.4, 0.3, 1],
    "the instance's colour",
  );
  assert.ok(
    near(stone.roughnessFactor, 0.9) && stone.metallicFactor === 0,
    'roughness from the instance, metallic from its master',
  );
  assert.equal(
    calls.filter((c) => c.fn === 'ExportTexturePng').map((c) => c.args[0]),
    ['/Game/Textures/T_Brick.T_Brick'],
    'each colour texture asset exported once as PNG',
  );
  assert.ok(stone.baseColorTexture && wood.baseColorTexture, "the master's texture, inherited, and the wood's");
  assert.is(stone.baseColorTexture!.texture, wood.baseColorTexture!.texture, 'one glTF texture for one asset');
  assert.equal([scene.textures.length, scene.textures[0].width, scene.textures[0].height], [3, 4, 2]);
  // The wood's roughness map in glTF's G, metallic stored as 1 under the factor its (missing) scalar gives.
  assert.equal([wood.roughnessFactor, wood.metallicFactor], [1, 0]);
  const woodMr = decodePng(scene.textures[wood.metallicRoughnessTexture!.texture].image);
  assert.equal([...woodMr.data], [255, 51, 255, 255, 255, 204, 255, 255]);
  assert.equal(
    calls.filter((c) => c.fn === 'ExportTexturePixels').map((c) => c.args[0]),
    ['/Game/Textures/T_Brick_N.T_Brick_N', '/Game/Textures/T_Wood_R.T_Wood_R'],
  );
  // The master's normal map, inherited, in glTF's convention: green flipped (64 → 191).
  assert.equal([...decodePng(scene.textures[stone.normalTexture!.texture].image).data], [204, 191, 230, 255]);
  assert.is(wood.alphaMode, 'MASK');
  assert.ok(near(wood.alphaCutoff, 0.4) && wood.doubleSided);
  assert.ok(
    calls.some((c) => c.fn === 'PrintString' && /M_Wood: no parameter for metallic, roughness/.test(String(c.args[0]))),
    'the slots a material leaves unset are said',
  );
  assert.is(scene.nodes.filter((n) => n.mesh !== undefined).length, 3, 'two actors and one instancer');
  const foliage = scene.nodes.find((n) => n.name === 'Foliage/FoliageInstancedStaticMeshComponent_0')!;
  assert.ok(foliage?.instances, 'the foliage is one node with instances (EXT_mesh_gpu_instancing)');
  assert.equal(
    [...foliage.instances!.translation].map((v) => Number(v.toFixed(5))),
    [1, 0, 0, 2, 0, 1, 3, 0.5, -1],
    'cm, Z up → m, Y up, per copy',
  );
  assert.equal([...foliage.instances!.scale.slice(6)], [2, 2, 2]);
  assert.equal(
    scene.lights.map((l) => l.name).sort(),
    ['Lamp', 'Spot', 'Sun'],
    'the light that affects nothing is left out, and the sky light is no punctual light',
  );
  const lamp = scene.lights.find((l) => l.name === 'Lamp')!;
  assert.is(lamp.type, 'point');
  assert.ok(near(lamp.intensity, 1700 / (4 * Math.PI)), `1700 lm: ${lamp.intensity} cd`);
  assert.ok(near(lamp.color[1], 0.2158605, 1e-3) && lamp.color[2] === 0, `sRGB (255, 128, 0): ${lamp.color}`);
  const lampNode = scene.nodes.find((n) => n.light !== undefined && scene.lights[n.light].name === 'Lamp')!;
  assert.equal(
    lampNode.translation!.map((v) => Number(v.toFixed(6))),
    [1, 3, 2],
    'cm, Z up → m, Y up',
  );
  const sun = scene.lights.find((l) => l.name === 'Sun')!;
  assert.is(sun.intensity, 10);
  const down = lightDirection(scene, 'Sun');
  assert.ok(near(down[1], -1, 1e-5), `the sun shines along ${down}`);
  const spot = scene.lights.find((l) => l.name === 'Spot')!;
  assert.ok(near(spot.intensity, 1000 / (2 * Math.PI * (1 - Math.cos(Math.PI / 6)))));
  assert.ok(near(spot.outerConeAngle, Math.PI / 6) && near(spot.innerConeAngle, Math.PI / 9));
});

/** Texel 0 bare metal (metallic 1, smoothness 0.8), texel 1 paint (metallic 0, smoothness 0.4). */
const paintMap = Uint8Array.from([255, 0, 0, 204, 0, 0, 0, 102]);
const steelPng = encodePng({ width: 2, height: 2, bitDepth: 8, data: new Uint8Array(16).fill(200) });

test('Unity: the built-in pipeline (gamma intensity) and HDRP (physical units) give the lights the same scene would have', async () => {
  const scene = (
    pipeline: string | null,
    lights: UnityScene['lights'],
    ambient?: UnityScene['ambient'],
  ): UnityScene => ({
    ambient,
    pipeline,
    linearIntensity: false,
    renderers: [
      unityQuad(
        'Crate',
        'Cube',
        [
          [0, 1, 2],
          [0, 2, 3],
        ],
        [
          {
            name: 'Painted',
            shader: 'Standard',
            colors: { _Color: [0.8, 0.2, 0.2, 1] },
            floats: { _Metallic: 0, _Glossiness: 0.3, _Mode: 0, _GlossMapScale: 0.5 },
            // Metallic in R, smoothness in A: chipped paint over bare metal.
            textures: {
              _MetallicGlossMap: { name: 'Painted_MetallicSmoothness', width: 2, height: 1, rgba: paintMap },
            },
          },
          {
            name: 'Steel',
            shader: 'Universal Render Pipeline/Lit',
            colors: { _BaseColor: [1, 1, 1, 1] },
            floats: { _Metallic: 1, _Smoothness: 0.7, _Cull: 0 },
            textures: {
              _BaseMap: { name: 'Steel_Albedo', width: 2, height: 2, png: steelPng },
              // As the GPU holds it: DXT5nm, X in A.
              _BumpMap: { name: 'Steel_Normal', width: 1, height: 1, rgba: Uint8Array.from([255, 128, 0, 204]) },
            },
          },
        ],
      ),
    ],
    lights,
    terrains: [
      {
        name: 'Terrain',
        position: [10, 0, 20],
        size: [100, 50, 100],
        prototypes: [
          {
            object: 'Pine',
            mesh: {
              name: 'PineMesh',
              vertices: quad(1).positions,
              normals: quad(1).normals,
              uv: quad(1).uv,
              submeshes: [[0, 1, 2, 0, 2, 3]],
            },
            materials: [{ name: 'Bark', shader: 'Standard', colors: { _Color: [0.4, 0.3, 0.2, 1] } }],
          },
        ],
        trees: [
          { position: [0.5, 0, 0.25], widthScale: 1, heightScale: 2, rotation: Math.PI / 2, prototypeIndex: 0 },
          { position: [0.1, 0.02, 0.9], widthScale: 0.5, heightScale: 0.5, rotation: 0, prototypeIndex: 0 },
        ],
      },
    ],
  });
  const builtIn = await dryRun(
    '../../../plugin-unity/Scripts/optimize-scene.js',
    scene(
      null,
      [
        // Unity lights shine along +Z; turned 90° about X, +Z becomes −Y: down.
        {
          object: 'Sun',
          position: [0, 10, 0],
          rotation: [Math.SQRT1_2, 0, 0, Math.SQRT1_2],
          light: { type: 1, intensity: 1, color: { r: 1, g: 1, b: 1, a: 1 } },
        },
        {
          object: 'Bulb',
          position: [1, 2, 3],
          rotation: [0, 0, 0, 1],
          light: { type: 2, intensity: 2, range: 4, color: { r: 1, g: 0.5, b: 1, a: 1 } },
        },
      ],
      {
        mode: 1,
        intensity: 1,
        sky: [0.5, 0.6, 1],
        equator: [0.5, 0.5, 0.5],
        ground: [0.2, 0.15, 0.1],
        flat: [0, 0, 0],
      },
    ),
  );
  assert.is(builtIn.find((c) => c.fn === 'SaveBytes')!.args[0], '/Project/Assets/../Library/Optimizer/scene.glb');
  // Trilight ambient: a gradient sky in a TD profile beside the scene.
  assert.ok(
    builtIn.some(
      (c) =>
        c.fn === 'Start' &&
        /--profile \/Project\/Assets\/\.\.\/Library\/Optimizer\/level-profile\.json/.test(String(c.args[2])),
    ),
  );
  const unityProfile = builtIn.find((c) => c.fn === 'SaveBytes' && /level-profile\.json$/.test(String(c.args[0])))!;
  const sky = environmentSettings(
    resolveProfile(JSON.parse(new TextDecoder().decode(unityProfile.args[1] as Uint8Array))),
  ).sky;
  assert.is(sky.type, 'gradient');
  const a = await savedScene(builtIn, 'SaveBytes');
  assert.equal(a.materials.map((m) => m.name).sort(), ['Bark', 'Painted', 'Steel']);
  const pines = a.nodes.find((n) => n.name === 'Terrain/trees/Pine')!;
  assert.ok(pines?.instances, 'terrain trees are one node with instances');
  assert.equal(
    [...pines.instances!.translation].map((v) => Number(v.toFixed(5))),
    [60, 0, -45, 20, 1, -110],
    "the terrain's origin + position × size, Unity +Z → glTF −Z",
  );
  assert.equal([...pines.instances!.scale.slice(0, 3)], [1, 2, 1], 'width, height, width');
  const painted = a.materials.find((m) => m.name === 'Painted')!,
    steel = a.materials.find((m) => m.name === 'Steel')!;
  assert.ok(near(painted.baseColorFactor[1], 0.0331048, 1e-3), `sRGB 0.2 decoded: ${painted.baseColorFactor}`);
  assert.ok(near(steel.roughnessFactor, 0.3) && steel.metallicFactor === 1);
  // The Standard metallic map, repacked into glTF's channels: G = 1 − A × _GlossMapScale, B = R; factors 1.
  assert.equal([painted.metallicFactor, painted.roughnessFactor], [1, 1]);
  const mr = decodePng(a.textures[painted.metallicRoughnessTexture!.texture].image);
  assert.equal([...mr.data], [255, 153, 255, 255, 255, 204, 0, 255]);
  assert.ok(steel.doubleSided && !painted.doubleSided);
  assert.ok(steel.baseColorTexture, 'the URP base map, exported as PNG');
  assert.is(a.textures[steel.baseColorTexture!.texture].width, 2);
  assert.ok(builtIn.some((c) => c.fn === 'TextureExport.EncodePng'));
  // The normal map unpacked as Unity's shader does: X from A, Z rebuilt.
  assert.equal([...decodePng(a.textures[steel.normalTexture!.texture].image).data], [204, 128, 229, 255]);
  const sun = a.lights.find((l) => l.name === 'Sun')!,
    bulb = a.lights.find((l) => l.name === 'Bulb')!;
  assert.ok(near(sun.intensity, Math.PI), `built-in sun: ${sun.intensity}`);
  // Gamma-space intensity 2, and the built-in falloff over its 4 m range as the inverse square equal to it at 2 m:
  // × 2² / 8.
  assert.ok(near(bulb.intensity, (Math.PI * 2 ** 2.2 * 4) / 8), `built-in bulb: ${bulb.intensity}`);
  assert.ok(near(bulb.color[1], 0.2140411, 1e-3));
  const down = lightDirection(a, 'Sun');
  assert.ok(near(down[1], -1, 1e-5), `the sun shines along ${down}`);
  const bulbNode = a.nodes.find((n) => n.light !== undefined && a.lights[n.light].name === 'Bulb')!;
  assert.equal(bulbNode.translation, [1, 2, -3], 'Unity +Z → glTF −Z');

  // This project names a TD file in its setting; its skybox ambient is not read, so the TD file runs with only the
  // float pages the write-back imports added (adapters/plugin-profile.ts).
  const hdrpScene = (lights: UnityScene['lights']): UnityScene => ({
    ...scene('HDRenderPipelineAsset', lights),
    files: {
      '/Project/Assets/../ProjectSettings/OptimizerProfile.json': '{ "profile": "Tools/studio.json" }',
      '/Project/Assets/../Tools/studio.json': '{ "name": "Studio", "extends": "economy" }',
    },
  });
  const hdrp = await dryRun(
    '../../../plugin-unity/Scripts/optimize-scene.js',
    hdrpScene([
      {
        object: 'Sun',
        position: [0, 10, 0],
        rotation: [0, 0, 0, 1],
        light: { type: 1, intensity: 100000, lightUnit: 2, color: { r: 1, g: 1, b: 1, a: 1 } },
      },
      {
        object: 'Bulb',
        position: [0, 2, 0],
        rotation: [0, 0, 0, 1],
        light: { type: 2, intensity: 800, lightUnit: 0, color: { r: 1, g: 1, b: 1, a: 1 } },
      },
    ]),
  );
  const b = await savedScene(hdrp, 'SaveBytes');
  const tdCopy = hdrp.find((c) => c.fn === 'SaveBytes' && /level-profile\.json$/.test(String(c.args[0])))!;
  const td = resolveProfile(JSON.parse(new TextDecoder().decode(tdCopy.args[1] as Uint8Array)));
  assert.is(td.name, 'Studio', "the project's TD file");
  assert.is(td.bake.encoding, 'hdr');
  assert.is(td.bake.samples, resolveProfile({ extends: 'economy' }).bake.samples);
  assert.equal(environmentSettings(td), environmentSettings(resolveProfile({ extends: 'economy' })), 'its own sky');
  assert.is(b.lights.find((l) => l.name === 'Sun')!.intensity, 100000);
  assert.ok(near(b.lights.find((l) => l.name === 'Bulb')!.intensity, 800 / (4 * Math.PI)));
});

/** What `ote optimize --json` prints on a run below the profile: progress on stderr, then the result line. */
const belowProfileRun = (report: string) => ({
  exitCode: 6,
  lines: [
    '{"type":"progress","stage":"bake","fraction":0.5}',
    '{"type":"progress","stage":"reference","fraction":0.5,"detail":"reference noise FLIP 0.084 at 128 spp: rendering 256"}',
    JSON.stringify({
      type: 'result',
      exitCode: 6,
      reason: 'own check below the profile: PSNR 23.22 (≥ 28); most error on "Floor" (FLIP 0.176)',
      report,
      outputs: { lightmaps: [], splats: [] },
    }),
  ],
});

test('both editors show the run: each stage on the progress, then the verdict with the reason and the report', async () => {
  const ue = await dryRun(
    '../../../plugin-unreal/Scripts/optimize-level.js',
    {
      name: 'Level_02',
      materials: { M_Stone: { vectors: { BaseColor: [0.5, 0.5, 0.5, 1] } } },
      actors: [
        {
          label: 'Floor',
          cls: 'StaticMeshActor',
          location: [0, 0, 0],
          rotation: [0, 0, 0, 1],
          mesh: { path: '/Game/SM_Floor', sections: [{ ...quad(100), material: 'M_Stone' }] },
        },
      ],
    } satisfies UeLevel,
    belowProfileRun('/Project/Saved/Optimizer/out/report.html'),
  );
  const fns = ue.map((c) => c.fn).filter((f) => /Run$|Optimize$/.test(f));
  assert.equal(fns, ['StartOptimize', 'BeginRun', 'PollOptimize', 'ReportRun', 'ReportRun', 'EndRun']);
  assert.is(ue.find((c) => c.fn === 'BeginRun')!.args[0], 7, 'Cancel stops the process it started');
  assert.equal(
    ue.filter((c) => c.fn === 'ReportRun').map((c) => c.args[1]),
    ['bake 50%', 'reference 50%: reference noise FLIP 0.084 at 128 spp: rendering 256'],
  );
  const [ok, code, title, text, report, certificate] = ue.find((c) => c.fn === 'EndRun')!.args;
  assert.equal(
    [ok, code, title, report, certificate],
    [false, 6, "Below the profile's quality", '/Project/Saved/Optimizer/out/report.html', ''],
  );
  assert.match(String(text), /most error on "Floor"/);

  const unity = await dryRun(
    '../../../plugin-unity/Scripts/optimize-scene.js',
    {
      pipeline: null,
      linearIntensity: true,
      lights: [],
      renderers: [
        unityQuad(
          'Floor',
          'Plane',
          [quad(1).indices],
          [{ name: 'Stone', shader: 'Standard', colors: { _Color: [0.5, 0.5, 0.5, 1] } }],
        ),
      ],
    } satisfies UnityScene,
    belowProfileRun('/Project/Library/Optimizer/result/report.html'),
  );
  assert.equal(
    unity.filter((c) => c.fn.startsWith('OptimizerRun.')).map((c) => [c.fn, ...c.args.slice(0, 3)]),
    [
      ['OptimizerRun.Begin'],
      ['OptimizerRun.Report', 0.5, 'bake 50%'],
      ['OptimizerRun.Report', 0.5, 'reference 50%: reference noise FLIP 0.084 at 128 spp: rendering 256'],
      ['OptimizerRun.End', false, 6, "Below the profile's quality"],
    ],
  );
  assert.is(unity.find((c) => c.fn === 'OptimizerRun.End')!.args[4], '/Project/Library/Optimizer/result/report.html');
});

/**
 * The run, played by the core on the level.glb a script saved: laid out by the bake's own UV1 generation (no
 * tracing: the pages are black) and written as the run writes its output folder `dir`: scene.glb and the EXR pages.
 */
async function playRun(
  sent: Scene,
  dir: string,
  splat?: string,
): Promise<{ result: Scene; files: Record<string, Uint8Array> }> {
  // An object routed to splats leaves no mesh in scene.glb, and its Gaussians go to splats.ply (two, here).
  const baked = splat
    ? { ...sent, nodes: sent.nodes.map((n) => (n.name === splat ? { ...n, mesh: undefined } : n)) }
    : sent;
  const { scene, atlas } = await generateLightmapUvs(baked, { texelsPerMeter: 64 });
  const png = (w: number, h: number) =>
    encodePng({ width: w, height: h, bitDepth: 8, data: new Uint8Array(4 * w * h) });
  const result = applyLightmaps(
    scene,
    layoutOf(atlas),
    atlas.pages.map((p) => ({ png: png(p.width, p.height), width: p.width, height: p.height, scale: 1 })),
  );
  const files: Record<string, Uint8Array> = { [`${dir}/scene.glb`]: await sceneToGlb(result) };
  atlas.pages.forEach((p, i) => {
    files[`${dir}/scene.lightmap${i}.exr`] = encodeExr(createImage(p.width, p.height));
  });
  if (splat) {
    const m = createModel(2, 0);
    m.means.set([1, 2, 3, -1, 0.5, -2]);
    m.quats.set([1, 0, 0, 0, 1, 0, 0, 0]);
    files[`${dir}/splats.ply`] = encodeSplats(m, 'ply');
  }
  return { result, files };
}

/** What `ote optimize --json` prints on a verified run. */
const verifiedRun = (report: string) => ({
  exitCode: 0,
  lines: [
    '{"type":"progress","stage":"bake","fraction":1}',
    JSON.stringify({
      type: 'result',
      exitCode: 0,
      reason: 'verified',
      report,
      outputs: ['scene.glb', 'certificate.json', 'report.json', 'report.html'],
    }),
  ],
});

test('Unity: a verified run is written back into the scene: pages imported, new meshes with uv2, each renderer on its page', async () => {
  const stone = {
    name: 'Stone',
    shader: 'Standard',
    colors: { _Color: [0.5, 0.5, 0.5, 1] as [number, number, number, number] },
  };
  const level: UnityScene = {
    name: 'Courtyard',
    pipeline: null,
    linearIntensity: true,
    lights: [],
    renderers: [
      unityQuad('Floor', 'Plane', [quad(1).indices], [stone]),
      // A movable door drawing the same mesh: not baked, left as it is.
      { ...unityQuad('Door', 'Plane', [quad(1).indices], [stone]), isStatic: false, position: [3, 0, 0] },
      // Two GPU-instanced crates: one instancer in level.glb, a lightmap each in the scene.
      ...[-2, -4].map((x, k) => ({
        ...unityQuad(`Crate${'AB'[k]}`, 'Crate', [quad(1).indices], [{ ...stone, name: 'Wood', instancing: true }]),
        position: [x, 0, 0] as [number, number, number],
      })),
    ],
  };
  // The run, played by the core: level.glb as the script saved it, laid out by the bake's UV1 generation.
  const sent = await savedScene(await dryRun('../../../plugin-unity/Scripts/optimize-scene.js', level), 'SaveBytes');
  assert.is(sent.nodes.find((n) => n.name === 'Door')!.dynamic, true, 'the movable door, through level.glb');
  const crates = sent.nodes.find((n) => n.name === 'Crate (GPU instanced)')!;
  assert.equal([...crates.instances!.translation], [-2, 0, -0, -4, 0, -0], 'the crates, one instancer');
  const dir = '/Project/Assets/../Library/Optimizer/result';
  const { result, files } = await playRun(sent, dir);
  level.results = files;
  const calls = await dryRun(
    '../../../plugin-unity/Scripts/optimize-scene.js',
    level,
    verifiedRun(`${dir}/report.html`),
  );
  const back = calls.filter((c) => c.fn.startsWith('LightmapWriteBack.') || c.fn === 'OptimizerRun.End');
  assert.equal(
    back.map((c) => c.fn),
    [
      'LightmapWriteBack.Begin',
      'LightmapWriteBack.ImportPage',
      'LightmapWriteBack.CreateMesh',
      'LightmapWriteBack.CreateMesh',
      'LightmapWriteBack.CreateMesh',
      'LightmapWriteBack.ApplyRenderer',
      'LightmapWriteBack.ApplyRenderer',
      'LightmapWriteBack.ApplyRenderer',
      'LightmapWriteBack.End',
      'OptimizerRun.End',
    ],
    'the write-back, as one undo step, before the verdict',
  );
  // Each crate, drawn as an instance in level.glb, gets its own lightmapped mesh and renderer back.
  assert.equal(
    back.filter((c) => c.fn === 'LightmapWriteBack.ApplyRenderer').map((c) => c.args.slice(0, 4)),
    [
      ['Floor', 0, 'Assets/OptimizerLightmaps/Courtyard/Floor.asset', 'Stone'],
      ['CrateA', 0, 'Assets/OptimizerLightmaps/Courtyard/CrateA.asset', 'Wood'],
      ['CrateB', 0, 'Assets/OptimizerLightmaps/Courtyard/CrateB.asset', 'Wood'],
    ],
  );
  const folder = 'Assets/OptimizerLightmaps/Courtyard';
  assert.equal(back[0].args, [folder]);
  assert.equal(back[1].args, [`${dir}/scene.lightmap0.exr`, `${folder}/Lightmap-0.exr`]);
  const [asset, name, mesh] = back[2].args as [string, string, Record<string, Float32Array | Uint32Array | Int32Array>];
  assert.equal([asset, name], [`${folder}/Floor.asset`, 'Floor']);
  // The floor's mesh in Unity's frame: the quad's own corners, uv2 in [0, 1]², clockwise fronts.
  const corners = new Set(
    Array.from({ length: 4 }, (_, v) =>
      quad(1)
        .positions.slice(3 * v, 3 * v + 3)
        .join(','),
    ),
  );
  for (let v = 0; v < mesh.positions.length / 3; v++)
    assert.ok(
      corners.has(Array.from(mesh.positions.slice(3 * v, 3 * v + 3), (x) => Math.round(x * 1e6) / 1e6).join(',')),
    );
  assert.ok(mesh.uv2.every((x) => x >= 0 && x <= 1) && Math.max(...mesh.uv2) === 1 && Math.min(...mesh.uv2) === 0);
  assert.equal([...mesh.sections], [mesh.indices.length]);
  const [a, b, c] = [...mesh.indices.slice(0, 3)].map((i) => [...mesh.positions.slice(3 * i, 3 * i + 3)]);
  const cross = [
    (b[1] - a[1]) * (c[2] - a[2]) - (b[2] - a[2]) * (c[1] - a[1]),
    (b[2] - a[2]) * (c[0] - a[0]) - (b[0] - a[0]) * (c[2] - a[2]),
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]),
  ];
  assert.ok(cross[0] * mesh.normals[0] + cross[1] * mesh.normals[1] + cross[2] * mesh.normals[2] < 0, 'clockwise');
  // The floor renderer on page 0, its scale and offset placing uv2 where the run put the floor's UV1.
  const [object, part, meshAsset, materials, page, sx, sy, ox, oy] = back[5].args as [
    string,
    number,
    string,
    string,
    ...number[],
  ];
  assert.equal([object, part, meshAsset, materials, page], ['Floor', 0, `${folder}/Floor.asset`, 'Stone', 0]);
  const uv1 = result.meshes[result.nodes.find((n) => n.name === 'Floor')!.mesh!].primitives[0].uv1!;
  for (let v = 0; v < uv1.length / 2; v++) {
    assert.ok(Math.abs(mesh.uv2[2 * v] * sx + ox - uv1[2 * v]) < 1e-6);
    assert.ok(Math.abs(1 - (mesh.uv2[2 * v + 1] * sy + oy) - uv1[2 * v + 1]) < 1e-6, "Unity's V");
  }
  assert.equal(back[8].args, [true]);
  const [ok, code, title, text] = back[9].args;
  assert.equal([ok, code, title], [true, 0, 'Optimized and verified']);
  assert.match(
    String(text),
    /lightmaps written back: 3 objects on 1 page; left as they were: Door \(movable: not baked, lit by the engine\)/,
  );

  // A run without the float pages (a profile that dropped bake.encoding hdr) says so, and touches nothing.
  delete level.results[`${dir}/scene.lightmap0.exr`];
  const missing = await dryRun(
    '../../../plugin-unity/Scripts/optimize-scene.js',
    level,
    verifiedRun(`${dir}/report.html`),
  );
  assert.not.ok(missing.some((c) => c.fn.startsWith('LightmapWriteBack.')));
  const end = missing.find((c) => c.fn === 'OptimizerRun.End')!.args;
  assert.equal(end.slice(0, 3), [false, 3, 'Optimized, but not written back']);
  assert.match(String(end[3]), /write-back: the run wrote no scene\.lightmap0\.exr/);
});

test("Unity: splats the run made go back as a PLY asset in Unity's frame and a placeholder, the object they replace hidden", async () => {
  const stone = {
    name: 'Stone',
    shader: 'Standard',
    colors: { _Color: [0.5, 0.5, 0.5, 1] as [number, number, number, number] },
  };
  const level: UnityScene = {
    name: 'Garden',
    pipeline: null,
    linearIntensity: true,
    lights: [],
    renderers: [
      unityQuad('Floor', 'Plane', [quad(1).indices], [stone]),
      { ...unityQuad('Fern', 'FernMesh', [quad(1).indices], [{ ...stone, name: 'Leaf' }]), position: [2, 0, 0] },
    ],
  };
  const sent = await savedScene(await dryRun('../../../plugin-unity/Scripts/optimize-scene.js', level), 'SaveBytes');
  const dir = '/Project/Assets/../Library/Optimizer/result';
  level.results = (await playRun(sent, dir, 'Fern')).files;
  const calls = await dryRun(
    '../../../plugin-unity/Scripts/optimize-scene.js',
    level,
    verifiedRun(`${dir}/report.html`),
  );
  const back = calls.filter((c) => /^(LightmapWriteBack|SplatWriteBack)\.|^OptimizerRun\.End$/.test(c.fn));
  assert.equal(
    back.map((c) => c.fn),
    [
      'LightmapWriteBack.Begin',
      'LightmapWriteBack.ImportPage',
      'LightmapWriteBack.CreateMesh',
      'LightmapWriteBack.ApplyRenderer',
      'SplatWriteBack.Place',
      'SplatWriteBack.Hide',
      'LightmapWriteBack.End',
      'OptimizerRun.End',
    ],
    'the splats in the same undo step as the lightmaps, before the verdict',
  );
  const [asset, ply, count] = back[4].args as [string, Uint8Array, number];
  assert.equal([asset, count], ['Assets/OptimizerLightmaps/Garden/Splats.ply', 2]);
  // In Unity's frame: glTF's (x, y, z) is Unity's (x, y, −z); a Gaussian with no rotation keeps none.
  const m = decodeSplats(ply, 'ply');
  assert.equal([...m.means], [1, 2, -3, -1, 0.5, 2]);
  assert.equal(
    [...m.quats.slice(0, 4)].map((v) => Math.abs(Math.round(v * 1e6) / 1e6)),
    [1, 0, 0, 0],
  );
  assert.equal(back[5].args, ['Fern'], 'the fern, replaced by the splats, is hidden');
  assert.match(String(back[7].args[3]), /2 splats on "Splats \(optimizer\)", standing for Fern \(hidden\)/);
});

test("Unreal: splats the run made go back as Splats.ply in Unreal's frame and a placeholder actor, the actor they replace hidden", async () => {
  const actor = (label: string, x: number): UeLevel['actors'][number] => ({
    label,
    cls: 'StaticMeshActor',
    location: [x, 0, 0],
    rotation: [0, 0, 0, 1],
    mesh: { path: `/Game/SM_${label}`, sections: [{ ...quad(100), material: 'M_Stone' }] },
  });
  const level: UeLevel = {
    name: 'Garden',
    materials: { M_Stone: { vectors: { BaseColor: [0.5, 0.4, 0.3, 1] } } },
    actors: [actor('Floor', 0), actor('Fern', 300)],
  };
  const sent = await savedScene(
    await dryRun('../../../plugin-unreal/Scripts/optimize-level.js', level),
    'SaveBytesAtomic',
  );
  const dir = '/Project/Saved/Optimizer/out';
  level.results = (await playRun(sent, dir, 'Fern')).files;
  const calls = await dryRun(
    '../../../plugin-unreal/Scripts/optimize-level.js',
    level,
    verifiedRun(`${dir}/report.html`),
  );
  const back = calls.filter((c) => /WriteBack$|Splats$|^EndRun$/.test(c.fn));
  assert.equal(
    back.map((c) => c.fn),
    ['BeginWriteBack', 'PlaceSplats', 'HideForSplats', 'EndWriteBack', 'EndRun'],
    'the splats in the same transaction as the lightmaps, before the verdict',
  );
  const [folder, ply, count] = back[1].args as [string, Uint8Array, number];
  assert.equal([folder, count], ['/Game/OptimizerLightmaps/Garden', 2]);
  // In Unreal's frame: glTF's (x, y, z) metres is Unreal's (x, z, y) centimetres.
  const m = decodeSplats(ply, 'ply');
  assert.equal(
    [...m.means].map((v) => Math.round(v * 1e3) / 1e3),
    [100, 300, 200, -100, -200, 50],
  );
  assert.equal(back[2].args, ['Fern']);
  assert.match(String(back[4].args[3]), /2 splats on "Splats \(optimizer\)", standing for Fern \(hidden\)/);
});

test('Unreal: a verified run is written back into the level: HDR pages, new static meshes on UV1, lightmap material instances', async () => {
  const level: UeLevel = {
    name: 'Courtyard',
    materials: {
      M_Stone: { vectors: { BaseColor: [0.5, 0.4, 0.3, 1] } },
      M_Leaf: {
        blendMode: 1,
        twoSided: true,
        opacityMaskClipValue: 0.4,
        vectors: { BaseColor: [0.2, 0.5, 0.1, 1] },
        // Its own texture in Opacity Mask: the base colour's alpha in glTF.
        textures: {
          OpacityMask: {
            path: '/Game/T_Leaf_Mask',
            width: 2,
            height: 1,
            rgba: Uint8Array.from([255, 0, 0, 255, 0, 0, 0, 255]),
          },
        },
      },
    },
    actors: [
      {
        label: 'Floor',
        cls: 'StaticMeshActor',
        location: [0, 0, 0],
        rotation: [0, 0, 0, 1],
        mesh: {
          path: '/Game/SM_Floor',
          sections: [
            { ...quad(100), material: 'M_Stone' },
            {
              ...quad(100),
              positions: quad(100).positions.map((v, i) => (i % 3 === 0 ? v + 150 : v)),
              material: 'M_Leaf',
            },
          ],
        },
      },
      // A movable door drawing the same mesh: not baked, left as it is.
      {
        label: 'Door',
        cls: 'StaticMeshActor',
        location: [0, 300, 0],
        rotation: [0, 0, 0, 1],
        mobility: 2,
        mesh: { path: '/Game/SM_Floor', sections: [{ ...quad(100), material: 'M_Stone' }] },
      },
    ],
  };
  const sent = await savedScene(
    await dryRun('../../../plugin-unreal/Scripts/optimize-level.js', level),
    'SaveBytesAtomic',
  );
  assert.is(sent.nodes.find((n) => n.name === 'Door')!.dynamic, true, 'the movable door, through level.glb');
  const leaf = sent.materials.find((m) => m.name === 'M_Leaf')!;
  assert.equal(
    [...decodePng(sent.textures[leaf.baseColorTexture!.texture].image).data],
    [255, 255, 255, 255, 255, 255, 255, 0],
    'the opacity mask as the alpha of a white base',
  );
  const dir = '/Project/Saved/Optimizer/out';
  const { result, files } = await playRun(sent, dir);
  level.results = files;
  const calls = await dryRun(
    '../../../plugin-unreal/Scripts/optimize-level.js',
    level,
    verifiedRun(`${dir}/report.html`),
  );
  const back = calls.filter((c) =>
    /WriteBack$|^ImportLightmapPage|^CreateLightmap|^ApplyLightmapped|^EndRun/.test(c.fn),
  );
  assert.equal(
    back.map((c) => c.fn),
    [
      'BeginWriteBack',
      'ImportLightmapPage',
      'CreateLightmappedMesh',
      'CreateLightmapMaterial',
      'CreateLightmapMaterial',
      'ApplyLightmappedMesh',
      'EndWriteBack',
      'EndRun',
    ],
    'the write-back, in one transaction, before the verdict',
  );
  const folder = '/Game/OptimizerLightmaps/Courtyard';
  assert.equal(back[0].args, [folder]);
  assert.equal(back[1].args, [`${dir}/scene.lightmap0.exr`, `${folder}/T_Lightmap_0`]);
  const [asset, mesh] = back[2].args as [string, Record<string, Float32Array | Uint32Array | Int32Array>];
  assert.is(asset, `${folder}/SM_Floor`);
  // In Unreal's units and axes: the quads' own corners (cm, Z up), lightmap UVs in [0, 1]², two sections.
  const corners = new Set(
    [quad(100).positions, level.actors[0].mesh!.sections[1].positions].flatMap((p) =>
      Array.from({ length: 4 }, (_, v) => p.slice(3 * v, 3 * v + 3).join(',')),
    ),
  );
  for (let v = 0; v < mesh.positions.length / 3; v++)
    assert.ok(
      corners.has(Array.from(mesh.positions.slice(3 * v, 3 * v + 3), (x) => Math.round(x * 1e3) / 1e3).join(',')),
      `vertex ${[...mesh.positions.slice(3 * v, 3 * v + 3)]}`,
    );
  assert.ok(mesh.uv1.every((x) => x >= 0 && x <= 1));
  assert.equal([...mesh.sections], [6, 6]);
  // Material instances per engine material and page: base colour, its mask and sidedness.
  assert.equal(back[3].args, [
    `${folder}/MI_M_Stone_LM0`,
    `${folder}/T_Lightmap_0`,
    [0.5, 0.4, 0.3, 1],
    '',
    '',
    false,
    0.5,
    false,
  ]);
  assert.equal(back[4].args.slice(0, 2), [`${folder}/MI_M_Leaf_LM0`, `${folder}/T_Lightmap_0`]);
  // The leaf cuts out by its own mask texture, which the instance samples (no base colour texture of its own).
  assert.equal(back[4].args.slice(3), ['', '/Game/T_Leaf_Mask', true, 0.4, true]);
  // The floor actor on its page: UV1 × scale + offset is where the run put it (Unreal's V runs as glTF's).
  const [label, part, meshAsset, materials, sx, sy, ox, oy] = back[5].args as [
    string,
    number,
    string,
    string[],
    ...number[],
  ];
  assert.equal(
    [label, part, meshAsset, materials],
    ['Floor', 0, `${folder}/SM_Floor`, [`${folder}/MI_M_Stone_LM0`, `${folder}/MI_M_Leaf_LM0`]],
  );
  const uv1 = result.meshes[result.nodes.find((n) => n.name === 'Floor')!.mesh!].primitives[0].uv1!;
  for (let v = 0; v < uv1.length / 2; v++) {
    assert.ok(Math.abs(mesh.uv1[2 * v] * sx + ox - uv1[2 * v]) < 1e-6);
    assert.ok(Math.abs(mesh.uv1[2 * v + 1] * sy + oy - uv1[2 * v + 1]) < 1e-6);
  }
  assert.equal(back[6].args, [true]);
  const [ok, code, title, text] = back[7].args;
  assert.equal([ok, code, title], [true, 0, 'Optimized and verified']);
  assert.match(String(text), /lightmaps written back: 1 object on 1 page; left as they were: Door \(movable/);

  // A page that cannot be imported cancels the transaction and says which file.
  delete level.results[`${dir}/scene.lightmap0.exr`];
  const missing = await dryRun(
    '../../../plugin-unreal/Scripts/optimize-level.js',
    level,
    verifiedRun(`${dir}/report.html`),
  );
  assert.equal(
    missing.filter((c) => /WriteBack$/.test(c.fn)).map((c) => [c.fn, ...c.args]),
    [
      ['BeginWriteBack', folder],
      ['EndWriteBack', false],
    ],
  );
  const end = missing.find((c) => c.fn === 'EndRun')!.args;
  assert.equal(end.slice(0, 3), [false, 3, 'Optimized, but not written back']);
  assert.match(String(end[3]), /write-back: cannot import scene\.lightmap0\.exr/);
});

test.run();
