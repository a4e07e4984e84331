// Tessellation of a scene's shapes with VTK's sources and filters.
//
// Every body's shapes become one vtkPolyData of polygons in the body frame,
// made once; drawing a frame only poses these. Boxes come from
// vtkCubeSource, spheres from vtkSphereSource, cylinders from
// vtkCylinderSource, capsules from vtkCapsuleSource, planes from
// vtkPlaneSource (a finite patch: a plane is infinite), convex hulls from
// their stored faces and meshes from their triangles, each placed in the
// body frame with vtkTransformPolyDataFilter. Polygons wind counter-
// clockwise seen from outside (outward normals).
#pragma once

#include <vtkPolyData.h>
#include <vtkSmartPointer.h>

#include <array>
#include <string>
#include <vector>

#include "result_file.h"
#include "werk/model.h"

namespace werk::viz {

// How a body is drawn and coloured.
enum class DrawKind : int { Static = 0, Dynamic = 1, Kinematic = 2, Belt = 3 };
const char* draw_kind_name(DrawKind k);
// Belt: a static body carrying a conveyor surface.
DrawKind draw_kind(const Model& m, int body);

struct TessellationOptions {
  int resolution = 24;  // segments around a circle (spheres, cylinders, capsules)
  // A plane's patch in its own frame: [xmin, xmax, ymin, ymax] (m).
  std::array<double, 4> plane_patch{-5, 5, -5, 5};
};

// One shape in its body's frame.
vtkSmartPointer<vtkPolyData> tessellate_shape(const Model& m, int shape, const TessellationOptions& o);

// All of a body's shapes in its frame, with the cell data body_id (int),
// kind (int, DrawKind) and body_name (string).
vtkSmartPointer<vtkPolyData> tessellate_body(const Model& m, int body, const TessellationOptions& o);

// World axis-aligned bounds [xmin, xmax, ymin, ymax, zmin, zmax] of a pose.
using Bounds = std::array<double, 6>;

// A polydata moved from the body frame to the world by a pose.
vtkSmartPointer<vtkPolyData> posed(vtkPolyData* body, const Vec3& p, const Quat& q);

// Every body of a result tessellated once. Planes get a patch covering the
// other bodies' extent at the first and last frames, with a margin.
struct Scene {
  std::vector<vtkSmartPointer<vtkPolyData>> body;  // body frame
  std::vector<DrawKind> kind;
  Bounds bounds{};      // world bounds of every body but planes, over the first and last frames
  Bounds view{};        // what a camera frames: static bodies but planes, and the moving ones at the last frame
  bool has_plane = false;
  double floor_z = 0;   // height of the lowest upward plane (or of the lowest shape)
};
Scene tessellate_scene(const ResultFile& r, int resolution = 24);

// The bodies whose kind is in `kinds` at frame f (inactive ones left out),
// posed and appended into one polydata.
vtkSmartPointer<vtkPolyData> frame_polydata(const Scene& s, const ResultFile::Poses& poses,
                                            const std::vector<DrawKind>& kinds);

}  // namespace werk::viz
