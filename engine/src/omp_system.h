// Pieces shared by the two backends that run over Thrust's OpenMP system
// (backend_cpu.cpp and backend_emulated.cpp).
#pragma once

#include <omp.h>
#include <xmmintrin.h>
#include <thrust/system/omp/execution_policy.h>
#include <thrust/system/omp/vector.h>

namespace werk {

// Resting piles decay velocities into denormal floats, which x86 handles
// a hundred times slower; flush them to zero on every worker thread. Every
// thread uses the same mode, so results stay thread-count independent.
inline void flush_denormals() {
#pragma omp parallel
  _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ | DAZ
}

}  // namespace werk
