// Joints of a scene: read from YAML, stored in each body's frame.
#pragma once

#include <map>
#include <string>

#include "werk/model.h"
#include "yaml_read.h"

namespace werk {

void read_joints(const yaml::Source& src, yaml::MapReader& top, Model& m, const std::map<std::string, int>& body_names);

}  // namespace werk
