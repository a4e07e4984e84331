// Convex hull construction: topology and planes of simple solids, interior
// points dropped, and clear errors for degenerate input.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "convex_hull.h"

using namespace werk;

namespace {
std::vector<Vec3> cube(float h) {
  std::vector<Vec3> p;
  for (int i = 0; i < 8; ++i) p.push_back({(i & 1) ? h : -h, (i & 2) ? h : -h, (i & 4) ? h : -h});
  return p;
}

// Every face loop is planar, counter-clockwise about its outward normal,
// and every vertex lies on or behind every face plane.
void check_hull(const GeometryData& g, int h) {
  int vb = g.hull_vertex_begin[h], nv = g.hull_vertex_count[h];
  for (int f = g.hull_face_begin[h]; f < g.hull_face_begin[h] + g.hull_face_count[h]; ++f) {
    Vec3 n = g.hull_face_normal[f];
    float d = g.hull_face_offset[f];
    REQUIRE(length(n) == Approx(1.0f).margin(1e-5));
    int b = g.hull_face_vertex_begin[f], c = g.hull_face_vertex_count[f];
    REQUIRE(c >= 3);
    for (int k = 0; k < c; ++k) {
      Vec3 p0 = g.hull_vertex[vb + g.hull_face_vertex[b + k]];
      Vec3 p1 = g.hull_vertex[vb + g.hull_face_vertex[b + (k + 1) % c]];
      Vec3 p2 = g.hull_vertex[vb + g.hull_face_vertex[b + (k + 2) % c]];
      REQUIRE(dot(n, p0) == Approx(d).margin(1e-5));
      REQUIRE(dot(cross(p1 - p0, p2 - p1), n) >= -1e-6f);
    }
    for (int i = 0; i < nv; ++i) REQUIRE(dot(n, g.hull_vertex[vb + i]) <= d + 1e-5f);
  }
  // Euler: V - E + F = 2.
  REQUIRE(nv - g.hull_edge_count[h] + g.hull_face_count[h] == 2);
}
}  // namespace

TEST_CASE("hull of a cube has 8 vertices, 6 quad faces, 12 edges", "[hull]") {
  GeometryData g;
  int h = -1;
  std::vector<Vec3> pts = cube(0.5f);
  pts.push_back({0.1f, 0.2f, -0.3f});  // interior: dropped
  pts.push_back({0.5f, 0.0f, 0.0f});   // on a face: dropped
  REQUIRE(build_convex_hull(pts, g, h) == "");
  REQUIRE(h == 0);
  REQUIRE(g.hull_vertex_count[0] == 8);
  REQUIRE(g.hull_face_count[0] == 6);
  REQUIRE(g.hull_edge_count[0] == 12);
  for (int f = 0; f < 6; ++f) {
    REQUIRE(g.hull_face_vertex_count[f] == 4);
    REQUIRE(g.hull_face_offset[f] == Approx(0.5f));
  }
  check_hull(g, 0);
  // A second hull appends after the first.
  REQUIRE(build_convex_hull({{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, g, h) == "");
  REQUIRE(h == 1);
  REQUIRE(g.hull_face_count[1] == 4);
  REQUIRE(g.hull_vertex_begin[1] == 8);
  check_hull(g, 1);
}

TEST_CASE("hull of random points and of a cylinder prism", "[hull]") {
  GeometryData g;
  int h = -1;
  std::mt19937 rng(1);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<Vec3> pts;
  for (int i = 0; i < 200; ++i) pts.push_back(normalize(Vec3{n(rng), n(rng), n(rng)}));
  REQUIRE(build_convex_hull(pts, g, h) == "");
  check_hull(g, h);
  REQUIRE(build_convex_hull(cylinder_hull_points(0.3f, 0.5f, 16), g, h) == "");
  REQUIRE(g.hull_vertex_count[h] == 32);
  REQUIRE(g.hull_face_count[h] == 18);
  check_hull(g, h);
}

TEST_CASE("degenerate hull input is rejected with a reason", "[hull]") {
  GeometryData g;
  int h = 7;
  REQUIRE(build_convex_hull({{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, g, h).find("at least 4 points") != std::string::npos);
  REQUIRE(h == -1);
  float nan = std::numeric_limits<float>::quiet_NaN();
  REQUIRE(build_convex_hull({{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, nan}}, g, h).find("finite") != std::string::npos);
  REQUIRE(build_convex_hull({{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {0.5f, 0.2f, 0}}, g, h).find("coplanar") !=
          std::string::npos);
  REQUIRE(build_convex_hull({{0, 0, 0}, {1, 1, 1}, {2, 2, 2}, {3, 3, 3}}, g, h).find("collinear") != std::string::npos);
  REQUIRE(build_convex_hull({{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}}, g, h).find("same place") != std::string::npos);
  REQUIRE(g.nhull() == 0);
  REQUIRE(g.hull_vertex.empty());
}
