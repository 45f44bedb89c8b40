// The run's lightmaps into the open scene (plugin-unity/Scripts/write-back.ts calls these, in this order: Begin,
// ImportPage per page, CreateMesh per mesh, ApplyRenderer per renderer, End). Everything is one undo group; source
// assets are never modified: pages and meshes are new assets under the folder given to Begin, and renderers are
// pointed at them.
//
// Buffer contracts (ArrayBuffers from the script, little-endian, tightly packed):
//   positions  float32 xyz per vertex, the object's local space in Unity units (n × 12 bytes)
//   normals    float32 xyz per vertex, or empty (then recomputed)
//   uv0        float32 uv per vertex, or empty
//   uv2        float32 uv per vertex: lightmap UVs in [0, 1]², Unity's V (origin bottom-left); empty on an
//              unlit part (primitives the run left without a lightmap, drawn with lightmapIndex −1)
//   indices    uint32 per triangle corner, clockwise fronts, the sections' triangles back to back
//   sections   int32 per section: its index count (a multiple of 3); section k is submesh k
using System.Collections.Generic;
using Puerts;
using UnityEditor;
using UnityEditor.SceneManagement;
using UnityEngine;
using UnityEngine.Rendering;

namespace Ote
{
    public static class LightmapWriteBack
    {
        static int undoGroup = -1;
        static readonly List<Texture2D> pages = new();
        static readonly List<Renderer> renderers = new();
        static readonly List<int> indices = new();
        static readonly List<Vector4> scaleOffsets = new();

        public static void Begin(string folder)
        {
            Undo.IncrementCurrentGroup();
            Undo.SetCurrentGroupName("Optimizer: write back lightmaps");
            undoGroup = Undo.GetCurrentGroup();
            pages.Clear(); renderers.Clear(); indices.Clear(); scaleOffsets.Clear();
            var parent = "";
            foreach (var part in folder.Split('/'))
            {
                var path = parent == "" ? part : $"{parent}/{part}";
                if (parent != "" && !AssetDatabase.IsValidFolder(path)) AssetDatabase.CreateFolder(parent, part);
                parent = path;
            }
        }

        /// <summary>The EXR page copied to assetPath (through a temporary name, then renamed) and imported as a
        /// Lightmap texture: Unity encodes it for each platform (RGBM, dLDR or BC6H) from the float source.</summary>
        public static void ImportPage(string exrFile, string assetPath)
        {
            var tmp = assetPath + ".tmp";
            System.IO.File.Copy(exrFile, tmp, true);
            if (System.IO.File.Exists(assetPath)) System.IO.File.Delete(assetPath);
            System.IO.File.Move(tmp, assetPath);
            AssetDatabase.ImportAsset(assetPath, ImportAssetOptions.ForceUpdate);
            var importer = (TextureImporter)AssetImporter.GetAtPath(assetPath);
            importer.textureType = TextureImporterType.Lightmap;
            importer.wrapMode = TextureWrapMode.Clamp;
            importer.SaveAndReimport();
            pages.Add(AssetDatabase.LoadAssetAtPath<Texture2D>(assetPath));
        }

        static T[] Read<T>(ArrayBuffer buffer, int stride) where T : struct
        {
            // Puerts.ArrayBuffer: Bytes may be longer than the JS buffer; Count is its length.
            var count = buffer?.Count ?? 0;
            var size = System.Runtime.InteropServices.Marshal.SizeOf<T>();
            var values = new T[count / size];
            if (values.Length > 0) System.Buffer.BlockCopy(buffer.Bytes, 0, values, 0, values.Length * size);
            if (values.Length % stride != 0) throw new System.ArgumentException($"buffer of {values.Length} values is not a multiple of {stride}");
            return values;
        }

        static Vector3[] Vec3(float[] f) { var v = new Vector3[f.Length / 3]; for (int i = 0; i < v.Length; i++) v[i] = new Vector3(f[3 * i], f[3 * i + 1], f[3 * i + 2]); return v; }
        static Vector2[] Vec2(float[] f) { var v = new Vector2[f.Length / 2]; for (int i = 0; i < v.Length; i++) v[i] = new Vector2(f[2 * i], f[2 * i + 1]); return v; }

