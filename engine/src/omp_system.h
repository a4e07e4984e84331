// Pieces shared by the two backends that run over Thrust's OpenMP system
// (backend_cpu.cpp and backend_emulated.cpp).
#pragma once

#include <omp.h>
#include <xmmintrin.h>
#include <thrust/system/omp/execution_policy.h>
#include <thrust/system/omp/vector.h>

#include <cstdint>
#include <type_traits>

namespace werk {

// Resting piles decay velocities into denormal floats, which x86 handles
// a hundred times slower; flush them to zero on every worker thread. Every
// thread uses the same mode, so results stay thread-count independent.
inline void flush_denormals() {
#pragma omp parallel
  _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ | DAZ
}

// The device half of a System over Thrust's OpenMP system: vectors in host
// memory, the algorithms' policy with the pipeline's temporary cache.
// Backends add their strategies (see backend_cpu.cpp, gpu_strategy.h).
struct OmpDevice {
  template <class T>
  using vector = thrust::omp::vector<T>;
  using base_policy = std::remove_cv_t<decltype(thrust::omp::par)>;
  template <class Cache>
  static auto policy(Cache& cache) {
    return thrust::omp::par(cache);
  }
  // Device vectors live in host memory: the state can be read in place.
  static constexpr bool host_memory = true;
  static void begin_step() { flush_denormals(); }
  // Items of work (light kernel calls) below which an algorithm runs on
  // the calling thread: forking a team costs about as much as 4096 of
  // them with spinning threads, and far more with sleeping ones.
  static constexpr int64_t kParallelWork = 4096;
  // Threads for the next algorithm over `work` items (OpenMP's setting
  // for this thread's next regions, which Thrust's algorithms open).
  static void narrow(int threads, int64_t work) { omp_set_num_threads(work >= kParallelWork ? threads : 1); }
  // The caller's own OpenMP regions get every thread again.
  static void end_step(int threads) { omp_set_num_threads(threads); }
};

}  // namespace werk
