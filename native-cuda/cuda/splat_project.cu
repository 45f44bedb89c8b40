// Stage 1 and 5: per-Gaussian projection and its backward pass, one thread per Gaussian.
#include "splat_kernels.cuh"

namespace ote {
namespace splat {
namespace cuda {
namespace {

__global__ void project_kernel(Model g, Camera c, Projected* proj, uint32_t* tiles_touched) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= g.count) return;
  Projected p;
  const bool vis = project_gaussian(g, c, i, p);
  proj[i] = p;
  tiles_touched[i] = vis ? uint32_t((p.rect[2] - p.rect[0]) * (p.rect[3] - p.rect[1])) : 0u;
}

__global__ void project_backward_kernel(Model g, Camera c, const Projected* proj, const ProjectedGrad* pgrad,
                                        ParamGrad out, float* mean2d_norm, int32_t* radii) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= g.count) return;
  const Projected p = proj[i];
  const ProjectedGrad d = pgrad[i];
  if (radii) radii[i] = p.radius;
  if (mean2d_norm) mean2d_norm[i] = hypotf(d.mean2d[0], d.mean2d[1]);
  if (p.radius) project_gaussian_backward(g, c, i, p, d, out);
}

}  // namespace

void launch_project(const Model& g, const Camera& c, Projected* proj, uint32_t* tiles_touched, cudaStream_t s) {
  if (g.count) project_kernel<<<(g.count + 255) / 256, 256, 0, s>>>(g, c, proj, tiles_touched);
}

void launch_project_backward(const Model& g, const Camera& c, const Projected* proj, const ProjectedGrad* pgrad,
                             ParamGrad out, float* mean2d_norm, int32_t* radii, cudaStream_t s) {
  if (g.count)
    project_backward_kernel<<<(g.count + 255) / 256, 256, 0, s>>>(g, c, proj, pgrad, out, mean2d_norm, radii);
}

}  // namespace cuda
}  // namespace splat
}  // namespace ote
