/**
 * The `ote view` page: the optimized scene as three.js shows it with the MOZ_lightmap plugin and our tone curve,
 * starting at the camera the report's images were rendered from, with orbit controls, the report's views as
 * bookmarks, the input scene for comparison (lit by its own lights with three.js shading), route colouring, and
 * the report's images (the FLIP heatmap above all) laid over the view they were made at.
 *
 * Everything it loads comes from the server (GET /viewer.json says what); nothing from the network. Tests drive it
 * through `window.__oteViewer`: `ready` turns true after the first frame of the first view, and `errors` collects
 * every error the page saw. URL parameters: `ui=0` hides the panel (screenshots), `view=N` starts at bookmark N
 * (0-based), `exposure=EV` overrides the report's exposure.
 */
import { AmbientLight, Group, PerspectiveCamera, Scene, WebGLRenderer } from 'three';
import { compareFrameTimes, frameStats } from './frame-stats.js';
import { liveLighting } from './live-lighting.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { MozLightmapPlugin } from './moz-lightmap.js';
import { applyReportCamera, boundsOf, farPlaneFor, framingCamera } from './report-camera.js';
import { colourByRoute, ROUTE_COLOURS } from './routes.js';
import { splatCompositor } from './splat-composite.js';
import { addSplats } from './splats.js';
import { useOteToneMapping } from './tone-mapping.js';

const params = new URLSearchParams(location.search);
/** @param {string} id */
const $ = (id) => /** @type {any} */ (document.getElementById(id));

/** What tests (and curious users, from the console) can see and do. */
const viewer = {
  ready: false,
  /** @type {string[]} */
  errors: [],
  /** @type {any} */
  manifest: null,
  /** @type {{ lightmappedMaterials: number, meshes: number, lights: { name: string, type: string, baked: boolean }[], splats: number, splatsAntialiased?: boolean, beforeLights?: number }} */
  info: { lightmappedMaterials: 0, meshes: 0, lights: [], splats: 0 },
  mode: 'after',
  /** @type {any} the camera of the last bookmark taken (report.json's shape: eye, target, up, yfovDeg…) */
  camera: null,
  /** @type {(i: number) => void} */
  setView: () => {},
  /** @type {(m: 'before' | 'after' | 'split') => Promise<void>} */
  setMode: async () => {},
  /** @type {(name: string) => void} */
  setImage: () => {},
  /** @type {(stops: number) => void} */
  setExposure: () => {},
  /** Renders now and resolves after the frame is on screen. */
  renderNow: () => Promise.resolve(),
  /**
   * Renders `frames` frames back to back, each finished before the next (a 1-pixel readPixels), and returns their
   * times in ms with the last frame's draw calls, triangles and an estimate of the GPU memory it used (frame-stats.js).
   * @type {(frames?: number) => Promise<import('./frame-stats.js').FrameStats>}
   */
  measure: async () => {
    throw new Error('not ready');
  },
};
// @ts-expect-error
window.__oteViewer = viewer;

