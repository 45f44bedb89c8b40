/**
 * What a surface looks like at a point of one of its triangles, for the direct conversion: the material's colour
 * (base colour factor x texture x vertex colour, a lightmap where one was baked, plus emission), its alpha, and
 * how much of a triangle an alpha-tested material leaves standing. Textures arrive decoded; no Node builtins.
 */
import { SRGB8_TO_LINEAR } from '../image/float-image.js';
import type { DecodedTexture } from '../io/textures.js';
import type { Material, Primitive, TextureRef } from '../scene/types.js';

function sampleTexture(tex: DecodedTexture, u: number, v: number, srgb: boolean): [number, number, number, number] {
  // Bilinear with repeat wrapping (glTF's default sampler).
  const x = (u - Math.floor(u)) * tex.width - 0.5,
    y = (v - Math.floor(v)) * tex.height - 0.5;
  const x0 = Math.floor(x),
    y0 = Math.floor(y),
    fx = x - x0,
    fy = y - y0;
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const xx = (((x0 + (k & 1)) % tex.width) + tex.width) % tex.width,
      yy = (((y0 + (k >> 1)) % tex.height) + tex.height) % tex.height;
    const w = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy),
      o = 4 * (yy * tex.width + xx);
    for (let c = 0; c < 4; c++)
      out[c] += w * (srgb && c < 3 ? SRGB8_TO_LINEAR[tex.data[o + c]] : tex.data[o + c] / 255);
  }
  return out;
}

function texUv(ref: TextureRef, prim: Primitive, idx: number[], bary: number[]): [number, number] | undefined {
  const uvs = ref.texCoord === 1 ? prim.uv1 : prim.uv0;
  if (!uvs) return undefined;
  let u = 0,
    v = 0;
  for (let k = 0; k < 3; k++) {
    u += bary[k] * uvs[2 * idx[k]];
    v += bary[k] * uvs[2 * idx[k] + 1];
  }
  const t = ref.transform;
  if (t) {
    // KHR_texture_transform: scale, then rotate, then offset.
    const su = u * t.scale[0],
      sv = v * t.scale[1],
      c = Math.cos(t.rotation),
      s = Math.sin(t.rotation);
    u = c * su + s * sv + t.offset[0];
    v = -s * su + c * sv + t.offset[1];
  }
  return [u, v];
}

/** Linear surface colour (RGB) and alpha at barycentric `bary` of triangle `t` of `prim`. */
export function surfaceColor(
  prim: Primitive,
  mat: Material | undefined,
  t: number,
  bary: number[],
  textures: (DecodedTexture | undefined)[],
): [number, number, number, number] {
  const idx = [prim.indices[3 * t], prim.indices[3 * t + 1], prim.indices[3 * t + 2]];
  const f = mat?.baseColorFactor ?? [1, 1, 1, 1];
  const c: [number, number, number, number] = [f[0], f[1], f[2], f[3]];
  if (mat?.baseColorTexture) {
    const tex = textures[mat.baseColorTexture.texture],
      uv = texUv(mat.baseColorTexture, prim, idx, bary);
    if (tex && uv) {
      const s = sampleTexture(tex, uv[0], uv[1], true);
      for (let k = 0; k < 4; k++) c[k] *= s[k];
    }
  }
  if (prim.colors)
    for (let k = 0; k < 4; k++)
      c[k] *=
        bary[0] * prim.colors[4 * idx[0] + k] +
        bary[1] * prim.colors[4 * idx[1] + k] +
        bary[2] * prim.colors[4 * idx[2] + k];
  if (mat?.lightmap) {
    const tex = textures[mat.lightmap.texture],
      uv = texUv({ texture: mat.lightmap.texture, texCoord: 1 }, prim, idx, bary);
    if (tex && uv) {
      const s = sampleTexture(tex, uv[0], uv[1], true);
      for (let k = 0; k < 3; k++) c[k] *= s[k] * mat.lightmap.intensity;
    }
  }
  if (mat) {
    let e = [mat.emissiveFactor[0], mat.emissiveFactor[1], mat.emissiveFactor[2]].map((v) => v * mat.emissiveStrength);
    if (mat.emissiveTexture && e.some((v) => v > 0)) {
      const tex = textures[mat.emissiveTexture.texture],
        uv = texUv(mat.emissiveTexture, prim, idx, bary);
      if (tex && uv) {
        const s = sampleTexture(tex, uv[0], uv[1], true);
        e = e.map((v, k) => v * s[k]);
      }
    }
    for (let k = 0; k < 3; k++) c[k] += e[k];
  }
  return c;
}

