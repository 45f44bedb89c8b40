// CPU side of baking: emitter gathering, texel setup (conservative UV1 raster, leak repair) and the progressive
// per-texel path tracing driver on the thread pool; the reference renderer is in reference_render_cpu.cpp. The
// transport itself is the OTE_HD code in bake/transport.h, shared with the CUDA kernel.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cmath>
#include <vector>

#include "ote/bake/bake.h"
#include "ote/bake/texel_step.h"
#include "ote/bake/uv_math.h"
#include "ote/thread_pool.h"

namespace ote {
namespace {

using transport::unit;
using transport::v3;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Inverse transpose of the 3x3 part of a column-major 4x4, for normals; returns the determinant's sign.
float normal_matrix(const float* m, float* n) {
  const float a = m[0], b = m[4], c = m[8], d = m[1], e = m[5], f = m[9], g = m[2], h = m[6], i = m[10];
  const float A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const float D = -(b * i - c * h), E = a * i - c * g, F = -(a * h - b * g);
  const float G = b * f - c * e, H = -(a * f - c * d), I = a * e - b * d;
  const float det = a * A + b * B + c * C;
  // Cofactor matrix = det × inverse transpose; the scale does not matter for directions.
  n[0] = A, n[1] = B, n[2] = C, n[3] = D, n[4] = E, n[5] = F, n[6] = G, n[7] = H, n[8] = I;
  return det < 0 ? -1.0f : 1.0f;
}
Vec3 apply3(const float* n, Vec3 v) {  // rows as stored: world = (A B C; D E F; G H I) v, in column order
  return make_vec3(n[0] * v.x + n[3] * v.y + n[6] * v.z, n[1] * v.x + n[4] * v.y + n[7] * v.z,
                   n[2] * v.x + n[5] * v.y + n[8] * v.z);
}


// The material of FlatScene triangle `prim` (the default material for -1 or an index past the table).
const BakeMaterial& material_of(const BakeInputs& in, uint32_t prim) {
  const int32_t mi = in.triangle_material ? in.triangle_material[prim] : -1;
  return mi >= 0 && uint32_t(mi) < in.material_count ? in.materials[mi] : in.default_material;
}

// True when triangle `prim` is double-sided and its interpolated corner normals point against its winding's
// geometric normal `ng` (by more than a grazing margin): the surface is meant to be seen from its back.
bool shows_back(const BakeInputs& in, uint32_t prim, uint32_t inst, float u, float v, Vec3 ng) {
  if (!in.triangle_normals) return false;
  const BakeMaterial& mat = material_of(in, prim);
  if (!mat.double_sided) return false;
  const float* cn = in.triangle_normals + 9ull * prim;
  Vec3 n = v3(cn) * (1 - u - v) + v3(cn + 3) * u + v3(cn + 6) * v;
  float nm[9];
  normal_matrix(in.flat->instance_transforms + 16ull * inst, nm);
  n = apply3(nm, n);
  const float l = length(n);
  return l > 0 && std::isfinite(l) && dot(n, ng) < -0.05f * l;
}

// A double-sided surface has one lightmap value for both faces, so it is baked for the face the viewers see: when
// the texel at `p` is visible from some of the viewpoints and all of those are behind `ng`, the other face. A pond's
// water plane authored facing its bed and seen from above, or a floor exported upside down, then bakes lit; a wall
// seen only from inside its room keeps its inner face, whatever lies outside.
bool seen_from_back(const BakeInputs& in, const SceneBvhView& view, uint32_t prim, Vec3 p, Vec3 ng) {
  if (!in.viewpoints || !in.viewpoint_count) return false;
  const BakeMaterial& mat = material_of(in, prim);
  if (!mat.double_sided) return false;
  int front = 0, back = 0;
  for (uint32_t e = 0; e < in.viewpoint_count; ++e) {
    const Vec3 d = v3(in.viewpoints + 3ull * e) - p;
    const float dist = length(d), side = dot(d, ng);
    if (!(dist > 0) || std::fabs(side) < 1e-6f * dist) continue;
    const Vec3 dir = d * (1.0f / dist);
    const Vec3 org = p + (side > 0 ? ng : -ng) * transport::ray_eps(p);
    if (trace_any(view, make_ray(org, dir, 0.0f, dist * (1 - 1e-4f)), kRayNone)) continue;  // hidden from this eye
    (side > 0 ? front : back)++;
  }
  return back > 0 && front == 0;
}

// Tangent frame of a lightmap texel: the world directions of +U1 and +V1 on the triangle (dp/du, dp/dv from the
// UV1 derivatives), Gram-Schmidt orthonormalized against the interpolated normal n. The bitangent is n × t,
// flipped where the chart is mirrored so that it still points along +V1. Degenerate UVs give any frame around n.
void tangent_frame(const BakeInputs& in, uint32_t prim, const WorldTri& w, Vec3 n, Vec3& t, Vec3& b) {
  const float* uv = in.triangle_uv1 + 6ull * prim;
  const float du1 = uv[2] - uv[0], dv1 = uv[3] - uv[1], du2 = uv[4] - uv[0], dv2 = uv[5] - uv[1];
  const float det = du1 * dv2 - du2 * dv1;
  const Vec3 e1 = w.p[1] - w.p[0], e2 = w.p[2] - w.p[0];
  if (det != 0 && std::isfinite(det)) {
    const float r = 1.0f / det;
    const Vec3 dpdu = (e1 * dv2 - e2 * dv1) * r, dpdv = (e2 * du1 - e1 * du2) * r;
    const Vec3 tu = dpdu - n * dot(n, dpdu);
    const float l = length(tu);
    if (l > 0 && std::isfinite(l)) {
      t = tu * (1.0f / l);
      b = cross(n, t);
      if (dot(b, dpdv) < 0) b = -b;
      return;
    }
  }
  transport::basis(n, t, b);
}

// Closest point of triangle t (2D) to q, as barycentrics (u of corner 1, v of corner 2), and its distance.
double closest_barycentric(const Vec2d* t, Vec2d q, float& u, float& v) {
  const double area = cross2(t[0], t[1], t[2]);
  // Barycentrics of q.
  const double w0 = cross2(t[1], t[2], q) / area, w1 = cross2(t[2], t[0], q) / area, w2 = cross2(t[0], t[1], q) / area;
  if (area != 0 && w0 >= 0 && w1 >= 0 && w2 >= 0) {
    u = float(w1), v = float(w2);
    return 0.0;
  }
  double best = INFINITY;
  for (int e = 0; e < 3; ++e) {
    const Vec2d a = t[e], b = t[(e + 1) % 3];
    const double dx = b.x - a.x, dy = b.y - a.y, l2 = dx * dx + dy * dy;
    double s = l2 > 0 ? ((q.x - a.x) * dx + (q.y - a.y) * dy) / l2 : 0.0;
    s = std::min(1.0, std::max(0.0, s));
    const double px = a.x + s * dx - q.x, py = a.y + s * dy - q.y, d = std::sqrt(px * px + py * py);
    if (d < best) {
      best = d;
      double w[3] = {0, 0, 0};
      w[e] = 1 - s, w[(e + 1) % 3] = s;
      u = float(w[1]), v = float(w[2]);
    }
  }
  return best;
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

}  // namespace

WorldTri world_triangle(const FlatScene& f, uint32_t prim, uint32_t inst) {
  const float* m = f.instance_transforms + 16ull * inst;
  WorldTri w;
  for (int k = 0; k < 3; ++k) w.p[k] = transform_point(m, load_vec3(f.positions, f.indices[3 * prim + k]));
  float nm[9];
  const float sign = normal_matrix(m, nm);
  const Vec3 c = cross(w.p[1] - w.p[0], w.p[2] - w.p[0]);
  const float l = length(c);
  w.ng = l > 0 ? c * (sign / l) : make_vec3(0, 0, 0);
  return w;
}

// The world length of one lightmap texel's side on lightmapped triangle `t` of instance `inst`, page `pg`:
// sqrt(world area / UV1 area in texels); 0 where either area is empty. The texel setup's denoiser guide and the final
// gather's near-hit rule read it.
static float texel_size_of(const BakeInputs& in, uint32_t t, uint32_t inst, uint32_t pg) {
  const double W = in.page_width[pg], H = in.page_height[pg];
  Vec2d tri[3];
  for (int k = 0; k < 3; ++k) tri[k] = {in.triangle_uv1[6ull * t + 2 * k] * W, in.triangle_uv1[6ull * t + 2 * k + 1] * H};
  const double uv_area = 0.5 * std::fabs(cross2(tri[0], tri[1], tri[2]));
  const WorldTri w = world_triangle(*in.flat, t, inst);
  const double world_area = 0.5 * length(cross(w.p[1] - w.p[0], w.p[2] - w.p[0]));
  return uv_area > 1e-12 && world_area > 0 ? float(std::sqrt(world_area / uv_area)) : 0.0f;
}

// Interpolated shading normal (object-space corner normals through the normal matrix), facing the geometric side
// `ng`. A double-sided surface seen from its back shows its corner normals reversed, as glTF renders it (a leaf's
// back is as smooth as its front, and its split back copy, bake/two-sided.ts, carries the same normals negated).
Vec3 shading_normal(const BakeInputs& in, uint32_t prim, uint32_t inst, float u, float v, Vec3 ng) {
  if (!in.triangle_normals) return ng;
  const float* cn = in.triangle_normals + 9ull * prim;
  const Vec3 n0 = v3(cn), n1 = v3(cn + 3), n2 = v3(cn + 6);
  Vec3 n = n0 * (1 - u - v) + n1 * u + n2 * v;
  if (!(dot(n, n) > 0)) return ng;
  float nm[9];
  normal_matrix(in.flat->instance_transforms + 16ull * inst, nm);
  n = apply3(nm, n);
  const float l = length(n);
  if (!(l > 0) || !std::isfinite(l)) return ng;
  n = n * (1.0f / l);
  if (dot(n, ng) < 0 && material_of(in, prim).double_sided) n = -n;
  // Shading normals that point below the surface (bad input normals) would send rays into it.
  return dot(n, ng) > 0.05f ? n : ng;
}

// sRGB byte → linear (the glTF transfer function for base colour and emissive textures).
const float* srgb_to_linear_table() {
  static const std::vector<float> lut = [] {
    std::vector<float> t(256);
    for (int i = 0; i < 256; ++i) {
      const double c = i / 255.0;
      t[i] = float(c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4));
    }
    return t;
  }();
  return lut.data();
}

bool flatten_bake_inputs(const BakeInputs& in, WorldBakeInputs& w, uint64_t max_triangles, double max_factor) {
  w = WorldBakeInputs{};
  const FlatScene& f = *in.flat;
  uint64_t drawn = 0;
  for (uint32_t i = 0; i < f.instance_count; ++i) drawn += instance_triangle_count(f, i);
  if (drawn > std::max<double>(double(max_triangles), max_factor * f.triangle_count) || drawn >= (1ull << 31) / 3)
    return false;
  w.positions.reserve(9 * drawn);
  w.indices.reserve(3 * drawn);
  w.material.reserve(drawn);
  w.page.reserve(drawn);
  w.uv1.reserve(6 * drawn);
  if (in.triangle_normals) w.normals.reserve(9 * drawn);
  if (in.triangle_uv0) w.uv0.reserve(6 * drawn);
  if (in.triangle_color) w.color.reserve(9 * drawn);
  const bool hidden = in.instance_camera_hidden || in.triangle_camera_hidden;
  if (hidden) w.camera_hidden.reserve(drawn);
  for (uint32_t i = 0; i < f.instance_count; ++i) {
    const uint32_t m = f.instance_mesh[i];
    const float* xf = f.instance_transforms + 16ull * i;
    float nm[9];
    normal_matrix(xf, nm);
    for (uint32_t t = f.mesh_first_triangle[m]; t < f.mesh_first_triangle[m + 1]; ++t) {
      // Unshared corners: three vertices per triangle keeps the copy trivial (the BVH reads triangles, not vertices).
      for (int k = 0; k < 3; ++k) {
        const Vec3 p = transform_point(xf, load_vec3(f.positions, f.indices[3 * t + k]));
        w.indices.push_back(uint32_t(w.positions.size() / 3));
        w.positions.insert(w.positions.end(), {p.x, p.y, p.z});
        if (in.triangle_normals) {
          const Vec3 n = apply3(nm, v3(in.triangle_normals + 9ull * t + 3 * k));
          const float l = length(n);
          const Vec3 u = l > 0 && std::isfinite(l) ? n * (1.0f / l) : make_vec3(0, 0, 0);
          w.normals.insert(w.normals.end(), {u.x, u.y, u.z});
        }
      }
      w.material.push_back(in.triangle_material ? in.triangle_material[t] : -1);
      w.page.push_back(in.triangle_page ? in.triangle_page[t] : -1);
      if (in.triangle_uv1) w.uv1.insert(w.uv1.end(), in.triangle_uv1 + 6ull * t, in.triangle_uv1 + 6ull * t + 6);
      if (in.triangle_uv0) w.uv0.insert(w.uv0.end(), in.triangle_uv0 + 6ull * t, in.triangle_uv0 + 6ull * t + 6);
      if (in.triangle_color) w.color.insert(w.color.end(), in.triangle_color + 9ull * t, in.triangle_color + 9ull * t + 9);
      if (hidden)
        w.camera_hidden.push_back(uint8_t((in.instance_camera_hidden && in.instance_camera_hidden[i]) ||
                                          (in.triangle_camera_hidden && in.triangle_camera_hidden[t])));
    }
  }
  static const float kIdentity[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  w.xform.assign(kIdentity, kIdentity + 16);
  w.mesh_first = {0u, uint32_t(drawn)};
  w.instance_mesh = {0u};
  w.flat.positions = w.positions.data();
  w.flat.vertex_count = uint32_t(w.positions.size() / 3);
  w.flat.indices = w.indices.data();
  w.flat.triangle_count = uint32_t(drawn);
  w.flat.mesh_first_triangle = w.mesh_first.data();
  w.flat.mesh_count = 1;
  w.flat.instance_mesh = w.instance_mesh.data();
  w.flat.instance_transforms = w.xform.data();
  w.flat.instance_count = drawn ? 1 : 0;
  w.in = in;
  w.in.flat = &w.flat;
  w.in.triangle_material = w.material.data();
  w.in.triangle_page = w.page.data();
  w.in.triangle_uv1 = in.triangle_uv1 ? w.uv1.data() : nullptr;
  w.in.triangle_normals = in.triangle_normals ? w.normals.data() : nullptr;
  w.in.triangle_uv0 = in.triangle_uv0 ? w.uv0.data() : nullptr;
  w.in.triangle_color = in.triangle_color ? w.color.data() : nullptr;
  // One identity instance now: what was hidden per instance is hidden per triangle.
  w.in.instance_camera_hidden = nullptr;
  w.in.triangle_camera_hidden = hidden ? w.camera_hidden.data() : nullptr;
  return true;
}

BakeSceneView BakeSceneData::view(const BakeInputs& in, const SceneBvhView& bvh) const {
  BakeSceneView s{};
  s.bvh = bvh;
  s.triangle_material = in.triangle_material;
  s.triangle_count = in.flat->triangle_count;
  s.materials = in.materials;
  s.material_count = in.material_count;
  s.default_material = in.default_material;
  s.triangle_uv0 = in.triangle_uv0;
  s.triangle_color = in.triangle_color;
  s.textures = in.textures;
  s.texture_count = in.texture_count;
  s.texels = in.texels;
  s.srgb_to_linear = srgb_to_linear_table();
  s.instance_camera_hidden = in.instance_camera_hidden;
  s.triangle_camera_hidden = in.triangle_camera_hidden;
  s.lights = in.lights;
  s.light_count = in.light_count;
  s.portals = portals;
  s.portals.cell_share = portal_share.data();
  s.portals.portal_cell = portal_cells.data();
  s.portals.portal_cdf = portal_cdf.data();
  s.sun = sun;
  s.sun.cells = sun_cells.data();
  s.sun.cdf = sun_cdf.data();
  s.light_vertex_power = 0;
  for (uint32_t i = 0; i < in.light_count; ++i) s.light_vertex_power += transport::light_vertex_weight(s, i);
  s.cutout = in.default_material.alpha_mode != kAlphaOpaque;
  for (uint32_t i = 0; i < in.material_count; ++i) s.cutout |= in.materials[i].alpha_mode != kAlphaOpaque;
  s.emitters = emitters.data();
  s.emitter_cdf = emitter_cdf.data();
  s.emitter_count = uint32_t(emitters.size());
  s.emitter_power = emitter_power;
  s.sky_type = in.sky_type;
  for (int c = 0; c < 3; ++c) s.sky_zenith[c] = in.sky_zenith[c], s.sky_horizon[c] = in.sky_horizon[c], s.sky_ground[c] = in.sky_ground[c];
  s.gather = LightmapView{};
  if (in.gather_pages && in.triangle_uv1 && in.triangle_page)
    s.gather = LightmapView{in.gather_pages,   in.page_width,   in.page_height,
                            in.page_count,     in.triangle_uv1, in.triangle_page,
                            in.flat->triangle_count, triangle_texel.empty() ? nullptr : triangle_texel.data()};
  return s;
}

void gather_texel_sizes(const BakeInputs& in, BakeSceneData& d) {
  d.triangle_texel.clear();
  if (!in.gather_pages || !in.triangle_uv1 || !in.triangle_page) return;
  const FlatScene& f = *in.flat;
  d.triangle_texel.assign(f.triangle_count, 0.0f);
  // Each lightmapped mesh is drawn once (BakeInputs): its instance gives its triangles' world size.
  for (uint32_t i = 0; i < f.instance_count; ++i) {
    const uint32_t m = f.instance_mesh[i];
    for (uint32_t t = f.mesh_first_triangle[m]; t < f.mesh_first_triangle[m + 1]; ++t) {
      const int32_t pg = in.triangle_page[t];
      if (pg < 0 || uint32_t(pg) >= in.page_count) continue;
      d.triangle_texel[t] = texel_size_of(in, t, i, uint32_t(pg));
    }
  }
}

void gather_emitters(const BakeInputs& in, BakeSceneData& d) {
  const FlatScene& f = *in.flat;
  d.emitters.clear();
  d.emitter_cdf.clear();
  double total = 0;
  for (uint32_t i = 0; i < f.instance_count; ++i) {
    const uint32_t m = f.instance_mesh[i];
    for (uint32_t t = f.mesh_first_triangle[m]; t < f.mesh_first_triangle[m + 1]; ++t) {
      const int32_t mi = in.triangle_material ? in.triangle_material[t] : -1;
      const BakeMaterial& mat = material_of(in, t);
      const Vec3 le = v3(mat.emission);
      const float lum = transport::luminance(le);
      if (!(lum > 0)) continue;
      const WorldTri w = world_triangle(f, t, i);
      const Vec3 e1 = w.p[1] - w.p[0], e2 = w.p[2] - w.p[0];
      const float area = 0.5f * length(cross(e1, e2));
      if (!(area > 0) || !std::isfinite(area)) continue;
      EmitterTri e{};
      for (int c = 0; c < 3; ++c) {
        e.v0[c] = (&w.p[0].x)[c], e.e1[c] = (&e1.x)[c], e.e2[c] = (&e2.x)[c], e.emission[c] = mat.emission[c];
        e.n[c] = (&w.ng.x)[c];
      }
      if (in.triangle_uv0)
        for (int c = 0; c < 6; ++c) e.uv0[c] = in.triangle_uv0[6ull * t + c];
      // A mirrored instance flips the winding: keep e1 x e2 along the front normal (and the UVs with their corners).
      if (dot(cross(e1, e2), w.ng) < 0) {
        for (int c = 0; c < 3; ++c) std::swap(e.e1[c], e.e2[c]);
        std::swap(e.uv0[2], e.uv0[4]), std::swap(e.uv0[3], e.uv0[5]);
      }
      e.area = area;
      e.double_sided = mat.double_sided;
      e.material = mi >= 0 && uint32_t(mi) < in.material_count ? mi : -1;
      total += double(lum) * area;
      d.emitters.push_back(e);
      d.emitter_cdf.push_back(float(total));
    }
  }
  for (float& c : d.emitter_cdf) c = float(c / total);
  if (!d.emitter_cdf.empty()) d.emitter_cdf.back() = 1.0f;
  d.emitter_power = float(total);
}

Status setup_texels(const BakeInputs& in, const SceneBvh& bvh, BakeOutput& out, TexelSet& ts, const JobControl& ctl,
                    const BakeParams& p) {
  const FlatScene& f = *in.flat;
  const auto t0 = std::chrono::steady_clock::now();
  struct Best {
    float dist = INFINITY;
    uint32_t prim = 0, inst = 0;
    float u = 0, v = 0, texel_size = 0;
  };
  std::vector<std::vector<Best>> best(in.page_count);
  for (uint32_t pg = 0; pg < in.page_count; ++pg) best[pg].resize(size_t(in.page_width[pg]) * in.page_height[pg]);
  // 1. Conservative raster of every lightmapped triangle in UV1: each texel keeps the triangle whose surface is
  // closest to its centre (inside wins), so texels cut by edges still get a sample on the surface.
  for (uint32_t i = 0; i < f.instance_count; ++i) {
    if (ctl.cancelled()) return Status::Cancelled;
    const uint32_t m = f.instance_mesh[i];
    for (uint32_t t = f.mesh_first_triangle[m]; t < f.mesh_first_triangle[m + 1]; ++t) {
      const int32_t pg = in.triangle_page[t];
      if (pg < 0 || uint32_t(pg) >= in.page_count) continue;
      const uint32_t W = in.page_width[pg], H = in.page_height[pg];
      Vec2d tri[3];
      float tx[3], ty[3];
      for (int k = 0; k < 3; ++k) {
        tri[k] = {double(in.triangle_uv1[6ull * t + 2 * k]) * W, double(in.triangle_uv1[6ull * t + 2 * k + 1]) * H};
        tx[k] = float(tri[k].x), ty[k] = float(tri[k].y);
      }
      const float texel_size = texel_size_of(in, t, i, uint32_t(pg));
      if (!(texel_size > 0)) continue;
      const int x0 = std::max(0, int(std::floor(std::min(tx[0], std::min(tx[1], tx[2])))) - 1);
      const int x1 = std::min(int(W) - 1, int(std::floor(std::max(tx[0], std::max(tx[1], tx[2])))));
      const int y0 = std::max(0, int(std::floor(std::min(ty[0], std::min(ty[1], ty[2])))) - 1);
      const int y1 = std::min(int(H) - 1, int(std::floor(std::max(ty[0], std::max(ty[1], ty[2])))));
      for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
          if (!triangle_touches_texel(tx, ty, x, y)) continue;
          float u = 0, v = 0;
          const double d = closest_barycentric(tri, Vec2d{x + 0.5, y + 0.5}, u, v);
          Best& b = best[pg][size_t(y) * W + x];
          if (d < b.dist) b = {float(d), t, i, u, v, texel_size};
        }
    }
  }
  out.raster_seconds = seconds_since(t0);
  // 2. The texels baked (stride and range over the covered ordinals) and, after them, the scene-mean texels outside
  // them (texel_step.h); then sample points and normals, with leak repair where the point sits behind nearby
  // geometry.
  ts = TexelSet{};
  const uint32_t stride = p.texel_stride ? p.texel_stride : 1;
  uint64_t covered = 0;
  for (uint32_t pg = 0; pg < in.page_count; ++pg)
    for (const Best& b : best[pg]) covered += b.dist < INFINITY;
  const uint64_t period = texel_step::scene_mean_period(covered, stride);
  std::vector<uint32_t> extra_page, extra_index, extra_ordinal;
  std::vector<bool> probe_extra;  // per ts.probe entry: an index into the extras (fixed up below)
  uint64_t o = 0;
  for (uint32_t pg = 0; pg < in.page_count; ++pg) {
    const uint32_t W = in.page_width[pg], H = in.page_height[pg];
    for (uint32_t k = 0; k < W * H; ++k) {
      out.page_valid[pg][k] = 0;
      if (!(best[pg][k].dist < INFINITY)) continue;
      const bool baked = o % stride == 0 && o >= p.texel_begin && o < p.texel_end, probe = o % period == 0;
      if (baked) {
        out.page_valid[pg][k] = 1;
        if (probe) ts.probe.push_back(uint32_t(ts.page.size())), probe_extra.push_back(false);
        ts.page.push_back(pg), ts.index.push_back(k), ts.ordinal.push_back(uint32_t(o));
      } else if (probe) {
        ts.probe.push_back(uint32_t(extra_page.size())), probe_extra.push_back(true);
        extra_page.push_back(pg), extra_index.push_back(k), extra_ordinal.push_back(uint32_t(o));
      }
      ++o;
    }
  }
  ts.baked = ts.page.size();
  ts.covered = covered;
  for (size_t i = 0; i < ts.probe.size(); ++i)
    if (probe_extra[i]) ts.probe[i] += uint32_t(ts.baked);
  ts.page.insert(ts.page.end(), extra_page.begin(), extra_page.end());
  ts.index.insert(ts.index.end(), extra_index.begin(), extra_index.end());
  ts.ordinal.insert(ts.ordinal.end(), extra_ordinal.begin(), extra_ordinal.end());
  const size_t n = ts.page.size();
  ts.position.resize(3 * n);
  ts.normal.resize(3 * n);
  ts.tangent.resize(3 * n);
  ts.bitangent.resize(3 * n);
  std::atomic<uint64_t> repaired{0};
  const SceneBvhView view = bvh.view();
  Status st = parallel_for(n, 1024, [&](uint64_t b, uint64_t e) {
    uint64_t rep = 0;
    for (uint64_t k = b; k < e; ++k) {
      Best c = best[ts.page[k]][ts.index[k]];
      // Nudge the sample a hair into the triangle: a point exactly on an edge shared with a perpendicular wall or
      // ceiling starts its rays on that surface's plane, where the hit at t = 0 is not seen and light leaks in.
      c.u = c.u * (1 - 2e-3f) + 2e-3f / 3, c.v = c.v * (1 - 2e-3f) + 2e-3f / 3;
      WorldTri w = world_triangle(f, c.prim, c.inst);
      Vec3 p = w.p[0] * (1 - c.u - c.v) + w.p[1] * c.u + w.p[2] * c.v;
      // A double-sided surface is seen from the side its authored normals face, whatever its winding (a pond or a
      // floor exported facing down, with normals up): its one lightmap value is baked for that side.
      if (shows_back(in, c.prim, c.inst, c.u, c.v, w.ng)) w.ng = -w.ng;
      if (seen_from_back(in, view, c.prim, p, w.ng)) w.ng = -w.ng;
      const Vec3 nrm = shading_normal(in, c.prim, c.inst, c.u, c.v, w.ng);
      // Rays along the surface, as long as half the texel's diagonal: hitting the back of another surface means
      // the sample point is inside or under it (a wall standing on this floor): move it out past that surface.
      Vec3 t1, t2;
      transport::basis(w.ng, t1, t2);
      const float reach = 0.75f * c.texel_size;
      const Vec3 org = p + w.ng * transport::ray_eps(p);
      float best_t = INFINITY;
      Vec3 best_dir = make_vec3(0, 0, 0);
      for (int r = 0; r < 8; ++r) {
        const float a = 0.78539816f * r;
        const Vec3 dir = t1 * cosf(a) + t2 * sinf(a);
        Hit h;
        if (trace_closest(view, make_ray(org, dir, 0.0f, reach), kRayNone, h) && dot(h.ng, dir) > 0 && h.t < best_t)
          best_t = h.t, best_dir = dir;
      }
      if (best_t < INFINITY) {
        p = org + best_dir * (best_t + transport::ray_eps(p) * 4);
        ++rep;
      }
      Vec3 tan, bit;
      tangent_frame(in, c.prim, w, nrm, tan, bit);
      for (int a = 0; a < 3; ++a) {
        ts.position[3 * k + a] = (&p.x)[a], ts.normal[3 * k + a] = (&nrm.x)[a];
        ts.tangent[3 * k + a] = (&tan.x)[a], ts.bitangent[3 * k + a] = (&bit.x)[a];
      }
    }
    repaired += rep;
  }, ctl);
  ts.repaired = repaired.load();
  return st;
}

namespace {

// The texels active[b..e) a block of one pass traces.
struct TexelBlock {
  const uint32_t* active;
  uint64_t b, e;
  uint32_t s0, s1;     // samples [s0, s1)
  float* rgba_sum;     // Σ L (rgb) and Σ AO per texel
  float* direct_sum;   // Σ direct light (rgb) per texel
  double* lum2;        // Σ luminance² per texel (the early stop's variance)
  uint32_t* samples;   // samples taken per texel
  uint32_t* rays;      // rays traced per texel
};

// Returns the rays traced. `flatten` inlines the whole OTE_HD transport and traversal into this loop (measured
// 1.13x faster than calling the out-of-line traversal per ray; an AVX2 variant measured no faster on top).
__attribute__((flatten)) uint32_t trace_texels(const BakeSceneView& s, const BakeParams& p, const TexelSet& ts,
                                               const TexelBlock& blk) {
  uint32_t rays = 0;
  for (uint64_t a = blk.b; a < blk.e; ++a) {
    const uint32_t k = blk.active[a];
    // Seeded by the texel's ordinal in the layout, not its place in this set (texel_step.h).
    const texel_step::TexelPass r = texel_step::trace_samples(s, p.transport, p.seed, ts.ordinal[k],
                                                              v3(&ts.position[3 * k]), v3(&ts.normal[3 * k]), blk.s0,
                                                              blk.s1);
    for (int c = 0; c < 4; ++c) blk.rgba_sum[4 * k + c] += r.rgba[c];
    for (int c = 0; c < 3; ++c) blk.direct_sum[3 * k + c] += r.direct[c];
    blk.lum2[k] += r.lum2;
    blk.samples[k] += blk.s1 - blk.s0;
    blk.rays[k] += r.rays;
    rays += r.rays;
  }
  return rays;
}

}  // namespace

Status bake_texels_cpu(const BakeSceneView& s, const BakeParams& p, const TexelSet& ts, float* rgba_sum,
                       float* direct_sum, uint32_t* samples, uint32_t* texel_rays, BakeOutput& out,
                       const JobControl& ctl) {
  // The first pass traces the whole set (the baked texels and the scene-mean texels outside them), later passes
  // the baked texels that have not stopped.
  const size_t n = ts.page.size();
  std::vector<double> lum2(n, 0.0);
  std::vector<uint32_t> active(n);
  for (size_t i = 0; i < n; ++i) active[i] = uint32_t(i);
  std::atomic<uint64_t> rays{0}, texel_samples{0};
  const double total = double(ts.baked) * p.samples;
  double done = 0;
  float scene_mean = 0;
  for (uint32_t s0 = 0; s0 < p.samples && !active.empty(); s0 += p.batch) {
    const uint32_t s1 = std::min(p.samples, s0 + p.batch);
    JobControl pass_ctl{ctl.cancel, nullptr};
    const Status st = parallel_for(active.size(), 64, [&](uint64_t b, uint64_t e) {
      rays += trace_texels(s, p, ts, TexelBlock{active.data(), b, e, s0, s1, rgba_sum, direct_sum, lum2.data(), samples, texel_rays});
    }, pass_ctl);
    if (st != Status::Ok) return st;
    texel_samples += uint64_t(active.size()) * (s1 - s0);
    done += double(active.size()) * (s1 - s0);
    // Early stop (texel_step.h, as on the device), against the scene's mean after the first pass.
    if (s0 == 0) scene_mean = texel_step::scene_mean_luminance(rgba_sum, samples, ts.probe.data(), ts.probe.size());
    std::vector<uint32_t> next;
    next.reserve(active.size());
    for (uint32_t k : active)
      if (k < ts.baked &&
          !texel_step::texel_converged(samples[k], &rgba_sum[4 * k], lum2[k], p.min_samples, p.noise_threshold, scene_mean))
        next.push_back(k);
    active.swap(next);
    // Remaining work shrinks as texels converge: report against the work that is left at most.
    const double left = double(active.size()) * (p.samples - s1);
    ctl.report(done / (done + left > 0 ? done + left : 1) * (total > 0 ? 1 : 0));
  }
  out.rays = rays.load();
  out.texel_samples = texel_samples.load();
  return Status::Ok;
}

Status bake_lightmaps(const BakeInputs& in, const SceneBvh& bvh, const BakeParams& p, BakeOutput& out,
                      Backend backend, const JobControl& ctl) {
  if (!in.flat || !in.triangle_uv1 || !in.triangle_page || p.samples == 0 || p.batch == 0) return Status::InvalidArgument;
  const auto t0 = std::chrono::steady_clock::now();
  TexelSet ts;
  JobControl setup_ctl{ctl.cancel, nullptr};
  Status st = setup_texels(in, bvh, out, ts, setup_ctl, p);
  if (st != Status::Ok) return st;
  const auto t_scene = std::chrono::steady_clock::now();
  BakeSceneData data;
  gather_emitters(in, data);
  gather_texel_sizes(in, data);
  if (p.transport.sky_portals && ts.baked) {  // nothing to trace, nothing to find
    st = find_sky_portals(in, bvh.view(), data, ctl);
    if (st != Status::Ok) return st;
    if (p.transport.sun_vertices) find_sun_portals(in, data);
  }
  out.scene_seconds = seconds_since(t_scene);
  out.setup_seconds = seconds_since(t0);
  out.texels = ts.baked;
  out.covered = ts.covered;
  out.probe_texels = ts.page.size() - ts.baked;
  out.repaired_texels = ts.repaired;
  const auto t1 = std::chrono::steady_clock::now();
  const double c1 = process_cpu_seconds();
  std::vector<float> sum(4 * ts.page.size(), 0.0f), direct(3 * ts.page.size(), 0.0f);
  std::vector<uint32_t> samples(ts.page.size(), 0), rays(ts.page.size(), 0);
  // Nothing to bake (an empty range): the scene-mean texels need no tracing either.
  if (ts.baked == 0)
    st = Status::Ok;
  else if (resolve_backend(backend) == Backend::Cuda)
    st = bake_texels_cuda(in, bvh, data, p, ts, sum.data(), direct.data(), samples.data(), rays.data(), out, ctl);
  else
    st = bake_texels_cpu(data.view(in, bvh.view()), p, ts, sum.data(), direct.data(), samples.data(), rays.data(), out,
                         ctl);
  if (st != Status::Ok) return st;
  out.trace_seconds = seconds_since(t1);
  out.trace_cpu_seconds = process_cpu_seconds() - c1;
  const auto baked_samples = samples.begin() + ptrdiff_t(ts.baked);
  out.min_texel_samples = ts.baked ? *std::min_element(samples.begin(), baked_samples) : 0;
  out.max_texel_samples = ts.baked ? *std::max_element(samples.begin(), baked_samples) : 0;
  // The texel set into the pages: radiance and AO, samples, and the per-texel guides the caller asked for.
  const std::pair<float**, const std::vector<float>*> guides[] = {
      {out.page_position, &ts.position}, {out.page_normal, &ts.normal},
      {out.page_tangent, &ts.tangent}, {out.page_bitangent, &ts.bitangent}};
  for (uint32_t pg = 0; pg < in.page_count; ++pg) {
    const size_t texels = size_t(in.page_width[pg]) * in.page_height[pg];
    for (const auto& [dst, src] : guides)
      if (dst) std::fill(dst[pg], dst[pg] + 3 * texels, 0.0f);
    std::fill(out.page_rgba[pg], out.page_rgba[pg] + 4 * texels, 0.0f);
    if (out.page_direct) std::fill(out.page_direct[pg], out.page_direct[pg] + 3 * texels, 0.0f);
    std::fill(out.page_samples[pg], out.page_samples[pg] + texels, 0u);
    if (out.page_rays) std::fill(out.page_rays[pg], out.page_rays[pg] + texels, 0u);
  }
  for (size_t k = 0; k < ts.baked; ++k) {
    const float inv = samples[k] ? 1.0f / samples[k] : 0.0f;
    float* px = out.page_rgba[ts.page[k]] + 4ull * ts.index[k];
    for (int c = 0; c < 4; ++c) px[c] = sum[4 * k + c] * inv;
    if (out.page_direct)
      for (int c = 0; c < 3; ++c) out.page_direct[ts.page[k]][3ull * ts.index[k] + c] = direct[3 * k + c] * inv;
    out.page_samples[ts.page[k]][ts.index[k]] = samples[k];
    if (out.page_rays) out.page_rays[ts.page[k]][ts.index[k]] = rays[k];
    for (const auto& [dst, src] : guides)
      if (dst)
        for (int c = 0; c < 3; ++c) dst[ts.page[k]][3ull * ts.index[k] + c] = (*src)[3 * k + c];
  }
  ctl.report(1.0);
  return Status::Ok;
}

}  // namespace ote
