/**
 * A small fake of Puerts' `ue` module for the Unreal plugin's dry run: just the reflected API that
 * plugin-unreal/Scripts uses (plugin-unreal/Typings/ue.d.ts), over a level described in plain data (UeLevel), and
 * every call that leaves the editor (files saved, processes started, messages printed) recorded. It stands in for
 * an Unreal editor, which cannot run here.
 */
import { fakeState, record } from './state.js';

export interface UeSection {
  positions: number[];
  normals: number[];
  uv: number[];
  indices: number[];
  material: string;
}

export interface UeActor {
  label: string;
  cls:
    | 'StaticMeshActor'
    | 'DirectionalLight'
    | 'PointLight'
    | 'SpotLight'
    | 'RectLight'
    | 'SkyLight'
    | 'InstancedFoliageActor';
  location: [number, number, number];
  rotation: [number, number, number, number];
  scale?: [number, number, number];
  mobility?: number;
  mesh?: { path: string; sections: UeSection[] };
  /** LightComponent's properties, as the Details panel names them. */
  light?: Record<string, unknown>;
  /** Its instanced static mesh components (foliage): name, mesh and the copies' world transforms. */
  instanced?: {
    name: string;
    mesh: { path: string; sections: UeSection[] };
    copies: {
      location: [number, number, number];
      rotation: [number, number, number, number];
      scale: [number, number, number];
    }[];
  }[];
}

/** A material by name: a base material, or an instance of one (`parent`) whose parameters override its defaults. */
export interface UeMaterial {
  parent?: string;
  blendMode?: number;
  twoSided?: boolean;
  opacityMaskClipValue?: number;
  scalars?: Record<string, number>;
  vectors?: Record<string, [number, number, number, number]>;
  /** Texture parameters: the texture asset's path and its source art as PNG. */
  textures?: Record<string, UeTexture>;
}

export interface UeTexture {
  path: string;
  width: number;
  height: number;
  /** Colour textures: what ExportTexturePng returns; data textures: `rgba`, what ExportTexturePixels returns. */
  png?: Uint8Array;
  rgba?: Uint8Array;
}

export interface UeLevel {
  name: string;
  /** Project files the script may read (LoadBytes), by path. */
  files?: Record<string, string>;
  /** Files the ote run wrote (its output folder), by path: LoadBytes and ImportLightmapPage read them. */
  results?: Record<string, Uint8Array>;
  actors: UeActor[];
  materials: Record<string, UeMaterial>;
}

const level = () => fakeState().level as UeLevel;

export class TArray<T> {
  constructor(readonly items: T[] = []) {}
  Num(): number {
    return this.items.length;
  }
  Get(i: number): T {
    return this.items[i];
  }
  Add(x: T): void {
    this.items.push(x);
  }
}

export function NewArray<T>(_t: unknown): TArray<T> {
  return new TArray<T>();
}
export const BuiltinByte = 'byte';
export const BuiltinName = 'name';
export const BuiltinFloat = 'float';
export const BuiltinInt = 'int';
export const MaterialInterface = { StaticClass: () => 'MaterialInterface' };
export class LinearColor {
  constructor(
    readonly R = 0,
    readonly G = 0,
    readonly B = 0,
    readonly A = 0,
  ) {}
}

/** The material object a script sees: GetName, GetPathName and GetBaseMaterial with BlendMode and TwoSided. */
function materialObject(name: string): unknown {
  const m = level().materials[name];
  if (!m) throw new Error(`ue fake: no material ${name} in the level`);
  const baseName = m.parent ?? name;
  const base = level().materials[baseName];
  return {
    __name: name,
    GetName: () => name,
    GetPathName: () => `/Game/Materials/${name}`,
    GetBaseMaterial: () => ({
      __name: baseName,
      GetName: () => baseName,
      GetPathName: () => `/Game/Materials/${baseName}`,
      BlendMode: base.blendMode ?? 0,
      TwoSided: base.twoSided ?? false,
      OpacityMaskClipValue: base.opacityMaskClipValue ?? 0.3333,
    }),
  };
}

