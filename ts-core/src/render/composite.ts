/**
 * Depth compositing of a splat render over a mesh render: what a hybrid output (lightmapped meshes + splats) looks
 * like in an engine that draws the opaque meshes first and blends the splats on top with a depth test. Per pixel,
 * splats in front of the mesh surface are blended over it (splat + (1 − α)·mesh, the splat colour premultiplied,
 * as renderSplats gives it over a black background); splats behind the mesh are hidden. A splat pixel's depth is
 * its expected depth (one value per pixel), so a pixel is either in front or behind as a whole: the same
 * approximation an engine's per-fragment depth test makes with one depth per splat.
 */
import { fromDisplayImage, type FloatImage } from '../image/float-image.js';

export interface DepthLayer {
  /** Linear RGBA. For splats: RGB premultiplied by alpha (rendered over black), alpha = coverage. */
  image: FloatImage;
  /** Per-pixel view-axis depth (scene units), width × height. Meaningless where alpha is 0. */
  depth: Float32Array;
}

/**
 * Composites `splats` over `mesh` by depth into a new image. Mesh pixels with alpha 0 saw nothing (background) and
 * never hide a splat; the mesh's own alpha (coverage) is kept where no splat covers it.
 */
export function compositeByDepth(mesh: DepthLayer, splats: DepthLayer): FloatImage {
  const { width, height } = mesh.image;
  if (splats.image.width !== width || splats.image.height !== height)
    throw new RangeError(
      `compositeByDepth: mesh is ${width}x${height} but splats are ${splats.image.width}x${splats.image.height}`,
    );
  const n = width * height;
  if (mesh.depth.length !== n || splats.depth.length !== n)
    throw new RangeError(
      `compositeByDepth: depth buffers must have ${n} values (mesh ${mesh.depth.length}, splats ${splats.depth.length})`,
    );
  const out = new Float32Array(4 * n),
    m = mesh.image.data,
    s = splats.image.data;
  for (let i = 0; i < n; i++) {
    const a = s[4 * i + 3],
      meshCovered = m[4 * i + 3] > 0;
    const inFront = a > 0 && (!meshCovered || splats.depth[i] <= mesh.depth[i]);
    for (let c = 0; c < 3; c++) out[4 * i + c] = inFront ? s[4 * i + c] + (1 - a) * m[4 * i + c] : m[4 * i + c];
    const ma = m[4 * i + 3];
    out[4 * i + 3] = inFront ? a + (1 - a) * ma : ma;
  }
  return { width, height, data: out };
}

/** Where a hybrid's splat layer meets its meshes: in linear light (compositeSplatLayer) or on displayed values. */
export type SplatComposite = 'linear' | 'display';

/**
 * `mesh`: linear RGBA and its depth; `splats`: a splat render over black (display values, premultiplied, alpha
 * coverage) and its depth. The layer decoded to linear at `exposure`, then composited by depth (compositeByDepth):
 * where it is in front, splat + (1 − α)·mesh in linear light (render/hybrid.ts says why). Returns linear RGBA.
 */
export function compositeSplatLayer(mesh: DepthLayer, splats: DepthLayer, exposure: number): FloatImage {
  return compositeByDepth(mesh, { image: fromDisplayImage(splats.image, exposure), depth: splats.depth });
}
