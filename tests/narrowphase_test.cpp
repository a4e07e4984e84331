// Narrowphase against analytic truth: separations, normals, point counts,
// symmetry under swapping A and B, feature-id stability, and agreement
// between the dedicated box-box path and the generic polytope path.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "convex_hull.h"
#include "kernels/narrowphase.h"

using namespace werk;

namespace {

// A few shapes with their geometry, as the Model would hold them.
struct Shapes {
  std::vector<ShapeType> type;
  std::vector<Vec3> size;
  std::vector<int32_t> data;
  GeometryData geo;

  int add(ShapeType t, Vec3 s, int d = -1) {
    type.push_back(t), size.push_back(s), data.push_back(d);
    return int(type.size()) - 1;
  }
  int add_hull(const std::vector<Vec3>& pts) {
    int h = -1;
    std::string err = build_convex_hull(pts, geo, h);
    REQUIRE(err.empty());
    return add(ShapeType::Hull, {0, 0, 0}, h);
  }
  int add_triangle(Vec3 a, Vec3 b, Vec3 c) {
    geo.triangle_vertex.push_back(a), geo.triangle_vertex.push_back(b), geo.triangle_vertex.push_back(c);
    return add(ShapeType::Triangle, {0, 0, 0}, geo.ntriangle() - 1);
  }
  GeometryView view() const { return geometry_view(geo, type.data(), size.data(), data.data()); }
};

Transform at(float x, float y, float z, Quat q = quat_identity()) { return {Vec3{x, y, z}, q}; }
Quat about(Vec3 axis, float deg) { return quat_axis_angle(normalize(axis), deg * 3.14159265f / 180.0f); }

Manifold run(const Shapes& s, int a, const Transform& xa, int b, const Transform& xb, float margin = 0.1f) {
  Manifold m;
  GeometryView g = s.view();
  collide(g, a, xa, b, xb, margin, m);
  return m;
}

float min_sep(const Manifold& m) {
  float s = 1e30f;
  for (int i = 0; i < m.count; ++i) s = std::min(s, m.points[i].separation);
  return s;
}

void require_near(Vec3 a, Vec3 b, float eps) {
  INFO("(" << a.x << ", " << a.y << ", " << a.z << ") vs (" << b.x << ", " << b.y << ", " << b.z << ")");
  REQUIRE(std::fabs(a.x - b.x) <= eps);
  REQUIRE(std::fabs(a.y - b.y) <= eps);
  REQUIRE(std::fabs(a.z - b.z) <= eps);
}

Quat random_quat(std::mt19937& rng) {
  std::normal_distribution<float> n(0.0f, 1.0f);
  return quat_normalize(Quat{n(rng), n(rng), n(rng), n(rng)});
}

// A random pose at (x, y, z) = (u, u, z0 + zs u), drawn in one fixed order:
// the arguments of a call are evaluated in an order that differs between
// compilers, and each test must meet the same poses under every compiler.
Transform random_at(std::mt19937& rng, std::uniform_real_distribution<float>& u, float z0 = 0.0f, float zs = 1.0f) {
  Quat q = random_quat(rng);
  float z = z0 + zs * u(rng), y = u(rng), x = u(rng);
  return at(x, y, z, q);
}

// Swapping A and B must give the same points and separations, normal flipped.
void require_symmetric(const Shapes& s, int a, const Transform& xa, int b, const Transform& xb, float margin) {
  Manifold ab = run(s, a, xa, b, xb, margin), ba = run(s, b, xb, a, xa, margin);
  REQUIRE(ab.count == ba.count);
  if (ab.count == 0) return;
  require_near(ab.normal, -ba.normal, 0.0f);
  for (int i = 0; i < ab.count; ++i) {
    REQUIRE(ab.points[i].separation == ba.points[i].separation);
    require_near(ab.points[i].point, ba.points[i].point, 0.0f);
    REQUIRE(ab.points[i].id == ba.points[i].id);
  }
}

std::vector<Vec3> cube_points(Vec3 h) {
  std::vector<Vec3> p;
  for (int i = 0; i < 8; ++i) p.push_back({(i & 1) ? h.x : -h.x, (i & 2) ? h.y : -h.y, (i & 4) ? h.z : -h.z});
  return p;
}

}  // namespace

TEST_CASE("sphere-sphere separation, normal and midpoint", "[narrowphase]") {
  Shapes s;
  int a = s.add(ShapeType::Sphere, {0.5f, 0, 0}), b = s.add(ShapeType::Sphere, {0.3f, 0, 0});
  Manifold m = run(s, a, at(0, 0, 0), b, at(1.0f, 0, 0), 0.5f);
  REQUIRE(m.count == 1);
  REQUIRE(m.points[0].separation == Approx(0.2f).margin(1e-6));
  require_near(m.normal, {1, 0, 0}, 1e-6f);
  require_near(m.points[0].point, {0.6f, 0, 0}, 1e-6f);
  m = run(s, a, at(0, 0, 0), b, at(0, 0.7f, 0), 0.5f);
  REQUIRE(m.points[0].separation == Approx(-0.1f).margin(1e-6));
  // Beyond the margin: nothing.
  REQUIRE(run(s, a, at(0, 0, 0), b, at(2.0f, 0, 0), 0.5f).count == 0);
  require_symmetric(s, a, at(0.1f, 0.2f, 0.3f), b, at(0.5f, 0.4f, 0.1f), 0.1f);
}

