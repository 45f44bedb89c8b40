/**
 * Lightmap UVs for a whole scene: every static drawn object (a node's mesh, or one copy of an instanced node) gets
 * its own region of a shared atlas page in UV1. Charting and packing run natively (native/bake.ts); this file picks
 * the objects, gives each its world-space triangles and density, and writes UV1 back into a new Scene.
 *
 * A mesh drawn by several objects is duplicated (one UV1 layout per drawn copy), and EXT_mesh_gpu_instancing
 * nodes are expanded into child nodes, because MOZ_lightmap has no per-instance scale/offset.
 */
import { guessSceneUnits } from '../analyze/units.js';
import { OteError } from '../errors.js';
import { countUvOverlaps, generateLightmapUvsNative } from '../native/bake.js';
import type { JobOptions } from '../native/job.js';
import type { LightmapLayout } from '../native/transport-inputs.js';
import { worldMatrices } from '../scene/transform.js';
import type { Mesh, Primitive, Scene, SceneNode } from '../scene/types.js';
import { cross, length, sub } from '../util/vec3.js';
import { gatherVertices, primitiveSubset, splitTriangles } from './split-primitives.js';
import {
  DENSITY_BUDGET_DEFAULTS,
  fitDensities,
  type BudgetObject,
  type DensityBudgetOptions,
  type DensityFit,
} from './budget.js';
import { VIEW_FLOOR_DEFAULTS, viewFloorScale, viewMeasures } from './view-weights.js';

export interface LightmapUvOptions extends JobOptions {
  /** Texels per metre (the profile's density). Default 32. */
  texelsPerMeter?: number;
  /** Per-object override by node name (an instanced node's copies take their node's). */
  objectTexelsPerMeter?: Record<string, number>;
  /**
   * Relative importance by node name (default 1), e.g. screen coverage per area from the analysis: when the budget
   * forces densities down, more important objects keep more (bake/budget.ts).
   */
  objectImportance?: Record<string, number>;
  /**
   * World-space eyes the result will be seen from (the scene's cameras, the planned views): when the budget forces
   * densities down, the parts they see near keep more than the parts they see far or not at all
   * (bake/view-weights.ts). Default: none, every part of an object alike.
   */
  viewpoints?: readonly (readonly [number, number, number])[];
  /**
   * Radians per pixel of the views the result is judged at (the planned views' yfov / height). With viewpoints, a
   * part those eyes see so near that its texels would span more than maxTexelPixels pixels may have its density
   * raised to that, at most VIEW_FLOOR_DEFAULTS.maxRaise times (bake/view-weights.ts viewFloorScale): texels per
   * metre are not a screen size, and a tabletop scene seen up close at a game's density shows every texel. The
   * atlas reports what would rise (LightmapAtlas.viewFloor); `viewFloor` says whether it does. Default: none.
   */
  viewPixel?: number;
  /** Most pixels across a texel of a seen part, with viewPixel. Default VIEW_FLOOR_DEFAULTS.maxTexelPixels (4). */
  maxTexelPixels?: number;
  /**
   * Raise the densities viewPixel asks for (default false: only report them). `ote optimize` raises them in a
   * second bake when the first failed its own check (optimize/rebake.ts): most scenes' light is smooth enough.
   */
  viewFloor?: boolean;
  /** Largest page, in texels (square). Default 1024. */
  maxPageSize?: number;
  /** Empty texels between charts (at least 2 is what dilation and bilinear filtering need). Default 2. */
  padding?: number;
  /** Keep a valid existing UV1 layout (inside [0,1], no overlaps), moved and scaled into the atlas. Default true. */
  keepValidUv1?: boolean;
  /**
   * Texel budget over all pages (page width × height): the bake holds about 100 bytes per texel (position, frame,
   * radiance sums). A density that asks for more is scaled down per object to fit (bake/budget.ts); only a scene
   * that cannot fit even at the minimal useful density is refused with TOO_BIG. Default 32M texels (32 pages of 1024²).
   */
  maxTexels?: number;
  /** Most pages of maxPageSize²: caps the budget at maxPages × maxPageSize² texels. Default: no cap. */
  maxPages?: number;
  /** How densities are fitted to the budget: headroom, size weighting, override bonus, minimal density. */
  budget?: DensityBudgetOptions;
}

