// Integration of body velocities and poses over one sub-step.
//
// Semi-implicit (symplectic) Euler: velocities first, from gravity; then
// poses from the new velocities. Rotation keeps the world angular momentum
// L = I(q) w of a torque-free body exactly and advances q with the exact
// exponential map at a midpoint angular velocity, so an asymmetric body
// tumbles (the intermediate-axis flip) with L conserved and energy
// conserved to second order in the step. Kinematic bodies are placed on
// their prescribed path in closed form, so they never drift.
#pragma once

#include "math.h"

namespace werk {

// Body arrays the integrator reads (nbody each; indexed by body b).
struct BodyParams {
  const uint8_t* kind;       // BodyKind
  const float* inv_mass;
  const Vec3* inertia;       // principal moments (body frame)
  const Vec3* inv_inertia;
  const Vec3* pos0;          // kinematic bodies: pose and velocity at t = 0
  const Quat* quat0;
  const Vec3* vel0;
  const Vec3* angvel0;
};

// Per-world body state (nworld x nbody), indexed by i = w * nbody + b.
struct BodyState {
  Vec3* pos;
  Quat* quat;
  Vec3* vel;
  Vec3* angvel;
};

// Rotation by angle |w| h about w, exactly.
WERK_HD inline Quat exp_rotation(Vec3 w, float h) {
  float speed = length(w);
  if (speed * h < 1e-12f) return quat_identity();
  return quat_axis_angle((1.0f / speed) * w, speed * h);
}

// Gravity for dynamic bodies; others keep their velocities.
WERK_HD inline void integrate_velocity(int i, int nbody, const BodyParams& p, Vec3 gravity, float h,
                                       BodyState s) {
  int b = i % nbody;
  if (p.kind[b] != 1) return;
  s.vel[i] += h * gravity;
}

// Advance a dynamic body's pose over h, conserving its angular momentum.
WERK_HD inline void integrate_pose(int i, int nbody, const BodyParams& p, float h, BodyState s) {
  int b = i % nbody;
  if (p.kind[b] != 1) return;
  Vec3 w = s.angvel[i];
  Quat q = s.quat[i];
  s.pos[i] += h * s.vel[i];
  Vec3 ii = p.inertia[b];
  if (ii.x == ii.y && ii.y == ii.z) {  // isotropic: no gyroscopic torque
    s.quat[i] = quat_normalize(exp_rotation(w, h) * q);
    return;
  }
  Vec3 L = rotate(q, mul(ii, rotate_inv(q, w)));
  Quat q_half = quat_normalize(exp_rotation(w, 0.5f * h) * q);
  Vec3 w_half = apply_inv_inertia(q_half, p.inv_inertia[b], L);
  Quat q_new = quat_normalize(exp_rotation(w_half, h) * q);
  s.quat[i] = q_new;
  s.angvel[i] = apply_inv_inertia(q_new, p.inv_inertia[b], L);
}

// Kinematic bodies: pose = initial pose moved by constant velocity for time t.
WERK_HD inline void place_kinematic(int i, int nbody, const BodyParams& p, double t, BodyState s) {
  int b = i % nbody;
  if (p.kind[b] != 2) return;
  Vec3 v = p.vel0[b];
  Vec3 w = p.angvel0[b];
  s.pos[i] = Vec3{float(p.pos0[b].x + double(v.x) * t), float(p.pos0[b].y + double(v.y) * t),
                  float(p.pos0[b].z + double(v.z) * t)};
  double speed = sqrt(double(w.x) * w.x + double(w.y) * w.y + double(w.z) * w.z);
  Quat dq = quat_identity();
  if (speed > 0) {
    double half = 0.5 * speed * t, sn = sin(half) / speed;
    dq = Quat{float(cos(half)), float(w.x * sn), float(w.y * sn), float(w.z * sn)};
  }
  s.quat[i] = quat_normalize(dq * p.quat0[b]);
  s.vel[i] = v;
  s.angvel[i] = w;
}

}  // namespace werk
