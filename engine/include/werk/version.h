// Engine version and the backends compiled into this build.
#pragma once

#include <string>

namespace werk {
// Semantic version of the engine, e.g. "0.1.0".
std::string version();
// The backends compiled in, e.g. "cpu(openmp), cuda(sm_90)".
std::string compiled_backends();
// True when the CUDA backend is compiled in and a CUDA device is present.
bool cuda_device_available();
}  // namespace werk
