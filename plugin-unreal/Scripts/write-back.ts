/**
 * The run's lightmaps back into the open level (issue #22, "Writing back"), after a run that ended verified: reads
 * `out/scene.glb`, plans with the core (ts-core/src/adapters/lightmap-write-back.ts), and hands the plan to
 * UOteEditorLibrary: the EXR pages become HDR textures, each object's optimized mesh a new static mesh with the
 * lightmap UVs on UV channel 1, and each (material, page) a material instance of the plugin's unlit lightmap master
 * (base colour × texture × lightmap sampled at UV1 × scale + offset), the scale and offset per actor in its custom
 * primitive data (the analogue of Unity's lightmapScaleOffset). Actors are pointed at them in one transaction;
 * source assets are never touched. Why not Unreal's own lightmaps: only Lightmass writes a level's built lighting
 * (MapBuildData), which no editor API accepts from outside; a material renders the same in the editor and in a
 * packaged build.
 */
import { $ref, $unref } from 'puerts';
import * as UE from 'ue';
import { UNREAL_FRAME } from '../../ts-core/src/adapters/engine-frame.js';
import type { EngineSceneDump } from '../../ts-core/src/adapters/engine-scene.js';
import {
  describeWriteBack,
  planLightmapWriteBack,
  uniqueAssetNames,
} from '../../ts-core/src/adapters/lightmap-write-back.js';
import { planSplatWriteBack } from '../../ts-core/src/adapters/splat-write-back.js';
import { decodeSplats, encodeSplats } from '../../ts-core/src/io/splat-formats.js';
import { OteError } from '../../ts-core/src/errors.js';
import { glbToScene } from '../../ts-core/src/io/gltf-document-read.js';
import { fromTArray, numbers } from './tarray.js';

/**
 * Writes back the run in `resultDir` for the level sent as `dump`, whose objects are `actors` by label and whose
 * materials are `sourceMaterials` by name, into `/Game/OptimizerLightmaps/<level>`. Returns the line the verdict
 * shows.
 */