type Named = { __name: string };
function params(m: Named, kind: 'scalars'): Record<string, number>;
function params(m: Named, kind: 'vectors'): Record<string, [number, number, number, number]>;
function params(m: Named, kind: 'textures'): Record<string, UeTexture>;
function params(m: Named, kind: 'scalars' | 'vectors' | 'textures'): Record<string, unknown> {
  const own = level().materials[m.__name];
  return { ...(own.parent ? level().materials[own.parent][kind] : {}), ...own[kind] };
}

export const MaterialEditingLibrary = {
  GetScalarParameterNames(m: Named, out: { value: TArray<string> }): void {
    out.value = new TArray(Object.keys(params(m, 'scalars')));
  },
  GetVectorParameterNames(m: Named, out: { value: TArray<string> }): void {
    out.value = new TArray(Object.keys(params(m, 'vectors')));
  },
  GetMaterialInstanceScalarParameterValue: (m: Named, n: string) => params(m, 'scalars')[n],
  GetMaterialDefaultScalarParameterValue: (m: Named, n: string) => params(m, 'scalars')[n],
  GetMaterialInstanceVectorParameterValue(m: Named, n: string) {
    const [R, G, B, A] = params(m, 'vectors')[n];
    return { R, G, B, A };
  },
  GetMaterialDefaultVectorParameterValue(m: Named, n: string) {
    const [R, G, B, A] = params(m, 'vectors')[n];
    return { R, G, B, A };
  },
  GetTextureParameterNames(m: Named, out: { value: TArray<string> }): void {
    out.value = new TArray(Object.keys(params(m, 'textures')));
  },
  GetMaterialInstanceTextureParameterValue: (m: Named, n: string) => fakeTexture(params(m, 'textures')[n]),
  GetMaterialDefaultTextureParameterValue: (m: Named, n: string) => fakeTexture(params(m, 'textures')[n]),
};

const fakeTexture = (t: UeTexture | undefined) => (t ? { __texture: t, GetPathName: () => t.path } : null);

export class Vector {
  constructor(
    public X = 0,
    public Y = 0,
    public Z = 0,
  ) {}
}
export class Vector2D {
  constructor(
    public X = 0,
    public Y = 0,
  ) {}
}
export class ProcMeshTangent {}

/** FTransform as a script builds it for an out-parameter; the fake fills it. */
export class Transform {
  location: [number, number, number] = [0, 0, 0];
  rotation: [number, number, number, number] = [0, 0, 0, 1];
  scale: [number, number, number] = [1, 1, 1];
  GetLocation() {
    return new Vector(...this.location);
  }
  GetRotation() {
    const [X, Y, Z, W] = this.rotation;
    return { X, Y, Z, W };
  }
  GetScale3D() {
    return new Vector(...this.scale);
  }
}

function meshObject(mesh: { path: string; sections: UeSection[] }) {
  return {
    GetPathName: () => mesh.path,
    GetNumSections: (_lod: number) => mesh.sections.length,
    __sections: mesh.sections,
  };
}

/** The actor's instanced static mesh components, as K2_GetComponentsByClass returns them. */
function instancedComponents(a: UeActor): TArray<unknown> {
  return new TArray(
    (a.instanced ?? []).map((c) => ({
      Mobility: 0,
      StaticMesh: meshObject(c.mesh),
      GetName: () => c.name,
      GetMaterial: (i: number) => materialObject(c.mesh.sections[i].material),
      GetInstanceCount: () => c.copies.length,
      GetInstanceTransform(k: number, out: { value: Transform }, worldSpace: boolean): boolean {
        if (!worldSpace) throw new Error('ue fake: instance transforms are asked in world space');
        Object.assign(out.value, c.copies[k]);
        return true;
      },
    })),
  );
}

function transformOf(a: UeActor) {
  const [x, y, z] = a.location;
  const [qx, qy, qz, qw] = a.rotation;
  const [sx, sy, sz] = a.scale ?? [1, 1, 1];
  return {
    GetLocation: () => new Vector(x, y, z),
    GetRotation: () => ({ X: qx, Y: qy, Z: qz, W: qw }),
    GetScale3D: () => new Vector(sx, sy, sz),
  };
}

