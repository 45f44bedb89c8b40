/**
 * Light intensities from each engine's units to glTF's (KHR_lights_punctual: directional lights in lux, point and
 * spot lights in candela, linear colour), for the editor adapters (issue #22, "Lights"). Pure: runs in Puerts' V8.
 *
 * Sources, per conversion (the tests check each against its formula):
 * - Unreal, "Physical Lighting Units" (UE 4.19+): a directional light's intensity is lux; point, spot and rect
 *   lights take `IntensityUnits`: candelas, lumens, EV or unitless. The factors are those of
 *   `ULocalLightComponent::GetUnitsConversionFactor`: unitless × 16 / 100² = candela ÷ 625; lumens ÷ 2π(1 − cos θ),
 *   θ the half cone (π for a point light, so ÷ 4π; a spot light's outer cone angle, which Unreal gives as a half
 *   angle); EV100 through the reflected-light meter's calibration K = 12.5: L = 2^EV × K / 100 = 2^(EV − 3).
 *   `LightColor` is an sRGB FColor (0..255), decoded to linear as the renderer does.
 * - Unity, built-in pipeline and URP: `Light.intensity` has no unit. Their diffuse term is albedo × light × N·L,
 *   without the 1/π of a Lambertian BRDF, so the lux that gives the same picture in a physically based renderer is
 *   π × intensity (Unity's glTFast importer divides glTF intensities by π for these pipelines). `Light.color` is
 *   sRGB (Color.linear decodes it). With `GraphicsSettings.lightsUseLinearIntensity` off (the built-in default) the
 *   intensity multiplies the gamma-space colour, so its linear weight is intensity^2.2. Built-in point and spot
 *   lights do not fall off with the inverse square but over their range r, on a curve of Unity's own (a lookup
 *   texture); Unity's URP manual ("Change light falloff") gives (1 − d/r)² · smoothstep(0, 1, 1 − d/r) as the
 *   function that behaves like it. glTF has the inverse square only, so the intensity is scaled to match that curve
 *   at half the range: × r² / 32 (the curve is 1/8 there). Nearer the light the glTF one is brighter, and it lights
 *   past the range; `approximated` says so. URP's lights fall off with the inverse square already.
 * - Unity HDRP and physical light units (`Light.lightUnit`, HDAdditionalLightData before Unity 2023.1), after
 *   HDRP's LightUtils: lumen → candela ÷ 4π for a point light, and for a spot light ÷ 2π(1 − cos(spotAngle / 2))
 *   when "reflector" confines the flux to the cone (÷ 4π otherwise); EV100 as above; lux for directional lights.
 *   `Light.spotAngle` is the full cone angle in degrees.
 * - Rect and area lights have no glTF type: they become a spot light with a 90° outer cone whose peak intensity is
 *   the panel's (candela; luminance × area for nits, lumens ÷ π for a one-sided Lambertian panel; a built-in or
 *   URP area light's π × intensity taken as its luminance). `approximated` says so.
 */
import { inputError } from '../errors.js';
// Both engines' colour pickers are sRGB.
import { srgbToLinear } from '../image/float-image.js';
import type { EngineLight } from './engine-scene.js';

/** A light as glTF holds it: type, linear colour, intensity in lux or candela, cone half-angles in radians. */
export interface GltfLight {
  type: 'directional' | 'point' | 'spot';
  color: [number, number, number];
  intensity: number;
  innerConeAngle?: number;
  outerConeAngle?: number;
  /** Set where the engine's light has no exact glTF equivalent: what was done instead. */
  approximated?: string;
}

/** Unreal's ELightUnits, as IntensityUnits names them. */
export type UnrealLightUnits = 'unitless' | 'candelas' | 'lumens' | 'ev';

export interface UnrealLightSettings {
  kind: 'directional' | 'point' | 'spot' | 'rect';
  /** `Intensity` as the Details panel shows it, in `units` (lux for a directional light). */
  intensity: number;
  /** `IntensityUnits` of a point, spot or rect light. */
  units?: UnrealLightUnits;
  /** `LightColor`: an sRGB FColor, 0..255 per channel. */
  color: [number, number, number];
  /** Spot lights: `InnerConeAngle` and `OuterConeAngle`, half angles in degrees. */
  innerConeAngle?: number;
  outerConeAngle?: number;
  /** Rect lights: `SourceWidth` and `SourceHeight`, in centimetres. */
  width?: number;
  height?: number;
}

/** Unity's Rendering.LightUnit, for lights in physical units. */
export type UnityLightUnit = 'lumen' | 'candela' | 'lux' | 'nits' | 'ev100';

