// Scene compiler: validates a YAML scene and flattens it into a Model.
//
// The compiler walks the document once, top to bottom, reading every map
// through a MapReader so that unknown keys, wrong types and bad values are
// reported where they are written. Named things (materials, parts, bodies,
// conveyors) are collected first so that references to them can be checked
// wherever they appear ("dangling name" errors point at the reference).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "werk/scene.h"
#include "../../kernels/geometry.h"
#include "scene_joints.h"
#include "scene_shapes.h"
#include "werk_limits.h"
#include "yaml_read.h"

namespace werk {
namespace {

using yaml::MapReader;
using yaml::Source;

constexpr double kPi = 3.14159265358979323846;

double norm(Vec3 v) { return std::sqrt(double(v.x) * v.x + double(v.y) * v.y + double(v.z) * v.z); }

// Names must be unique within their kind; remember where each was defined.
void check_unique(const Source& src, std::map<std::string, int>& names, const std::string& name,
                  const YAML::Node& at, const std::string& kind, int index) {
  if (!names.emplace(name, index).second)
    yaml::fail(src, at, kind + " name: expected a unique name, found '" + name + "' defined twice");
}

void read_header(const Source& src, MapReader& top, Model& m) {
  YAML::Node v = top.required("werk");
  int64_t version = yaml::as_integer(src, v, "werk");
  if (version != 1) yaml::fail(src, v, "werk: expected format version 1, found " + std::to_string(version));
  m.name = top.string("name");
  if (m.name.empty() || m.name.find('/') != std::string::npos)
    yaml::fail(src, top.required("name"), "name: expected a non-empty name without '/', found '" + m.name + "'");
  m.gravity = top.vec3("gravity", Vec3{0, 0, -9.81f});
  m.dt = top.positive("dt", 1.0 / 240.0);
  // Default: enough sub-steps for a sub-step rate of at least 480 Hz,
  // which keeps stacks of 10 cm parts still (see contact_solver.h).
  const double default_substeps = std::clamp(std::ceil(480.0 * m.dt - 1e-9), 1.0, 64.0);
  m.substeps = int(top.in_range("substeps", 1, 64, default_substeps));
  if (double(m.substeps) != top.number("substeps", double(m.substeps)))
    yaml::fail(src, top.required("substeps"), "substeps: expected an integer, found a fraction");
  m.duration = top.non_negative("duration", 10.0);
  m.record_interval = top.positive("record_interval", std::max(1.0 / 30.0, m.dt));
  if (m.record_interval < m.dt)
    yaml::fail(src, top.required("record_interval"),
               "record_interval: expected at least one time step (dt), found a shorter interval");
  m.sleep = top.boolean("sleep", true);
  int64_t seed = top.integer("seed", 1);
  if (seed < 0) yaml::fail(src, top.required("seed"), "seed: expected an integer >= 0, found a negative one");
  m.seed = uint64_t(seed);
}

void read_materials(const Source& src, MapReader& top, Model& m, std::map<std::string, int>& index) {
  // A default material so that scenes without materials still work.
  auto add = [&](const std::string& name, float density, float friction, float restitution, float rolling,
                 float spinning) {
    m.material_name.push_back(name);
    m.material_density.push_back(density);
    m.material_friction.push_back(friction);
    m.material_restitution.push_back(restitution);
    m.material_rolling_friction.push_back(rolling);
    m.material_spinning_friction.push_back(spinning);
  };
  add("default", 1000.0f, 0.5f, 0.0f, 0.0f, 0.0f);
  index["default"] = 0;
  YAML::Node mats = top.optional("materials");
  if (!mats) return;
  if (!mats.IsMap()) yaml::fail(src, mats, "materials: expected a map of name: {density, friction, restitution}, found " + yaml::describe(mats));
  for (auto it = mats.begin(); it != mats.end(); ++it) {
    std::string name = it->first.Scalar();
    MapReader r(src, it->second, "materials." + name);
    float density = float(r.positive("density", 1000.0));
    float friction = float(r.non_negative("friction", 0.5));
    float restitution = float(r.in_range("restitution", 0.0, 1.0, 0.0));
    float rolling = float(r.non_negative("rolling_friction", 0.0));
    float spinning = float(r.non_negative("spinning_friction", 0.0));
    r.finish();
    if (name == "default") {  // overriding the default is allowed
      m.material_density[0] = density;
      m.material_friction[0] = friction;
      m.material_restitution[0] = restitution;
      m.material_rolling_friction[0] = rolling;
      m.material_spinning_friction[0] = spinning;
      continue;
    }
    check_unique(src, index, name, it->first, "material", m.nmaterial());
    add(name, density, friction, restitution, rolling, spinning);
  }
}

int material_ref(const Source& src, MapReader& r, const std::map<std::string, int>& materials, int fallback) {
  YAML::Node n = r.optional("material");
  if (!n) return fallback;
  std::string name = yaml::as_string(src, n, r.path("material"));
  auto it = materials.find(name);
  if (it == materials.end()) yaml::fail(src, n, r.path("material") + ": expected a defined material, found unknown '" + name + "'");
  return it->second;
}

// What a body or part template says about its shapes and material.
struct BodyShapes {
  std::vector<ShapeSpec> shapes;
  int material = 0;
  YAML::Node at;
  int64_t pool = 0;       // idle bodies for parts placed during a run
  YAML::Node pool_node;
};

std::vector<ShapeSpec> read_shape_list(const Source& src, MapReader& r, const std::map<std::string, int>& materials,
                                       int material, const std::string& base_dir, bool required, GeometryData& geometry) {
  std::vector<ShapeSpec> out;
  YAML::Node one = r.optional("shape");
  YAML::Node many = r.optional("shapes");
  if (one && many) yaml::fail(src, many, r.path("shapes") + ": expected either 'shape' or 'shapes', found both");
  if (one) out.push_back(read_shape(src, one, r.path("shape"), materials, material, base_dir, geometry));
  if (many) {
    if (!many.IsSequence() || many.size() == 0)
      yaml::fail(src, many, r.path("shapes") + ": expected a non-empty list of shapes, found " + yaml::describe(many));
    for (size_t i = 0; i < many.size(); ++i)
      out.push_back(read_shape(src, many[i], r.path("shapes") + "[" + std::to_string(i) + "]", materials, material, base_dir,
                               geometry));
  }
  if (required && out.empty()) yaml::fail(src, r.node(), r.path("shape") + ": missing required key 'shape' (or 'shapes')");
  return out;
}

void read_parts(const Source& src, MapReader& top, const std::map<std::string, int>& materials,
                const std::string& base_dir, std::map<std::string, BodyShapes>& parts, std::vector<std::string>& order,
                GeometryData& geometry) {
  YAML::Node node = top.optional("parts");
  if (!node) return;
  if (!node.IsMap()) yaml::fail(src, node, "parts: expected a map of name: {shape, material}, found " + yaml::describe(node));
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string name = it->first.Scalar();
    if (parts.count(name)) yaml::fail(src, it->first, "part name: expected a unique name, found '" + name + "' defined twice");
    MapReader r(src, it->second, "parts." + name);
    BodyShapes p;
    p.material = material_ref(src, r, materials, 0);
    p.shapes = read_shape_list(src, r, materials, p.material, base_dir, true, geometry);
    p.at = it->first;
    if (YAML::Node pool = r.optional("pool")) {
      p.pool = yaml::as_integer(src, pool, r.path("pool"));
      if (p.pool < 1 || p.pool > limits::kBodies)
        yaml::fail(src, pool, r.path("pool") + ": expected a number of bodies in [1, " + std::to_string(limits::kBodies) +
                                  "], found " + pool.Scalar());
      for (const auto& sh : p.shapes)
        if (sh.type == ShapeType::Triangle || sh.type == ShapeType::Plane)
          yaml::fail(src, pool, r.path("pool") + ": expected a part of solid shapes, found a mesh or plane (they are static only)");
      p.pool_node = pool;
    }
    r.finish();
    order.push_back(name);
    parts[name] = std::move(p);
  }
}

// One body (or a grid of copies) from a `bodies:` or `static:` entry.
void read_body(const Source& src, const YAML::Node& node, const std::string& what, bool is_static, Model& m,
               SceneBuilder& b, const std::map<std::string, int>& materials,
               const std::map<std::string, BodyShapes>& parts, const std::string& base_dir,
               std::map<std::string, int>& body_names) {
  MapReader r(src, node, what);
  std::string name = r.string("name");
  YAML::Node name_node = r.required("name");
  BodyKind kind = BodyKind::Static;
  if (!is_static) {
    std::string k = r.choice("kind", {"dynamic", "kinematic"}, std::string("dynamic"));
    kind = k == "dynamic" ? BodyKind::Dynamic : BodyKind::Kinematic;
  }
  // Shapes come from a part template or are given inline.
  BodyShapes shapes;
  YAML::Node part = r.optional("part");
  int material = material_ref(src, r, materials, -1);
  if (part) {
    std::string pname = yaml::as_string(src, part, r.path("part"));
    auto it = parts.find(pname);
    if (it == parts.end()) yaml::fail(src, part, r.path("part") + ": expected a defined part, found unknown '" + pname + "'");
    shapes = it->second;
    if (r.has("shape") || r.has("shapes"))
      yaml::fail(src, part, what + ": expected either 'part' or 'shape', found both");
    r.optional("shape");
    r.optional("shapes");
    if (material >= 0)
      for (auto& s : shapes.shapes) s.material = material;
  } else {
    shapes.shapes = read_shape_list(src, r, materials, material < 0 ? 0 : material, base_dir, true, m.geometry);
  }
  BodyInit init;
  init.kind = kind;
  init.pos = r.vec3("position", Vec3{0, 0, 0});
  init.quat = r.rotation("rotation", quat_identity());
  init.vel = is_static ? Vec3{0, 0, 0} : r.vec3("velocity", Vec3{0, 0, 0});
  init.angvel = is_static ? Vec3{0, 0, 0} : r.vec3("angular_velocity", Vec3{0, 0, 0});
  // A start beyond the blow-up check's limits would stop the run at once.
  if (norm(init.vel) > limits::kSpeed)
    yaml::fail(src, r.required("velocity"), r.path("velocity") + ": expected a speed of at most " +
                                                format_number(limits::kSpeed) + " m/s, found " +
                                                format_number(norm(init.vel)) + " m/s");
  if (norm(init.angvel) > limits::kAngularSpeed)
    yaml::fail(src, r.required("angular_velocity"), r.path("angular_velocity") + ": expected an angular speed of at most " +
                                                        format_number(limits::kAngularSpeed) + " rad/s, found " +
                                                        format_number(norm(init.angvel)) + " rad/s");
  if (!is_static) {
    YAML::Node mass = r.optional("mass");
    if (mass) {
      double v = yaml::as_number(src, mass, r.path("mass"));
      if (!(v > 0)) yaml::fail(src, mass, r.path("mass") + ": expected a positive mass (kg), found " + mass.Scalar());
      if (v < limits::kMinMass)  // its inverse would overflow single precision
        yaml::fail(src, mass, r.path("mass") + ": expected a mass of at least " + format_number(limits::kMinMass) +
                                  " kg, found " + mass.Scalar());
      init.mass = float(v);
    }
    YAML::Node inertia = r.optional("inertia");
    if (inertia) {
      Vec3 i = yaml::as_vec3(src, inertia, r.path("inertia"));
      if (!(i.x > 0 && i.y > 0 && i.z > 0))
        yaml::fail(src, inertia, r.path("inertia") + ": expected three positive principal moments (kg m^2), found a value <= 0");
      if (!(i.x >= limits::kMinInertia && i.y >= limits::kMinInertia && i.z >= limits::kMinInertia))
        yaml::fail(src, inertia, r.path("inertia") + ": expected principal moments of at least " +
                                     format_number(limits::kMinInertia) + " kg m^2, found a smaller one");
      init.inertia = i;
      init.has_inertia = true;
    }
  }
  // A grid repeats the body: count [nx, ny, nz] at spacing [dx, dy, dz].
  int nx = 1, ny = 1, nz = 1;
  Vec3 spacing{0, 0, 0};
  YAML::Node grid = r.optional("grid");
  if (grid) {
    MapReader g(src, grid, r.path("grid"));
    YAML::Node c = g.required("count");
    if (!c.IsSequence() || c.size() != 3) yaml::fail(src, c, g.path("count") + ": expected [nx, ny, nz], found " + yaml::describe(c));
    int64_t n[3];
    for (int i = 0; i < 3; ++i) {
      n[i] = yaml::as_integer(src, c[i], g.path("count"));
      if (n[i] < 1 || n[i] > 4096) yaml::fail(src, c[i], g.path("count") + ": expected counts in [1, 4096], found " + c[i].Scalar());
    }
    const int64_t copies = n[0] * n[1] * n[2];  // at most 4096^3 = 2^36: no overflow
    if (copies > limits::kBodies)
      yaml::fail(src, c, g.path("count") + ": expected at most " + std::to_string(limits::kBodies) +
                             " copies in a grid, found " + std::to_string(n[0]) + " x " + std::to_string(n[1]) + " x " +
                             std::to_string(n[2]) + " = " + std::to_string(copies));
    nx = int(n[0]), ny = int(n[1]), nz = int(n[2]);
    spacing = g.vec3("spacing");
    g.finish();
  }
  r.finish();
  const int64_t copies = int64_t(nx) * ny * nz;
  int64_t shapes_each = 0;  // each mesh triangle becomes a shape
  for (const auto& sh : shapes.shapes) shapes_each += sh.type == ShapeType::Triangle ? sh.data_count : 1;
  if (int64_t(m.nbody()) + copies > limits::kBodies)
    yaml::fail(src, grid ? grid : node, what + ": expected at most " + std::to_string(limits::kBodies) +
                                            " bodies in a scene, found " + std::to_string(m.nbody()) + " before this entry and " +
                                            std::to_string(copies) + " more in it");
  if (int64_t(m.nshape()) + copies * shapes_each > limits::kShapes)
    yaml::fail(src, grid ? grid : node, what + ": expected at most " + std::to_string(limits::kShapes) +
                                            " shapes in a scene, found " + std::to_string(m.nshape()) + " before this entry and " +
                                            std::to_string(copies * shapes_each) + " more in it");
  const bool many = copies > 1;
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        BodyInit copy = init;
        copy.name = many ? name + "_" + std::to_string(i + nx * (j + ny * k)) : name;
        copy.pos = init.pos + Vec3{spacing.x * i, spacing.y * j, spacing.z * k};
        check_unique(src, body_names, copy.name, name_node, "body", m.nbody());
        std::string err = b.add_body(copy, shapes.shapes);
        if (!err.empty()) yaml::fail(src, node, what + ": " + err);
      }
}

