// Contact solver: soft-step contacts with friction, restitution and belts.
//
// The scheme is the sub-stepped soft step (as in Box2D v3): each time step
// is cut into sub-steps; in each one velocities are integrated, the
// accumulated impulses of the previous sub-step are applied (warm start),
// contacts are solved with a soft, mass-scaled bias that pushes overlap
// out at a bounded speed, poses are integrated, and contacts are solved
// again without bias (relax) so that no push-out energy remains. The
// contact's current separation is estimated from the bodies' motion since
// the step began, so the narrowphase runs once per step. Restitution is
// applied once at the end from the approach speed measured at the start.
//
// Friction is a Coulomb cone per point (two tangents, clamped to a circle);
// rolling and spinning friction, where materials ask for them, a torque per
// manifold clamped to a lever arm times the normal force.
// A conveyor belt is a static shape with a surface velocity: friction
// drives the relative tangential velocity to the belt's, which carries a
// part exactly as a real belt's friction does.
//
// Contacts are solved colour by colour (see constraint_graph.h): within a
// colour no two contacts share a dynamic body, so they run in parallel
// without atomics and the result does not depend on the thread count.
#pragma once

#include "math.h"

namespace werk {

constexpr float kRestitutionThreshold = 0.5f;  // slower approaches do not bounce (m/s)
constexpr float kMaxPushOut = 3.0f;            // overlap recovery speed limit (m/s)
// Contact stiffness as a fraction of the sub-step rate: stiffer contacts
// sink less under load (overlap ~ load / (m omega^2)), but a box resting on
// four corners rocks at about 1.7x the contact frequency, and the sub-step
// must resolve that: 0.16 of the sub-step rate keeps stacks and pyramids
// still while a 16-layer pile of 10 cm boxes overlaps less than 4 mm at
// 8 sub-steps.
// A box rocking on a static floor is the stiffest mode, so contacts with a
// static side are no stiffer than others (twice as stiff made 20 cm boxes
// rock without end at 8 sub-steps).
constexpr float kContactHertzPerRate = 0.16f;
constexpr float kStaticHertzPerRate = 0.16f;
constexpr float kContactDampingRatio = 10.0f;
// Relax passes in a world's steps within kImpactRelaxTime of a step where
// one of its contacts approached faster than kImpactSpeed (one otherwise).
// The soft solve's push-out leaves the bodies of a compressed chain (a
// column of parts landing on each other) moving apart; one relax pass
// takes that motion out only next to the ground, the rest is carried to
// the next sub-step by warm starting, and the chain springs up. PILE-1000
// (ten layers landing on each other) gained, from one step to the next,
// 153 J (1.4% of its initial 10.7 kJ) with one pass, 41 J with two, 8 J
// with three; with five passes for 0.25 s after an impact, at most 0.04%
// (about 4 J). The chain stays compressed for a few steps after the
// impact itself.
// Settled scenes have no such approach and keep one pass. Contacts of
// bouncy materials (restitution > 0) do not count: their bounce is the
// restitution pass's. Each world decides for itself, from its own
// contacts, and counts its steps left in the solver memory.
constexpr float kImpactSpeed = 0.5f;        // m/s
constexpr float kImpactRelaxTime = 0.25f;   // s
constexpr int kImpactRelaxPasses = 5;
// Mixed masses. A contact is a spring over its effective mass, which a
// light part sets: a heavy part resting on a light one sinks in by
// (1 + r) g / omega^2 at a mass ratio r (12.7 mm at r = 300), and a stack
// alternating light and heavy parts stands on springs scaled by the light
// ones and buckles (from a density ratio of 30). Stiffer springs alone make
// it worse: the solve then fails to converge across the light part, and
// the heavy one goes through. A world in which two moving bodies touch
// with masses kMixedMassRatio or more apart solves its contacts
// kMixedHertzScale times stiffer and runs kMixedPasses solve and relax
// passes per sub-step, which converge: a stack of six alternating boxes
// stands at a density ratio of 100 (its top moves 0.16 mm in 9 s) and a
// heavy box on a light one sinks in 1.4 mm at a mass ratio of 300 (both at
// 480 sub-steps per second). With 6 passes the light box at the default
// dt rocked now and then; 2.5 times stiffer leaves 2.03 mm at 300. Each
// world decides for itself, every step, from its own contacts; worlds of
// like masses pay nothing. Impacts of heavy parts on light ones need more
// than passes: see shock_propagation.h.
constexpr float kMixedMassRatio = 10.0f;
constexpr float kMixedHertzScale = 3.0f;
constexpr int kMixedPasses = 8;

// Soft constraint coefficients for stiffness `hertz`, damping `zeta`, sub-step h.
struct Softness {
  float bias_rate, mass_scale, impulse_scale;
};
WERK_HD inline Softness make_soft(float hertz, float zeta, float h) {
  if (hertz == 0.0f) return {0.0f, 1.0f, 0.0f};
  float omega = 2.0f * 3.14159265f * hertz;
  float a1 = 2.0f * zeta + h * omega;
  float a2 = h * omega * a1;
  float a3 = 1.0f / (1.0f + a2);
  return {omega / a1, a2 * a3, a3};
}

struct ContactPoint {
  Vec3 ra;                  // anchor from a's centre of mass at step start (world, m); b's is ra - (pos_b - pos_a)
  float separation;         // separation at step start (m), negative = overlap
  float normal_mass;        // effective masses along the normal and tangents
  float tangent_mass1, tangent_mass2;
  float normal_impulse;     // accumulated impulses (N s)
  float tangent_impulse1, tangent_impulse2;
};

// One manifold between bodies a and b (global indices w * nbody + body).
// Not stored: the friction tangents, a fixed function of the normal
// (tangents()); the offset of the two centres of mass, read from the
// bodies' positions; and whether one side cannot move (so that the
// contact is solved with the static softness), read from the inverse
// masses, which are fixed for the step.
struct Contact {
  int32_t a, b;
  Vec3 normal;              // unit, from a to b
  float friction;
  int16_t count;
  uint16_t follow;          // share of b's translation the points travel with, in 1/32768 (see follow_share)
  uint32_t id[4];           // feature ids, for warm starting
  ContactPoint p[4];
};

// The solver streams through these every pass: keep them tight.
static_assert(sizeof(ContactPoint) == 40 && sizeof(Contact) == 204, "contact layout");

// Where a manifold's points travel within a step. Between two flat
// features (a box's corner on a face) the points go halfway between the
// bodies' translations. On a round surface (sphere, capsule, the side of a
// cylinder) the touching point is not a fixed point of the body: it stays
// where the core is nearest the other body, so it travels with the round
// body's centre (with both round, it divides the line of the cores as the
// radii do). An anchor that stayed behind the centre of a rolling body
// would see the contact open at second order in the rotation (by
// r (1 - cos theta)), let the body sink into that gap each step and push it
// out again, losing rolling speed.
constexpr uint16_t kFollowHalf = 1 << 14;
constexpr uint16_t kFollowFull = 1 << 15;
WERK_HD inline uint16_t follow_share(float round_a, float round_b) {
  if (round_a == 0.0f && round_b == 0.0f) return kFollowHalf;
  if (round_a == 0.0f) return kFollowFull;  // flat a: with b
  if (round_b == 0.0f) return 0;            // flat b: with a
  return uint16_t(float(kFollowFull) * (round_a / (round_a + round_b)) + 0.5f);
}

// What only scenes with belts, bouncy materials or rolling friction need,
// per manifold, in an array beside the contacts (absent otherwise, so piles
// of plain parts do not carry it through every solver pass).
struct ContactExtra {
  // Belt surface velocity of a minus that of b, as the affine field
  // u(ra) = belt + belt_spin z x ra over anchors ra from a's centre: exact
  // for straight belts (no spin) and for arcs, which turn like discs about
  // a vertical axis.
  Vec3 belt;                // at a's centre of mass (m/s)
  float belt_spin;          // about +z (rad/s)
  float restitution;
  float relative_velocity[4];   // normal approach speed at step start (m/s)
  float max_normal_impulse[4];  // largest normal impulse of the step
  // Rolling and spinning friction: lever arms (m) of the torque that
  // opposes relative rotation about the tangents and about the normal, per
  // unit normal force; and the accumulated angular impulse (N m s) in the
  // (t1, t2, normal) basis.
  float rolling, spinning;
  Vec3 angular_impulse;
};

// The friction directions: t1 any unit perpendicular of the normal (the
// same for the same normal), t2 = normal x t1.
struct Tangents {
  Vec3 t1, t2;
};
WERK_HD inline Tangents tangents(const Contact& c) {
  const Vec3 t1 = any_perpendicular(c.normal);
  return {t1, cross(c.normal, t1)};
}

// Belt velocity that friction drives anchor ra towards.
WERK_HD inline Vec3 belt_slip(const ContactExtra& x, Vec3 ra) {
  return x.belt + x.belt_spin * Vec3{-ra.y, ra.x, 0.0f};
}

// A point's impulses kept from the previous step for warm starting. Only
// points that pushed are kept; the array is sorted by pair key, with a
// manifold's points in order.
struct PointMemory {
  uint64_t key;             // pair key
  uint32_t id;              // feature id
  float normal;             // normal impulse
  Vec3 tangent;             // world tangent impulse vector (survives a changed basis)
  Vec3 local;               // point in body a's frame, for matching by position
};

// How far a body has moved since the step began (per global body),
// refreshed after every pose update.
struct BodyDelta {
  Vec3 dp;      // translation (m)
  Vec3 dtheta;  // rotation vector of q_now * conj(q_start) (rad)
};

// Rotation vector of a small rotation (first order: twice the vector part,
// on the short way round).
WERK_HD inline Vec3 small_rotation_vector(Quat dq) {
  const float s = dq.w < 0.0f ? -2.0f : 2.0f;
  return Vec3{s * dq.x, s * dq.y, s * dq.z};
}

// Whether a world inverse inertia is a multiple of the identity: a body
// of equal moments in any orientation (world_inv_inertia), or one held
// still. The contact kernels, scalar and lane alike, turn a pair of such
// bodies by a scalar, and every other pair by the matrices, so that they
// agree bit for bit.
WERK_HD_INLINE bool is_scalar_inertia(const Mat3& m) {
  return m.r0.y == 0.0f && m.r0.z == 0.0f && m.r1.x == 0.0f && m.r1.z == 0.0f && m.r2.x == 0.0f && m.r2.y == 0.0f &&
         m.r0.x == m.r1.y && m.r1.y == m.r2.z;
}

// The angular velocity an angular impulse l gives a body of world inverse
// inertia m (m.r0.x times l when the pair is scalar).
WERK_HD_INLINE Vec3 turn(const Mat3& m, bool scalar, Vec3 l) { return scalar ? m.r0.x * l : m * l; }

// Per-body data the solver reads; velocities are written.
struct SolverBodies {
  Vec3* vel;
  Vec3* angvel;
  const BodyDelta* delta;   // motion since step start
  const Quat* quat0;        // orientation at step start
  const Vec3* pos;          // current pose (contacts read the offset of the centres, joints the frames)
  const Quat* quat;
  const float* inv_mass;    // per global body (0 for static and kinematic)
  const Mat3* inv_inertia;  // world inverse inertia, per global body
};

WERK_HD inline Vec3 point_velocity(const SolverBodies& s, int body, Vec3 r) {
  return s.vel[body] + cross(s.angvel[body], r);
}

WERK_HD inline float effective_mass(float ima, const Mat3& ia, Vec3 ra, float imb, const Mat3& ib, Vec3 rb, Vec3 dir,
                                    bool scalar = false) {
  Vec3 ca = cross(ra, dir), cb = cross(rb, dir);
  float k = ima + imb + dot(ca, turn(ia, scalar, ca)) + dot(cb, turn(ib, scalar, cb));
  return k > 0.0f ? 1.0f / k : 0.0f;
}

WERK_HD inline void apply_impulse(const SolverBodies& s, int a, int b, Vec3 ra, Vec3 rb, Vec3 impulse) {
  float ima = s.inv_mass[a], imb = s.inv_mass[b];
  if (ima > 0.0f) {
    s.vel[a] -= ima * impulse;
    s.angvel[a] -= s.inv_inertia[a] * cross(ra, impulse);
  }
  if (imb > 0.0f) {
    s.vel[b] += imb * impulse;
    s.angvel[b] += s.inv_inertia[b] * cross(rb, impulse);
  }
}

// Rolling and spinning friction start a step from the torque that holds
// the points' (remembered) friction impulses in balance about b's centre,
// within their bounds: what they carry on a part held still on a slope.
// Starting from nothing instead, the first sub-step of every step would let
// the friction turn the part a little, and a held part would creep.
WERK_HD inline Vec3 resting_twist(const Contact& c, const ContactExtra& x, const Tangents& t, Vec3 ab) {
  Vec3 moment{0.0f, 0.0f, 0.0f};
  float normal = 0.0f;
  for (int k = 0; k < c.count; ++k) {
    const ContactPoint& p = c.p[k];
    moment += cross(p.ra - ab, p.tangent_impulse1 * t.t1 + p.tangent_impulse2 * t.t2);
    normal += p.normal_impulse;
  }
  float l1 = -dot(moment, t.t1), l2 = -dot(moment, t.t2);
  const float limit = x.rolling * normal, mag2 = l1 * l1 + l2 * l2;
  if (mag2 > limit * limit) {
    const float scale = limit > 0.0f ? limit / sqrtf(mag2) : 0.0f;
    l1 *= scale, l2 *= scale;
  }
  const float spin = x.spinning * normal;
  return Vec3{l1, l2, clampf(-dot(moment, c.normal), -spin, spin)};
}

// Anchors, effective masses and approach speeds at the start of the step;
// impulses come from the previous step's memory (warm starting): the
// `nmemory` remembered points of this pair. A point takes the impulse of
// the remembered point with its feature id or, when the features changed
// (aligned faces of equal boxes clip either way from step to step), of the
// nearest remembered point within `match_distance`.
WERK_HD inline void prepare_contact(Contact& c, ContactExtra* x, const SolverBodies& s, const PointMemory* memory,
                                    int nmemory, float match_distance) {
  const float ima = s.inv_mass[c.a], imb = s.inv_mass[c.b];
  const Mat3 ia = s.inv_inertia[c.a], ib = s.inv_inertia[c.b];
  // Bodies of equal moments: the masses by scalars, the same bits (the
  // matrices' zeros change no sum that a positive inverse mass is in).
  const bool scalar = is_scalar_inertia(ia) && is_scalar_inertia(ib);
  const Tangents t = tangents(c);
  const Vec3 ab = s.pos[c.b] - s.pos[c.a];
  for (int k = 0; k < c.count; ++k) {
    ContactPoint& p = c.p[k];
    const Vec3 rb = p.ra - ab;
    p.normal_mass = effective_mass(ima, ia, p.ra, imb, ib, rb, c.normal, scalar);
    p.tangent_mass1 = effective_mass(ima, ia, p.ra, imb, ib, rb, t.t1, scalar);
    p.tangent_mass2 = effective_mass(ima, ia, p.ra, imb, ib, rb, t.t2, scalar);
    if (x) {
      Vec3 dv = point_velocity(s, c.b, rb) - point_velocity(s, c.a, p.ra);
      x->relative_velocity[k] = dot(dv, c.normal);
      x->max_normal_impulse[k] = 0.0f;
      x->angular_impulse = Vec3{0.0f, 0.0f, 0.0f};
    }
    p.normal_impulse = 0.0f;
    p.tangent_impulse1 = p.tangent_impulse2 = 0.0f;
    int match = -1;
    for (int j = 0; j < nmemory; ++j)
      if (memory[j].id == c.id[k]) match = j;
    if (match < 0 && nmemory > 0) {
      Vec3 local = rotate_inv(s.quat0[c.a], p.ra);
      float best = match_distance * match_distance;
      for (int j = 0; j < nmemory; ++j) {
        float d2 = length_sq(memory[j].local - local);
        if (d2 < best) best = d2, match = j;
      }
    }
    if (match >= 0) {
      p.normal_impulse = memory[match].normal;
      p.tangent_impulse1 = dot(memory[match].tangent, t.t1);
      p.tangent_impulse2 = dot(memory[match].tangent, t.t2);
    }
  }
  if (x && (x->rolling > 0.0f || x->spinning > 0.0f)) x->angular_impulse = resting_twist(c, *x, t, ab);
}

// Fastest approach of the manifold's points along the normal (m/s, 0 when
// none approaches or the contact may bounce: see kImpactSpeed), from the
// bodies' velocities at step start.
WERK_HD inline float inelastic_approach(const Contact& c, const ContactExtra* x, const SolverBodies& s) {
  if (x && x->restitution != 0.0f) return 0.0f;
  const Vec3 ab = s.pos[c.b] - s.pos[c.a];
  float fastest = 0.0f;
  for (int k = 0; k < c.count; ++k) {
    const Vec3 dv = point_velocity(s, c.b, c.p[k].ra - ab) - point_velocity(s, c.a, c.p[k].ra);
    fastest = maxf(fastest, -dot(dv, c.normal));
  }
  return fastest;
}

// The ratio of the two bodies' masses when both move (1 otherwise).
WERK_HD inline float mass_ratio(const Contact& c, const SolverBodies& s) {
  const float ia = s.inv_mass[c.a], ib = s.inv_mass[c.b];
  if (ia <= 0.0f || ib <= 0.0f) return 1.0f;
  return ia > ib ? ia / ib : ib / ia;
}

// Whether a point holds any accumulated impulse.
WERK_HD inline bool carries_impulse(const ContactPoint& p) {
  return p.normal_impulse != 0.0f || p.tangent_impulse1 != 0.0f || p.tangent_impulse2 != 0.0f;
}

// How a manifold's bodies have moved since the step began, read once per
// pass: how far the points travelled relative to a, their current
// offset, and their rotation vectors.
struct PairMotion {
  Vec3 shift;      // follow share of (dp_b - dp_a)
  Vec3 ab;         // centre of b minus centre of a now
  float closing;   // normal component of dp_b - dp_a
  Vec3 dtheta_a, dtheta_b;
};
WERK_HD inline PairMotion pair_motion(const Contact& c, const SolverBodies& s) {
  const BodyDelta da = s.delta[c.a], db = s.delta[c.b];
  const Vec3 dd = db.dp - da.dp;
  const float share = float(c.follow) * (1.0f / float(kFollowFull));  // exact: a power of two
  return {share * dd, s.pos[c.b] - s.pos[c.a], dot(dd, c.normal), da.dtheta, db.dtheta};
}

// Where a point is now. Impulses act at one common point, carried by the
// bodies' translations (halfway between them for flat features, with the
// round body on a round surface: see follow_share), so equal and
// opposite impulses carry no net torque and angular momentum is conserved.
// The separation adds the bodies' translations and, to first order, their
// rotations (as temporal Gauss-Seidel solvers do): the crossed arms serve
// both the separation and the normal Jacobian. On a round body the arm
// from its centre stays along the normal, so its own rotation (rolling)
// neither opens nor closes the contact.
struct PointNow {
  Vec3 ra, rb;       // from each centre of mass to the common point
  Vec3 rna, rnb;     // ra x n, rb x n
  float separation;  // current separation (m)
};
WERK_HD inline PointNow point_now(const Contact& c, const ContactPoint& p, const PairMotion& m) {
  PointNow now;
  now.ra = p.ra + m.shift;
  now.rb = now.ra - m.ab;
  now.rna = cross(now.ra, c.normal);
  now.rnb = cross(now.rb, c.normal);
  now.separation = p.separation + m.closing + dot(m.dtheta_b, now.rnb) - dot(m.dtheta_a, now.rna);
  return now;
}

// Contacts between sleeping and static bodies have nothing to do.
WERK_HD inline bool contact_active(const Contact& c, const SolverBodies& s) {
  return s.inv_mass[c.a] > 0.0f || s.inv_mass[c.b] > 0.0f;
}

// The two bodies of a contact held in registers for one pass: within a
// colour no other contact touches a dynamic body of this one, so the
// velocities are read once and written back once.
// scalar: both world inverse inertias are multiples of the identity
// (is_scalar_inertia), so an angular impulse turns each body by three
// products (turn()) instead of a matrix's nine and six sums.
struct PairVelocities {
  Vec3 va, wa, vb, wb;
  float ima, imb;
  Mat3 ia, ib;
  bool scalar;
};
WERK_HD inline PairVelocities load_pair(const Contact& c, const SolverBodies& s) {
  const Mat3 ia = s.inv_inertia[c.a], ib = s.inv_inertia[c.b];
  return {s.vel[c.a], s.angvel[c.a], s.vel[c.b], s.angvel[c.b], s.inv_mass[c.a], s.inv_mass[c.b], ia, ib,
          is_scalar_inertia(ia) && is_scalar_inertia(ib)};
}
WERK_HD inline void store_pair(const Contact& c, const SolverBodies& s, const PairVelocities& v) {
  if (v.ima > 0.0f) s.vel[c.a] = v.va, s.angvel[c.a] = v.wa;
  if (v.imb > 0.0f) s.vel[c.b] = v.vb, s.angvel[c.b] = v.wb;
}
WERK_HD inline Vec3 relative_velocity(const PairVelocities& v, const PointNow& now) {
  return (v.vb + cross(v.wb, now.rb)) - (v.va + cross(v.wa, now.ra));
}
WERK_HD inline void push(PairVelocities& v, const PointNow& now, Vec3 impulse) {
  if (v.ima > 0.0f) {
    v.va -= v.ima * impulse;
    v.wa -= turn(v.ia, v.scalar, cross(now.ra, impulse));
  }
  if (v.imb > 0.0f) {
    v.vb += v.imb * impulse;
    v.wb += turn(v.ib, v.scalar, cross(now.rb, impulse));
  }
}
// A normal impulse of magnitude l: the crossed arms are already known.
WERK_HD inline void push_normal(PairVelocities& v, const PointNow& now, Vec3 n, float l) {
  if (v.ima > 0.0f) {
    v.va -= (v.ima * l) * n;
    v.wa -= turn(v.ia, v.scalar, l * now.rna);
  }
  if (v.imb > 0.0f) {
    v.vb += (v.imb * l) * n;
    v.wb += turn(v.ib, v.scalar, l * now.rnb);
  }
}

// An angular impulse l on b (and -l on a).
WERK_HD inline void twist(PairVelocities& v, Vec3 l) {
  if (v.ima > 0.0f) v.wa -= v.ia * l;
  if (v.imb > 0.0f) v.wb += v.ib * l;
}

// Rolling and spinning friction: a torque between the bodies opposing
// their relative rotation about the contact's tangents (rolling) and about
// its normal (spinning), of at most rolling (spinning) times the normal
// force: a lever arm in metres, as in MuJoCo and Bullet. Like Coulomb
// friction it is an impulse clamped to a bound, so it brings the relative
// rotation to rest and never reverses it. The belt's spin about +z counts
// as rotation of its surface.
WERK_HD inline void solve_rolling(const Contact& c, ContactExtra& x, PairVelocities& v, const Tangents& t) {
  if (x.rolling == 0.0f && x.spinning == 0.0f) return;
  float normal = 0.0f;
  for (int k = 0; k < c.count; ++k) normal += c.p[k].normal_impulse;
  const Vec3 n = c.normal;
  const Vec3 dw = v.wb - v.wa - Vec3{0.0f, 0.0f, x.belt_spin};
  Vec3 l = x.angular_impulse;
  // Rolling: both tangents at once (a cylinder's inertia couples them),
  // clamped to a disc.
  if (x.rolling > 0.0f) {
    const Vec3 k1 = v.ia * t.t1 + v.ib * t.t1, k2 = v.ia * t.t2 + v.ib * t.t2;
    const float k11 = dot(t.t1, k1), k12 = dot(t.t1, k2), k22 = dot(t.t2, k2);
    const float det = k11 * k22 - k12 * k12;
    if (det > 0.0f) {
      const float e1 = dot(dw, t.t1), e2 = dot(dw, t.t2);
      float l1 = l.x - (k22 * e1 - k12 * e2) / det;
      float l2 = l.y - (k11 * e2 - k12 * e1) / det;
      const float limit = x.rolling * normal, mag2 = l1 * l1 + l2 * l2;
      if (mag2 > limit * limit) {
        const float scale = limit / sqrtf(mag2);
        l1 *= scale, l2 *= scale;
      }
      twist(v, (l1 - l.x) * t.t1 + (l2 - l.y) * t.t2);
      l.x = l1, l.y = l2;
    }
  }
  if (x.spinning > 0.0f) {
    const float kn = dot(n, v.ia * n + v.ib * n);
    if (kn > 0.0f) {
      const float e = dot(v.wb - v.wa - Vec3{0.0f, 0.0f, x.belt_spin}, n);
      const float limit = x.spinning * normal;
      const float l3 = clampf(l.z - e / kn, -limit, limit);
      twist(v, (l3 - l.z) * n);
      l.z = l3;
    }
  }
  x.angular_impulse = l;
}

WERK_HD inline void warm_start_contact(const Contact& c, const ContactExtra* x, const SolverBodies& s) {
  if (!contact_active(c, s)) return;
  PairVelocities v = load_pair(c, s);
  const PairMotion m = pair_motion(c, s);
  const Tangents t = tangents(c);
  for (int k = 0; k < c.count; ++k) {
    const ContactPoint& p = c.p[k];
    if (!carries_impulse(p)) continue;  // most speculative points push nothing
    Vec3 impulse = p.normal_impulse * c.normal + p.tangent_impulse1 * t.t1 + p.tangent_impulse2 * t.t2;
    push(v, point_now(c, p, m), impulse);
  }
  if (x) {
    const Vec3 l = x->angular_impulse;
    if (l.x != 0.0f || l.y != 0.0f || l.z != 0.0f) twist(v, l.x * t.t1 + l.y * t.t2 + l.z * c.normal);
  }
  store_pair(c, s, v);
}

// One Gauss-Seidel pass over a manifold: normal points, then friction.
// use_bias: push overlap out (solve) or not (relax).
// x: the manifold's extra data, or null when the scene has none.
WERK_HD inline void solve_contact(Contact& c, ContactExtra* x, const SolverBodies& s, float inv_h, Softness soft,
                                  Softness static_soft, bool use_bias, bool reverse) {
  if (!contact_active(c, s)) return;
  PairVelocities v = load_pair(c, s);
  const Softness sf = (v.ima == 0.0f || v.imb == 0.0f) ? static_soft : soft;
  const PairMotion m = pair_motion(c, s);
  const Tangents t = tangents(c);
  const Vec3 n = c.normal, t1 = t.t1, t2 = t.t2;
  // Where each point is now: impulses change velocities, not poses, so
  // this holds for the whole pass.
  PointNow nows[4];
  for (int k = 0; k < c.count; ++k) nows[k] = point_now(c, c.p[k], m);
  // Points are visited forward in even sub-steps and backward in odd ones,
  // so that no corner of a resting face is always served first: a fixed
  // order leaves a small one-sided twist that makes tall stacks sway.
  for (int i = 0; i < c.count; ++i) {
    const int k = reverse ? c.count - 1 - i : i;
    ContactPoint& p = c.p[k];
    const PointNow& now = nows[k];
    const float sep = now.separation;
    float bias = 0.0f, mass_scale = 1.0f, impulse_scale = 0.0f;
    if (sep > 0.0f) {
      bias = sep * inv_h;  // speculative: allow closing exactly the gap
    } else if (use_bias) {
      bias = maxf(sf.bias_rate * sep, -kMaxPushOut);
      mass_scale = sf.mass_scale;
      impulse_scale = sf.impulse_scale;
    }
    const float vn = dot(v.vb - v.va, n) + dot(v.wb, now.rnb) - dot(v.wa, now.rna);
    float impulse = -p.normal_mass * mass_scale * (vn + bias) - impulse_scale * p.normal_impulse;
    const float updated = maxf(p.normal_impulse + impulse, 0.0f);
    impulse = updated - p.normal_impulse;
    p.normal_impulse = updated;
    if (x) x->max_normal_impulse[k] = maxf(x->max_normal_impulse[k], impulse);
    if (impulse != 0.0f) push_normal(v, now, n, impulse);
  }
  for (int i = 0; i < c.count; ++i) {
    const int k = reverse ? c.count - 1 - i : i;
    ContactPoint& p = c.p[k];
    // Without normal impulse the cone allows no friction: a point that
    // holds none has nothing to change (exactly: the clamp gives zero).
    if (!carries_impulse(p)) continue;
    const PointNow& now = nows[k];
    Vec3 dv = relative_velocity(v, now);
    if (x) dv -= belt_slip(*x, p.ra);
    float l1 = p.tangent_impulse1 - p.tangent_mass1 * dot(dv, t1);
    float l2 = p.tangent_impulse2 - p.tangent_mass2 * dot(dv, t2);
    // Coulomb cone: clamp the tangent impulse vector to mu * normal impulse.
    const float limit = c.friction * p.normal_impulse;
    const float mag2 = l1 * l1 + l2 * l2;
    if (mag2 > limit * limit) {
      const float scale = limit / sqrtf(mag2);
      l1 *= scale, l2 *= scale;
    }
    const Vec3 impulse = (l1 - p.tangent_impulse1) * t1 + (l2 - p.tangent_impulse2) * t2;
    p.tangent_impulse1 = l1, p.tangent_impulse2 = l2;
    push(v, now, impulse);
  }
  // Last, so that the pass never leaves a rotation that rolling friction
  // would stop: it stops without reversing.
  if (x) solve_rolling(c, *x, v, t);
  store_pair(c, s, v);
}

// Bounce: restore e times the approach speed measured at step start.
WERK_HD inline void restitution_contact(Contact& c, const ContactExtra* x, const SolverBodies& s) {
  if (!x || x->restitution == 0.0f || !contact_active(c, s)) return;
  const PairMotion m = pair_motion(c, s);
  for (int k = 0; k < c.count; ++k) {
    ContactPoint& p = c.p[k];
    if (x->relative_velocity[k] > -kRestitutionThreshold || x->max_normal_impulse[k] == 0.0f) continue;
    const PointNow now = point_now(c, p, m);
    Vec3 dv = point_velocity(s, c.b, now.rb) - point_velocity(s, c.a, now.ra);
    float vn = dot(dv, c.normal);
    float impulse = -p.normal_mass * (vn + x->restitution * x->relative_velocity[k]);
    float updated = maxf(p.normal_impulse + impulse, 0.0f);
    impulse = updated - p.normal_impulse;
    p.normal_impulse = updated;
    apply_impulse(s, c.a, c.b, now.ra, now.rb, impulse * c.normal);
  }
}

// How many of a manifold's points the next step remembers: those that push.
WERK_HD inline int32_t remembered_points(const Contact& c) {
  int32_t n = 0;
  for (int k = 0; k < c.count; ++k) n += carries_impulse(c.p[k]) ? 1 : 0;
  return n;
}

// Writes those points, for pair `key`, from out[0].
WERK_HD inline void remember_contact(const Contact& c, uint64_t key, const SolverBodies& s, PointMemory* out) {
  const Tangents t = tangents(c);
  int n = 0;
  for (int k = 0; k < c.count; ++k) {
    const ContactPoint& p = c.p[k];
    if (!carries_impulse(p)) continue;
    out[n++] = PointMemory{key, c.id[k], p.normal_impulse, p.tangent_impulse1 * t.t1 + p.tangent_impulse2 * t.t2,
                           rotate_inv(s.quat0[c.a], p.ra)};
  }
}

// World inverse inertia R diag(inv_i) R^T of a body (inlined: it runs for
// every body at every sub-step, and returned through memory it stalled).
WERK_HD_INLINE Mat3 world_inv_inertia(Quat q, Vec3 inv_i) {
  // Equal moments (a cube, a sphere, a body held still): the same in every
  // orientation, exactly.
  if (equal_moments(inv_i))
    return {Vec3{inv_i.x, 0.0f, 0.0f}, Vec3{0.0f, inv_i.x, 0.0f}, Vec3{0.0f, 0.0f, inv_i.x}};
  const Mat3 r = quat_to_mat(q);
  const Vec3 a0 = mul(r.r0, inv_i), a1 = mul(r.r1, inv_i), a2 = mul(r.r2, inv_i);
  return {Vec3{dot(a0, r.r0), dot(a0, r.r1), dot(a0, r.r2)}, Vec3{dot(a1, r.r0), dot(a1, r.r1), dot(a1, r.r2)},
          Vec3{dot(a2, r.r0), dot(a2, r.r1), dot(a2, r.r2)}};
}

}  // namespace werk