export interface LightmapObjectReport {
  /** Node drawing the object in the output scene, and its name. */
  node: number;
  name: string;
  mesh: number;
  /** Atlas page of each primitive of the object's mesh (each primitive is packed whole onto one page). */
  primitivePages: number[];
  charts: number;
  /** Texels covered / texels of the object's padded chart boxes. */
  utilization: number;
  texels: number;
  maxStretch: number;
  meanStretch: number;
  overlaps: number;
  /**
   * Effective density of the object's least dense part: lower than asked when the budget scaled it down or the
   * object was shrunk to fit one page.
   */
  texelsPerMeter: number;
  /** Effective density of its densest part: view-weighted parts of one big mesh span a range (bake/view-weights.ts). */
  maxTexelsPerMeter: number;
  /** Density asked for (the profile's, or the object's override). */
  requestedTexelsPerMeter: number;
  /** texelsPerMeter / requestedTexelsPerMeter. */
  scale: number;
  keptUv1: boolean;
}

export interface LightmapPage {
  width: number;
  height: number;
  /** Texels covered by triangles / page texels (the xatlas figure). */
  utilization: number;
}

export interface LightmapAtlas {
  pages: LightmapPage[];
  objects: LightmapObjectReport[];
  chartCount: number;
  overlaps: number;
  milliseconds: number;
  /** The texel budget the pages had to fit, and the page texels (width × height summed) they take. */
  texelBudget: number;
  pageTexels: number;
  /** Effective / requested density, area-weighted over the objects (root mean square): 1 when nothing shrank. */
  densityScale: number;
  /** Times the atlas was packed (more than 1 when the first fit overshot the budget). */
  packs: number;
  /** Densities scaled to fit the budget, objects shrunk to fit a page: for the caller's report. */
  warnings: string[];
  /**
   * With viewPixel: the objects whose texels the views see over maxTexelPixels across, and the most any of their
   * parts would rise (at most VIEW_FLOOR_DEFAULTS.maxRaise), most first; `applied`: whether the layout raised them.
   */
  viewFloor?: { applied: boolean; maxTexelPixels: number; objects: { name: string; raise: number }[] };
}

export const DEFAULT_TEXELS_PER_METER = 32;
export const DEFAULT_MAX_TEXELS = 32 * 1024 * 1024;
/**
 * Largest piece of a split primitive, as a fraction of a page's texels. Chart boxes and padding take about twice
 * the triangles' texels, and the packer shrinks an object whose boxes pass 90% of a page: a quarter leaves room.
 */
const PIECE_OF_PAGE = 0.25;

/** World area of each part (triangles [first[o], first[o+1])). */
function partAreas(positions: Float32Array, indices: Uint32Array, first: Uint32Array): number[] {
  const areas: number[] = [];
  for (let o = 0; o + 1 < first.length; o++) {
    let area = 0;
    for (let t = first[o]; t < first[o + 1]; t++) {
      const a = 3 * indices[3 * t],
        b = 3 * indices[3 * t + 1],
        c = 3 * indices[3 * t + 2];
      const ux = positions[b] - positions[a],
        uy = positions[b + 1] - positions[a + 1],
        uz = positions[b + 2] - positions[a + 2];
      const vx = positions[c] - positions[a],
        vy = positions[c + 1] - positions[a + 1],
        vz = positions[c + 2] - positions[a + 2];
      const cx = uy * vz - uz * vy,
        cy = uz * vx - ux * vz,
        cz = ux * vy - uy * vx;
      area += 0.5 * Math.sqrt(cx * cx + cy * cy + cz * cz);
    }
    areas.push(area);
  }
  return areas;
}

/** The middle side of the world bounding box of vertices [from, to): a plane's shorter in-plane side, a pipe's width. */
function middleSide(positions: Float32Array, from: number, to: number): number {
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  for (let v = from; v < to; v++)
    for (let c = 0; c < 3; c++) {
      const x = positions[3 * v + c];
      if (x < lo[c]) lo[c] = x;
      if (x > hi[c]) hi[c] = x;
    }
  const sides = [0, 1, 2].map((c) => Math.max(0, hi[c] - lo[c])).sort((a, b) => a - b);
  return sides[1];
}

