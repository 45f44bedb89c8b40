// The run's splats into the open scene (plugin-unity/Scripts/write-back.ts calls these between LightmapWriteBack's
// Begin and End, so they belong to the same undo group). The core converts the splats to Unity's frame
// (ts-core/src/adapters/splat-write-back.ts): the PLY's Gaussians are in Unity's axes and metres, for an object at
// the origin with no rotation or scale.
//
// Buffer contract: ply is a 3DGS PLY (binary little-endian; x y z, f_dc_*, f_rest_*, opacity, scale_*, rot_*), the
// layout aras-p's UnityGaussianSplatting reads.
using System;
using Puerts;
using UnityEditor;
using UnityEngine;

namespace Ote
{
    public static class SplatWriteBack
    {
        /// <summary>Writes the PLY to plyAssetPath (through a temporary name, then renamed) and adds the placeholder
        /// "Splats (optimizer)" at the origin. Where UnityGaussianSplatting is installed the placeholder gets its
        /// GaussianSplatRenderer; its asset is made from the PLY with Tools > Gaussian Splats > Create
        /// GaussianSplatAsset (an editor window: the package has no API to call), which the log line says.</summary>
        public static GameObject Place(string plyAssetPath, ArrayBuffer ply, int gaussians)
        {
            var bytes = new byte[ply.Count];
            Buffer.BlockCopy(ply.Bytes, 0, bytes, 0, ply.Count);
            var tmp = plyAssetPath + ".tmp";
            System.IO.File.WriteAllBytes(tmp, bytes);
            if (System.IO.File.Exists(plyAssetPath)) System.IO.File.Delete(plyAssetPath);
            System.IO.File.Move(tmp, plyAssetPath);
            AssetDatabase.ImportAsset(plyAssetPath);
            var placeholder = new GameObject("Splats (optimizer)");
            Undo.RegisterCreatedObjectUndo(placeholder, "Optimizer: splats");
            var renderer = Type.GetType("GaussianSplatting.Runtime.GaussianSplatRenderer, GaussianSplatting");
            if (renderer != null) Undo.AddComponent(placeholder, renderer);
            Debug.Log($"Optimizer: {gaussians} splats in {plyAssetPath}" + (renderer != null
                ? "; make their GaussianSplatAsset with Tools > Gaussian Splats > Create GaussianSplatAsset and assign it to \"Splats (optimizer)\""
                : "; install aras-p's UnityGaussianSplatting to draw them on \"Splats (optimizer)\""));
            return placeholder;
        }

        /// <summary>Hides an object the splats stand for (deactivated, never deleted), in the undo group.</summary>
        public static void Hide(MeshFilter filter)
        {
            Undo.RecordObject(filter.gameObject, "Optimizer: hide an object the splats replace");
            filter.gameObject.SetActive(false);
        }
    }
}
