// Fuzz target: `werk info` on any bytes, e.g. truncated or damaged HDF5
// result files. Bad input must end in an InputError or a RuntimeError.
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli_commands.h"
#include "werk/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = [] {
    // The report itself is not of interest.
    std::cout.setstate(std::ios::badbit);
    // HDF5 keeps freed internal structures for reuse, but by default not
    // those over 64 kB, like each open file's metadata cache (about 1 MB,
    // cleared on allocation): under ASan every file opened would map and
    // fault in fresh pages for it, most of an input's time. Keeping them
    // changes nothing HDF5 reads or checks.
    H5set_free_list_limits(64 << 20, 16 << 20, 64 << 20, 16 << 20, 64 << 20, 16 << 20);
    return std::freopen("/dev/null", "w", stdout) != nullptr;
  }();
  (void)once;
  const std::string path = "/tmp/werk_fuzz_info_" + std::to_string(getpid()) + ".h5";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    werk::cli::info_command(path);
  } catch (const werk::InputError&) {
  } catch (const werk::RuntimeError&) {
  }
  std::remove(path.c_str());
  return 0;
}