const mega = (x: number) => `${(x / 1e6).toFixed(1)}M`;

/**
 * The density at which the scene's static surfaces fill about `pages` pages of `pageSize`² at a typical 60%
 * utilization: for scenes in unknown units (CAD models in millimetres) and for benchmarks at a fixed page size.
 */
export function densityForPages(scene: Scene, pages: number, pageSize: number, utilization = 0.6): number {
  const world = worldMatrices(scene);
  let area = 0;
  scene.nodes.forEach((node, n) => {
    if (node.mesh === undefined || node.dynamic) return;
    const m = world[n];
    const copies = node.instances ? node.instances.translation.length / 3 : 1;
    // Area scales with the determinant of the instance matrix's linear part for uniform scales; good enough here.
    for (const p of scene.meshes[node.mesh].primitives) {
      const P = p.positions,
        I = p.indices;
      const w = (i: number) => [
        m[0] * P[3 * i] + m[4] * P[3 * i + 1] + m[8] * P[3 * i + 2],
        m[1] * P[3 * i] + m[5] * P[3 * i + 1] + m[9] * P[3 * i + 2],
        m[2] * P[3 * i] + m[6] * P[3 * i + 1] + m[10] * P[3 * i + 2],
      ];
      for (let t = 0; t < I.length; t += 3) {
        const a = w(I[t]),
          b = w(I[t + 1]),
          c = w(I[t + 2]);
        area += copies * 0.5 * length(cross(sub(b, a), sub(c, a)));
      }
    }
  });
  if (!(area > 0))
    throw new OteError('BAD_INPUT', 'the scene has no static surface area to lightmap', { file: scene.source });
  return Math.sqrt((pages * pageSize * pageSize * utilization) / area);
}

/** A copy of the scene graph and meshes that can be edited without touching the input. */
function cloneScene(scene: Scene): Scene {
  return {
    ...scene,
    nodes: scene.nodes.map((n) => ({ ...n, children: [...n.children] })),
    roots: [...scene.roots],
    meshes: scene.meshes.map((m) => ({ ...m, primitives: m.primitives.map((p) => ({ ...p })) })),
    materials: scene.materials.map((m) => ({ ...m })),
    textures: [...scene.textures],
    lights: [...scene.lights],
    cameras: [...scene.cameras],
  };
}

/**
 * One drawn object per static mesh draw: instanced nodes become child nodes (one per copy) so each copy can own
 * its UV1; meshes drawn more than once are duplicated, and a dynamic node's mesh stays its own. Returns the nodes to
 * unwrap, in node order.
 */
export function separateObjects(scene: Scene): number[] {
  const nodeCount = scene.nodes.length;
  for (let n = 0; n < nodeCount; n++) {
    const node = scene.nodes[n];
    if (node.mesh === undefined || !node.instances || node.dynamic) continue;
    const inst = node.instances;
    for (let c = 0; c < inst.translation.length / 3; c++) {
      const child: SceneNode = {
        name: `${node.name}#${c}`,
        parent: n,
        children: [],
        translation: [inst.translation[3 * c], inst.translation[3 * c + 1], inst.translation[3 * c + 2]],
        rotation: [inst.rotation[4 * c], inst.rotation[4 * c + 1], inst.rotation[4 * c + 2], inst.rotation[4 * c + 3]],
        scale: [inst.scale[3 * c], inst.scale[3 * c + 1], inst.scale[3 * c + 2]],
        mesh: node.mesh,
      };
      scene.nodes.push(child);
      node.children.push(scene.nodes.length - 1);
    }
    delete node.instances;
    delete node.mesh;
  }
  const objects = scene.nodes.flatMap((n, i) => (n.mesh !== undefined && !n.dynamic ? [i] : []));
  const used = new Map<number, number>();
  for (const n of scene.nodes) if (n.mesh !== undefined) used.set(n.mesh, (used.get(n.mesh) ?? 0) + 1);
  // A dynamic node keeps the mesh as authored, without UV1 or lightmap: static draws of it take copies.
  const seen = new Set<number>(scene.nodes.flatMap((n) => (n.mesh !== undefined && n.dynamic ? [n.mesh] : [])));
  for (const i of objects) {
    const node = scene.nodes[i];
    const m = node.mesh!;
    if (used.get(m)! > 1 && seen.has(m)) {
      const src = scene.meshes[m];
      scene.meshes.push({ name: `${src.name}#${node.name}`, primitives: src.primitives.map((p) => ({ ...p })) });
      node.mesh = scene.meshes.length - 1;
    }
    seen.add(m);
  }
  return objects;
}