void read_bodies(const Source& src, MapReader& top, const std::string& key, bool is_static, Model& m, SceneBuilder& b,
                 const std::map<std::string, int>& materials, const std::map<std::string, BodyShapes>& parts,
                 const std::string& base_dir, std::map<std::string, int>& body_names) {
  YAML::Node list = top.optional(key);
  if (!list) return;
  if (!list.IsSequence()) yaml::fail(src, list, key + ": expected a list of bodies, found " + yaml::describe(list));
  for (size_t i = 0; i < list.size(); ++i)
    read_body(src, list[i], key + "[" + std::to_string(i) + "]", is_static, m, b, materials, parts, base_dir, body_names);
}

// The idle bodies of every part template with a pool, after all other
// bodies (so adding a pool leaves the other bodies' indices alone): parked
// below the origin, inactive until a process object places a part.
void add_pools(const Source& src, Model& m, SceneBuilder& b, const std::map<std::string, BodyShapes>& parts,
               const std::vector<std::string>& order, std::map<std::string, int>& body_names) {
  for (const std::string& name : order) {
    const BodyShapes& p = parts.at(name);
    if (p.pool <= 0) continue;
    if (int64_t(m.nbody()) + p.pool > limits::kBodies)
      yaml::fail(src, p.pool_node, "parts." + name + ".pool: expected at most " + std::to_string(limits::kBodies) +
                                       " bodies in a scene, found " + std::to_string(m.nbody()) + " before this pool and " +
                                       std::to_string(p.pool) + " in it");
    if (m.body_active0.empty()) m.body_active0.assign(size_t(m.nbody()), 1);
    const int first = m.nbody();
    for (int64_t k = 0; k < p.pool; ++k) {
      BodyInit init;
      init.name = name + "#" + std::to_string(k + 1);
      init.kind = BodyKind::Dynamic;
      init.pos = Vec3{0, 0, -10};
      check_unique(src, body_names, init.name, p.pool_node, "body", m.nbody());
      std::string err = b.add_body(init, p.shapes);
      if (!err.empty()) yaml::fail(src, p.pool_node, "parts." + name + ": " + err);
      m.body_active0.push_back(0);
    }
    // How far the part reaches from its body frame: the spawn check's radius.
    const GeometryView g = geometry_view(m);
    float radius = 0;
    for (int s = m.body_shape_begin[first]; s < m.body_shape_begin[first] + m.body_shape_count[first]; ++s) {
      const Aabb box = shape_aabb(g, s, Transform{m.shape_pos[s], m.shape_quat[s]});
      for (int c = 0; c < 8; ++c) {
        const Vec3 corner{(c & 1) ? box.hi.x : box.lo.x, (c & 2) ? box.hi.y : box.lo.y, (c & 4) ? box.hi.z : box.lo.z};
        radius = std::max(radius, float(norm(corner)));
      }
    }
    const YAML::Mark mark = p.pool_node.Mark();
    m.pool_name.push_back(name);
    m.pool_first_body.push_back(first);
    m.pool_count.push_back(int32_t(p.pool));
    m.pool_radius.push_back(radius);
    m.pool_where.push_back(src.file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1));
  }
}

}  // namespace

