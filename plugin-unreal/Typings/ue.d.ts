// The subset of Unreal's reflected API (Puerts' `ue` module) that plugin-unreal/Scripts uses. Declared here by
// hand because the full typings are generated inside each project by Puerts; keep this list minimal.
declare module 'ue' {
  import type { $Ref } from 'puerts';

  class TArray<T> {
    Num(): number;
    Get(i: number): T;
    Add(x: T): void;
  }
  class Object {
    GetName(): string;
    static StaticClass(): Class;
  }
  class Class extends Object {}
  class Vector { X: number; Y: number; Z: number; constructor(x?: number, y?: number, z?: number) }
  class Vector2D { X: number; Y: number }
  class Quat { X: number; Y: number; Z: number; W: number }
  class LinearColor { R: number; G: number; B: number; A: number; constructor(r?: number, g?: number, b?: number, a?: number) }
  class Transform { constructor(); GetLocation(): Vector; GetRotation(): Quat; GetScale3D(): Vector }
  class ProcMeshTangent {}
  class World extends Object {}
  class Texture2D extends Object {}
  class MaterialInterface extends Object { GetName(): string; GetPathName(): string; GetBaseMaterial(): Material }
  /** BlendMode is EBlendMode: Opaque 0, Masked 1, Translucent 2, Additive 3, Modulate 4, AlphaComposite 5, AlphaHoldout 6. */
  class Material extends MaterialInterface { BlendMode: number; TwoSided: boolean; OpacityMaskClipValue: number }
  class MaterialInstanceConstant extends MaterialInterface {}
  // UMaterialEditingLibrary (Editor/MaterialEditor/Public/MaterialEditingLibrary.h): parameter names and values.
  class MaterialEditingLibrary {
    static GetScalarParameterNames(material: MaterialInterface, names: $Ref<TArray<string>>): void;
    static GetVectorParameterNames(material: MaterialInterface, names: $Ref<TArray<string>>): void;
    static GetMaterialInstanceScalarParameterValue(instance: MaterialInstanceConstant, name: string): number;
    static GetMaterialInstanceVectorParameterValue(instance: MaterialInstanceConstant, name: string): LinearColor;
    static GetMaterialDefaultScalarParameterValue(material: Material, name: string): number;
    static GetMaterialDefaultVectorParameterValue(material: Material, name: string): LinearColor;
    static GetTextureParameterNames(material: MaterialInterface, names: $Ref<TArray<string>>): void;
    static GetMaterialInstanceTextureParameterValue(instance: MaterialInstanceConstant, name: string): Texture | null;
    static GetMaterialDefaultTextureParameterValue(material: Material, name: string): Texture | null;
  }
  class Texture extends Object { GetPathName(): string }
  class StaticMesh extends Object { GetNumSections(lod: number): number; GetPathName(): string }
  class SceneComponent extends Object { K2_GetComponentToWorld(): Transform; Mobility: number }
  class StaticMeshComponent extends SceneComponent {
    StaticMesh: StaticMesh;
    GetMaterial(index: number): MaterialInterface;
  }
  class Actor extends Object {
    GetActorLabel(): string;
    GetComponentByClass(c: Class): SceneComponent;
    K2_GetComponentsByClass(c: Class): TArray<SceneComponent>;
  }
  class StaticMeshActor extends Actor { StaticMeshComponent: StaticMeshComponent }
  /** Instanced (and, as a subclass, hierarchical instanced) static meshes: foliage and hand-placed instancers. */
  class InstancedStaticMeshComponent extends StaticMeshComponent {
    GetInstanceCount(): number;
    GetInstanceTransform(index: number, out: $Ref<Transform>, worldSpace: boolean): boolean;
  }
  // ALight and its subclasses; ALight::LightComponent is the light's component (Engine/Classes/Engine/Light.h).
  class Light extends Actor { LightComponent: LightComponent }
  class DirectionalLight extends Light {}
  class PointLight extends Light {}
  class SpotLight extends Light {}
  class RectLight extends Light {}
  /** ASkyLight: its LightComponent is a USkyLightComponent (Intensity, LightColor). */
  class SkyLight extends Light {}
  /** FColor: sRGB, 0..255 per channel. */
  class Color { R: number; G: number; B: number; A: number }
  class LightComponent extends SceneComponent { Intensity: number; LightColor: Color; bAffectsWorld: boolean }
  /** IntensityUnits is ELightUnits: Unitless 0, Candelas 1, Lumens 2, EV 3. */
  class LocalLightComponent extends LightComponent { IntensityUnits: number }
  class SpotLightComponent extends LocalLightComponent { InnerConeAngle: number; OuterConeAngle: number }
  class RectLightComponent extends LocalLightComponent { SourceWidth: number; SourceHeight: number }
  class EditorLevelLibrary { static GetEditorWorld(): World }
  class GameplayStatics { static GetAllActorsOfClass(world: World, cls: Class, out: $Ref<TArray<Actor>>): void }
  class KismetProceduralMeshLibrary {
    static GetSectionFromStaticMesh(mesh: StaticMesh, lod: number, section: number, vertices: $Ref<TArray<Vector>>, triangles: $Ref<TArray<number>>,
      normals: $Ref<TArray<Vector>>, uvs: $Ref<TArray<Vector2D>>, tangents: $Ref<TArray<ProcMeshTangent>>): void;
  }
  class KismetSystemLibrary { static PrintString(ctx: Object | null, text: string): void }
  class OteEditorLibrary {
    static SaveBytesAtomic(path: string, bytes: TArray<number>): boolean;
    static LoadBytes(path: string, out: $Ref<TArray<number>>): boolean;
    static StartOptimize(nodeExe: string, oteScript: string, args: string): number;
    static PollOptimize(handle: number, running: $Ref<boolean>, exitCode: $Ref<number>): TArray<string>;
    static CancelOptimize(handle: number): void;
    static ProjectSavedDir(): string;
    static GetEnvironmentVariable(name: string): string;
    static ExportTexturePng(texture: Texture, png: $Ref<TArray<number>>, width: $Ref<number>, height: $Ref<number>): boolean;
    static ExportTexturePixels(texture: Texture, rgba: $Ref<TArray<number>>, width: $Ref<number>, height: $Ref<number>): boolean;
    static BeginRun(handle: number): void;
    static ReportRun(fraction: number, text: string): void;
    static EndRun(ok: boolean, exitCode: number, title: string, text: string, report: string, certificate: string): void;
    static RunEnded(exitCode: $Ref<number>): boolean;
    /**
     * The write-back (Scripts/write-back.ts): Begin opens one editor transaction, End commits it (ok) or cancels it.
     * Arrays are flat: float xyz per vertex (positions, normals in Unreal units and axes), float uv per vertex (uv0,
     * uv1 = lightmap UVs in [0, 1]²), int32 per triangle corner (sections back to back), int32 per section (its
     * index count). An empty array means "none".
     */
    static BeginWriteBack(folder: string): void;
    static ImportLightmapPage(exrFile: string, assetPath: string): Texture2D | null;
    static CreateLightmappedMesh(assetPath: string, positions: TArray<number>, normals: TArray<number>,
      uv0: TArray<number>, uv1: TArray<number>, indices: TArray<number>, sectionCounts: TArray<number>): StaticMesh;
    static CreateLightmapMaterial(assetPath: string, lightmap: Texture2D, baseColor: LinearColor,
      baseColorTexture: string, opacityMaskTexture: string, masked: boolean, opacityMaskClipValue: number,
      twoSided: boolean): MaterialInterface;
    static ApplyLightmappedMesh(actor: StaticMeshActor, part: number, mesh: StaticMesh,
      materials: TArray<MaterialInterface>, scaleX: number, scaleY: number, offsetX: number, offsetY: number): void;
    static PlaceSplats(folder: string, ply: TArray<number>, gaussians: number): Actor | null;
    static HideForSplats(actor: Actor): void;
    static EndWriteBack(ok: boolean): void;
  }
  function NewArray<T>(t: unknown): TArray<T>;
  const BuiltinByte: unknown;
  const BuiltinFloat: unknown;
  const BuiltinInt: unknown;
  // FName, for TArray<FName> (parameter names).
  const BuiltinName: unknown;
}
