// Fuzz target: mesh import (STL binary and ascii, OBJ) on any bytes. The
// first byte picks the file name's extension; the rest is the file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "mesh_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* ext[] = {".stl", ".obj", ".STL", ".OBJ"};
  const std::string path = "/tmp/werk_fuzz_mesh_" + std::to_string(getpid()) + ext[data[0] % 4];
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data + 1, 1, size - 1, f);
    std::fclose(f);
  }
  werk::MeshData mesh;
  (void)werk::load_mesh(path, 1.0f, mesh);  // an error is a message, never a throw
  std::remove(path.c_str());
  return 0;
}
