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

// Rotation by angle |w| h about w, exactly. A part turns by less than
// half a radian in a sub-step: there the half angle's sine and cosine are
// their Taylor series to the tenth order (exact in float below a = 0.25:
// the first term left out is a^10 / 10! < 3e-13), on every backend alike
// and without a call into the maths library.
WERK_HD inline Quat exp_rotation(Vec3 w, float h) {
  float speed = length(w);
  if (speed * h < 1e-12f) return quat_identity();
  const float a = 0.5f * speed * h;
  if (a >= 0.25f) return quat_axis_angle((1.0f / speed) * w, speed * h);
  const float a2 = a * a;
  const float c = 1.0f + a2 * (-1.0f / 2 + a2 * (1.0f / 24 + a2 * (-1.0f / 720 + a2 * (1.0f / 40320))));
  const float sa = a * (1.0f + a2 * (-1.0f / 6 + a2 * (1.0f / 120 + a2 * (-1.0f / 5040 + a2 * (1.0f / 362880)))));
  const float k = sa / speed;
  return Quat{c, k * w.x, k * w.y, k * w.z};
}

// The rotation update runs in double: recomputing L from a float (q, w)
// each sub-step with a quaternion a rounding away from unit length would
// bias L a little every step, which adds up over a long tumble.
struct DQuat {
  double w, x, y, z;
};
WERK_HD inline DQuat dnormalize(DQuat q) {
  double s = 1.0 / sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  return {q.w * s, q.x * s, q.y * s, q.z * s};
}
WERK_HD inline DQuat dmul(DQuat a, DQuat b) {
  return {a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z, a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
          a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x, a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};
}
// v rotated by unit q (sign = +1) or by its inverse (sign = -1).
WERK_HD inline void drotate(DQuat q, double sign, const double v[3], double out[3]) {
  double ux = sign * q.x, uy = sign * q.y, uz = sign * q.z;
  double tx = 2 * (uy * v[2] - uz * v[1]), ty = 2 * (uz * v[0] - ux * v[2]), tz = 2 * (ux * v[1] - uy * v[0]);
  out[0] = v[0] + q.w * tx + (uy * tz - uz * ty);
  out[1] = v[1] + q.w * ty + (uz * tx - ux * tz);
  out[2] = v[2] + q.w * tz + (ux * ty - uy * tx);
}
WERK_HD inline DQuat dexp(const double w[3], double h) {
  double speed = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
  if (speed * h < 1e-300) return {1, 0, 0, 0};
  double s = sin(0.5 * speed * h) / speed;
  return {cos(0.5 * speed * h), w[0] * s, w[1] * s, w[2] * s};
}
// w = I(q)^-1 L, with I the principal moments.
WERK_HD inline void dsolve_inertia(DQuat q, Vec3 I, const double L[3], double w[3]) {
  double lb[3];
  drotate(q, -1, L, lb);
  lb[0] /= I.x, lb[1] /= I.y, lb[2] /= I.z;
  drotate(q, 1, lb, w);
}

// Gravity for dynamic bodies; others keep their velocities.
WERK_HD inline void integrate_velocity(int i, int nbody, const BodyParams& p, Vec3 gravity, float h,
                                       BodyState s) {
  const int b = model_body(i, nbody);
  if (p.kind[b] != 1) return;
  s.vel[i] += h * gravity;
}

// integrate_pose() of a body whose principal moments differ (ii): the
// rotation under gyroscopic torque, in double.
WERK_HD_COLD inline void integrate_tumbling(int i, Vec3 ii, float h, Vec3 w, Quat q, BodyState s) {
  DQuat dq = dnormalize(DQuat{q.w, q.x, q.y, q.z});
  double wd[3] = {w.x, w.y, w.z}, wb[3], L[3];
  drotate(dq, -1, wd, wb);
  wb[0] *= ii.x, wb[1] *= ii.y, wb[2] *= ii.z;
  drotate(dq, 1, wb, L);
  DQuat q_half = dnormalize(dmul(dexp(wd, 0.5 * h), dq));
  double w_half[3], w_new[3];
  dsolve_inertia(q_half, ii, L, w_half);
  DQuat q_new = dnormalize(dmul(dexp(w_half, h), dq));
  dsolve_inertia(q_new, ii, L, w_new);
  s.quat[i] = Quat{float(q_new.w), float(q_new.x), float(q_new.y), float(q_new.z)};
  s.angvel[i] = Vec3{float(w_new[0]), float(w_new[1]), float(w_new[2])};
}

// Advance a dynamic body's pose over h, conserving its angular momentum.
// Always inlined: its caller reads the new pose back at once, and the
// common case (a part of equal moments) is a few dozen operations.
WERK_HD_INLINE void integrate_pose(int i, int nbody, const BodyParams& p, float h, BodyState s) {
  const int b = model_body(i, nbody);
  if (p.kind[b] != 1) return;
  Vec3 w = s.angvel[i];
  Quat q = s.quat[i];
  s.pos[i] += h * s.vel[i];
  Vec3 ii = p.inertia[b];
  if (equal_moments(ii)) {  // no gyroscopic torque
    s.quat[i] = quat_normalize(exp_rotation(w, h) * q);
    return;
  }
  integrate_tumbling(i, ii, h, w, q, s);
}

// Kinematic bodies: pose = initial pose moved by constant velocity for time t.
WERK_HD inline void place_kinematic(int i, int nbody, const BodyParams& p, double t, BodyState s) {
  const int b = model_body(i, nbody);
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
