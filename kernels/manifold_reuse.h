// Manifolds kept from step to step: a pair whose shapes have not moved
// relative to each other since its manifold was made gets that manifold
// again, its points carried by the shapes, instead of a new narrowphase.
//
// A resting stack or pyramid spends a fifth of its step making the same
// box-box manifolds again. Kept points are fixed on each shape, so the
// separation at each point is measured anew from the shapes' poses: a
// pair that sinks in or lifts off by less than the limits still reports
// it exactly at the kept features. The limits are small against any
// part's size, and the snapshot is the pose at which the manifold was last
// made (a reuse does not move it), so drift never adds up beyond them.
#pragma once

#include "kernels/collide_common.h"

namespace werk {

// B's shape frame may move this far in A's (m), and turn this much
// (half the angle, as the vector part of the relative quaternion's change).
constexpr float kReuseDistance = 5.0e-5f;
constexpr float kReuseHalfAngle = 2.5e-4f;  // 1 mrad

struct KeptManifold {
  Quat rel_q;       // B's shape frame in A's when the manifold was made
  Vec3 rel_p;
  Vec3 normal;      // in A's shape frame, from A to B
  int32_t count;
  Vec3 on_a[4];     // each point on A's surface, in A's shape frame
  Vec3 on_b[4];     // and on B's, in B's
  uint32_t id[4];
};

// B's frame in A's.
WERK_HD inline void relative_frame(const Transform& xa, const Transform& xb, Quat& q, Vec3& p) {
  q = conj(xa.q) * xb.q;
  p = rotate_inv(xa.q, xb.p - xa.p);
}

// Keeps manifold m of shapes at xa and xb.
WERK_HD inline void keep_manifold(const Manifold& m, const Transform& xa, const Transform& xb, KeptManifold& k) {
  relative_frame(xa, xb, k.rel_q, k.rel_p);
  k.normal = rotate_inv(xa.q, m.normal);
  k.count = m.count;
  for (int i = 0; i < m.count; ++i) {
    const ManifoldPoint& p = m.points[i];
    k.on_a[i] = inv_transform_point(xa, p.point - (0.5f * p.separation) * m.normal);
    k.on_b[i] = inv_transform_point(xb, p.point + (0.5f * p.separation) * m.normal);
    k.id[i] = p.id;
  }
}

// The two shapes of a kept pair, for manifolds that may slide.
struct PairShapes {
  ShapeType ta, tb;
  Vec3 sa, sb;  // shape sizes (a box's half extents)
};

// How far a point may lie from a face or a corner to count as on it (m).
constexpr float kFeatureTolerance = 1.0e-5f;

// Whether the kept points lie on one face of shape F (a box, or a plane)
// and at corners of box V, the normal n (in F's frame, out of F) along that
// face's axis: the manifold of a box resting on a face. axis: the face's.
WERK_HD inline bool face_on_corners(ShapeType tf, Vec3 hf, Vec3 hv, Vec3 n, const Vec3* on_f, const Vec3* on_v,
                                    int count, int& axis) {
  const float nf[3] = {n.x, n.y, n.z}, h[3] = {hf.x, hf.y, hf.z};
  axis = fabsf(nf[0]) >= fabsf(nf[1]) && fabsf(nf[0]) >= fabsf(nf[2]) ? 0 : fabsf(nf[1]) >= fabsf(nf[2]) ? 1 : 2;
  if (fabsf(nf[axis]) < 1.0f - 1.0e-6f) return false;
  if (tf == ShapeType::Plane && (axis != 2 || nf[2] < 0.0f)) return false;
  const float face = tf == ShapeType::Plane ? 0.0f : (nf[axis] > 0.0f ? h[axis] : -h[axis]);
  for (int i = 0; i < count; ++i) {
    const float f[3] = {on_f[i].x, on_f[i].y, on_f[i].z};
    if (fabsf(f[axis] - face) > kFeatureTolerance) return false;
    if (fabsf(fabsf(on_v[i].x) - hv.x) > kFeatureTolerance || fabsf(fabsf(on_v[i].y) - hv.y) > kFeatureTolerance ||
        fabsf(fabsf(on_v[i].z) - hv.z) > kFeatureTolerance)
      return false;
  }
  return true;
}

// Whether box V (half extents hv), at p and turned by q in F's frame, lies
// over F's face across `axis` (F a box of half extents hf; a plane's face
// has no edge): then no edge or side of F can meet it.
WERK_HD inline bool over_face(ShapeType tf, Vec3 hf, Vec3 hv, Quat q, Vec3 p, int axis) {
  if (tf == ShapeType::Plane) return true;
  const Vec3 reach = box_extent(q, hv);
  return (axis == 0 || fabsf(p.x) + reach.x <= hf.x) && (axis == 1 || fabsf(p.y) + reach.y <= hf.y) &&
         (axis == 2 || fabsf(p.z) + reach.z <= hf.z);
}

// A box resting on a face slides: its corners stay the points, the face
// stays the normal, for as long as the box lies over the face and has not
// turned or moved along the normal beyond the limits. Which side is the
// face (vertex_b: B's corners on A's face, else A's on B's) and whether it
// holds, for the pair's relative pose q, p (B in A).
WERK_HD inline bool slides(const KeptManifold& k, const PairShapes& s, Quat q, Vec3 p, bool& vertex_b) {
  const bool face_a = s.ta == ShapeType::Box || s.ta == ShapeType::Plane;
  const bool face_b = s.tb == ShapeType::Box || s.tb == ShapeType::Plane;
  int axis;
  if (face_a && s.tb == ShapeType::Box && face_on_corners(s.ta, s.sa, s.sb, k.normal, k.on_a, k.on_b, k.count, axis)) {
    vertex_b = true;
    return fabsf(dot(p - k.rel_p, k.normal)) <= kReuseDistance && over_face(s.ta, s.sa, s.sb, q, p, axis);
  }
  if (face_b && s.ta == ShapeType::Box) {
    // The same from B's side: A in B's frame, the normal out of B.
    const Vec3 n_b = -1.0f * rotate_inv(k.rel_q, k.normal);
    if (!face_on_corners(s.tb, s.sb, s.sa, n_b, k.on_b, k.on_a, k.count, axis)) return false;
    vertex_b = false;
    const Vec3 p_now = rotate_inv(q, -1.0f * p), p_then = rotate_inv(k.rel_q, -1.0f * k.rel_p);
    return fabsf(dot(p_now - p_then, n_b)) <= kReuseDistance && over_face(s.tb, s.sb, s.sa, conj(q), p_now, axis);
  }
  return false;
}

// The kept manifold at the shapes' new poses, when they are close enough
// to where it was made, or (given the shapes) a box has slid over a face;
// false (m untouched) otherwise.
WERK_HD inline bool reuse_manifold(const KeptManifold& k, const Transform& xa, const Transform& xb, Manifold& m,
                                   const PairShapes* shapes = nullptr) {
  Quat q;
  Vec3 p;
  relative_frame(xa, xb, q, p);
  const bool still = length_sq(p - k.rel_p) <= kReuseDistance * kReuseDistance;
  const Quat dq = conj(k.rel_q) * q;
  if (dq.x * dq.x + dq.y * dq.y + dq.z * dq.z > kReuseHalfAngle * kReuseHalfAngle) return false;
  bool vertex_b = true;
  if (!still && !(shapes && slides(k, *shapes, q, p, vertex_b))) return false;
  const Vec3 n = rotate(xa.q, k.normal);
  m.normal = n;
  m.count = k.count;
  for (int i = 0; i < k.count; ++i) {
    const Vec3 pa = transform_point(xa, k.on_a[i]), pb = transform_point(xb, k.on_b[i]);
    const float separation = dot(pb - pa, n);
    // Midway along the normal from B's point, as colliders place points
    // (B is the incident side of most pairs: a plane's box, a sphere); from
    // A's corner when A slid over B's face (B's kept point is where A's
    // corner was).
    m.points[i].point = vertex_b ? pb - (0.5f * separation) * n : pa + (0.5f * separation) * n;
    m.points[i].separation = separation;
    m.points[i].id = k.id[i];
  }
  return true;
}

// Last step's kept manifolds, by sorted pair key.
struct KeptManifolds {
  const uint64_t* keys = nullptr;
  const KeptManifold* manifolds = nullptr;
  int n = 0;
};

// The kept manifold of pair `key`, or -1, given `place`: the first of the
// kept keys not below it.
WERK_HD inline int kept_index(const KeptManifolds& kept, uint64_t key, int place) {
  return place < kept.n && kept.keys[place] == key ? place : -1;
}

}  // namespace werk