        /// <summary>A new mesh asset at assetPath (replacing the one a previous write-back left there).</summary>
        public static Mesh CreateMesh(string assetPath, string name, ArrayBuffer positions, ArrayBuffer normals,
            ArrayBuffer uv0, ArrayBuffer uv2, ArrayBuffer indexBuffer, ArrayBuffer sectionCounts)
        {
            var p = Read<float>(positions, 3);
            var mesh = new Mesh { name = name, indexFormat = p.Length / 3 > 65535 ? IndexFormat.UInt32 : IndexFormat.UInt16 };
            mesh.SetVertices(Vec3(p));
            var uv = Read<float>(uv0, 2);
            if (uv.Length > 0) mesh.SetUVs(0, Vec2(uv));
            var lightmapUv = Read<float>(uv2, 2);
            if (lightmapUv.Length > 0) mesh.SetUVs(1, Vec2(lightmapUv));
            var tris = Read<uint>(indexBuffer, 3);
            var counts = Read<int>(sectionCounts, 1);
            mesh.subMeshCount = counts.Length;
            for (int s = 0, at = 0; s < counts.Length; at += counts[s], s++)
            {
                var sub = new int[counts[s]];
                for (int k = 0; k < sub.Length; k++) sub[k] = (int)tris[at + k];
                mesh.SetTriangles(sub, s, false);
            }
            var n = Read<float>(normals, 3);
            if (n.Length > 0) mesh.SetNormals(Vec3(n)); else mesh.RecalculateNormals();
            mesh.RecalculateBounds();
            if (uv.Length > 0) mesh.RecalculateTangents(); // tangents follow UV0, for normal-mapped materials
            var existing = AssetDatabase.LoadAssetAtPath<Mesh>(assetPath);
            if (existing == null) { AssetDatabase.CreateAsset(mesh, assetPath); return mesh; }
            EditorUtility.CopySerialized(mesh, existing);
            Object.DestroyImmediate(mesh);
            return existing;
        }

        /// <summary>The object (part 0) or its child "name (lightmap part k)" draws mesh on lightmap page with
        /// scaleOffset (page −1: no lightmap, the object's unlit part); materials names each submesh's material,
        /// newline-separated, looked up among the object's own (the dump named them so).</summary>
        public static void ApplyRenderer(MeshFilter filter, int part, Mesh mesh, string materials, int page,
            float scaleX, float scaleY, float offsetX, float offsetY)
        {
            var source = filter.GetComponent<MeshRenderer>();
            var own = source != null ? source.sharedMaterials : new Material[0];
            var target = filter;
            if (part > 0)
            {
                var childName = $"{filter.gameObject.name} (lightmap part {part})";
                var child = filter.transform.Find(childName);
                if (child == null)
                {
                    var go = new GameObject(childName, typeof(MeshFilter), typeof(MeshRenderer));
                    Undo.RegisterCreatedObjectUndo(go, "Optimizer: lightmap part");
                    go.transform.SetParent(filter.transform, false);
                    go.isStatic = filter.gameObject.isStatic;
                    child = go.transform;
                }
                target = child.GetComponent<MeshFilter>();
            }
            Undo.RecordObject(target, "Optimizer: lightmapped mesh");
            target.sharedMesh = mesh;
            var renderer = target.GetComponent<MeshRenderer>();
            Undo.RecordObject(renderer, "Optimizer: lightmap");
            var names = materials.Split('\n');
            var mats = new Material[names.Length];
            for (int s = 0; s < names.Length; s++)
            {
                mats[s] = own.Length > 0 ? own[0] : null;
                foreach (var m in own) if (m != null && m.name == names[s]) { mats[s] = m; break; }
            }
            renderer.sharedMaterials = mats;
            renderer.receiveGI = page >= 0 ? ReceiveGI.Lightmaps : ReceiveGI.LightProbes;
            renderer.lightmapIndex = page;
            renderer.lightmapScaleOffset = new Vector4(scaleX, scaleY, offsetX, offsetY);
            renderers.Add(renderer); indices.Add(page); scaleOffsets.Add(renderer.lightmapScaleOffset);
        }

        public static void End(bool ok)
        {
            if (!ok)
            {
                Undo.RevertAllDownToGroup(undoGroup);
                return;
            }
            var store = Object.FindObjectOfType<OteLightmaps>();
            if (store == null)
            {
                var go = new GameObject("Optimizer Lightmaps");
                Undo.RegisterCreatedObjectUndo(go, "Optimizer: lightmaps");
                store = go.AddComponent<OteLightmaps>();
            }
            Undo.RecordObject(store, "Optimizer: lightmaps");
            store.lightmaps = pages.ToArray();
            store.renderers = renderers.ToArray();
            store.lightmapIndices = indices.ToArray();
            store.scaleOffsets = scaleOffsets.ToArray();
            store.Apply();
            EditorSceneManager.MarkSceneDirty(store.gameObject.scene);
            Undo.CollapseUndoOperations(undoGroup);
            AssetDatabase.SaveAssets();
        }
    }
}
