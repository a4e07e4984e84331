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

// The kept manifold at the shapes' new poses, when they are close enough
// to where it was made; false (m untouched) otherwise.
WERK_HD inline bool reuse_manifold(const KeptManifold& k, const Transform& xa, const Transform& xb, Manifold& m) {
  Quat q;
  Vec3 p;
  relative_frame(xa, xb, q, p);
  if (length_sq(p - k.rel_p) > kReuseDistance * kReuseDistance) return false;
  const Quat dq = conj(k.rel_q) * q;
  if (dq.x * dq.x + dq.y * dq.y + dq.z * dq.z > kReuseHalfAngle * kReuseHalfAngle) return false;
  const Vec3 n = rotate(xa.q, k.normal);
  m.normal = n;
  m.count = k.count;
  for (int i = 0; i < k.count; ++i) {
    const Vec3 pa = transform_point(xa, k.on_a[i]), pb = transform_point(xb, k.on_b[i]);
    const float separation = dot(pb - pa, n);
    // Midway along the normal from B's point, as colliders place points
    // (B is the incident side of most pairs: a plane's box, a sphere).
    m.points[i].point = pb - (0.5f * separation) * n;
    m.points[i].separation = separation;
    m.points[i].id = k.id[i];
  }
  return true;
}

// Where key sits in the sorted keys[0, n), or -1.
WERK_HD inline int find_kept(const uint64_t* keys, int n, uint64_t key) {
  int lo = 0, hi = n;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && keys[lo] == key ? lo : -1;
}

// A kept manifold's index still to be searched for.
constexpr int kSearchKept = -2;

// Last step's kept manifolds, by sorted pair key.
struct KeptManifolds {
  const uint64_t* keys = nullptr;
  const KeptManifold* manifolds = nullptr;
  int n = 0;
};

}  // namespace werk
