/**
 * A small fake of Puerts' `csharp` module for the Unity plugin's dry run: the UnityEngine API that
 * plugin-unity/Scripts uses (plugin-unity/Typings/csharp.d.ts), over a scene described in plain data (UnityScene),
 * and every call that leaves the editor recorded. It stands in for a Unity editor, which cannot run here.
 */
import { fakeState, record } from './state.js';

export interface UnityMeshData {
  name: string;
  vertices: number[];
  normals: number[];
  uv: number[];
  /** Triangles per submesh. */
  submeshes: number[][];
}

export interface UnityRendererData {
  object: string;
  isStatic: boolean;
  position: [number, number, number];
  rotation: [number, number, number, number];
  scale?: [number, number, number];
  mesh: UnityMeshData;
  materials: UnityMaterialData[];
}

/** A material: its shader's name, keywords, and the properties it has (textures as PNG bytes to export). */
export interface UnityMaterialData {
  name: string;
  shader: string;
  /** Material.enableInstancing (GPU instancing). */
  instancing?: boolean;
  keywords?: string[];
  colors?: Record<string, [number, number, number, number]>;
  floats?: Record<string, number>;
  /** Colour textures carry `png` (what EncodePng returns), data textures `rgba` (what ReadPixels returns). */
  textures?: Record<string, { name: string; width: number; height: number; png?: Uint8Array; rgba?: Uint8Array }>;
}

export interface UnityLightData {
  object: string;
  position: [number, number, number];
  rotation: [number, number, number, number];
  /** Light's properties, as UnityEngine.Light names them. */
  light: Record<string, unknown>;
}

/** A terrain: its trees' prototypes (a mesh and its materials) and the trees, positions normalized to `size`. */
export interface UnityTerrainData {
  name: string;
  position: [number, number, number];
  size: [number, number, number];
  prototypes: Pick<UnityRendererData, 'object' | 'mesh' | 'materials'>[];
  trees: {
    position: [number, number, number];
    widthScale: number;
    heightScale: number;
    rotation: number;
    prototypeIndex: number;
  }[];
}

export interface UnityScene {
  /** The active scene's name (SceneManager.GetActiveScene().name); absent: SampleScene. */
  name?: string;
  /** Project files the script may read (System.IO.File), by path. */
  files?: Record<string, string>;
  /** Files the ote run wrote (the result folder), by path: OptimizerProcess.LoadBytes reads them. */
  results?: Record<string, Uint8Array>;
  /** RenderSettings' ambient: mode (Skybox 0, Trilight 1, Flat 3), intensity and sRGB colours; absent: Skybox. */
  ambient?: { mode: number; intensity: number; sky: number[]; equator: number[]; ground: number[]; flat: number[] };
  renderers: UnityRendererData[];
  terrains?: UnityTerrainData[];
  lights: UnityLightData[];
  /** Render pipeline asset's name (null: the built-in pipeline) and lightsUseLinearIntensity. */
  pipeline: string | null;
  linearIntensity: boolean;
}

const scene = () => fakeState().level as UnityScene;

class Array$1<T> {
  constructor(readonly items: T[]) {}
  get Length(): number {
    return this.items.length;
  }
  get_Item(i: number): T {
    return this.items[i];
  }
}

const v3 = (a: number[]) =>
  new Array$1(Array.from({ length: a.length / 3 }, (_, i) => ({ x: a[3 * i], y: a[3 * i + 1], z: a[3 * i + 2] })));
const transform = (p: number[], r: number[], s: number[] = [1, 1, 1]) => ({
  position: { x: p[0], y: p[1], z: p[2] },
  rotation: { x: r[0], y: r[1], z: r[2], w: r[3] },
  lossyScale: { x: s[0], y: s[1], z: s[2] },
});

class MeshFilter {}
class MeshRenderer {}
class Light {}