export interface UnityLightSettings {
  kind: 'directional' | 'point' | 'spot' | 'area';
  intensity: number;
  /** `Light.color`, sRGB, 0..1. */
  color: [number, number, number];
  /** Spot lights: `Light.spotAngle` and `Light.innerSpotAngle`, full angles in degrees. */
  spotAngle?: number;
  innerSpotAngle?: number;
  /** Area lights: `Light.areaSize`, in metres. */
  width?: number;
  height?: number;
  /** Built-in pipeline: `GraphicsSettings.lightsUseLinearIntensity` (URP and HDRP always use linear intensity). */
  linearIntensity: boolean;
  /** The built-in pipeline's falloff over `Light.range` applies (point and spot lights; no render pipeline asset). */
  builtinFalloff?: boolean;
  /** `Light.range`, in metres (Unity's default 10). */
  range?: number;
  /** Physical units (HDRP); absent for the built-in pipeline and URP, whose intensities have none. */
  unit?: UnityLightUnit;
  /** HDRP spot lights: "Reflector", the flux confined to the cone. */
  reflector?: boolean;
}

const DEG = Math.PI / 180;

/** Candela of a light metered at `ev` EV100 (K = 12.5): 2^(EV − 3). */
export function ev100ToCandela(ev: number): number {
  return 2 ** (ev - 3);
}

/** Candela of `lumens` spread evenly over a cone of half-angle `halfAngle` radians (π: the whole sphere). */
export function lumensToCandela(lumens: number, halfAngle: number): number {
  return lumens / (2 * Math.PI * (1 - Math.cos(halfAngle)));
}

/** Where a light sits in the dump, for errors: the level (the file) and the light's path. */
export interface LightPlace {
  level: string;
  where: string;
}

function fail(at: LightPlace, field: string, message: string): never {
  throw inputError(at.level, `${at.where}.${field}`, `${at.where}: ${field} ${message}`);
}

function check(at: LightPlace, field: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    fail(at, field, `must be a finite number${min > Number.NEGATIVE_INFINITY ? ` ≥ ${min}` : ''}, not ${String(v)}`);
  return v;
}

/** A rect or area panel as a glTF spot light with a 90° cone and the panel's peak intensity. */
function panel(color: GltfLight['color'], candela: number, engine: string): GltfLight {
  return {
    type: 'spot',
    color,
    intensity: candela,
    innerConeAngle: 0,
    outerConeAngle: Math.PI / 2,
    approximated: `${engine} area light as a spot light with a 90° cone and the panel's peak intensity`,
  };
}

/** An Unreal light's settings in glTF units. */
export function unrealLightToGltf(l: UnrealLightSettings, at: LightPlace): GltfLight {
  const intensity = check(at, 'Intensity', l.intensity, l.units === 'ev' ? Number.NEGATIVE_INFINITY : 0);
  const color = l.color.map((c, i) => srgbToLinear(check(at, `LightColor[${i}]`, c) / 255)) as GltfLight['color'];
  if (l.kind === 'directional') return { type: 'directional', color, intensity };
  const units = l.units ?? 'unitless';
  const outer = l.kind === 'spot' ? check(at, 'OuterConeAngle', l.outerConeAngle ?? 44) * DEG : Math.PI;
  const candela = (() => {
    switch (units) {
      case 'candelas':
        return intensity;
      case 'unitless':
        return (intensity * 16) / 100 / 100;
      case 'lumens':
        // A rect light's flux leaves one side, Lambertian: peak intensity = flux / π.
        return l.kind === 'rect' ? intensity / Math.PI : lumensToCandela(intensity, outer);
      case 'ev':
        return ev100ToCandela(intensity);
      default:
        return fail(at, 'IntensityUnits', `"${String(units)}" is not one of Unitless, Candelas, Lumens, EV`);
    }
  })();
  if (l.kind === 'point') return { type: 'point', color, intensity: candela };
  if (l.kind === 'rect') return panel(color, candela, 'Unreal rect');
  const inner = check(at, 'InnerConeAngle', l.innerConeAngle ?? 0) * DEG;
  return { type: 'spot', color, intensity: candela, innerConeAngle: Math.min(inner, outer), outerConeAngle: outer };
}