export async function writeBack(
  resultDir: string,
  levelName: string,
  dump: EngineSceneDump,
  actors: Map<string, UE.StaticMeshActor>,
  sourceMaterials: Map<string, UE.MaterialInterface>,
): Promise<string> {
  const file = `${resultDir}/scene.glb`;
  const out = $ref(UE.NewArray<number>(UE.BuiltinByte));
  if (!UE.OteEditorLibrary.LoadBytes(file, out))
    throw new OteError('BAD_INPUT', 'write-back: the run wrote no scene.glb', { file });
  const { scene } = await glbToScene(fromTArray($unref(out)), file);
  const plan = planLightmapWriteBack(scene, dump, UNREAL_FRAME, file);
  const folder = `/Game/OptimizerLightmaps/${uniqueAssetNames([levelName])[0].replace(/ /g, '_')}`;
  const asset = (name: string) => `${folder}/${name.replace(/[ .()]/g, '_')}`;
  const materialOf = new Map(dump.materials.map((m) => [m.asset, m]));
  UE.OteEditorLibrary.BeginWriteBack(folder);
  let ok = false;
  let splats: string | undefined;
  try {
    const pages = plan.pages.map((p) => {
      const texture = UE.OteEditorLibrary.ImportLightmapPage(`${resultDir}/${p.file}`, asset(`T_Lightmap_${p.index}`));
      if (!texture)
        throw new OteError(
          'BAD_INPUT',
          `write-back: cannot import ${p.file}; the write-back imports float pages (bake.encoding "hdr", which the plugin's level profile sets)`,
          { file: `${resultDir}/${p.file}` },
        );
      return texture;
    });
    const names = uniqueAssetNames(plan.meshes.map((m) => `SM_${m.name}`));
    const meshes = plan.meshes.map((m, i) => {
      const indices = m.sections.flatMap((s) => [...s.indices]);
      return UE.OteEditorLibrary.CreateLightmappedMesh(
        asset(names[i]),
        numbers(m.positions),
        numbers(m.normals),
        numbers(m.uv0),
        numbers(m.uv1),
        numbers(indices, UE.BuiltinInt),
        numbers(
          m.sections.map((s) => s.indices.length),
          UE.BuiltinInt,
        ),
      );
    });
    // One material instance per (engine material, page): the scale and offset live on the actor.
    const instances = new Map<string, UE.MaterialInterface>();
    const instanceNames = new Set<string>();
    const instanceFor = (material: string, page: number): UE.MaterialInterface => {
      const key = `${material}\n${page}`;
      let mi = instances.get(key);
      if (!mi) {
        const m = materialOf.get(material);
        const c = m?.baseColor ?? [1, 1, 1, 1];
        let name = uniqueAssetNames([`MI_${material}_LM${page}`])[0];
        for (let k = 2; instanceNames.has(name); k++) name = `MI_${material}_LM${page}_${k}`;
        instanceNames.add(name);
        mi = UE.OteEditorLibrary.CreateLightmapMaterial(
          asset(name),
          pages[page],
          new UE.LinearColor(c[0], c[1], c[2], c[3]),
          m?.baseColorTexture ? (m.baseColorTexture.asset ?? m.baseColorTexture.name) : '',
          m?.opacityMaskTexture ?? '',
          m?.blend === 'masked',
          m?.alphaCutoff ?? 0.5,
          m?.twoSided ?? false,
        );
        instances.set(key, mi);
      }
      return mi;
    };
    for (const r of plan.renderers) {
      const materials = UE.NewArray<UE.MaterialInterface>(UE.MaterialInterface);
      // An unlit part (page −1) draws with the source materials (none for a section the dump gave none: the
      // engine's default); lightmapped parts with their page's instances.
      for (const s of plan.meshes[r.mesh].sections)
        materials.Add(r.page < 0 ? sourceMaterials.get(s.material)! : instanceFor(s.material, r.page));
      const [sx, sy, ox, oy] = r.scaleOffset;
      // The plan names only objects of the dump, and every dumped object has its actor.
      UE.OteEditorLibrary.ApplyLightmappedMesh(
        actors.get(r.object)!,
        r.part,
        meshes[r.mesh],
        materials,
        sx,
        sy,
        ox,
        oy,
      );
    }
    splats = writeBackSplats(resultDir, folder, scene, dump, actors);
    ok = true;
  } finally {
    // On a failure part way the transaction is cancelled: the level is as it was before.
    UE.OteEditorLibrary.EndWriteBack(ok);
  }
  return splats ? `${describeWriteBack(plan)}; ${splats}` : describeWriteBack(plan);
}

/**
 * The run's splats, where it made some (`splats.ply`), in Unreal's frame (adapters/splat-write-back.ts): Splats.ply
 * in the write-back's folder, a placeholder actor at the origin, and the actors they replace hidden. Returns the
 * verdict's words.
 */
function writeBackSplats(
  resultDir: string,
  folder: string,
  scene: Parameters<typeof planSplatWriteBack>[1],
  dump: EngineSceneDump,
  actors: Map<string, UE.StaticMeshActor>,
): string | undefined {
  const file = `${resultDir}/splats.ply`;
  const raw = $ref(UE.NewArray<number>(UE.BuiltinByte));
  if (!UE.OteEditorLibrary.LoadBytes(file, raw)) return undefined;
  const s = planSplatWriteBack(decodeSplats(fromTArray($unref(raw)), 'ply', file), scene, dump, UNREAL_FRAME);
  const ply = encodeSplats(s.model, 'ply');
  if (!UE.OteEditorLibrary.PlaceSplats(folder, numbers(ply, UE.BuiltinByte), s.model.count))
    throw new OteError('BAD_INPUT', 'write-back: cannot write the splats into the project', { file });
  for (const path of s.replaced) {
    const a = actors.get(path);
    if (a) UE.OteEditorLibrary.HideForSplats(a);
  }
  return s.description;
}
