// Joints: fixed, revolute (hinge) and prismatic (slider), with limits and
// velocity or position motors, solved inside the same soft sub-steps as
// the contacts.
//
// Each joint keeps a point on body a and a point on body b together (the
// prismatic joint only across its axis) and holds their relative rotation
// (the revolute joint only across its axis). Errors are corrected with
// the soft-constraint bias while solving and not at all while relaxing,
// exactly like contacts, so a driven mechanism neither drifts apart nor
// gains energy. Accumulated impulses persist from step to step (warm
// start). A body index of -1 means the world (static, at the origin).
//
// The joints of one world are solved in order by one thread; worlds run in
// parallel. Production lines have few joints compared with contacts, and a
// fixed order keeps results identical for any thread count.
#pragma once

#include "contact_solver.h"
#include "math.h"

namespace werk {

enum JointKind : uint8_t { kJointFixed = 0, kJointRevolute = 1, kJointPrismatic = 2 };
enum MotorKind : uint8_t { kMotorNone = 0, kMotorVelocity = 1, kMotorPosition = 2 };

constexpr float kJointDampingRatio = 2.0f;

// Joint model arrays (njoint each), bodies as model indices (-1 = world).
struct JointParams {
  const uint8_t* kind;
  const int32_t* body_a;
  const int32_t* body_b;
  const Vec3* anchor_a;   // anchor in body a's frame (m)
  const Vec3* anchor_b;
  const Vec3* axis_a;     // unit axis in body a's frame
  const Vec3* axis_b;
  const Vec3* ref_a;      // unit vector across the axis; angle 0 when ref_a and ref_b coincide
  const Vec3* ref_b;
  const Quat* rel_quat;   // q_a^-1 q_b at t = 0 (held by fixed and prismatic joints)
  const float* lower;     // limits (rad or m); lower > upper means no limit
  const float* upper;
  const uint8_t* motor;   // MotorKind
  const float* max_force; // motor force (N) or torque (N m)
  int njoint;
};

// Accumulated impulses of a joint (per world).
struct JointImpulse {
  Vec3 linear;    // at the anchors (N s)
  Vec3 angular;   // (N m s)
  float motor, lower, upper;  // along the axis
};

// One body as the joint sees it: pose, velocities, inverse mass and inertia.
struct JointBody {
  Vec3 p;
  Quat q;
  Vec3* v;
  Vec3* w;
  float im;
  Mat3 ii;
};

WERK_HD inline JointBody joint_body(int body, int world, int nbody, const SolverBodies& s, Vec3* dummy_v, Vec3* dummy_w) {
  if (body < 0) return {Vec3{0, 0, 0}, quat_identity(), dummy_v, dummy_w, 0.0f, Mat3{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}};
  int g = world * nbody + body;
  return {s.pos[g], s.quat[g], &s.vel[g], &s.angvel[g], s.inv_mass[g], s.inv_inertia[g]};
}

WERK_HD inline Mat3 mat_add(const Mat3& a, const Mat3& b) { return {a.r0 + b.r0, a.r1 + b.r1, a.r2 + b.r2}; }
WERK_HD inline Mat3 mat_scale_identity(float s) { return {{s, 0, 0}, {0, s, 0}, {0, 0, s}}; }
// skew(r) M skew(r)^T for symmetric M, i.e. the inertia term of a point constraint.
WERK_HD inline Mat3 point_inertia(Vec3 r, const Mat3& ii) {
  Vec3 ex{1, 0, 0}, ey{0, 1, 0}, ez{0, 0, 1};
  Vec3 c0 = cross(ii * cross(r, ex), r), c1 = cross(ii * cross(r, ey), r), c2 = cross(ii * cross(r, ez), r);
  return {{c0.x, c1.x, c2.x}, {c0.y, c1.y, c2.y}, {c0.z, c1.z, c2.z}};
}
WERK_HD inline Vec3 solve3(const Mat3& m, Vec3 b) {
  Vec3 c0 = mat_col(m, 0), c1 = mat_col(m, 1), c2 = mat_col(m, 2);
  float det = dot(c0, cross(c1, c2));
  if (fabsf(det) < 1e-30f) return Vec3{0, 0, 0};
  float inv = 1.0f / det;
  return {inv * dot(b, cross(c1, c2)), inv * dot(c0, cross(b, c2)), inv * dot(c0, cross(c1, b))};
}

// The impulse -K^-1 rhs restricted to the plane across `axis`: two rows,
// solved together (hinges keep their axis; sliders stay on their rail).
WERK_HD inline Vec3 solve_across(Vec3 axis, const Mat3& k, Vec3 rhs) {
  Vec3 p1 = any_perpendicular(axis), p2 = cross(axis, p1);
  float k11 = dot(p1, k * p1), k12 = dot(p1, k * p2), k22 = dot(p2, k * p2);
  float r1 = dot(rhs, p1), r2 = dot(rhs, p2);
  float det = k11 * k22 - k12 * k12;
  if (fabsf(det) <= 1e-30f) return Vec3{0, 0, 0};
  return (-(k22 * r1 - k12 * r2) / det) * p1 + (-(k11 * r2 - k12 * r1) / det) * p2;
}

WERK_HD inline void apply_linear(JointBody& a, JointBody& b, Vec3 ra, Vec3 rb, Vec3 impulse) {
  *a.v -= a.im * impulse;
  *a.w -= a.ii * cross(ra, impulse);
  *b.v += b.im * impulse;
  *b.w += b.ii * cross(rb, impulse);
}
WERK_HD inline void apply_angular(JointBody& a, JointBody& b, Vec3 impulse) {
  *a.w -= a.ii * impulse;
  *b.w += b.ii * impulse;
}

// Rotation error of b relative to a against the held relative rotation,
// as a small world rotation vector.
WERK_HD inline Vec3 rotation_error(Quat qa, Quat qb, Quat rel) {
  Quat e = qb * conj(qa * rel);
  float s = e.w < 0.0f ? -2.0f : 2.0f;
  return Vec3{s * e.x, s * e.y, s * e.z};
}

// Solves (or warm starts, when warm is true) joint j of world w.
WERK_HD inline void solve_joint(int j, int world, int nbody, const JointParams& jp, JointImpulse* imp, const SolverBodies& s,
                                Softness soft, float h, bool use_bias, bool warm, float motor_target) {
  Vec3 dv{0, 0, 0}, dw{0, 0, 0};
  JointBody a = joint_body(jp.body_a[j], world, nbody, s, &dv, &dw);
  Vec3 dv2{0, 0, 0}, dw2{0, 0, 0};
  JointBody b = joint_body(jp.body_b[j], world, nbody, s, &dv2, &dw2);
  JointImpulse& J = imp[world * jp.njoint + j];
  const uint8_t kind = jp.kind[j];
  const Vec3 ra = rotate(a.q, jp.anchor_a[j]), rb = rotate(b.q, jp.anchor_b[j]);
  const Vec3 axis = rotate(a.q, jp.axis_a[j]);
  const Vec3 d = (b.p + rb) - (a.p + ra);
  const float inv_h = 1.0f / h;
  // Prismatic joints slide: the point on a that faces b's anchor moves with d.
  const Vec3 ra_eff = kind == kJointPrismatic ? ra + d : ra;

  if (warm) {
    apply_linear(a, b, ra_eff, rb, J.linear);
    apply_angular(a, b, J.angular);
    float axial = J.motor + J.lower - J.upper;
    if (kind == kJointRevolute) apply_angular(a, b, axial * axis);
    if (kind == kJointPrismatic) apply_linear(a, b, ra_eff, rb, axial * axis);
    return;
  }
  const float bias_rate = use_bias ? soft.bias_rate : 0.0f;
  const float mass_scale = use_bias ? soft.mass_scale : 1.0f;
  const float impulse_scale = use_bias ? soft.impulse_scale : 0.0f;

  // Motors and limits along the axis first: the positional rows then see
  // their effect in the same pass.
  const bool revolute = kind == kJointRevolute, prismatic = kind == kJointPrismatic;
  if (revolute || prismatic) {
    float position, speed, k;
    if (revolute) {
      Vec3 refa = rotate(a.q, jp.ref_a[j]), refb = rotate(b.q, jp.ref_b[j]);
      position = atan2f(dot(cross(refa, refb), axis), dot(refa, refb));
      speed = dot(*b.w - *a.w, axis);
      float kk = dot(axis, a.ii * axis) + dot(axis, b.ii * axis);
      k = kk > 0.0f ? 1.0f / kk : 0.0f;
    } else {
      position = dot(d, axis);
      speed = dot(*b.v + cross(*b.w, rb) - *a.v - cross(*a.w, ra_eff), axis);
      k = effective_mass(a.im, a.ii, ra_eff, b.im, b.ii, rb, axis);
    }
    auto push = [&](float impulse) {
      if (revolute) apply_angular(a, b, impulse * axis);
      else apply_linear(a, b, ra_eff, rb, impulse * axis);
      speed += impulse / (k > 0.0f ? k : 1.0f);
    };
    const uint8_t motor = jp.motor[j];
    if (motor != kMotorNone) {
      float max_impulse = jp.max_force[j] * h;
      float target_speed = motor_target;
      if (motor == kMotorPosition) target_speed = -soft.bias_rate * (position - motor_target);
      float impulse = -k * (speed - target_speed);
      float updated = clampf(J.motor + impulse, -max_impulse, max_impulse);
      impulse = updated - J.motor;
      J.motor = updated;
      push(impulse);
    }
    if (jp.lower[j] <= jp.upper[j]) {
      // Lower limit: C = position - lower >= 0.
      float c = position - jp.lower[j];
      float bias = c > 0.0f ? c * inv_h : bias_rate * c;
      float ms = c > 0.0f ? 1.0f : mass_scale, is = c > 0.0f ? 0.0f : impulse_scale;
      float impulse = -k * ms * (speed + bias) - is * J.lower;
      float updated = maxf(J.lower + impulse, 0.0f);
      impulse = updated - J.lower;
      J.lower = updated;
      push(impulse);
      // Upper limit: C = upper - position >= 0.
      c = jp.upper[j] - position;
      bias = c > 0.0f ? c * inv_h : bias_rate * c;
      ms = c > 0.0f ? 1.0f : mass_scale, is = c > 0.0f ? 0.0f : impulse_scale;
      impulse = -k * ms * (-speed + bias) - is * J.upper;
      updated = maxf(J.upper + impulse, 0.0f);
      impulse = updated - J.upper;
      J.upper = updated;
      push(-impulse);
    }
  }

  // Angular rows: all three (fixed, prismatic) or the two across the axis.
  {
    Vec3 rel_w = *b.w - *a.w;
    Mat3 k = mat_add(a.ii, b.ii);
    Vec3 err;
    if (revolute) {
      Vec3 axis_b = rotate(b.q, jp.axis_b[j]);
      err = cross(axis, axis_b);
      Vec3 impulse = mass_scale * solve_across(axis, k, rel_w + bias_rate * err) - impulse_scale * J.angular;
      J.angular += impulse;
      apply_angular(a, b, impulse);
    } else {
      err = rotation_error(a.q, b.q, jp.rel_quat[j]);
      Vec3 lambda = solve3(k, rel_w + bias_rate * err);
      Vec3 impulse = -mass_scale * lambda - impulse_scale * J.angular;
      J.angular += impulse;
      apply_angular(a, b, impulse);
    }
  }

  // Linear rows: the anchor points coincide (across the axis for prismatic).
  {
    Vec3 cdot = *b.v + cross(*b.w, rb) - *a.v - cross(*a.w, ra_eff);
    Mat3 k = mat_add(mat_scale_identity(a.im + b.im), mat_add(point_inertia(ra_eff, a.ii), point_inertia(rb, b.ii)));
    Vec3 rhs = cdot + bias_rate * d;
    if (prismatic) {
      Vec3 impulse = mass_scale * solve_across(axis, k, rhs) - impulse_scale * J.linear;
      J.linear += impulse;
      apply_linear(a, b, ra_eff, rb, impulse);
    } else {
      Vec3 impulse = -mass_scale * solve3(k, rhs) - impulse_scale * J.linear;
      J.linear += impulse;
      apply_linear(a, b, ra_eff, rb, impulse);
    }
  }
}

}  // namespace werk