/** A UV1 set is kept when every primitive has one, it lies in [0,1], covers some area and nothing overlaps. */
export function validUv1(mesh: Mesh): boolean {
  let tris = 0;
  for (const p of mesh.primitives) {
    if (!p.uv1) return false;
    for (const v of p.uv1) if (!(v >= 0 && v <= 1)) return false;
    tris += p.indices.length / 3;
  }
  const corner = new Float32Array(6 * tris);
  let t = 0,
    area = 0;
  for (const p of mesh.primitives)
    for (let i = 0; i < p.indices.length; i += 3, t++)
      for (let k = 0; k < 3; k++) {
        corner[6 * t + 2 * k] = p.uv1![2 * p.indices[i + k]];
        corner[6 * t + 2 * k + 1] = p.uv1![2 * p.indices[i + k] + 1];
      }
  for (let i = 0; i < tris; i++) {
    const u = corner.subarray(6 * i, 6 * i + 6);
    area += Math.abs((u[2] - u[0]) * (u[5] - u[1]) - (u[3] - u[1]) * (u[4] - u[0]));
  }
  return area > 0 && countUvOverlaps(corner).count === 0;
}

/**
 * Generate (or keep) UV1 on every static object of `scene`. Returns a new scene (the input is not modified) whose
 * objects each draw their own mesh with UV1 pointing into page `objects[i].page` of the atlas.
 */
