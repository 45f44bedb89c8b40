/**
 * Gaussian splats (splats.spz / .ply / .splat from `ote optimize` or `ote splat`) drawn by Spark
 * (@sparkjsdev/spark) in the same three.js scene as the meshes: Spark sorts and blends the splats after the opaque
 * meshes, depth-tested against them, which is how `ote` composites its after image (by depth). Spark is imported
 * only when there are splats to show.
 */

/**
 * Whether a splat file says its splats were trained antialiased (Mip-Splatting's 2D filter): the .spz header's flag
 * bit (byte 14 once the gzip stream of versions 2–3 is inflated; version 4 is not compressed), or a PLY header
 * comment `SplatRenderMode: mip` (Brush, SplatTransform, ote) or `postshot.anti_aliasing=1`. `.splat` files carry
 * no such mark.
 * @param {Uint8Array} bytes
 * @returns {Promise<boolean>}
 */
export async function splatsAntialiased(bytes) {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    // Only the 16-byte header is inflated: the first chunks of the stream, then it is cancelled.
    const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
    const head = [];
    for (let n = 0; n < 16; ) {
      const { done, value } = await reader.read();
      if (done) break;
      head.push(...value.subarray(0, 16 - n));
      n += value.length;
    }
    await reader.cancel();
    return head.length > 14 && (head[14] & 1) === 1;
  }
  if (bytes[0] === 0x4e && bytes[1] === 0x47 && bytes[2] === 0x53 && bytes[3] === 0x50) return (bytes[14] & 1) === 1;
  const text = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
  if (!text.startsWith('ply')) return false;
  const header = text.slice(0, text.indexOf('end_header') >>> 0);
  return /^comment\s+(SplatRenderMode:\s*mip|postshot\.anti_aliasing\s*=\s*1)\s*$/im.test(header);
}

/**
 * Adds the splat file at `url` to `parent`, with the SparkRenderer that draws it. Spark draws antialiased splats by
 * default (its blurAmount 0.3, with the opacity compensation); a file trained without the filter is drawn the
 * classic 3DGS way instead (the 0.3 low-pass without compensation), as `ote` renders it.
 * @param {import('three').WebGLRenderer} renderer
 * @param {import('three').Object3D} parent
 * @param {string} url
 * @param {() => void} onDirty called when Spark needs another frame (a sort finished)
 */
export async function addSplats(renderer, parent, url, onDirty) {
  const { SparkRenderer, SplatMesh } = await import('@sparkjsdev/spark');
  // Read once, here: the mark, then Spark decodes the same bytes (it tells the format by its magic, else by the
  // URL's extension, as when it fetched the URL itself).
  const response = await fetch(url);
  if (!response.ok) throw new Error(`splats ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const classic = !(await splatsAntialiased(bytes));
  // Spark sorts in a worker and asks for a frame (onDirty) when a sort is done: until then nothing is drawn.
  const spark = new SparkRenderer({ renderer, onDirty, ...(classic ? { preBlurAmount: 0.3, blurAmount: 0 } : {}) });
  // In the group it draws for: hidden with it (the before view), Spark would otherwise keep drawing its last sort.
  parent.add(spark);
  const mesh = new SplatMesh({ fileBytes: bytes, fileName: url });
  parent.add(mesh);
  await mesh.initialized;
  return {
    spark,
    mesh,
    antialiased: !classic,
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
