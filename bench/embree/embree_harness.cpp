// Embree 3 peer for `npm run bench:rays`: builds the same scene with the same layout as ours (meshes drawn once,
// and copies of small shared meshes, are placed in world space; the other shared meshes become Embree instances,
// which is how Embree is used at its best) and traces the same ray files with single-ray queries (rtcIntersect1 /
// rtcOccluded1) on N threads.
//
//   embree_harness scene.bin threads[,threads...] rays.bin:closest|any [...]
// Prints one JSON object: build seconds, Embree's own memory, and per (ray file, thread count): seconds, rays, hits.
// Files are written by bench/rays.ts (little-endian; see writeSceneBin / writeRaysBin there).
#include <embree3/rtcore.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace {

std::vector<char> read_file(const char* path) {
  FILE* f = std::fopen(path, "rb");
  if (!f) { std::fprintf(stderr, "embree_harness: cannot open %s\n", path); std::exit(2); }
  std::fseek(f, 0, SEEK_END);
  const long n = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  std::vector<char> buf(static_cast<size_t>(n));
  if (std::fread(buf.data(), 1, buf.size(), f) != buf.size()) { std::fprintf(stderr, "embree_harness: short read %s\n", path); std::exit(2); }
  std::fclose(f);
  return buf;
}

template <typename T>
const T* take(const char*& p, size_t n) {
  const T* r = reinterpret_cast<const T*>(p);
  p += n * sizeof(T);
  return r;
}

std::atomic<int64_t> g_bytes{0}, g_peak{0};
bool monitor(void*, ssize_t bytes, bool) {
  const int64_t now = g_bytes += bytes;
  int64_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {}
  return true;
}

