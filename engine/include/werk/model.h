// Model: everything about a scene that does not change while it runs.
//
// A scene file compiles once into a Model of flat structure-of-arrays; the
// step reads it and never writes it. Many States (worlds) can share one
// Model, which is how what-if variants batch on one device. Each array is
// documented once, here, with its shape. Units are SI throughout; the world
// is z-up and right-handed; quaternions are (w, x, y, z).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "werk/export.h"
#include "werk/geometry.h"
#include "werk/types.h"

namespace werk {

enum class BodyKind : uint8_t {
  Static = 0,     // never moves; infinite mass
  Dynamic = 1,    // moved by forces and contacts
  Kinematic = 2,  // follows its prescribed velocity exactly; infinite mass
};

enum class ShapeType : uint8_t {
  Sphere = 0,    // size.x = radius
  Box = 1,       // size = half extents
  Capsule = 2,   // size.x = radius, size.y = half length of the segment (local z axis)
  Cylinder = 3,  // size.x = radius, size.y = half height (local z axis)
  Plane = 4,     // static half-space below the local xy plane; normal = local +z
  Hull = 5,      // convex hull; shape_data_begin = hull index in Model::geometry
  Triangle = 6,  // one triangle of a static mesh; shape_data_begin = triangle index in Model::geometry
};
// A mesh in a scene file compiles into one Triangle shape per triangle, so
// the broadphase culls mesh triangles like any other shape.

// Typed indices, returned by the lookups by name below: a BodyId cannot be
// passed where a conveyor is meant. `index` is the position in the
// Model's arrays of that kind (and, per world, in the State's).
struct BodyId {
  int32_t index = -1;
};
struct ConveyorId {
  int32_t index = -1;
};
struct JointId {
  int32_t index = -1;
};

struct WERK_API Model {
  // --- scene ---------------------------------------------------------------
  std::string name;             // scene name (output file stem)
  std::string source_file;      // path of the scene file it was compiled from
  std::string source_text;      // the scene file's text, recorded with results
  Vec3 gravity{0, 0, -9.81f};   // gravitational acceleration (m/s^2)
  double dt = 1.0 / 240.0;      // time step (s)
  int substeps = 4;             // solver sub-steps per time step
  double duration = 10.0;       // default run length (s)
  double record_interval = 1.0 / 30.0;  // time between recorded frames (s)
  uint64_t seed = 1;            // master random seed
  bool sleep = true;            // let resting bodies sleep (see kernels/sleep.h)

  // --- materials (nmaterial) -----------------------------------------------
  std::vector<std::string> material_name;
  std::vector<float> material_density;      // kg/m^3
  std::vector<float> material_friction;     // Coulomb coefficient
  std::vector<float> material_restitution;  // normal restitution in [0, 1]
  std::vector<float> material_rolling_friction;   // rolling friction lever arm (m): torque per normal force
  std::vector<float> material_spinning_friction;  // spinning (torsional) friction lever arm (m)

  // --- bodies (nbody) ------------------------------------------------------
  std::vector<std::string> body_name;
  std::vector<BodyKind> body_kind;
  std::vector<float> body_mass;          // kg (0 for static and kinematic)
  std::vector<float> body_inv_mass;      // 1/kg (0 for static and kinematic)
  std::vector<Vec3> body_inertia;        // principal moments in the body frame (kg m^2)
  std::vector<Vec3> body_inv_inertia;    // their inverses (0 for static and kinematic)
  std::vector<Vec3> body_pos0;           // initial world position of the body frame (m)
  std::vector<Quat> body_quat0;          // initial world orientation of the body frame
  std::vector<Vec3> body_vel0;           // initial linear velocity (m/s)
  std::vector<Vec3> body_angvel0;        // initial angular velocity, world frame (rad/s)
  std::vector<int32_t> body_shape_begin; // first shape of the body
  std::vector<int32_t> body_shape_count; // number of shapes of the body
  // 1: the body takes part in the simulation from the start; 0: an idle
  // body of a part pool (below), activated during a run. Empty: all 1.
  std::vector<uint8_t> body_active0;

