// Mass properties against textbook formulas, hulls against the primitives
// they approximate, and compounds against the parallel-axis theorem.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "convex_hull.h"
#include "mass_properties.h"

using namespace werk;

namespace {
constexpr double kPi = 3.14159265358979323846;

void require_diag(const MassProperties& m, double ixx, double iyy, double izz, double rel = 1e-6) {
  REQUIRE(m.inertia[0][0] == Approx(ixx).epsilon(rel));
  REQUIRE(m.inertia[1][1] == Approx(iyy).epsilon(rel));
  REQUIRE(m.inertia[2][2] == Approx(izz).epsilon(rel));
  REQUIRE(std::fabs(m.inertia[0][1]) + std::fabs(m.inertia[0][2]) + std::fabs(m.inertia[1][2]) <= 1e-9 * ixx);
}
Transform pose(float x, float y, float z, Quat q = quat_identity()) { return {Vec3{x, y, z}, q}; }
}  // namespace

TEST_CASE("primitive mass properties match textbook formulas", "[mass]") {
  double rho = 1000;
  MassProperties s = shape_mass_properties(ShapeType::Sphere, {0.5f, 0, 0}, rho);
  double ms = rho * 4.0 / 3.0 * kPi * 0.125;
  REQUIRE(s.mass == Approx(ms));
  require_diag(s, 0.4 * ms * 0.25, 0.4 * ms * 0.25, 0.4 * ms * 0.25);

  MassProperties b = shape_mass_properties(ShapeType::Box, {0.5f, 1.0f, 1.5f}, rho);
  double mb = rho * 1 * 2 * 3;
  REQUIRE(b.mass == Approx(mb));
  require_diag(b, mb / 12 * (4 + 9), mb / 12 * (1 + 9), mb / 12 * (1 + 4));

  MassProperties c = shape_mass_properties(ShapeType::Cylinder, {0.5f, 1.0f, 0}, rho);
  double mc = rho * kPi * 0.25 * 2.0;
  REQUIRE(c.mass == Approx(mc));
  require_diag(c, mc / 12 * (3 * 0.25 + 4), mc / 12 * (3 * 0.25 + 4), 0.5 * mc * 0.25);

  // Capsule, r = 0.5, half segment 1: cylinder + sphere split in two caps.
  MassProperties k = shape_mass_properties(ShapeType::Capsule, {0.5f, 1.0f, 0}, rho);
  double mcyl = rho * kPi * 0.25 * 2.0, msph = rho * 4.0 / 3.0 * kPi * 0.125;
  REQUIRE(k.mass == Approx(mcyl + msph));
  double trans = mcyl * (3 * 0.25 + 4.0) / 12 + msph * (0.4 * 0.25 + 1.0 + 0.75 * 0.5);
  require_diag(k, trans, trans, 0.5 * mcyl * 0.25 + 0.4 * msph * 0.25);
  // A capsule of zero length is a sphere.
  MassProperties k0 = shape_mass_properties(ShapeType::Capsule, {0.5f, 0.0f, 0}, rho);
  REQUIRE(k0.mass == Approx(ms));
  require_diag(k0, 0.4 * ms * 0.25, 0.4 * ms * 0.25, 0.4 * ms * 0.25);

  REQUIRE(shape_mass_properties(ShapeType::Plane, {0, 0, 0}, rho).mass == 0.0);
}

