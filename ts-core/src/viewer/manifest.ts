/**
 * The one document the viewer page reads first (GET /viewer.json): which files to load and at which URLs, the
 * report's cameras and exposure, the routing of each object, and what is missing and why. The page never learns a
 * path on disk; it only gets the server's URLs. Pure.
 */
import type { ReportCamera } from '../report/types.js';
import type { ViewerEnvironment } from './report-fields.js';
import type { ViewTarget } from './target.js';

export interface ViewerManifest {
  /** What the page's title shows: the folder or file given to `ote view`. */
  title: string;
  scene?: { url: string; name: string };
  splats?: { url: string; name: string };
  /** The input scene of the run, for the before view (lit by its own lights in three.js). */
  input?: { url: string; name: string };
  inputMissing?: string;
  report?: { url: string };
  /** Stops of exposure (the report's; 0 without one). */
  exposure: number;
  cameras: ReportCamera[];
  /** Index into cameras of the view the report's images show. */
  used?: number;
  images: { before?: string; after?: string; flip?: string };
  routes: { name: string; route: string }[];
  lighting?: { removedLights: string[]; keptLights: string[] };
  /** The sky and sun the run lit the scene by (it has no lights of its own): the before view uses them. */
  environment?: ViewerEnvironment;
  warnings: string[];
}

const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;

export function viewerManifest(t: ViewTarget, title: string): ViewerManifest {
  const r = t.report;
  return {
    title,
    scene: t.scene && { url: t.scene.url, name: baseName(t.scene.path) },
    splats: t.splats && { url: t.splats.url, name: baseName(t.splats.path) },
    input: t.input && { url: t.input.url, name: baseName(t.input.path) },
    inputMissing: t.inputMissing,
    report: r && { url: r.url },
    exposure: r?.exposure ?? 0,
    cameras: r?.cameras ?? [],
    used: r?.used,
    images: t.images,
    routes: r?.routes ?? [],
    lighting: r?.lighting,
    environment: r?.environment,
    warnings: t.warnings,
  };
}
