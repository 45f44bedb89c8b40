/**
 * The fields of report.json that the viewer reads, checked before the page sees them: a report edited by hand or
 * cut short must fail with the field named (`views.cameras[0].eye: expected 3 finite numbers`), not as a black page.
 * Older reports without `views.cameras` are fine: the viewer frames the scene instead. Pure.
 */
import type { OptimizeReport, ReportCamera } from '../report/types.js';

/** What the viewer takes from a report. */
export interface ViewerReport {
  input: { file: string };
  outputs: { splats: string[] };
  /** Stops of exposure the report's images used (0 when the report has no views). */
  exposure: number;
  /** The report's cameras and which one its images show (0-based; undefined when none). */
  cameras: ReportCamera[];
  used?: number;
  routes: { name: string; route: string }[];
  lighting?: { removedLights: string[]; keptLights: string[] };
  /** The sky and sun the scene was lit by when it has no lights of its own (what the before view lights it with). */
  environment?: ViewerEnvironment;
}

/** The environment as the page takes it: sky radiance (linear RGB) and the sun's travel direction and irradiance. */
export interface ViewerEnvironment {
  sky: { zenith: [number, number, number]; ground: [number, number, number] };
  sun?: { direction: [number, number, number]; color: [number, number, number] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isVec3 = (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

function checkCamera(c: unknown, at: string): string | undefined {
  if (!isObject(c)) return `${at}: expected an object`;
  for (const k of ['eye', 'target', 'up'] as const) if (!isVec3(c[k])) return `${at}.${k}: expected 3 finite numbers`;
  if (!isPositive(c.yfovDeg) || (c.yfovDeg as number) >= 180) return `${at}.yfovDeg: expected degrees in (0, 180)`;
  if (!isPositive(c.aspect)) return `${at}.aspect: expected a number > 0`;
  if (!isPositive(c.znear)) return `${at}.znear: expected a number > 0`;
  const [e, t] = [c.eye as number[], c.target as number[]];
  if (e.every((x, k) => x === t[k])) return `${at}.target: the same point as eye`;
  return undefined;
}

const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The report's viewer fields, or an error message 'field: what is wrong'. */
export function checkViewerReport(json: unknown): ViewerReport | string {
  if (!isObject(json)) return 'report: expected a JSON object';
  const r = json as Partial<Record<keyof OptimizeReport, unknown>>;
  if (!isObject(r.input) || typeof r.input.file !== 'string') return 'input.file: expected a string';
  const outputs = isObject(r.outputs) ? r.outputs : {};
  const splats = outputs.splats ?? [];
  if (!stringList(splats)) return 'outputs.splats: expected a list of file names';
  let exposure = 0,
    used: number | undefined,
    cameras: ReportCamera[] = [];
  if (r.views !== undefined) {
    if (!isObject(r.views)) return 'views: expected an object';
    const v = r.views;
    if (typeof v.exposure !== 'number' || !Number.isFinite(v.exposure)) return 'views.exposure: expected a number';
    exposure = v.exposure;
    if (v.cameras !== undefined) {
      if (!Array.isArray(v.cameras)) return 'views.cameras: expected a list';
      for (const [i, c] of v.cameras.entries()) {
        const bad = checkCamera(c, `views.cameras[${i}]`);
        if (bad) return bad;
      }
      cameras = v.cameras as ReportCamera[];
      if (cameras.length) {
        if (!Number.isInteger(v.used) || (v.used as number) < 1 || (v.used as number) > cameras.length)
          return `views.used: expected an integer from 1 to ${cameras.length} (the camera the images show)`;
        used = (v.used as number) - 1;
      }
    }
  }
  const routes: ViewerReport['routes'] = [];
  if (r.plan !== undefined) {
    if (!isObject(r.plan) || !Array.isArray(r.plan.decisions)) return 'plan.decisions: expected a list';
    for (const [i, d] of r.plan.decisions.entries()) {
      if (!isObject(d) || typeof d.name !== 'string' || typeof d.route !== 'string')
        return `plan.decisions[${i}]: expected an object with name and route`;
      routes.push({ name: d.name, route: d.route });
    }
  }
  let lighting: ViewerReport['lighting'];
  if (r.lighting !== undefined) {
    const l = r.lighting;
    if (!isObject(l) || !stringList(l.removedLights) || !stringList(l.keptLights))
      return 'lighting: expected removedLights and keptLights as lists of names';
    lighting = { removedLights: l.removedLights, keptLights: l.keptLights };
  }
  const environment = environmentOf(r.lighting);
  if (typeof environment === 'string') return environment;
  return { input: { file: r.input.file }, outputs: { splats }, exposure, cameras, used, routes, lighting, environment };
}

/** `lighting.environment.light` (reports before it was written have none: the before view then stands in light). */
function environmentOf(l: unknown): ViewerEnvironment | undefined | string {
  const at = 'lighting.environment.light';
  const light = isObject(l) && isObject(l.environment) ? l.environment.light : undefined;
  if (light === undefined) return undefined;
  if (!isObject(light) || !isObject(light.sky)) return `${at}.sky: expected an object`;
  const sky = light.sky;
  let zenith: [number, number, number], ground: [number, number, number];
  if (sky.type === 'gradient' && isVec3(sky.zenith) && isVec3(sky.ground)) [zenith, ground] = [sky.zenith, sky.ground];
  else if (sky.type === 'constant' && isVec3(sky.color)) [zenith, ground] = [sky.color, sky.color];
  else if (sky.type === 'none')
    [zenith, ground] = [
      [0, 0, 0],
      [0, 0, 0],
    ];
  else
    return `${at}.sky: expected {type: 'gradient', zenith, horizon, ground}, {type: 'constant', color} or {type: 'none'}`;
  let sun: ViewerEnvironment['sun'];
  if (light.sun !== undefined) {
    if (!isObject(light.sun) || !isVec3(light.sun.direction) || !isVec3(light.sun.color))
      return `${at}.sun: expected direction and color as 3 finite numbers each`;
    sun = { direction: light.sun.direction, color: light.sun.color };
  }
  return { sky: { zenith, ground }, sun };
}
