// Reading shapes and conveyors from a scene, and placing bodies in the Model.
#include "scene_shapes.h"

#include <cmath>
#include <filesystem>

#include "convex_hull.h"
#include "werk_limits.h"
#include "mass_properties.h"
#include "mesh_import.h"

namespace werk {
namespace {

using yaml::MapReader;
constexpr double kPi = 3.14159265358979323846;

// Compiled conveyors are static boxes this thick, top surface at the path.
constexpr float kBeltThickness = 0.05f;
// Curved belts are built from this many straight segments per 90 degrees.
constexpr int kArcSegmentsPerQuarter = 12;

}  // namespace

ShapeSpec read_shape(const yaml::Source& src, const YAML::Node& node, const std::string& what,
                     const std::map<std::string, int>& materials, int material, const std::string& base_dir,
                     GeometryData& geometry) {
  MapReader r(src, node, what);
  ShapeSpec s;
  std::string type = r.choice("type", {"sphere", "box", "capsule", "cylinder", "plane", "hull", "mesh"});
  s.material = material;
  if (YAML::Node mat = r.optional("material")) {
    std::string name = yaml::as_string(src, mat, r.path("material"));
    auto it = materials.find(name);
    if (it == materials.end()) yaml::fail(src, mat, r.path("material") + ": expected a defined material, found unknown '" + name + "'");
    s.material = it->second;
  }
  s.pos = r.vec3("position", Vec3{0, 0, 0});
  s.quat = r.rotation("rotation", quat_identity());
  if (type == "sphere") {
    s.type = ShapeType::Sphere;
    s.size = {float(r.positive("radius")), 0, 0};
  } else if (type == "box") {
    s.type = ShapeType::Box;
    YAML::Node size = r.required("size");
    Vec3 v = yaml::as_vec3(src, size, r.path("size"));
    if (!(v.x > 0 && v.y > 0 && v.z > 0))
      yaml::fail(src, size, r.path("size") + ": expected three positive edge lengths (m), found a value <= 0");
    s.size = 0.5f * v;
  } else if (type == "capsule") {
    s.type = ShapeType::Capsule;
    s.size = {float(r.positive("radius")), float(0.5 * r.positive("length")), 0};
  } else if (type == "cylinder") {
    s.type = ShapeType::Cylinder;
    s.size = {float(r.positive("radius")), float(0.5 * r.positive("height")), 0};
  } else if (type == "plane") {
    s.type = ShapeType::Plane;
  } else if (type == "hull") {
    s.type = ShapeType::Hull;
    YAML::Node pts = r.required("points");
    if (!pts.IsSequence() || pts.size() < 4)
      yaml::fail(src, pts, r.path("points") + ": expected a list of at least 4 points [x, y, z], found " +
                               (pts.IsSequence() ? std::to_string(pts.size()) + " points" : yaml::describe(pts)));
    if (int64_t(pts.size()) > limits::kHullPoints)
      yaml::fail(src, pts, r.path("points") + ": expected at most " + std::to_string(limits::kHullPoints) +
                               " points, found " + std::to_string(pts.size()));
    std::vector<Vec3> points;
    for (size_t i = 0; i < pts.size(); ++i) points.push_back(yaml::as_vec3(src, pts[i], r.path("points")));
    std::string err = build_convex_hull(points, geometry, s.data_begin);
    if (!err.empty()) yaml::fail(src, pts, r.path("points") + ": " + err);
  } else {  // mesh
    s.type = ShapeType::Triangle;
    YAML::Node file = r.required("file");
    std::string rel = yaml::as_string(src, file, r.path("file"));
    double scale = r.positive("scale", 1.0);
    std::filesystem::path p(rel);
    if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
    MeshData mesh;
    std::string err = load_mesh(p.string(), float(scale), mesh);
    if (!err.empty()) yaml::fail(src, file, r.path("file") + ": " + err);
    s.data_begin = append_mesh_triangles(geometry, mesh);
    s.data_count = int(mesh.triangle.size());
  }
  r.finish();
  return s;
}

void SceneBuilder::add_shape(int body, const ShapeSpec& s, Vec3 pos, Quat quat) {
  m_.shape_type.push_back(s.type);
  m_.shape_body.push_back(body);
  m_.shape_material.push_back(s.material);
  m_.shape_size.push_back(s.size);
  m_.shape_pos.push_back(pos);
  m_.shape_quat.push_back(quat);
  m_.shape_data_begin.push_back(-1);
  m_.shape_conveyor.push_back(-1);
}

std::string SceneBuilder::add_body(const BodyInit& init, const std::vector<ShapeSpec>& shapes) {
  const bool dynamic = init.kind == BodyKind::Dynamic;
  for (const auto& s : shapes) {
    if (s.type == ShapeType::Plane && init.kind != BodyKind::Static)
      return "expected planes only on static geometry, found a plane on a " +
             std::string(dynamic ? "dynamic" : "kinematic") + " body";
    if (s.type == ShapeType::Triangle && init.kind != BodyKind::Static)
      return "expected meshes only on static geometry (use a hull for moving parts), found a mesh on a moving body";
  }
  // Dynamic bodies put their frame at the centre of mass, on the principal
  // axes: the solver then needs no offsets and a diagonal inertia.
  Vec3 com{0, 0, 0};
  Quat principal = quat_identity();
  float mass = 0;
  Vec3 inertia{0, 0, 0};
  if (dynamic) {
    std::vector<MassProperties> parts;
    std::vector<Transform> poses;
    for (const auto& s : shapes) {
      parts.push_back(shape_mass_properties(s.type, s.size, m_.material_density[s.material], &m_.geometry, s.data_begin));
      poses.push_back(Transform{s.pos, s.quat});
    }
    BodyMassProperties bm = combine_mass_properties(parts, poses);
    if (!(bm.mass > 0)) return "expected shapes with a positive volume, found a body of zero mass";
    com = bm.com;
    principal = bm.principal_rotation;
    mass = float(bm.mass);
    inertia = bm.principal_inertia;
    if (init.mass > 0) {  // an explicit mass scales the inertia with it
      inertia = (init.mass / mass) * inertia;
      mass = init.mass;
    }
    if (init.has_inertia) inertia = init.inertia, principal = quat_identity();
  }
  const int body = m_.nbody();
  m_.body_name.push_back(init.name);
  m_.body_kind.push_back(init.kind);
  m_.body_mass.push_back(mass);
  m_.body_inv_mass.push_back(dynamic ? 1.0f / mass : 0.0f);
  m_.body_inertia.push_back(inertia);
  m_.body_inv_inertia.push_back(dynamic ? Vec3{1 / inertia.x, 1 / inertia.y, 1 / inertia.z} : Vec3{0, 0, 0});
  m_.body_pos0.push_back(init.pos + rotate(init.quat, com));
  m_.body_quat0.push_back(quat_normalize(init.quat * principal));
  m_.body_vel0.push_back(init.vel);
  m_.body_angvel0.push_back(init.angvel);
  m_.body_shape_begin.push_back(m_.nshape());
  // Shape poses relative to the (possibly moved) body frame.
  const Transform frame{com, principal};
  int count = 0;
  for (const auto& s : shapes) {
    Vec3 pos = rotate_inv(frame.q, s.pos - frame.p);
    Quat quat = quat_normalize(conj(frame.q) * s.quat);
    if (s.type == ShapeType::Hull) {
      add_shape(body, s, pos, quat);
      m_.shape_data_begin.back() = s.data_begin;
      ++count;
    } else if (s.type == ShapeType::Triangle) {
      for (int t = 0; t < s.data_count; ++t) {
        add_shape(body, s, pos, quat);
        m_.shape_data_begin.back() = s.data_begin + t;
        ++count;
      }
    } else {
      add_shape(body, s, pos, quat);
      ++count;
    }
  }
  m_.body_shape_count.push_back(count);
  return "";
}

int SceneBuilder::add_conveyor_shape(int body, const ShapeSpec& shape, int conveyor) {
  add_shape(body, shape, shape.pos, shape.quat);
  m_.shape_conveyor.back() = conveyor;
  m_.body_shape_count[body] += 1;
  return m_.nshape() - 1;
}

// Conveyors: each becomes a static body of belt-segment boxes whose top
// face lies on the path; the solver drags contacts at the surface speed.
void read_conveyors(const yaml::Source& src, yaml::MapReader& top, Model& m, SceneBuilder& b,
                    const std::map<std::string, int>& materials, std::map<std::string, int>& body_names) {
  YAML::Node list = top.optional("conveyors");
  if (!list) return;
  if (!list.IsSequence()) yaml::fail(src, list, "conveyors: expected a list of conveyors, found " + yaml::describe(list));
  std::map<std::string, int> names;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string what = "conveyors[" + std::to_string(i) + "]";
    MapReader r(src, list[i], what);
    std::string name = r.string("name");
    if (!names.emplace(name, int(i)).second || body_names.count(name))
      yaml::fail(src, r.required("name"), "conveyor name: expected a unique name, found '" + name + "' defined twice");
    float width = float(r.positive("width"));
    float speed = float(r.number("speed", 0.0));
    int material = 0;
    if (YAML::Node mat = r.optional("material")) {
      std::string mname = yaml::as_string(src, mat, r.path("material"));
      auto it = materials.find(mname);
      if (it == materials.end()) yaml::fail(src, mat, r.path("material") + ": expected a defined material, found unknown '" + mname + "'");
      material = it->second;
    }
    YAML::Node from = r.optional("from"), arc = r.optional("arc");
    if (bool(from) == bool(arc))
      yaml::fail(src, list[i], what + ": expected a straight path (from, to) or an arc, found " + (from ? "both" : "neither"));
    const int conveyor = m.nconveyor();
    BodyInit init;
    init.name = name;
    init.kind = BodyKind::Static;
    b.add_body(init, {});
    const int body = m.nbody() - 1;
    body_names[name] = body;
    ShapeSpec seg;
    seg.type = ShapeType::Box;
    seg.material = material;
    if (from) {
      Vec3 a = yaml::as_vec3(src, from, r.path("from"));
      Vec3 c = r.vec3("to");
      Vec3 d = c - a;
      float len = length(d);
      if (!(len > 1e-6f)) yaml::fail(src, r.required("to"), r.path("to") + ": expected a point different from 'from', found the same point");
      Vec3 dir = (1.0f / len) * d;
      // Belt frame: x along the path, z up (tilted with the path).
      Vec3 side = normalize(cross(Vec3{0, 0, 1}, dir));
      if (length(side) < 0.5f) yaml::fail(src, r.required("to"), what + ": expected a path that is not vertical, found a vertical one");
      Vec3 up = cross(dir, side);
      seg.size = {0.5f * len, 0.5f * width, 0.5f * kBeltThickness};
      seg.pos = 0.5f * (a + c) - (0.5f * kBeltThickness) * up;
      seg.quat = quat_from_axes(dir, side, up);
      b.add_conveyor_shape(body, seg, conveyor);
      m.conveyor_curved.push_back(0);
      m.conveyor_direction.push_back(dir);
      m.conveyor_center.push_back(Vec3{0, 0, 0});
    } else {
      MapReader ar(src, arc, r.path("arc"));
      Vec3 center = ar.vec3("center");
      float radius = float(ar.positive("radius"));
      double a0 = ar.number("start_deg"), a1 = ar.number("end_deg");
      ar.finish();
      if (a0 == a1 || std::fabs(a1 - a0) > 360.0)
        yaml::fail(src, arc, r.path("arc") + ": expected 0 < |end_deg - start_deg| <= 360, found " + format_number(a1 - a0));
      if (width >= 2 * radius) yaml::fail(src, arc, r.path("arc") + ": expected radius > width / 2, found a belt wider than its turn");
      const int nseg = std::max(2, int(std::ceil(std::fabs(a1 - a0) / 90.0 * kArcSegmentsPerQuarter)));
      const double step = (a1 - a0) / nseg * kPi / 180.0;
      for (int k = 0; k < nseg; ++k) {
        double mid = a0 * kPi / 180.0 + (k + 0.5) * step;
        // Outer edge chord length, so that segments overlap rather than gap.
        float chord = float(2.0 * (radius + 0.5 * width) * std::sin(0.5 * std::fabs(step)));
        seg.size = {0.5f * width, 0.5f * chord, 0.5f * kBeltThickness};
        seg.pos = center + Vec3{float(radius * std::cos(mid)), float(radius * std::sin(mid)), -0.5f * kBeltThickness};
        seg.quat = quat_axis_angle(Vec3{0, 0, 1}, float(mid));
        b.add_conveyor_shape(body, seg, conveyor);
      }
      m.conveyor_curved.push_back(1);
      m.conveyor_direction.push_back(Vec3{0, 0, a1 > a0 ? 1.0f : -1.0f});
      m.conveyor_center.push_back(center);
      m.conveyor_radius.push_back(radius);
    }
    if (from) m.conveyor_radius.push_back(0);
    // Control rules are compiled with the line (engine/src/line).
    r.optional("stop_when");
    r.optional("acceleration");
    r.finish();
    m.conveyor_name.push_back(name);
    m.conveyor_speed.push_back(speed);
  }
}

}  // namespace werk
