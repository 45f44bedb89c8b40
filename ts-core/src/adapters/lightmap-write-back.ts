/**
 * What the editor plugins write back into the engine after a run (issue #22, "Writing back"), planned from the
 * optimized scene (`result/scene.glb`) and the dump the level was sent as:
 * - **pages**: the lightmap pages, as the float EXR files the run wrote beside scene.glb (`scene.lightmap<N>.exr`,
 *   `bake.encoding: hdr`, which the plugins' level profile asks for: adapters/plugin-profile.ts). Engines encode a
 *   lightmap for their platforms themselves (Unity's RGBM/dLDR/BC6H, Unreal's HDR compression) from an HDR source;
 *   an EXR texel is L = irradiance / π, what both engines multiply by albedo, so no intensity goes with it.
 * - **meshes**: per lightmapped object (and per page it spans), a new mesh asset in the engine's frame and units: the
 *   optimized geometry (UV1 unwrapping splits vertices along chart seams, so the source mesh cannot simply take a UV
 *   set), one section per engine material, its lightmap UVs in [0, 1]² in the engine's V convention. Sources are
 *   never touched.
 * - **renderers**: per object and part, the page it samples and Unity's `lightmapScaleOffset` (x, y scale, z, w
 *   offset): page UV = uv × scale + offset. Unreal's generated lightmap material takes the same four numbers.
 * - **kept**: the objects left as they are, each with the reason (movable, instanced, not lightmapped).
 *
 * Unity and Unreal renderers sample one lightmap each, so an object whose primitives the bake spread over several
 * pages (bake/split-primitives.ts) becomes one part per page: part 0 stays on the object, the others go to new child
 * objects. Pure: runs in Puerts' V8.
 */
import { inputError } from '../errors.js';
import type { Primitive, Scene } from '../scene/types.js';
import { det3, type EngineFrame, fromGltfVector } from './engine-frame.js';
import type { EngineInstancer, EngineMaterial, EngineObject } from './engine-scene.js';

export interface WriteBackPage {
  /** The page's index: Unity's `LightmapSettings.lightmaps` slot and the renderers' `lightmapIndex`. */
  index: number;
  /** The EXR the run wrote for it, relative to the result folder. */
  file: string;
  width: number;
  height: number;
}

/** One submesh: the triangles of one engine material, indices into the mesh's vertices. */
export interface WriteBackSection {
  /** The engine material's asset, as the dump named it (`EngineMaterial.asset`). */
  material: string;
  indices: Uint32Array;
}

/** A new mesh asset. Vertex arrays are flat: xyz per vertex for positions and normals, uv per vertex for UVs. */
export interface WriteBackMesh {
  /** The asset's name: the object's path, with ` (lightmap part <k>)` for parts past the first. */
  name: string;
  /** Engine frame and units; triangles wound as the engine's front faces. */
  positions: Float32Array;
  /** Absent where a primitive of the part had none (engine dumps always do): the glue recomputes them then. */
  normals?: Float32Array;
  /** The material UVs, in the engine's V convention; absent where no primitive of the part had any. */
  uv0?: Float32Array;
  /** Lightmap UVs in [0, 1]², in the engine's V convention (Unity's uv2, Unreal's UV channel 1); absent on the
   * unlit part. */
  uv1?: Float32Array;
  sections: WriteBackSection[];
}

export interface WriteBackRenderer {
  /** The engine object's path, as in the dump (`EngineObject.path`). */
  object: string;
  /** 0: the object itself; k > 0: a new child object of it, drawing the part on another page. */
  part: number;
  /** Index into `meshes`. */
  mesh: number;
  /**
   * Index into `pages`; −1 for the object's unlit part: primitives the run left without a lightmap (blended,
   * unlit), drawn with their source materials and no lightmap (Unity: lightmapIndex −1).
   */
  page: number;
  /** Unity's lightmapScaleOffset: page UV = mesh lightmap UV × (x, y) + (z, w), in the engine's V convention. */
  scaleOffset: [number, number, number, number];
}

export interface WriteBackPlan {
  pages: WriteBackPage[];
  meshes: WriteBackMesh[];
  renderers: WriteBackRenderer[];
  kept: { object: string; reason: string }[];
}

/** What the plan needs of the dump (EngineSceneDump fits): the objects' and instancers' paths, the materials. */
export interface WriteBackObjects {
  objects: readonly Pick<EngineObject, 'path'>[];
  instancers?: readonly Pick<EngineInstancer, 'path' | 'copies'>[];
  materials?: readonly Pick<EngineMaterial, 'asset'>[];
}

export interface WriteBackOptions {
  /** The result's page file for page N (the output stage's side file: stem `scene`). */
  pageFile: (page: number) => string;
}

export const WRITE_BACK_DEFAULTS: WriteBackOptions = {
  pageFile: (page) => `scene.lightmap${page}.exr`,
};

/**
 * The engine material a result material stands for. The bake clones materials per page (bake/writeback.ts:
 * `<name>@lightmap<N>`) and per face of a double-sided surface it splits (bake/two-sided.ts: `<name> (front)`,
 * `<name> (back)`); the suffixes go unless the dump has a material of that very name.
 */
