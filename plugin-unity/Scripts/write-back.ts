/**
 * The run's lightmaps back into the open scene (issue #22, "Writing back"), after a run that ended verified: reads
 * `result/scene.glb`, plans with the core (ts-core/src/adapters/lightmap-write-back.ts), and hands the plan to
 * Editor/LightmapWriteBack.cs, which imports the pages as Lightmap textures, saves the new meshes (lightmap UVs in
 * uv2) as assets beside them, points each renderer at its page with its lightmapScaleOffset, and stores it all in the
 * scene's OteLightmaps component, which applies LightmapSettings whenever the scene loads. One undo step; source
 * assets are never touched.
 */
import { Ote, System, type UnityEngine } from 'csharp';
import { UNITY_FRAME } from '../../ts-core/src/adapters/engine-frame.js';
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

/** A typed array's bytes as their own ArrayBuffer (Puerts hands an ArrayBuffer to C# as Puerts.ArrayBuffer). */
const bytes = (a: ArrayBufferView | undefined): ArrayBuffer =>
  a ? (a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength) as ArrayBuffer) : new ArrayBuffer(0);

/**
 * Writes back the run in `resultDir` for the scene sent as `dump`, whose objects are `filters` by path, into
 * `Assets/OptimizerLightmaps/<scene>`. Returns the line the verdict shows.
 */
export async function writeBack(
  resultDir: string,
  sceneName: string,
  dump: EngineSceneDump,
  filters: Map<string, UnityEngine.MeshFilter>,
): Promise<string> {
  const file = `${resultDir}/scene.glb`;
  const glb = Ote.OptimizerProcess.LoadBytes(file);
  if (!glb) throw new OteError('BAD_INPUT', 'write-back: the run wrote no scene.glb', { file });
  const { scene } = await glbToScene(new Uint8Array(glb), file);
  const plan = planLightmapWriteBack(scene, dump, UNITY_FRAME, file);
  for (const p of plan.pages)
    if (!System.IO.File.Exists(`${resultDir}/${p.file}`))
      throw new OteError(
        'BAD_INPUT',
        `write-back: the run wrote no ${p.file}; the write-back imports float pages (bake.encoding "hdr", which the plugin's level profile sets)`,
        { file: `${resultDir}/${p.file}` },
      );
  const folder = `Assets/OptimizerLightmaps/${uniqueAssetNames([sceneName])[0]}`;
  Ote.LightmapWriteBack.Begin(folder);
  let ok = false;
  let splats: string | undefined;
  try {
    for (const p of plan.pages)
      Ote.LightmapWriteBack.ImportPage(`${resultDir}/${p.file}`, `${folder}/Lightmap-${p.index}.exr`);
    const names = uniqueAssetNames(plan.meshes.map((m) => m.name));
    const meshes = plan.meshes.map((m, i) => {
      const indices = new Uint32Array(m.sections.reduce((n, s) => n + s.indices.length, 0));
      let at = 0;
      for (const s of m.sections) {
        indices.set(s.indices, at);
        at += s.indices.length;
      }
      const counts = Int32Array.from(m.sections, (s) => s.indices.length);
      return Ote.LightmapWriteBack.CreateMesh(
        `${folder}/${names[i]}.asset`,
        m.name,
        bytes(m.positions),
        bytes(m.normals),
        bytes(m.uv0),
        bytes(m.uv1),
        bytes(indices),
        bytes(counts),
      );
    });
    for (const r of plan.renderers) {
      const [sx, sy, ox, oy] = r.scaleOffset;
      const materials = plan.meshes[r.mesh].sections.map((s) => s.material).join('\n');
      // The plan names only objects of the dump, and every dumped object has its filter.
      Ote.LightmapWriteBack.ApplyRenderer(
        filters.get(r.object)!,
        r.part,
        meshes[r.mesh],
        materials,
        r.page,
        sx,
        sy,
        ox,
        oy,
      );
    }
    splats = writeBackSplats(resultDir, folder, scene, dump, filters);
    ok = true;
  } finally {
    // On a failure part way, the undo group is reverted: the scene is as it was before.
    Ote.LightmapWriteBack.End(ok);
  }
  return splats ? `${describeWriteBack(plan)}; ${splats}` : describeWriteBack(plan);
}

/**
 * The run's splats, where it made some (`splats.ply`), in Unity's frame (adapters/splat-write-back.ts): a PLY asset
 * beside the pages, a placeholder at the origin, and the objects they replace hidden. Returns the verdict's words.
 */
function writeBackSplats(
  resultDir: string,
  folder: string,
  scene: Parameters<typeof planSplatWriteBack>[1],
  dump: EngineSceneDump,
  filters: Map<string, UnityEngine.MeshFilter>,
): string | undefined {
  const file = `${resultDir}/splats.ply`;
  if (!System.IO.File.Exists(file)) return undefined;
  const raw = Ote.OptimizerProcess.LoadBytes(file);
  if (!raw) return undefined;
  const s = planSplatWriteBack(decodeSplats(new Uint8Array(raw), 'ply', file), scene, dump, UNITY_FRAME);
  const ply = encodeSplats(s.model, 'ply');
  Ote.SplatWriteBack.Place(`${folder}/Splats.ply`, bytes(ply), s.model.count);
  for (const path of s.replaced) {
    const f = filters.get(path);
    if (f) Ote.SplatWriteBack.Hide(f);
  }
  return s.description;
}
