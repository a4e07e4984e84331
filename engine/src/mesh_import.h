// Static triangle meshes from STL (ascii or binary) and OBJ files, read
// with assimp, for fixtures, guards, chutes and bins. A mesh becomes one
// Triangle shape per triangle (GeometryData::triangle_vertex) so that the
// broadphase culls triangles one by one.
#pragma once

#include <string>
#include <vector>

#include "werk/geometry.h"
#include "kernels/math.h"
#include "werk/types.h"

namespace werk {

struct MeshData {
  std::vector<Vec3> vertex;    // shape frame (m), after scaling
  std::vector<Int3> triangle;  // vertex indices, counter-clockwise seen from the front
};

// Loads every mesh of the file (node transforms applied, polygons
// triangulated, identical vertices joined), multiplying coordinates by
// `scale`. Zero-area triangles are dropped. Returns "" or an error naming
// the file and what is wrong (missing, unreadable, malformed, no triangles,
// non-finite coordinates).
std::string load_mesh(const std::string& path, float scale, MeshData& out);

// Appends the mesh's triangles (3 corners each) to g.triangle_vertex and
// returns the index of the first new triangle; the new triangles are
// [first, first + mesh.triangle.size()).
int append_mesh_triangles(GeometryData& g, const MeshData& mesh);

}  // namespace werk