TEST_CASE("box resting on a plane: 4 points at the right depth", "[narrowphase]") {
  Shapes s;
  int p = s.add(ShapeType::Plane, {0, 0, 0}), b = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f});
  Manifold m = run(s, p, at(0, 0, 0), b, at(0, 0, 0.49f));
  REQUIRE(m.count == 4);
  require_near(m.normal, {0, 0, 1}, 1e-6f);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(m.points[i].separation == Approx(-0.01f).margin(1e-6));
    REQUIRE(m.points[i].point.z == Approx(-0.005f).margin(1e-6));
  }
  // Plane given second: normal from the box to the plane.
  Manifold r = run(s, b, at(0, 0, 0.49f), p, at(0, 0, 0));
  REQUIRE(r.count == 4);
  require_near(r.normal, {0, 0, -1}, 1e-6f);
  // Tilted box: the lowest corner only (others beyond a small margin).
  m = run(s, p, at(0, 0, 0), b, at(0, 0, 0.8f, about({1, 1, 0}, 40.0f)), 0.01f);
  REQUIRE(m.count == 1);
}

TEST_CASE("box resting face-on on a box: 4 points, exact depth", "[narrowphase]") {
  Shapes s;
  int a = s.add(ShapeType::Box, {1.0f, 1.0f, 0.5f}), b = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f});
  Manifold m = run(s, a, at(0, 0, 0), b, at(0.1f, -0.2f, 0.998f));
  REQUIRE(m.count == 4);
  require_near(m.normal, {0, 0, 1}, 1e-6f);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(m.points[i].separation == Approx(-0.002f).margin(1e-6));
    REQUIRE(m.points[i].point.z == Approx(0.499f).margin(1e-6));
    REQUIRE(std::fabs(std::fabs(m.points[i].point.x - 0.1f) - 0.5f) < 1e-5f);
    REQUIRE(std::fabs(std::fabs(m.points[i].point.y + 0.2f) - 0.5f) < 1e-5f);
  }
  // Speculative: a 5 cm gap inside a 10 cm margin gives positive separations.
  m = run(s, a, at(0, 0, 0), b, at(0, 0, 1.05f), 0.1f);
  REQUIRE(m.count == 4);
  REQUIRE(m.points[0].separation == Approx(0.05f).margin(1e-6));
  REQUIRE(run(s, a, at(0, 0, 0), b, at(0, 0, 1.15f), 0.1f).count == 0);
}

TEST_CASE("box on box turned 45 degrees reduces 8 clip points to 4", "[narrowphase]") {
  Shapes s;
  int a = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f}), b = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f});
  Manifold m = run(s, a, at(0, 0, 0), b, at(0, 0, 0.99f, about({0, 0, 1}, 45.0f)));
  REQUIRE(m.count == 4);
  for (int i = 0; i < 4; ++i) REQUIRE(m.points[i].separation == Approx(-0.01f).margin(1e-5));
  // The four points span a large area (not bunched on one side).
  Vec3 c{0, 0, 0};
  for (int i = 0; i < 4; ++i) c += 0.25f * m.points[i].point;
  REQUIRE(std::fabs(c.x) < 0.15f);
  REQUIRE(std::fabs(c.y) < 0.15f);
}

TEST_CASE("box edge across box edge gives one edge contact", "[narrowphase]") {
  Shapes s;
  int a = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f}), b = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f});
  float r2 = std::sqrt(2.0f) * 0.5f;
  Transform xa = at(0, 0, 0, about({0, 1, 0}, 45.0f));   // top edge along y at z = r2
  Transform xb = at(0, 0, 2 * r2 - 0.01f, about({1, 0, 0}, 45.0f));  // bottom edge along x
  Manifold m = run(s, a, xa, b, xb);
  REQUIRE(m.count == 1);
  require_near(m.normal, {0, 0, 1}, 1e-4f);
  REQUIRE(m.points[0].separation == Approx(-0.01f).margin(1e-5));
  require_near(m.points[0].point, {0, 0, r2 - 0.005f}, 1e-5f);
  require_symmetric(s, a, xa, b, xb, 0.1f);
  // Same contact through the generic polytope path (hull boxes).
  int ha = s.add_hull(cube_points({0.5f, 0.5f, 0.5f})), hb = s.add_hull(cube_points({0.5f, 0.5f, 0.5f}));
  Manifold h = run(s, ha, xa, hb, xb);
  REQUIRE(h.count == 1);
  require_near(h.normal, {0, 0, 1}, 1e-4f);
  REQUIRE(h.points[0].separation == Approx(-0.01f).margin(1e-5));
}

TEST_CASE("rotated boxes: swapping A and B flips the normal only", "[narrowphase]") {
  Shapes s;
  int a = s.add(ShapeType::Box, {0.3f, 0.2f, 0.1f}), b = s.add(ShapeType::Box, {0.25f, 0.15f, 0.2f});
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  int touching = 0;
  for (int i = 0; i < 200; ++i) {
    Transform xa = random_at(rng, u), xb = random_at(rng, u);
    require_symmetric(s, a, xa, b, xb, 0.05f);
    touching += run(s, a, xa, b, xb, 0.05f).count > 0;
  }
  REQUIRE(touching > 50);
}

