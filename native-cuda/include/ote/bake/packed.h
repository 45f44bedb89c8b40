// The records TypeScript packs for the transport (ts-core/src/native/transport-inputs.ts), declared once: the bake,
// the reference renderer and the preview renderer read the same tables.
//
// Each record is a struct of 4-byte fields without padding, so a packed array is an array of these structs: record
// i of a Float32Array `a` is a[kFloats × i, kFloats × (i + 1)) and its field f starts at a[kFloats × i + offset of
// f]. The field tables below name every field as TypeScript does, in order; static_asserts tie them to the structs,
// the addon reports them (`layouts()`, addon/src/layouts_binding.cpp), and ts-core/src/native/layouts.ts is the
// TypeScript mirror that ts-core/test/native/layouts.test.ts checks against that report.
//
//   std::vector<BakeMaterial> materials;
//   Result r = unpack_materials(floats, float_count, texture_count, materials);
//   if (!r) throw ...(r.message);  // "materials[3].metallic must be a number in [0, 1], got 2"
//
// Host only: the kernels read the unpacked structs (BakeMaterial, BakeLight, BakeTexture, BakeInputs' sky).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <vector>

#include "../result.h"
#include "bake.h"

namespace ote {

// A texture bound to a material (BakeTextureRef): an index into the texture table, -1 for none (an integer), and
// the KHR_texture_transform of UV0 as a 2x3 affine map (finite).
struct PackedTextureRef {
  float texture;
  float uv_transform[6];
};

// One material (BakeMaterial, bake/surface.h).
struct PackedMaterial {
  float base_color[3];  // base colour factor, linear RGB, >= 0; 0 for KHR_materials_unlit (it reflects nothing)
  float emission[3];    // emissive factor × strength, >= 0
  float double_sided;   // 0 or 1
  PackedTextureRef base_color_texture;  // sRGB colour; its alpha (linear) is coverage
  PackedTextureRef emissive_texture;    // sRGB
  float metallic;       // [0, 1]
  float roughness;      // perceptual, [0, 1]
  PackedTextureRef metallic_roughness_texture;  // read linear: B metallic, G roughness
  float alpha;          // base colour factor's alpha, [0, 1]
  float alpha_mode;     // BakeAlphaMode: 0 OPAQUE, 1 MASK, 2 BLEND
  float alpha_cutoff;   // MASK threshold, finite
};

// One KHR_lights_punctual light in world space (BakeLight, bake/transport.h).
struct PackedLight {
  float type;          // BakeLightType: 0 directional, 1 point, 2 spot
  float color[3];      // colour × intensity (lux for directional, candela for point and spot)
  float position[3];   // world; point and spot
  float direction[3];  // unit vector the light travels along; directional and spot
  float size;          // sphere radius (point, spot) or angular diameter in radians (directional); 0 = hard shadows
  float range;         // 0 = infinite
  float cos_inner, cos_outer;  // spot cone
};

// The sky (BakeInputs::sky_*): none (interiors), a constant radiance, or a vertical gradient.
struct PackedSky {
  float type;  // SkyType: 0 none, 1 constant (zenith is the radiance), 2 gradient
  float zenith[3], horizon[3], ground[3];  // linear RGB radiance, >= 0
};

// One entry of the flat texture table (a Uint32Array): a texture's RGBA8 pixels (sRGB colour, linear alpha, top
// row first) at pixel first_pixel of the texels array (4 bytes per pixel).
struct PackedTexture {
  uint32_t width, height;
  uint32_t first_pixel;
};

// A field of a packed record: its TypeScript name and where it lies, in 4-byte elements.
struct PackedField {
  const char* name;
  uint32_t offset;
  uint32_t count;
};

#define OTE_PACKED_FIELD(S, member, name) \
  PackedField { name, uint32_t(offsetof(S, member) / 4), uint32_t(sizeof(S::member) / 4) }

inline constexpr PackedField kPackedTextureRefFields[] = {
    OTE_PACKED_FIELD(PackedTextureRef, texture, "texture"),
    OTE_PACKED_FIELD(PackedTextureRef, uv_transform, "uvTransform"),
};
inline constexpr PackedField kPackedMaterialFields[] = {
    OTE_PACKED_FIELD(PackedMaterial, base_color, "baseColor"),
    OTE_PACKED_FIELD(PackedMaterial, emission, "emission"),
    OTE_PACKED_FIELD(PackedMaterial, double_sided, "doubleSided"),
    OTE_PACKED_FIELD(PackedMaterial, base_color_texture, "baseColorTexture"),
    OTE_PACKED_FIELD(PackedMaterial, emissive_texture, "emissiveTexture"),
    OTE_PACKED_FIELD(PackedMaterial, metallic, "metallic"),
    OTE_PACKED_FIELD(PackedMaterial, roughness, "roughness"),
    OTE_PACKED_FIELD(PackedMaterial, metallic_roughness_texture, "metallicRoughnessTexture"),
    OTE_PACKED_FIELD(PackedMaterial, alpha, "alpha"),
    OTE_PACKED_FIELD(PackedMaterial, alpha_mode, "alphaMode"),
    OTE_PACKED_FIELD(PackedMaterial, alpha_cutoff, "alphaCutoff"),
};
inline constexpr PackedField kPackedLightFields[] = {
    OTE_PACKED_FIELD(PackedLight, type, "type"),
    OTE_PACKED_FIELD(PackedLight, color, "color"),
    OTE_PACKED_FIELD(PackedLight, position, "position"),
    OTE_PACKED_FIELD(PackedLight, direction, "direction"),
    OTE_PACKED_FIELD(PackedLight, size, "size"),
    OTE_PACKED_FIELD(PackedLight, range, "range"),
    OTE_PACKED_FIELD(PackedLight, cos_inner, "cosInner"),
    OTE_PACKED_FIELD(PackedLight, cos_outer, "cosOuter"),
};
inline constexpr PackedField kPackedSkyFields[] = {
    OTE_PACKED_FIELD(PackedSky, type, "type"),
    OTE_PACKED_FIELD(PackedSky, zenith, "zenith"),
    OTE_PACKED_FIELD(PackedSky, horizon, "horizon"),
    OTE_PACKED_FIELD(PackedSky, ground, "ground"),
};
inline constexpr PackedField kPackedTextureFields[] = {
    OTE_PACKED_FIELD(PackedTexture, width, "width"),
    OTE_PACKED_FIELD(PackedTexture, height, "height"),
    OTE_PACKED_FIELD(PackedTexture, first_pixel, "firstPixel"),
};
#undef OTE_PACKED_FIELD

// A record as `layouts()` reports it: 4-byte elements per record (float or uint32) and its fields.
struct PackedRecord {
  const char* name;
  const char* element;  // "f32" or "u32": the typed array the record is packed into
  uint32_t size;
  const PackedField* fields;
  uint32_t field_count;
};

// Whether `fields` list every element of a record of `size` elements exactly once, in order: a field missing
// from a table, or listed out of order, fails the static_asserts below.
template <size_t N>
constexpr bool fields_tile(const PackedField (&fields)[N], size_t size) {
  size_t at = 0;
  for (const PackedField& f : fields) {
    if (f.offset != at || f.count == 0) return false;
    at += f.count;
  }
  return at == size;
}

inline constexpr uint32_t kPackedMaterialFloats = sizeof(PackedMaterial) / 4;
inline constexpr uint32_t kPackedLightFloats = sizeof(PackedLight) / 4;
inline constexpr uint32_t kPackedSkyFloats = sizeof(PackedSky) / 4;
inline constexpr uint32_t kPackedTextureUints = sizeof(PackedTexture) / 4;
static_assert(sizeof(float) == 4 && alignof(PackedMaterial) == 4, "packed records are 4-byte elements");
static_assert(fields_tile(kPackedTextureRefFields, sizeof(PackedTextureRef) / 4), "PackedTextureRef table");
static_assert(fields_tile(kPackedMaterialFields, kPackedMaterialFloats), "PackedMaterial table");
static_assert(fields_tile(kPackedLightFields, kPackedLightFloats), "PackedLight table");
static_assert(fields_tile(kPackedSkyFields, kPackedSkyFloats), "PackedSky table");
static_assert(fields_tile(kPackedTextureFields, kPackedTextureUints), "PackedTexture table");

template <size_t N>
constexpr PackedRecord packed_record(const char* name, const char* element, uint32_t size,
                                     const PackedField (&fields)[N]) {
  return {name, element, size, fields, uint32_t(N)};
}
inline constexpr PackedRecord kPackedRecords[] = {
    packed_record("textureRef", "f32", sizeof(PackedTextureRef) / 4, kPackedTextureRefFields),
    packed_record("material", "f32", kPackedMaterialFloats, kPackedMaterialFields),
    packed_record("light", "f32", kPackedLightFloats, kPackedLightFields),
    packed_record("sky", "f32", kPackedSkyFloats, kPackedSkyFields),
    packed_record("texture", "u32", kPackedTextureUints, kPackedTextureFields),
};

// Unpacking and validation: each returns what is wrong, naming the record and field ("materials[3].alphaMode
// must be 0 (OPAQUE), 1 (MASK) or 2 (BLEND), got 4"), or ok. `count` is the array's length in elements.

// The texture table; every texture must lie inside `texel_bytes` bytes of texels.
Result unpack_textures(const uint32_t* packed, size_t count, uint64_t texel_bytes, std::vector<BakeTexture>& out);
// Materials; texture indices must be -1 or a texture of a table of `texture_count`.
Result unpack_material(const float* packed, uint32_t texture_count, BakeMaterial& out);
Result unpack_materials(const float* packed, size_t count, uint32_t texture_count, std::vector<BakeMaterial>& out);
Result unpack_lights(const float* packed, size_t count, std::vector<BakeLight>& out);
// Sets in.sky_type and the sky colours.
Result unpack_sky(const float* packed, size_t count, BakeInputs& in);

}  // namespace ote
