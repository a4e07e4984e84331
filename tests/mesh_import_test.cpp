// Mesh import: ascii and binary STL, OBJ with a quad, scale, winding, and
// errors that name the file for missing and malformed files.
#include <catch2/catch.hpp>

#include <algorithm>

#include "mesh_import.h"

using namespace werk;

namespace {
std::string data(const char* name) { return std::string(WERK_TEST_DATA_DIR) + "/" + name; }

// Signed volume of a closed mesh: positive when triangles wind outward.
double signed_volume(const MeshData& m) {
  double v = 0;
  for (const Int3& t : m.triangle) v += dot(m.vertex[t.a], cross(m.vertex[t.b], m.vertex[t.c])) / 6.0;
  return v;
}
}  // namespace

TEST_CASE("ascii STL tetrahedron", "[mesh]") {
  MeshData m;
  REQUIRE(load_mesh(data("tetra.stl"), 1.0f, m) == "");
  REQUIRE(m.triangle.size() == 4);
  REQUIRE(signed_volume(m) == Approx(1.0 / 6.0));
  GeometryData g;
  g.triangle_vertex.resize(3);  // one triangle already there
  REQUIRE(append_mesh_triangles(g, m) == 1);
  REQUIRE(g.ntriangle() == 5);
}

TEST_CASE("binary STL cube with a scale", "[mesh]") {
  MeshData m;
  REQUIRE(load_mesh(data("cube_binary.stl"), 0.5f, m) == "");
  REQUIRE(m.triangle.size() == 12);
  REQUIRE(signed_volume(m) == Approx(0.125));
  for (Vec3 v : m.vertex) REQUIRE(std::max(std::max(v.x, v.y), v.z) <= 0.5f);
}

TEST_CASE("OBJ quad is triangulated, winding kept", "[mesh]") {
  MeshData m;
  REQUIRE(load_mesh(data("floor.obj"), 2.0f, m) == "");
  REQUIRE(m.triangle.size() == 3);
  double area = 0;
  for (const Int3& t : m.triangle) {
    Vec3 n = cross(m.vertex[t.b] - m.vertex[t.a], m.vertex[t.c] - m.vertex[t.a]);
    REQUIRE(n.z > 0.0f);  // front faces up
    area += 0.5 * n.z;
  }
  REQUIRE(area == Approx(4.0 + 2.0));  // 2x2 quad + half of a 2x2 square
}

TEST_CASE("missing and malformed meshes give errors naming the file", "[mesh]") {
  MeshData m;
  std::string e = load_mesh(data("no_such_file.stl"), 1.0f, m);
  REQUIRE(e.find("no_such_file.stl") != std::string::npos);
  REQUIRE(e.find("no such file") != std::string::npos);
  e = load_mesh(data("malformed.stl"), 1.0f, m);
  INFO(e);
  REQUIRE(e.find("malformed.stl") != std::string::npos);
  REQUIRE(e.find("line 5") != std::string::npos);
  e = load_mesh(data("malformed.obj"), 1.0f, m);
  INFO(e);
  REQUIRE(e.find("malformed.obj") != std::string::npos);
  REQUIRE(load_mesh(data("tetra.stl"), -1.0f, m).find("positive scale") != std::string::npos);
  REQUIRE(load_mesh(std::string(WERK_TEST_DATA_DIR), 1.0f, m).find("not a regular file") != std::string::npos);
}
