// GeometryData: the variable-size geometry behind Hull and Triangle shapes.
//
// Flat arrays, so that the backends can mirror them on the device with one
// generic copy: for_each_array() lists every array with its name, and
// kernels/geometry.h turns the mirrored arrays into a GeometryView by the
// same names.
//
// A hull is stored as a boundary representation that the narrowphase reads
// without building anything per pair:
//   vertices   positions in the shape frame;
//   faces      outward unit normal n and offset d (the plane n.x = d), and a
//              loop of vertex indices, counter-clockwise seen from outside;
//   edges      each undirected edge once, with its two vertices and the two
//              faces that meet there (SAT edge-pair tests prune with them).
// Vertex, face and edge indices stored inside a hull's lists are local to
// that hull (0 = its first vertex/face); *_begin arrays hold global offsets.
#pragma once

#include <vector>

#include "werk/types.h"

namespace werk {

struct GeometryData {
  // --- hulls (nhull) ----------------------------------------------------------
  std::vector<Vec3> hull_vertex;           // all hull vertices, shape frame (m)
  std::vector<int32_t> hull_vertex_begin;  // per hull: first vertex
  std::vector<int32_t> hull_vertex_count;  // per hull: vertex count
  std::vector<Vec3> hull_center;           // per hull: an interior point (vertex mean), shape frame
  std::vector<int32_t> hull_face_begin;    // per hull: first face
  std::vector<int32_t> hull_face_count;    // per hull: face count
  std::vector<int32_t> hull_edge_begin;    // per hull: first edge
  std::vector<int32_t> hull_edge_count;    // per hull: edge count
  // --- hull faces (all hulls' faces back to back) ----------------------------
  std::vector<Vec3> hull_face_normal;           // outward unit normal, shape frame
  std::vector<float> hull_face_offset;          // d in n.x = d (m)
  std::vector<int32_t> hull_face_vertex_begin;  // per face: first entry in hull_face_vertex
  std::vector<int32_t> hull_face_vertex_count;  // per face: loop length (>= 3)
  std::vector<int32_t> hull_face_vertex;        // loops of local vertex indices, CCW from outside
  // --- hull edges: 4 ints per edge: local v0, v1, local face f0, f1 ---------
  std::vector<int32_t> hull_edge;
  // --- mesh triangles ---------------------------------------------------------
  std::vector<Vec3> triangle_vertex;  // 3 per triangle, shape frame (m), counter-clockwise from outside

  int nhull() const { return int(hull_vertex_begin.size()); }
  int ntriangle() const { return int(triangle_vertex.size() / 3); }

  // Calls f(name, vector&) for every array above.
  template <class F>
  void for_each_array(F&& f) {
    f("hull_vertex", hull_vertex);
    f("hull_vertex_begin", hull_vertex_begin);
    f("hull_vertex_count", hull_vertex_count);
    f("hull_center", hull_center);
    f("hull_face_begin", hull_face_begin);
    f("hull_face_count", hull_face_count);
    f("hull_edge_begin", hull_edge_begin);
    f("hull_edge_count", hull_edge_count);
    f("hull_face_normal", hull_face_normal);
    f("hull_face_offset", hull_face_offset);
    f("hull_face_vertex_begin", hull_face_vertex_begin);
    f("hull_face_vertex_count", hull_face_vertex_count);
    f("hull_face_vertex", hull_face_vertex);
    f("hull_edge", hull_edge);
    f("triangle_vertex", triangle_vertex);
  }
  template <class F>
  void for_each_array(F&& f) const {
    const_cast<GeometryData*>(this)->for_each_array([&](const char* name, const auto& v) { f(name, v); });
  }
};

}  // namespace werk