TEST_CASE("feature ids stay the same under tiny motion", "[narrowphase]") {
  Shapes s;
  int a = s.add(ShapeType::Box, {1.0f, 1.0f, 0.5f}), b = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f});
  Transform xb = at(0.2f, 0.1f, 0.995f, about({0, 0, 1}, 20.0f));
  Manifold m0 = run(s, a, at(0, 0, 0), b, xb);
  REQUIRE(m0.count == 4);
  xb.p += Vec3{1e-4f, -2e-4f, 3e-5f};
  xb.q = quat_normalize(xb.q * about({1, 0.3f, 0}, 0.01f));
  Manifold m1 = run(s, a, at(0, 0, 0), b, xb);
  REQUIRE(m1.count == 4);
  for (int i = 0; i < 4; ++i) {
    bool found = false;
    for (int j = 0; j < 4; ++j) found = found || m0.points[i].id == m1.points[j].id;
    REQUIRE(found);
    for (int j = 0; j < i; ++j) REQUIRE(m0.points[i].id != m0.points[j].id);
  }
}

TEST_CASE("hull of a cube's corners collides like the box", "[narrowphase][hull]") {
  Shapes s;
  Vec3 h{0.4f, 0.3f, 0.2f};
  int box = s.add(ShapeType::Box, h), hull = s.add_hull(cube_points(h));
  int floor = s.add(ShapeType::Box, {2.0f, 2.0f, 0.5f});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-0.4f, 0.4f);
  for (int i = 0; i < 100; ++i) {
    Transform xf = at(0, 0, -0.5f);
    Transform x = random_at(rng, u, 0.2f, 0.5f);
    Manifold mb = run(s, floor, xf, box, x, 0.05f), mh = run(s, floor, xf, hull, x, 0.05f);
    REQUIRE(mb.count == mh.count);
    if (mb.count == 0) continue;
    require_near(mb.normal, mh.normal, 1e-4f);
    REQUIRE(min_sep(mb) == Approx(min_sep(mh)).margin(1e-4));
  }
  // Resting face-on: identical 4 points.
  Manifold mb = run(s, floor, at(0, 0, -0.5f), box, at(0.3f, 0, 0.19f));
  Manifold mh = run(s, floor, at(0, 0, -0.5f), hull, at(0.3f, 0, 0.19f));
  REQUIRE(mb.count == 4);
  REQUIRE(mh.count == 4);
  for (int i = 0; i < 4; ++i) REQUIRE(mh.points[i].separation == Approx(-0.01f).margin(1e-6));
}

TEST_CASE("box-box: dedicated and generic SAT agree on random poses", "[narrowphase]") {
  Shapes s;
  Vec3 ha{0.5f, 0.3f, 0.2f}, hb{0.2f, 0.2f, 0.4f};
  int a = s.add(ShapeType::Box, ha), b = s.add(ShapeType::Box, hb);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-0.6f, 0.6f);
  GeometryView g = s.view();
  for (int i = 0; i < 300; ++i) {
    Transform xa = at(0, 0, 0, random_quat(rng)), xb = random_at(rng, u);
    Manifold m1, m2;
    collide(g, a, xa, b, xb, 0.1f, m1);
    collide_polytopes(make_box_poly(ha), xa, make_box_poly(hb), xb, 0.1f, m2);
    REQUIRE((m1.count > 0) == (m2.count > 0));
    if (m1.count == 0) continue;
    // Deepest separations agree; normals agree unless two axes tie.
    REQUIRE(min_sep(m1) == Approx(min_sep(m2)).margin(2e-3));
    REQUIRE(dot(m1.normal, m1.normal) == Approx(1.0f).margin(1e-5));
  }
}

