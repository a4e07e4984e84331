// Mass properties of shapes and bodies, for the scene compiler.
//
// Each shape's mass, centre of mass and inertia tensor (about its centre of
// mass, in the shape frame) at a given density, in double precision:
// sphere, box, capsule (cylinder + two hemispherical caps), cylinder (exact,
// not the collision prism), hull (tetrahedral decomposition of its faces).
// Planes and triangles are static and massless. A body combines its shapes
// placed at their local poses (parallel-axis theorem) and diagonalises the
// total tensor into principal moments and the rotation of the principal
// axes in the body frame.
#pragma once

#include <vector>

#include "werk/geometry.h"
#include "werk/model.h"
#include "kernels/math.h"

namespace werk {

struct MassProperties {
  double mass = 0;               // kg
  double com[3] = {0, 0, 0};     // centre of mass, shape frame (m)
  double inertia[3][3] = {};     // about com, shape axes (kg m^2)
};

struct BodyMassProperties {
  double mass = 0;                   // kg
  Vec3 com{0, 0, 0};                 // centre of mass, body frame (m)
  Vec3 principal_inertia{0, 0, 0};   // principal moments (kg m^2), ascending unless already diagonal
  Quat principal_rotation{1, 0, 0, 0};  // principal axes in the body frame (columns of its matrix)
};

// Volume of a shape (m^3); 0 for planes and triangles. `g` is needed for hulls.
double shape_volume(ShapeType type, Vec3 size, const GeometryData* g = nullptr, int hull = -1);

// Mass properties at `density` (kg/m^3); `g`/`hull` for Hull shapes.
MassProperties shape_mass_properties(ShapeType type, Vec3 size, double density, const GeometryData* g = nullptr,
                                     int hull = -1);

// Combines shapes placed at local poses (shape frame -> body frame).
BodyMassProperties combine_mass_properties(const std::vector<MassProperties>& parts,
                                           const std::vector<Transform>& poses);

}  // namespace werk
