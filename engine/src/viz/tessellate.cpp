#include "tessellate.h"

#include <vtkAppendPolyData.h>
#include <vtkCapsuleSource.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkCleanPolyData.h>
#include <vtkCubeSource.h>
#include <vtkCylinderSource.h>
#include <vtkIntArray.h>
#include <vtkPlaneSource.h>
#include <vtkPoints.h>
#include <vtkSphereSource.h>
#include <vtkStringArray.h>
#include <vtkTransform.h>
#include <vtkTransformPolyDataFilter.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace werk::viz {
namespace {

// A rotation as VTK's angle (degrees) and axis; the identity for a zero quaternion.
void rotate(vtkTransform* t, const Quat& q) {
  double n = std::sqrt(double(q.w) * q.w + double(q.x) * q.x + double(q.y) * q.y + double(q.z) * q.z);
  if (n == 0) return;
  double w = std::clamp(q.w / n, -1.0, 1.0), s = std::sqrt(std::max(0.0, 1 - w * w));
  if (s < 1e-12) return;
  t->RotateWXYZ(2 * std::acos(w) * 180.0 / M_PI, q.x / n / s, q.y / n / s, q.z / n / s);
}

vtkSmartPointer<vtkPolyData> transformed(vtkPolyData* in, vtkTransform* t) {
  auto f = vtkSmartPointer<vtkTransformPolyDataFilter>::New();
  f->SetInputData(in);
  f->SetTransform(t);
  f->Update();
  return f->GetOutput();
}

template <class Source>
vtkSmartPointer<vtkPolyData> output(Source* s) {
  s->Update();
  vtkSmartPointer<vtkPolyData> p = s->GetOutput();
  return p;
}

// Points merged and only the geometry kept: normals are made where drawn.
vtkSmartPointer<vtkPolyData> clean(vtkPolyData* in) {
  auto bare = vtkSmartPointer<vtkPolyData>::New();
  bare->SetPoints(in->GetPoints());
  bare->SetPolys(in->GetPolys());
  auto c = vtkSmartPointer<vtkCleanPolyData>::New();
  c->SetInputData(bare);
  c->PointMergingOn();
  c->SetTolerance(0);
  c->Update();
  return c->GetOutput();
}

vtkSmartPointer<vtkPolyData> from_polygons(const std::vector<Vec3>& v, const std::vector<std::vector<vtkIdType>>& faces) {
  auto pts = vtkSmartPointer<vtkPoints>::New();
  pts->SetDataTypeToFloat();
  for (const Vec3& p : v) pts->InsertNextPoint(p.x, p.y, p.z);
  auto polys = vtkSmartPointer<vtkCellArray>::New();
  for (const auto& f : faces) polys->InsertNextCell(vtkIdType(f.size()), f.data());
  auto pd = vtkSmartPointer<vtkPolyData>::New();
  pd->SetPoints(pts);
  pd->SetPolys(polys);
  return pd;
}

}  // namespace

const char* draw_kind_name(DrawKind k) {
  switch (k) {
    case DrawKind::Static: return "static";
    case DrawKind::Dynamic: return "dynamic";
    case DrawKind::Kinematic: return "kinematic";
    case DrawKind::Belt: return "belt";
  }
  return "?";
}

DrawKind draw_kind(const Model& m, int b) {
  for (int s = m.body_shape_begin[b]; s < m.body_shape_begin[b] + m.body_shape_count[b]; ++s)
    if (m.shape_conveyor[s] >= 0) return DrawKind::Belt;
  switch (m.body_kind[b]) {
    case BodyKind::Dynamic: return DrawKind::Dynamic;
    case BodyKind::Kinematic: return DrawKind::Kinematic;
    default: return DrawKind::Static;
  }
}

