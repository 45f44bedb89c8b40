// Lightmap UV generation (UV1): segment each object's triangles into charts, flatten each chart, and pack every
// object's charts onto shared atlas pages with padding. Plain functions over flat arrays; CPU only (charting is
// irregular, serial-per-chart work). Objects are drawn instances in world space, so non-uniform scale is honoured.
#pragma once
#include <stdint.h>

#include "../job_control.h"
#include "../result.h"

namespace ote {

struct LightmapUvInput {
  // World-space positions, xyz per vertex, of all objects concatenated.
  const float* positions;
  uint32_t vertex_count;
  // 3 vertex indices per triangle (into `positions`).
  const uint32_t* indices;
  uint32_t triangle_count;
  // Object o owns triangles [object_first_triangle[o], object_first_triangle[o+1]); length object_count + 1.
  const uint32_t* object_first_triangle;
  uint32_t object_count;
  // Texels per metre wanted for each object (the profile's density or a per-object override).
  const float* object_texels_per_meter;
  // Optional existing UV1 per triangle corner (6 floats per triangle). Objects flagged in `object_keep_uv` keep
  // their layout as one chart, moved and uniformly scaled into the atlas; nullptr when no object keeps its UVs.
  const float* corner_uv;
  const uint8_t* object_keep_uv;
};

// What generate_lightmap_uvs refuses, said naming the field as callers spell it ("objectFirstTriangle must not
// decrease"): indices within the vertices, objectFirstTriangle from 0 to the triangle count without decreasing, a
// positive finite density per object, and objectKeepUv only with cornerUv. Lengths are the caller's to match.
Result validate_lightmap_uv_input(const LightmapUvInput& in);

// Defaults are the callers' defaults; ranges and public names: bake/options.h kLightmapUvOptions.
struct LightmapUvOptions {
  uint32_t page_size = 1024;      // largest page (square); each page is cropped to its content, a multiple of 4
  uint32_t padding = 2;           // empty texels between any two charts' conservative footprints, and to page edges
  float max_cone_degrees = 40.f;  // charts grow while triangle normals stay within this angle of the chart normal
};

struct LightmapUvOutput {
  // Per triangle corner: UV in the page, [0,1]^2, v down (glTF). 6 floats per triangle.
  float* corner_uv;
  // Per triangle: global chart index (charts never span objects).
  uint32_t* triangle_chart;
  // Per object (object_count each): page, chart count, conservative texels covered, texels of its charts'
  // padded bounding boxes, maximum and area-weighted mean stretch, overlapping triangles, effective density.
  uint32_t* object_page;
  uint32_t* object_charts;
  uint64_t* object_texels;
  uint64_t* object_box_texels;
  float* object_max_stretch;
  float* object_mean_stretch;
  uint32_t* object_overlaps;
  float* object_texels_per_meter;
  // Filled by the call: page count and page sizes (at most `max_pages` pages are described).
  uint32_t page_count;
  uint32_t max_pages;
  uint32_t* page_width;
  uint32_t* page_height;
  uint64_t* page_texels;  // conservative texels covered on each page
  uint32_t chart_count;
};

// Generate UV1 for every object. Objects whose charts do not fit one page at their density are scaled down
// (the effective density is reported). Returns InvalidArgument for bad indices or sizes.
Status generate_lightmap_uvs(const LightmapUvInput& in, const LightmapUvOptions& opt, LightmapUvOutput& out,
                             const JobControl& ctl);

// Count triangles whose UV triangles overlap another triangle's by more than `eps` (in UV units), among the
// triangles [first, first + count) of a set laid out as 6 floats per triangle. `page` (optional, per triangle)
// restricts comparisons to triangles on the same page. Writes 1 per overlapping triangle into `flags` if given.
uint64_t count_uv_overlaps(const float* corner_uv, uint32_t triangle_count, const uint32_t* page, double eps,
                           uint8_t* flags);

}  // namespace ote
