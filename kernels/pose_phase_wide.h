// The pose phase (pose_phase.h) of several bodies at once, in the lanes
// of vector registers: four (SSE) or eight (AVX2, where the processor has
// it), as the contact passes (contact_solver_wide.h). Host only.
#pragma once

#if !defined(__CUDACC__)

#include "contact_solver_wide.h"
#include "pose_phase.h"

namespace werk {

namespace wide {
#include "pose_phase_lanes.inl"
}  // namespace wide

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

namespace wide8 {
#include "pose_phase_lanes.inl"
}  // namespace wide8

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

}  // namespace werk

#endif