function sourceMaterial(name: string, known: ReadonlySet<string> | undefined): string {
  const page = name.replace(/@lightmap\d+$/, '');
  if (known?.has(page)) return page;
  const face = page.replace(/ \((front|back)\)$/, '');
  return !known || known.has(face) ? face : page;
}

/**
 * The write-back of `result` (the optimized scene.glb, read by io/gltf-document-read.ts) for the level sent as `dump`.
 * `file` names the result in errors.
 */
export function planLightmapWriteBack(
  result: Scene,
  dump: WriteBackObjects,
  frame: EngineFrame,
  file: string,
  options: Partial<WriteBackOptions> = {},
): WriteBackPlan {
  const o = { ...WRITE_BACK_DEFAULTS, ...options };
  const plan: WriteBackPlan = { pages: [], meshes: [], renderers: [], kept: [] };
  // Pages by texture: the bake names them lightmap<N> (bake/writeback.ts applyLightmaps).
  const pageOfTexture = new Map<number, number>();
  const pageOf = (texture: number, where: string): number => {
    let p = pageOfTexture.get(texture);
    if (p !== undefined) return p;
    const t = result.textures[texture];
    const n = /^lightmap(\d+)$/.exec(t?.name ?? '');
    if (!n)
      throw inputError(file, where, `the lightmap texture ${JSON.stringify(t?.name)} is not one of the bake's pages`);
    p = plan.pages.length;
    plan.pages.push({ index: p, file: o.pageFile(Number(n[1])), width: t.width, height: t.height });
    pageOfTexture.set(texture, p);
    return p;
  };
  const known = dump.materials && new Set(dump.materials.map((m) => m.asset));
  const nodeByName = new Map<string, number>();
  result.nodes.forEach((n, i) => {
    if (!nodeByName.has(n.name)) nodeByName.set(n.name, i);
  });
  const writeObject = (path: string, nodeName: string) => {
    const ni = nodeByName.get(nodeName);
    const node = ni === undefined ? undefined : result.nodes[ni];
    if (!node || node.mesh === undefined) {
      plan.kept.push({ object: path, reason: 'not in the optimized scene as a mesh (routed to splats)' });
      return;
    }
    if (node.dynamic) {
      plan.kept.push({ object: path, reason: 'movable: not baked, lit by the engine' });
      return;
    }
    const mesh = result.meshes[node.mesh];
    // The object's primitives by page. Those without UV1 or lightmap are drawn as they are, but the new mesh
    // replaces the source's, so they go along as an unlit part.
    const parts = new Map<number, Primitive[]>();
    const unlit: Primitive[] = [];
    mesh.primitives.forEach((p, pi) => {
      const lm = result.materials[p.material]?.lightmap;
      if (!p.uv1 || !lm) {
        unlit.push(p);
        return;
      }
      const page = pageOf(lm.texture, `meshes[${node.mesh}].primitives[${pi}]`);
      const list = parts.get(page);
      if (list) list.push(p);
      else parts.set(page, [p]);
    });
    if (!parts.size) {
      plan.kept.push({ object: path, reason: 'not lightmapped (kept as it was, or lit at run time)' });
      return;
    }
    [...parts.keys()]
      .sort((a, b) => a - b)
      .forEach((page, part) => {
        const m = partMesh(result, parts.get(page)!, frame, known);
        m.mesh.name = part ? `${path} (lightmap part ${part})` : path;
        plan.renderers.push({ object: path, part, mesh: plan.meshes.length, page, scaleOffset: m.scaleOffset });
        plan.meshes.push(m.mesh);
      });
    if (unlit.length) {
      const m = partMesh(result, unlit, frame, known);
      m.mesh.name = `${path} (unlit part)`;
      plan.renderers.push({
        object: path,
        part: parts.size,
        mesh: plan.meshes.length,
        page: -1,
        scaleOffset: [1, 1, 0, 0],
      });
      plan.meshes.push(m.mesh);
    }
  };
  for (const obj of dump.objects) writeObject(obj.path, obj.path);
  // The bake draws an instancer's copies as child nodes <path>#<k> (bake/uv.ts separateObjects), each with its own
  // lightmap. Copies that are engine objects of their own (Unity's GPU-instanced renderers) take theirs; an
  // instancer that is one engine component (Unreal's ISM/HISM, terrain trees) has no lightmap per copy to set.
  for (const g of dump.instancers ?? []) {
    if (g.copies) g.copies.forEach((path, k) => writeObject(path, `${g.path}#${k}`));
    else plan.kept.push({ object: g.path, reason: 'instanced: engine instancers take no lightmap per copy' });
  }
  return plan;
}

/**
 * One part's primitives as one engine mesh: vertices concatenated in the engine's frame, one section per source
 * material, lightmap UVs rescaled into [0, 1]² over the part's rectangle on its page.
 */
