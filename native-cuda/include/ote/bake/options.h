// The options of the bake and the reference renderer as callers name them (ts-core/src/native/bake.ts
// BakeNativeOptions, TransportOptions, RenderReferenceOptions and View), with their ranges: the one place these
// are written. Defaults are the initializers of BakeParams, TransportParams and ReferenceView (bake/bake.h,
// bake/transport.h). Bindings pass each number the caller gave to set_option (ote/options.h) and forward its
// message; they check nothing themselves.
#pragma once
#include <math.h>

#include "../options.h"
#include "bake.h"
#include "lightmap_uv.h"

namespace ote {

inline constexpr NumberOption<BakeParams> kBakeOptions[] = {
    u32_option("samples", &BakeParams::samples, 1, 1 << 20),
    u32_option("minSamples", &BakeParams::min_samples, 1, 1 << 20),
    // A fraction of the texel's mean luminance (bake/texel_step.h): 0 takes every sample, 1 stops at minSamples
    // in all but the noisiest texels; more would mean nothing.
    f32_option("noiseThreshold", &BakeParams::noise_threshold, 0, 1),
    u32_option("batch", &BakeParams::batch, 1, 4096),
    u32_option("seed", &BakeParams::seed, 0, 4294967295.0),
    u32_option("texelStride", &BakeParams::texel_stride, 1, 4294967295.0),
    // Covered-texel ordinals [texelBegin, texelEnd) (bake.h BakeParams::texel_begin).
    u32_option("texelBegin", &BakeParams::texel_begin, 0, 4294967295.0, /*integer=*/true),
    u32_option("texelEnd", &BakeParams::texel_end, 0, 4294967295.0, /*integer=*/true),
};

inline constexpr NumberOption<TransportParams> kTransportOptions[] = {
    u32_option("bounces", &TransportParams::bounces, 0, 64),
    u32_option("russianRouletteFrom", &TransportParams::rr_start, 0, 64),
    f32_option("aoDistance", &TransportParams::ao_distance, 0, 1e30),
    f32_option("clampIndirect", &TransportParams::clamp_indirect, 0, 1e30),
    f32_option("gatherNear", &TransportParams::gather_near, 0, 1e6),
};

// renderReference's view (`view.*`) and its sampling (`options.spp`, `options.seed`).
inline constexpr NumberOption<ReferenceView> kReferenceViewOptions[] = {
    f32_option("yfov", &ReferenceView::yfov, 1e-4, 3.14),
    u32_option("width", &ReferenceView::width, 1, 16384),
    u32_option("height", &ReferenceView::height, 1, 16384),
    f32_option("znear", &ReferenceView::znear, 0, 1e30),
    f32_option("zfar", &ReferenceView::zfar, 0, INFINITY),
};
inline constexpr NumberOption<ReferenceView> kReferenceSamplingOptions[] = {
    u32_option("spp", &ReferenceView::spp, 1, 1 << 16),
    u32_option("seed", &ReferenceView::seed, 0, 4294967295.0),
    u32_option("rowBegin", &ReferenceView::row_begin, 0, 16384, /*integer=*/true),
    u32_option("rowEnd", &ReferenceView::row_end, 0, 16384, /*integer=*/true),
};

// generateLightmapUvs' options.
inline constexpr NumberOption<LightmapUvOptions> kLightmapUvOptions[] = {
    u32_option("pageSize", &LightmapUvOptions::page_size, 16, 16384, /*integer=*/true),
    u32_option("padding", &LightmapUvOptions::padding, 0, 64, /*integer=*/true),
    f32_option("maxConeDegrees", &LightmapUvOptions::max_cone_degrees, 1, 89, /*open=*/true),
};

}  // namespace ote
