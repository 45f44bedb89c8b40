/**
 * npm run bench:write-back — the engine write-back plan (ts-core/src/adapters/lightmap-write-back.ts) on every
 * shared scene: each is baked small (8 texels/m at most 64 pages' worth, 8 samples: the layout is what matters, not
 * the light), written and read back as the run's scene.glb, and planned for every mesh node as an engine object in
 * Unity's and Unreal's frames. Per scene: objects, renderers (parts per page), pages, vertices, the worst error of
 * page UV = lightmap UV × scale + offset against the run's UV1, and the plan's time against reading the GLB, the step
 * the editor takes anyway. Prints a table, writes bench/results/write-back.json.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EngineFrame, UNITY_FRAME, UNREAL_FRAME } from '../ts-core/src/adapters/engine-frame.js';
import { planLightmapWriteBack, type WriteBackPlan } from '../ts-core/src/adapters/lightmap-write-back.js';
import { bakeScene } from '../ts-core/src/bake/bake.js';
import { encodeLightmapPages } from '../ts-core/src/bake/pages.js';
import { densityForPages } from '../ts-core/src/bake/uv.js';
import { applyLightmaps } from '../ts-core/src/bake/writeback.js';
import { glbToScene } from '../ts-core/src/io/gltf-document-read.js';
import { importGltf } from '../ts-core/src/io/gltf-read.js';
import { sceneToGlb } from '../ts-core/src/io/gltf-write.js';
import type { Scene } from '../ts-core/src/scene/types.js';
import { describeMachine, machineRecord } from './machine.js';

const root = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) || !existsSync(join(d, 'ts-core'))) d = dirname(d);
  return d;
})();
const scenesDir = process.env.OTE_SHARED_SCENES ?? join(root, '..', 'shared', 'scenes');

/** The worst |page UV − run's UV1| over every vertex the plan writes back. */
function worstUvError(scene: Scene, plan: WriteBackPlan, frame: EngineFrame): number {
  let worst = 0;
  for (const r of plan.renderers) {
    if (r.page < 0) continue; // an unlit part: nothing placed on a page
    const node = scene.nodes.find((n) => n.name === r.object)!;
    const page = `lightmap${/lightmap(\d+)/.exec(plan.pages[r.page].file)![1]}`;
    const prims = scene.meshes[node.mesh!].primitives.filter(
      (p) => p.uv1 && scene.textures[scene.materials[p.material].lightmap?.texture ?? -1]?.name === page,
    );
    const m = plan.meshes[r.mesh];
    const uv = m.uv1!;
    const [su, sv, ou, ov] = r.scaleOffset;
    let k = 0;
    for (const p of prims)
      for (let v = 0; v < p.uv1!.length / 2; v++, k++) {
        const pv = uv[2 * k + 1] * sv + ov;
        worst = Math.max(
          worst,
          Math.abs(uv[2 * k] * su + ou - p.uv1![2 * v]),
          Math.abs((frame.flipV ? 1 - pv : pv) - p.uv1![2 * v + 1]),
        );
      }
    if (k !== m.positions.length / 3)
      throw new Error(`${r.object}: ${k} page vertices, ${m.positions.length / 3} in the mesh`);
  }
  return worst;
}

const rows: Record<string, unknown>[] = [];
for (const name of readdirSync(scenesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)) {
  const file = readdirSync(join(scenesDir, name)).find((f) => /\.(glb|gltf)$/i.test(f));
  if (!file) continue;
  const input = (await importGltf(join(scenesDir, name, file))).scene;
  // 8 texels/m, or fewer where a scene in unknown units would need more than 64 pages of 1024².
  const texelsPerMeter = Math.min(8, densityForPages(input, 64, 1024));
  const bake = await bakeScene(input, { texelsPerMeter, samples: 8, denoise: false });
  const { encoded } = encodeLightmapPages(bake.pages, 'scene');
  const glb = await sceneToGlb(applyLightmaps(bake.scene, bake.layout, encoded));
  const t0 = performance.now();
  const { scene } = await glbToScene(glb, `${name}/scene.glb`);
  const readMs = performance.now() - t0;
  // Every mesh node of the input is an engine object; instanced nodes are engine instancers.
  const seen = new Set<string>();
  const dump = { objects: [] as { path: string }[], instancers: [] as { path: string }[] };
  for (const n of input.nodes)
    if (n.mesh !== undefined && !seen.has(n.name)) {
      seen.add(n.name);
      (n.instances ? dump.instancers : dump.objects).push({ path: n.name });
    }
  for (const frame of [UNITY_FRAME, UNREAL_FRAME]) {
    const t1 = performance.now();
    const plan = planLightmapWriteBack(scene, dump, frame, `${name}/scene.glb`);
    const planMs = performance.now() - t1;
    rows.push({
      scene: name,
      frame: frame.name,
      texelsPerMeter: Number(texelsPerMeter.toFixed(3)),
      objects: dump.objects.length,
      written: new Set(plan.renderers.map((r) => r.object)).size,
      renderers: plan.renderers.length,
      kept: plan.kept.length,
      pages: plan.pages.length,
      vertices: plan.meshes.reduce((n, m) => n + m.positions.length / 3, 0),
      worstUvError: worstUvError(scene, plan, frame),
      readMs: Number(readMs.toFixed(1)),
      planMs: Number(planMs.toFixed(1)),
      planToRead: Number((planMs / readMs).toFixed(2)),
    });
  }
}

const machine = machineRecord();
console.log(describeMachine(machine));
console.log(
  '| scene | frame | objects | written | renderers | kept | pages | vertices | worst UV error | read ms | plan ms | plan/read |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.scene} | ${r.frame} | ${r.objects} | ${r.written} | ${r.renderers} | ${r.kept} | ${r.pages} | ${r.vertices} | ${(r.worstUvError as number).toExponential(1)} | ${r.readMs} | ${r.planMs} | ${r.planToRead} |`,
  );
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'write-back.json'), `${JSON.stringify({ machine, rows }, null, 2)}\n`);
