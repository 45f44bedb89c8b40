using UnityEngine;

namespace Ote
{
    /// <summary>
    /// Texture export for the Optimize button (plugin-unity/Scripts/optimize-scene.ts): PNG bytes of a colour
    /// texture, whether or not it is marked readable and whatever its compression, by blitting it through a
    /// temporary sRGB render target and reading that back. Colour textures only: a normal map is stored packed
    /// (DXT5nm) and would come out as its packed channels.
    /// </summary>
    public static class TextureExport
    {
        public static byte[] EncodePng(Texture texture)
        {
            var rt = RenderTexture.GetTemporary(texture.width, texture.height, 0, RenderTextureFormat.ARGB32,
                RenderTextureReadWrite.sRGB);
            var previous = RenderTexture.active;
            var copy = new Texture2D(texture.width, texture.height, TextureFormat.RGBA32, false);
            try
            {
                Graphics.Blit(texture, rt);
                RenderTexture.active = rt;
                copy.ReadPixels(new Rect(0, 0, texture.width, texture.height), 0, 0);
                copy.Apply();
                return copy.EncodeToPNG();
            }
            finally
            {
                RenderTexture.active = previous;
                RenderTexture.ReleaseTemporary(rt);
                Object.DestroyImmediate(copy);
            }
        }
    }
}