function meshFilter(r: UnityRendererData) {
  const m = r.mesh;
  const gameObject = { name: r.object, isStatic: r.isStatic };
  const renderer = {
    sharedMaterials: new Array$1(
      r.materials.map((mat) => ({
        name: mat.name,
        shader: { name: mat.shader },
        shaderKeywords: new Array$1(mat.keywords ?? []),
        enableInstancing: !!mat.instancing,
        HasProperty: (n: string) => [mat.colors, mat.floats, mat.textures].some((bag) => bag && n in bag),
        GetColor(n: string) {
          const [r, g, b, a] = mat.colors?.[n] ?? [0, 0, 0, 0];
          return { r, g, b, a };
        },
        GetFloat: (n: string) => mat.floats?.[n] ?? 0,
        GetTexture: (n: string) => mat.textures?.[n] ?? null,
      })),
    ),
  };
  return {
    sharedMesh: {
      name: m.name,
      subMeshCount: m.submeshes.length,
      vertices: v3(m.vertices),
      normals: v3(m.normals),
      uv: new Array$1(Array.from({ length: m.uv.length / 2 }, (_, i) => ({ x: m.uv[2 * i], y: m.uv[2 * i + 1] }))),
      uv2: new Array$1([]),
      GetTriangles: (s: number) => new Array$1(m.submeshes[s].slice()),
    },
    GetComponent: (t: unknown) => (t === MeshRenderer ? renderer : null),
    transform: { ...transform(r.position, r.rotation, r.scale), gameObject, parent: null },
    gameObject,
  };
}

function light(l: UnityLightData) {
  return {
    enabled: true,
    spotAngle: 30,
    innerSpotAngle: 21.8,
    range: 10,
    areaSize: { x: 1, y: 1 },
    lightUnit: 1,
    enableSpotReflector: false,
    ...l.light,
    transform: transform(l.position, l.rotation),
    gameObject: { name: l.object },
  };
}

const colour = (c: number[] = [0, 0, 0]) => ({ r: c[0], g: c[1], b: c[2], a: 1 });

function terrain(t: UnityTerrainData) {
  const vec = (v: number[]) => ({ x: v[0], y: v[1], z: v[2] });
  return {
    gameObject: { name: t.name },
    GetPosition: () => vec(t.position),
    terrainData: {
      size: vec(t.size),
      treeInstances: new Array$1(t.trees.map((tr) => ({ ...tr, position: vec(tr.position) }))),
      treePrototypes: new Array$1(
        t.prototypes.map((p) => {
          const filter = meshFilter({ ...p, isStatic: true, position: [0, 0, 0], rotation: [0, 0, 0, 1] });
          return {
            prefab: { name: p.object, GetComponentInChildren: (c: unknown) => (c === MeshFilter ? filter : null) },
          };
        }),
      ),
    },
  };
}

export const UnityEngine = {
  Terrain: {
    get activeTerrains() {
      return new Array$1((scene().terrains ?? []).map(terrain));
    },
  },
  Object: {
    FindObjectsOfType(t: unknown) {
      if (t === MeshFilter) return new Array$1(scene().renderers.map(meshFilter));
      if (t === Light) return new Array$1(scene().lights.map(light));
      return new Array$1([]);
    },
  },
  MeshFilter,
  MeshRenderer,
  Light,
  Rendering: {
    GraphicsSettings: {
      get lightsUseLinearIntensity() {
        return scene().linearIntensity;
      },
      get currentRenderPipeline() {
        const name = scene().pipeline;
        return name === null ? null : { name };
      },
    },
  },
  RenderSettings: {
    get ambientMode() {
      return scene().ambient?.mode ?? 0;
    },
    get ambientIntensity() {
      return scene().ambient?.intensity ?? 1;
    },
    get ambientSkyColor() {
      return colour(scene().ambient?.sky);
    },
    get ambientEquatorColor() {
      return colour(scene().ambient?.equator);
    },
    get ambientGroundColor() {
      return colour(scene().ambient?.ground);
    },
    get ambientLight() {
      return colour(scene().ambient?.flat);
    },
  },
  Application: { dataPath: '/Project/Assets' },
  SceneManagement: { SceneManager: { GetActiveScene: () => ({ name: scene().name ?? 'SampleScene' }) } },
  Debug: {
    Log: (msg: string) => record('Debug.Log', msg),
    LogError: (msg: string) => record('Debug.LogError', msg),
  },
};

