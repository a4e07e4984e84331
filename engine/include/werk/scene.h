// Scene files: YAML in, Model out.
//
// load_scene() reads and validates a scene file and compiles it into an
// immutable Model. Every problem is reported as an InputError naming the
// file, line and column, what was expected and what was found. The format
// is documented in docs/scene-format.md.
#pragma once

#include <string>

#include "werk/model.h"

namespace werk {

// Reads, validates and compiles the scene at `path`. Throws InputError.
WERK_API Model load_scene(const std::string& path);

// The same from text already in memory; `path` names it in messages and
// anchors relative file references (meshes).
WERK_API Model compile_scene(const std::string& text, const std::string& path);

}  // namespace werk
