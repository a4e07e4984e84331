// From a broadphase pair to a solver contact: narrowphase manifold,
// anchors, combined material and belt surface velocity.
//
// Materials combine as friction = sqrt(fa * fb) (a rubber belt grips a
// steel part less than rubber on rubber, more than steel on steel),
// restitution = max(ea, eb) (a bouncy part bounces on any floor), and
// rolling and spinning friction like friction, as geometric means.
#pragma once

#include "broadphase.h"
#include "contact_solver.h"
#include "manifold_reuse.h"
#include "narrowphase.h"

namespace werk {

// Conveyor arrays (nconveyor each; speed is per world: nworld x nconveyor).
struct ConveyorView {
  const float* speed;
  const float* curved;
  const Vec3* direction;  // straight: travel direction; arc: (0, 0, +-1) turn sense
  const Vec3* center;
  const float* radius;
  int nconveyor;
};

// Material arrays (nmaterial each).
struct MaterialView {
  const float* friction;
  const float* restitution;
  const float* rolling;   // rolling friction lever arm (m)
  const float* spinning;  // spinning friction lever arm (m)
};

// How round shape s (world frame x) is where it touches along normal n:
// the radius of its surface there, 0 for a flat feature. The side of a
// cylinder is round, its caps are flat; the cylinder's prism (against
// polytopes) has its vertices on the round side, so it counts as round
// there too.
WERK_HD inline float contact_rounding(const GeometryView& g, int s, const Transform& x, Vec3 n) {
  switch (g.shape_type[s]) {
    case ShapeType::Sphere:
    case ShapeType::Capsule: return g.shape_size[s].x;
    case ShapeType::Cylinder:
      return fabsf(dot(n, rotate(x.q, Vec3{0.0f, 0.0f, 1.0f}))) < 0.70710678f ? g.shape_size[s].x : 0.0f;
    default: return 0.0f;
  }
}

// Surface velocity field of a belt shape, as seen from world point
// `origin`: velocity there and spin about +z (zero for no belt).
struct BeltMotion {
  Vec3 velocity;
  float spin;
};
WERK_HD inline BeltMotion belt_motion(const ConveyorView& cv, int conveyor, int world, Vec3 origin) {
  if (conveyor < 0) return {Vec3{0, 0, 0}, 0.0f};
  float speed = cv.speed[world * cv.nconveyor + conveyor];
  if (cv.curved[conveyor] == 0.0f) return {speed * cv.direction[conveyor], 0.0f};
  // An arc section turns like a rigid disc at speed / radius about its centre.
  const float spin = (speed / cv.radius[conveyor]) * cv.direction[conveyor].z;
  const Vec3 r = origin - cv.center[conveyor];
  return {spin * Vec3{-r.y, r.x, 0.0f}, spin};
}

// Fills contact c (and x, when the scene keeps extra contact data) for the
// shape-instance pair (a, b); returns 0 when the manifold has no points,
// else 1 + kept_at (below) + 1 (touching or within the speculative
// margin). The manifold is last step's kept_at from `kept` where the
// shapes have not moved relative to each other (manifold_reuse.h), or,
// with kept_at -1, made anew. `keep`,
// when given, gets what the next step may reuse. With c null, only the
// result is wanted (whether the pair touches).
WERK_HD inline int32_t make_contact(const GeometryView& g, int a, int b, int nshape, int nbody, const ShapeBounds* bounds,
                                    const int32_t* shape_body, const int32_t* shape_material, const int32_t* shape_conveyor,
                                    const MaterialView& mat, const Vec3* pos, const Vec3* vel,
                                    const Vec3* angvel, const ConveyorView& cv, float dt, float margin,
                                    const KeptManifolds& kept, int kept_at, Contact* out, ContactExtra* x,
                                    KeptManifold* keep) {
  const int w = a / nshape, sa = a % nshape, sb = b % nshape;
  const int ba = w * nbody + shape_body[sa], bb = w * nbody + shape_body[sb];
  // Only pairs whose boxes overlap touch, as if the broadphase had found
  // exactly those: the pairs it keeps from step to step are more.
  if (!overlaps(bounds[a].box, bounds[b].box)) {
    if (out) out->count = 0;
    return 0;
  }
  Manifold m;
  const PairShapes shapes{g.shape_type[sa], g.shape_type[sb], g.shape_size[sa], g.shape_size[sb]};
  if (kept_at >= 0 && reuse_manifold(kept.manifolds[kept_at], bounds[a].xf, bounds[b].xf, m, &shapes)) {
    if (keep) *keep = kept.manifolds[kept_at];
  } else {
    kept_at = -1;
    // Reach as far as the bodies can close in one step, so fast parts meet
    // thin walls before they pass through them. Each body's own approach
    // counts in full rather than the relative speed: two parts falling
    // together close fast once the lower lands. Between two moving bodies
    // only the approach along the line of their centres counts, so parts
    // falling side by side do not reach for each other.
    Vec3 ea = 0.5f * (bounds[a].box.hi - bounds[a].box.lo), eb = 0.5f * (bounds[b].box.hi - bounds[b].box.lo);
    float linear = length(vel[bb]) + length(vel[ba]);
    const Vec3 centres = pos[bb] - pos[ba];
    const float apart = length(centres);
    if (length_sq(vel[ba]) > 0.0f && length_sq(vel[bb]) > 0.0f && apart > 0.0f) {
      const Vec3 d = (1.0f / apart) * centres;
      linear = maxf(dot(vel[ba], d), 0.0f) + maxf(-dot(vel[bb], d), 0.0f);
    }
    float closing = linear + length(angvel[ba]) * minf(length(ea), 1.0f) + length(angvel[bb]) * minf(length(eb), 1.0f);
    collide(g, sa, bounds[a].xf, sb, bounds[b].xf, margin + closing * dt, m);
    if (keep && m.count > 0) keep_manifold(m, bounds[a].xf, bounds[b].xf, *keep);
  }
  // A belt is a carrying surface: parts touch it from above. Side and end
  // faces of belt segments would catch parts at the seams of a curve (the
  // internal-edge problem), so contacts with a belt push along its top
  // normal only.
  if (m.count > 0 && shape_conveyor[sa] >= 0 && dot(m.normal, rotate(bounds[a].xf.q, Vec3{0, 0, 1})) < 0.7f) m.count = 0;
  if (m.count > 0 && shape_conveyor[sb] >= 0 && dot(m.normal, rotate(bounds[b].xf.q, Vec3{0, 0, 1})) > -0.7f) m.count = 0;
  if (out) out->count = int16_t(m.count);
  if (m.count == 0) return 0;
  if (!out) return 2 + kept_at;
  Contact& c = *out;
  c.a = ba;
  c.b = bb;
  c.normal = m.normal;
  const int ma = shape_material[sa], mb = shape_material[sb];
  c.friction = sqrtf(mat.friction[ma] * mat.friction[mb]);
  c.follow = follow_share(contact_rounding(g, sa, bounds[a].xf, m.normal), contact_rounding(g, sb, bounds[b].xf, m.normal));
  for (int k = 0; k < m.count; ++k) {
    ContactPoint& p = c.p[k];
    p.ra = m.points[k].point - pos[ba];
    p.separation = m.points[k].separation;
    c.id[k] = m.points[k].id;
  }
  if (x) {
    // Belt velocity at the points: a curved belt also turns what it
    // carries. Only its tangential part drives.
    const BeltMotion ua = belt_motion(cv, shape_conveyor[sa], w, pos[ba]);
    const BeltMotion ub = belt_motion(cv, shape_conveyor[sb], w, pos[ba]);
    x->belt = ua.velocity - ub.velocity;
    x->belt_spin = ua.spin - ub.spin;
    x->restitution = maxf(mat.restitution[ma], mat.restitution[mb]);
    x->rolling = sqrtf(mat.rolling[ma] * mat.rolling[mb]);
    x->spinning = sqrtf(mat.spinning[ma] * mat.spinning[mb]);
  }
  return 2 + kept_at;
}

}  // namespace werk