// Process CPU time: on a shared machine, rays per CPU-second is the stable per-core figure.
double cpu_s() { return double(std::clock()) / CLOCKS_PER_SEC; }

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) { std::fprintf(stderr, "usage: embree_harness scene.bin threads rays.bin:closest|any ...\n"); return 2; }
  std::vector<unsigned> thread_counts;
  for (const char* s = argv[2]; *s;) { thread_counts.push_back(unsigned(std::strtoul(s, const_cast<char**>(&s), 10))); if (*s == ',') ++s; }
  unsigned max_threads = 1;
  for (unsigned t : thread_counts) max_threads = std::max(max_threads, t);

  const double min_s = std::getenv("OTE_BENCH_MIN_S") ? std::atof(std::getenv("OTE_BENCH_MIN_S")) : 1.0;
  const std::vector<char> sb = read_file(argv[1]);
  const char* p = sb.data();
  const uint32_t* hdr = take<uint32_t>(p, 5);
  const uint32_t V = hdr[1], T = hdr[2], M = hdr[3], I = hdr[4];
  const float* pos = take<float>(p, 3ull * V);
  const uint32_t* idx = take<uint32_t>(p, 3ull * T);
  const uint32_t* first = take<uint32_t>(p, M + 1ull);
  const uint32_t* inst_mesh = take<uint32_t>(p, I);
  const float* xf = take<float>(p, 16ull * I);

  const std::string cfg = "threads=" + std::to_string(max_threads);
  RTCDevice dev = rtcNewDevice(cfg.c_str());
  rtcSetDeviceMemoryMonitorFunction(dev, monitor, nullptr);
  const double t0 = now_s();
  std::vector<uint32_t> uses(M, 0);
  for (uint32_t i = 0; i < I; ++i) ++uses[inst_mesh[i]];
  // Which meshes go into the top level in world space: the rule of merge_plan() in native-cuda/cpu/bvh_build.cpp
  // with its default budget (copies of shared meshes, smallest first, while they add at most T triangles), so that
  // both BVHs trace the same layout and the comparison is of the traversal.
  std::vector<uint8_t> flatten(M, 0);
  std::vector<uint32_t> shared;
  for (uint32_t m = 0; m < M; ++m) {
    flatten[m] = uses[m] == 1;
    if (uses[m] > 1) shared.push_back(m);
  }
  auto tris = [&](uint32_t m) { return uint64_t(first[m + 1] - first[m]); };
  std::sort(shared.begin(), shared.end(), [&](uint32_t a, uint32_t b) { return tris(a) != tris(b) ? tris(a) < tris(b) : a < b; });
  double spent = 0.0;
  for (uint32_t m : shared) {
    const double copies = double(tris(m)) * double(uses[m] - 1);
    if (spent + copies > double(T)) continue;
    spent += copies;
    flatten[m] = 1;
  }
  auto make_tri_geom = [&](uint32_t m, const float* m16) {
    RTCGeometry g = rtcNewGeometry(dev, RTC_GEOMETRY_TYPE_TRIANGLE);
    const uint32_t tb = first[m], te = first[m + 1];
    // Compact the mesh's vertex range so each geometry holds only its own vertices.
    uint32_t vmin = UINT32_MAX, vmax = 0;
    for (uint64_t k = 3ull * tb; k < 3ull * te; ++k) vmin = std::min(vmin, idx[k]), vmax = std::max(vmax, idx[k]);
    const uint32_t nv = vmax - vmin + 1;
    float* vb = static_cast<float*>(rtcSetNewGeometryBuffer(g, RTC_BUFFER_TYPE_VERTEX, 0, RTC_FORMAT_FLOAT3, 12, nv));
    for (uint32_t v = 0; v < nv; ++v) {
      const float* s = pos + 3ull * (vmin + v);
      if (m16) {
        vb[3 * v] = m16[0] * s[0] + m16[4] * s[1] + m16[8] * s[2] + m16[12];
        vb[3 * v + 1] = m16[1] * s[0] + m16[5] * s[1] + m16[9] * s[2] + m16[13];
        vb[3 * v + 2] = m16[2] * s[0] + m16[6] * s[1] + m16[10] * s[2] + m16[14];
      } else {
        std::memcpy(vb + 3 * v, s, 12);
      }
    }
    uint32_t* ib = static_cast<uint32_t*>(rtcSetNewGeometryBuffer(g, RTC_BUFFER_TYPE_INDEX, 0, RTC_FORMAT_UINT3, 12, te - tb));
    for (uint64_t k = 0; k < 3ull * (te - tb); ++k) ib[k] = idx[3ull * tb + k] - vmin;
    rtcCommitGeometry(g);
    return g;
  };
  RTCScene top = rtcNewScene(dev);
  std::vector<RTCScene> mesh_scene(M, nullptr);
  for (uint32_t i = 0; i < I; ++i) {
    const uint32_t m = inst_mesh[i];
    if (first[m] == first[m + 1]) continue;
    if (flatten[m]) {
      RTCGeometry g = make_tri_geom(m, xf + 16ull * i);
      rtcAttachGeometry(top, g);
      rtcReleaseGeometry(g);
      continue;
    }
    if (!mesh_scene[m]) {
      mesh_scene[m] = rtcNewScene(dev);
      RTCGeometry g = make_tri_geom(m, nullptr);
      rtcAttachGeometry(mesh_scene[m], g);
      rtcReleaseGeometry(g);
      rtcCommitScene(mesh_scene[m]);
    }
    RTCGeometry inst = rtcNewGeometry(dev, RTC_GEOMETRY_TYPE_INSTANCE);
    rtcSetGeometryInstancedScene(inst, mesh_scene[m]);
    rtcSetGeometryTransform(inst, 0, RTC_FORMAT_FLOAT4X4_COLUMN_MAJOR, xf + 16ull * i);
    rtcCommitGeometry(inst);
    rtcAttachGeometry(top, inst);
    rtcReleaseGeometry(inst);
  }
  rtcCommitScene(top);
  const double build_s = now_s() - t0;

  std::printf("{\"build_s\":%.6f,\"bytes\":%lld,\"results\":[", build_s, (long long)g_peak.load());
  bool first_out = true;
  for (int a = 3; a < argc; ++a) {
    std::string arg = argv[a];
    const size_t colon = arg.rfind(':');
    const std::string file = arg.substr(0, colon), mode = arg.substr(colon + 1);
    const std::vector<char> rb = read_file(file.c_str());
    const char* q = rb.data();
    const uint32_t n = *take<uint32_t>(q, 1);
    const float* org = take<float>(q, 3ull * n);
    const float* dir = take<float>(q, 3ull * n);
    const float* tmax = take<float>(q, n);
    const bool any = mode == "any";
    for (unsigned threads : thread_counts) {
      std::atomic<uint64_t> hits{0};
      double checksum = 0;
      std::vector<double> sums(threads, 0.0);
      // Repeat the whole batch for at least OTE_BENCH_MIN_S (bench/rays.ts passes it on) and three passes, and keep
      // the fastest pass too: on a shared machine a pass that another tenant slowed down says nothing about the tracer.
      uint64_t traced = 0;
      int passes = 0;
      double best = INFINITY;
      const double s0 = now_s(), c0 = cpu_s();
      do {
        const double p0 = now_s();
        std::atomic<uint32_t> next{0};
        hits = 0;
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
          pool.emplace_back([&, t] {
            RTCIntersectContext ctx;
            double sum = 0;
            uint64_t h = 0;
            for (;;) {
              const uint32_t b = next.fetch_add(1024);
              if (b >= n) break;
              const uint32_t e = std::min(n, b + 1024);
              for (uint32_t i = b; i < e; ++i) {
                rtcInitIntersectContext(&ctx);
                if (any) {
                  RTCRay r;
                  r.org_x = org[3 * i], r.org_y = org[3 * i + 1], r.org_z = org[3 * i + 2];
                  r.dir_x = dir[3 * i], r.dir_y = dir[3 * i + 1], r.dir_z = dir[3 * i + 2];
                  r.tnear = 0, r.tfar = tmax[i], r.mask = 0xffffffff, r.flags = 0, r.time = 0, r.id = 0;
                  rtcOccluded1(top, &ctx, &r);
                  h += r.tfar < 0;
                } else {
                  RTCRayHit rh;
                  RTCRay& r = rh.ray;
                  r.org_x = org[3 * i], r.org_y = org[3 * i + 1], r.org_z = org[3 * i + 2];
                  r.dir_x = dir[3 * i], r.dir_y = dir[3 * i + 1], r.dir_z = dir[3 * i + 2];
                  r.tnear = 0, r.tfar = tmax[i], r.mask = 0xffffffff, r.flags = 0, r.time = 0, r.id = 0;
                  rh.hit.geomID = RTC_INVALID_GEOMETRY_ID, rh.hit.instID[0] = RTC_INVALID_GEOMETRY_ID;
                  rtcIntersect1(top, &ctx, &rh);
                  if (rh.hit.geomID != RTC_INVALID_GEOMETRY_ID) ++h, sum += r.tfar;
                }
              }
            }
            hits += h;
            sums[t] = sum;
          });
        for (auto& th : pool) th.join();
        traced += n, ++passes;
        best = std::min(best, now_s() - p0);
      } while (now_s() - s0 < min_s || passes < 3);
      const double secs = now_s() - s0, cpu = cpu_s() - c0;
      for (double s : sums) checksum += s;
      std::printf("%s{\"file\":\"%s\",\"mode\":\"%s\",\"threads\":%u,\"seconds\":%.6f,\"cpu_seconds\":%.6f,\"rays\":%llu,"
                  "\"pass_rays\":%u,\"best_pass_seconds\":%.6f,\"hits\":%llu,\"tsum\":%.6e}",
                  first_out ? "" : ",", file.c_str(), mode.c_str(), threads, secs, cpu, (unsigned long long)traced, n, best,
                  (unsigned long long)hits.load(), checksum);
      first_out = false;
    }
  }
  std::printf("]}\n");
  rtcReleaseScene(top);
  for (RTCScene s : mesh_scene)
    if (s) rtcReleaseScene(s);
  rtcReleaseDevice(dev);
  return 0;
}
