// Public value types: vectors and quaternions, shared with the kernels.
#pragma once

#include "../../../kernels/math.h"

namespace werk {
struct Int3 {
  int32_t a, b, c;
};
}  // namespace werk
