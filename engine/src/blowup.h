// The blow-up check: a run stops when a body's state is no longer physics.
#pragma once

#include <string>

#include "werk/model.h"
#include "werk/state.h"

namespace werk {

// The first body (of any world) with a non-finite position, orientation or
// velocity, or moving faster than limits::kSpeed / kAngularSpeed; -1 when
// every body is fine. `what` says which value failed. One pass over the
// state, no allocation.
int find_blowup(const Model& model, const State& state, std::string* what = nullptr);

// The user's message: the body, the time, what failed and the likely
// causes found in the model (mass ratios, tiny inertias, fast initial
// velocities, a deep initial overlap: `initial_penetration` in m).
std::string blowup_message(const Model& model, const State& state, int body, const std::string& what,
                           double initial_penetration);

}  // namespace werk