/** The actor object a script sees: a StaticMeshActor with its component, or a light with its LightComponent. */
function actorObject(a: UeActor): unknown {
  const component = {
    Mobility: a.mobility ?? 0,
    K2_GetComponentToWorld: () => transformOf(a),
  };
  if (a.cls === 'StaticMeshActor') {
    const mesh = a.mesh && meshObject(a.mesh);
    return {
      GetActorLabel: () => a.label,
      K2_GetComponentsByClass: (_cls: string) => instancedComponents(a),
      StaticMeshComponent: {
        ...component,
        StaticMesh: mesh,
        GetMaterial: (i: number) => materialObject(a.mesh!.sections[i].material),
      },
    };
  }
  return {
    GetActorLabel: () => a.label,
    K2_GetComponentsByClass: (_cls: string) => instancedComponents(a),
    ...(a.light ? { LightComponent: { ...component, bAffectsWorld: true, ...a.light } } : {}),
  };
}

/** A UClass as the scripts use it: `StaticClass()` names it, and GetAllActorsOfClass filters by the name. */
function actorClass(name: UeActor['cls']) {
  return { StaticClass: () => name };
}
export const Actor = { StaticClass: () => 'Actor' };
export const InstancedStaticMeshComponent = { StaticClass: () => 'InstancedStaticMeshComponent' };
export const StaticMeshActor = actorClass('StaticMeshActor');
export const DirectionalLight = actorClass('DirectionalLight');
export const PointLight = actorClass('PointLight');
export const SpotLight = actorClass('SpotLight');
export const RectLight = actorClass('RectLight');
export const SkyLight = actorClass('SkyLight');

export const EditorLevelLibrary = {
  GetEditorWorld: () => ({ GetName: () => level().name }),
};

export const GameplayStatics = {
  GetAllActorsOfClass(_world: unknown, cls: string, out: { value: TArray<unknown> }): void {
    out.value = new TArray(
      level()
        .actors.filter((a) => cls === 'Actor' || a.cls === cls)
        .map(actorObject),
    );
  },
};

export const KismetProceduralMeshLibrary = {
  GetSectionFromStaticMesh(
    mesh: { __sections: UeSection[] },
    _lod: number,
    section: number,
    vertices: { value: TArray<Vector> },
    triangles: { value: TArray<number> },
    normals: { value: TArray<Vector> },
    uvs: { value: TArray<Vector2D> },
    _tangents: unknown,
  ): void {
    const s = mesh.__sections[section];
    const v3 = (a: number[]) =>
      new TArray(Array.from({ length: a.length / 3 }, (_, i) => new Vector(a[3 * i], a[3 * i + 1], a[3 * i + 2])));
    vertices.value = v3(s.positions);
    normals.value = v3(s.normals);
    uvs.value = new TArray(
      Array.from({ length: s.uv.length / 2 }, (_, i) => new Vector2D(s.uv[2 * i], s.uv[2 * i + 1])),
    );
    triangles.value = new TArray(s.indices.slice());
  },
};

export const KismetSystemLibrary = {
  PrintString: (_ctx: unknown, text: string) => record('PrintString', text),
};

