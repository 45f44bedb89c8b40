/**
 * Gaussian splats (splats.spz / .ply / .splat from `ote optimize` or `ote splat`) drawn by Spark
 * (@sparkjsdev/spark) in the same three.js scene as the meshes: Spark sorts and blends the splats after the opaque
 * meshes, depth-tested against them, which is how `ote` composites its after image (by depth). Spark is imported
 * only when there are splats to show.
 */

/**
 * Adds the splat file at `url` to `parent`, with the SparkRenderer that draws it.
 * @param {import('three').WebGLRenderer} renderer
 * @param {import('three').Object3D} parent
 * @param {string} url
 * @param {() => void} onDirty called when Spark needs another frame (a sort finished)
 */
export async function addSplats(renderer, parent, url, onDirty) {
  const { SparkRenderer, SplatMesh } = await import('@sparkjsdev/spark');
  // Spark sorts in a worker and asks for a frame (onDirty) when a sort is done: until then nothing is drawn.
  const spark = new SparkRenderer({ renderer, onDirty });
  // In the group it draws for: hidden with it (the before view), Spark would otherwise keep drawing its last sort.
  parent.add(spark);
  const mesh = new SplatMesh({ url });
  parent.add(mesh);
  await mesh.initialized;
  return {
    spark,
    mesh,
    count: mesh.packedSplats?.numSplats ?? mesh.extSplats?.numSplats ?? 0,
    /**
     * The splats a frame draws now: Spark's last sort (0 until the first is back), or 0 while it is hidden.
     * @returns {number}
     */
    drawn: () => {
      for (let o = /** @type {import('three').Object3D | null} */ (spark); o; o = o.parent) if (!o.visible) return 0;
      return spark.activeSplats;
    },
  };
}
