// GeometryData: the variable-size geometry behind Hull and Triangle shapes.
//
// Flat arrays, so that the backends can mirror them on the device with one
// generic copy: for_each_array() lists every array with its name.
#pragma once

#include <vector>

#include "werk/types.h"

namespace werk {

struct GeometryData {
  std::vector<Vec3> hull_vertex;      // all hull vertices, shape frame (m)
  std::vector<int32_t> hull_vertex_begin;  // per hull: first vertex
  std::vector<int32_t> hull_vertex_count;  // per hull: vertex count
  std::vector<Vec3> triangle_vertex;  // 3 per triangle, shape frame (m), counter-clockwise from outside

  // Calls f(name, vector&) for every array above.
  template <class F>
  void for_each_array(F&& f) {
    f("hull_vertex", hull_vertex);
    f("hull_vertex_begin", hull_vertex_begin);
    f("hull_vertex_count", hull_vertex_count);
    f("triangle_vertex", triangle_vertex);
  }
};

}  // namespace werk
