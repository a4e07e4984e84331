// Joints: world anchors and axes at t = 0, turned into body-frame data.
#include "scene_joints.h"

#include <cmath>

namespace werk {
namespace {

using yaml::MapReader;

// A body's frame at t = 0; the world's is the identity.
Transform body_frame(const Model& m, int body) {
  if (body < 0) return Transform{Vec3{0, 0, 0}, quat_identity()};
  return Transform{m.body_pos0[body], m.body_quat0[body]};
}

int body_ref(const yaml::Source& src, MapReader& r, const std::string& key, const std::map<std::string, int>& names,
             bool required) {
  YAML::Node n = required ? r.required(key) : r.optional(key);
  if (!n) return -1;
  std::string name = yaml::as_string(src, n, r.path(key));
  if (!required && name == "world") return -1;
  auto it = names.find(name);
  if (it == names.end()) yaml::fail(src, n, r.path(key) + ": expected a defined body, found unknown '" + name + "'");
  return it->second;
}

}  // namespace

void read_joints(const yaml::Source& src, MapReader& top, Model& m, const std::map<std::string, int>& body_names) {
  YAML::Node list = top.optional("joints");
  if (!list) return;
  if (!list.IsSequence()) yaml::fail(src, list, "joints: expected a list of joints, found " + yaml::describe(list));
  std::map<std::string, int> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string what = "joints[" + std::to_string(i) + "]";
    MapReader r(src, list[i], what);
    std::string name = r.string("name");
    if (!names.emplace(name, int(i)).second)
      yaml::fail(src, r.required("name"), "joint name: expected a unique name, found '" + name + "' defined twice");
    std::string type = r.choice("type", {"fixed", "revolute", "prismatic"});
    int a = body_ref(src, r, "body_a", body_names, false);
    int b = body_ref(src, r, "body_b", body_names, true);
    if (a == b) yaml::fail(src, r.required("body_b"), r.path("body_b") + ": expected a body other than body_a, found the same body");
    if (m.body_kind[b] != BodyKind::Dynamic && (a < 0 || m.body_kind[a] != BodyKind::Dynamic))
      yaml::fail(src, r.required("body_b"), what + ": expected at least one dynamic body, found none");
    Vec3 anchor = r.vec3("anchor");
    Vec3 axis{0, 0, 1};
    if (type != "fixed") {
      YAML::Node an = r.required("axis");
      axis = yaml::as_vec3(src, an, r.path("axis"));
      if (!(length(axis) > 1e-9f)) yaml::fail(src, an, r.path("axis") + ": expected a non-zero axis, found [0, 0, 0]");
      axis = normalize(axis);
    }
    // Limits: [lower, upper] in rad (revolute) or m (prismatic).
    float lower = 1, upper = -1;
    if (YAML::Node lim = r.optional("limits")) {
      if (type == "fixed") yaml::fail(src, lim, r.path("limits") + ": expected no limits on a fixed joint, found some");
      if (!lim.IsSequence() || lim.size() != 2)
        yaml::fail(src, lim, r.path("limits") + ": expected [lower, upper], found " + yaml::describe(lim));
      lower = float(yaml::as_number(src, lim[0], r.path("limits")));
      upper = float(yaml::as_number(src, lim[1], r.path("limits")));
      if (lower > upper) yaml::fail(src, lim, r.path("limits") + ": expected lower <= upper, found lower > upper");
    }
    uint8_t motor = 0;
    float target = 0, max_force = 0;
    if (YAML::Node mn = r.optional("motor")) {
      if (type == "fixed") yaml::fail(src, mn, r.path("motor") + ": expected no motor on a fixed joint, found one");
      MapReader mr(src, mn, r.path("motor"));
      motor = mr.choice("type", {"velocity", "position"}) == "velocity" ? 1 : 2;
      target = float(mr.number("target"));
      max_force = float(mr.positive("max_force"));
      mr.finish();
    }
    r.finish();
    const Transform fa = body_frame(m, a), fb = body_frame(m, b);
    const Vec3 ref = any_perpendicular(axis);
    m.joint_name.push_back(name);
    m.joint_kind.push_back(type == "fixed" ? 0 : (type == "revolute" ? 1 : 2));
    m.joint_body_a.push_back(a);
    m.joint_body_b.push_back(b);
    m.joint_anchor_a.push_back(inv_transform_point(fa, anchor));
    m.joint_anchor_b.push_back(inv_transform_point(fb, anchor));
    m.joint_axis_a.push_back(rotate_inv(fa.q, axis));
    m.joint_axis_b.push_back(rotate_inv(fb.q, axis));
    m.joint_ref_a.push_back(rotate_inv(fa.q, ref));
    m.joint_ref_b.push_back(rotate_inv(fb.q, ref));
    m.joint_rel_quat.push_back(quat_normalize(conj(fa.q) * fb.q));
    m.joint_lower.push_back(lower);
    m.joint_upper.push_back(upper);
    m.joint_motor.push_back(motor);
    m.joint_motor_target.push_back(target);
    m.joint_motor_max.push_back(max_force);
  }
}

}  // namespace werk
