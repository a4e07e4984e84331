// Box-box: the hot path of a pile. Separating-axis test over the 15 axes
// (3 + 3 face normals, 9 edge cross products) in A's frame with early outs,
// then either a face contact (the incident face of the other box clipped
// against the reference face's four sides in the reference box's own
// coordinates, at most 8 points reduced to 4) or an edge contact (closest
// points of the two supporting edges). No trig, no generic polytope code.
//
// Face axes are preferred over edge axes, and A's faces over B's, unless the
// other is clearly better (relative + absolute tolerance), so a resting box
// keeps one reference face from frame to frame.
#pragma once

#include "kernels/collide_common.h"

namespace werk {

constexpr float kSatRelTol = 0.02f;    // of |b|
constexpr float kSatAbsTol = 0.0005f;  // m

// True when separation a is clearly larger than b.
WERK_HD inline bool sat_better(float a, float b) { return a > b + kSatRelTol * fabsf(b) + kSatAbsTol; }

// Sutherland-Hodgman against the axis-aligned plane sg * x[a] <= h.
WERK_HD inline int clip_axis(const ClipVertex* in, int n, int a, float sg, float h, int k, ClipVertex* out) {
  int m = 0;
  for (int i = 0; i < n; ++i) {
    const ClipVertex& pa = in[i];
    const ClipVertex& pb = in[i + 1 == n ? 0 : i + 1];
    float da = sg * comp(pa.p, a) - h, db = sg * comp(pb.p, a) - h;
    if (da <= 0.0f) out[m++] = pa;
    if ((da <= 0.0f) != (db <= 0.0f)) out[m++] = ClipVertex{pa.p + (da / (da - db)) * (pb.p - pa.p), clip_id(pa.id, pb.id, k)};
  }
  return m;
}

// Face contact with the reference face on box `hr` (normal sign * axis), the
// incident box `hi` at centre t with axes as the columns of rm, both in the
// reference box frame. Writes world points (through xr) into m.
WERK_HD inline void box_face_contact(Vec3 hr, Vec3 hi, const float rm[3][3], Vec3 t, int axis, float margin,
                                     const Transform& xr, bool ref_is_b, Manifold& m) {
  float s = comp(t, axis) < 0.0f ? -1.0f : 1.0f;
  // Incident face: the other box's face most anti-parallel to the normal.
  int k = 0;
  float best = fabsf(rm[axis][0]);
  if (fabsf(rm[axis][1]) > best) best = fabsf(rm[axis][1]), k = 1;
  if (fabsf(rm[axis][2]) > best) k = 2;
  float sk = s * rm[axis][k] > 0.0f ? -1.0f : 1.0f;  // incident face side along its axis k
  Vec3 bk{rm[0][k], rm[1][k], rm[2][k]};
  int ku = (k + 1) % 3, kv = (k + 2) % 3;
  Vec3 bu = comp(hi, ku) * Vec3{rm[0][ku], rm[1][ku], rm[2][ku]};
  Vec3 bv = comp(hi, kv) * Vec3{rm[0][kv], rm[1][kv], rm[2][kv]};
  Vec3 fc = t + (sk * comp(hi, k)) * bk;
  ClipVertex poly[2][8];
  poly[0][0] = {fc + bu + bv, 0}, poly[0][1] = {fc - bu + bv, 1};
  poly[0][2] = {fc - bu - bv, 2}, poly[0][3] = {fc + bu - bv, 3};
  int n = 4, cur = 0;
  // Clip against the reference face's four side planes (axis-aligned here).
  int au = (axis + 1) % 3, av = (axis + 2) % 3;
  for (int c = 0; c < 4 && n > 0; ++c) {
    int a = c < 2 ? au : av;
    float sg = (c & 1) ? -1.0f : 1.0f;
    n = clip_axis(poly[cur], n, a, sg, comp(hr, a), c, poly[1 - cur]);
    cur = 1 - cur;
  }
  Vec3 nr{axis == 0 ? s : 0.0f, axis == 1 ? s : 0.0f, axis == 2 ? s : 0.0f};
  uint32_t fr = uint32_t(2 * axis + (s < 0.0f ? 1 : 0)), fi = uint32_t(2 * k + (sk < 0.0f ? 1 : 0));
  uint32_t fa = ref_is_b ? fi | 0x8u : fr, fb = ref_is_b ? fr : fi;
  // Points in the reference frame; reduced there, then moved to world.
  Vec3 p[8];
  float sep[8];
  uint32_t id[8];
  int cnt = 0;
  float h_axis = comp(hr, axis);
  for (int i = 0; i < n; ++i) {
    float d = s * comp(poly[cur][i].p, axis) - h_axis;
    if (d > margin) continue;
    p[cnt] = poly[cur][i].p - (0.5f * d) * nr;
    sep[cnt] = d;
    id[cnt] = make_id(kIdFace, fa, fb, poly[cur][i].id);
    ++cnt;
  }
  if (n == 0) {
    // Faces do not overlap in projection (corner to corner): one point at the
    // incident face's deepest corner, with the (lower-bound) axis separation.
    Vec3 v = fc + (dot(bu, nr) > 0.0f ? -1.0f : 1.0f) * bu + (dot(bv, nr) > 0.0f ? -1.0f : 1.0f) * bv;
    float d = s * comp(v, axis) - h_axis;
    if (d <= margin) {
      p[0] = v - (0.5f * d) * nr, sep[0] = d, id[0] = make_id(kIdVertex, fa, fb, 0);
      cnt = 1;
    }
  }
  reduce_points(p, sep, id, cnt, nr, m);
  for (int i = 0; i < m.count; ++i) m.points[i].point = transform_point(xr, m.points[i].point);
  Vec3 nw = rotate(xr.q, nr);
  m.normal = ref_is_b ? -nw : nw;
}

WERK_COLLIDE_FN void collide_box_box(Vec3 ha, const Transform& xa, Vec3 hb, const Transform& xb, float margin,
                                    Manifold& m) {
  m.count = 0;
  Mat3 ma = quat_to_mat(xa.q), mb = quat_to_mat(xb.q);
  Vec3 a[3] = {mat_col(ma, 0), mat_col(ma, 1), mat_col(ma, 2)};
  Vec3 b[3] = {mat_col(mb, 0), mat_col(mb, 1), mat_col(mb, 2)};
  float r[3][3], ar[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      r[i][j] = dot(a[i], b[j]);
      ar[i][j] = fabsf(r[i][j]) + 1.0e-6f;
    }
  Vec3 d = xb.p - xa.p;
  Vec3 t{dot(d, a[0]), dot(d, a[1]), dot(d, a[2])};  // B's centre in A's frame

  // Face axes of A.
  float sep_a = -kHuge;
  int axis_a = 0;
  for (int i = 0; i < 3; ++i) {
    float s = fabsf(comp(t, i)) - comp(ha, i) - (ar[i][0] * hb.x + ar[i][1] * hb.y + ar[i][2] * hb.z);
    if (s > margin) return;
    if (s > sep_a) sep_a = s, axis_a = i;
  }
  // Face axes of B.
  float sep_b = -kHuge;
  int axis_b = 0;
  Vec3 tb{t.x * r[0][0] + t.y * r[1][0] + t.z * r[2][0], t.x * r[0][1] + t.y * r[1][1] + t.z * r[2][1],
          t.x * r[0][2] + t.y * r[1][2] + t.z * r[2][2]};  // A-to-B offset in B's frame
  for (int j = 0; j < 3; ++j) {
    float s = fabsf(comp(tb, j)) - comp(hb, j) - (ar[0][j] * ha.x + ar[1][j] * ha.y + ar[2][j] * ha.z);
    if (s > margin) return;
    if (s > sep_b) sep_b = s, axis_b = j;
  }
  // Edge axes a_i x b_j (A frame), closed forms of the classic OBB test;
  // skipped when nearly parallel (the face axes cover those).
  const float hav[3] = {ha.x, ha.y, ha.z}, hbv[3] = {hb.x, hb.y, hb.z}, tv[3] = {t.x, t.y, t.z};
  float sep_e = -kHuge;
  int ei = -1, ej = -1;
  for (int i = 0; i < 3; ++i) {
    int i1 = i == 2 ? 0 : i + 1, i2 = i == 0 ? 2 : i - 1;
    for (int j = 0; j < 3; ++j) {
      int j1 = j == 2 ? 0 : j + 1, j2 = j == 0 ? 2 : j - 1;
      float len2 = r[i1][j] * r[i1][j] + r[i2][j] * r[i2][j];
      if (len2 < 1.0e-6f) continue;
      float ra = hav[i1] * ar[i2][j] + hav[i2] * ar[i1][j];
      float rb = hbv[j1] * ar[i][j2] + hbv[j2] * ar[i][j1];
      float tl = tv[i2] * r[i1][j] - tv[i1] * r[i2][j];
      float s = (fabsf(tl) - ra - rb) / sqrtf(len2);
      if (s > margin) return;
      if (s > sep_e) sep_e = s, ei = i, ej = j;
    }
  }
  Vec3 ne{0, 0, 0};
  if (ei >= 0) {
    // The winning axis itself: e_i x b_j, towards B.
    Vec3 bj{r[0][ej], r[1][ej], r[2][ej]};
    Vec3 l = ei == 0 ? Vec3{0.0f, -bj.z, bj.y} : (ei == 1 ? Vec3{bj.z, 0.0f, -bj.x} : Vec3{-bj.y, bj.x, 0.0f});
    l = normalize(l);
    ne = dot(t, l) < 0.0f ? -l : l;
  }
  float sep_f = maxf(sep_a, sep_b);
  if (ei >= 0 && sat_better(sep_e, sep_f)) {
    // Edge contact: the supporting edge of each box along the axis.
    Vec3 ca{ne.x < 0.0f ? -ha.x : ha.x, ne.y < 0.0f ? -ha.y : ha.y, ne.z < 0.0f ? -ha.z : ha.z};
    if (ei == 0) ca.x = 0.0f;
    if (ei == 1) ca.y = 0.0f;
    if (ei == 2) ca.z = 0.0f;
    Vec3 ea{ei == 0 ? ha.x : 0.0f, ei == 1 ? ha.y : 0.0f, ei == 2 ? ha.z : 0.0f};
    Vec3 cb = t;
    uint32_t fb = 0, fa = 0;
    for (int k = 0; k < 3; ++k) {
      Vec3 bk{r[0][k], r[1][k], r[2][k]};
      if (k == ej) continue;
      float sg = dot(ne, bk) < 0.0f ? 1.0f : -1.0f;
      cb += (sg * comp(hb, k)) * bk;
      fb |= (sg > 0.0f ? 1u : 0u) << k;
    }
    for (int k = 0; k < 3; ++k) fa |= (comp(ne, k) < 0.0f ? 0u : 1u) << k;
    Vec3 bj{r[0][ej], r[1][ej], r[2][ej]};
    Vec3 eb = comp(hb, ej) * bj;
    float s, u;
    Vec3 pa, pb;
    closest_segments(ca - ea, ca + ea, cb - eb, cb + eb, s, u, pa, pb);
    m.normal = rotate(xa.q, ne);
    push_point(m, transform_point(xa, 0.5f * (pa + pb)), sep_e,
               make_id(kIdEdge, uint32_t(ei * 8) + fa, uint32_t(ej * 8) + fb, 0));
    return;
  }
  if (!sat_better(sep_b, sep_a)) {
    box_face_contact(ha, hb, r, t, axis_a, margin, xa, false, m);
    return;
  }
  // Reference face on B: A seen from B (rotation R^T, centre -R^T t).
  float rt[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) rt[i][j] = r[j][i];
  box_face_contact(hb, ha, rt, -tb, axis_b, margin, xb, true, m);
}

}  // namespace werk
