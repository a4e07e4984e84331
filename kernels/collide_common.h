// Contact manifolds and the small helpers every collision routine shares:
// closest points between segments, polygon clipping, and the reduction of a
// clipped polygon to the four points a stable stack needs.
//
// A Manifold is what the contact solver consumes for one shape pair: a unit
// world normal from A to B and up to four points. Each point sits midway
// between the two surfaces and carries its signed separation along the
// normal (negative = penetration) and a feature id that stays the same while
// the same pair of features touches, so the solver can warm start. Points
// further apart than the caller's margin are dropped (speculative contacts
// keep the positive ones).
#pragma once

#include <cstdint>

#include "kernels/geometry.h"
#include "kernels/math.h"

// Device code keeps the big collision routines out of line: each pair type
// then gets its own stack frame and register budget instead of one kernel
// frame holding the sum of every inlined routine's buffers.
#if defined(__CUDACC__)
#define WERK_COLLIDE_FN __host__ __device__ __noinline__ inline
#else
#define WERK_COLLIDE_FN inline
#endif

namespace werk {

struct ManifoldPoint {
  Vec3 point;        // world, midway between the surfaces
  float separation;  // signed distance along the normal (m), negative = penetration
  uint32_t id;       // feature pair id, stable while the same features touch
};

struct Manifold {
  Vec3 normal;  // unit, world, from A to B
  int count;
  ManifoldPoint points[4];
};

constexpr float kHuge = 3.0e38f;
constexpr int kMaxPoly = 48;  // clipping buffer: incident face (first 24 vertices) + reference sides

struct ClipVertex {
  Vec3 p;
  uint32_t id;
};

// Feature-id helpers: a 2-bit kind, then packed feature indices.
enum ContactKind : uint32_t { kIdFace = 0u, kIdEdge = 1u, kIdVertex = 2u, kIdRound = 3u };
WERK_HD inline uint32_t make_id(uint32_t kind, uint32_t fa, uint32_t fb, uint32_t pid) {
  return (kind << 30) | ((fa & 0x3FFu) << 20) | ((fb & 0x3FFu) << 10) | (pid & 0x3FFu);
}
// Id of a point born where the polygon edge (a, b) crosses clip plane k.
WERK_HD inline uint32_t clip_id(uint32_t a, uint32_t b, int k) {
  return (0x200u | (uint32_t(k) << 5) | ((a * 7u + b * 13u) & 0x1Fu)) & 0x3FFu;
}

// Closest points between segments p1q1 and p2q2 (Ericson 5.1.9): parameters
// s, t in [0, 1] and the points c1, c2. Degenerate segments are points.
WERK_HD inline void closest_segments(Vec3 p1, Vec3 q1, Vec3 p2, Vec3 q2, float& s, float& t, Vec3& c1,
                                     Vec3& c2) {
  Vec3 d1 = q1 - p1, d2 = q2 - p2, r = p1 - p2;
  float a = dot(d1, d1), e = dot(d2, d2), f = dot(d2, r);
  const float eps = 1.0e-12f;
  if (a <= eps && e <= eps) {
    s = t = 0.0f;
  } else if (a <= eps) {
    s = 0.0f;
    t = clampf(f / e, 0.0f, 1.0f);
  } else {
    float c = dot(d1, r);
    if (e <= eps) {
      t = 0.0f;
      s = clampf(-c / a, 0.0f, 1.0f);
    } else {
      float b = dot(d1, d2);
      float denom = a * e - b * b;
      s = denom > 1.0e-7f * a * e ? clampf((b * f - c * e) / denom, 0.0f, 1.0f) : 0.0f;
      t = (b * s + f) / e;
      if (t < 0.0f) {
        t = 0.0f;
        s = clampf(-c / a, 0.0f, 1.0f);
      } else if (t > 1.0f) {
        t = 1.0f;
        s = clampf((b - c) / a, 0.0f, 1.0f);
      }
    }
  }
  c1 = p1 + s * d1;
  c2 = p2 + t * d2;
}

// Closest point to p on segment ab.
WERK_HD inline Vec3 closest_on_segment(Vec3 p, Vec3 a, Vec3 b) {
  Vec3 d = b - a;
  float dd = dot(d, d);
  float t = dd > 1.0e-12f ? clampf(dot(p - a, d) / dd, 0.0f, 1.0f) : 0.0f;
  return a + t * d;
}

// Sutherland-Hodgman: keeps the part of polygon `in` (n vertices) where
// dot(pn, x) <= po; writes to `out`, returns its size (<= cap).
WERK_HD inline int clip_polygon(const ClipVertex* in, int n, Vec3 pn, float po, int k, ClipVertex* out,
                                int cap) {
  int m = 0;
  for (int i = 0; i < n; ++i) {
    const ClipVertex& a = in[i];
    const ClipVertex& b = in[(i + 1) % n];
    float da = dot(pn, a.p) - po, db = dot(pn, b.p) - po;
    if (da <= 0.0f && m < cap) out[m++] = a;
    if ((da <= 0.0f) != (db <= 0.0f) && m < cap) {
      float t = da / (da - db);
      out[m++] = ClipVertex{a.p + t * (b.p - a.p), clip_id(a.id, b.id, k)};
    }
  }
  return m;
}

// Appends a point to m (no bounds check: callers reduce first).
WERK_HD inline void push_point(Manifold& m, Vec3 p, float sep, uint32_t id) {
  m.points[m.count].point = p;
  m.points[m.count].separation = sep;
  m.points[m.count].id = id;
  ++m.count;
}

// Picks at most 4 of n candidate points (world positions, separations, ids)
// into m: the deepest, the one furthest from it, then the two that add the
// largest area on either side of that diagonal. Kept in candidate order so
// the result does not depend on the pick order.
WERK_HD inline void reduce_points(const Vec3* p, const float* sep, const uint32_t* id, int n, Vec3 normal,
                                  Manifold& m) {
  m.count = 0;
  if (n <= 4) {
    for (int i = 0; i < n; ++i) push_point(m, p[i], sep[i], id[i]);
    return;
  }
  int i0 = 0;
  for (int i = 1; i < n; ++i)
    if (sep[i] < sep[i0]) i0 = i;
  int i1 = -1;
  float best = -1.0f;
  for (int i = 0; i < n; ++i) {
    float d = length_sq(p[i] - p[i0]);
    if (d > best) best = d, i1 = i;
  }
  Vec3 diag = p[i1] - p[i0];
  int i2 = -1, i3 = -1;
  float amax = 0.0f, amin = 0.0f;
  for (int i = 0; i < n; ++i) {
    float a = dot(cross(diag, p[i] - p[i0]), normal);
    if (a > amax) amax = a, i2 = i;
    if (a < amin) amin = a, i3 = i;
  }
  for (int i = 0; i < n; ++i)
    if (i == i0 || i == i1 || i == i2 || i == i3) push_point(m, p[i], sep[i], id[i]);
}

// Collects candidate points and reduces in batches so that any number of
// vertices (a big hull on a plane) ends in at most 4 points.
struct PointCollector {
  Vec3 p[kMaxPoly];
  float sep[kMaxPoly];
  uint32_t id[kMaxPoly];
  int n;
};

WERK_HD inline void collector_add(PointCollector& c, Vec3 p, float sep, uint32_t id, Vec3 normal) {
  if (c.n == kMaxPoly) {
    Manifold tmp;
    reduce_points(c.p, c.sep, c.id, c.n, normal, tmp);
    c.n = tmp.count;
    for (int i = 0; i < tmp.count; ++i)
      c.p[i] = tmp.points[i].point, c.sep[i] = tmp.points[i].separation, c.id[i] = tmp.points[i].id;
  }
  c.p[c.n] = p, c.sep[c.n] = sep, c.id[c.n] = id;
  ++c.n;
}

// Reverses the roles of A and B in a finished manifold.
WERK_HD inline void flip_manifold(Manifold& m) { m.normal = -m.normal; }

}  // namespace werk
