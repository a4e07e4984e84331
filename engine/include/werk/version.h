// Engine version and the backends compiled into this build.
#pragma once

#include <string>

#include "werk/export.h"

namespace werk {
// Semantic version of the engine, e.g. "0.1.0".
WERK_API std::string version();
// The backends compiled in, e.g. "cpu(openmp), cuda(sm_90)".
WERK_API std::string compiled_backends();
// True when the CUDA backend is compiled in and a CUDA device is present.
WERK_API bool cuda_device_available();
}  // namespace werk