vtkSmartPointer<vtkPolyData> tessellate_shape(const Model& m, int s, const TessellationOptions& o) {
  const Vec3 sz = m.shape_size[s];
  const int res = std::max(8, o.resolution);
  vtkSmartPointer<vtkPolyData> local;  // in the shape frame
  auto axis_y_to_z = vtkSmartPointer<vtkTransform>::New();
  axis_y_to_z->RotateX(90);  // VTK's round sources stand on y; shapes on z
  switch (m.shape_type[s]) {
    case ShapeType::Box: {
      auto c = vtkSmartPointer<vtkCubeSource>::New();
      c->SetXLength(2.0 * sz.x), c->SetYLength(2.0 * sz.y), c->SetZLength(2.0 * sz.z);
      local = clean(output(c.Get()));
      break;
    }
    case ShapeType::Sphere: {
      auto c = vtkSmartPointer<vtkSphereSource>::New();
      c->SetRadius(sz.x);
      c->SetThetaResolution(res), c->SetPhiResolution(res / 2 + 1);
      local = clean(output(c.Get()));
      break;
    }
    case ShapeType::Cylinder: {
      auto c = vtkSmartPointer<vtkCylinderSource>::New();
      c->SetRadius(sz.x), c->SetHeight(2.0 * sz.y), c->SetResolution(res), c->CappingOn();
      local = transformed(clean(output(c.Get())), axis_y_to_z);
      break;
    }
    case ShapeType::Capsule: {
      auto c = vtkSmartPointer<vtkCapsuleSource>::New();
      c->SetRadius(sz.x), c->SetCylinderLength(2.0 * sz.y);
      c->SetThetaResolution(res), c->SetPhiResolution(res / 2 + 1);
      local = transformed(clean(output(c.Get())), axis_y_to_z);
      break;
    }
    case ShapeType::Plane: {
      auto c = vtkSmartPointer<vtkPlaneSource>::New();
      const auto& b = o.plane_patch;
      c->SetOrigin(b[0], b[2], 0), c->SetPoint1(b[1], b[2], 0), c->SetPoint2(b[0], b[3], 0);
      local = clean(output(c.Get()));
      break;
    }
    case ShapeType::Hull: {
      const GeometryData& g = m.geometry;
      const int h = m.shape_data_begin[s];
      std::vector<Vec3> v(g.hull_vertex.begin() + g.hull_vertex_begin[h],
                          g.hull_vertex.begin() + g.hull_vertex_begin[h] + g.hull_vertex_count[h]);
      std::vector<std::vector<vtkIdType>> faces;
      for (int f = g.hull_face_begin[h]; f < g.hull_face_begin[h] + g.hull_face_count[h]; ++f) {
        std::vector<vtkIdType> loop;
        for (int k = 0; k < g.hull_face_vertex_count[f]; ++k)
          loop.push_back(g.hull_face_vertex[g.hull_face_vertex_begin[f] + k]);
        faces.push_back(loop);
      }
      local = from_polygons(v, faces);
      break;
    }
    case ShapeType::Triangle: {
      const auto& tv = m.geometry.triangle_vertex;
      const int t = m.shape_data_begin[s];
      local = from_polygons({tv[3 * t], tv[3 * t + 1], tv[3 * t + 2]}, {{0, 1, 2}});
      break;
    }
  }
  auto place = vtkSmartPointer<vtkTransform>::New();
  place->PostMultiply();
  rotate(place, m.shape_quat[s]);
  place->Translate(m.shape_pos[s].x, m.shape_pos[s].y, m.shape_pos[s].z);
  return transformed(local, place);
}

