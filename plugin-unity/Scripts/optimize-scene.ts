/**
 * Tools/Optimize Scene in Unity, run by Puerts: dump the open scene's static MeshRenderers in Unity's frame
 * (metres, Y up, left-handed, UV origin bottom-left), convert with the core's adapter, write level.glb, and run
 * `ote optimize` out of process with JSON-lines progress polled from the editor's update loop. With OTE_FARM_URL set
 * (and OTE_FARM_API_KEY), the job runs on that farm (`ote farm submit --wait`): same outputs, same progress lines.
 * A verified run's lightmaps are then written back into the scene (write-back.ts) before the verdict is shown.
 */
import { WebIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { Ote, System, UnityEngine } from 'csharp';
import { $typeof } from 'puerts';
import { UNITY_FRAME } from '../../ts-core/src/adapters/engine-frame.js';
import { commandLine, optimizeCommandArgs } from '../../ts-core/src/adapters/ote-command.js';
import {
  engineToScene,
  type EngineImage,
  type EngineInstancer,
  type EngineLight,
  type EngineMaterial,
  type EngineMesh,
  type EngineObject,
  type EngineSceneDump,
} from '../../ts-core/src/adapters/engine-scene.js';
import { engineLight, unityKindOf, unityLightToGltf, unityUnitOf } from '../../ts-core/src/adapters/light-units.js';
import {
  defaultEngineMaterial,
  type Rgba,
  UNITY_PROPERTY_NAMES,
  unityMaterial,
} from '../../ts-core/src/adapters/materials.js';
import {
  type EnginePixels,
  repackMetallicRoughness,
  UNITY_METALLIC_FLOATS,
  unityMetallicRoughness,
  withMetallicRoughness,
} from '../../ts-core/src/adapters/metallic-roughness.js';
import { normalMapImage } from '../../ts-core/src/adapters/normal-maps.js';
import {
  afterWriteBack,
  type RunNotice,
  RunWatch,
  scriptFailure,
  startFailure,
} from '../../ts-core/src/adapters/run-watch.js';
import { pluginProfile } from '../../ts-core/src/adapters/plugin-profile.js';
import { unitySky } from '../../ts-core/src/adapters/sky.js';
import { writeBack } from './write-back.js';
import { sceneToDocument } from '../../ts-core/src/io/gltf-document.js';
import { MOZLightmap } from '../../ts-core/src/io/moz-lightmap.js';

/** A GameObject's path in the hierarchy (Root/Child/Object): names repeat in Unity scenes, paths rarely. */
function hierarchyPath(t: UnityEngine.Transform): string {
  const names: string[] = [];
  for (let at: UnityEngine.Transform | null | undefined = t; at; at = at.parent) names.unshift(at.gameObject.name);
  return names.join('/');
}

/** The scene as the core's dump, and each object's MeshFilter by its path (for the write-back). */
function dumpScene(): { dump: EngineSceneDump; filters: Map<string, UnityEngine.MeshFilter> } {
  const filterOf = new Map<string, UnityEngine.MeshFilter>();
  const meshes: EngineMesh[] = [],
    materials: EngineMaterial[] = [],
    objects: EngineObject[] = [],
    instancers: EngineInstancer[] = [];
  const meshIndex = new Map<string, number>(),
    materialIndex = new Map<string, number>();

  /** The dump's index of a mesh, read once per asset with its renderer's materials. */
  const meshOf = (mesh: UnityEngine.Mesh, renderer: UnityEngine.MeshRenderer | null): number => {
    if (!meshIndex.has(mesh.name)) {
      const V = mesh.vertices,
        N = mesh.normals,
        U = mesh.uv,
        U2 = mesh.uv2;
      const positions: number[] = [],
        normals: number[] = [],
        uv0: number[] = [],
        uv1: number[] = [];
      for (let k = 0; k < V.Length; k++) {
        const p = V.get_Item(k),
          n = N.get_Item(k);
        positions.push(p.x, p.y, p.z);
        normals.push(n.x, n.y, n.z);
      }
      for (let k = 0; k < U.Length; k++) uv0.push(U.get_Item(k).x, U.get_Item(k).y);
      for (let k = 0; k < U2.Length; k++) uv1.push(U2.get_Item(k).x, U2.get_Item(k).y);
      const sections = [];
      for (let s = 0; s < mesh.subMeshCount; s++) {
        const tri = mesh.GetTriangles(s),
          indices: number[] = [];
        for (let k = 0; k < tri.Length; k++) indices.push(tri.get_Item(k));
        const mat = renderer?.sharedMaterials.get_Item(Math.min(s, renderer.sharedMaterials.Length - 1));
        const key = mat?.name ?? 'default';
        if (!materialIndex.has(key)) {
          materialIndex.set(key, materials.length);
          materials.push(mat ? readMaterial(mat) : defaultEngineMaterial(key));
        }
        sections.push({
          positions,
          normals,
          uv0,
          ...(uv1.length ? { uv1 } : {}),
          indices,
          material: materialIndex.get(key)!,
        });
      }
      meshIndex.set(mesh.name, meshes.length);
      meshes.push({ asset: mesh.name, sections });
    }
    return meshIndex.get(mesh.name)!;
  };

  const instancedGroups = new Map<string, EngineObject[]>();
  const filters = UnityEngine.Object.FindObjectsOfType($typeof(UnityEngine.MeshFilter));
  for (let i = 0; i < filters.Length; i++) {
    const f = filters.get_Item(i) as UnityEngine.MeshFilter;
    const mesh = f.sharedMesh;
    if (!mesh) continue;
    const renderer = f.GetComponent($typeof(UnityEngine.MeshRenderer)) as UnityEngine.MeshRenderer | null;
    const t = f.transform;
    // Paths are unique in the dump: the write-back finds each object by its path.
    let path = hierarchyPath(t);
    for (let k = 2; filterOf.has(path); k++) path = `${hierarchyPath(t)} (${k})`;
    filterOf.set(path, f);
    const object: EngineObject = {
      path,
      mesh: meshOf(mesh, renderer),
      translation: [t.position.x, t.position.y, t.position.z],
      rotation: [t.rotation.x, t.rotation.y, t.rotation.z, t.rotation.w],
      scale: [t.lossyScale.x, t.lossyScale.y, t.lossyScale.z],
      movable: !f.gameObject.isStatic,
    };
    // GPU-instanced renderers (every material has instancing on) of one mesh and material set draw as instances.
    const mats = renderer?.sharedMaterials;
    const instanced = !object.movable && !!mats && mats.Length > 0;
    const names: string[] = [];
    let gpu = instanced;
    for (let k = 0; gpu && k < mats!.Length; k++) {
      const m = mats!.get_Item(k);
      gpu = !!m?.enableInstancing;
      names.push(m?.name ?? '');
    }
    if (!gpu) {
      objects.push(object);
      continue;
    }
    const key = `${object.mesh}\n${names.join('\n')}`;
    instancedGroups.set(key, [...(instancedGroups.get(key) ?? []), object]);
  }
  // A group of one is an object; larger groups are one instancer whose copies keep their own paths (the
  // write-back lightmaps each).
  for (const group of instancedGroups.values()) {
    if (group.length === 1) {
      objects.push(group[0]);
      continue;
    }
    let path = `${meshes[group[0].mesh].asset} (GPU instanced)`;
    for (let k = 2; filterOf.has(path) || instancers.some((g) => g.path === path); k++)
      path = `${meshes[group[0].mesh].asset} (GPU instanced ${k})`;
    instancers.push({
      path,
      mesh: group[0].mesh,
      translations: group.flatMap((o) => o.translation),
      rotations: group.flatMap((o) => o.rotation),
      scales: group.flatMap((o) => o.scale),
      movable: false,
      copies: group.map((o) => o.path),
    });
  }

  // Terrain trees, kept as instances: one entry per terrain and tree prototype. A tree's position is normalized
  // to the terrain's size, its rotation is radians about +Y, and it scales by width (x, z) and height (y).
  const terrains = UnityEngine.Terrain.activeTerrains;
  for (let ti = 0; ti < terrains.Length; ti++) {
    const terrain = terrains.get_Item(ti);
    const data = terrain.terrainData;
    const origin = terrain.GetPosition(),
      size = data.size;
    const byPrototype = new Map<number, { translations: number[]; rotations: number[]; scales: number[] }>();
    const trees = data.treeInstances;
    for (let k = 0; k < trees.Length; k++) {
      const tree = trees.get_Item(k);
      let g = byPrototype.get(tree.prototypeIndex);
      if (!g) {
        g = { translations: [], rotations: [], scales: [] };
        byPrototype.set(tree.prototypeIndex, g);
      }
      g.translations.push(
        origin.x + tree.position.x * size.x,
        origin.y + tree.position.y * size.y,
        origin.z + tree.position.z * size.z,
      );
      g.rotations.push(0, Math.sin(tree.rotation / 2), 0, Math.cos(tree.rotation / 2));
      g.scales.push(tree.widthScale, tree.heightScale, tree.widthScale);
    }
    for (const [proto, g] of byPrototype) {
      const prefab = data.treePrototypes.get_Item(proto).prefab;
      if (!prefab) continue;
      const filter = prefab.GetComponentInChildren($typeof(UnityEngine.MeshFilter)) as UnityEngine.MeshFilter | null;
      if (!filter?.sharedMesh) continue;
      const renderer = filter.GetComponent($typeof(UnityEngine.MeshRenderer)) as UnityEngine.MeshRenderer | null;
      instancers.push({
        path: `${terrain.gameObject.name}/trees/${prefab.name}`,
        mesh: meshOf(filter.sharedMesh, renderer),
        ...g,
        movable: false,
      });
    }
  }
  return { dump: { level: 'scene', meshes, materials, objects, lights: dumpLights(), instancers }, filters: filterOf };
}

/** A material's properties (those adapters/materials.ts reads), mapped to glTF's terms; textures exported as PNG. */
function readMaterial(mat: UnityEngine.Material): EngineMaterial {
  const colors: Record<string, Rgba> = {},
    floats: Record<string, number> = {},
    textures: Record<string, EngineImage | undefined> = {};
  for (const n of UNITY_PROPERTY_NAMES.colors)
    if (mat.HasProperty(n)) {
      const c = mat.GetColor(n);
      colors[n] = [c.r, c.g, c.b, c.a];
    }
  for (const n of [...UNITY_PROPERTY_NAMES.floats, ...UNITY_METALLIC_FLOATS])
    if (mat.HasProperty(n)) floats[n] = mat.GetFloat(n);
  for (const n of UNITY_PROPERTY_NAMES.textures) {
    const t = mat.HasProperty(n) ? mat.GetTexture(n) : null;
    if (!t) continue;
    const png = Ote.TextureExport.EncodePng(t);
    const image = new Uint8Array(png.Length);
    for (let k = 0; k < png.Length; k++) image[k] = png.get_Item(k);
    textures[n] = { name: t.name, mimeType: 'image/png', image, width: t.width, height: t.height };
  }
  for (const n of UNITY_PROPERTY_NAMES.normalTextures) {
    const t = mat.HasProperty(n) ? mat.GetTexture(n) : null;
    if (t) textures[n] = normalMapImage(readPixels(t), 'unity-gpu');
  }
  const keywords: string[] = [];
  for (let k = 0; k < mat.shaderKeywords.Length; k++) keywords.push(mat.shaderKeywords.get_Item(k));
  const mapped = unityMaterial({ name: mat.name, shader: mat.shader.name, colors, floats, keywords, textures });
  if (mapped.guessed)
    UnityEngine.Debug.Log(
      `Optimizer: material ${mat.name}: shader ${mat.shader.name} is not Standard, URP Lit or HDRP Lit; its properties were read by name`,
    );
  // Metallic and smoothness maps, repacked into glTF's channels (adapters/metallic-roughness.ts).
  const textureOf = (n: string) => (mat.HasProperty(n) ? mat.GetTexture(n) : null);
  const recipe = unityMetallicRoughness({ shader: mat.shader.name, floats, isSet: (n) => !!textureOf(n) });
  if (!recipe) return mapped.material;
  const pixels: Record<string, EnginePixels> = {};
  for (const n of [recipe.metallic.texture, recipe.roughness.texture]) {
    const t = textureOf(n);
    if (t && !pixels[n]) pixels[n] = readPixels(t);
  }
  return withMetallicRoughness(mapped.material, recipe, repackMetallicRoughness(recipe, pixels));
}

/** A texture's pixels as the GPU holds them (TextureExport.ReadPixels: RGBA8, no colour conversion). */
function readPixels(t: UnityEngine.Texture): EnginePixels {
  const raw = Ote.TextureExport.ReadPixels(t);
  const rgba = new Uint8Array(raw.Length);
  for (let k = 0; k < raw.Length; k++) rgba[k] = raw.get_Item(k);
  return { name: t.name, width: t.width, height: t.height, rgba };
}

/** The scene's enabled lights, in glTF units (adapters/light-units.ts converts Unity's). */
function dumpLights(): EngineLight[] {
  const found = UnityEngine.Object.FindObjectsOfType($typeof(UnityEngine.Light));
  const pipeline = UnityEngine.Rendering.GraphicsSettings.currentRenderPipeline;
  // HDRP's lights are in physical units; the built-in pipeline's and URP's have none (URP's intensity is linear).
  const hdrp = !!pipeline && /HDRenderPipeline/.test(pipeline.name);
  const linearIntensity = !!pipeline || UnityEngine.Rendering.GraphicsSettings.lightsUseLinearIntensity;
  const lights: EngineLight[] = [];
  for (let i = 0; i < found.Length; i++) {
    const light = found.get_Item(i) as UnityEngine.Light;
    const kind = unityKindOf(light.type);
    if (!light.enabled || !kind) continue;
    const path = light.gameObject.name;
    const g = unityLightToGltf(
      {
        kind,
        intensity: light.intensity,
        color: [light.color.r, light.color.g, light.color.b],
        spotAngle: light.spotAngle,
        innerSpotAngle: light.innerSpotAngle,
        width: light.areaSize.x,
        height: light.areaSize.y,
        linearIntensity,
        // The built-in pipeline's falloff is over the light's range; URP and HDRP fall off with the inverse square.
        builtinFalloff: !pipeline,
        range: light.range,
        ...(hdrp ? { unit: unityUnitOf(light.lightUnit), reflector: light.enableSpotReflector } : {}),
      },
      { level: 'scene', where: `lights[${lights.length}] ${JSON.stringify(path)}` },
    );
    const t = light.transform;
    lights.push(
      engineLight(
        path,
        g,
        [t.position.x, t.position.y, t.position.z],
        [t.rotation.x, t.rotation.y, t.rotation.z, t.rotation.w],
      ),
    );
  }
  return lights;
}

async function main() {
  const out = `${UnityEngine.Application.dataPath}/../Library/Optimizer`;
  const { dump, filters } = dumpScene();
  const scene = engineToScene(dump, UNITY_FRAME);
  const glb = await new WebIO()
    .registerExtensions([...ALL_EXTENSIONS, MOZLightmap])
    .writeBinary(sceneToDocument(scene));
  Ote.OptimizerProcess.SaveBytes(`${out}/scene.glb`, glb);
  // glTF carries no sky: the scene's ambient goes to ote in a TD profile over the chosen one (adapters/sky.ts).
  const rs = UnityEngine.RenderSettings;
  const rgb = (c: UnityEngine.Color): [number, number, number] => [c.r, c.g, c.b];
  const sky = unitySky({
    mode: rs.ambientMode,
    intensity: rs.ambientIntensity,
    sky: rgb(rs.ambientSkyColor),
    equator: rgb(rs.ambientEquatorColor),
    ground: rgb(rs.ambientGroundColor),
    flat: rgb(rs.ambientLight),
  });
  // The project's profile setting (adapters/plugin-profile.ts): a built-in name or a TD file.
  const project = `${UnityEngine.Application.dataPath}/..`;
  const { profile, write } = pluginProfile({
    project,
    settingFile: `${project}/ProjectSettings/OptimizerProfile.json`,
    read: (path) => (System.IO.File.Exists(path) ? System.IO.File.ReadAllText(path) : undefined),
    sky,
    level: 'scene',
    levelProfileFile: `${out}/level-profile.json`,
  });
  if (write) Ote.OptimizerProcess.SaveBytes(write.path, new TextEncoder().encode(write.json));
  const farmUrl = System.Environment.GetEnvironmentVariable('OTE_FARM_URL') ?? undefined;
  const args = optimizeCommandArgs({
    input: `${out}/scene.glb`,
    outDir: `${out}/result`,
    profile,
    farmUrl,
  });
  if (farmUrl) UnityEngine.Debug.Log(`Optimizer: on the farm at ${farmUrl}`);
  // Progress in Unity's Progress window, with cancel; the verdict when the process ends (adapters/run-watch.ts).
  Ote.OptimizerRun.Begin();
  if (
    !Ote.OptimizerProcess.Start(
      'node',
      `${out}/../../Packages/com.ote.optimizer/ote/ts-core/bin/ote.js`,
      commandLine(args),
    )
  ) {
    show(startFailure('node ote.js'));
    return;
  }
  const watch = new RunWatch();
  const timer = setInterval(() => {
    for (let line = Ote.OptimizerProcess.Poll(); line !== null; line = Ote.OptimizerProcess.Poll()) {
      const progress = watch.line(line);
      if (progress) Ote.OptimizerRun.Report(progress.fraction, progress.text);
    }
    if (Ote.OptimizerProcess.Finished) {
      // Lines read after the exit are still queued: take them before the verdict.
      for (let line = Ote.OptimizerProcess.Poll(); line !== null; line = Ote.OptimizerProcess.Poll()) watch.line(line);
      clearInterval(timer);
      void finish(watch.finish(Ote.OptimizerProcess.ExitCode), `${out}/result`, dump, filters);
    }
  }, 200);
}

/** A verified run's lightmaps go back into the scene (write-back.ts) before the verdict, which then says so. */
async function finish(
  notice: RunNotice,
  resultDir: string,
  dump: EngineSceneDump,
  filters: Map<string, UnityEngine.MeshFilter>,
): Promise<void> {
  show(
    await afterWriteBack(notice, () =>
      writeBack(resultDir, UnityEngine.SceneManagement.SceneManager.GetActiveScene().name, dump, filters),
    ),
  );
}

function show(n: RunNotice): void {
  Ote.OptimizerRun.End(n.ok, n.exitCode, n.title, n.text, n.report ?? '', n.certificate ?? '');
}

// Bad scene data (a NaN transform, a dangling material) is an OteError naming the object and field: show it.
main().catch((e: unknown) => show(scriptFailure(e)));
