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

WERK_AVX2_BEGIN

namespace wide8 {
#include "pose_phase_lanes.inl"
}  // namespace wide8

WERK_AVX2_END

}  // namespace werk

#endif
