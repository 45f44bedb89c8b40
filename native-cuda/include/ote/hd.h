// Host-device qualifiers: one source of math for the CPU drivers and the CUDA kernels.
#pragma once

#if defined(__CUDACC__)
#define OTE_HD __host__ __device__
#define OTE_INLINE __forceinline__
#else
#define OTE_HD
#define OTE_INLINE inline
#endif
