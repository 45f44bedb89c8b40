// The optimizer's lightmaps in a scene (written by Editor/LightmapWriteBack.cs). Unity keeps its own baked lightmaps
// in the scene's Lighting Data asset, which only its lightmapper writes; a lightmap from elsewhere must be set on
// LightmapSettings and on each renderer whenever the scene loads, in the editor and in a player. This component
// holds the pages and every renderer's index and scale-offset and applies them on enable (the way Bakery's
// ftLightmapsStorage does). Runtime code: it ships with the game.
using UnityEngine;

namespace Ote
{
    [ExecuteAlways]
    [AddComponentMenu("")]
    public class OteLightmaps : MonoBehaviour
    {
        /// <summary>The pages, imported as Lightmap textures; a renderer's lightmapIndex indexes them.</summary>
        public Texture2D[] lightmaps = new Texture2D[0];
        public Renderer[] renderers = new Renderer[0];
        public int[] lightmapIndices = new int[0];
        /// <summary>Per renderer: page UV = uv2 × (x, y) + (z, w).</summary>
        public Vector4[] scaleOffsets = new Vector4[0];

        void OnEnable() => Apply();

        public void Apply()
        {
            var data = new LightmapData[lightmaps.Length];
            for (int i = 0; i < lightmaps.Length; i++) data[i] = new LightmapData { lightmapColor = lightmaps[i] };
            // Our pages hold irradiance / π only: no directional or shadow-mask maps.
            LightmapSettings.lightmapsMode = LightmapsMode.NonDirectional;
            LightmapSettings.lightmaps = data;
            for (int i = 0; i < renderers.Length; i++)
            {
                if (renderers[i] == null) continue;
                renderers[i].lightmapIndex = lightmapIndices[i];
                renderers[i].lightmapScaleOffset = scaleOffsets[i];
            }
        }
    }
}
