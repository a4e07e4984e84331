// Emulated-CUDA backend: the CUDA backend's strategies (one-launch
// narrowphase, parallel colouring rounds, one launch per colour, the
// overflow colour on one thread) over Thrust's OpenMP system. It gives the
// same results as a GPU would up to float rounding, runs wherever the CPU
// backend runs, and lets the test suite exercise every path the GPU takes
// on machines without one.
#include <omp.h>

#include <string>
#include <vector>

#include "gpu_strategy.h"
#include "omp_system.h"
#include "pipeline_deps.h"

namespace werk::emulated {
namespace impl {

struct System : OmpDevice, GpuStrategy {};

#include "pipeline.inl"

}  // namespace impl

std::unique_ptr<Backend> make_backend(int threads, bool adaptive) {
  if (threads > 0) omp_set_num_threads(threads);
  int n = threads > 0 ? threads : omp_get_max_threads();
  return std::make_unique<impl::Pipeline>("emulated-cuda(openmp, " + std::to_string(n) +
                                          (n == 1 ? " thread)" : " threads)"), n, adaptive);
}

}  // namespace werk::emulated