vtkSmartPointer<vtkPolyData> tessellate_body(const Model& m, int b, const TessellationOptions& o) {
  auto append = vtkSmartPointer<vtkAppendPolyData>::New();
  bool triangles = false;
  for (int s = m.body_shape_begin[b]; s < m.body_shape_begin[b] + m.body_shape_count[b]; ++s) {
    append->AddInputData(tessellate_shape(m, s, o));
    triangles = triangles || m.shape_type[s] == ShapeType::Triangle;
  }
  vtkSmartPointer<vtkPolyData> pd;
  if (append->GetNumberOfInputConnections(0) == 0) {
    pd = vtkSmartPointer<vtkPolyData>::New();
    pd->SetPoints(vtkSmartPointer<vtkPoints>::New());
    pd->SetPolys(vtkSmartPointer<vtkCellArray>::New());
  } else {
    append->Update();
    pd = append->GetOutput();
    if (triangles) pd = clean(pd);  // a mesh's triangles share their corners
  }
  const vtkIdType n = pd->GetNumberOfCells();
  auto id = vtkSmartPointer<vtkIntArray>::New();
  id->SetName("body_id");
  auto kind = vtkSmartPointer<vtkIntArray>::New();
  kind->SetName("kind");
  auto name = vtkSmartPointer<vtkStringArray>::New();
  name->SetName("body_name");
  const int k = int(draw_kind(m, b));
  for (vtkIdType c = 0; c < n; ++c) {
    id->InsertNextValue(b);
    kind->InsertNextValue(k);
    name->InsertNextValue(m.body_name[b]);
  }
  pd->GetCellData()->AddArray(id);
  pd->GetCellData()->AddArray(kind);
  pd->GetCellData()->AddArray(name);
  return pd;
}

vtkSmartPointer<vtkPolyData> posed(vtkPolyData* body, const Vec3& p, const Quat& q) {
  auto t = vtkSmartPointer<vtkTransform>::New();
  t->PostMultiply();
  rotate(t, q);
  t->Translate(p.x, p.y, p.z);
  return transformed(body, t);
}