export async function generateLightmapUvs(
  input: Scene,
  opts: LightmapUvOptions = {},
): Promise<{ scene: Scene; atlas: LightmapAtlas }> {
  const t0 = performance.now();
  const density = opts.texelsPerMeter ?? DEFAULT_TEXELS_PER_METER;
  if (!(density > 0) || !Number.isFinite(density))
    throw new OteError('BAD_PROFILE', `texelsPerMeter must be a positive number, got ${density}`, {
      path: 'texelsPerMeter',
    });
  const scene = cloneScene(input);
  const objects = separateObjects(scene);
  const world = worldMatrices(scene);

  // Overrides and importance are keyed by node name; the copies separateObjects made of an instanced node use its.
  const lookup = <T>(table: Record<string, T> | undefined, n: number): [string, T | undefined] => {
    const name = scene.nodes[n].name,
      origin = n >= input.nodes.length ? scene.nodes[scene.nodes[n].parent]?.name : undefined;
    if (table?.[name] !== undefined || origin === undefined) return [name, table?.[name]];
    return [origin, table?.[origin]];
  };
  const requested = objects.map((n) => {
    const [name, override] = lookup(opts.objectTexelsPerMeter, n);
    if (override !== undefined && !(override > 0 && Number.isFinite(override)))
      throw new OteError('BAD_PROFILE', `texels per metre for "${name}" must be a positive number, got ${override}`, {
        path: `objectTexelsPerMeter.${name}`,
      });
    return override ?? density;
  });
  const importance = objects.map((n) => {
    const [name, imp] = lookup(opts.objectImportance, n);
    if (imp !== undefined && !(imp > 0 && Number.isFinite(imp)))
      throw new OteError('BAD_PROFILE', `importance of "${name}" must be a positive number, got ${imp}`, {
        path: `objectImportance.${name}`,
      });
    const overridden = lookup(opts.objectTexelsPerMeter, n)[1] !== undefined;
    return (
      (imp ?? 1) * (overridden ? (opts.budget?.overrideImportance ?? DENSITY_BUDGET_DEFAULTS.overrideImportance) : 1)
    );
  });
  const pageSize = opts.maxPageSize ?? 1024;
  // Primitives too big for a fraction of a page at the asked density are cut into pieces (bake/split-primitives.ts),
  // so that a one-primitive level spreads over pages instead of shrinking to one. Kept UV1 layouts stay whole.
  const keptUv1 = objects.map((n) => (opts.keepValidUv1 ?? true) && validUv1(scene.meshes[scene.nodes[n].mesh!]));
  let splitFrom = 0,
    splitInto = 0;
  objects.forEach((n, o) => {
    if (keptUv1[o]) return;
    const mesh = scene.meshes[scene.nodes[n].mesh!];
    mesh.primitives = mesh.primitives.flatMap((p) => {
      const pieces = splitTriangles(p, world[n], {
        texelsPerMeter: requested[o],
        maxPieceTexels: PIECE_OF_PAGE * pageSize * pageSize,
        headroom: opts.budget?.headroom,
      });
      if (pieces.length === 1) return [p];
      splitFrom++;
      splitInto += pieces.length;
      return pieces.map((tris) => primitiveSubset(p, tris));
    });
  });

  // Concatenate every object's world-space triangles. Each primitive is packed as its own part, so that a big
  // multi-material mesh (Sponza is one) can spread over several pages: MOZ_lightmap is per material anyway.
  const parts: { object: number; prim: number }[] = [];
  let vertexCount = 0,
    triangleCount = 0;
  objects.forEach((n, o) =>
    scene.meshes[scene.nodes[n].mesh!].primitives.forEach((p, prim) => {
      parts.push({ object: o, prim });
      vertexCount += p.positions.length / 3;
      triangleCount += p.indices.length / 3;
    }),
  );
  const positions = new Float32Array(3 * vertexCount),
    indices = new Uint32Array(3 * triangleCount);
  const cornerUv = new Float32Array(6 * triangleCount);
  const partFirstTriangle = new Uint32Array(parts.length + 1);
  const partFirstVertex = new Uint32Array(parts.length + 1),
    partKeepUv = new Uint8Array(parts.length);
  let v = 0,
    t = 0;
  parts.forEach(({ object: o, prim }, part) => {
    const node = scene.nodes[objects[o]],
      p = scene.meshes[node.mesh!].primitives[prim],
      m = world[objects[o]];
    partFirstTriangle[part] = t;
    partFirstVertex[part] = v;
    partKeepUv[part] = keptUv1[o] ? 1 : 0;
    const pos = p.positions;
    for (let i = 0; i < pos.length; i += 3) {
      const x = pos[i],
        y = pos[i + 1],
        z = pos[i + 2];
      positions[3 * v + i] = m[0] * x + m[4] * y + m[8] * z + m[12];
      positions[3 * v + i + 1] = m[1] * x + m[5] * y + m[9] * z + m[13];
      positions[3 * v + i + 2] = m[2] * x + m[6] * y + m[10] * z + m[14];
    }
    for (let i = 0; i < p.indices.length; i++) {
      indices[3 * t + i] = p.indices[i] + v;
      if (keptUv1[o]) {
        cornerUv[6 * t + 2 * i] = p.uv1![2 * p.indices[i]];
        cornerUv[6 * t + 2 * i + 1] = p.uv1![2 * p.indices[i] + 1];
      }
    }
    v += pos.length / 3;
    t += p.indices.length / 3;
  });
  partFirstTriangle[parts.length] = t;
  partFirstVertex[parts.length] = v;

  // Fit the densities to the texel budget (bake/budget.ts), pack, and check the packed pages: padding and packing
  // loss are only estimated, so an overshoot tightens the estimate's budget and packs again.
  const budget = Math.min(
    opts.maxTexels ?? DEFAULT_MAX_TEXELS,
    opts.maxPages ? opts.maxPages * pageSize * pageSize : Infinity,
  );
  const minAcross = opts.budget?.minTexelsAcross ?? DENSITY_BUDGET_DEFAULTS.minTexelsAcross;
  const objectParts: number[][] = objects.map(() => []);
  parts.forEach((pt, i) => objectParts[pt.object].push(i));
  const areas = partAreas(positions, indices, partFirstTriangle);
  const measures = opts.viewpoints?.length
    ? await viewMeasures({ positions, indices, partFirstTriangle, areas }, opts.viewpoints, { signal: opts.signal })
    : undefined;
  const weights = measures?.weights;
  const maxTexelPixels = opts.maxTexelPixels ?? VIEW_FLOOR_DEFAULTS.maxTexelPixels;
  if (!(maxTexelPixels > 0) || !Number.isFinite(maxTexelPixels))
    throw new OteError('BAD_PROFILE', `maxTexelPixels must be a positive number, got ${maxTexelPixels}`, {
      path: 'maxTexelPixels',
    });
  // A TD's per-object density is taken as written; the profile's rises where the views see its texels too large.
  const wouldRaise = parts.map((pt, i) =>
    measures && opts.viewPixel && lookup(opts.objectTexelsPerMeter, objects[pt.object])[1] === undefined
      ? viewFloorScale(requested[pt.object], measures.inverseDistance[i], opts.viewPixel, maxTexelPixels)
      : 1,
  );
  const raise = opts.viewFloor ? wouldRaise : parts.map(() => 1);
  const budgetObjects: BudgetObject[] = objects.map((_, o) => {
    const mine = objectParts[o];
    const side = Math.max(0, ...mine.map((i) => middleSide(positions, partFirstVertex[i], partFirstVertex[i + 1])));
    return {
      partAreas: mine.map((i) => areas[i]),
      partWeights: weights && mine.map((i) => weights[i]),
      partRaise: mine.map((i) => raise[i]),
      requested: requested[o],
      importance: importance[o],
      minDensity: side > 0 ? minAcross / side : requested[o],
    };
  });
  const partTexelsPerMeter = new Float32Array(parts.length);
  let target = budget,
    packs = 0;
  let fit: DensityFit, r: Awaited<ReturnType<typeof generateLightmapUvsNative>>, pageTexels: number;
  for (;;) {
    fit = fitDensities(budgetObjects, target, pageSize * pageSize, opts.budget);
    if (!fit.fits)
      throw tooBig(input, budget, fit.minimumEstimate, fit.requestedEstimate, objects.length, minAcross, 'estimated');
    objectParts.forEach((mine, o) =>
      mine.forEach((i, k) => {
        partTexelsPerMeter[i] = requested[o] * fit.partScale[o][k];
      }),
    );
    r = await generateLightmapUvsNative(
      {
        positions,
        indices,
        objectFirstTriangle: partFirstTriangle,
        objectTexelsPerMeter: partTexelsPerMeter,
        cornerUv,
        objectKeepUv: partKeepUv,
      },
      { pageSize, padding: opts.padding ?? 2, signal: opts.signal, onProgress: opts.onProgress },
    );
    packs++;
    pageTexels = Array.from(r.pageWidth).reduce((sum, w, i) => sum + w * r.pageHeight[i], 0);
    if (pageTexels <= budget) break;
    // Every part at its floor, not only each object's least dense one: a view-weighted part above it can shrink.
    if (fit.atFloor || packs >= 4)
      throw tooBig(
        input,
        budget,
        pageTexels,
        fit.requestedEstimate,
        objects.length,
        minAcross,
        fit.atFloor ? 'packed' : 'repacked',
      );
    // Padding and conservative coverage do not shrink with density, so aim 10% under the measured ratio.
    target = Math.min(fit.estimate, target) * (budget / pageTexels) * 0.9;
  }

  // Write UV1 back: split vertices where charts meet (a vertex gets one copy per chart that uses it).
  t = 0;
  const primPage: number[][] = objects.map(() => []);
  parts.forEach(({ object: o, prim }, part) => {
    const mesh = scene.meshes[scene.nodes[objects[o]].mesh!];
    const p = mesh.primitives[prim];
    primPage[o][prim] = r.objectPage[part];
    const nt = p.indices.length / 3;
    const remap = new Map<number, number>();
    const src: number[] = [];
    const idx = new Uint32Array(p.indices.length);
    const uv1: number[] = [];
    for (let i = 0; i < nt; i++, t++) {
      const chart = r.triangleChart[t];
      for (let k = 0; k < 3; k++) {
        const vert = p.indices[3 * i + k];
        const key = chart * 4294967296 + vert;
        let nv = remap.get(key);
        if (nv === undefined) {
          nv = src.length;
          remap.set(key, nv);
          src.push(vert);
          uv1.push(r.cornerUv[6 * t + 2 * k], r.cornerUv[6 * t + 2 * k + 1]);
        }
        idx[3 * i + k] = nv;
      }
    }
    mesh.primitives[prim] = remapPrimitive(p, src, idx, Float32Array.from(uv1));
  });

  const report: LightmapObjectReport[] = objects.map((n, o) => {
    const mine = objectParts[o];
    const sum = (a: Float64Array) => mine.reduce((s, i) => s + a[i], 0);
    const texels = sum(r.objectTexels),
      box = sum(r.objectBoxTexels);
    let stretchArea = 0,
      weight = 0;
    for (const i of mine) {
      stretchArea += r.objectMeanStretch[i] * r.objectTexels[i];
      weight += r.objectTexels[i];
    }
    const effective = Math.min(...mine.map((i) => r.objectTexelsPerMeter[i]));
    return {
      node: n,
      name: scene.nodes[n].name,
      mesh: scene.nodes[n].mesh!,
      primitivePages: primPage[o],
      charts: sum(r.objectCharts),
      utilization: box ? texels / box : 0,
      texels,
      maxStretch: Math.max(0, ...mine.map((i) => r.objectMaxStretch[i])),
      meanStretch: weight ? stretchArea / weight : 0,
      overlaps: sum(r.objectOverlaps),
      texelsPerMeter: effective,
      maxTexelsPerMeter: Math.max(...mine.map((i) => r.objectTexelsPerMeter[i])),
      requestedTexelsPerMeter: requested[o],
      scale: effective / requested[o],
      keptUv1: keptUv1[o],
    };
  });
  const pages = Array.from(r.pageWidth, (w, i) => ({
    width: w,
    height: r.pageHeight[i],
    utilization: r.pageTexels[i] / (w * r.pageHeight[i]),
  }));
  const warnings = densityWarnings(report, budgetObjects, fit, budget, pageSize);
  const raised = objects
    .map((_, o) => ({ o, raise: Math.max(...objectParts[o].map((i) => wouldRaise[i])) }))
    .filter((x) => x.raise > 1.05)
    .sort((a, b) => b.raise - a.raise);
  const viewFloor = opts.viewPixel
    ? {
        applied: !!opts.viewFloor,
        maxTexelPixels,
        objects: raised.map((x) => ({ name: report[x.o].name, raise: x.raise })),
      }
    : undefined;
  if (raised.length && opts.viewFloor)
    warnings.push(
      `lightmap density raised where the views see a texel over ${maxTexelPixels} pixels across, on ${raised.length} object(s): ${raised
        .slice(0, 5)
        .map((x) => `"${report[x.o].name}" up to ${x.raise.toFixed(2)}×`)
        .join(', ')}${raised.length > 5 ? ', …' : ''}`,
    );
  if (splitFrom)
    warnings.push(
      `${splitFrom} primitive(s) too big for one ${pageSize}² lightmap page at the asked density split into ${splitInto} pieces, so their lightmap spans pages`,
    );
  // Per part: an object's texelsPerMeter is its least dense part, which would understate a big multi-part mesh.
  const asked = areas.reduce((sum, a, i) => sum + a * requested[parts[i].object] ** 2, 0);
  const got = areas.reduce((sum, a, i) => sum + a * r.objectTexelsPerMeter[i] ** 2, 0);
  const densityScale = asked > 0 ? Math.sqrt(got / asked) : 1;
  return {
    scene,
    atlas: {
      pages,
      objects: report,
      chartCount: r.chartCount,
      overlaps: report.reduce((s, o) => s + o.overlaps, 0),
      milliseconds: performance.now() - t0,
      texelBudget: budget,
      pageTexels,
      densityScale,
      packs,
      warnings,
      ...(viewFloor ? { viewFloor } : {}),
    },
  };
}

