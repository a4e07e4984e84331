// The solver's passes over contacts as one functor, run colour by colour
// by a backend's team (cpu_team.h, gpu_strategy.h): a plain struct rather
// than a lambda, so that every backend can take it, and the CPU backend
// can run it eight or four manifolds at a time (contact_solver_wide.h).
#pragma once

#include "kernels/contact_solver.h"

namespace werk {

struct ContactPass {
  enum Kind : int { WarmStart, Solve, Relax, Restitution };
  Contact* c;
  ContactExtra* x;  // null when the scene has no extras
  SolverBodies sb;
  float inv_h;
  Softness soft, static_soft;
  Kind kind;
  bool reverse;
  // When set, only contacts of worlds w with world_left[w] > 0 (the
  // worlds relaxing after an impact; a contact's world is c.a / nbody).
  const int32_t* world_left = nullptr;
  int nbody = 0;
  // When set, contacts of worlds w with stiff[w] > 0 (mixed masses, see
  // kMixedMassRatio) solve with stiff_soft and stiff_static instead.
  const int32_t* stiff = nullptr;
  Softness stiff_soft{}, stiff_static{};
  // Whether bodies may have moved (in position) since the last pass over
  // these manifolds: a pass that knows they did not may keep the points'
  // geometry of that pass (the CPU's packed passes do).
  bool moved = true;

  WERK_HD bool skips(int i) const { return world_left && world_left[c[i].a / nbody] <= 0; }

  WERK_HD void operator()(int i) const {
    if (skips(i)) return;
    ContactExtra* xi = x ? &x[i] : nullptr;
    const bool s = stiff && stiff[c[i].a / nbody] > 0;
    switch (kind) {
      case WarmStart: warm_start_contact(c[i], xi, sb); break;
      case Solve: solve_contact(c[i], xi, sb, inv_h, s ? stiff_soft : soft, s ? stiff_static : static_soft, true, reverse); break;
      case Relax: solve_contact(c[i], xi, sb, inv_h, soft, static_soft, false, reverse); break;
      case Restitution: restitution_contact(c[i], xi, sb); break;
    }
  }
};

}  // namespace werk