TEST_CASE("hull mass properties: off-centre box and tetrahedron", "[mass][hull]") {
  GeometryData g;
  int h = -1;
  std::vector<Vec3> pts;
  for (int i = 0; i < 8; ++i) pts.push_back({(i & 1) ? 1.5f : 0.5f, (i & 2) ? 1.0f : -1.0f, (i & 4) ? 3.0f : 0.0f});
  REQUIRE(build_convex_hull(pts, g, h) == "");
  MassProperties m = shape_mass_properties(ShapeType::Hull, {}, 2.0, &g, h);
  double mass = 2.0 * 1 * 2 * 3;
  REQUIRE(m.mass == Approx(mass));
  REQUIRE(m.com[0] == Approx(1.0));
  REQUIRE(m.com[1] == Approx(0.0).margin(1e-9));
  REQUIRE(m.com[2] == Approx(1.5));
  require_diag(m, mass / 12 * (4 + 9), mass / 12 * (1 + 9), mass / 12 * (1 + 4), 1e-5);
  // Unit right tetrahedron: volume 1/6, centroid 1/4, inertia about the
  // centroid: diagonal 1/80 (of m... x 2 of a^2), products -1/480 (x m x 4).
  REQUIRE(build_convex_hull({{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, g, h) == "");
  MassProperties t = shape_mass_properties(ShapeType::Hull, {}, 6.0, &g, h);
  REQUIRE(t.mass == Approx(1.0));
  for (int i = 0; i < 3; ++i) REQUIRE(t.com[i] == Approx(0.25));
  // About the origin: Ixx = m (y^2 + z^2) mean = m * 2 / 10; products = -m / 20.
  // About the centroid: subtract m * (0.25^2 * 2) and m * 0.25^2.
  for (int i = 0; i < 3; ++i) REQUIRE(t.inertia[i][i] == Approx(0.2 - 2 * 0.0625).epsilon(1e-5));
  REQUIRE(t.inertia[0][1] == Approx(-0.05 + 0.0625).epsilon(1e-5));
  REQUIRE(shape_volume(ShapeType::Hull, {}, &g, h) == Approx(1.0 / 6.0));
}

TEST_CASE("compound bodies follow the parallel-axis theorem", "[mass]") {
  // Two unit spheres of mass m at x = +-d: com at 0, Iyy = Izz = 2 (2/5 m r^2 + m d^2).
  MassProperties s = shape_mass_properties(ShapeType::Sphere, {0.5f, 0, 0}, 1000);
  double m = s.mass, i0 = 0.4 * m * 0.25, d = 2.0;
  BodyMassProperties b = combine_mass_properties({s, s}, {pose(-2, 0, 0), pose(2, 0, 0)});
  REQUIRE(b.mass == Approx(2 * m));
  REQUIRE(b.com.x == Approx(0.0f).margin(1e-6));
  REQUIRE(b.principal_inertia.x == Approx(2 * i0));
  REQUIRE(b.principal_inertia.y == Approx(2 * (i0 + m * d * d)));
  REQUIRE(b.principal_inertia.z == Approx(2 * (i0 + m * d * d)));
  REQUIRE(b.principal_rotation.w == 1.0f);

  // The same pair along the diagonal x = y: principal axes turn 45 degrees.
  float k = float(d / std::sqrt(2.0));
  b = combine_mass_properties({s, s}, {pose(-k + 1, -k, 3), pose(k + 1, k, 3)});
  REQUIRE(b.com.x == Approx(1.0f));
  REQUIRE(b.com.z == Approx(3.0f));
  REQUIRE(b.principal_inertia.x == Approx(2 * i0).epsilon(1e-5));
  Vec3 axis = rotate(b.principal_rotation, Vec3{1, 0, 0});  // smallest moment: along the pair
  REQUIRE(std::fabs(axis.x) == Approx(std::sqrt(0.5)).epsilon(1e-4));
  REQUIRE(std::fabs(axis.y) == Approx(std::sqrt(0.5)).epsilon(1e-4));

  // A rotated box keeps its moments; a box offset from the body origin
  // moves the com and adds m d^2 on the perpendicular axes.
  MassProperties bx = shape_mass_properties(ShapeType::Box, {0.5f, 1.0f, 1.5f}, 1);
  b = combine_mass_properties({bx}, {pose(0, 0, 2, quat_axis_angle({0, 0, 1}, 1.5707963f))});
  REQUIRE(b.com.z == Approx(2.0f));
  std::vector<float> got{b.principal_inertia.x, b.principal_inertia.y, b.principal_inertia.z};
  std::sort(got.begin(), got.end());
  std::vector<double> want{bx.inertia[2][2], bx.inertia[1][1], bx.inertia[0][0]};
  for (int i = 0; i < 3; ++i) REQUIRE(got[i] == Approx(want[i]).epsilon(1e-5));
  b = combine_mass_properties({bx, bx}, {pose(0, 0, 0), pose(0, 0, 4)});
  REQUIRE(b.com.z == Approx(2.0f));
  REQUIRE(b.principal_inertia.x == Approx(2 * (bx.inertia[0][0] + bx.mass * 4)).epsilon(1e-5));
  REQUIRE(b.principal_inertia.z == Approx(2 * bx.inertia[2][2]).epsilon(1e-5));
}