/**
 * Texture detail over a triangle: the spread of the base colour texture's luminance at its corners and centroid
 * (nearest texel, no allocation: this runs once per triangle), times how many texels the triangle covers (a
 * detailed texture on a big triangle wants more, smaller Gaussians).
 */
export function textureDetail(prim: Primitive, ref: TextureRef, tex: DecodedTexture, t: number): number {
  const uvs = ref.texCoord === 1 ? prim.uv1 : prim.uv0;
  if (!uvs) return 0;
  const I = prim.indices,
    a = I[3 * t],
    b = I[3 * t + 1],
    c = I[3 * t + 2];
  const sx = ref.transform?.scale[0] ?? 1,
    sy = ref.transform?.scale[1] ?? 1;
  const u0 = uvs[2 * a] * sx,
    v0 = uvs[2 * a + 1] * sy,
    u1 = uvs[2 * b] * sx,
    v1 = uvs[2 * b + 1] * sy,
    u2 = uvs[2 * c] * sx,
    v2 = uvs[2 * c + 1] * sy;
  const lum = (u: number, v: number) => {
    const x = Math.floor((u - Math.floor(u)) * tex.width) % tex.width,
      y = Math.floor((v - Math.floor(v)) * tex.height) % tex.height;
    const o = 4 * (y * tex.width + x);
    return (
      0.2126 * SRGB8_TO_LINEAR[tex.data[o]] +
      0.7152 * SRGB8_TO_LINEAR[tex.data[o + 1]] +
      0.0722 * SRGB8_TO_LINEAR[tex.data[o + 2]]
    );
  };
  const l0 = lum(u0, v0),
    l1 = lum(u1, v1),
    l2 = lum(u2, v2),
    l3 = lum((u0 + u1 + u2) / 3, (v0 + v1 + v2) / 3);
  const mean = (l0 + l1 + l2 + l3) / 4;
  const sd = Math.sqrt(((l0 - mean) ** 2 + (l1 - mean) ** 2 + (l2 - mean) ** 2 + (l3 - mean) ** 2) / 4);
  const texels = Math.abs((u1 - u0) * (v2 - v0) - (u2 - u0) * (v1 - v0)) * 0.5 * tex.width * tex.height;
  return 3 * sd * Math.min(4, Math.log2(1 + texels));
}

/**
 * Alpha at barycentric `bary` of triangle `t` (base colour factor x texture x vertex colour): what alpha testing
 * compares with the cutoff. `bary` may lie outside the triangle: its UVs are extended linearly, as across a card.
 */
export function surfaceAlpha(
  prim: Primitive,
  mat: Material | undefined,
  t: number,
  bary: number[],
  textures: (DecodedTexture | undefined)[],
): number {
  let a = mat?.baseColorFactor[3] ?? 1;
  const idx = [prim.indices[3 * t], prim.indices[3 * t + 1], prim.indices[3 * t + 2]];
  if (mat?.baseColorTexture) {
    const tex = textures[mat.baseColorTexture.texture],
      uv = texUv(mat.baseColorTexture, prim, idx, bary);
    if (tex && uv) a *= sampleTexture(tex, uv[0], uv[1], true)[3];
  }
  if (prim.colors)
    a *=
      bary[0] * prim.colors[4 * idx[0] + 3] +
      bary[1] * prim.colors[4 * idx[1] + 3] +
      bary[2] * prim.colors[4 * idx[2] + 3];
  return a;
}

/** Whether alpha testing keeps the surface at `alpha` (materials without MASK keep it all). */
export const keepsSurface = (mat: Material | undefined, alpha: number): boolean =>
  mat?.alphaMode !== 'MASK' || alpha >= mat.alphaCutoff;

/** Barycentric points of a 4 x 4 stratified grid over a triangle (cell centres folded into it). */
const COVERAGE_POINTS: number[][] = (() => {
  const pts: number[][] = [];
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) {
      let r1 = (i + 0.5) / 4,
        r2 = (j + 0.5) / 4;
      if (r1 + r2 > 1) {
        r1 = 1 - r1;
        r2 = 1 - r2;
      }
      pts.push([1 - r1 - r2, r1, r2]);
    }
  return pts;
})();

/**
 * The share of triangle `t` that alpha testing keeps (16 stratified points; 1 for materials without MASK): the
 * conversion spreads its Gaussians over what is drawn, not over the cut-out parts of a leaf card.
 */
export function triangleCoverage(
  prim: Primitive,
  mat: Material | undefined,
  t: number,
  textures: (DecodedTexture | undefined)[],
): number {
  if (mat?.alphaMode !== 'MASK') return 1;
  let kept = 0;
  for (const b of COVERAGE_POINTS) if (keepsSurface(mat, surfaceAlpha(prim, mat, t, b, textures))) kept++;
  return kept / COVERAGE_POINTS.length;
}
