/**
 * What a frame costs where users run it (npm run bench:viewer): frame times with each frame forced to completion
 * (a 1-pixel readPixels waits for the GPU, so the time is the frame's, not its submission's), the draw calls and
 * triangles three.js counted for the last frame (shadow passes included), and an estimate of the GPU memory the
 * drawn objects hold: vertex and index buffers, textures (with mip levels where they are made), Spark's packed
 * splats, and shadow maps. Spark sorts in a worker, so its sort is not in the frame time.
 */

/**
 * @typedef {object} FrameStats
 * @property {number[]} ms per-frame milliseconds
 * @property {number} calls draw calls of the last frame
 * @property {number} triangles triangles of the last frame
 * @property {{ geometry: number, textures: number, splats: number, shadowMaps: number }} bytes GPU memory estimate
 */

const TEXTURE_SLOTS = [
  'map',
  'lightMap',
  'normalMap',
  'roughnessMap',
  'metalnessMap',
  'emissiveMap',
  'aoMap',
  'alphaMap',
];

/**
 * @param {import('three').Object3D} root the objects drawn (the before or the after group)
 * @returns {FrameStats['bytes']}
 */
export function gpuBytes(root) {
  const seen = new Set();
  const bytes = { geometry: 0, textures: 0, splats: 0, shadowMaps: 0 };
  /** @param {any} array */
  const once = (array) => {
    if (!array || seen.has(array)) return 0;
    seen.add(array);
    return array.byteLength ?? 0;
  };
  root.traverse((/** @type {any} */ o) => {
    if (!o.visible) return;
    if (o.geometry?.attributes) {
      for (const a of Object.values(o.geometry.attributes))
        bytes.geometry += once(/** @type {any} */ (a).data?.array ?? /** @type {any} */ (a).array);
      bytes.geometry += once(o.geometry.index?.array);
    }
    for (const m of Array.isArray(o.material) ? o.material : o.material ? [o.material] : [])
      for (const slot of TEXTURE_SLOTS) {
        const t = m[slot];
        if (!t?.image || seen.has(t.image)) continue;
        seen.add(t.image);
        const mips = t.generateMipmaps ? 4 / 3 : 1;
        bytes.textures += Math.round((t.image.width ?? 0) * (t.image.height ?? 0) * 4 * mips);
      }
    bytes.splats += once(o.packedSplats?.packedArray);
    if (o.isLight && o.castShadow) {
      // Colour-packed depth plus a depth buffer; a point light's cube is unwrapped 4 × 2 in one texture.
      const { x, y } = o.shadow.mapSize;
      bytes.shadowMaps += x * y * 8 * (o.isPointLight ? 8 : 1);
    }
  });
  return bytes;
}

/**
 * Renders `frames` frames with `draw`, each waited for, after one warm-up frame (shader compiles, texture
 * uploads). The draw calls and triangles are the last frame's: `draw` resets `renderer.info` at its start (a
 * hybrid's frame is several passes, splat-composite.js).
 * @param {import('three').WebGLRenderer} renderer
 * @param {() => void} draw one frame onto the canvas
 * @param {import('three').Object3D} drawn the group whose objects are on screen (for the memory estimate)
 * @param {number} frames
 * @returns {Promise<FrameStats>}
 */
export async function frameStats(renderer, draw, drawn, frames = 60) {
  const gl = renderer.getContext(),
    pixel = new Uint8Array(4);
  const finish = () => gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
  draw();
  finish();
  const ms = [];
  for (let i = 0; i < frames; i++) {
    const t = performance.now();
    draw();
    finish();
    ms.push(performance.now() - t);
  }
  const { calls, triangles } = renderer.info.render;
  return { ms, calls, triangles, bytes: gpuBytes(drawn) };
}

/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The before and after scenes measured in 3 interleaved rounds of `frames` frames (the machine's speed drifts, so
 * neither side gets all the quiet moments), as one line a producer can read.
 * @param {(mode: 'before' | 'after') => Promise<void>} setMode
 * @param {(frames: number) => Promise<FrameStats>} measure
 * @param {number} [frames]
 * @returns {Promise<string>}
 */
export async function compareFrameTimes(setMode, measure, frames = 30) {
  /** @type {Record<'before' | 'after', number[]>} */
  const rounds = { before: [], after: [] };
  /** @type {Record<'before' | 'after', FrameStats | undefined>} */
  const last = { before: undefined, after: undefined };
  for (let r = 0; r < 3; r++)
    for (const mode of /** @type {const} */ (r % 2 ? ['before', 'after'] : ['after', 'before'])) {
      await setMode(mode);
      const s = await measure(frames);
      rounds[mode].push(median(s.ms));
      last[mode] = s;
    }
  const b = median(rounds.before),
    a = median(rounds.after);
  const calls = `${last.after?.calls} draw calls against ${last.before?.calls}`;
  return a < b
    ? `renders ${(b / a).toFixed(1)}× faster here: ${a.toFixed(1)} ms a frame against ${b.toFixed(1)} ms lit live (${calls})`
    : `renders no faster here: ${a.toFixed(1)} ms a frame against ${b.toFixed(1)} ms lit live (${calls})`;
}
