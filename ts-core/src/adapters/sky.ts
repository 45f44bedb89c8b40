/**
 * The level's sky, for the editor adapters (issue #22, "Lights": sky). glTF carries no sky, so the plugin hands it
 * to `ote optimize` in a TD profile that extends the built-in one and sets `bake.environment` (plan/environment.ts):
 * the level's sky in every bake (mode 'always'), with no added sun (the level's directional light is in the glTF).
 * Pure: runs in Puerts' V8.
 *
 * Units: the bake's sky is radiance in the units of the lights' lux and candela, so a uniform sky of radiance L
 * lights a horizontal plane with π·L.
 * - Unity's ambient (RenderSettings): with the built-in and URP convention of light-units.ts (π × intensity lux),
 *   an ambient colour c lights a diffuse surface as albedo × c, which a sky of radiance c does: radiance = the
 *   linear colour × ambientIntensity. Trilight maps to the gradient sky (sky colour at the zenith, equator at the
 *   horizon, ground below); Flat to a constant sky. A Skybox or Custom ambient is a cubemap this does not read:
 *   the profile's default sky stays.
 * - Unreal's SkyLight: its captured scene or cubemap is not read either; it is taken as a uniform sky of its
 *   `Intensity` in cd/m² (the unit Unreal's physical lighting units give a sky light) tinted by `LightColor`.
 */
import { srgbToLinear } from '../image/float-image.js';

type Rgb = [number, number, number];

/** The sky a profile's `bake.environment.sky` holds. */
export type LevelSky = { type: 'constant'; color: Rgb } | { type: 'gradient'; zenith: Rgb; horizon: Rgb; ground: Rgb };

export interface UnityAmbient {
  /** Rendering.AmbientMode: Skybox 0, Trilight 1, Flat 3, Custom 4. */
  mode: number;
  intensity: number;
  /** RenderSettings.ambientSkyColor, ambientEquatorColor, ambientGroundColor, ambientLight: sRGB. */
  sky: Rgb;
  equator: Rgb;
  ground: Rgb;
  flat: Rgb;
}

const linear = (c: readonly number[], scale: number): Rgb =>
  [0, 1, 2].map((i) => srgbToLinear(Math.max(0, c[i])) * Math.max(0, scale)) as Rgb;

/** Unity's ambient as a sky, or undefined where it is a cubemap (Skybox, Custom). */
export function unitySky(a: UnityAmbient): LevelSky | undefined {
  if (a.mode === 1)
    return {
      type: 'gradient',
      zenith: linear(a.sky, a.intensity),
      horizon: linear(a.equator, a.intensity),
      ground: linear(a.ground, a.intensity),
    };
  if (a.mode === 3) return { type: 'constant', color: linear(a.flat, a.intensity) };
  return undefined;
}

/** Unreal's SkyLight (Intensity, LightColor as an sRGB FColor 0..255) as a uniform sky. */
export function unrealSky(intensity: number, color: readonly number[]): LevelSky {
  return { type: 'constant', color: linear([color[0] / 255, color[1] / 255, color[2] / 255], intensity) };
}

/**
 * The profile that bakes the level under its own sky, or undefined when the chosen profile is to run as it is:
 * there is no sky to set, or the chosen TD file sets `bake.environment` itself (its choice, even 'off', stands).
 * A built-in profile is extended; a TD file's document (`td`) is copied with the environment added.
 */
export function levelProfile(
  chosen: string,
  td: Record<string, unknown> | undefined,
  sky: LevelSky | undefined,
  level: string,
): object | undefined {
  if (!sky) return undefined;
  const environment = { mode: 'always', sky, sun: null };
  if (!td) return { name: `${chosen.toUpperCase()} + the sky of ${level}`, extends: chosen, bake: { environment } };
  const bake = (td.bake ?? {}) as Record<string, unknown>;
  if (bake.environment !== undefined) return undefined;
  return { ...td, name: `${String(td.name ?? chosen)} + the sky of ${level}`, bake: { ...bake, environment } };
}