TEST_CASE("sphere and capsule against boxes, cylinders and each other", "[narrowphase]") {
  Shapes s;
  int sph = s.add(ShapeType::Sphere, {0.1f, 0, 0}), box = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f});
  int cap = s.add(ShapeType::Capsule, {0.1f, 0.3f, 0}), cyl = s.add(ShapeType::Cylinder, {0.3f, 0.4f, 0});
  int cap2 = s.add(ShapeType::Capsule, {0.05f, 0.2f, 0});
  // Sphere above a box face, then over an edge.
  Manifold m = run(s, box, at(0, 0, 0), sph, at(0.2f, 0, 0.63f));
  REQUIRE(m.count == 1);
  REQUIRE(m.points[0].separation == Approx(0.03f).margin(1e-6));
  require_near(m.normal, {0, 0, 1}, 1e-6f);
  m = run(s, sph, at(0.6f, 0, 0.6f), box, at(0, 0, 0));
  REQUIRE(m.points[0].separation == Approx(std::sqrt(0.02f) - 0.1f).margin(1e-6));
  require_near(m.normal, normalize(Vec3{-1, 0, -1}), 1e-6f);
  // Sphere centre inside the box: pushed out through the nearest face.
  m = run(s, box, at(0, 0, 0), sph, at(0, 0.45f, 0));
  require_near(m.normal, {0, 1, 0}, 1e-6f);
  REQUIRE(m.points[0].separation == Approx(-0.15f).margin(1e-6));
  // Sphere against the exact cylinder: side and cap.
  m = run(s, cyl, at(0, 0, 0), sph, at(0.45f, 0, 0));
  REQUIRE(m.points[0].separation == Approx(0.05f).margin(1e-6));
  m = run(s, cyl, at(0, 0, 0), sph, at(0, 0.1f, 0.48f));
  REQUIRE(m.points[0].separation == Approx(-0.02f).margin(1e-6));
  require_near(m.normal, {0, 0, 1}, 1e-6f);
  // Capsule lying on a box: two points, exact depth.
  Quat lying = about({0, 1, 0}, 90.0f);
  m = run(s, box, at(0, 0, 0), cap, at(0.1f, 0, 0.598f, lying));
  REQUIRE(m.count == 2);
  for (int i = 0; i < 2; ++i) REQUIRE(m.points[i].separation == Approx(-0.002f).margin(1e-5));
  require_near(m.normal, {0, 0, 1}, 1e-5f);
  require_symmetric(s, box, at(0, 0, 0), cap, at(0.1f, 0, 0.598f, lying), 0.1f);
  // Capsule standing on a box: one point.
  m = run(s, box, at(0, 0, 0), cap, at(0.1f, 0, 0.899f), 0.1f);
  REQUIRE(m.count == 1);
  REQUIRE(m.points[0].separation == Approx(-0.001f).margin(1e-5));
  // Capsule sunk deep into the box: exits through the top.
  m = run(s, box, at(0, 0, 0), cap, at(0.0f, 0.0f, 0.5f, lying));
  REQUIRE(m.count == 2);
  require_near(m.normal, {0, 0, 1}, 1e-5f);
  REQUIRE(m.points[0].separation == Approx(-0.1f).margin(1e-5));
  // Parallel capsules: two points.
  m = run(s, cap, at(0, 0, 0, lying), cap2, at(0.05f, 0, 0.14f, lying));
  REQUIRE(m.count == 2);
  require_near(m.normal, {0, 0, 1}, 1e-5f);
  for (int i = 0; i < 2; ++i) REQUIRE(m.points[i].separation == Approx(-0.01f).margin(1e-5));
  // Crossed capsules: one point.
  m = run(s, cap, at(0, 0, 0, lying), cap2, at(0, 0, 0.16f, about({1, 0, 0}, 90.0f)));
  REQUIRE(m.count == 1);
  REQUIRE(m.points[0].separation == Approx(0.01f).margin(1e-5));
  // Sphere on a capsule's end cap.
  m = run(s, sph, at(0, 0, 0.45f), cap, at(0, 0, 0));
  REQUIRE(m.points[0].separation == Approx(-0.05f).margin(1e-6));
  require_near(m.normal, {0, 0, -1}, 1e-6f);
}

TEST_CASE("cylinders on a plane and on a box", "[narrowphase]") {
  Shapes s;
  int p = s.add(ShapeType::Plane, {0, 0, 0}), cyl = s.add(ShapeType::Cylinder, {0.2f, 0.3f, 0});
  int box = s.add(ShapeType::Box, {1.0f, 1.0f, 0.5f});
  // Standing: 4 rim points.
  Manifold m = run(s, p, at(0, 0, 0), cyl, at(0, 0, 0.299f), 0.01f);
  REQUIRE(m.count == 4);
  for (int i = 0; i < 4; ++i) REQUIRE(m.points[i].separation == Approx(-0.001f).margin(1e-6));
  // Lying: 2 points, one per cap, exact radius.
  m = run(s, p, at(0, 0, 0), cyl, at(0, 0, 0.195f, about({1, 0, 0}, 90.0f)), 0.01f);
  REQUIRE(m.count == 2);
  for (int i = 0; i < 2; ++i) REQUIRE(m.points[i].separation == Approx(-0.005f).margin(1e-6));
  // Standing on a box (16-gon prism): 4 points, exact depth on flat caps.
  m = run(s, box, at(0, 0, -0.5f), cyl, at(0, 0, 0.298f), 0.01f);
  REQUIRE(m.count == 4);
  for (int i = 0; i < 4; ++i) REQUIRE(m.points[i].separation == Approx(-0.002f).margin(1e-5));
  require_near(m.normal, {0, 0, 1}, 1e-5f);
  // Lying on a box, a hull slab or a mesh triangle, turned any way about
  // its axis: two points, one per cap, at the exact radius (a prism's side
  // would rise and fall by 1% of it as it rolls).
  const int slab = s.add_hull(cube_points({1.0f, 1.0f, 0.5f}));
  const int tri = s.add_triangle({-2, -2, 0}, {2, -2, 0}, {0, 2, 0});
  for (float roll : {0.0f, 5.0f, 11.25f, 17.0f}) {
    INFO("roll " << roll);
    const Quat q = about({0, 1, 0}, roll) * about({1, 0, 0}, 90.0f);
    for (int floor : {box, slab, tri}) {
      INFO("floor " << floor);
      const Transform xf = floor == tri ? at(0, 0, 0) : at(0, 0, -0.5f);
      m = run(s, floor, xf, cyl, at(0, 0, 0.199f, q), 0.01f);
      REQUIRE(m.count == 2);
      require_near(m.normal, {0, 0, 1}, 1e-5f);
      for (int i = 0; i < 2; ++i) REQUIRE(m.points[i].separation == Approx(-0.001f).margin(1e-5));
      require_symmetric(s, floor, xf, cyl, at(0, 0, 0.199f, q), 0.01f);
    }
  }
  require_symmetric(s, box, at(0, 0, -0.5f), cyl, at(0.1f, 0, 0.29f, about({1, 1, 0}, 10.0f)), 0.05f);
}