export const System = {
  Environment: { GetEnvironmentVariable: (_name: string) => null },
  IO: {
    File: {
      Exists: (path: string) => scene().files?.[path] !== undefined || scene().results?.[path] !== undefined,
      ReadAllText(path: string): string {
        const text = scene().files?.[path];
        if (text === undefined) throw new Error(`csharp fake: FileNotFoundException: ${path}`);
        return text;
      },
    },
  },
};

export const Ote = {
  OptimizerProcess: {
    SaveBytes(path: string, bytes: Uint8Array): boolean {
      record('SaveBytes', path, Uint8Array.from(bytes));
      return true;
    },
    Start(node: string, script: string, args: string): boolean {
      record('Start', node, script, args);
      fakeState().markStarted();
      return !!fakeState().process; // without a scripted process the dry run ends here
    },
    LoadBytes(path: string): ArrayBuffer | null {
      const bytes = scene().results?.[path];
      return bytes ? bytes.slice().buffer : null;
    },
    Poll: () => fakeState().process?.lines.shift() ?? null,
    Cancel: () => record('Cancel'),
    get Finished() {
      return !fakeState().process?.lines.length;
    },
    get ExitCode() {
      return fakeState().process?.exitCode ?? -1;
    },
  },
  OptimizerRun: {
    Begin: () => record('OptimizerRun.Begin'),
    Report: (fraction: number, text: string) => record('OptimizerRun.Report', fraction, text),
    End(...args: unknown[]) {
      record('OptimizerRun.End', ...args);
      fakeState().markEnded?.();
    },
  },
  /** Records the write-back as plain data: buffers as typed arrays, objects by name, meshes by asset path. */
  LightmapWriteBack: {
    Begin: (folder: string) => record('LightmapWriteBack.Begin', folder),
    ImportPage: (exrFile: string, assetPath: string) => record('LightmapWriteBack.ImportPage', exrFile, assetPath),
    CreateMesh(
      assetPath: string,
      name: string,
      positions: ArrayBuffer,
      normals: ArrayBuffer,
      uv0: ArrayBuffer,
      uv2: ArrayBuffer,
      indices: ArrayBuffer,
      sections: ArrayBuffer,
    ) {
      record('LightmapWriteBack.CreateMesh', assetPath, name, {
        positions: new Float32Array(positions),
        normals: new Float32Array(normals),
        uv0: new Float32Array(uv0),
        uv2: new Float32Array(uv2),
        indices: new Uint32Array(indices),
        sections: new Int32Array(sections),
      });
      return { asset: assetPath };
    },
    ApplyRenderer(
      filter: { gameObject: { name: string } },
      part: number,
      mesh: { asset: string },
      materials: string,
      ...pageAndScaleOffset: number[]
    ) {
      record(
        'LightmapWriteBack.ApplyRenderer',
        filter.gameObject.name,
        part,
        mesh.asset,
        materials,
        ...pageAndScaleOffset,
      );
    },
    End: (ok: boolean) => record('LightmapWriteBack.End', ok),
  },
  /** Records the splats' write-back: the PLY as bytes, hidden objects by name. */
  SplatWriteBack: {
    Place(plyAssetPath: string, ply: ArrayBuffer, gaussians: number) {
      record('SplatWriteBack.Place', plyAssetPath, new Uint8Array(ply), gaussians);
      return { name: 'Splats (optimizer)' };
    },
    Hide: (filter: { gameObject: { name: string } }) => record('SplatWriteBack.Hide', filter.gameObject.name),
  },
  TextureExport: {
    EncodePng(t: { png?: Uint8Array }) {
      record('TextureExport.EncodePng', t);
      if (!t.png) throw new Error('csharp fake: EncodePng on a data texture');
      return new Array$1([...t.png]);
    },
    ReadPixels(t: { rgba?: Uint8Array }) {
      record('TextureExport.ReadPixels', t);
      if (!t.rgba) throw new Error('csharp fake: ReadPixels on a colour texture');
      return new Array$1([...t.rgba]);
    },
  },
};
