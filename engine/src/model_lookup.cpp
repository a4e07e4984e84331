// Model lookups by name (werk/model.h).
#include <string>
#include <vector>

#include "werk/error.h"
#include "werk/model.h"

namespace werk {
namespace {

// The index of `name` in `names`, or a NameError that lists the names there are.
int32_t find(const Model& m, const std::vector<std::string>& names, const std::string& name, const char* kind) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return int32_t(i);
  std::string known;
  for (size_t i = 0; i < names.size() && i < 20; ++i) known += (i ? ", " : "") + names[i];
  if (names.size() > 20) known += ", ... (" + std::to_string(names.size()) + " in all)";
  throw NameError(m.source_file.empty() ? "scene" : m.source_file, 0, 0,
                  std::string("no ") + kind + " named '" + name + "'; " +
                      (names.empty() ? std::string("the scene has none") : "expected one of: " + known));
}

}  // namespace

BodyId Model::body(const std::string& name) const { return {find(*this, body_name, name, "body")}; }
ConveyorId Model::conveyor(const std::string& name) const { return {find(*this, conveyor_name, name, "conveyor")}; }
JointId Model::joint(const std::string& name) const { return {find(*this, joint_name, name, "joint")}; }

}  // namespace werk
