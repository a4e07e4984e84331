// Tessellation of every shape type against analytic volumes and areas.
#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkMassProperties.h>
#include <vtkNew.h>
#include <vtkPolyDataNormals.h>
#include <vtkTriangleFilter.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <tuple>

#include "tessellate.h"
#include "werk/scene.h"

using namespace werk;
using namespace werk::viz;

namespace {

struct Measure {
  double volume, area;
};

Measure measure(vtkPolyData* pd) {
  vtkNew<vtkTriangleFilter> tri;
  tri->SetInputData(pd);
  vtkNew<vtkMassProperties> mp;
  mp->SetInputConnection(tri->GetOutputPort());
  mp->Update();
  return {mp->GetVolume(), mp->GetSurfaceArea()};
}

// Every polygon's normal (from its winding, nothing reoriented) points away
// from an interior point: for a convex shape, the mean of its vertices.
bool normals_outward(vtkPolyData* pd) {
  double c[3] = {0, 0, 0};
  const vtkIdType np = pd->GetNumberOfPoints();
  for (vtkIdType i = 0; i < np; ++i) {
    double p[3];
    pd->GetPoint(i, p);
    for (int k = 0; k < 3; ++k) c[k] += p[k] / double(np);
  }
  vtkNew<vtkPolyDataNormals> n;
  n->SetInputData(pd);
  n->ComputeCellNormalsOn();
  n->ComputePointNormalsOff();
  n->ConsistencyOff();
  n->AutoOrientNormalsOff();
  n->SplittingOff();
  n->Update();
  vtkPolyData* out = n->GetOutput();
  vtkDataArray* normals = out->GetCellData()->GetNormals();
  if (!normals || out->GetNumberOfCells() == 0) return false;
  for (vtkIdType cell = 0; cell < out->GetNumberOfCells(); ++cell) {
    double b[6], nn[3];
    out->GetCell(cell)->GetBounds(b);
    normals->GetTuple(cell, nn);
    double mid[3] = {(b[0] + b[1]) / 2 - c[0], (b[2] + b[3]) / 2 - c[1], (b[4] + b[5]) / 2 - c[2]};
    if (nn[0] * mid[0] + nn[1] * mid[1] + nn[2] * mid[2] <= 0) return false;
  }
  return true;
}

Model scene(const std::string& statics) {
  return compile_scene("werk: 1\nname: shapes\nstatic:\n" + statics, "shapes.yaml");
}

// float32 points: relative errors of a few 1e-7 per coordinate.
constexpr double kExact = 1e-5;

}  // namespace

TEST_CASE("boxes, cylinders and planes tessellate to their exact volume and area", "[viz]") {
  Model m = scene(
      "  - {name: box, shape: {type: box, size: [0.6, 0.4, 0.2]}, position: [1, 2, 3], rotation: {axis: [0, 0, 1], angle_deg: 30}}\n"
      "  - {name: cyl, shape: {type: cylinder, radius: 0.25, height: 0.7}}\n"
      "  - {name: floor, shape: {type: plane}}\n");
  TessellationOptions o;
  o.resolution = 24;
  o.plane_patch = {-2, 3, -1, 4};
  Measure box = measure(tessellate_shape(m, 0, o));
  CHECK(box.volume == Approx(0.6 * 0.4 * 0.2).epsilon(kExact));
  CHECK(box.area == Approx(2 * (0.6 * 0.4 + 0.4 * 0.2 + 0.2 * 0.6)).epsilon(kExact));
  // A cylinder with n sides is the prism over the inscribed n-gon:
  // base area n/2 r^2 sin(2 pi / n), side n * 2 r sin(pi / n) * h.
  const double n = 24, r = 0.25, h = 0.7;
  const double base = n / 2 * r * r * std::sin(2 * M_PI / n);
  Measure cyl = measure(tessellate_shape(m, 1, o));
  CHECK(cyl.volume == Approx(base * h).epsilon(kExact));
  CHECK(cyl.area == Approx(2 * base + n * 2 * r * std::sin(M_PI / n) * h).epsilon(kExact));
  // The cylinder stands on the local z axis.
  double b[6];
  tessellate_shape(m, 1, o)->GetBounds(b);
  CHECK(b[5] - b[4] == Approx(h).epsilon(kExact));
  CHECK(b[5] == Approx(h / 2).epsilon(kExact));
  // The plane is the asked patch, facing +z.
  auto plane = tessellate_shape(m, 2, o);
  CHECK(measure(plane).area == Approx(5.0 * 5.0).epsilon(kExact));
  plane->GetBounds(b);
  CHECK(b[0] == Approx(-2));
  CHECK(b[1] == Approx(3));
  CHECK(b[2] == Approx(-1));
  CHECK(b[3] == Approx(4));
  CHECK(b[4] == 0);
  CHECK(b[5] == 0);
  CHECK(normals_outward(tessellate_shape(m, 0, o)));
  CHECK(normals_outward(tessellate_shape(m, 1, o)));
}

