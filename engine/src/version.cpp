#include "werk/version.h"

#include "backend.h"

namespace werk {

std::string version() { return WERK_VERSION; }

std::string compiled_backends() {
#ifdef WERK_HAVE_CUDA
  return "cpu(openmp), emulated-cuda(openmp), cuda(sm_90)";
#else
  return "cpu(openmp), emulated-cuda(openmp)";
#endif
}

bool cuda_device_available() {
#ifdef WERK_HAVE_CUDA
  return cuda::device_present();
#else
  return false;
#endif
}

}  // namespace werk
