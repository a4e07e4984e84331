// State: everything that changes while a scene runs.
//
// Arrays have a leading world index: element [w * nbody + b] is body b of
// world w. A plain run has one world; a sweep runs many worlds of one Model
// side by side on one device.
#pragma once

#include <cstdint>
#include <vector>

#include "werk/export.h"
#include "werk/model.h"

namespace werk {

struct State {
  int nworld = 0;                 // number of worlds
  int nbody = 0;                  // bodies per world (Model::nbody)
  int64_t step = 0;               // steps taken since the start
  double time = 0.0;              // simulated time (s), = step * dt

  std::vector<Vec3> body_pos;     // world position (nworld x nbody) (m)
  std::vector<Quat> body_quat;    // world orientation (nworld x nbody), unit (w, x, y, z)
  std::vector<Vec3> body_vel;     // linear velocity (nworld x nbody) (m/s)
  std::vector<Vec3> body_angvel;  // angular velocity, world frame (nworld x nbody) (rad/s)

  // 1 while a body takes part in the simulation, 0 while it is an idle
  // body of a part pool (nworld x nbody). An inactive body is not
  // collided, solved or integrated. Empty means all active.
  std::vector<uint8_t> body_active;

  // Conveyor belt speeds (nworld x nconveyor) (m/s); may be changed between steps.
  std::vector<float> conveyor_speed;
  // Joint motor targets (nworld x njoint); may be changed between steps.
  std::vector<float> joint_motor_target;
};

// A State at the Model's initial conditions, for `nworld` worlds.
WERK_API State make_state(const Model& model, int nworld = 1);

// FNV-1a hash of the bit patterns of the whole dynamic state: equal hashes
// mean bit-identical states. The activity flags enter the hash only when
// some body is inactive (so scenes without part pools hash as before).
WERK_API uint64_t state_hash(const State& state);

}  // namespace werk