TEST_CASE("spheres and capsules tessellate within the inscribed-polyhedron bounds", "[viz]") {
  Model m = scene(
      "  - {name: ball, shape: {type: sphere, radius: 0.3}}\n"
      "  - {name: pill, shape: {type: capsule, radius: 0.1, length: 0.5}}\n");
  for (int res : {12, 24, 48}) {
    INFO("resolution " << res);
    TessellationOptions o;
    o.resolution = res;
    // Vertices lie on the surface, so the convex tessellation lies inside
    // the shape; each face spans at most 2 pi / res in longitude and
    // pi / (res / 2) in latitude, so its plane is at least r cos(a) from
    // the centre with a the half-diagonal of that cell: the tessellation
    // holds the shape shrunk to radius r cos(a).
    const double a = std::hypot(M_PI / res, M_PI / (2 * (res / 2))), c = std::cos(a);
    const double r = 0.3;
    Measure s = measure(tessellate_shape(m, 0, o));
    CHECK(s.volume <= 4.0 / 3 * M_PI * r * r * r * (1 + kExact));
    CHECK(s.volume >= 4.0 / 3 * M_PI * std::pow(r * c, 3));
    CHECK(s.area <= 4 * M_PI * r * r * (1 + kExact));
    CHECK(s.area >= 4 * M_PI * std::pow(r * c, 2));
    CHECK(normals_outward(tessellate_shape(m, 0, o)));
    // Capsule: radius 0.1, segment 0.5 along local z.
    const double cr = 0.1, len = 0.5;
    auto cap = tessellate_shape(m, 1, o);
    Measure k = measure(cap);
    CHECK(k.volume <= (M_PI * cr * cr * len + 4.0 / 3 * M_PI * cr * cr * cr) * (1 + kExact));
    CHECK(k.volume >= M_PI * std::pow(cr * c, 2) * len + 4.0 / 3 * M_PI * std::pow(cr * c, 3));
    double b[6];
    cap->GetBounds(b);
    // Along local z: the tips, or (vtkCapsuleSource leaves the poles out)
    // the polar rings at most the angle a from them.
    CHECK(b[5] - b[4] <= (len + 2 * cr) * (1 + kExact));
    CHECK(b[5] - b[4] >= len + 2 * cr * c);
    CHECK(b[1] - b[0] <= 2 * cr * (1 + kExact));
    CHECK(normals_outward(cap));
  }
}

TEST_CASE("a hull tessellates to the hull's vertex set and volume, normals outward", "[viz]") {
  // The unit cube's corners plus two interior points: the hull is the cube.
  Model m = scene(
      "  - name: h\n    shape: {type: hull, points: [[0,0,0],[1,0,0],[0,1,0],[1,1,0],[0,0,1],[1,0,1],[0,1,1],[1,1,1],"
      "[0.5,0.5,0.5],[0.2,0.3,0.4]]}\n");
  auto pd = tessellate_shape(m, 0, TessellationOptions{});
  std::set<std::tuple<float, float, float>> got, want;
  for (vtkIdType i = 0; i < pd->GetNumberOfPoints(); ++i) {
    double p[3];
    pd->GetPoint(i, p);
    got.insert({float(p[0]), float(p[1]), float(p[2])});
  }
  // In the body frame: the recorded hull vertices moved by the shape pose.
  const GeometryData& g = m.geometry;
  REQUIRE(g.nhull() == 1);
  const Vec3 t = m.shape_pos[0];
  for (int v = 0; v < g.hull_vertex_count[0]; ++v) {
    Vec3 p = g.hull_vertex[g.hull_vertex_begin[0] + v];
    want.insert({p.x + t.x, p.y + t.y, p.z + t.z});
  }
  CHECK(want.size() == 8);
  CHECK(got == want);
  Measure h = measure(pd);
  CHECK(h.volume == Approx(1.0).epsilon(kExact));
  CHECK(h.area == Approx(6.0).epsilon(kExact));
  CHECK(normals_outward(pd));
}

TEST_CASE("a mesh body tessellates to its closed triangle surface", "[viz]") {
  Model m = compile_scene("werk: 1\nname: m\nstatic:\n  - {name: cube, shape: {type: mesh, file: " +
                              std::string(WERK_TEST_DATA_DIR) + "/cube_binary.stl}}\n",
                          "m.yaml");
  auto pd = tessellate_body(m, 0, TessellationOptions{});
  CHECK(pd->GetNumberOfPoints() == 8);  // corners shared between triangles
  CHECK(pd->GetNumberOfCells() == 12);
  Measure c = measure(pd);
  CHECK(c.volume == Approx(1.0).epsilon(kExact));
  CHECK(c.area == Approx(6.0).epsilon(kExact));
  CHECK(normals_outward(pd));
  // Cell data: one value per triangle.
  REQUIRE(pd->GetCellData()->GetArray("body_id"));
  CHECK(pd->GetCellData()->GetArray("body_id")->GetNumberOfTuples() == 12);
  CHECK(pd->GetCellData()->GetAbstractArray("body_name")->GetNumberOfTuples() == 12);
}
