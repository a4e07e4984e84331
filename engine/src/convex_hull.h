// Convex hulls for Hull shapes, built with qhull (reentrant libqhull_r) into
// the boundary representation the narrowphase reads (see GeometryData):
// vertices, merged planar faces with counter-clockwise loops and planes, and
// each edge once with its two faces.
#pragma once

#include <string>
#include <vector>

#include "kernels/math.h"
#include "werk/geometry.h"

namespace werk {

// "" when the points span a proper 3-D hull; otherwise what is wrong with
// them: fewer than 4 points, a non-finite coordinate, or all points
// coincident, collinear or coplanar (relative to their extent).
std::string hull_points_error(const std::vector<Vec3>& points);

// Builds the convex hull of `points` (shape frame) and appends it to g;
// `hull` receives its index. Returns "" or an error message (g unchanged).
std::string build_convex_hull(const std::vector<Vec3>& points, GeometryData& g, int& hull);

// Corner points of a `sides`-gon prism around the local z axis, vertices at
// `radius`, from -half_height to +half_height: a cylinder as a hull.
std::vector<Vec3> cylinder_hull_points(float radius, float half_height, int sides);

}  // namespace werk
