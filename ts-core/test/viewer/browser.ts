/**
 * What the browser tests of the viewer share: Debian's headless Chromium (WebGL on SwiftShader, the arguments
 * `ote view --measure` uses), tests registered only where it is installed, screenshots and the report camera as our
 * renderers' view.
 */
import { test } from 'uvu';
import type { Browser, Page } from 'puppeteer-core';
import { display, luma } from '../../src/image/display.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { decodePng } from '../../src/io/png.js';
import { decodeLightmappedGltf } from '../../src/render/lightmapped-gltf.js';
import { renderLightmapped } from '../../src/render/lightmapped.js';
import { drawSplatsOver } from '../../src/render/hybrid.js';
import type { SplatComposite } from '../../src/render/composite.js';
import { decodeSplats } from '../../src/io/splat-formats.js';
import type { ReportCamera } from '../../src/report/types.js';
import { lookAt, type View } from '../../src/scene/view.js';
import { CHROMIUM_ARGS, MEASURE_DEFAULTS } from '../../src/viewer/measure.js';
import { existsSync, readFileSync } from 'node:fs';

export const CHROMIUM = MEASURE_DEFAULTS.chromium;
export const hasChromium = existsSync(CHROMIUM);

/**
 * A test that runs where Chromium is. Elsewhere nothing is registered (the file reports 0 of 0, with the reason
 * printed by `skipWithoutChromium`), so that a machine without it reads 0 of 0 rather than tests that look run.
 */
export const it = (name: string, fn: () => Promise<void> | void) => {
  if (hasChromium) test(name, fn);
};

/** Prints why the file's tests are not registered, where Chromium is absent. */
export function skipWithoutChromium(file: string): void {
  if (!hasChromium)
    console.log(`SKIP ${file}: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
}

export async function launchChromium(): Promise<Browser> {
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** The page's pixels as the browser composited them (the panel hidden with ui=0), alpha forced opaque. */
export async function screenshot(page: Page) {
  await page.evaluate('window.__oteViewer.renderNow()');
  const png = decodePng(await page.screenshot({ type: 'png' }));
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  return { width: png.width, height: png.height, bitDepth: 8 as const, data: png.data as Uint8Array };
}

export const meanLuma = (img: { data: ArrayLike<number> }) => {
  let s = 0;
  for (let i = 0; i < img.data.length; i += 4) s += luma(img.data[i], img.data[i + 1], img.data[i + 2]);
  return s / (img.data.length / 4);
};

/** The report camera as our renderers' view, at width × height. */
export function viewOf(c: ReportCamera, width: number, height: number): View {
  return {
    cameraToWorld: lookAt(c.eye, c.target, c.up),
    yfov: (c.yfovDeg * Math.PI) / 180,
    width,
    height,
    znear: c.znear,
    zfar: Infinity,
  };
}

/**
 * `ote render --mode lightmapped` of an output's scene.glb in-process (its CLI has no exposure flag), through the
 * same decoding of the shipped glTF the own check uses, displayed at `exposure`: what the page must match.
 */
export async function ourLightmappedRender(
  glb: string,
  camera: ReportCamera,
  width: number,
  height: number,
  exposure: number,
) {
  const { ours } = await lightmappedLinear(glb, viewOf(camera, width, height));
  return display(ours, { exposure, opaque: true });
}

/** An output's scene.glb lit by its lightmaps at `view`, linear, with the scene it was decoded to. */
async function lightmappedLinear(glb: string, view: View) {
  const { scene } = await importGltf(glb);
  const lit = decodeLightmappedGltf(scene).lit!;
  return { scene, ours: await renderLightmapped(scene, lit.layout, lit.pages, view, { spp: 16, seed: 1 }) };
}

/**
 * A hybrid output (scene.glb and its splats file) as `ote` draws it at `camera`: the lightmapped render with the
 * splat layer composited over it (render/hybrid.ts), `composite` saying where, displayed at `exposure`.
 */
export async function ourHybridRender(
  glb: string,
  splatsFile: string,
  camera: ReportCamera,
  width: number,
  height: number,
  exposure: number,
  composite: SplatComposite,
) {
  const view = viewOf(camera, width, height);
  const { scene, ours: mesh } = await lightmappedLinear(glb, view);
  const splats = decodeSplats(new Uint8Array(readFileSync(splatsFile)), 'spz', splatsFile);
  return display(await drawSplatsOver(mesh, scene, splats, view, exposure, { composite }), { exposure, opaque: true });
}