Model compile_scene(const std::string& text, const std::string& path) {
  Source src{path};
  if (int64_t(text.size()) > limits::kSceneFileBytes)
    throw InputError(path, 0, 0, "expected a scene of at most " + std::to_string(limits::kSceneFileBytes >> 20) +
                                     " MB, found " + std::to_string(text.size() >> 20) + " MB");
  yaml::check_text(src, text);
  YAML::Node root = yaml::load_string(src, text);
  if (!root.IsMap()) yaml::fail(src, root, "scene: expected a map with 'werk: 1' at the top, found " + yaml::describe(root));
  MapReader top(src, root, "");
  Model m;
  m.source_file = path;
  m.source_text = text;
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  read_header(src, top, m);
  std::map<std::string, int> materials, body_names;
  std::map<std::string, BodyShapes> parts;
  std::vector<std::string> part_order;
  read_materials(src, top, m, materials);
  read_parts(src, top, materials, base_dir, parts, part_order, m.geometry);
  SceneBuilder builder(m);
  read_bodies(src, top, "static", true, m, builder, materials, parts, base_dir, body_names);
  read_bodies(src, top, "bodies", false, m, builder, materials, parts, base_dir, body_names);
  read_conveyors(src, top, m, builder, materials, body_names);
  read_joints(src, top, m, body_names);
  add_pools(src, m, builder, parts, part_order, body_names);
  top.optional("process");  // the process section is compiled by the process simulator
  top.optional("sensors");  // sensors are compiled with the line (engine/src/line)
  top.finish();
  return m;
}

Model load_scene(const std::string& path) {
  const std::string text = yaml::read_file(yaml::Source{path}, "scene file", limits::kSceneFileBytes);
  return compile_scene(text, path);
}

int Model::pool_index(const std::string& n) const {
  for (int i = 0; i < npool(); ++i)
    if (pool_name[i] == n) return i;
  return -1;
}

int Model::body_index(const std::string& n) const {
  for (int i = 0; i < nbody(); ++i)
    if (body_name[i] == n) return i;
  return -1;
}

}  // namespace werk