/** What the caller's report says about densities: the budget fit, and objects shrunk to fit a single page. */
function densityWarnings(
  report: LightmapObjectReport[],
  objects: BudgetObject[],
  { scale: fitted, partScale: partFitted }: DensityFit,
  budget: number,
  pageSize: number,
): string[] {
  const warnings: string[] = [];
  const total = objects.reduce((s, b) => s + b.partAreas.reduce((t, a) => t + a, 0), 0);
  // Averages are area-weighted root mean squares over the parts: the density that gives the same texel count.
  const avg = (d: (o: number, k: number) => number) =>
    total > 0
      ? Math.sqrt(objects.reduce((s, b, o) => s + b.partAreas.reduce((t, a, k) => t + a * d(o, k) ** 2, 0), 0) / total)
      : 0;
  const all = partFitted.flat();
  if (all.some((f) => f < 1)) {
    const asked = avg((o) => objects[o].requested),
      got = avg((o, k) => objects[o].requested * partFitted[o][k]);
    const lo = all.reduce((a, b) => Math.min(a, b)),
      hi = all.reduce((a, b) => Math.max(a, b));
    const viewWeighted = objects.some((b) => b.partWeights);
    warnings.push(
      `lightmap density scaled to ${(got / asked).toFixed(2)}× (${asked.toPrecision(3)} → ${got.toPrecision(3)} texels/m on average) to fit the ${mega(budget)}-texel budget` +
        (lo < hi
          ? `; per part ${lo.toFixed(2)}×–${hi.toFixed(2)}× (${viewWeighted ? 'parts seen near, ' : ''}smaller and overridden objects keep more)`
          : ''),
    );
  }
  const shrunk = report.filter((o, i) => o.texelsPerMeter < 0.99 * objects[i].requested * fitted[i]);
  if (shrunk.length)
    warnings.push(
      `${shrunk.length} object(s) with a chart too big for one ${pageSize}² lightmap page, shrunk to fit (${shrunk
        .slice(0, 3)
        .map((o) => `"${o.name}" ${o.texelsPerMeter.toPrecision(3)} of ${o.requestedTexelsPerMeter} texels/m`)
        .join(', ')}` +
        `${shrunk.length > 3 ? ', …' : ''}); raise maxPageSize, or subdivide the object's largest triangles`,
    );
  return warnings;
}

