/**
 * Gaussian splats (splats.spz / .ply / .splat from `ote optimize` or `ote splat`) drawn by Spark
 * (@sparkjsdev/spark) in the same three.js scene as the meshes: Spark sorts and blends the splats after the opaque
 * meshes, depth-tested against them, which is how `ote` composites its after image (by depth). Spark is imported
 * only when there are splats to show.
 */

/**
 * Adds the splat file at `url` to `parent`, with the SparkRenderer it needs added to `scene`.
 * @param {import('three').WebGLRenderer} renderer
 * @param {import('three').Scene} scene
 * @param {import('three').Object3D} parent
 * @param {string} url
 * @param {() => void} onDirty called when Spark needs another frame (a sort finished)
 */
export async function addSplats(renderer, scene, parent, url, onDirty) {
  const { SparkRenderer, SplatMesh } = await import('@sparkjsdev/spark');
  /** @type {() => void} */
  let sorted = () => {};
  // Spark sorts in a worker and asks for a frame when a sort is done: until the first one, nothing is drawn.
  const firstSort = new Promise((ok) => {
    sorted = () => ok(undefined);
  });
  const spark = new SparkRenderer({
    renderer,
    onDirty: () => {
      sorted();
      onDirty();
    },
  });
  scene.add(spark);
  const mesh = new SplatMesh({ url });
  parent.add(mesh);
  await mesh.initialized;
  return {
    spark,
    mesh,
    count: mesh.packedSplats?.numSplats ?? mesh.extSplats?.numSplats ?? 0,
    /** Resolves once Spark has sorted the splats for a frame (after the first render asks it to). */
    firstSort,
  };
}
