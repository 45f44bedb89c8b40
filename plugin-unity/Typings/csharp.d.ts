// The subset of Puerts for Unity's `csharp` module that plugin-unity/Scripts uses (provided by the editor).
declare module 'csharp' {
  namespace System {
    class Array$1<T> { Length: number; get_Item(i: number): T }
    class Environment { static GetEnvironmentVariable(name: string): string | null }
    namespace IO {
      class File { static Exists(path: string): boolean; static ReadAllText(path: string): string }
    }
  }
  namespace UnityEngine {
    class Object { name: string; static FindObjectsOfType(t: unknown): System.Array$1<Object> }
    class Vector3 { x: number; y: number; z: number }
    class Vector2 { x: number; y: number }
    class Quaternion { x: number; y: number; z: number; w: number }
    class Color { r: number; g: number; b: number; a: number }
    class Transform { position: Vector3; rotation: Quaternion; lossyScale: Vector3; gameObject: GameObject; parent: Transform | null }
    class GameObject extends Object { isStatic: boolean; transform: Transform; GetComponentInChildren(t: unknown): Component | null }
    class Component extends Object { transform: Transform; gameObject: GameObject; GetComponent(t: unknown): Component | null }
    class Mesh extends Object {
      subMeshCount: number; vertices: System.Array$1<Vector3>; normals: System.Array$1<Vector3>;
      uv: System.Array$1<Vector2>; uv2: System.Array$1<Vector2>; GetTriangles(submesh: number): System.Array$1<number>;
    }
    class Shader extends Object {}
    class Texture extends Object { width: number; height: number }
    class Material extends Object {
      color: Color; shader: Shader; shaderKeywords: System.Array$1<string>; enableInstancing: boolean;
      HasProperty(name: string): boolean; GetColor(name: string): Color; GetFloat(name: string): number;
      GetTexture(name: string): Texture | null;
    }
    class MeshFilter extends Component { sharedMesh: Mesh }
    /** Terrain trees: TreeInstance.position is normalized to TerrainData.size, rotation is radians about +Y. */
    class Terrain extends Component { static activeTerrains: System.Array$1<Terrain>; terrainData: TerrainData; GetPosition(): Vector3 }
    class TerrainData { size: Vector3; treeInstances: System.Array$1<TreeInstance>; treePrototypes: System.Array$1<TreePrototype> }
    class TreeInstance { position: Vector3; widthScale: number; heightScale: number; rotation: number; prototypeIndex: number }
    class TreePrototype { prefab: GameObject | null }
    class MeshRenderer extends Component { sharedMaterials: System.Array$1<Material> }
    /**
     * Light: type is LightType (Spot 0, Directional 1, Point 2, Rectangle 3, Disc 4); spotAngle and innerSpotAngle
     * are full angles in degrees; range is in metres; lightUnit (Rendering.LightUnit: Lumen 0, Candela 1, Lux 2,
     * Nits 3, Ev100 4) and enableSpotReflector are Unity 2023.1+ (HDRP's units).
     */
    class Light extends Component {
      enabled: boolean; type: number; intensity: number; color: Color; spotAngle: number; innerSpotAngle: number;
      range: number; areaSize: Vector2; lightUnit: number; enableSpotReflector: boolean;
    }
    namespace Rendering {
      class GraphicsSettings { static lightsUseLinearIntensity: boolean; static currentRenderPipeline: Object | null }
    }
    /** ambientMode is Rendering.AmbientMode: Skybox 0, Trilight 1, Flat 3, Custom 4. */
    class RenderSettings {
      static ambientMode: number; static ambientIntensity: number; static ambientSkyColor: Color;
      static ambientEquatorColor: Color; static ambientGroundColor: Color; static ambientLight: Color;
    }
    class Application { static dataPath: string }
    namespace SceneManagement {
      class Scene { name: string }
      class SceneManager { static GetActiveScene(): Scene }
    }
    class Debug { static Log(msg: string): void; static LogError(msg: string): void }
  }
  namespace Ote {
    class OptimizerProcess {
      static Start(node: string, oteScript: string, args: string): boolean;
      static Poll(): string | null;
      static Cancel(): void;
      static SaveBytes(path: string, bytes: unknown): void;
      /** A file's bytes (Puerts.ArrayBuffer: an ArrayBuffer here), or null when it does not exist. */
      static LoadBytes(path: string): ArrayBuffer | null;
      static Finished: boolean;
      static ExitCode: number;
    }
    /** plugin-unity/Editor/OptimizerRun.cs: the run's progress (Unity's Progress window) and its verdict. */
    class OptimizerRun {
      static Begin(): void;
      static Report(fraction: number, text: string): void;
      static End(ok: boolean, exitCode: number, title: string, text: string, report: string, certificate: string): void;
      static Done: boolean;
      static ExitCode: number;
    }
    /**
     * plugin-unity/Editor/LightmapWriteBack.cs: the run's lightmaps into the scene, one undo step
     * (adapters/lightmap-write-back.ts plans it). Buffers are little-endian ArrayBuffers (Puerts.ArrayBuffer):
     * float32 xyz per vertex (positions, normals), float32 uv per vertex (uv0, uv2), uint32 per index (sections'
     * indices back to back), int32 per section (its index count). An empty buffer means "none".
     */
    class LightmapWriteBack {
      static Begin(folder: string): void;
      static ImportPage(exrFile: string, assetPath: string): void;
      static CreateMesh(
        assetPath: string, name: string, positions: ArrayBuffer, normals: ArrayBuffer, uv0: ArrayBuffer,
        uv2: ArrayBuffer, indices: ArrayBuffer, sectionCounts: ArrayBuffer,
      ): UnityEngine.Mesh;
      static ApplyRenderer(
        filter: UnityEngine.MeshFilter, part: number, mesh: UnityEngine.Mesh, materials: string, page: number,
        scaleX: number, scaleY: number, offsetX: number, offsetY: number,
      ): void;
      /** ok: store the pages and renderers in the scene's OteLightmaps and close the undo group; else revert it. */
      static End(ok: boolean): void;
    }
    /**
     * plugin-unity/Editor/SplatWriteBack.cs: the run's splats into the scene, inside LightmapWriteBack's undo group:
     * the PLY (3DGS layout, already in Unity's frame) as an asset, a placeholder at the origin, and the objects the
     * splats replace hidden.
     */
    class SplatWriteBack {
      static Place(plyAssetPath: string, ply: ArrayBuffer, gaussians: number): UnityEngine.GameObject;
      static Hide(filter: UnityEngine.MeshFilter): void;
    }
    /** plugin-unity/Editor/TextureExport.cs: PNG bytes of a colour texture, readable or not (sRGB blit). */
    class TextureExport {
      static EncodePng(texture: UnityEngine.Texture): System.Array$1<number>;
      /** RGBA32 bytes of a data texture as stored (a linear blit: no colour conversion), top row first. */
      static ReadPixels(texture: UnityEngine.Texture): System.Array$1<number>;
    }
  }
}
declare module 'puerts' {
  export function $typeof(t: unknown): unknown;
}
