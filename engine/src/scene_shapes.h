// Shapes, bodies and conveyors of a scene, as read from YAML and added to a Model.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "werk/model.h"
#include "yaml_read.h"

namespace werk {

// One shape as written in a scene, before it is placed on a body.
struct ShapeSpec {
  ShapeType type = ShapeType::Sphere;
  Vec3 size{0, 0, 0};        // internal dimensions, see ShapeType
  Vec3 pos{0, 0, 0};         // pose in the body frame as written
  Quat quat{1, 0, 0, 0};
  int material = 0;
  int data_begin = -1;       // Hull: hull index; mesh: first triangle (in Model::geometry)
  int data_count = 0;        // mesh: triangle count
};

// Initial conditions of one body.
struct BodyInit {
  std::string name;
  BodyKind kind = BodyKind::Dynamic;
  Vec3 pos{0, 0, 0}, vel{0, 0, 0}, angvel{0, 0, 0};
  Quat quat{1, 0, 0, 0};
  float mass = 0;            // > 0 overrides the mass from density
  Vec3 inertia{0, 0, 0};
  bool has_inertia = false;
};

// Reads one shape; hulls and meshes are built into `geometry` once here,
// however many bodies then use the shape.
ShapeSpec read_shape(const yaml::Source& src, const YAML::Node& node, const std::string& what,
                     const std::map<std::string, int>& materials, int material, const std::string& base_dir,
                     GeometryData& geometry);

// Appends bodies and their shapes to a Model, computing mass properties.
class SceneBuilder {
 public:
  explicit SceneBuilder(Model& m) : m_(m) {}
  // Returns an error message, or "" on success.
  std::string add_body(const BodyInit& init, const std::vector<ShapeSpec>& shapes);
  int add_conveyor_shape(int body, const ShapeSpec& shape, int conveyor);

 private:
  void add_shape(int body, const ShapeSpec& s, Vec3 pos, Quat quat);
  Model& m_;
};

void read_conveyors(const yaml::Source& src, yaml::MapReader& top, Model& m, SceneBuilder& b,
                    const std::map<std::string, int>& materials, std::map<std::string, int>& body_names);

}  // namespace werk