Scene tessellate_scene(const ResultFile& r, int resolution) {
  const Model& m = r.model();
  Scene sc;
  TessellationOptions o;
  o.resolution = resolution;
  const int n = m.nbody();
  sc.kind.resize(n);
  for (int b = 0; b < n; ++b) sc.kind[b] = draw_kind(m, b);
  // The extent of everything but planes, at the first and last frames.
  Bounds bb{1e300, -1e300, 1e300, -1e300, 1e300, -1e300}, view = bb;
  auto grow = [](Bounds& into, const double* b) {
    for (int i = 0; i < 3; ++i) into[2 * i] = std::min(into[2 * i], b[2 * i]), into[2 * i + 1] = std::max(into[2 * i + 1], b[2 * i + 1]);
  };
  std::vector<ResultFile::Poses> ends;
  if (r.frames() > 0) ends.push_back(r.poses(0));
  if (r.frames() > 1) ends.push_back(r.poses(r.frames() - 1));
  if (ends.empty()) {  // no frame: the initial poses are unknown; use the origin
    ResultFile::Poses p;
    p.position.assign(n, Vec3{0, 0, 0}), p.orientation.assign(n, Quat{1, 0, 0, 0}), p.active.assign(n, 1);
    ends.push_back(p);
  }
  std::vector<vtkSmartPointer<vtkPolyData>> solid(n);
  std::vector<bool> plane(n, false);
  for (int b = 0; b < n; ++b) {
    bool only_planes = m.body_shape_count[b] > 0;
    for (int s = m.body_shape_begin[b]; s < m.body_shape_begin[b] + m.body_shape_count[b]; ++s)
      only_planes = only_planes && m.shape_type[s] == ShapeType::Plane;
    plane[b] = only_planes;
    if (only_planes) continue;
    sc.body.resize(n);
    sc.body[b] = tessellate_body(m, b, o);
    for (size_t e = 0; e < ends.size(); ++e) {
      if (!ends[e].active[b] || sc.body[b]->GetNumberOfPoints() == 0) continue;
      double wb[6];
      posed(sc.body[b], ends[e].position[b], ends[e].orientation[b])->GetBounds(wb);
      grow(bb, wb);
      const bool fixed = sc.kind[b] == DrawKind::Static || sc.kind[b] == DrawKind::Belt;
      if ((fixed && e == 0) || (!fixed && e + 1 == ends.size())) grow(view, wb);
    }
  }
  sc.body.resize(n);
  if (bb[0] > bb[1]) bb = {-1, 1, -1, 1, 0, 1};
  if (view[0] > view[1]) view = bb;
  sc.bounds = bb;
  sc.view = view;
  sc.floor_z = bb[4];
  // Planes: a patch over the extent, with a margin of a quarter of it (at least 0.5 m).
  double margin = std::max(0.5, 0.25 * std::max({bb[1] - bb[0], bb[3] - bb[2], bb[5] - bb[4]}));
  bool first_floor = true;
  for (int b = 0; b < n; ++b) {
    if (!plane[b]) continue;
    sc.has_plane = true;
    const Vec3 p = ends[0].position[b];
    const Quat q = ends[0].orientation[b];
    // Corners of the extent in the plane's frame: the body frame, then each shape's.
    auto body_to_world = vtkSmartPointer<vtkTransform>::New();
    body_to_world->PostMultiply();
    rotate(body_to_world, q);
    body_to_world->Translate(p.x, p.y, p.z);
    for (int s = m.body_shape_begin[b]; s < m.body_shape_begin[b] + m.body_shape_count[b]; ++s) {
      auto shape_to_world = vtkSmartPointer<vtkTransform>::New();
      shape_to_world->PostMultiply();
      rotate(shape_to_world, m.shape_quat[s]);
      shape_to_world->Translate(m.shape_pos[s].x, m.shape_pos[s].y, m.shape_pos[s].z);
      shape_to_world->Concatenate(body_to_world);
      auto inv = vtkSmartPointer<vtkTransform>::New();
      inv->SetMatrix(shape_to_world->GetMatrix());
      inv->Inverse();
      double lo[2] = {1e300, 1e300}, hi[2] = {-1e300, -1e300};
      for (int c = 0; c < 8; ++c) {
        double w[3] = {bb[c & 1], bb[2 + ((c >> 1) & 1)], bb[4 + ((c >> 2) & 1)]}, l[3];
        inv->TransformPoint(w, l);
        for (int i = 0; i < 2; ++i) lo[i] = std::min(lo[i], l[i]), hi[i] = std::max(hi[i], l[i]);
      }
      o.plane_patch = {lo[0] - margin, hi[0] + margin, lo[1] - margin, hi[1] + margin};  // one plane per body
      double up[3], up0[3] = {0, 0, 1};
      shape_to_world->TransformVector(up0, up);
      double origin[3] = {0, 0, 0}, ow[3];
      shape_to_world->TransformPoint(origin, ow);
      if (up[2] > 0.99 && (first_floor || ow[2] < sc.floor_z)) sc.floor_z = ow[2], first_floor = false;
    }
    sc.body[b] = tessellate_body(m, b, o);
  }
  return sc;
}

vtkSmartPointer<vtkPolyData> frame_polydata(const Scene& s, const ResultFile::Poses& poses,
                                            const std::vector<DrawKind>& kinds) {
  auto append = vtkSmartPointer<vtkAppendPolyData>::New();
  for (size_t b = 0; b < s.body.size(); ++b) {
    if (!poses.active[b] || std::find(kinds.begin(), kinds.end(), s.kind[b]) == kinds.end()) continue;
    if (!s.body[b] || s.body[b]->GetNumberOfCells() == 0) continue;
    append->AddInputData(posed(s.body[b], poses.position[b], poses.orientation[b]));
  }
  if (append->GetNumberOfInputConnections(0) == 0) {
    auto pd = vtkSmartPointer<vtkPolyData>::New();
    pd->SetPoints(vtkSmartPointer<vtkPoints>::New());
    pd->SetPolys(vtkSmartPointer<vtkCellArray>::New());
    return pd;
  }
  append->Update();
  return append->GetOutput();
}

}  // namespace werk::viz
