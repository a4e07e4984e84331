// CPU backend: the pipeline over Thrust's OpenMP device system.
#include <omp.h>
#include <xmmintrin.h>
#include <thrust/system/omp/execution_policy.h>
#include <thrust/system/omp/vector.h>

#include <string>
#include <vector>

#include "pipeline_deps.h"

namespace werk::cpu {
namespace impl {

struct System {
  template <class T>
  using vector = thrust::omp::vector<T>;
  static auto policy() { return thrust::omp::par; }
  // Device vectors live in host memory: the state can be read in place.
  static constexpr bool host_memory = true;
  // Resting piles decay velocities into denormal floats, which x86 handles
  // a hundred times slower; flush them to zero on every worker thread.
  // Every thread uses the same mode, so results stay thread-count independent.
  static void begin_step() {
#pragma omp parallel
    _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ | DAZ
  }
  // Narrowphase batch: pairs collided per pass before compaction, at
  // least (batches fill the contact buffer beside the pair list).
  static constexpr int narrow_batch = 1024;
  // Up to this many pairs, manifolds are collided once and kept (two
  // contact arrays of at most this size); beyond, collided again in colour
  // order (one array). Keeping every pair of PILE-1000 would be 12% faster
  // and hold 1 KB more per body.
  static constexpr int keep_pairs = 1024;
  // Greedy colouring, sequential (see constraint_graph.h).
  static constexpr bool sequential_coloring = true;
  // All colours of a solver pass in one parallel region: a barrier between
  // colours instead of a fork and join per colour. Static scheduling gives
  // each thread a fixed share, and no two items of a colour share a body.
  // Colours from serial_from on run in order on one thread.
  template <class F>
  static void for_each_color(const std::vector<int32_t>& offsets, int serial_from, F f) {
    const int ncolor = int(offsets.size()) - 1;
    if (ncolor <= 0 || offsets.back() == 0) return;
#pragma omp parallel
    {
      for (int k = 0; k < serial_from; ++k) {
#pragma omp for schedule(static)
        for (int i = offsets[k]; i < offsets[k + 1]; ++i) f(i);
      }
#pragma omp single
      for (int i = offsets[serial_from]; i < offsets[ncolor]; ++i) f(i);
    }
  }
};

#include "pipeline.inl"

}  // namespace impl

std::unique_ptr<Backend> make_backend(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  int n = threads > 0 ? threads : omp_get_max_threads();
  return std::make_unique<impl::Pipeline>("cpu(openmp, " + std::to_string(n) + (n == 1 ? " thread)" : " threads)"));
}

}  // namespace werk::cpu
