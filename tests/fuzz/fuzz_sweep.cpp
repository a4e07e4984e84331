// Fuzz target: the sweep-file reader and its expansion into variants
// (engine/src/sweep/spec.cpp) on any text. The text is read as the sweep
// file scenes/sweeps/fuzz.yaml of the source tree, so `scene:` finds the
// repository's scenes; every variant's scene is compiled, as `werk sweep`
// does. Bad input must end in a located InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sweep/sweep.h"
#include "werk/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    werk::sweep::Spec s = werk::sweep::load_text(WERK_SOURCE_DIR "/scenes/sweeps/fuzz.yaml", text);
    for (int v = 0; v < s.nvariant(); ++v) (void)werk::sweep::variant_document(s, v);
  } catch (const werk::InputError&) {
  }
  return 0;
}
