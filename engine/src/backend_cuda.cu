// CUDA backend: the same pipeline over Thrust's CUDA device system.
#include <cuda_runtime.h>
#include <thrust/system/cuda/execution_policy.h>
#include <thrust/system/cuda/vector.h>

#include <string>
#include <vector>

#include "pipeline_deps.h"
#include "werk/error.h"

namespace werk::cuda {
namespace impl {

struct System {
  template <class T>
  using vector = thrust::cuda::vector<T>;
  static auto policy() { return thrust::cuda::par; }
  static constexpr bool host_memory = false;
  static void begin_step() {}
  // All pairs in one narrowphase launch.
  static constexpr int narrow_batch = 1 << 30;
  // Manifolds are collided once and kept.
  static constexpr int keep_pairs = 1 << 30;
  // Colouring by parallel claim rounds (see constraint_graph.h).
  static constexpr bool sequential_coloring = false;
  // One launch per colour; launches on one stream run in order.
  template <class F>
  static void for_each_color(const std::vector<int32_t>& offsets, int /*serial_from: rounds never overflow*/, F f) {
    for (size_t k = 0; k + 1 < offsets.size(); ++k) {
      const int begin = offsets[k], count = offsets[k + 1] - begin;
      if (count > 0)
        thrust::for_each_n(thrust::cuda::par, thrust::counting_iterator<int>(begin), count, f);
    }
  }
};

#include "pipeline.inl"

}  // namespace impl

// With no driver, cudaGetDeviceCount fails and leaves the count alone.
bool device_present() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return count > 0;
}

std::unique_ptr<Backend> make_backend() {
  if (!device_present()) throw RuntimeError("the CUDA backend needs a CUDA device, and none was found");
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  return std::make_unique<impl::Pipeline>(std::string("cuda(") + prop.name + ")");
}

}  // namespace werk::cuda