TEST_CASE("triangles are one-sided and give face contacts", "[narrowphase][mesh]") {
  Shapes s;
  int tri = s.add_triangle({-1, -1, 0}, {1, -1, 0}, {0, 1, 0});  // front = +z
  int sph = s.add(ShapeType::Sphere, {0.1f, 0, 0}), box = s.add(ShapeType::Box, {0.1f, 0.1f, 0.1f});
  int cap = s.add(ShapeType::Capsule, {0.05f, 0.2f, 0});
  Manifold m = run(s, tri, at(0, 0, 0), sph, at(0, 0, 0.12f));
  REQUIRE(m.count == 1);
  REQUIRE(m.points[0].separation == Approx(0.02f).margin(1e-6));
  require_near(m.normal, {0, 0, 1}, 1e-6f);
  // From behind: nothing.
  REQUIRE(run(s, tri, at(0, 0, 0), sph, at(0, 0, -0.05f)).count == 0);
  REQUIRE(run(s, tri, at(0, 0, 0), box, at(0, 0, -0.05f)).count == 0);
  // Box resting on the triangle: 4 points.
  m = run(s, tri, at(0, 0, 0), box, at(0, 0, 0.099f));
  REQUIRE(m.count == 4);
  for (int i = 0; i < 4; ++i) REQUIRE(m.points[i].separation == Approx(-0.001f).margin(1e-5));
  require_near(m.normal, {0, 0, 1}, 1e-5f);
  require_symmetric(s, tri, at(0, 0, 0), box, at(0.1f, 0, 0.09f, about({1, 2, 3}, 30.0f)), 0.05f);
  // Capsule lying on it: 2 points.
  m = run(s, tri, at(0, 0, 0), cap, at(0, 0, 0.045f, about({0, 1, 0}, 90.0f)));
  REQUIRE(m.count == 2);
  for (int i = 0; i < 2; ++i) REQUIRE(m.points[i].separation == Approx(-0.005f).margin(1e-5));
  // Sphere past the triangle's edge: normal from the edge.
  m = run(s, tri, at(0, 0, 0), sph, at(0, -1.05f, 0.05f));
  REQUIRE(m.count == 1);
  require_near(m.normal, normalize(Vec3{0, -1, 1}), 1e-5f);
}

TEST_CASE("small part near a thin wall gets a positive speculative separation", "[narrowphase]") {
  Shapes s;
  int wall = s.add(ShapeType::Box, {0.0025f, 0.5f, 0.5f}), part = s.add(ShapeType::Box, {0.005f, 0.005f, 0.005f});
  int ball = s.add(ShapeType::Sphere, {0.005f, 0, 0});
  for (float gap : {0.08f, 0.03f, 0.001f}) {
    Transform xp = at(-0.0025f - 0.005f - gap, 0.01f, 0.02f, about({0, 0, 1}, 3.0f));
    Manifold m = run(s, wall, at(0, 0, 0), part, xp, 0.1f);
    REQUIRE(m.count >= 1);
    require_near(m.normal, {-1, 0, 0}, 1e-3f);
    float corner = 0.005f * (std::cos(0.0523599f) + std::sin(0.0523599f) - 1.0f);  // 3 degree turn
    REQUIRE(min_sep(m) == Approx(gap - corner).margin(1e-5));
    m = run(s, ball, at(-0.0025f - 0.005f - gap, 0, 0), wall, at(0, 0, 0), 0.1f);
    require_near(m.normal, {1, 0, 0}, 1e-6f);
    REQUIRE(m.points[0].separation == Approx(gap).margin(1e-6));
  }
}

TEST_CASE("hull pairs and hull on a plane", "[narrowphase][hull]") {
  Shapes s;
  std::vector<Vec3> tetra = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  int t1 = s.add_hull(tetra), p = s.add(ShapeType::Plane, {0, 0, 0});
  int sph = s.add(ShapeType::Sphere, {0.1f, 0, 0}), cap = s.add(ShapeType::Capsule, {0.1f, 0.2f, 0});
  int box = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f});
  // Resting on its base face: 3 points.
  Manifold m = run(s, p, at(0, 0, 0), t1, at(0, 0, -0.002f), 0.01f);
  REQUIRE(m.count == 3);
  for (int i = 0; i < 3; ++i) REQUIRE(m.points[i].separation == Approx(-0.002f).margin(1e-6));
  // Sphere over the slanted face x + y + z = 1.
  Vec3 n = normalize(Vec3{1, 1, 1});
  Vec3 c = (1.0f / 3.0f) * Vec3{1, 1, 1} + 0.15f * n;
  m = run(s, t1, at(0, 0, 0), sph, at(c.x, c.y, c.z));
  REQUIRE(m.count == 1);
  REQUIRE(m.points[0].separation == Approx(0.05f).margin(1e-5));
  require_near(m.normal, n, 1e-5f);
  require_symmetric(s, t1, at(0, 0, 0), sph, at(c.x, c.y, c.z), 0.1f);
  // Capsule against the hull near a vertex, and a box through the generic path.
  m = run(s, t1, at(0, 0, 0), cap, at(0, 0, 1.35f));
  REQUIRE(m.count == 1);
  REQUIRE(m.points[0].separation == Approx(0.05f).margin(1e-5));
  m = run(s, box, at(0, 0, 0), t1, at(-0.2f, -0.3f, 0.499f));  // base clipped to a pentagon
  REQUIRE(m.count == 4);
  require_near(m.normal, {0, 0, 1}, 1e-5f);
  for (int i = 0; i < 4; ++i) REQUIRE(m.points[i].separation == Approx(-0.001f).margin(1e-5));
}

