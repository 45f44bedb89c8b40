/**
 * Bake results into the scene model (render/scene-lightmaps.ts reads them back out):
 * - `applyLightmaps`: every lightmapped primitive's material gets `lightmap = {texture, intensity}` (exported as
 *   MOZ_lightmap `{index, texCoord: 1, intensity}` by io/moz-lightmap.ts), cloned per atlas page where a material
 *   spans pages or is also used by objects without a lightmap;
 * - the unlit option: the same materials instead show baseColorFactor × lightmap through a base colour texture on
 *   UV1 and are marked KHR_materials_unlit, for viewers that know nothing of lightmaps (base colour textures on UV0
 *   cannot be kept: glTF has one base colour texture);
 *
 * Pages are stored sRGB-encoded (bake/encode.ts encodeScaled8), like base colour textures: decoded to linear,
 * value × intensity = L (irradiance / π), with intensity = π × scale for three.js, which multiplies lightMap (a
 * texture with colorSpace sRGB) by intensity and then by albedo / π (BRDF_Lambert). Alpha holds AO, linear.
 */
import { OteError } from '../errors.js';
import type { LightmapLayout } from '../native/transport-inputs.js';
import { defaultMaterial, type Material, type Scene, type Texture } from '../scene/types.js';

export interface EncodedPage {
  /** PNG bytes of the page, sRGB-encoded: linear value × scale = L. */
  png: Uint8Array;
  width: number;
  height: number;
  scale: number;
  /** Unlit option: PNG of the page sRGB-encoded, clamped to 1 (a base colour texture). */
  unlitPng?: Uint8Array;
}

export function applyLightmaps(
  scene: Scene,
  layout: LightmapLayout,
  pages: EncodedPage[],
  opts: { unlit?: boolean } = {},
): Scene {
  const out: Scene = {
    ...scene,
    materials: scene.materials.map((m) => ({ ...m })),
    meshes: scene.meshes.map((m) => ({ ...m, primitives: m.primitives.map((p) => ({ ...p })) })),
    textures: [...scene.textures],
  };
  const texOf = pages.map((p, i) => {
    const png = opts.unlit ? p.unlitPng : p.png;
    if (!png) throw new OteError('BAD_INPUT', `lightmap page ${i} has no ${opts.unlit ? 'unlit ' : ''}image`);
    out.textures.push({
      name: `lightmap${i}${opts.unlit ? '_unlit' : ''}`,
      mimeType: 'image/png',
      image: png,
      width: p.width,
      height: p.height,
    } satisfies Texture);
    return out.textures.length - 1;
  });
  // Which (material, page) pairs lightmapped primitives use, and which materials anything else uses.
  const lit = new Map<number, Set<number>>();
  const litPrims = new Set<string>();
  for (const [n, prims] of layout.primitivePages) {
    const mi = out.nodes[n].mesh!;
    out.meshes[mi].primitives.forEach((p, pi) => {
      litPrims.add(`${mi}/${pi}`);
      if (!lit.has(p.material)) lit.set(p.material, new Set());
      lit.get(p.material)!.add(prims[pi]);
    });
  }
  const unlitUse = new Set<number>();
  out.meshes.forEach((m, mi) =>
    m.primitives.forEach((p, pi) => {
      if (!litPrims.has(`${mi}/${pi}`)) unlitUse.add(p.material);
    }),
  );
  const variant = new Map<string, number>();
  const materialFor = (mat: number, page: number): number => {
    const key = `${mat}/${page}`;
    const hit = variant.get(key);
    if (hit !== undefined) return hit;
    const base: Material = mat >= 0 ? scene.materials[mat] : defaultLit();
    const only = mat >= 0 && !unlitUse.has(mat) && lit.get(mat)!.size === 1;
    const m: Material = only ? out.materials[mat] : { ...base, name: `${base.name}@lightmap${page}` };
    if (opts.unlit) {
      const emissive = m.emissiveFactor.some((c) => c > 0) && m.emissiveStrength > 0;
      m.unlit = true;
      if (emissive) {
        m.baseColorFactor = [
          ...m.emissiveFactor.map((c) => Math.min(1, c * m.emissiveStrength)),
          m.baseColorFactor[3],
        ] as Material['baseColorFactor'];
        delete m.baseColorTexture;
      } else {
        m.baseColorTexture = { texture: texOf[page], texCoord: 1 };
      }
    } else {
      m.lightmap = { texture: texOf[page], intensity: Math.PI * pages[page].scale };
    }
    let index = mat;
    if (!only) {
      out.materials.push(m);
      index = out.materials.length - 1;
    }
    variant.set(key, index);
    return index;
  };
  for (const [n, prims] of layout.primitivePages) {
    const mi = out.nodes[n].mesh!;
    out.meshes[mi].primitives.forEach((p, pi) => {
      p.material = materialFor(p.material, prims[pi]);
    });
  }
  return out;
}

/**
 * The material written for lightmapped primitives that had none. The bake, like every DCC tool, lights a
 * material-less primitive as white dielectric (addon bake_binding: default_material); glTF's implicit default is a
 * rough metal, which a viewer lights through its specular term only (three.js: lightMap × base × (1 − metalness) =
 * 0). So the output names a dielectric explicitly, and viewers show what was baked.
 */
function defaultLit(): Material {
  return { ...defaultMaterial('default'), metallicFactor: 0 };
}
