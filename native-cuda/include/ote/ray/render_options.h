// The preview renderer's options as callers name them (renderView's params): ranges in one table (ote/options.h),
// defaults in the RenderParams initializers (ray/render.h), and the rules a table cannot state in
// check_render_params. render_view checks with it before it dispatches; the binding forwards its message
// ("renderView: params.width must be an integer in [1, 32768], got 0"). Host only.
#pragma once
#include <math.h>
#include <string>

#include "../options.h"
#include "../result.h"
#include "render.h"

namespace ote {

inline constexpr NumberOption<RenderParams> kRenderViewOptions[] = {
    f32_option("yfov", &RenderParams::yfov, 0, 3.14159, /*open=*/true),
    u32_option("width", &RenderParams::width, 1, 32768, /*integer=*/true),
    u32_option("height", &RenderParams::height, 1, 32768, /*integer=*/true),
    f32_option("znear", &RenderParams::znear, 0, INFINITY),
    f32_option("zfar", &RenderParams::zfar, 0, INFINITY),
    u32_option("spp", &RenderParams::spp, 1, 1 << 20, /*integer=*/true),
    u32_option("aoSamples", &RenderParams::ao_samples, 0, 1 << 20, /*integer=*/true),
    f32_option("aoDistance", &RenderParams::ao_distance, 0, 1e30),
    u32_option("seed", &RenderParams::seed, 0, 4294967295.0),
};

// What the table cannot check: a size given (width and height have no default), the mode, znear < zfar, a
// non-zero sun direction and a field of view in (0, pi) (also when set directly in C++).
inline Result check_render_params(const RenderParams& p) {
  if (p.width < 1 || p.width > 32768) return Result::invalid("width must be an integer in [1, 32768], got " + std::to_string(p.width));
  if (p.height < 1 || p.height > 32768)
    return Result::invalid("height must be an integer in [1, 32768], got " + std::to_string(p.height));
  if (!(p.yfov > 0.0f && p.yfov < 3.14159f)) return Result::invalid("yfov must be in (0, pi) radians, got " + format_number(p.yfov));
  const int mode = int(p.mode);
  if (mode < 0 || mode > 4)
    return Result::invalid("mode must be 0 (albedo), 1 (normals), 2 (ambient occlusion), 3 (shaded) or 4 (depth), got " +
                           std::to_string(mode));
  if (!(p.znear >= 0.0f) || !(p.zfar > p.znear))
    return Result::invalid("znear and zfar must satisfy 0 <= znear < zfar, got " + format_number(p.znear) + " and " +
                           format_number(p.zfar));
  const float l2 = p.sun_dir[0] * p.sun_dir[0] + p.sun_dir[1] * p.sun_dir[1] + p.sun_dir[2] * p.sun_dir[2];
  if (!(l2 > 0.0f) || !isfinite(l2)) return Result::invalid("sunDirection must be a finite, non-zero vector");
  return Result::ok();
}

}  // namespace ote
