/**
 * The light a scene is baked and judged under when it brings none of its own. Every baker has such a default
 * (Unity's procedural skybox and sun, Unreal's sky atmosphere and directional light, Blender's world colour); ours is
 * a vertical-gradient sky plus a sun, both set by the profile (`bake.environment`). Under mode 'auto' it lights only
 * scenes without punctual lights and without emissive surfaces; 'always' adds it to every scene (an exterior lit by
 * its own lamps at night still gets daylight); 'off' never (a scene meant to be dark stays dark).
 *
 * The values are relative, not photometric: the report's and the verifier's images are exposed by the scene's own
 * log-average luminance (render/exposure.ts), so only the sun-to-sky ratio matters. Daylight's is about 4–5 (sun
 * ~100 klx against ~20 klx from the sky on a horizontal plane): a sun of 5 lux-units against a sky whose horizontal
 * irradiance is about 1.1. The sun's angular diameter is widened from the real 0.53° to 2° so that its shadows are
 * soft enough to converge at the profile's samples. Pure: no Node builtins.
 */
import type { Scene, Vec3 } from '../scene/types.js';

/** The bake's sky (native/transport-inputs.ts Sky): radiance seen along a direction, linear RGB. */
export type EnvironmentSky =
  | { type: 'none' }
  | { type: 'constant'; color: Vec3 }
  | { type: 'gradient'; zenith: Vec3; horizon: Vec3; ground: Vec3 };

export interface EnvironmentSun {
  /** Degrees above the horizon (0–90). */
  elevation: number;
  /** Degrees clockwise from +Z (glTF's forward) seen from above: 0 = the sun shines towards −Z. */
  azimuth: number;
  /** Illuminance on a plane facing the sun (KHR_lights_punctual directional intensity). */
  illuminance: number;
  color: Vec3;
  /** Degrees: the sun's disc, which softens its shadows. */
  angularDiameter: number;
}

export interface EnvironmentSettings {
  mode: 'auto' | 'always' | 'off';
  sky: EnvironmentSky;
  /** null: sky only. */
  sun: EnvironmentSun | null;
}

export const DEFAULT_ENVIRONMENT: EnvironmentSettings = {
  mode: 'auto',
  sky: { type: 'gradient', zenith: [0.22, 0.34, 0.62], horizon: [0.62, 0.68, 0.74], ground: [0.16, 0.14, 0.12] },
  sun: { elevation: 55, azimuth: 30, illuminance: 5, color: [1, 0.95, 0.88], angularDiameter: 2 },
};

/** The environment as renderers take it: world-space sun direction (the way the light travels). */
export interface Environment {
  sky: EnvironmentSky;
  sun?: { direction: Vec3; color: Vec3; angularDiameter: number };
  /** Why it applies, for the report: 'default' (no lights in the scene) or 'profile' (mode 'always'). */
  reason: 'default' | 'profile';
}

/** Punctual lights on nodes, and emissive materials drawn by some mesh: what lights a scene by itself. */
export function sceneLightSources(scene: Scene): { punctual: number; emissiveMaterials: number } {
  const punctual = scene.nodes.filter(
    (n) => n.light !== undefined && scene.lights[n.light] && scene.lights[n.light].intensity > 0,
  ).length;
  const drawn = new Set<number>();
  for (const n of scene.nodes)
    if (n.mesh !== undefined) for (const p of scene.meshes[n.mesh]?.primitives ?? []) drawn.add(p.material);
  const emissiveMaterials = [...drawn].filter((m) => {
    const mat = scene.materials[m];
    return !!mat && mat.emissiveStrength > 0 && mat.emissiveFactor.some((c) => c > 0);
  }).length;
  return { punctual, emissiveMaterials };
}

function sunDirection(s: EnvironmentSun): Vec3 {
  const e = (s.elevation * Math.PI) / 180,
    a = (s.azimuth * Math.PI) / 180;
  // Towards the sun: up by the elevation, around Y by the azimuth; the light travels the other way.
  return [-Math.cos(e) * Math.sin(a), -Math.sin(e), -Math.cos(e) * Math.cos(a)];
}

/** The environment a scene is lit by under the profile's settings, or undefined when it is lit by itself. */
export function resolveEnvironment(
  scene: Scene,
  settings: EnvironmentSettings = DEFAULT_ENVIRONMENT,
): Environment | undefined {
  if (settings.mode === 'off') return undefined;
  const own = sceneLightSources(scene);
  if (settings.mode === 'auto' && (own.punctual > 0 || own.emissiveMaterials > 0)) return undefined;
  const s = settings.sun;
  return {
    sky: settings.sky,
    sun: s
      ? {
          direction: sunDirection(s),
          color: [s.color[0] * s.illuminance, s.color[1] * s.illuminance, s.color[2] * s.illuminance],
          angularDiameter: s.angularDiameter,
        }
      : undefined,
    reason: settings.mode === 'always' ? 'profile' : 'default',
  };
}

/** Name of the node that carries the environment's sun in a lit copy of a scene (withEnvironmentSun). */
export const SUN_NODE = 'ote:environment-sun';

/** The quaternion (xyzw) turning −Z onto unit vector d, the frame a glTF directional light shines along. */
function rotationFromMinusZ(d: Vec3): [number, number, number, number] {
  // q = (a × b, 1 + a·b) normalised, with a = (0, 0, −1), b = d; opposite vectors turn about X.
  const dot = -d[2];
  if (dot < -1 + 1e-9) return [1, 0, 0, 0];
  const x = d[1],
    y = -d[0],
    z = 0,
    w = 1 + dot; // (0, 0, −1) × d = (d.y, −d.x, 0)
  const l = Math.hypot(x, y, z, w);
  return [x / l, y / l, z / l, w / l];
}

/**
 * A shallow copy of the scene with the environment's sun as a directional light on a new root node (named
 * SUN_NODE), so that every renderer and the bake see it as any other light. The sky is passed to them separately.
 */
export function withEnvironmentSun(scene: Scene, env: Pick<Environment, 'sun'> | undefined): Scene {
  if (!env?.sun) return scene;
  const node = scene.nodes.length,
    light = scene.lights.length;
  const c = env.sun.color,
    intensity = Math.max(c[0], c[1], c[2]);
  return {
    ...scene,
    nodes: [
      ...scene.nodes,
      {
        name: SUN_NODE,
        parent: -1,
        children: [],
        translation: [0, 0, 0],
        rotation: rotationFromMinusZ(env.sun.direction),
        scale: [1, 1, 1],
        light,
      },
    ],
    roots: [...scene.roots, node],
    lights: [
      ...scene.lights,
      {
        name: SUN_NODE,
        type: 'directional',
        color: intensity > 0 ? [c[0] / intensity, c[1] / intensity, c[2] / intensity] : [1, 1, 1],
        intensity,
        innerConeAngle: 0,
        outerConeAngle: Math.PI / 4,
        size: (env.sun.angularDiameter * Math.PI) / 180,
      },
    ],
  };
}
