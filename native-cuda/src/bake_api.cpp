// The bake API's host-side entry work: unpacking and validating the packed records (bake/packed.h), and choosing
// what a bake or reference render traces (prepare_traced_scene). Bindings call these and only marshal.
#include <math.h>
#include <string.h>

#include <string>

#include "ote/bake/bake.h"
#include "ote/bake/packed.h"
#include "ote/options.h"

namespace ote {
namespace {

std::string indexed(const char* what, size_t i) { return std::string(what) + "[" + std::to_string(i) + "]"; }

Result length_multiple(const char* what, size_t count, uint32_t record) {
  if (count % record)
    return Result::invalid(std::string(what) + " length " + std::to_string(count) + " is not a multiple of " +
                           std::to_string(record));
  return Result::ok();
}

// A packed record copied out of its array: the arrays are typed arrays of float / uint32, the records structs of
// the same 4-byte elements; memcpy keeps that free of aliasing questions.
template <class T, class E>
T record_at(const E* packed, size_t i) {
  T r;
  memcpy(&r, packed + i * (sizeof(T) / sizeof(E)), sizeof(T));
  return r;
}

Result nonnegative(const char* field, const float* v, int n) {
  for (int c = 0; c < n; ++c)
    if (!(v[c] >= 0) || !isfinite(v[c]))
      return Result::invalid(std::string(field) + " must be finite and >= 0, got " + format_number(v[c]) +
                             (n > 1 ? " in component " + std::to_string(c) : std::string()));
  return Result::ok();
}

Result unit(const char* field, float v) {
  if (!(v >= 0 && v <= 1)) return Result::invalid(std::string(field) + " must be a number in [0, 1], got " + format_number(v));
  return Result::ok();
}

Result texture_ref(const char* field, const PackedTextureRef& p, uint32_t texture_count, BakeTextureRef& r) {
  r.texture = int32_t(p.texture);
  if (!(p.texture >= -1 && p.texture < float(texture_count)) || float(r.texture) != p.texture)
    return Result::invalid(std::string(field) + ".texture must be -1 or a texture of the table (" +
                           std::to_string(texture_count) + "), got " + format_number(p.texture));
  for (int c = 0; c < 6; ++c) {
    if (!isfinite(p.uv_transform[c]))
      return Result::invalid(std::string(field) + ".uvTransform[" + std::to_string(c) + "] must be finite, got " +
                             format_number(p.uv_transform[c]));
    r.uv_transform[c] = p.uv_transform[c];
  }
  return Result::ok();
}

}  // namespace

Result unpack_textures(const uint32_t* packed, size_t count, uint64_t texel_bytes, std::vector<BakeTexture>& out) {
  out.clear();
  if (Result r = length_multiple("textures", count, kPackedTextureUints); !r) return r;
  for (size_t t = 0; t < count / kPackedTextureUints; ++t) {
    const PackedTexture p = record_at<PackedTexture>(packed, t);
    const BakeTexture bt{p.width, p.height, 4ull * p.first_pixel};
    if (bt.width == 0 || bt.height == 0 || bt.offset + 4ull * bt.width * bt.height > texel_bytes)
      return Result::invalid(indexed("textures", t) + " is empty or runs past the texels (" +
                             std::to_string(p.width) + "x" + std::to_string(p.height) + " from pixel " +
                             std::to_string(p.first_pixel) + ", " + std::to_string(texel_bytes / 4) + " pixels)");
    out.push_back(bt);
  }
  return Result::ok();
}

Result unpack_material(const float* packed, uint32_t texture_count, BakeMaterial& out) {
  const PackedMaterial p = record_at<PackedMaterial>(packed, 0);
  out = BakeMaterial{};
  if (Result r = nonnegative("baseColor", p.base_color, 3); !r) return r;
  if (Result r = nonnegative("emission", p.emission, 3); !r) return r;
  for (int c = 0; c < 3; ++c) out.albedo[c] = p.base_color[c], out.emission[c] = p.emission[c];
  out.double_sided = p.double_sided != 0;
  if (Result r = texture_ref("baseColorTexture", p.base_color_texture, texture_count, out.base_color_texture); !r) return r;
  if (Result r = texture_ref("emissiveTexture", p.emissive_texture, texture_count, out.emissive_texture); !r) return r;
  if (Result r = unit("metallic", p.metallic); !r) return r;
  if (Result r = unit("roughness", p.roughness); !r) return r;
  out.metallic = p.metallic, out.roughness = p.roughness;
  if (Result r = texture_ref("metallicRoughnessTexture", p.metallic_roughness_texture, texture_count,
                             out.metallic_roughness_texture); !r)
    return r;
  if (Result r = unit("alpha", p.alpha); !r) return r;
  if (!(p.alpha_mode == kAlphaOpaque || p.alpha_mode == kAlphaMask || p.alpha_mode == kAlphaBlend))
    return Result::invalid("alphaMode must be 0 (OPAQUE), 1 (MASK) or 2 (BLEND), got " + format_number(p.alpha_mode));
  if (!isfinite(p.alpha_cutoff)) return Result::invalid("alphaCutoff must be finite, got " + format_number(p.alpha_cutoff));
  out.alpha = p.alpha, out.alpha_mode = uint32_t(p.alpha_mode), out.alpha_cutoff = p.alpha_cutoff;
  return Result::ok();
}

Result unpack_materials(const float* packed, size_t count, uint32_t texture_count, std::vector<BakeMaterial>& out) {
  out.clear();
  if (Result r = length_multiple("materials", count, kPackedMaterialFloats); !r) return r;
  out.resize(count / kPackedMaterialFloats);
  for (size_t m = 0; m < out.size(); ++m)
    if (Result r = unpack_material(packed + size_t(kPackedMaterialFloats) * m, texture_count, out[m]); !r)
      return r.within(indexed("materials", m));
  return Result::ok();
}

Result unpack_lights(const float* packed, size_t count, std::vector<BakeLight>& out) {
  out.clear();
  if (Result r = length_multiple("lights", count, kPackedLightFloats); !r) return r;
  for (size_t l = 0; l < count / kPackedLightFloats; ++l) {
    const PackedLight p = record_at<PackedLight>(packed, l);
    if (!(p.type == kLightDirectional || p.type == kLightPoint || p.type == kLightSpot))
      return Result::invalid(indexed("lights", l) + ".type must be 0 (directional), 1 (point) or 2 (spot), got " +
                             format_number(p.type));
    BakeLight bl{};
    bl.type = uint32_t(p.type);
    for (int c = 0; c < 3; ++c) bl.color[c] = p.color[c], bl.position[c] = p.position[c], bl.direction[c] = p.direction[c];
    bl.size = p.size, bl.range = p.range, bl.cos_inner = p.cos_inner, bl.cos_outer = p.cos_outer;
    out.push_back(bl);
  }
  return Result::ok();
}

Result unpack_sky(const float* packed, size_t count, BakeInputs& in) {
  if (count != kPackedSkyFloats)
    return Result::invalid("sky has length " + std::to_string(count) + ", expected " + std::to_string(kPackedSkyFloats));
  const PackedSky p = record_at<PackedSky>(packed, 0);
  if (!(p.type == kSkyNone || p.type == kSkyConstant || p.type == kSkyGradient))
    return Result::invalid("sky.type must be 0 (none), 1 (constant) or 2 (gradient), got " + format_number(p.type));
  if (Result r = nonnegative("sky.zenith", p.zenith, 3); !r) return r;
  if (Result r = nonnegative("sky.horizon", p.horizon, 3); !r) return r;
  if (Result r = nonnegative("sky.ground", p.ground, 3); !r) return r;
  in.sky_type = uint32_t(p.type);
  for (int c = 0; c < 3; ++c) in.sky_zenith[c] = p.zenith[c], in.sky_horizon[c] = p.horizon[c], in.sky_ground[c] = p.ground[c];
  return Result::ok();
}

Status prepare_traced_scene(const BakeInputs& in, bool flatten, TracedScene& out, const JobControl& ctl) {
  out.source = &in;
  out.flattened = flatten && flatten_bake_inputs(in, out.world);
  // The BVH build is a short prelude to the bake: it shares the cancel flag but not the progress bar.
  const JobControl quiet{ctl.cancel, nullptr};
  return build_scene_bvh(*out.inputs().flat, BvhBuildOptions{}, out.bvh, quiet);
}

}  // namespace ote
