// Lightmap baking and the reference renderer over the ray-tracing core. Plain structs over flat arrays.
//
//   bake_lightmaps(scene_inputs, texels, params, out)  // texel setup (UV1 raster + leak repair), progressive
//                                                      // path tracing with per-texel early stop
//   render_reference(scene_inputs, view, mode, ...)   // path-traced or lightmapped camera view
#pragma once
#include <stdint.h>

#include <vector>

#include "../bvh/scene_bvh.h"
#include "../device.h"
#include "../flat_scene.h"
#include "../job_control.h"
#include "transport.h"

namespace ote {

// What baking and the reference renderer read besides the BVH: materials (bake/surface.h), lights, sky, and per
// FlatScene triangle its lightmap UV1 corners, page and object-space corner normals.
struct BakeInputs {
  const FlatScene* flat;
  const int32_t* triangle_material;  // per FlatScene triangle, -1 = default
  const BakeMaterial* materials;
  uint32_t material_count;
  BakeMaterial default_material;
  const BakeLight* lights;
  uint32_t light_count;
  uint32_t sky_type;
  float sky_zenith[3], sky_horizon[3], sky_ground[3];
  // Per FlatScene triangle: UV1 corners (6 floats, page-normalized), page (-1 = not lightmapped), corner normals
  // in object space (9 floats; zero = use the geometric normal). Each lightmapped mesh must be drawn once.
  const float* triangle_uv1;
  const int32_t* triangle_page;
  const float* triangle_normals;
  uint32_t page_count;
  const uint32_t* page_width;
  const uint32_t* page_height;
  // Optional (nullptr = none), per FlatScene triangle: UV0 corners (6 floats) for the materials' textures, linear
  // RGB vertex colours (9 floats) that multiply the base colour.
  const float* triangle_uv0 = nullptr;
  const float* triangle_color = nullptr;
  // The flat texture table: texture_count BakeTexture headers into `texels` (RGBA8: colour textures sRGB,
  // metallicRoughness and alpha linear; bake/surface.h).
  const BakeTexture* textures = nullptr;
  uint32_t texture_count = 0;
  const uint8_t* texels = nullptr;
  uint64_t texel_bytes = 0;
  // Optional: world-space eye positions (3 floats each) of the views the result will be seen from. A double-sided
  // texel visible from some of them, all on one side of it, is baked for that side (its one lightmap value serves
  // both faces); with none, or seen from both sides, it is baked for the side its authored normals face.
  const float* viewpoints = nullptr;
  uint32_t viewpoint_count = 0;
  // Optional, the bake's final gather (transport.h incident): per page, width × height × 4 floats, a finished bake
  // of this same layout (RGB = L, A = AO; dilated into the padding). nullptr: no gather, every path runs to its end.
  const float* const* gather_pages = nullptr;
  // Optional (nullptr = none), lighting-only geometry (bake/surface.h camera_hidden): camera rays pass through it,
  // every transport ray sees it. 1 per FlatScene instance that is hidden, or 1 per FlatScene triangle (the form
  // flatten_bake_inputs turns the first into). The reference renderer reads them; the bake has no camera rays.
  const uint8_t* instance_camera_hidden = nullptr;
  const uint8_t* triangle_camera_hidden = nullptr;
};

// The scene flattened into world space for baking: every drawn triangle once, one identity instance, and every
// per-triangle input (material, UVs, page, colours; normals turned into world space) copied along. Rays then
// traverse one BVH with no top level and no per-instance transforms, which on the small, instance-light scenes
// lightmaps are baked for is most of the traversal cost. Owns what `in` and `flat` point to.
struct WorldBakeInputs {
  BakeInputs in{};
  FlatScene flat{};
  std::vector<float> positions, xform, uv1, normals, uv0, color;
  std::vector<uint32_t> indices, mesh_first, instance_mesh;
  std::vector<int32_t> material, page;
  std::vector<uint8_t> camera_hidden;
};
// Fills `w` and returns true, unless the drawn triangles exceed max(max_triangles, max_factor × stored ones)
// (heavy instancing: keep the two-level BVH, which stores each mesh once), then returns false and leaves `w` empty.
bool flatten_bake_inputs(const BakeInputs& in, WorldBakeInputs& w, uint64_t max_triangles = 4u << 20,
                         double max_factor = 2.0);

// Defaults are the callers' defaults; ranges and public names: bake/options.h kBakeOptions.
struct BakeParams {
  uint32_t samples = 256;         // most samples per texel
  uint32_t min_samples = 32;      // before a texel may stop early
  float noise_threshold = 0.05f;  // stop when the standard error of the mean luminance < threshold × mean (texel_step.h)
  uint32_t batch = 16;            // samples per progressive pass
  uint32_t seed = 1;
  // Bake only every texel_stride-th covered texel, in page and raster order (1 = all): a sample spread evenly over
  // the whole layout, which a time target's calibration times. The others come back invalid.
  uint32_t texel_stride = 1;
  // Bake only the covered texels whose ordinal is in [texel_begin, texel_end) (with texel_stride: those of them
  // that are a multiple of it); the others come back invalid (0 in every output, as with the stride). The ordinal
  // is a texel's index among all covered texels of the layout, page-major then raster order (row by row); an
  // empty range (begin >= end) bakes nothing. A texel's result depends only on its ordinal, the params and the
  // scene, never on which other texels are baked (texel_step.h: the seed is (seed, ordinal, sample) and the early
  // stop's scene mean comes from a fixed subsample of texels that every bake traces): so bakes of ranges that
  // partition [0, covered) assemble, texel by texel, into exactly the bake of the whole (ts-core bake/split.ts).
  uint32_t texel_begin = 0;
  uint32_t texel_end = 0xffffffffu;
  TransportParams transport;
};

struct BakeOutput {
  // Per page: width × height RGBA floats: RGB = L (irradiance / π), A = ambient occlusion; invalid texels 0.
  float** page_rgba;
  // Per page: width × height bytes, 1 where a triangle covers the texel (conservatively).
  uint8_t** page_valid;
  // Per page: samples taken per texel (progressive early stop makes them differ).
  uint32_t** page_samples;
  // Optional (nullptr to skip), per page: width × height × 3 floats, the part of RGB that the next-event samples
  // at the texel found (direct light from lights, emitters and the sky through portals: transport::incident's
  // `direct`, never more than RGB). RGB − direct came by bounce rays. Post filters the two apart; invalid texels 0.
  float** page_direct = nullptr;
  // Optional (nullptr to skip), per page: sample position and normal (3 floats per texel), the denoiser's guides.
  float** page_position = nullptr;
  float** page_normal = nullptr;
  // Optional, per page: the texel's tangent frame (3 floats each): unit tangent along +U1 and bitangent along +V1
  // of the lightmap UVs, orthonormal to the normal (for directional lightmaps and normal-mapped relighting).
  float** page_tangent = nullptr;
  float** page_bitangent = nullptr;
  // Optional (nullptr to skip), per page: width × height counts of the rays the texel traced (all its samples'
  // camera-side, bounce, shadow and AO rays; 0 where invalid). Deterministic like the texel's value: a measure of its
  // cost that does not depend on the machine or on which other texels were baked (bake/split.ts's cost pre-pass).
  uint32_t** page_rays = nullptr;
  // Filled by the call. texels: baked; covered: covered texels of the whole layout (the ordinals are [0, covered));
  // probe_texels: texels traced only for the early stop's scene mean (outside the range; first pass only); rays and
  // texel_samples count them too.
  uint64_t texels = 0, texel_samples = 0, rays = 0, repaired_texels = 0;
  uint64_t covered = 0, probe_texels = 0;
  uint32_t min_texel_samples = 0, max_texel_samples = 0;
  double setup_seconds = 0, trace_seconds = 0;
  double raster_seconds = 0;  // the part of setup_seconds spent on the conservative raster of every page texel
  // The part of setup_seconds spent on the whole scene whichever texels are baked (emitters, texel sizes, sky and sun
  // portals): a strided calibration pays it once, as the bake does, so it must not be priced per texel.
  double scene_seconds = 0;
  double trace_cpu_seconds = 0;  // process CPU time while tracing: the rate a loaded machine still measures
};

// What a bake or a reference render traces, chosen here so that every caller traces the same: a world-space copy
// of the inputs (flatten_bake_inputs: one BVH, no instance transforms) when `flatten` is set and the scene is not
// too heavily instanced, else the inputs as given; and the BVH over it. Owns the copy; the inputs it was prepared
// from must outlive it. Not movable once prepared (the copy's BakeInputs points into its own arrays).
struct TracedScene {
  const BakeInputs* source = nullptr;
  WorldBakeInputs world;
  bool flattened = false;
  SceneBvh bvh;
  const BakeInputs& inputs() const { return flattened ? world.in : *source; }
  TracedScene() = default;
  TracedScene(const TracedScene&) = delete;
  TracedScene& operator=(const TracedScene&) = delete;
};
// Builds on the calling thread (a worker's: the copy is as large as the drawn triangles). The BVH build shares
// ctl's cancel flag but reports no progress: it is a short prelude to the job whose progress the caller shows.
Status prepare_traced_scene(const BakeInputs& in, bool flatten, TracedScene& out, const JobControl& ctl);

// Progress reports texels × samples done over texels × max samples.
Status bake_lightmaps(const BakeInputs& in, const SceneBvh& bvh, const BakeParams& p, BakeOutput& out,
                      Backend backend, const JobControl& ctl);

// Texel setup, shared by the CPU and CUDA drivers: per texel its world position and normal (after leak repair).
// The first `baked` texels are the ones p's stride and range select, in page-major, row-major order; after them
// come the probe texels outside the selection, which are traced in the first pass only, for the scene mean.
struct TexelSet {
  std::vector<float> position, normal;  // 3 floats each per texel
  std::vector<float> tangent, bitangent;  // 3 floats each per texel: UV1 directions, orthonormal to the normal
  std::vector<uint32_t> page, index;    // page and y * width + x
  std::vector<uint32_t> ordinal;        // among all covered texels of the layout: the texel's seed
  std::vector<uint32_t> probe;          // indices into the set of the scene mean's texels, in ordinal order
  uint64_t baked = 0, covered = 0, repaired = 0;
};
Status setup_texels(const BakeInputs& in, const SceneBvh& bvh, BakeOutput& out, TexelSet& ts, const JobControl& ctl,
                    const BakeParams& p);

// The transport's view of a scene: emitters gathered in world space from the materials, and the sky portals.
struct BakeSceneData {
  std::vector<EmitterTri> emitters;
  std::vector<float> emitter_cdf;
  float emitter_power = 0;
  // sky_portals.h: the grid (its pointers unset here) and the arrays view() points it to.
  SkyPortalView portals{};
  std::vector<float> portal_share, portal_cdf;
  std::vector<uint32_t> portal_cells;
  // sky_portals.h: the sun's light vertices through the portals (its pointers unset here), and its arrays.
  SunPortalView sun{-1, 0, nullptr, nullptr, 0.0f};
  std::vector<uint32_t> sun_cells;
  std::vector<float> sun_cdf;
  // Per triangle, the world length of a lightmap texel's side on it (LightmapView::triangle_texel), for the final
  // gather; empty without gather pages.
  std::vector<float> triangle_texel;
  BakeSceneView view(const BakeInputs& in, const SceneBvhView& bvh) const;
};
void gather_emitters(const BakeInputs& in, BakeSceneData& d);
// The world length of a lightmap texel on each lightmapped triangle into d.triangle_texel, where in.gather_pages is
// set (the final gather reads the lightmap only past a few of them); 0 on triangles without a page or UV1 area.
void gather_texel_sizes(const BakeInputs& in, BakeSceneData& d);
// The sky portals of the scene (bake/sky_portals.h; cpu/sky_portals_cpu.cpp) into d: none without a sky, in an open
// scene, or where no sheltered surface sees the sky. Traces about 65k rays through `bvh`; cancellable by `ctl`,
// whose progress it does not report. Call after gather_emitters.
Status find_sky_portals(const BakeInputs& in, const SceneBvhView& bvh, BakeSceneData& d, const JobControl& ctl);
// The sun's portal cells (bake/sky_portals.h, SunPortalView) into d: the brightest directional light's, the portal
// cells of the faces it enters through. None without portals (call after find_sky_portals) or directional lights.
void find_sun_portals(const BakeInputs& in, BakeSceneData& d);
// FlatScene triangle `prim` of instance `inst` in world space, with its front-side unit geometric normal (the
// authored winding's side, flipped under a mirroring transform; zero for a degenerate triangle). Host only.
struct WorldTri {
  Vec3 p[3];
  Vec3 ng;
};
WorldTri world_triangle(const FlatScene& f, uint32_t prim, uint32_t inst);
// The interpolated shading normal of triangle `prim` of instance `inst` at barycentrics (u, v), facing the side of
// the geometric normal `ng` (double-sided surfaces flip it; normals below the surface fall back to `ng`). Host only:
// the texel setup and the reference renderer share it.
Vec3 shading_normal(const BakeInputs& in, uint32_t prim, uint32_t inst, float u, float v, Vec3 ng);
// 256 floats: sRGB byte → linear, what BakeSceneView::srgb_to_linear points to on the host.
const float* srgb_to_linear_table();

// The progressive passes over a TexelSet (all of it in the first pass, its first `baked` texels after): per texel
// Σ L and AO (4 floats), Σ direct light (3 floats), samples and rays taken.
Status bake_texels_cpu(const BakeSceneView& s, const BakeParams& p, const TexelSet& ts, float* rgba_sum,
                       float* direct_sum, uint32_t* samples, uint32_t* texel_rays, BakeOutput& out,
                       const JobControl& ctl);
Status bake_texels_cuda(const BakeInputs& in, const SceneBvh& bvh, const BakeSceneData& d, const BakeParams& p,
                        const TexelSet& ts, float* rgba_sum, float* direct_sum, uint32_t* samples,
                        uint32_t* texel_rays, BakeOutput& out,
                        const JobControl& ctl);

enum class ReferenceMode : int { PathTraced = 0, Lightmapped = 1 };

// Defaults are the callers' defaults; ranges and public names: bake/options.h kReferenceViewOptions.
struct ReferenceView {
  float camera_to_world[16];  // looks down local -Z, +Y up (glTF)
  float yfov = 0.8f;
  uint32_t width = 256, height = 256;
  float znear = 0.01f, zfar = 1e30f;
  uint32_t spp = 16;
  uint32_t seed = 1;
  // Rows rendered, [row_begin, row_end) (row_end 0: to the last row); rgba holds only these rows. Each pixel is
  // seeded by its index in the whole image, so bands rendered apart join into the whole image bit for bit.
  uint32_t row_begin = 0, row_end = 0;
  float background[3] = {0, 0, 0};
  // Optional, path-traced mode: the rays each pixel traced (camera rays included), one per pixel of the rows
  // rendered; a deterministic measure of its cost (what a split into bands of equal cost weighs rows by).
  uint32_t* pixel_rays = nullptr;
  // Lightmapped mode: the baked pages (RGBA float as bake_lightmaps wrote them).
  const float* const* pages = nullptr;
};

// Render into rgba (width × rows × 4 floats, linear, top row first; alpha = coverage; rows: v.row_begin..row_end,
// InvalidArgument when empty). Camera samples are
// jittered the same way in both modes, so the two images differ only by the lighting; camera rays skip alpha
// cut-outs and back faces of single-sided materials (surf::trace_visible), as the preview renderer's do.
Status render_reference(const BakeInputs& in, const SceneBvh& bvh, const ReferenceView& v, ReferenceMode mode,
                        const TransportParams& tp, float* rgba, Backend backend, const JobControl& ctl);

}  // namespace ote
