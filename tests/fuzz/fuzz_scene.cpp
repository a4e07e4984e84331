// Fuzz target: the scene compiler (physics and process sections) on any
// text. Bad input must end in an InputError; anything else (a crash, a
// sanitizer report, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "werk/error.h"
#include "werk/process.h"
#include "werk/scene.h"
#include "yaml_read.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    werk::Model m = werk::compile_scene(text, "/nonexistent/fuzz.yaml");
    werk::yaml::Source src{"fuzz.yaml"};
    YAML::Node root = werk::yaml::load_string(src, text);
    if (werk::process::has_process(root)) werk::process::validate(src, root);
  } catch (const werk::InputError&) {
  }
  return 0;
}
