// The benchmark peers' scene reader: the subset of Werk's YAML scene format
// that the benchmark scenes use (gravity, dt, materials, parts, static and
// dynamic bodies with plane, box and sphere shapes, position, rotation,
// velocity, angular_velocity, mass, grid, straight conveyors). Anything else
// is rejected with a message naming the peer, rather than simulated
// differently.
//
// Each peer reads into its own vector and rotation types through a small
// geometry policy G:
//   using V = ...; using Q = ...;
//   static V vec(double x, double y, double z);
//   static Q quat(double w, double x, double y, double z);  // normalised
//   static Q axis_angle(V axis, double radians);
//   static V scale(double s, V v);
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace peer {

constexpr double kPi = 3.14159265358979323846;

[[noreturn]] inline void fail(const std::string& what) { throw std::runtime_error(what); }

struct Material {
  double density = 1000, friction = 0.5, restitution = 0;
};

template <class V>
struct ShapeDesc {
  std::string type;  // plane | box | sphere
  V half;
  double radius = 0;
  int material = -1;  // -1: the body's material
};

template <class V, class Q>
struct BodyDesc {
  std::string name;
  bool is_static = false;
  ShapeDesc<V> shape;
  int material = 0;
  V pos, vel, angvel;
  Q rot;
  double mass = -1;  // < 0: from density and volume
  int count[3] = {1, 1, 1};
  V spacing;
};

template <class V>
struct BeltDesc {
  std::string name;
  V from, to;
  double width = 0, speed = 0;
  int material = 0;
};

template <class V, class Q>
struct Scene {
  std::string name;
  V gravity;
  double dt = 1.0 / 240.0;
  int substeps = 1;  // Werk's sub-steps for this scene: the scene's, or Werk's default ceil(480 dt) in 1..64
  std::vector<Material> materials;
  std::vector<BodyDesc<V, Q>> bodies;
  std::vector<BeltDesc<V>> belts;
};

template <class G>
class SceneReader {
 public:
  using V = typename G::V;
  using Q = typename G::Q;

  explicit SceneReader(std::string peer) : peer_(std::move(peer)) {}

  Scene<V, Q> load(const std::string& path) {
    YAML::Node root = YAML::LoadFile(path);
    Scene<V, Q> sc;
    sc.name = root["name"].as<std::string>();
    sc.gravity = root["gravity"] ? vec3(root["gravity"], "gravity") : G::vec(0, 0, -9.81);
    if (root["dt"]) sc.dt = root["dt"].as<double>();
    sc.substeps = root["substeps"] ? root["substeps"].as<int>()
                                   : int(std::min(64.0, std::max(1.0, std::ceil(480.0 * sc.dt - 1e-9))));
    read_materials(root, sc);
    read_parts(root);
    for (const char* key : {"static", "bodies"}) read_bodies(root, key, sc);
    read_belts(root, sc);
    return sc;
  }

 private:
  struct Part {
    ShapeDesc<V> shape;
    int material = 0;
  };

  [[noreturn]] void unsupported(const std::string& what) { fail(what + " not supported by the " + peer_ + " peer"); }

  V vec3(const YAML::Node& n, const std::string& what) {
    if (!n.IsSequence() || n.size() != 3) fail(what + ": expected [x, y, z]");
    return G::vec(n[0].as<double>(), n[1].as<double>(), n[2].as<double>());
  }

  Q rotation(const YAML::Node& n, const std::string& what) {
    if (n.IsSequence() && n.size() == 4)  // [w, x, y, z]
      return G::quat(n[0].as<double>(), n[1].as<double>(), n[2].as<double>(), n[3].as<double>());
    if (n.IsMap() && n["axis"] && n["angle_deg"])
      return G::axis_angle(vec3(n["axis"], what + ".axis"), n["angle_deg"].as<double>() * kPi / 180.0);
    fail(what + ": expected [w, x, y, z] or {axis, angle_deg}");
  }

  int material_index(const YAML::Node& n, const std::string& what) {
    auto it = mats_.find(n.as<std::string>());
    if (it == mats_.end()) fail(what + ": unknown material '" + n.as<std::string>() + "'");
    return it->second;
  }

  ShapeDesc<V> read_shape(const YAML::Node& n, const std::string& what) {
    ShapeDesc<V> s;
    s.type = n["type"].as<std::string>();
    s.half = G::vec(0, 0, 0);
    if (n["position"] || n["rotation"]) unsupported(what + ": shape offsets are");
    if (n["material"]) s.material = material_index(n["material"], what + ".material");
    if (s.type == "box") {
      s.half = G::scale(0.5, vec3(n["size"], what + ".size"));
    } else if (s.type == "sphere") {
      s.radius = n["radius"].as<double>();
    } else if (s.type != "plane") {
      fail(what + ": shape type '" + s.type + "' is not supported by the " + peer_ + " peer (plane, box, sphere)");
    }
    return s;
  }

  void read_materials(const YAML::Node& root, Scene<V, Q>& sc) {
    mats_ = {{"default", 0}};
    sc.materials.push_back(Material{});
    YAML::Node m = root["materials"];
    if (!m) return;
    for (auto it = m.begin(); it != m.end(); ++it) {
      const std::string name = it->first.as<std::string>();
      const YAML::Node& v = it->second;
      Material mat;
      if (v["density"]) mat.density = v["density"].as<double>();
      if (v["friction"]) mat.friction = v["friction"].as<double>();
      if (v["restitution"]) mat.restitution = v["restitution"].as<double>();
      auto found = mats_.find(name);
      if (found != mats_.end()) {
        sc.materials[found->second] = mat;
      } else {
        mats_[name] = int(sc.materials.size());
        sc.materials.push_back(mat);
      }
    }
  }

  void read_parts(const YAML::Node& root) {
    YAML::Node p = root["parts"];
    if (!p) return;
    for (auto it = p.begin(); it != p.end(); ++it) {
      const std::string name = it->first.as<std::string>(), what = "parts." + name;
      Part part;
      if (it->second["shapes"]) unsupported(what + ": compound shapes are");
      if (it->second["material"]) part.material = material_index(it->second["material"], what);
      part.shape = read_shape(it->second["shape"], what + ".shape");
      parts_[name] = part;
    }
  }

  void read_bodies(const YAML::Node& root, const char* key, Scene<V, Q>& sc) {
    YAML::Node list = root[key];
    if (!list) return;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node& n = list[i];
      const std::string what = std::string(key) + "[" + std::to_string(i) + "]";
      BodyDesc<V, Q> b;
      b.is_static = std::strcmp(key, "static") == 0;
      b.name = n["name"].as<std::string>();
      b.pos = b.vel = b.angvel = b.spacing = G::vec(0, 0, 0);
      b.rot = G::quat(1, 0, 0, 0);
      if (n["kind"] && n["kind"].as<std::string>() != "dynamic")
        unsupported(what + ": kind '" + n["kind"].as<std::string>() + "' is");
      if (n["shapes"]) unsupported(what + ": compound shapes are");
      if (n["part"]) {
        auto it = parts_.find(n["part"].as<std::string>());
        if (it == parts_.end()) fail(what + ": unknown part");
        b.shape = it->second.shape;
        b.material = it->second.material;
      } else {
        b.shape = read_shape(n["shape"], what + ".shape");
      }
      if (n["material"]) b.material = material_index(n["material"], what + ".material");
      if (b.shape.material >= 0) b.material = b.shape.material;
      if (b.shape.type == "plane" && !b.is_static) fail(what + ": a plane on a dynamic body");
      if (n["position"]) b.pos = vec3(n["position"], what + ".position");
      if (n["rotation"]) b.rot = rotation(n["rotation"], what + ".rotation");
      if (!b.is_static && n["velocity"]) b.vel = vec3(n["velocity"], what + ".velocity");
      if (!b.is_static && n["angular_velocity"]) b.angvel = vec3(n["angular_velocity"], what + ".angular_velocity");
      if (n["mass"]) b.mass = n["mass"].as<double>();
      if (n["inertia"]) unsupported(what + ": explicit inertia is");
      if (YAML::Node g = n["grid"]) {
        for (int k = 0; k < 3; ++k) b.count[k] = g["count"][k].as<int>();
        b.spacing = vec3(g["spacing"], what + ".grid.spacing");
      }
      sc.bodies.push_back(b);
    }
  }

  void read_belts(const YAML::Node& root, Scene<V, Q>& sc) {
    YAML::Node list = root["conveyors"];
    if (!list) return;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node& n = list[i];
      const std::string what = "conveyors[" + std::to_string(i) + "]";
      if (!n["from"]) unsupported(what + ": curved conveyors are");
      BeltDesc<V> c;
      c.name = n["name"].as<std::string>();
      c.from = vec3(n["from"], what + ".from");
      c.to = vec3(n["to"], what + ".to");
      c.width = n["width"].as<double>();
      if (n["speed"]) c.speed = n["speed"].as<double>();
      if (n["material"]) c.material = material_index(n["material"], what + ".material");
      sc.belts.push_back(c);
    }
  }

  std::string peer_;
  std::map<std::string, int> mats_;
  std::map<std::string, Part> parts_;
};

}  // namespace peer