TEST_CASE("shape bounding boxes", "[narrowphase]") {
  Shapes s;
  int box = s.add(ShapeType::Box, {1, 2, 3}), cap = s.add(ShapeType::Capsule, {0.5f, 1, 0});
  int p = s.add(ShapeType::Plane, {0, 0, 0});
  GeometryView g = s.view();
  Aabb b = shape_aabb(g, box, at(1, 0, 0));
  require_near(b.lo, {0, -2, -3}, 1e-6f);
  require_near(b.hi, {2, 2, 3}, 1e-6f);
  b = shape_aabb(g, box, at(0, 0, 0, about({0, 0, 1}, 90.0f)));
  require_near(b.hi, {2, 1, 3}, 1e-5f);
  b = shape_aabb(g, cap, at(0, 0, 0));
  require_near(b.hi, {0.5f, 0.5f, 1.5f}, 1e-6f);
  b = shape_aabb(g, p, at(0, 0, 1));
  REQUIRE(b.hi.z == Approx(1.0f));
  REQUIRE(b.lo.x < -1000.0f);
}

namespace {
// Signed distance from a world point to a box.
float box_sdf(Vec3 h, const Transform& x, Vec3 p) {
  Vec3 q = vabs(inv_transform_point(x, p)) - h;
  Vec3 out = vmax(q, Vec3{0, 0, 0});
  return length(out) + std::min(std::max(q.x, std::max(q.y, q.z)), 0.0f);
}
}  // namespace

TEST_CASE("box-box face contacts lie on both surfaces", "[narrowphase]") {
  Shapes s;
  Vec3 ha{0.5f, 0.4f, 0.3f}, hb{0.3f, 0.2f, 0.25f};
  int a = s.add(ShapeType::Box, ha), b = s.add(ShapeType::Box, hb);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-0.7f, 0.7f);
  int checked = 0;
  for (int i = 0; i < 500; ++i) {
    Transform xa = at(0, 0, 0, random_quat(rng)), xb = random_at(rng, u);
    Manifold m = run(s, a, xa, b, xb, 0.05f);
    for (int k = 0; k < m.count; ++k) {
      const ManifoldPoint& p = m.points[k];
      if ((p.id >> 30) != kIdFace || p.separation < -0.05f) continue;  // shallow face contacts
      Vec3 pa = p.point - 0.5f * p.separation * m.normal, pb = p.point + 0.5f * p.separation * m.normal;
      REQUIRE(std::fabs(box_sdf(ha, xa, pa)) < 2e-4f);
      REQUIRE(std::fabs(box_sdf(hb, xb, pb)) < 2e-4f);
      ++checked;
    }
  }
  REQUIRE(checked > 20);
}

TEST_CASE("a box across two coplanar triangles gets no internal-edge normal", "[narrowphase][mesh]") {
  Shapes s;
  // A unit quad split along its diagonal, front faces up.
  int t0 = s.add_triangle({0, 0, 0}, {1, 0, 0}, {1, 1, 0}), t1 = s.add_triangle({0, 0, 0}, {1, 1, 0}, {0, 1, 0});
  int box = s.add(ShapeType::Box, {0.1f, 0.1f, 0.1f});
  // Box centred just off the diagonal: it overlaps t0 by only a few tenths of a mm at the last offsets.
  for (float off : {0.0f, 0.07f, 0.0990f, 0.0998f}) {
    Transform xb = at(0.5f - off, 0.5f + off, 0.097f);
    for (int t : {t0, t1}) {
      Manifold m = run(s, t, at(0, 0, 0), box, xb, 0.01f);
      if (m.count == 0) continue;
      require_near(m.normal, {0, 0, 1}, 1e-5f);
      REQUIRE(min_sep(m) == Approx(-0.003f).margin(1e-5));
    }
  }
}

