// Analytic contacts for round shapes (spheres, capsules) against each other,
// against boxes and cylinders (spheres only, exact), and everything against
// the static plane.
//
// Each routine writes a manifold with the normal from its first shape to its
// second; the dispatcher in narrowphase.h flips when it swapped the pair.
// Round shapes are handled as their core (point or segment) plus radius:
// the closest points between cores give the normal, the distance minus the
// radii the separation.
#pragma once

#include "kernels/collide_common.h"

namespace werk {

// Capsule core segment in world space.
WERK_HD inline void capsule_segment(const Transform& x, float half, Vec3& s0, Vec3& s1) {
  Vec3 a = rotate(x.q, Vec3{0.0f, 0.0f, half});
  s0 = x.p - a;
  s1 = x.p + a;
}

// Two points pa (on core A) and pb (on core B) with radii: one round contact.
WERK_HD inline void round_point(Vec3 pa, float ra, Vec3 pb, float rb, float margin, uint32_t id, Manifold& m) {
  Vec3 d = pb - pa;
  float dist = length(d);
  float sep = dist - ra - rb;
  m.count = 0;
  if (sep > margin) return;
  m.normal = dist > 1.0e-9f ? (1.0f / dist) * d : Vec3{0.0f, 0.0f, 1.0f};
  push_point(m, pa + (ra + 0.5f * sep) * m.normal, sep, id);
}

WERK_HD inline void collide_sphere_sphere(float ra, const Transform& xa, float rb, const Transform& xb,
                                          float margin, Manifold& m) {
  round_point(xa.p, ra, xb.p, rb, margin, make_id(kIdRound, 0, 0, 0), m);
}

WERK_HD inline void collide_sphere_capsule(float ra, const Transform& xa, Vec3 sb, const Transform& xb,
                                           float margin, Manifold& m) {
  Vec3 s0, s1;
  capsule_segment(xb, sb.y, s0, s1);
  round_point(xa.p, ra, closest_on_segment(xa.p, s0, s1), sb.x, margin, make_id(kIdRound, 0, 0, 0), m);
}

// Capsule-capsule: closest points of the segments; when the segments are
// nearly parallel and overlap, two points at the ends of the overlap so a
// capsule lying on another one does not roll about one point.
WERK_COLLIDE_FN void collide_capsule_capsule(Vec3 sa, const Transform& xa, Vec3 sb, const Transform& xb,
                                            float margin, Manifold& m) {
  Vec3 a0, a1, b0, b1, ca, cb;
  float s, t;
  capsule_segment(xa, sa.y, a0, a1);
  capsule_segment(xb, sb.y, b0, b1);
  closest_segments(a0, a1, b0, b1, s, t, ca, cb);
  float r = sa.x + sb.x;
  round_point(ca, sa.x, cb, sb.x, margin, make_id(kIdRound, 0, 0, 0), m);
  if (m.count == 0) return;
  Vec3 da = a1 - a0, db = b1 - b0;
  float la = length_sq(da), lb = length_sq(db);
  if (la < 1.0e-12f || lb < 1.0e-12f) return;
  float c = dot(da, db);
  if (c * c < 0.99f * la * lb) return;
  // Overlap of B's projection on A's segment, in A's parameter.
  float u0 = dot(b0 - a0, da) / la, u1 = dot(b1 - a0, da) / la;
  float lo = maxf(0.0f, minf(u0, u1)), hi = minf(1.0f, maxf(u0, u1));
  if (hi - lo < 1.0e-3f) return;
  Vec3 n = m.normal;
  m.count = 0;
  for (int k = 0; k < 2; ++k) {
    Vec3 pa = a0 + (k == 0 ? lo : hi) * da;
    Vec3 pb = closest_on_segment(pa, b0, b1);
    float sep = dot(n, pb - pa) - r;
    if (sep <= margin) push_point(m, pa + (sa.x + 0.5f * sep) * n, sep, make_id(kIdRound, 0, 0, 1 + k));
  }
}

// Sphere (B) against a box (A), exact: the clamped centre outside, the
// nearest face inside.
WERK_HD inline void collide_box_sphere(Vec3 h, const Transform& xa, float r, const Transform& xb, float margin,
                                       Manifold& m) {
  m.count = 0;
  Vec3 c = inv_transform_point(xa, xb.p);
  Vec3 q = vmin(vmax(c, -h), h);
  Vec3 d = c - q;
  float d2 = length_sq(d);
  Vec3 n;
  float sep;
  uint32_t id;
  if (d2 > 1.0e-18f) {
    float dist = sqrtf(d2);
    sep = dist - r;
    if (sep > margin) return;
    n = (1.0f / dist) * d;
    id = make_id(kIdRound, 1, 0, 0);
  } else {
    // Inside: push out through the nearest face.
    int axis = 0;
    float pen = h.x - fabsf(c.x);
    if (h.y - fabsf(c.y) < pen) pen = h.y - fabsf(c.y), axis = 1;
    if (h.z - fabsf(c.z) < pen) pen = h.z - fabsf(c.z), axis = 2;
    float s = comp(c, axis) < 0.0f ? -1.0f : 1.0f;
    n = Vec3{axis == 0 ? s : 0.0f, axis == 1 ? s : 0.0f, axis == 2 ? s : 0.0f};
    q = c + pen * n;
    sep = -pen - r;
    id = make_id(kIdRound, 2, 0, 0);
  }
  m.normal = rotate(xa.q, n);
  push_point(m, transform_point(xa, q + 0.5f * sep * n), sep, id);
}

// Sphere (B) against an exact cylinder (A): closest point of the solid.
WERK_HD inline void collide_cylinder_sphere(Vec3 sz, const Transform& xa, float r, const Transform& xb,
                                            float margin, Manifold& m) {
  m.count = 0;
  float R = sz.x, H = sz.y;
  Vec3 c = inv_transform_point(xa, xb.p);
  float rho = sqrtf(c.x * c.x + c.y * c.y);
  Vec3 radial = rho > 1.0e-9f ? Vec3{c.x / rho, c.y / rho, 0.0f} : Vec3{1.0f, 0.0f, 0.0f};
  Vec3 n, q;
  float sep;
  if (rho > R || fabsf(c.z) > H) {
    q = minf(rho, R) * radial + Vec3{0.0f, 0.0f, clampf(c.z, -H, H)};
    Vec3 d = c - q;
    float dist = length(d);
    sep = dist - r;
    if (sep > margin) return;
    n = dist > 1.0e-9f ? (1.0f / dist) * d : radial;
  } else {
    // Inside: out through the side or the nearer cap, whichever is shallower.
    float pen_side = R - rho, pen_cap = H - fabsf(c.z);
    if (pen_cap < pen_side) {
      n = Vec3{0.0f, 0.0f, c.z < 0.0f ? -1.0f : 1.0f};
      q = Vec3{c.x, c.y, c.z < 0.0f ? -H : H};
      sep = -pen_cap - r;
    } else {
      n = radial;
      q = R * radial + Vec3{0.0f, 0.0f, c.z};
      sep = -pen_side - r;
    }
  }
  m.normal = rotate(xa.q, n);
  push_point(m, transform_point(xa, q + 0.5f * sep * n), sep, make_id(kIdRound, 3, 0, 0));
}

// ---------------------------------------------------------------------------
// Plane (A) against anything: vertices or support points below the margin.
// ---------------------------------------------------------------------------
WERK_HD inline Vec3 plane_normal(const Transform& xp) { return rotate(xp.q, Vec3{0.0f, 0.0f, 1.0f}); }

WERK_HD inline void collide_plane_sphere(const Transform& xa, float r, const Transform& xb, float margin,
                                         Manifold& m) {
  Vec3 n = plane_normal(xa);
  float sep = dot(n, xb.p - xa.p) - r;
  m.count = 0;
  m.normal = n;
  if (sep <= margin) push_point(m, xb.p - (r + 0.5f * sep) * n, sep, make_id(kIdVertex, 0, 0, 0));
}

WERK_HD inline void collide_plane_capsule(const Transform& xa, Vec3 sb, const Transform& xb, float margin,
                                          Manifold& m) {
  Vec3 n = plane_normal(xa), s[2];
  capsule_segment(xb, sb.y, s[0], s[1]);
  m.count = 0;
  m.normal = n;
  for (int k = 0; k < 2; ++k) {
    float sep = dot(n, s[k] - xa.p) - sb.x;
    if (sep <= margin) push_point(m, s[k] - (sb.x + 0.5f * sep) * n, sep, make_id(kIdVertex, 0, 0, k));
  }
}

WERK_COLLIDE_FN void collide_plane_box(const Transform& xa, Vec3 h, const Transform& xb, float margin,
                                      Manifold& m) {
  Vec3 n = plane_normal(xa);
  m.count = 0;
  m.normal = n;
  Mat3 r = quat_to_mat(xb.q);
  Vec3 ax = mat_col(r, 0), ay = mat_col(r, 1), az = mat_col(r, 2);
  float nx = dot(n, ax) * h.x, ny = dot(n, ay) * h.y, nz = dot(n, az) * h.z;
  float center = dot(n, xb.p - xa.p);
  // Early out: the lowest corner is above the margin.
  if (center - fabsf(nx) - fabsf(ny) - fabsf(nz) > margin) return;
  Vec3 p[8];
  float sep[8];
  uint32_t id[8];
  int cnt = 0;
  for (int i = 0; i < 8; ++i) {
    float sx = (i & 1) ? 1.0f : -1.0f, sy = (i & 2) ? 1.0f : -1.0f, sz = (i & 4) ? 1.0f : -1.0f;
    float s = center + sx * nx + sy * ny + sz * nz;
    if (s > margin) continue;
    Vec3 v = xb.p + (sx * h.x) * ax + (sy * h.y) * ay + (sz * h.z) * az;
    p[cnt] = v - 0.5f * s * n, sep[cnt] = s, id[cnt] = make_id(kIdVertex, 0, 0, i);
    ++cnt;
  }
  reduce_points(p, sep, id, cnt, n, m);
  m.normal = n;
}

// Exact cylinder on a plane: the deepest rim point of each cap, plus three
// more rim points at quarter turns on the cap facing the plane, so a
// standing cylinder gets a 4-point base and a lying one a 2-point line.
WERK_COLLIDE_FN void collide_plane_cylinder(const Transform& xa, Vec3 sz, const Transform& xb, float margin,
                                           Manifold& m) {
  Vec3 n = plane_normal(xa);
  m.count = 0;
  m.normal = n;
  Vec3 axis = rotate(xb.q, Vec3{0.0f, 0.0f, 1.0f});
  float na = dot(n, axis);
  float center = dot(n, xb.p - xa.p);
  float R = sz.x, H = sz.y;
  float lateral = sqrtf(maxf(0.0f, 1.0f - na * na));
  if (center - H * fabsf(na) - R * lateral > margin) return;
  Vec3 u = -1.0f * (n - na * axis);
  float ul = length(u);
  u = ul > 1.0e-4f ? (1.0f / ul) * u : rotate(xb.q, Vec3{1.0f, 0.0f, 0.0f});
  Vec3 w = cross(axis, u);
  int facing = na > 0.0f ? 0 : 1;  // cap 0 at -H, cap 1 at +H
  Vec3 p[5];
  float sep[5];
  uint32_t id[5];
  int cnt = 0;
  for (int cap = 0; cap < 2; ++cap) {
    Vec3 cc = xb.p + (cap == 0 ? -H : H) * axis;
    int nrim = cap == facing ? 4 : 1;
    for (int k = 0; k < nrim; ++k) {
      Vec3 dir = k == 0 ? u : (k == 1 ? w : (k == 2 ? -u : -w));
      Vec3 v = cc + R * dir;
      float s = dot(n, v - xa.p);
      if (s > margin) continue;
      p[cnt] = v - 0.5f * s * n, sep[cnt] = s, id[cnt] = make_id(kIdVertex, 1, cap, k);
      ++cnt;
    }
  }
  reduce_points(p, sep, id, cnt, n, m);
  m.normal = n;
}

// Any polytope (box, hull, cylinder prism) on a plane: its vertices.
WERK_COLLIDE_FN void collide_plane_poly(const Transform& xa, const Polytope& poly, const Transform& xb,
                                       float margin, Manifold& m) {
  Vec3 n = plane_normal(xa);
  m.count = 0;
  m.normal = n;
  Vec3 nl = rotate_inv(xb.q, n);
  float base = dot(n, xb.p - xa.p);
  if (base + dot(nl, poly_support(poly, -nl)) > margin) return;
  PointCollector c;
  c.n = 0;
  for (int i = 0; i < poly.nv; ++i) {
    Vec3 v = poly_vertex(poly, i);
    float s = base + dot(nl, v);
    if (s > margin) continue;
    collector_add(c, transform_point(xb, v) - 0.5f * s * n, s, make_id(kIdVertex, 2, 0, i), n);
  }
  reduce_points(c.p, c.sep, c.id, c.n, n, m);
  m.normal = n;
}

}  // namespace werk
