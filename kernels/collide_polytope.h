// Contacts between polytopes (box, hull, cylinder prism, mesh triangle) and
// between a polytope and a round shape (sphere, capsule).
//
// Polytope pairs use the separating-axis test over face normals of both
// shapes and over edge pairs (Gregorius, GDC 2013): an edge pair is only a
// candidate axis when its arcs cross on the Gauss map (it builds a face of
// the Minkowski difference), which prunes almost all pairs at the cost of a
// few dot products. The best face axis gives a reference face; the incident
// face of the other shape is clipped against its side planes and reduced to
// 4 points. The best edge axis gives one point between the two edges.
//
// Sphere and capsule against a polytope: the core (point or segment) is
// clipped against the face planes; when it lies outside, the exact closest
// points (segment against every edge, endpoints against every face) give the
// normal and distance; when it is inside (deep), the separating-axis test
// over faces and edge x segment axes picks the exit direction. A capsule
// lying on a face gets two points (its segment clipped to that face).
//
// Triangles are one-sided: a shape whose centre is behind the triangle's
// front face (normal = counter-clockwise winding) gets no contact from it,
// so parts are never pushed through the wall of a bin from inside it.
#pragma once

#include "kernels/collide_box.h"
#include "kernels/collide_common.h"

namespace werk {

// ---------------------------------------------------------------------------
// Polytope against polytope
// ---------------------------------------------------------------------------

constexpr float kTriangleFaceBias = 0.004f;  // m

// Best face axis of p1 (first nface faces) against p2, p2 given in p1's frame
// by (q, t). Stops early past the margin.
WERK_HD inline void sat_faces(const Polytope& p1, int nface, const Polytope& p2, Quat q, Vec3 t, float margin,
                              float& best, int& best_face) {
  best = -kHuge;
  best_face = 0;
  for (int f = 0; f < nface; ++f) {
    Vec3 n;
    float d;
    poly_face(p1, f, n, d);
    Vec3 v = t + rotate(q, poly_support(p2, rotate_inv(q, -n)));
    float s = dot(n, v) - d;
    if (s > best) best = s, best_face = f;
    if (s > margin) return;
  }
}

// Do arcs ab and cd cross on the unit sphere? (bxa, dxc: the arcs' plane normals.)
WERK_HD inline bool is_minkowski_face(Vec3 a, Vec3 b, Vec3 bxa, Vec3 c, Vec3 d, Vec3 dxc) {
  float cba = dot(c, bxa), dba = dot(d, bxa), adc = dot(a, dxc), bdc = dot(b, dxc);
  return cba * dba < 0.0f && adc * bdc < 0.0f && cba * bdc > 0.0f;
}

struct EdgeQuery {
  float sep;
  int e1, e2;
  Vec3 normal;  // p1 frame, from p1 to p2
};

// Edge pair (i of p1, j of p2, the latter's data given in p1's frame), its
// arcs known to cross on the Gauss map, as a separating axis candidate.
// Returns true when the axis separates by more than margin (stop).
WERK_HD inline bool sat_edge_axis(const Polytope& p1, int i, int j, Vec3 q0, Vec3 e2, float l2, Vec3 m0, Vec3 m1,
                                  float margin, EdgeQuery& eq) {
  Vec3 p0, p1v;
  poly_edge_points(p1, i, p0, p1v);
  Vec3 e1 = p1v - p0;
  Vec3 l = cross(e1, e2);
  float ll = length_sq(l);
  if (ll < 2.5e-5f * length_sq(e1) * l2) return false;  // parallel within ~0.3 degrees
  l = (1.0f / sqrtf(ll)) * l;
  // Orient from p1 to p2: away from p1's centre; for a flat triangle (whose
  // arc spans n to -n) use p2's arc instead, which l must lie on negated.
  bool flip = p1.kind == kPolyTriangle ? dot(l, m0 + m1) > 0.0f : dot(l, p0 - p1.center) < 0.0f;
  if (flip) l = -l;
  float s = dot(l, q0 - p0);
  if (s > eq.sep) eq.sep = s, eq.e1 = i, eq.e2 = j, eq.normal = l;
  return s > margin;
}

#if !defined(__CUDA_ARCH__)
// The CPU's form of sat_edges for shapes of at most kEdgeCache edges,
// vertices and faces (boxes, cylinders, most hulls): p2's vertices and
// face normals are rotated into p1's frame once, not once per edge that
// uses them, and the Gauss-map test of one edge of p2 runs against all of
// p1's edges in one loop over arrays, which the compiler vectorises. Each
// value is computed by the same float operations as in sat_edges and the
// pairs are visited in the same order, so the result is the same.
constexpr int kEdgeCache = 64;
inline bool sat_edges_cached(const Polytope& p1, const Polytope& p2, Quat q, Vec3 t, float margin, EdgeQuery& eq) {
  if (p1.ne > kEdgeCache || p2.nv > kEdgeCache || p2.nf > kEdgeCache || p2.kind == kPolyTriangle) return false;
  eq.sep = -kHuge;
  eq.e1 = eq.e2 = -1;
  // p1's arcs: a = n0, b = n1 and their plane normal bxa, by component.
  float ax[kEdgeCache], ay[kEdgeCache], az[kEdgeCache], bx[kEdgeCache], by[kEdgeCache], bz[kEdgeCache];
  float cx[kEdgeCache], cy[kEdgeCache], cz[kEdgeCache];
  const int ne = p1.ne;
  for (int i = 0; i < ne; ++i) {
    Vec3 n0, n1, bxa;
    poly_edge_normals(p1, i, n0, n1, bxa);
    ax[i] = n0.x, ay[i] = n0.y, az[i] = n0.z, bx[i] = n1.x, by[i] = n1.y, bz[i] = n1.z;
    cx[i] = bxa.x, cy[i] = bxa.y, cz[i] = bxa.z;
  }
  Vec3 vertex[kEdgeCache], normal[kEdgeCache], local[kEdgeCache];
  for (int v = 0; v < p2.nv; ++v) vertex[v] = t + rotate(q, poly_vertex(p2, v));
  for (int f = 0; f < p2.nf; ++f) local[f] = poly_face_normal(p2, f), normal[f] = rotate(q, local[f]);
  for (int j = 0; j < p2.ne; ++j) {
    int v0, v1, f0, f1;
    poly_edge_topology(p2, j, v0, v1, f0, f1);
    const Vec3 q0 = vertex[v0], q1 = vertex[v1], m0 = normal[f0], m1 = normal[f1];
    const Vec3 dxc = rotate(q, cross(local[f1], local[f0]));
    const Vec3 c = -m0, d = -m1;  // p2's arc, negated: the Minkowski difference
    // is_minkowski_face(a, b, bxa, c, d, dxc) for every edge of p1.
    int32_t crosses[kEdgeCache];
    for (int i = 0; i < ne; ++i) {
      const float cba = c.x * cx[i] + c.y * cy[i] + c.z * cz[i], dba = d.x * cx[i] + d.y * cy[i] + d.z * cz[i];
      const float adc = ax[i] * dxc.x + ay[i] * dxc.y + az[i] * dxc.z, bdc = bx[i] * dxc.x + by[i] * dxc.y + bz[i] * dxc.z;
      crosses[i] = int32_t(cba * dba < 0.0f) & int32_t(adc * bdc < 0.0f) & int32_t(cba * bdc > 0.0f);
    }
    const Vec3 e2 = q1 - q0;
    const float l2 = length_sq(e2);
    for (int i = 0; i < ne; ++i)
      if (crosses[i] && sat_edge_axis(p1, i, j, q0, e2, l2, m0, m1, margin, eq)) return true;
  }
  return true;
}
#endif

// Best edge-pair axis of p1 and p2 (p2 in p1's frame by (q, t)), one pair
// after another. Stops early past the margin.
WERK_HD inline void sat_edge_pairs(const Polytope& p1, const Polytope& p2, Quat q, Vec3 t, float margin, EdgeQuery& eq) {
  eq.sep = -kHuge;
  eq.e1 = eq.e2 = -1;
#if !defined(__CUDA_ARCH__)
  // p1's edge normals once, not once per edge of p2.
  Vec3 cn0[kEdgeCache], cn1[kEdgeCache], cbxa[kEdgeCache];
  const bool cached = p1.ne <= kEdgeCache;
  if (cached)
    for (int i = 0; i < p1.ne; ++i) poly_edge_normals(p1, i, cn0[i], cn1[i], cbxa[i]);
#endif
  for (int j = 0; j < p2.ne; ++j) {
    Vec3 q0, q1, m0, m1, dxc;
    poly_edge(p2, j, q0, q1, m0, m1, dxc);
    q0 = t + rotate(q, q0), q1 = t + rotate(q, q1);
    m0 = rotate(q, m0), m1 = rotate(q, m1), dxc = rotate(q, dxc);
    Vec3 e2 = q1 - q0;
    float l2 = length_sq(e2);
    for (int i = 0; i < p1.ne; ++i) {
      Vec3 n0, n1, bxa;
#if !defined(__CUDA_ARCH__)
      if (cached) n0 = cn0[i], n1 = cn1[i], bxa = cbxa[i];
      else
#endif
        poly_edge_normals(p1, i, n0, n1, bxa);
      if (is_minkowski_face(n0, n1, bxa, -m0, -m1, dxc) && sat_edge_axis(p1, i, j, q0, e2, l2, m0, m1, margin, eq))
        return;
    }
  }
}

WERK_HD inline void sat_edges(const Polytope& p1, const Polytope& p2, Quat q, Vec3 t, float margin, EdgeQuery& eq) {
#if !defined(__CUDA_ARCH__)
  if (sat_edges_cached(p1, p2, q, t, margin, eq)) return;
#endif
  sat_edge_pairs(p1, p2, q, t, margin, eq);
}

// Face contact: reference face fr of pr, incident polytope pi given in pr's
// frame by (q, t); world through xr. ref_is_b: pr is shape B of the pair.
WERK_HD inline void poly_face_contact(const Polytope& pr, int fr, const Polytope& pi, Quat q, Vec3 t, float margin,
                                      const Transform& xr, bool ref_is_b, Manifold& m) {
  Vec3 n;
  float d;
  poly_face(pr, fr, n, d);
  // Incident face: the most anti-parallel face of the other shape.
  Vec3 nl = rotate_inv(q, n);
  int fi = 0;
  float best = kHuge;
  for (int f = 0; f < pi.nf; ++f) {
    float c = dot(poly_face_normal(pi, f), nl);
    if (c < best) best = c, fi = f;
  }
  ClipVertex buf[2][kMaxPoly];
  int cnt = poly_face_size(pi, fi);
  if (cnt > kMaxPoly / 2) cnt = kMaxPoly / 2;
  for (int k = 0; k < cnt; ++k) buf[0][k] = {t + rotate(q, poly_vertex(pi, poly_face_vertex(pi, fi, k))), uint32_t(k)};
  // Clip against the side planes of the reference face (outward = edge x n).
  int nr = poly_face_size(pr, fr), cur = 0;
  for (int k = 0; k < nr && cnt > 0; ++k) {
    Vec3 a = poly_vertex(pr, poly_face_vertex(pr, fr, k));
    Vec3 b = poly_vertex(pr, poly_face_vertex(pr, fr, (k + 1) % nr));
    Vec3 pn = cross(b - a, n);
    cnt = clip_polygon(buf[cur], cnt, pn, dot(pn, a), k, buf[1 - cur], kMaxPoly);
    cur = 1 - cur;
  }
  Vec3 nw = rotate(xr.q, n);
  m.count = 0;
  m.normal = ref_is_b ? -nw : nw;
  PointCollector pc;
  pc.n = 0;
  uint32_t fa = ref_is_b ? uint32_t(fi) : uint32_t(fr), fb = ref_is_b ? uint32_t(fr) : uint32_t(fi);
  uint32_t side = ref_is_b ? 0x200u : 0u;
  for (int i = 0; i < cnt; ++i) {
    float s = dot(n, buf[cur][i].p) - d;
    if (s > margin) continue;
    collector_add(pc, transform_point(xr, buf[cur][i].p - (0.5f * s) * n), s,
                  make_id(kIdFace, fa | side, fb, buf[cur][i].id), nw);
  }
  if (pc.n == 0 && cnt == 0) {
    // The faces do not overlap in projection: one point at the incident support.
    Vec3 v = t + rotate(q, poly_support(pi, -nl));
    float s = dot(n, v) - d;
    if (s <= margin) collector_add(pc, transform_point(xr, v - (0.5f * s) * n), s, make_id(kIdVertex, fa | side, fb, 0), nw);
  }
  reduce_points(pc.p, pc.sep, pc.id, pc.n, nw, m);
  m.normal = ref_is_b ? -nw : nw;
}

// Generic polytope pair; p1 may be a (one-sided) triangle, p2 may not.
WERK_COLLIDE_FN void collide_polytopes(const Polytope& p1, const Transform& x1, const Polytope& p2,
                                      const Transform& x2, float margin, Manifold& m) {
  m.count = 0;
  Quat q21 = conj(x1.q) * x2.q;
  Vec3 t21 = rotate_inv(x1.q, x2.p - x1.p);
  bool tri = p1.kind == kPolyTriangle;
  if (tri && dot(p1.tri_n, t21 + rotate(q21, p2.center) - p1.tri[0]) < 0.0f) return;
  float s1, s2;
  int f1, f2;
  sat_faces(p1, tri ? 1 : p1.nf, p2, q21, t21, margin, s1, f1);
  if (s1 > margin) return;
  Quat q12 = conj(q21);
  Vec3 t12 = rotate(q12, -t21);
  sat_faces(p2, p2.nf, p1, q12, t12, margin, s2, f2);
  if (s2 > margin) return;
  EdgeQuery eq;
  sat_edges(p1, p2, q21, t21, margin, eq);
  if (eq.sep > margin) return;
  // A triangle's own face wins unless another axis is better by a few mm:
  // a part straddling two coplanar mesh triangles then never takes an
  // internal edge or a sideways face as its normal (ghost collisions).
  float ref = tri ? s1 + kTriangleFaceBias : s1;
  if (eq.e1 >= 0 && sat_better(eq.sep, maxf(ref, s2))) {
    Vec3 a0, a1, b0, b1, n0, n1, x;
    poly_edge(p1, eq.e1, a0, a1, n0, n1, x);
    poly_edge(p2, eq.e2, b0, b1, n0, n1, x);
    b0 = t21 + rotate(q21, b0), b1 = t21 + rotate(q21, b1);
    float s, u;
    Vec3 pa, pb;
    closest_segments(a0, a1, b0, b1, s, u, pa, pb);
    m.normal = rotate(x1.q, eq.normal);
    push_point(m, transform_point(x1, 0.5f * (pa + pb)), eq.sep, make_id(kIdEdge, eq.e1, eq.e2, 0));
    return;
  }
  if (!sat_better(s2, ref))
    poly_face_contact(p1, f1, p2, q21, t21, margin, x1, false, m);
  else
    poly_face_contact(p2, f2, p1, q12, t12, margin, x2, true, m);
}

// ---------------------------------------------------------------------------
// Polytope against a sphere or capsule core (segment s0-s1, radius r)
// ---------------------------------------------------------------------------

// Is x (on or above face f's plane) inside the face's side planes?
WERK_HD inline bool inside_face(const Polytope& p, int f, Vec3 n, Vec3 x) {
  int nv = poly_face_size(p, f);
  for (int k = 0; k < nv; ++k) {
    Vec3 a = poly_vertex(p, poly_face_vertex(p, f, k));
    Vec3 b = poly_vertex(p, poly_face_vertex(p, f, (k + 1) % nv));
    if (dot(cross(b - a, n), x - a) > 0.0f) return false;
  }
  return true;
}

// Writes the manifold of a core resting on face f (normal n, offset d): the
// segment clipped to the face's side planes, up to two points. Returns false
// when the segment misses the face.
WERK_HD inline bool segment_face_manifold(const Polytope& p, int f, Vec3 s0, Vec3 s1, float r, float margin,
                                          const Transform& xp, Manifold& m) {
  Vec3 n;
  float d;
  poly_face(p, f, n, d);
  float lo = 0.0f, hi = 1.0f;
  int nv = poly_face_size(p, f);
  for (int k = 0; k < nv && lo <= hi; ++k) {
    Vec3 a = poly_vertex(p, poly_face_vertex(p, f, k));
    Vec3 b = poly_vertex(p, poly_face_vertex(p, f, (k + 1) % nv));
    Vec3 pn = cross(b - a, n);
    float h0 = dot(pn, s0 - a), h1 = dot(pn, s1 - a);
    if (h0 > 0.0f && h1 > 0.0f) return false;
    if (h0 > 0.0f) lo = maxf(lo, h0 / (h0 - h1));
    else if (h1 > 0.0f) hi = minf(hi, h0 / (h0 - h1));
  }
  if (lo > hi) return false;
  m.count = 0;
  m.normal = rotate(xp.q, n);
  for (int k = 0; k < 2; ++k) {
    float u = k == 0 ? lo : hi;
    if (k == 1 && hi - lo < 1.0e-4f) break;
    Vec3 x = s0 + u * (s1 - s0);
    float sep = dot(n, x) - d - r;
    if (sep <= margin) push_point(m, transform_point(xp, x - (r + 0.5f * sep) * n), sep, make_id(kIdFace, f, 0, k));
  }
  return true;
}

// Closest points between the core and the polytope's surface, the core
// being outside: every edge, and every endpoint over a face. Returns the
// squared distance; cs on the core, cp on the polytope, feature id.
WERK_HD inline float closest_core_poly(const Polytope& p, int nface, Vec3 s0, Vec3 s1, bool seg, Vec3& cs, Vec3& cp,
                                       uint32_t& feature) {
  float best = kHuge;
  for (int e = 0; e < p.ne; ++e) {
    Vec3 p0, p1, n0, n1, x, c1, c2;
    float a, b;
    poly_edge(p, e, p0, p1, n0, n1, x);
    closest_segments(s0, s1, p0, p1, a, b, c1, c2);
    float d2 = length_sq(c1 - c2);
    if (d2 < best) best = d2, cs = c1, cp = c2, feature = make_id(kIdEdge, e, 0, 0);
  }
  for (int k = 0; k < (seg ? 2 : 1); ++k) {
    Vec3 sp = k == 0 ? s0 : s1;
    for (int f = 0; f < nface; ++f) {
      Vec3 n;
      float d;
      poly_face(p, f, n, d);
      float h = dot(n, sp) - d;
      if (h < 0.0f || h * h >= best || !inside_face(p, f, n, sp)) continue;
      best = h * h, cs = sp, cp = sp - h * n, feature = make_id(kIdFace, f, 0, k);
    }
  }
  return best;
}

// Core (world segment w0-w1, radius r) against polytope p at xp; the normal
// points from the polytope to the core.
WERK_COLLIDE_FN void collide_poly_core(const Polytope& p, const Transform& xp, Vec3 w0, Vec3 w1, float r, float margin,
                                      Manifold& m) {
  m.count = 0;
  Vec3 s0 = inv_transform_point(xp, w0), s1 = inv_transform_point(xp, w1);
  bool seg = length_sq(s1 - s0) > 1.0e-12f;
  // Face planes: a separation bound, the deepest-exit face, and the
  // segment clipped to the solid (inside when lo <= hi).
  float face_sep = -kHuge, lo = 0.0f, hi = 1.0f;
  int face = 0;
  bool outside = false;
  for (int f = 0; f < p.nf; ++f) {
    Vec3 n;
    float d;
    poly_face(p, f, n, d);
    float h0 = dot(n, s0) - d, h1 = dot(n, s1) - d;
    float s = minf(h0, h1);
    if (s - r > margin) return;
    if (s > face_sep) face_sep = s, face = f;
    if (h0 > 0.0f && h1 > 0.0f) outside = true;
    else if (h0 > 0.0f) lo = maxf(lo, h0 / (h0 - h1));
    else if (h1 > 0.0f) hi = minf(hi, h0 / (h0 - h1));
  }
  outside = outside || lo > hi;
  Vec3 n, cs;
  float sep;
  uint32_t feature;
  bool deep = !outside;
  if (outside) {
    Vec3 cp;
    float d2 = closest_core_poly(p, p.nf, s0, s1, seg, cs, cp, feature);
    float dist = sqrtf(d2);
    if (dist - r > margin) return;
    if (dist > 1.0e-7f) {
      n = (1.0f / dist) * (cs - cp);
      sep = dist - r;
    } else {
      deep = true;
    }
  }
  if (deep) {
    // Exit through the shallowest face, or an edge x segment axis if clearly shallower.
    float d;
    poly_face(p, face, n, d);
    sep = face_sep - r;
    cs = dot(n, s0) <= dot(n, s1) ? s0 : s1;
    feature = make_id(kIdFace, face, 0, 0);
    for (int e = 0; seg && e < p.ne; ++e) {
      Vec3 p0, p1, n0, n1, x;
      poly_edge(p, e, p0, p1, n0, n1, x);
      Vec3 l = cross(p1 - p0, s1 - s0);
      float ll = length_sq(l);
      if (ll < 1.0e-10f) continue;
      l = (1.0f / sqrtf(ll)) * l;
      if (dot(l, p0 - p.center) < 0.0f) l = -l;
      float s = minf(dot(l, s0), dot(l, s1)) - dot(l, poly_support(p, l)) - r;
      if (sat_better(s, sep)) {
        Vec3 c2;
        float a, b;
        closest_segments(s0, s1, p0, p1, a, b, cs, c2);
        n = l, sep = s, feature = make_id(kIdEdge, e, 0, 0);
      }
    }
  }
  // A capsule along a face: two points on that face. When the nearest
  // point lies just past the face's edge and the core rises steeply from
  // it, the clipped points lie higher than the nearest one (even beyond the
  // margin), so the nearest point joins them.
  if (seg) {
    int fbest = 0;
    float cbest = -2.0f;
    for (int f = 0; f < p.nf; ++f) {
      float c = dot(poly_face_normal(p, f), n);
      if (c > cbest) cbest = c, fbest = f;
    }
    if (cbest >= 0.999f && segment_face_manifold(p, fbest, s0, s1, r, margin, xp, m) && m.count > 0) {
      float lowest = m.points[0].separation;
      for (int k = 1; k < m.count; ++k) lowest = minf(lowest, m.points[k].separation);
      if (sep <= margin && lowest > sep + 1.0e-4f)
        push_point(m, transform_point(xp, cs - (r + 0.5f * sep) * n), sep, feature);
      return;
    }
    m.count = 0;
  }
  if (sep > margin) return;
  m.normal = rotate(xp.q, n);
  push_point(m, transform_point(xp, cs - (r + 0.5f * sep) * n), sep, feature);
}

// A cylinder (radius sz.x, half height sz.y, frame xc) against polytope p
// at xp; the normal points from the polytope to the cylinder. The polytope
// pair sees the cylinder as its 16-sided prism, which would rock from side
// face to side face as it rolls. Lying on a face of p (touching it with its
// side), the cylinder touches along its round side: the points are then the
// deepest rim points of its two caps, exactly (as on a plane), clipped to
// that face. Standing on a cap, or touching an edge, it stays the prism.
WERK_COLLIDE_FN void collide_poly_cylinder(const Polytope& p, const Transform& xp, Vec3 sz, const Transform& xc,
                                          float margin, Manifold& m) {
  collide_polytopes(p, xp, make_cylinder_poly(sz.x, sz.y), xc, margin, m);
  if (m.count == 0) return;
  const Vec3 axis = rotate(xc.q, Vec3{0.0f, 0.0f, 1.0f});
  const float na = dot(m.normal, axis);
  if (fabsf(na) >= 0.70710678f) return;
  const Vec3 nl = rotate_inv(xp.q, m.normal);
  int face = -1;
  float best = 0.99999f;
  for (int f = 0; f < p.nf; ++f) {
    const float c = dot(poly_face_normal(p, f), nl);
    if (c > best) best = c, face = f;
  }
  if (face < 0) return;
  Vec3 u = na * axis - m.normal;  // towards the face, across the axis
  u = (1.0f / length(u)) * u;     // |na| < 0.71: not short
  const Vec3 s0 = xc.p - sz.y * axis + sz.x * u, s1 = xc.p + sz.y * axis + sz.x * u;
  Manifold rim;
  if (segment_face_manifold(p, face, inv_transform_point(xp, s0), inv_transform_point(xp, s1), 0.0f, margin, xp, rim) &&
      rim.count > 0)
    m = rim;
}

// One-sided triangle (world corners in tp) against a core; normal from the
// triangle to the core.
WERK_COLLIDE_FN void collide_triangle_core(const Polytope& tp, Vec3 w0, Vec3 w1, float r, float margin, Manifold& m) {
  m.count = 0;
  Vec3 n = tp.tri_n, v0 = tp.tri[0];
  float h0 = dot(n, w0 - v0), h1 = dot(n, w1 - v0);
  if (h0 + h1 < 0.0f || minf(h0, h1) - r > margin) return;
  bool seg = length_sq(w1 - w0) > 1.0e-12f;
  Transform id{Vec3{0, 0, 0}, quat_identity()};
  // Deep when the segment pierces the triangle.
  bool deep = false;
  if (h0 < 0.0f || h1 < 0.0f) {
    Vec3 x = w0 + (h0 / (h0 - h1)) * (w1 - w0);
    deep = inside_face(tp, 0, n, x);
  }
  Vec3 cn = n, cs = h0 <= h1 ? w0 : w1;
  float sep = minf(h0, h1) - r;
  uint32_t feature = make_id(kIdFace, 0, 0, 0);
  if (!deep) {
    Vec3 cp;
    float dist = sqrtf(closest_core_poly(tp, 1, w0, w1, seg, cs, cp, feature));
    if (dist - r > margin) return;
    if (dist > 1.0e-7f) cn = (1.0f / dist) * (cs - cp), sep = dist - r;
  }
  if (seg && dot(cn, n) >= 0.999f && segment_face_manifold(tp, 0, w0, w1, r, margin, id, m)) return;
  if (sep > margin) return;
  m.normal = cn;
  push_point(m, cs - (r + 0.5f * sep) * cn, sep, feature);
}

}  // namespace werk