TEST_CASE("every shape pair: finite, unit normal, symmetric, overlapping centres penetrate", "[narrowphase]") {
  Shapes s;
  std::vector<int> shapes = {s.add(ShapeType::Sphere, {0.1f, 0, 0}), s.add(ShapeType::Box, {0.1f, 0.07f, 0.05f}),
                             s.add(ShapeType::Capsule, {0.05f, 0.1f, 0}), s.add(ShapeType::Cylinder, {0.08f, 0.06f, 0}),
                             s.add_hull(cylinder_hull_points(0.07f, 0.05f, 7))};
  int plane = s.add(ShapeType::Plane, {0, 0, 0});
  int tri = s.add_triangle({-0.3f, -0.3f, 0}, {0.3f, -0.3f, 0}, {0, 0.3f, 0});
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-0.2f, 0.2f);
  for (int i = 0; i < 400; ++i) {
    for (int a : shapes) {
      for (int b : shapes) {
        Transform xa = random_at(rng, u), xb = random_at(rng, u);
        Manifold m = run(s, a, xa, b, xb, 0.05f);
        REQUIRE(m.count <= 4);
        if (m.count > 0) REQUIRE(length(m.normal) == Approx(1.0f).margin(1e-4));
        for (int k = 0; k < m.count; ++k) {
          REQUIRE(std::isfinite(m.points[k].point.x + m.points[k].point.y + m.points[k].point.z));
          REQUIRE(m.points[k].separation <= 0.05f);
        }
        if (a != b) require_symmetric(s, a, xa, b, xb, 0.05f);
        // Same centre: always a penetrating contact.
        Manifold c = run(s, a, xa, b, at(xa.p.x, xa.p.y, xa.p.z, xb.q), 0.05f);
        REQUIRE(c.count >= 1);
        REQUIRE(min_sep(c) < 0.0f);
        // Far apart: nothing.
        REQUIRE(run(s, a, xa, b, at(xa.p.x + 1.0f, xa.p.y, xa.p.z, xb.q), 0.05f).count == 0);
      }
      for (int st : {plane, tri}) {
        Transform xs = at(0, 0, 0, random_quat(rng)), xb = random_at(rng, u);
        Manifold m = run(s, st, xs, a, xb, 0.05f);
        REQUIRE(m.count <= 4);
        if (m.count > 0) REQUIRE(length(m.normal) == Approx(1.0f).margin(1e-4));
        require_symmetric(s, st, xs, a, xb, 0.05f);
        // Centred just in front of the static shape, a bit sunk: penetrating, normal forward.
        Vec3 n = rotate(xs.q, Vec3{0, 0, 1});
        Manifold c = run(s, st, xs, a, {0.01f * n, xb.q}, 0.05f);
        INFO("static " << st << " vs shape " << a << " iteration " << i);
        REQUIRE(c.count >= 1);
        REQUIRE(min_sep(c) < 0.0f);
        REQUIRE(dot(c.normal, n) > 0.0f);
      }
    }
  }
}

TEST_CASE("sphere against the cylinder prism stays within 1% of the exact cylinder", "[narrowphase]") {
  Shapes s;
  int sph = s.add(ShapeType::Sphere, {0.05f, 0, 0}), cyl = s.add(ShapeType::Cylinder, {0.2f, 0.3f, 0});
  GeometryView g = s.view();
  for (int k = 0; k < 64; ++k) {
    float t = 0.0981748f * k;
    Transform xs = at(0.26f * std::cos(t), 0.26f * std::sin(t), 0.1f);
    Manifold exact, prism;
    collide(g, cyl, at(0, 0, 0), sph, xs, 0.1f, exact);
    collide_poly_core(make_cylinder_poly(0.2f, 0.3f), at(0, 0, 0), xs.p, xs.p, 0.05f, 0.1f, prism);
    REQUIRE(exact.points[0].separation == Approx(0.01f).margin(1e-5));
    REQUIRE(prism.points[0].separation == Approx(0.01f).margin(0.01f * 0.2f + 1e-5f));
  }
}

TEST_CASE("capsule and sphere against box and hull: separation is the true distance", "[narrowphase][hull]") {
  Shapes s;
  Vec3 h{0.2f, 0.15f, 0.1f};
  int box = s.add(ShapeType::Box, h), hull = s.add_hull(cube_points(h));
  int cap = s.add(ShapeType::Capsule, {0.03f, 0.12f, 0}), sph = s.add(ShapeType::Sphere, {0.04f, 0, 0});
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> u(-0.4f, 0.4f);
  int checked = 0;
  for (int i = 0; i < 300; ++i) {
    Transform xp = at(0, 0, 0, random_quat(rng)), xc = random_at(rng, u);
    // Brute force: distance from the core segment to the box, sampled finely.
    Vec3 a = transform_point(xc, {0, 0, -0.12f}), b = transform_point(xc, {0, 0, 0.12f});
    float best = 1e30f;
    for (int k = 0; k <= 2000; ++k) best = std::min(best, box_sdf(h, xp, a + (k / 2000.0f) * (b - a)));
    float sep_c = best - 0.03f, sep_s = box_sdf(h, xp, xc.p) - 0.04f;
    for (int target : {box, hull}) {
      Manifold m = run(s, target, xp, cap, xc, 0.1f);
      if (best > 0.0f && sep_c <= 0.1f) {
        REQUIRE(m.count >= 1);
        REQUIRE(min_sep(m) == Approx(sep_c).margin(2e-4));
        ++checked;
      }
      if (sep_c > 0.1f + 1e-4f) REQUIRE(m.count == 0);
      m = run(s, target, xp, sph, xc, 0.1f);
      if (sep_s <= 0.1f) {
        REQUIRE(m.count == 1);
        REQUIRE(m.points[0].separation == Approx(sep_s).margin(1e-5));
      } else {
        REQUIRE(m.count == 0);
      }
    }
  }
  REQUIRE(checked > 50);
}