/** TOO_BIG that says how far over the budget the minimal useful density is and what to change. */
function tooBig(
  input: Scene,
  budget: number,
  texels: number,
  requestedTexels: number,
  objects: number,
  minAcross: number,
  how: 'estimated' | 'packed' | 'repacked',
): OteError {
  const units = guessSceneUnits(input);
  const what =
    how === 'repacked'
      ? `the lightmap atlas still took ${mega(texels)} texels after 4 packings at reduced density`
      : `even at the minimal useful density (${minAcross} texels across each of the ${objects} objects) the lightmap ${how === 'packed' ? 'takes' : 'needs about'} ${mega(texels)} texels`;
  return new OteError(
    'TOO_BIG',
    `${what}, over the budget of ${mega(budget)} (about ${mega(requestedTexels)} at the requested density); ` +
      `raise maxTexels (or maxPageSize/maxPages), route objects elsewhere (splat or keep), or merge small objects` +
      (units.warning ? `; the scene's units look wrong: ${units.warning}` : ''),
    { file: input.source, path: 'texelsPerMeter' },
  );
}

/** A primitive whose vertices are `src` (old indices) of p, with new indices and UV1. */
function remapPrimitive(p: Primitive, src: number[], indices: Uint32Array, uv1: Float32Array): Primitive {
  return { ...gatherVertices({ ...p, uv1: undefined }, src), indices, uv1 };
}

/** An atlas as the bake's inputs see it: each lightmapped node's page per primitive, and the page sizes. */
export function layoutOf(atlas: LightmapAtlas): LightmapLayout {
  return {
    primitivePages: new Map(atlas.objects.map((o) => [o.node, o.primitivePages])),
    pageWidth: atlas.pages.map((p) => p.width),
    pageHeight: atlas.pages.map((p) => p.height),
  };
}
