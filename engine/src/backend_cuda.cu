// CUDA backend: the same pipeline over Thrust's CUDA device system.
#include <cuda_runtime.h>
#include <thrust/system/cuda/execution_policy.h>
#include <thrust/system/cuda/vector.h>

#include <string>
#include <type_traits>
#include <vector>

#include "gpu_strategy.h"
#include "pipeline_deps.h"
#include "werk/error.h"

namespace werk::cuda {
namespace impl {

struct System : GpuStrategy {
  template <class T>
  using vector = thrust::cuda::vector<T>;
  using base_policy = std::remove_cv_t<decltype(thrust::cuda::par)>;
  // No synchronisation after each algorithm (only those that return a
  // value to the host wait), temporaries from the pipeline's cache.
  template <class Cache>
  static auto policy(Cache& cache) {
    return thrust::cuda::par_nosync(cache);
  }
  static constexpr bool host_memory = false;
  static void begin_step() {}
  static void narrow(int, int64_t) {}  // the device decides
  static void end_step(int) {}
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