TEST_CASE("a capsule rising steeply from just past a box's edge keeps its nearest point", "[narrowphase][hull]") {
  // The core's lower end lies 3.3 mm past the edge of the box's -y face and
  // 127.3 mm from the edge; the core leaves that face steeply. Clipping the
  // core to the face alone put the points 102.8 mm off, beyond the margin:
  // no contact, though the surfaces are 97.3 mm apart.
  Shapes s;
  Vec3 h{0.2f, 0.15f, 0.1f};
  int box = s.add(ShapeType::Box, h), hull = s.add_hull(cube_points(h));
  int cap = s.add(ShapeType::Capsule, {0.03f, 0.12f, 0});
  Transform xp{Vec3{0, 0, 0}, Quat{-0x1.8c558ap-2f, 0x1.902a3ep-6f, -0x1.3bce5cp-1f, -0x1.5eb0dp-1f}};
  Transform xc{Vec3{0x1.3bcc42p-2f, -0x1.a01cd8p-4f, -0x1.e08412p-3f},
               Quat{0x1.d87222p-6f, 0x1.612872p-1f, 0x1.70c724p-1f, -0x1.161674p-4f}};
  Vec3 a = inv_transform_point(xp, transform_point(xc, {0, 0, -0.12f}));
  float past = -0.2f - a.x, off = -0.15f - a.y;  // beyond the x = -0.2 edge, below the y = -0.15 face
  REQUIRE(past > 0.003f);
  float nearest = std::sqrt(past * past + off * off) - 0.03f;
  for (int target : {box, hull}) {
    Manifold m = run(s, target, xp, cap, xc, 0.1f);
    REQUIRE(m.count >= 1);
    REQUIRE(min_sep(m) == Approx(nearest).margin(1e-5));
  }
}

TEST_CASE("24-sided hull cylinders stand on boxes and on each other", "[narrowphase][hull]") {
  Shapes s;
  int c1 = s.add_hull(cylinder_hull_points(0.1f, 0.2f, 24)), c2 = s.add_hull(cylinder_hull_points(0.1f, 0.2f, 24));
  int box = s.add(ShapeType::Box, {0.5f, 0.5f, 0.5f});
  Manifold m = run(s, box, at(0, 0, -0.5f), c1, at(0, 0, 0.199f), 0.01f);
  REQUIRE(m.count == 4);
  for (int i = 0; i < 4; ++i) REQUIRE(m.points[i].separation == Approx(-0.001f).margin(1e-5));
  m = run(s, c1, at(0, 0, 0), c2, at(0.02f, 0, 0.398f, about({0, 0, 1}, 7.0f)), 0.01f);
  REQUIRE(m.count == 4);
  require_near(m.normal, {0, 0, 1}, 1e-5f);
  for (int i = 0; i < 4; ++i) REQUIRE(m.points[i].separation == Approx(-0.002f).margin(1e-5));
}

TEST_CASE("geometry view of a model", "[narrowphase]") {
  Model model;
  model.shape_type = {ShapeType::Plane, ShapeType::Sphere};
  model.shape_size = {{0, 0, 0}, {0.5f, 0, 0}};
  model.shape_data_begin = {-1, -1};
  GeometryView g = geometry_view(model);
  Manifold m;
  collide(g, 1, at(0, 0, 0.4f), 0, at(0, 0, 0), 0.1f, m);
  REQUIRE(m.count == 1);
  require_near(m.normal, {0, 0, -1}, 0.0f);
  REQUIRE(m.points[0].separation == Approx(-0.1f).margin(1e-6));
}

// The CPU searches edge pairs with p2's vertices and normals rotated once
// and the Gauss-map test run over all of p1's edges in one loop; the GPU
// visits the pairs one by one. Both must find the same axis, bit for bit.
TEST_CASE("the CPU's edge-axis search finds the pair-by-pair search's axis, bit for bit", "[narrowphase][hull]") {
  Shapes s;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<Vec3> cloud;
  for (int i = 0; i < 40; ++i) cloud.push_back(Vec3{0.3f * u(rng), 0.2f * u(rng), 0.25f * u(rng)});
  const int shapes[] = {s.add(ShapeType::Box, {0.3f, 0.2f, 0.1f}), s.add(ShapeType::Cylinder, {0.2f, 0.15f, 0}),
                        s.add_hull(cloud), s.add_triangle({-0.4f, -0.3f, 0}, {0.5f, -0.2f, 0}, {0, 0.4f, 0.05f})};
  const GeometryView g = s.view();
  int compared = 0, found = 0, stopped = 0;
  for (int k = 0; k < 4000; ++k) {
    const int a = shapes[k % 4], b = shapes[(k / 4) % 3];  // a triangle is never p2
    const Polytope p1 = shape_poly(g, a), p2 = shape_poly(g, b);
    const Quat q = quat_normalize(Quat{u(rng), u(rng), u(rng), u(rng)});
    const Vec3 t{0.5f * u(rng), 0.5f * u(rng), 0.5f * u(rng)};
    const float margin = (k & 1) ? 0.01f : 10.0f;
    EdgeQuery cached{}, pairs{};
    REQUIRE(sat_edges_cached(p1, p2, q, t, margin, cached));
    sat_edge_pairs(p1, p2, q, t, margin, pairs);
    REQUIRE(std::memcmp(&cached.sep, &pairs.sep, sizeof(float)) == 0);
    REQUIRE(cached.e1 == pairs.e1);
    REQUIRE(cached.e2 == pairs.e2);
    if (pairs.e1 >= 0) REQUIRE(std::memcmp(&cached.normal, &pairs.normal, sizeof(Vec3)) == 0);
    ++compared, found += pairs.e1 >= 0, stopped += pairs.sep > margin;
  }
  // Both outcomes are exercised: axes found, and searches stopped early.
  REQUIRE(compared == 4000);
  REQUIRE(found > 1000);
  REQUIRE(stopped > 100);
}
