// CPU backend: the pipeline over Thrust's OpenMP device system.
#include <omp.h>

#include <string>
#include <type_traits>
#include <vector>

#include "omp_system.h"
#include "pipeline_deps.h"

namespace werk::cpu {
namespace impl {

struct System : OmpDevice {
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
  // Temporaries (the sorts') are allocated per call and given back: kept,
  // they would add a few hundred bytes per body, and the CPU pays little
  // for a fresh block.
  static constexpr bool keep_temporaries = false;
  // All colours of a solver pass in one parallel region: a barrier between
  // colours instead of a fork and join per colour. Static scheduling gives
  // each thread a fixed share, and no two items of a colour share a body.
  // Colours from serial_from on run in order on one thread. Returns the
  // number of parallel regions (1).
  template <class Policy, class F>
  static int for_each_color(Policy, const std::vector<int32_t>& offsets, int serial_from, F f) {
    const int ncolor = int(offsets.size()) - 1;
    if (ncolor <= 0 || offsets.back() == 0) return 0;
#pragma omp parallel
    {
      for (int k = 0; k < serial_from; ++k) {
#pragma omp for schedule(static)
        for (int i = offsets[k]; i < offsets[k + 1]; ++i) f(i);
      }
#pragma omp single
      for (int i = offsets[serial_from]; i < offsets[ncolor]; ++i) f(i);
    }
    return 1;
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