export const OteEditorLibrary = {
  ProjectSavedDir: () => '/Project/Saved',
  GetEnvironmentVariable: (_name: string) => '',
  LoadBytes(path: string, out: { value: TArray<number> }): boolean {
    const text = level().files?.[path];
    const bytes = text === undefined ? level().results?.[path] : new TextEncoder().encode(text);
    if (bytes === undefined) return false;
    out.value = new TArray([...bytes]);
    return true;
  },
  SaveBytesAtomic(path: string, bytes: TArray<number>): boolean {
    record('SaveBytesAtomic', path, Uint8Array.from(bytes.items));
    return true;
  },
  StartOptimize(node: string, script: string, args: string): number {
    record('StartOptimize', node, script, args);
    fakeState().markStarted();
    return fakeState().process ? 7 : 0; // 0, "could not start": without a scripted process the dry run ends here
  },
  /** The scripted process prints all its lines at once and exits. */
  PollOptimize(handle: number, running: { value: boolean }, code: { value: number }): TArray<string> {
    const p = fakeState().process!;
    record('PollOptimize', handle);
    running.value = false;
    code.value = p.exitCode;
    return new TArray(p.lines.splice(0));
  },
  ExportTexturePng(
    t: { __texture: UeTexture },
    png: { value: TArray<number> },
    width: { value: number },
    height: { value: number },
  ): boolean {
    record('ExportTexturePng', t.__texture.path);
    if (!t.__texture.png) throw new Error(`ue fake: ExportTexturePng on the data texture ${t.__texture.path}`);
    png.value = new TArray([...t.__texture.png]);
    width.value = t.__texture.width;
    height.value = t.__texture.height;
    return true;
  },
  ExportTexturePixels(
    t: { __texture: UeTexture },
    rgba: { value: TArray<number> },
    width: { value: number },
    height: { value: number },
  ): boolean {
    record('ExportTexturePixels', t.__texture.path);
    if (!t.__texture.rgba) throw new Error(`ue fake: ExportTexturePixels on the colour texture ${t.__texture.path}`);
    rgba.value = new TArray([...t.__texture.rgba]);
    width.value = t.__texture.width;
    height.value = t.__texture.height;
    return true;
  },
  // The write-back, recorded as plain data: arrays as typed arrays, actors by label, assets by path.
  BeginWriteBack: (folder: string) => record('BeginWriteBack', folder),
  ImportLightmapPage(exrFile: string, assetPath: string): { asset: string } | null {
    record('ImportLightmapPage', exrFile, assetPath);
    return level().results?.[exrFile] ? { asset: assetPath } : null;
  },
  CreateLightmappedMesh(assetPath: string, ...arrays: TArray<number>[]): { asset: string } {
    const [positions, normals, uv0, uv1, indices, sections] = arrays.map((a) => a.items);
    record('CreateLightmappedMesh', assetPath, {
      positions: Float32Array.from(positions),
      normals: Float32Array.from(normals),
      uv0: Float32Array.from(uv0),
      uv1: Float32Array.from(uv1),
      indices: Uint32Array.from(indices),
      sections: Int32Array.from(sections),
    });
    return { asset: assetPath };
  },
  CreateLightmapMaterial(
    assetPath: string,
    lightmap: { asset: string },
    baseColor: LinearColor,
    ...rest: unknown[]
  ): { asset: string } {
    record(
      'CreateLightmapMaterial',
      assetPath,
      lightmap.asset,
      [baseColor.R, baseColor.G, baseColor.B, baseColor.A],
      ...rest,
    );
    return { asset: assetPath };
  },
  ApplyLightmappedMesh(
    actor: { GetActorLabel(): string },
    part: number,
    mesh: { asset: string },
    materials: TArray<{ asset: string }>,
    ...scaleOffset: number[]
  ) {
    record(
      'ApplyLightmappedMesh',
      actor.GetActorLabel(),
      part,
      mesh.asset,
      materials.items.map((m) => m.asset),
      ...scaleOffset,
    );
  },
  PlaceSplats(folder: string, ply: TArray<number>, gaussians: number) {
    record('PlaceSplats', folder, Uint8Array.from(ply.items), gaussians);
    return { GetActorLabel: () => 'Splats (optimizer)' };
  },
  HideForSplats: (actor: { GetActorLabel(): string }) => record('HideForSplats', actor.GetActorLabel()),
  EndWriteBack: (ok: boolean) => record('EndWriteBack', ok),
  BeginRun: (handle: number) => record('BeginRun', handle),
  ReportRun: (fraction: number, text: string) => record('ReportRun', fraction, text),
  EndRun(...args: unknown[]) {
    record('EndRun', ...args);
    fakeState().markEnded?.();
  },
};