function partMesh(
  scene: Scene,
  prims: Primitive[],
  frame: EngineFrame,
  known: ReadonlySet<string> | undefined,
): { mesh: WriteBackMesh; scaleOffset: [number, number, number, number] } {
  const n = prims.reduce((s, p) => s + p.positions.length / 3, 0);
  const positions = new Float32Array(3 * n),
    uv1 = prims.every((p) => p.uv1) ? new Float32Array(2 * n) : undefined;
  const normals = prims.every((p) => p.normals) ? new Float32Array(3 * n) : undefined;
  const anyUv0 = prims.some((p) => p.uv0);
  const uv0 = anyUv0 ? new Float32Array(2 * n) : undefined;
  // Both engines' fronts are clockwise: the cross product of consecutive vertices opposes the normal (Unity's Mesh
  // manual; Epic's EFaceWindingOrder, "DirectX / UE renderer convention"). A frame of det −1 (both) mirrors glTF's
  // counter-clockwise fronts into clockwise ones, so the order stays; a right-handed frame would reverse it.
  const reverse = det3(frame.m) > 0;
  const toUnits = 1 / frame.metersPerUnit;
  const sections = new Map<string, number[]>();
  let base = 0;
  for (const p of prims) {
    const count = p.positions.length / 3;
    for (let v = 0; v < count; v++) {
      const k = base + v;
      positions.set(fromGltfVector(frame, p.positions.subarray(3 * v, 3 * v + 3), toUnits), 3 * k);
      if (normals) normals.set(fromGltfVector(frame, p.normals!.subarray(3 * v, 3 * v + 3)), 3 * k);
      const flip = (a: Float32Array, out: Float32Array) => {
        out[2 * k] = a[2 * v];
        out[2 * k + 1] = frame.flipV ? 1 - a[2 * v + 1] : a[2 * v + 1];
      };
      if (uv1) flip(p.uv1!, uv1);
      if (uv0 && p.uv0) flip(p.uv0, uv0);
    }
    const name = sourceMaterial(scene.materials[p.material]?.name ?? 'default', known);
    const tris = sections.get(name) ?? [];
    for (let t = 0; t < p.indices.length; t += 3) {
      const a = base + p.indices[t],
        b = base + p.indices[t + 1],
        c = base + p.indices[t + 2];
      if (reverse) tris.push(a, c, b);
      else tris.push(a, b, c);
    }
    sections.set(name, tris);
    base += count;
  }
  // The part's rectangle on its page; a mesh UV of 0 or 1 lands exactly on its edges.
  let u0 = Infinity,
    v0 = Infinity,
    u1 = -Infinity,
    v1 = -Infinity;
  for (let k = 0; uv1 && k < n; k++) {
    u0 = Math.min(u0, uv1[2 * k]);
    u1 = Math.max(u1, uv1[2 * k]);
    v0 = Math.min(v0, uv1[2 * k + 1]);
    v1 = Math.max(v1, uv1[2 * k + 1]);
  }
  if (!uv1) [u0, v0, u1, v1] = [0, 0, 1, 1];
  const su = Math.max(u1 - u0, 1e-9),
    sv = Math.max(v1 - v0, 1e-9);
  for (let k = 0; uv1 && k < n; k++) {
    uv1[2 * k] = (uv1[2 * k] - u0) / su;
    uv1[2 * k + 1] = (uv1[2 * k + 1] - v0) / sv;
  }
  return {
    mesh: {
      name: '',
      positions,
      ...(normals ? { normals } : {}),
      ...(uv0 ? { uv0 } : {}),
      ...(uv1 ? { uv1 } : {}),
      sections: [...sections].map(([material, idx]) => ({ material, indices: Uint32Array.from(idx) })),
    },
    scaleOffset: [su, sv, u0, v0],
  };
}

/**
 * Asset names for `names` that engines accept as file names and that do not collide: characters outside
 * letters, digits, space and `_ . ( ) -` become `_`, and a repeated name takes ` 2`, ` 3`… (case-insensitively,
 * as Windows and macOS compare file names).
 */
export function uniqueAssetNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((n) => {
    const base = n.replace(/[^A-Za-z0-9 _.()-]/g, '_').replace(/^[ .]+|[ .]+$/g, '') || 'object';
    let name = base;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${base} ${k}`;
    taken.add(name.toLowerCase());
    return name;
  });
}

/** One line for the editor's verdict: what was written back and what was left to the engine, and why. */
export function describeWriteBack(plan: WriteBackPlan): string {
  const objects = new Set(plan.renderers.map((r) => r.object)).size;
  const parts = plan.renderers.length - objects;
  const written =
    `lightmaps written back: ${objects} object${objects === 1 ? '' : 's'} on ${plan.pages.length} ` +
    `page${plan.pages.length === 1 ? '' : 's'}${parts ? ` (${parts} more part${parts === 1 ? '' : 's'} as child objects)` : ''}`;
  if (!plan.kept.length) return written;
  return `${written}; left as they were: ${plan.kept.map((k) => `${k.object} (${k.reason})`).join(', ')}`;
}