let statusLines = /** @type {string[]} */ ([]);
/** @param {string[]} lines */
function showStatus(lines) {
  statusLines = lines;
  const el = $('status');
  el.textContent = [...viewer.errors, ...lines].join('\n');
  el.className = viewer.errors.length ? 'error' : '';
}
/** @param {string} message */
function fail(message) {
  viewer.errors.push(message);
  console.error(message);
  showStatus(statusLines);
}
window.addEventListener('error', (e) => fail(`error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => fail(`error: ${e.reason?.message ?? e.reason}`));

/** @param {string} url */
async function fetchJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/**
 * Loads one of our glTF files with the MOZ_lightmap plugin; errors name the file.
 * @param {{ url: string, name: string }} file
 */
function loadGltf(file) {
  return new GLTFLoader()
    .register((parser) => new MozLightmapPlugin(parser))
    .loadAsync(file.url)
    .catch((e) => {
      throw new Error(`${file.name}: ${e?.message ?? e}`);
    });
}

/**
 * Lights and lightmapped materials of a loaded scene (what the status line and the tests report).
 * @param {import('three').Object3D} root
 */
function inventory(root) {
  const materials = new Set();
  let meshes = 0;
  /** @type {{ name: string, type: string, baked: boolean }[]} */
  const lights = [];
  root.traverse((/** @type {any} */ o) => {
    if (o.isMesh) {
      meshes++;
      for (const m of Array.isArray(o.material) ? o.material : [o.material]) if (m.lightMap) materials.add(m);
    }
    if (o.isLight) lights.push({ name: o.name, type: o.type, baked: o.userData?.ote?.baked === true });
  });
  return { lightmappedMaterials: materials.size, meshes, lights };
}

async function main() {
  const manifest = await fetchJson('/viewer.json');
  viewer.manifest = manifest;
  if (params.get('ui') === '0') document.body.classList.add('no-ui');
  document.title = `ote view: ${manifest.title}`;
  $('title').textContent = manifest.title;

  const canvas = $('canvas');
  const renderer = new WebGLRenderer({ canvas, antialias: true });
  renderer.setPixelRatio(window.devicePixelRatio);
  // A hybrid's frame is several passes (splat-composite.js): its draw calls and triangles are counted per frame.
  renderer.info.autoReset = false;
  const exposure = params.has('exposure') ? Number(params.get('exposure')) : manifest.exposure;
  useOteToneMapping(renderer, exposure);
  $('exposure').value = String(Math.round(exposure * 100) / 100); // shown rounded; rendered exact

  const scene = new Scene();
  const after = new Group(),
    before = new Group();
  after.name = 'after';
  before.name = 'before';
  before.visible = false;
  scene.add(after, before);
  const camera = new PerspectiveCamera(45, 1, 0.01, 1000);
  const controls = new OrbitControls(camera, canvas);

  let scheduled = false;
  // A hybrid (a glTF and its splats) draws its after view through the splat compositor: set once both are loaded.
  let compositor = /** @type {ReturnType<typeof splatCompositor> | undefined} */ (undefined);
  const draw = () => (compositor && after.visible ? compositor.render(scene, camera) : renderer.render(scene, camera));
  // Split: the input left of the slider, the optimized scene right of it, each drawn in its part of the canvas.
  let split = /** @type {number | undefined} */ (undefined);
  const render = () => {
    renderer.info.reset();
    if (split === undefined) return draw();
    const w = canvas.clientWidth,
      h = canvas.clientHeight,
      x = Math.round(w * split);
    renderer.setScissorTest(true);
    for (const [group, left, width] of /** @type {const} */ ([
      [before, 0, x],
      [after, x, w - x],
    ])) {
      before.visible = group === before;
      after.visible = group === after;
      renderer.setScissor(left, 0, width, h);
      draw();
    }
    renderer.setScissorTest(false);
  };
  const requestRender = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      render();
    });
  };
  viewer.renderNow = () =>
    new Promise((ok) => {
      render();
      requestAnimationFrame(() => requestAnimationFrame(() => ok(undefined)));
    });

  const resize = () => {
    const w = canvas.clientWidth,
      h = canvas.clientHeight;
    renderer.setSize(w, h, false);
    camera.aspect = w / Math.max(1, h);
    camera.updateProjectionMatrix();
    requestRender();
  };
  window.addEventListener('resize', resize);
  resize();

  // The optimized scene (or the one file given), then its splats.
  const lines = [];
  /** @type {import('three').Object3D | undefined} */
  let meshes;
  if (manifest.scene) {
    const gltf = await loadGltf(manifest.scene);
    meshes = gltf.scene;
    after.add(gltf.scene);
    Object.assign(viewer.info, inventory(gltf.scene));
    const { lightmappedMaterials, lights } = viewer.info;
    lines.push(
      `${manifest.scene.name}: ${lightmappedMaterials} lightmapped material(s); ` +
        (lights.length
          ? `lights ${lights.map((l) => `${l.name}${l.baked ? ' (baked: lights only meshes without a lightmap)' : ''}`).join(', ')}`
          : 'no lights (their light is in the lightmaps)'),
    );
    const unbaked = lightmappedMaterials ? lights.filter((l) => !l.baked) : [];
    if (unbaked.length)
      lines.push(
        `note: ${unbaked.map((l) => l.name).join(', ')} not marked baked; lightmapped materials ignore them anyway`,
      );
  }
  /** @type {Awaited<ReturnType<typeof addSplats>> | undefined} */
  let splats;
  if (manifest.splats) {
    const s = await addSplats(renderer, after, manifest.splats.url, requestRender);
    splats = s;
    // Over meshes, the splat layer is composited in linear light, as ote judged it; alone, Spark draws it as it is.
    if (meshes)
      compositor = splatCompositor(renderer, { meshes, splats: [s.spark, s.mesh], exposure: manifest.exposure });
    viewer.info.splats = s.count;
    viewer.info.splatsAntialiased = s.antialiased;
    lines.push(`${manifest.splats.name}: ${s.count} Gaussians (Spark)`);
  }
  if (manifest.inputMissing) lines.push(`no before view: ${manifest.inputMissing}`);
  for (const w of manifest.warnings) lines.push(w);
  showStatus(lines);

  // Views: the report's cameras, else one that frames the scene.
  const cameras = manifest.cameras.length ? manifest.cameras : [framingCamera(boundsOf(after))];
  const viewSelect = $('view');
  cameras.forEach((/** @type {any} */ _c, /** @type {number} */ i) => {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = manifest.cameras.length
      ? `view ${i + 1}${i === manifest.used ? ' (the report images)' : ''}`
      : 'framing the scene';
    viewSelect.append(o);
  });
  const image = $('image'),
    overlay = $('overlay');
  const hideImage = () => {
    overlay.style.display = 'none';
    image.value = '';
  };
  viewer.setView = (i) => {
    const c = cameras[i];
    if (!c) throw new Error(`no view ${i}: the report has ${cameras.length}`);
    applyReportCamera(camera, c);
    viewer.camera = c;
    const far = farPlaneFor(boundsOf(mode === 'before' ? before : after), camera.position);
    camera.far = far;
    camera.near = Math.max(c.znear, far * 1e-6);
    camera.aspect = canvas.clientWidth / Math.max(1, canvas.clientHeight);
    camera.updateProjectionMatrix();
    controls.target.set(...c.target);
    viewSelect.value = String(i);
    requestRender();
  };
  viewSelect.addEventListener('change', () => {
    hideImage();
    viewer.setView(Number(viewSelect.value));
  });
  controls.addEventListener('start', hideImage);
  controls.addEventListener('change', requestRender);

  // Before: the input scene with its own lights, loaded when first asked for.
  let mode = 'after';
  let beforeLoaded = /** @type {Promise<void> | undefined} */ (undefined);
  const modeInputs = [...document.querySelectorAll('input[name="mode"]')];
  if (!manifest.input) for (const el of modeInputs) if (el.value !== 'after') el.disabled = true;
  let routeColours = /** @type {{ restore: () => void } | undefined} */ (undefined);
  const applyRoutes = () => {
    routeColours?.restore();
    routeColours = undefined;
    $('legend').textContent = '';
    if (!$('routes').checked) return requestRender();
    const r = colourByRoute(mode === 'before' ? before : after, manifest.routes);
    routeColours = r;
    for (const [route, n] of Object.entries(r.counts)) {
      const span = document.createElement('span'),
        swatch = document.createElement('i');
      swatch.style.background = ROUTE_COLOURS[/** @type {keyof typeof ROUTE_COLOURS} */ (route)] ?? ROUTE_COLOURS.none;
      span.append(swatch, `${route} ${n}`);
      $('legend').append(span);
    }
    requestRender();
  };
  if (!manifest.routes.length) $('routes').disabled = true;
  $('routes').addEventListener('change', applyRoutes);
  /**
   * Waits, drawing frames, until Spark draws the splats: its sort runs in a worker and lands a few frames after the
   * first frame asks for it. Without this wait a frame timed right after loading would leave the splats out.
   */
  const splatsDrawn = async () => {
    if (!splats || splats.count === 0) return;
    const deadline = performance.now() + 30_000;
    await viewer.renderNow();
    while (splats.drawn() === 0) {
      if (performance.now() > deadline) throw new Error('Spark did not sort the splats in 30 s');
      await new Promise((ok) => setTimeout(ok, 16));
      await viewer.renderNow();
    }
  };
  viewer.setMode = async (m) => {
    if (m === 'before' || m === 'split') {
      if (!manifest.input) throw new Error(`no before view: ${manifest.inputMissing ?? 'no input scene'}`);
      beforeLoaded ??= loadGltf(manifest.input).then((gltf) => {
        before.add(gltf.scene);
        const lights = inventory(gltf.scene).lights.length;
        viewer.info.beforeLights = lights;
        // Lit live, as a game would draw it: its own lights, else the sky and sun the run lit it by, with shadows.
        const live = liveLighting(renderer, before, gltf.scene, manifest.environment);
        // Emissive surfaces light nothing in three.js: with no light at all the input would be black.
        if (!lights && !live.environment) before.add(new AmbientLight(0xffffff, 1));
        showStatus([
          ...statusLines.filter((l) => !l.startsWith('before:')),
          `before: ${manifest.input.name}, ${lights ? `${lights} light(s)` : live.environment ? "the run's sky and sun" : 'no punctual lights (an ambient light stands in; before.png is the path-traced reference)'}, ${live.shadows} shadow-casting light(s), three.js shading`,
        ]);
      });
      await beforeLoaded;
    }
    routeColours?.restore();
    routeColours = undefined;
    mode = m;
    viewer.mode = m;
    before.visible = m === 'before';
    after.visible = m === 'after';
    split = m === 'split' ? Number($('split').value) / 100 : undefined;
    $('split').hidden = m !== 'split';
    for (const el of modeInputs) el.checked = el.value === m;
    applyRoutes();
    if (m !== 'before') await splatsDrawn();
  };
  $('split').addEventListener('input', () => {
    if (mode !== 'split') return;
    split = Number($('split').value) / 100;
    requestRender();
  });
  for (const el of modeInputs)
    el.addEventListener('change', () => viewer.setMode(el.value).catch((e) => fail(e.message)));

  // The report's images, over the view they were rendered at.
  for (const o of image.options) if (o.value && !manifest.images[o.value]) o.disabled = true;
  viewer.setImage = (name) => {
    if (!name) return hideImage();
    const url = manifest.images[name];
    if (!url) throw new Error(`the report has no ${name} image`);
    if (manifest.used !== undefined) viewer.setView(manifest.used);
    overlay.src = url;
    overlay.style.display = 'block';
    image.value = name;
  };
  image.addEventListener('change', () => viewer.setImage(image.value));
  viewer.setExposure = (stops) => {
    if (!Number.isFinite(stops)) throw new Error(`exposure must be a number of stops, got ${stops}`);
    renderer.toneMappingExposure = 2 ** stops;
    $('exposure').value = String(Math.round(stops * 100) / 100);
    requestRender();
  };
  $('exposure').addEventListener('change', () => viewer.setExposure(Number($('exposure').value)));

  viewer.measure = async (frames = 60) => ({
    ...(await frameStats(renderer, render, mode === 'before' ? before : after, frames)),
    splats: splats ? splats.drawn() : 0,
  });
  // The gain where the user is: both scenes drawn here, interleaved, at this view and window size.
  const gainButton = $('measure');
  if (!manifest.input || !manifest.scene) gainButton.disabled = true;
  gainButton.addEventListener('click', async () => {
    gainButton.disabled = true;
    const shown = mode;
    try {
      $('gain').textContent = 'measuring…';
      const line = await compareFrameTimes((m) => viewer.setMode(m), viewer.measure);
      $('gain').textContent = line;
    } catch (e) {
      fail(`error: ${/** @type {Error} */ (e).message}`);
    } finally {
      await viewer.setMode(/** @type {'before' | 'after' | 'split'} */ (shown));
      gainButton.disabled = false;
    }
  });

  const start = params.has('view') ? Number(params.get('view')) : (manifest.used ?? 0);
  viewer.setView(start);
  await viewer.renderNow();
  // Splats show once Spark's first sort is back (a few frames); a page without splats is ready now.
  await splatsDrawn();
  viewer.ready = true;
}

main().catch((e) => fail(`error: ${e?.message ?? e}`));