  // --- shapes (nshape) -----------------------------------------------------
  std::vector<ShapeType> shape_type;
  std::vector<int32_t> shape_body;       // owning body
  std::vector<int32_t> shape_material;   // material index
  std::vector<Vec3> shape_size;          // type-specific dimensions, see ShapeType (m)
  std::vector<Vec3> shape_pos;           // position in the body frame (m)
  std::vector<Quat> shape_quat;          // orientation in the body frame
  std::vector<int32_t> shape_data_begin; // Hull: hull index; Triangle: triangle index; else -1
  std::vector<int32_t> shape_conveyor;   // conveyor whose surface this shape is, or -1

  // --- convex hull and mesh-triangle data ----------------------------------
  GeometryData geometry;

  // --- conveyors (nconveyor) -----------------------------------------------
  // A belt is a box shape whose top surface drags parts along a path. The
  // surface velocity is applied inside the contact solver, so parts are
  // carried by friction exactly as by a real belt.
  std::vector<std::string> conveyor_name;
  std::vector<float> conveyor_speed;     // belt surface speed along its path (m/s)
  std::vector<Vec3> conveyor_center;     // curved belts: centre of the arc (world, m); straight: unused
  std::vector<float> conveyor_curved;    // 1 for an arc section, 0 for straight
  std::vector<float> conveyor_radius;    // arc: centreline radius (m); straight: 0
  std::vector<Vec3> conveyor_direction;  // straight: unit travel direction (world); arc: (0,0,±1) turn sense

  // --- joints (njoint) ------------------------------------------------------
  // A joint ties body b to body a (-1: the world). Anchors, axes and
  // reference directions are stored in each body's frame, from the world
  // values the scene gives at t = 0.
  std::vector<std::string> joint_name;
  std::vector<uint8_t> joint_kind;       // 0 fixed, 1 revolute, 2 prismatic
  std::vector<int32_t> joint_body_a;     // body index, -1 = world
  std::vector<int32_t> joint_body_b;
  std::vector<Vec3> joint_anchor_a;      // anchor in body a's frame (m)
  std::vector<Vec3> joint_anchor_b;      // anchor in body b's frame (m)
  std::vector<Vec3> joint_axis_a;        // hinge or slide axis in body a's frame (unit)
  std::vector<Vec3> joint_axis_b;        // the same axis in body b's frame (unit)
  std::vector<Vec3> joint_ref_a;         // direction across the axis, body a's frame: angle 0
  std::vector<Vec3> joint_ref_b;         // the same direction in body b's frame
  std::vector<Quat> joint_rel_quat;      // relative rotation q_a^-1 q_b held by fixed and prismatic joints
  std::vector<float> joint_lower;        // lower limit (rad or m); lower > upper: no limits
  std::vector<float> joint_upper;        // upper limit (rad or m)
  std::vector<uint8_t> joint_motor;      // 0 none, 1 velocity, 2 position
  std::vector<float> joint_motor_target; // initial motor target (rad/s, m/s, rad or m)
  std::vector<float> joint_motor_max;    // largest motor torque (N m) or force (N)

  // --- part pools (npool) --------------------------------------------------
  // A part template with `pool: n` owns n consecutive dynamic bodies, named
  // `<template>#1` .. `<template>#n`, inactive at the start (body_active0 =
  // 0, parked at body_pos0) until a process object places a part with one.
  std::vector<std::string> pool_name;        // the part template's name
  std::vector<int32_t> pool_first_body;      // its first body
  std::vector<int32_t> pool_count;           // its capacity (bodies)
  std::vector<float> pool_radius;            // largest distance of a shape box corner from the body frame (m)
  std::vector<std::string> pool_where;       // "file:line:column" of the `pool` key, for messages

  int nbody() const { return int(body_kind.size()); }
  int npool() const { return int(pool_name.size()); }
  // Index of the pool of this part template, or -1.
  int pool_index(const std::string& name) const;
  int njoint() const { return int(joint_kind.size()); }
  int nshape() const { return int(shape_type.size()); }
  int nmaterial() const { return int(material_name.size()); }
  int nconveyor() const { return int(conveyor_name.size()); }
  // Index of the body with this name, or -1.
  int body_index(const std::string& name) const;

  // Lookups by name. An unknown name throws NameError (an InputError that
  // names the scene file and lists the names the scene has).
  BodyId body(const std::string& name) const;
  ConveyorId conveyor(const std::string& name) const;
  JointId joint(const std::string& name) const;
};

}  // namespace werk
