// Public value types: vectors and quaternions.
//
// Plain aggregates of floats, shared by the public API and the kernels
// (kernels/math.h includes this header and adds the math on them). Units
// are SI; quaternions are stored (w, x, y, z), scalar first, and rotate
// body-frame vectors into the world frame.
#pragma once

#include <cstdint>

namespace werk {

struct Vec3 {
  float x, y, z;
};

struct Quat {
  float w, x, y, z;
};

struct Int3 {
  int32_t a, b, c;
};

}  // namespace werk
