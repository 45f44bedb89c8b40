/**
 * The Optimize button (and the -run=Optimize commandlet) in Unreal, run by Puerts inside the editor.
 * 1. Dump the level's static meshes, materials and lights in Unreal's frame (cm, Z up, left-handed).
 * 2. Convert with the core's adapter (engineToScene) and write Saved/Optimizer/level.glb.
 * 3. Run `ote optimize` as a separate process, so the editor never blocks; poll its JSON-lines progress on a
 *    timer and allow cancelling. With OTE_FARM_URL set (and OTE_FARM_API_KEY), the job runs on that farm instead
 *    (`ote farm submit --wait`): the same outputs in the same folder, the same progress lines.
 * 4. After a verified run, write the lightmaps back into the level (write-back.ts), then show the verdict and
 *    where report.html is.
 */
import { WebIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { $ref, type $Ref, $unref } from 'puerts';
import * as UE from 'ue';
import { UNREAL_FRAME } from '../../ts-core/src/adapters/engine-frame.js';
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
import {
  defaultEngineMaterial,
  type Rgba,
  unrealExportsTexture,
  unrealMaterial,
  unrealNormalParameter,
  unrealOpacityMaskParameter,
} from '../../ts-core/src/adapters/materials.js';
import {
  engineLight,
  type UnrealLightSettings,
  unrealLightToGltf,
  unrealUnitsOf,
} from '../../ts-core/src/adapters/light-units.js';
import {
  type EnginePixels,
  repackMetallicRoughness,
  unrealMetallicRoughness,
  withMetallicRoughness,
} from '../../ts-core/src/adapters/metallic-roughness.js';
import { normalMapImage } from '../../ts-core/src/adapters/normal-maps.js';
import { withOpacityMask } from '../../ts-core/src/adapters/opacity-mask.js';
import {
  afterWriteBack,
  type RunNotice,
  RunWatch,
  scriptFailure,
  startFailure,
} from '../../ts-core/src/adapters/run-watch.js';
import { pluginProfile } from '../../ts-core/src/adapters/plugin-profile.js';
import { type LevelSky, unrealSky } from '../../ts-core/src/adapters/sky.js';
import { sceneToDocument } from '../../ts-core/src/io/gltf-document.js';
import { MOZLightmap } from '../../ts-core/src/io/moz-lightmap.js';
import { fromTArray, toTArray } from './tarray.js';
import { writeBack } from './write-back.js';

/** Where `node` and the `ote` CLI are; a project setting in a later version. */
const NODE = 'node';
const OTE = `${UE.OteEditorLibrary.ProjectSavedDir()}/../Plugins/OptimizerTrustEngine/ote/ts-core/bin/ote.js`;
const MOVABLE = 2; // EComponentMobility::Movable

/** The level's actors of a class (GetAllActorsOfClass), as an array. */
function actorsOf(world: UE.World, cls: UE.Class): UE.Actor[] {
  const out = $ref(UE.NewArray<UE.Actor>(UE.Actor));
  UE.GameplayStatics.GetAllActorsOfClass(world, cls, out);
  const list = $unref(out);
  return Array.from({ length: list.Num() }, (_, i) => list.Get(i));
}

/** The level as the core's dump, each object's actor by its path and each material by name (for the write-back). */
function dumpLevel(): {
  dump: EngineSceneDump;
  actors: Map<string, UE.StaticMeshActor>;
  materials: Map<string, UE.MaterialInterface>;
} {
  const actorOf = new Map<string, UE.StaticMeshActor>();
  const materialOf = new Map<string, UE.MaterialInterface>();
  const world = UE.EditorLevelLibrary.GetEditorWorld();
  const meshes: EngineMesh[] = [],
    materials: EngineMaterial[] = [],
    objects: EngineObject[] = [],
    instancers: EngineInstancer[] = [];
  const meshIndex = new Map<string, number>(),
    materialIndex = new Map<string, number>();
  const textures: TextureCache = new Map();

  /** The dump's index of a component's static mesh, read once per asset (its sections and their materials). */
  const meshOf = (comp: UE.StaticMeshComponent, mesh: UE.StaticMesh): number => {
    const asset = mesh.GetPathName();
    if (!meshIndex.has(asset)) {
      const sections = [];
      for (let s = 0; s < mesh.GetNumSections(0); s++) {
        const v = $ref(UE.NewArray<UE.Vector>(UE.Vector)),
          t = $ref(UE.NewArray<number>(UE.BuiltinByte));
        const n = $ref(UE.NewArray<UE.Vector>(UE.Vector)),
          uv = $ref(UE.NewArray<UE.Vector2D>(UE.Vector2D));
        const tan = $ref(UE.NewArray<UE.ProcMeshTangent>(UE.ProcMeshTangent));
        UE.KismetProceduralMeshLibrary.GetSectionFromStaticMesh(mesh, 0, s, v, t, n, uv, tan);
        const [V, T, N, U] = [$unref(v), $unref(t), $unref(n), $unref(uv)];
        const positions: number[] = [],
          normals: number[] = [],
          uv0: number[] = [],
          indices: number[] = [];
        for (let k = 0; k < V.Num(); k++) {
          const p = V.Get(k),
            q = N.Get(k);
          positions.push(p.X, p.Y, p.Z);
          normals.push(q.X, q.Y, q.Z);
        }
        for (let k = 0; k < U.Num(); k++) uv0.push(U.Get(k).X, U.Get(k).Y);
        for (let k = 0; k < T.Num(); k++) indices.push(T.Get(k));
        const mat = comp.GetMaterial(s);
        const matName = mat?.GetName() ?? 'default';
        if (!materialIndex.has(matName)) {
          materialIndex.set(matName, materials.length);
          if (mat) materialOf.set(matName, mat);
          materials.push(mat ? readMaterial(mat, textures) : defaultEngineMaterial(matName));
        }
        sections.push({ positions, normals, uv0, indices, material: materialIndex.get(matName)! });
      }
      meshIndex.set(asset, meshes.length);
      meshes.push({ asset, sections });
    }
    return meshIndex.get(asset)!;
  };

  for (const actor of actorsOf(world, UE.StaticMeshActor.StaticClass()) as UE.StaticMeshActor[]) {
    const comp = actor.StaticMeshComponent;
    const mesh = comp?.StaticMesh;
    if (!mesh) continue;
    const xf = comp.K2_GetComponentToWorld();
    const l = xf.GetLocation(),
      r = xf.GetRotation(),
      sc = xf.GetScale3D();
    // Labels are unique in most levels, not all: the write-back finds each object by its path.
    let path = actor.GetActorLabel();
    for (let k = 2; actorOf.has(path); k++) path = `${actor.GetActorLabel()} (${k})`;
    actorOf.set(path, actor);
    objects.push({
      path,
      mesh: meshOf(comp, mesh),
      translation: [l.X, l.Y, l.Z],
      rotation: [r.X, r.Y, r.Z, r.W],
      scale: [sc.X, sc.Y, sc.Z],
      movable: comp.Mobility === MOVABLE,
    });
  }
  // Instanced and hierarchical instanced static meshes (foliage paints them into InstancedFoliageActors), kept as
  // instances: one entry per component, its copies' world transforms.
  for (const actor of actorsOf(world, UE.Actor.StaticClass())) {
    const comps = actor.K2_GetComponentsByClass(UE.InstancedStaticMeshComponent.StaticClass());
    for (let c = 0; c < comps.Num(); c++) {
      const comp = comps.Get(c) as UE.InstancedStaticMeshComponent;
      const mesh = comp.StaticMesh;
      const count = comp.GetInstanceCount();
      if (!mesh || count === 0) continue;
      const translations: number[] = [],
        rotations: number[] = [],
        scales: number[] = [];
      for (let k = 0; k < count; k++) {
        const xf = $ref(new UE.Transform());
        comp.GetInstanceTransform(k, xf, true);
        const t = $unref(xf);
        const l = t.GetLocation(),
          r = t.GetRotation(),
          sc = t.GetScale3D();
        translations.push(l.X, l.Y, l.Z);
        rotations.push(r.X, r.Y, r.Z, r.W);
        scales.push(sc.X, sc.Y, sc.Z);
      }
      instancers.push({
        path: `${actor.GetActorLabel()}/${comp.GetName()}`,
        mesh: meshOf(comp, mesh),
        translations,
        rotations,
        scales,
        movable: comp.Mobility === MOVABLE,
      });
    }
  }
  return {
    dump: { level: world.GetName(), meshes, materials, objects, lights: dumpLights(world), instancers },
    actors: actorOf,
    materials: materialOf,
  };
}

/**
 * A material's scalar, vector and colour texture parameters (an instance's values, or a base material's defaults),
 * its blend mode and two-sidedness, mapped to glTF's terms by adapters/materials.ts. Each texture is exported as PNG
 * from its source art once (UOteEditorLibrary::ExportTexturePng), however many materials use it.
 */
function readMaterial(mat: UE.MaterialInterface, exported: TextureCache): EngineMaterial {
  const base = mat.GetBaseMaterial();
  const isInstance = mat.GetPathName() !== base.GetPathName();
  const instance = mat as UE.MaterialInstanceConstant;
  const names = (read: (m: UE.MaterialInterface, out: $Ref<UE.TArray<string>>) => void) => {
    const out = $ref(UE.NewArray<string>(UE.BuiltinName));
    read(mat, out);
    const list = $unref(out);
    return Array.from({ length: list.Num() }, (_, i) => list.Get(i));
  };
  const L = UE.MaterialEditingLibrary;
  const scalars: Record<string, number> = {},
    vectors: Record<string, Rgba> = {},
    textures: Record<string, EngineImage | undefined> = {};
  for (const n of names(L.GetScalarParameterNames))
    scalars[n] = isInstance
      ? L.GetMaterialInstanceScalarParameterValue(instance, n)
      : L.GetMaterialDefaultScalarParameterValue(base, n);
  for (const n of names(L.GetVectorParameterNames)) {
    const c = isInstance
      ? L.GetMaterialInstanceVectorParameterValue(instance, n)
      : L.GetMaterialDefaultVectorParameterValue(base, n);
    vectors[n] = [c.R, c.G, c.B, c.A];
  }
  const textureOf = (n: string) =>
    isInstance
      ? L.GetMaterialInstanceTextureParameterValue(instance, n)
      : L.GetMaterialDefaultTextureParameterValue(base, n);
  const textureNames = names(L.GetTextureParameterNames);
  for (const n of textureNames) {
    const t = unrealExportsTexture(n) || unrealNormalParameter(n) ? textureOf(n) : null;
    if (!t) continue;
    if (unrealExportsTexture(n)) textures[n] = exportTexture(t, exported);
    else {
      const p = readPixels(t);
      if (p) textures[n] = normalMapImage(p, 'directx-source');
    }
  }
  const mapped = unrealMaterial({
    name: mat.GetName(),
    blendMode: base.BlendMode,
    twoSided: base.TwoSided,
    opacityMaskClipValue: base.OpacityMaskClipValue,
    scalars,
    vectors,
    textures,
  });
  if (mapped.missing.length)
    UE.KismetSystemLibrary.PrintString(
      null,
      `Optimizer: material ${mat.GetName()}: no parameter for ${mapped.missing.join(', ')}; glTF's defaults used`,
    );
  let material = mapped.material;
  // A texture of its own in Opacity Mask: its R becomes the base colour's alpha (adapters/opacity-mask.ts).
  const maskParameter =
    material.blend === 'masked' ? textureNames.find((n) => unrealOpacityMaskParameter(n) && textureOf(n)) : undefined;
  if (maskParameter) {
    const baseTexture = textureNames.find((n) => unrealExportsTexture(n) && textures[n] === material.baseColorTexture);
    const mask = readPixels(textureOf(maskParameter)!),
      basePixels = baseTexture ? readPixels(textureOf(baseTexture)!) : undefined;
    if (mask && (!baseTexture || basePixels))
      material = { ...material, baseColorTexture: withOpacityMask(basePixels, mask), opacityMaskTexture: mask.name };
  }
  // Metallic and roughness maps (ORM or separate), repacked into glTF's channels (adapters/metallic-roughness.ts).
  const recipe = unrealMetallicRoughness(textureNames.filter((n) => !!textureOf(n)));
  if (!recipe) return material;
  const pixels: Record<string, EnginePixels> = {};
  for (const n of [recipe.metallic.texture, recipe.roughness.texture]) {
    const t = n ? textureOf(n) : null;
    if (!t || pixels[n]) continue;
    const p = readPixels(t);
    if (!p) return material;
    pixels[n] = p;
  }
  return withMetallicRoughness(material, recipe, repackMetallicRoughness(recipe, pixels));
}

/** A data texture's source art as stored (ExportTexturePixels); undefined, and said, when it has none. */
function readPixels(t: UE.Texture): EnginePixels | undefined {
  const rgba = $ref(UE.NewArray<number>(UE.BuiltinByte)),
    width = $ref(0),
    height = $ref(0);
  if (!UE.OteEditorLibrary.ExportTexturePixels(t, rgba, width, height)) {
    UE.KismetSystemLibrary.PrintString(
      null,
      `Optimizer: texture ${t.GetPathName()} has no source art to read; left out`,
    );
    return undefined;
  }
  return { name: t.GetPathName(), width: $unref(width), height: $unref(height), rgba: fromTArray($unref(rgba)) };
}

/** Textures exported in this dump, by asset path (undefined: it had no source art to export). */
type TextureCache = Map<string, EngineImage | undefined>;

function exportTexture(t: UE.Texture, exported: TextureCache): EngineImage | undefined {
  const path = t.GetPathName();
  if (!exported.has(path)) {
    const png = $ref(UE.NewArray<number>(UE.BuiltinByte)),
      width = $ref(0),
      height = $ref(0);
    const ok = UE.OteEditorLibrary.ExportTexturePng(t, png, width, height);
    exported.set(
      path,
      ok
        ? {
            name: path,
            mimeType: 'image/png',
            image: fromTArray($unref(png)),
            width: $unref(width),
            height: $unref(height),
          }
        : undefined,
    );
    if (!ok)
      UE.KismetSystemLibrary.PrintString(null, `Optimizer: texture ${path} has no source art to export; left out`);
  }
  return exported.get(path);
}

/** A file's text (UTF-8), or undefined when it cannot be read. */
function loadText(path: string): string | undefined {
  const out = $ref(UE.NewArray<number>(UE.BuiltinByte));
  if (!UE.OteEditorLibrary.LoadBytes(path, out)) return undefined;
  return new TextDecoder().decode(fromTArray($unref(out)));
}

/** The level's first SkyLight that affects the world, as a uniform sky; undefined without one. */
function levelSky(world: UE.World): LevelSky | undefined {
  for (const actor of actorsOf(world, UE.SkyLight.StaticClass())) {
    const c = (actor as UE.SkyLight).LightComponent;
    if (c?.bAffectsWorld) return unrealSky(c.Intensity, [c.LightColor.R, c.LightColor.G, c.LightColor.B]);
  }
  return undefined;
}

/** The level's lights that affect the world, in glTF units (adapters/light-units.ts converts Unreal's). */
function dumpLights(world: UE.World): EngineLight[] {
  const lights: EngineLight[] = [];
  const kinds: [UnrealLightSettings['kind'], UE.Class][] = [
    ['directional', UE.DirectionalLight.StaticClass()],
    ['point', UE.PointLight.StaticClass()],
    ['spot', UE.SpotLight.StaticClass()],
    ['rect', UE.RectLight.StaticClass()],
  ];
  for (const [kind, cls] of kinds) {
    for (const actor of actorsOf(world, cls) as UE.Light[]) {
      const c = actor.LightComponent;
      if (!c?.bAffectsWorld) continue;
      const local = c as UE.LocalLightComponent,
        spot = c as UE.SpotLightComponent,
        rect = c as UE.RectLightComponent;
      const path = actor.GetActorLabel();
      const g = unrealLightToGltf(
        {
          kind,
          intensity: c.Intensity,
          units: kind === 'directional' ? undefined : unrealUnitsOf(local.IntensityUnits),
          color: [c.LightColor.R, c.LightColor.G, c.LightColor.B],
          ...(kind === 'spot' ? { innerConeAngle: spot.InnerConeAngle, outerConeAngle: spot.OuterConeAngle } : {}),
          ...(kind === 'rect' ? { width: rect.SourceWidth, height: rect.SourceHeight } : {}),
        },
        { level: world.GetName(), where: `lights[${lights.length}] ${JSON.stringify(path)}` },
      );
      const xf = c.K2_GetComponentToWorld();
      const l = xf.GetLocation(),
        r = xf.GetRotation();
      lights.push(engineLight(path, g, [l.X, l.Y, l.Z], [r.X, r.Y, r.Z, r.W]));
    }
  }
  return lights;
}

async function main() {
  const saved = `${UE.OteEditorLibrary.ProjectSavedDir()}/Optimizer`;
  const { dump, actors, materials } = dumpLevel();
  const scene = engineToScene(dump, UNREAL_FRAME);
  const glb = await new WebIO()
    .registerExtensions([...ALL_EXTENSIONS, MOZLightmap])
    .writeBinary(sceneToDocument(scene));
  UE.OteEditorLibrary.SaveBytesAtomic(`${saved}/level.glb`, toTArray(glb));
  // The project's profile setting (adapters/plugin-profile.ts): a built-in name or a TD file. glTF carries no sky:
  // the level's SkyLight goes to ote in a TD profile over the chosen one (adapters/sky.ts).
  const project = `${UE.OteEditorLibrary.ProjectSavedDir()}/..`;
  const world = UE.EditorLevelLibrary.GetEditorWorld();
  const { profile, write } = pluginProfile({
    project,
    settingFile: `${project}/Config/OptimizerProfile.json`,
    read: loadText,
    sky: levelSky(world),
    level: world.GetName(),
    levelProfileFile: `${saved}/level-profile.json`,
  });
  if (write) UE.OteEditorLibrary.SaveBytesAtomic(write.path, toTArray(new TextEncoder().encode(write.json)));
  const farmUrl = UE.OteEditorLibrary.GetEnvironmentVariable('OTE_FARM_URL');
  const args = optimizeCommandArgs({
    input: `${saved}/level.glb`,
    outDir: `${saved}/out`,
    profile,
    farmUrl,
  });
  if (farmUrl) UE.KismetSystemLibrary.PrintString(null, `Optimizer: on the farm at ${farmUrl}`);
  const handle = UE.OteEditorLibrary.StartOptimize(NODE, OTE, commandLine(args));
  if (!handle) {
    show(startFailure(`${NODE} ${OTE}`));
    return;
  }
  // Progress on the editor's notification, with Cancel; the verdict when the process ends (adapters/run-watch.ts).
  UE.OteEditorLibrary.BeginRun(handle);
  const watch = new RunWatch();
  const timer = setInterval(() => {
    const running = $ref(true),
      code = $ref(-1);
    const lines = UE.OteEditorLibrary.PollOptimize(handle, running, code);
    for (let i = 0; i < lines.Num(); i++) {
      const progress = watch.line(lines.Get(i));
      if (progress) UE.OteEditorLibrary.ReportRun(progress.fraction, progress.text);
    }
    if (!$unref(running)) {
      clearInterval(timer);
      void finish(watch.finish($unref(code)), `${saved}/out`, world.GetName(), dump, actors, materials);
    }
  }, 200);
}

/** A verified run's lightmaps go into the level (write-back.ts) before the verdict, which then says so. */
async function finish(
  notice: RunNotice,
  resultDir: string,
  levelName: string,
  dump: EngineSceneDump,
  actors: Map<string, UE.StaticMeshActor>,
  materials: Map<string, UE.MaterialInterface>,
): Promise<void> {
  show(await afterWriteBack(notice, () => writeBack(resultDir, levelName, dump, actors, materials)));
}

function show(n: RunNotice): void {
  UE.OteEditorLibrary.EndRun(n.ok, n.exitCode, n.title, n.text, n.report ?? '', n.certificate ?? '');
}

// Bad level data (a NaN transform, a dangling material) is an OteError naming the actor and field: show it.
main().catch((e: unknown) => show(scriptFailure(e)));