/** A Unity light's settings in glTF units. */
export function unityLightToGltf(l: UnityLightSettings, at: LightPlace): GltfLight {
  const raw = check(at, 'intensity', l.intensity, l.unit === 'ev100' ? Number.NEGATIVE_INFINITY : 0);
  const color = l.color.map((c, i) => srgbToLinear(check(at, `color[${i}]`, c))) as GltfLight['color'];
  const outer = l.kind === 'spot' ? (check(at, 'spotAngle', l.spotAngle ?? 30) / 2) * DEG : Math.PI;
  const inner = l.kind === 'spot' ? (check(at, 'innerSpotAngle', l.innerSpotAngle ?? 0) / 2) * DEG : 0;
  const area = l.kind === 'area' ? check(at, 'areaSize.x', l.width ?? 1) * check(at, 'areaSize.y', l.height ?? 1) : 0;
  let intensity: number;
  if (l.unit === undefined) {
    // Built-in and URP: π × the (linear) intensity, in lux or candela; an area light's is its luminance.
    intensity = Math.PI * (l.linearIntensity ? raw : raw ** 2.2) * (l.kind === 'area' ? area : 1);
  } else if (l.kind === 'directional') {
    if (l.unit !== 'lux') fail(at, 'lightUnit', `of a directional light must be lux, not ${l.unit}`);
    intensity = raw;
  } else if (l.kind === 'area') {
    if (l.unit === 'nits') intensity = raw * area;
    else if (l.unit === 'lumen') intensity = raw / Math.PI;
    else if (l.unit === 'ev100') intensity = ev100ToCandela(raw) * area;
    else fail(at, 'lightUnit', `of an area light must be lumen, nits or ev100, not ${l.unit}`);
  } else if (l.unit === 'candela') intensity = raw;
  else if (l.unit === 'lumen') intensity = lumensToCandela(raw, l.kind === 'spot' && l.reflector ? outer : Math.PI);
  else if (l.unit === 'ev100') intensity = ev100ToCandela(raw);
  else fail(at, 'lightUnit', `of a ${l.kind} light must be lumen, candela or ev100, not ${l.unit}`);
  if (l.kind === 'directional') return { type: 'directional', color, intensity };
  if (l.kind === 'area') return panel(color, intensity, 'Unity area');
  const light: GltfLight =
    l.kind === 'point'
      ? { type: 'point', color, intensity }
      : { type: 'spot', color, intensity, innerConeAngle: Math.min(inner, outer), outerConeAngle: outer };
  if (!l.builtinFalloff || l.unit !== undefined) return light;
  const range = check(at, 'range', l.range ?? 10, Number.MIN_VALUE);
  return {
    ...light,
    intensity: intensity * builtinFalloffScale(range),
    approximated: `Unity built-in falloff over a range of ${range} m as the inverse square equal to it at half the range`,
  };
}

/** Unity's built-in falloff as URP's manual gives it: (1 − x)² · smoothstep(0, 1, 1 − x) at x = distance / range. */
export function builtinFalloff(x: number): number {
  const t = Math.min(1, Math.max(0, 1 - x));
  return t * t * (t * t * (3 - 2 * t));
}

/** The factor that turns a built-in light's intensity into the inverse-square one equal to it at half its range. */
export function builtinFalloffScale(range: number): number {
  const d = range / 2;
  return builtinFalloff(0.5) * d * d;
}

/** Unreal's ELightUnits by value (UE 5: Unitless 0, Candelas 1, Lumens 2, EV 3). */
export function unrealUnitsOf(value: number): UnrealLightUnits {
  return (['unitless', 'candelas', 'lumens', 'ev'] as const)[value] ?? ('unknown' as UnrealLightUnits);
}

/** Unity's LightType by value (Spot 0, Directional 1, Point 2, Rectangle 3, Disc 4), or undefined for another. */
export function unityKindOf(value: number): UnityLightSettings['kind'] | undefined {
  return (['spot', 'directional', 'point', 'area'] as const)[value];
}

/** Unity's Rendering.LightUnit by value (Lumen 0, Candela 1, Lux 2, Nits 3, Ev100 4). */
export function unityUnitOf(value: number): UnityLightUnit {
  return (['lumen', 'candela', 'lux', 'nits', 'ev100'] as const)[value] ?? ('unknown' as UnityLightUnit);
}

/** A converted light at its engine pose, as the dump carries it (engineToScene converts the pose). */
export function engineLight(
  path: string,
  g: GltfLight,
  translation: EngineLight['translation'],
  rotation: EngineLight['rotation'],
): EngineLight {
  return {
    path,
    type: g.type,
    color: g.color,
    intensity: g.intensity,
    translation,
    rotation,
    ...(g.type === 'spot' ? { innerConeAngle: g.innerConeAngle, outerConeAngle: g.outerConeAngle } : {}),
  };
}
