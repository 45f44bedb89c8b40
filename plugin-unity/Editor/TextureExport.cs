using UnityEngine;

namespace Ote
{
    /// <summary>
    /// Texture export for the Optimize button (plugin-unity/Scripts/optimize-scene.ts): PNG bytes of a colour
    /// texture, whether or not it is marked readable and whatever its compression, by blitting it through a
    /// temporary sRGB render target and reading that back; raw pixels of data textures through a linear one. Not
    /// normal maps: they are stored packed (DXT5nm) and would come out as their packed channels.
    /// </summary>
    public static class TextureExport
    {
        public static byte[] EncodePng(Texture texture) => Read(texture, RenderTextureReadWrite.sRGB).EncodeToPngAndDestroy();

        /// <summary>RGBA32 bytes of a data texture (metallic, smoothness, mask maps) as stored: the blit goes
        /// through a linear target, so no colour conversion touches the values; rows top first, as PNG and the
        /// core expect (Unity's rows run bottom-up).</summary>
        public static byte[] ReadPixels(Texture texture)
        {
            var copy = Read(texture, RenderTextureReadWrite.Linear);
            try
            {
                var raw = copy.GetRawTextureData();
                var flipped = new byte[raw.Length];
                var stride = 4 * texture.width;
                for (int y = 0; y < texture.height; y++)
                    System.Buffer.BlockCopy(raw, y * stride, flipped, (texture.height - 1 - y) * stride, stride);
                return flipped;
            }
            finally { Object.DestroyImmediate(copy); }
        }

        static byte[] EncodeToPngAndDestroy(this Texture2D copy)
        {
            try { return copy.EncodeToPNG(); }
            finally { Object.DestroyImmediate(copy); }
        }

        /// <summary>A readable RGBA32 copy of the texture, blitted through a temporary target of the given
        /// colour space. The caller destroys it.</summary>
        static Texture2D Read(Texture texture, RenderTextureReadWrite space)
        {
            var rt = RenderTexture.GetTemporary(texture.width, texture.height, 0, RenderTextureFormat.ARGB32, space);
            var previous = RenderTexture.active;
            var copy = new Texture2D(texture.width, texture.height, TextureFormat.RGBA32, false, space == RenderTextureReadWrite.Linear);
            try
            {
                Graphics.Blit(texture, rt);
                RenderTexture.active = rt;
                copy.ReadPixels(new Rect(0, 0, texture.width, texture.height), 0, 0);
                copy.Apply();
                return copy;
            }
            catch
            {
                Object.DestroyImmediate(copy);
                throw;
            }
            finally
            {
                RenderTexture.active = previous;
                RenderTexture.ReleaseTemporary(rt);
            }
        }
    }
}
