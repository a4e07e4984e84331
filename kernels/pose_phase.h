// A sub-step's pose phase for one body: its pose advanced from its
// velocities (integrate_pose), its world inverse inertia for the new
// orientation, and its motion since the step began, which the contact
// passes read (BodyDelta). The CPU backend runs bodies eight at a time in
// lanes where it can (pose_phase_wide.h), with these results bit for bit.
#pragma once

#include "contact_solver.h"
#include "integrate.h"

namespace werk {

// What the phase reads and writes, for nworld x nbody bodies.
struct PosePhase {
  BodyParams p;
  BodyState s;
  int nbody;
  float h;                 // sub-step (s)
  const uint8_t* asleep;   // per body: asleep bodies keep their pose
  const Vec3* pos0;        // poses at the step's start
  const Quat* quat0;
  Mat3* inv_inertia;       // world inverse inertia
  BodyDelta* delta;        // motion since the step's start
};

WERK_HD_INLINE void move_body(const PosePhase& f, int i) {
  if (f.asleep[i]) return;
  integrate_pose(i, f.nbody, f.p, f.h, f.s);
  // Equal moments: the world inverse inertia set at the step's start holds.
  const Vec3 inv_i = f.p.inv_inertia[model_body(i, f.nbody)];
  if (!equal_moments(inv_i)) f.inv_inertia[i] = world_inv_inertia(f.s.quat[i], inv_i);
  f.delta[i] = BodyDelta{f.s.pos[i] - f.pos0[i], small_rotation_vector(f.s.quat[i] * conj(f.quat0[i]))};
}

}  // namespace werk
