// test_bvh with the scalar BVH walk (the code path of the CUDA kernels and of non-x86 hosts), so that the GPU's
// traversal logic is checked against brute force on machines without a GPU.
#define OTE_TRAVERSE_SCALAR 1
#include "test_bvh.cpp"
