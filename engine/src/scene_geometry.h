// What the scene compiler needs from the geometry code: mass properties of
// shapes, convex hulls and mesh triangles, with errors as plain messages
// (the compiler adds the file:line:column).
#pragma once

#include <string>
#include <vector>

#include "werk/model.h"

namespace werk {

// Mass, centre of mass and inertia tensor of one shape placed in a body frame.
struct ShapeMass {
  float mass = 0;
  Vec3 com{0, 0, 0};  // body frame (m)
  double inertia[3][3] = {};  // about com, body axes (kg m^2)
};

// A body's total: frame at com, rotated onto the principal axes.
struct BodyMass {
  float mass = 0;
  Vec3 com{0, 0, 0};
  Quat principal{1, 0, 0, 0};  // principal axes in the body frame
  Vec3 inertia{0, 0, 0};       // principal moments
};

ShapeMass shape_mass(ShapeType type, Vec3 size, const std::vector<Vec3>& points, float density, Vec3 pos, Quat quat);
BodyMass combine_masses(const std::vector<ShapeMass>& parts);

// "" when the points span a proper 3-D hull, else what is wrong with them.
std::string check_hull_points(const std::vector<Vec3>& points);
// Adds a hull to the geometry; returns its index.
int add_hull(GeometryData& g, const std::vector<Vec3>& points);
int add_triangle(GeometryData& g, Vec3 a, Vec3 b, Vec3 c);
// Appends the triangles of an STL or OBJ file (3 corners each); returns "" or an error.
std::string load_mesh_triangles(const std::string& path, float scale, std::vector<Vec3>& corners);

}  // namespace werk
