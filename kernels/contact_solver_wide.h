// The contact solver's warm start and Gauss-Seidel pass over four manifolds
// at once, in the lanes of SSE registers: the CPU backend's form of
// warm_start_contact and solve_contact (contact_solver.h). Belts and
// bounces are handled in the lanes; a group with rolling or spinning
// friction is handed to the scalar kernels, one manifold after another.
//
// Each lane performs exactly the scalar kernel's float operations in the
// scalar kernel's order (the build keeps a * b + c unfused), and a branch of
// the scalar kernel becomes a lane mask that keeps the untaken side's value
// unchanged: the results are the scalar kernel's, bit for bit (a test
// checks it). The four manifolds must be of one colour, so that no two
// share a body that moves.
//
// Host only: GCC's vector extensions.
#pragma once

#if !defined(__CUDACC__)

#include <xmmintrin.h>

#include <cstddef>

#include "contact_solver.h"

namespace werk::wide {

constexpr int kLanes = 4;
// The loads below read these fields as contiguous runs.
static_assert(offsetof(Contact, friction) == offsetof(Contact, normal) + 12, "normal, friction: 16 bytes");
static_assert(offsetof(ContactPoint, separation) == 12 && offsetof(ContactPoint, normal_mass) == 16 &&
                  offsetof(ContactPoint, normal_impulse) == 28 && offsetof(ContactPoint, tangent_impulse2) == 36,
              "a point's fields in runs of 16, 16 and 8 bytes");
static_assert(offsetof(ContactExtra, belt_spin) == offsetof(ContactExtra, belt) + 12, "belt, belt_spin: 16 bytes");
typedef float F __attribute__((vector_size(16)));
typedef int32_t M __attribute__((vector_size(16)));  // lane masks: -1 true, 0 false

inline F splat(float v) { return F{v, v, v, v}; }
inline F sel(M m, F a, F b) { return m ? a : b; }
inline F vmax(F a, F b) { return sel(a > b, a, b); }  // maxf, lane by lane
inline F vsqrt(F a) { return F(_mm_sqrt_ps(__m128(a))); }
inline bool any(M m) { return _mm_movemask_ps(__m128(m)) != 0; }

struct V3 {
  F x, y, z;
};
inline V3 operator+(V3 a, V3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline V3 operator-(V3 a, V3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline V3 operator*(F s, V3 a) { return {s * a.x, s * a.y, s * a.z}; }
inline F dot(V3 a, V3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline V3 cross(V3 a, V3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
inline V3 sel(M m, V3 a, V3 b) { return {sel(m, a.x, b.x), sel(m, a.y, b.y), sel(m, a.z, b.z)}; }
struct M3 {
  V3 r0, r1, r2;
};
inline V3 operator*(const M3& m, V3 v) { return {dot(m.r0, v), dot(m.r1, v), dot(m.r2, v)}; }

// Lane l of a V3 as a Vec3.
inline Vec3 get(const V3& v, int l) { return Vec3{v.x[l], v.y[l], v.z[l]}; }

// Loads of one value per lane. A Vec3 is read as 8 + 4 bytes, never
// touching the 4 bytes after it (the end of an array).
inline __m128 load3(const Vec3& v) {
  return _mm_movelh_ps(_mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(&v.x)), _mm_load_ss(&v.z));
}
inline V3 gather(const Vec3& v0, const Vec3& v1, const Vec3& v2, const Vec3& v3) {
  __m128 x0 = load3(v0), x1 = load3(v1), x2 = load3(v2), x3 = load3(v3);
  _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
  return {F(x0), F(x1), F(x2)};
}
// Four floats at p[l] (one 16-byte row per lane), transposed.
inline void gather4(const float* p0, const float* p1, const float* p2, const float* p3, F& a, F& b, F& c, F& d) {
  __m128 x0 = _mm_loadu_ps(p0), x1 = _mm_loadu_ps(p1), x2 = _mm_loadu_ps(p2), x3 = _mm_loadu_ps(p3);
  _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
  a = F(x0), b = F(x1), c = F(x2), d = F(x3);
}
// Two floats at p[l] (8 bytes per lane).
inline void gather2(const float* p0, const float* p1, const float* p2, const float* p3, F& a, F& b) {
  const __m128 lo = _mm_loadh_pi(_mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(p0)), reinterpret_cast<const __m64*>(p1));
  const __m128 hi = _mm_loadh_pi(_mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(p2)), reinterpret_cast<const __m64*>(p3));
  a = F(_mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
  b = F(_mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
}
inline F gather1(float a, float b, float c, float d) { return F(_mm_setr_ps(a, b, c, d)); }

// The two bodies of four manifolds (PairVelocities, lane by lane).
struct Pairs {
  V3 va, wa, vb, wb;
  F ima, imb;
  M3 ia, ib;
};

// Four manifolds c[first ..], of which `lanes` are real; the rest repeat the
// last and are masked off.
struct Group {
  int index[kLanes];
  M live;  // a real manifold with a body that moves (contact_active)
  V3 n;
  F friction;
  int count[kLanes];
  Pairs v;
  // PairMotion
  V3 shift, ab;
  F closing;
  V3 dtheta_a, dtheta_b;
  V3 t1, t2;
  // Belt surface velocity (ContactExtra; zero without extras).
  V3 belt;
  F belt_spin;
};

// Lanes of manifolds in worlds w with only[w] <= 0 (when only is given;
// a manifold's world is c.a / nbody) are masked off like inactive ones.
inline void load_group(const Contact* c, const ContactExtra* x, int first, int lanes, const SolverBodies& s, Group& g,
                       const int32_t* only = nullptr, int nbody = 0) {
  const Contact* k[kLanes];
  int a[kLanes], b[kLanes], live[kLanes];
  float share[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    g.index[l] = first + (l < lanes ? l : lanes - 1);
    k[l] = &c[g.index[l]];
    g.count[l] = k[l]->count;
    a[l] = k[l]->a, b[l] = k[l]->b;
    live[l] = l < lanes && (s.inv_mass[a[l]] > 0.0f || s.inv_mass[b[l]] > 0.0f) && (!only || only[a[l] / nbody] > 0) ? -1 : 0;
    share[l] = float(k[l]->follow) * (1.0f / float(kFollowFull));
  }
  g.live = M{live[0], live[1], live[2], live[3]};
  // normal and friction: 16 contiguous bytes
  gather4(&k[0]->normal.x, &k[1]->normal.x, &k[2]->normal.x, &k[3]->normal.x, g.n.x, g.n.y, g.n.z, g.friction);
  Pairs& v = g.v;
  v.va = gather(s.vel[a[0]], s.vel[a[1]], s.vel[a[2]], s.vel[a[3]]);
  v.wa = gather(s.angvel[a[0]], s.angvel[a[1]], s.angvel[a[2]], s.angvel[a[3]]);
  v.vb = gather(s.vel[b[0]], s.vel[b[1]], s.vel[b[2]], s.vel[b[3]]);
  v.wb = gather(s.angvel[b[0]], s.angvel[b[1]], s.angvel[b[2]], s.angvel[b[3]]);
  v.ima = gather1(s.inv_mass[a[0]], s.inv_mass[a[1]], s.inv_mass[a[2]], s.inv_mass[a[3]]);
  v.imb = gather1(s.inv_mass[b[0]], s.inv_mass[b[1]], s.inv_mass[b[2]], s.inv_mass[b[3]]);
  auto rows = [&](const int* i, M3& m) {
    const Mat3 *m0 = &s.inv_inertia[i[0]], *m1 = &s.inv_inertia[i[1]], *m2 = &s.inv_inertia[i[2]], *m3 = &s.inv_inertia[i[3]];
    m.r0 = gather(m0->r0, m1->r0, m2->r0, m3->r0);
    m.r1 = gather(m0->r1, m1->r1, m2->r1, m3->r1);
    m.r2 = gather(m0->r2, m1->r2, m2->r2, m3->r2);
  };
  rows(a, v.ia);
  rows(b, v.ib);
  // pair_motion()
  const V3 dpa = gather(s.delta[a[0]].dp, s.delta[a[1]].dp, s.delta[a[2]].dp, s.delta[a[3]].dp);
  const V3 dpb = gather(s.delta[b[0]].dp, s.delta[b[1]].dp, s.delta[b[2]].dp, s.delta[b[3]].dp);
  const V3 dd = dpb - dpa;
  g.shift = F{share[0], share[1], share[2], share[3]} * dd;
  g.ab = gather(s.pos[b[0]], s.pos[b[1]], s.pos[b[2]], s.pos[b[3]]) - gather(s.pos[a[0]], s.pos[a[1]], s.pos[a[2]], s.pos[a[3]]);
  g.closing = dot(dd, g.n);
  g.dtheta_a = gather(s.delta[a[0]].dtheta, s.delta[a[1]].dtheta, s.delta[a[2]].dtheta, s.delta[a[3]].dtheta);
  g.dtheta_b = gather(s.delta[b[0]].dtheta, s.delta[b[1]].dtheta, s.delta[b[2]].dtheta, s.delta[b[3]].dtheta);
  // tangents(): any_perpendicular(n), then n x t1.
  const F one = splat(1.0f), zero = splat(0.0f);
  const M use_x = (g.n.x < splat(0.57735f)) & (g.n.x > splat(-0.57735f));  // fabsf(n.x) < 0.57735
  const V3 axis{sel(use_x, one, zero), sel(use_x, zero, one), zero};
  const V3 c1 = cross(g.n, axis);
  const F len = vsqrt(dot(c1, c1));
  const M positive = len > zero;
  const F inv = one / sel(positive, len, one);
  g.t1 = sel(positive, inv * c1, V3{zero, zero, zero});
  g.t2 = cross(g.n, g.t1);
  if (x) {
    const ContactExtra *e0 = &x[g.index[0]], *e1 = &x[g.index[1]], *e2 = &x[g.index[2]], *e3 = &x[g.index[3]];
    gather4(&e0->belt.x, &e1->belt.x, &e2->belt.x, &e3->belt.x, g.belt.x, g.belt.y, g.belt.z, g.belt_spin);
  }
}

inline void store_bodies(const Group& g, const Contact* c, const SolverBodies& s) {
  for (int l = 0; l < kLanes; ++l) {
    if (!g.live[l]) continue;
    const Contact& k = c[g.index[l]];
    if (g.v.ima[l] > 0.0f) s.vel[k.a] = get(g.v.va, l), s.angvel[k.a] = get(g.v.wa, l);
    if (g.v.imb[l] > 0.0f) s.vel[k.b] = get(g.v.vb, l), s.angvel[k.b] = get(g.v.wb, l);
  }
}

// One point slot of the four manifolds: point k of lane l, where k is the
// slot's place in the lane's visiting order.
struct Slot {
  int point[kLanes];  // the point's index in its manifold, or -1
  M used;
  V3 anchor;            // ContactPoint::ra
  V3 ra, rb, rna, rnb;  // PointNow
  F separation;
  F max_impulse;        // ContactExtra::max_normal_impulse
  F normal_mass, tangent_mass1, tangent_mass2;
  F normal_impulse, tangent_impulse1, tangent_impulse2;
};

inline void load_slot(const Contact* c, const ContactExtra* x, const Group& g, int slot, bool reverse, Slot& p) {
  int used[kLanes];
  const ContactPoint* q[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    const int count = g.count[l];
    const int k = slot < count ? (reverse ? count - 1 - slot : slot) : -1;
    p.point[l] = k;
    used[l] = k >= 0 && g.live[l] ? -1 : 0;
    q[l] = &c[g.index[l]].p[k >= 0 ? k : 0];
  }
  p.used = M{used[0], used[1], used[2], used[3]};
  // ra, separation | normal_mass, tangent masses, normal_impulse | tangent impulses
  V3 ra0;
  F sep0;
  gather4(&q[0]->ra.x, &q[1]->ra.x, &q[2]->ra.x, &q[3]->ra.x, ra0.x, ra0.y, ra0.z, sep0);
  gather4(&q[0]->normal_mass, &q[1]->normal_mass, &q[2]->normal_mass, &q[3]->normal_mass, p.normal_mass,
          p.tangent_mass1, p.tangent_mass2, p.normal_impulse);
  gather2(&q[0]->tangent_impulse1, &q[1]->tangent_impulse1, &q[2]->tangent_impulse1, &q[3]->tangent_impulse1,
          p.tangent_impulse1, p.tangent_impulse2);
  p.anchor = ra0;
  if (x) {
    float m[kLanes];
    for (int l = 0; l < kLanes; ++l) m[l] = x[g.index[l]].max_normal_impulse[p.point[l] >= 0 ? p.point[l] : 0];
    p.max_impulse = gather1(m[0], m[1], m[2], m[3]);
  }
  // point_now()
  p.ra = ra0 + g.shift;
  p.rb = p.ra - g.ab;
  p.rna = cross(p.ra, g.n);
  p.rnb = cross(p.rb, g.n);
  p.separation = sep0 + g.closing + dot(g.dtheta_b, p.rnb) - dot(g.dtheta_a, p.rna);
}

inline void store_slot(Contact* c, ContactExtra* x, const Group& g, const Slot& p) {
  for (int l = 0; l < kLanes; ++l) {
    if (!p.used[l]) continue;
    ContactPoint& q = c[g.index[l]].p[p.point[l]];
    q.normal_impulse = p.normal_impulse[l];
    q.tangent_impulse1 = p.tangent_impulse1[l];
    q.tangent_impulse2 = p.tangent_impulse2[l];
    if (x) x[g.index[l]].max_normal_impulse[p.point[l]] = p.max_impulse[l];
  }
}

// Whether some of the manifolds need the scalar kernel: rolling or
// spinning friction (a torque per manifold, solved after the points).
inline bool needs_scalar(const ContactExtra* x, int first, int lanes) {
  if (!x) return false;
  for (int l = 0; l < lanes; ++l) {
    const ContactExtra& e = x[first + l];
    if (e.rolling != 0.0f || e.spinning != 0.0f || e.angular_impulse.x != 0.0f || e.angular_impulse.y != 0.0f ||
        e.angular_impulse.z != 0.0f)
      return true;
  }
  return false;
}

// carries_impulse(), lane by lane.
inline M carries(const Slot& p) {
  const F zero = splat(0.0f);
  return (p.normal_impulse != zero) | (p.tangent_impulse1 != zero) | (p.tangent_impulse2 != zero);
}

// push(): impulse at the slot's point, on lanes m.
inline void push(Pairs& v, const Slot& p, V3 impulse, M m) {
  const F zero = splat(0.0f);
  const M ma = m & (v.ima > zero), mb = m & (v.imb > zero);
  v.va = sel(ma, v.va - v.ima * impulse, v.va);
  v.wa = sel(ma, v.wa - v.ia * cross(p.ra, impulse), v.wa);
  v.vb = sel(mb, v.vb + v.imb * impulse, v.vb);
  v.wb = sel(mb, v.wb + v.ib * cross(p.rb, impulse), v.wb);
}

// The most points among the group's live manifolds.
inline int max_points(const Group& g) {
  int n = 0;
  for (int l = 0; l < kLanes; ++l)
    if (g.live[l] && g.count[l] > n) n = g.count[l];
  return n;
}

// warm_start_contact() of c[first], ..., c[first + lanes - 1] (x: their
// extras, or null).
inline void warm_start_contacts(const Contact* c, const ContactExtra* x, int first, int lanes, const SolverBodies& s) {
  if (needs_scalar(x, first, lanes)) {
    for (int i = first; i < first + lanes; ++i) warm_start_contact(c[i], &x[i], s);
    return;
  }
  Group g;
  load_group(c, nullptr, first, lanes, s, g);
  if (!any(g.live)) return;
  const int points = max_points(g);
  for (int i = 0; i < points; ++i) {
    Slot p;
    load_slot(c, nullptr, g, i, false, p);
    const M m = p.used & carries(p);
    if (!any(m)) continue;
    push(g.v, p, p.normal_impulse * g.n + p.tangent_impulse1 * g.t1 + p.tangent_impulse2 * g.t2, m);
  }
  store_bodies(g, c, s);
}

// solve_contact() of c[first], ..., c[first + lanes - 1] (x: their
// extras, or null); given `only`, of those in worlds w with only[w] > 0.
inline void solve_contacts(Contact* c, ContactExtra* x, int first, int lanes, const SolverBodies& s, float inv_h,
                           Softness soft, Softness static_soft, bool use_bias, bool reverse,
                           const int32_t* only = nullptr, int nbody = 0, const int32_t* stiff = nullptr,
                           Softness stiff_soft = {}, Softness stiff_static = {}) {
  auto is_stiff = [&](int i) { return stiff && stiff[c[i].a / nbody] > 0; };
  if (needs_scalar(x, first, lanes)) {
    for (int i = first; i < first + lanes; ++i)
      if (!only || only[c[i].a / nbody] > 0)
        solve_contact(c[i], &x[i], s, inv_h, is_stiff(i) ? stiff_soft : soft, is_stiff(i) ? stiff_static : static_soft,
                      use_bias, reverse);
    return;
  }
  Group g;
  load_group(c, x, first, lanes, s, g, only, nbody);
  if (!any(g.live)) return;
  const F zero = splat(0.0f), one = splat(1.0f);
  const M fixed_side = (g.v.ima == zero) | (g.v.imb == zero);
  F bias_rate = sel(fixed_side, splat(static_soft.bias_rate), splat(soft.bias_rate));
  F mass_scale = sel(fixed_side, splat(static_soft.mass_scale), splat(soft.mass_scale));
  F impulse_scale = sel(fixed_side, splat(static_soft.impulse_scale), splat(soft.impulse_scale));
  if (stiff && use_bias) {
    const M st{is_stiff(g.index[0]) ? -1 : 0, is_stiff(g.index[1]) ? -1 : 0, is_stiff(g.index[2]) ? -1 : 0,
               is_stiff(g.index[3]) ? -1 : 0};
    bias_rate = sel(st, sel(fixed_side, splat(stiff_static.bias_rate), splat(stiff_soft.bias_rate)), bias_rate);
    mass_scale = sel(st, sel(fixed_side, splat(stiff_static.mass_scale), splat(stiff_soft.mass_scale)), mass_scale);
    impulse_scale =
        sel(st, sel(fixed_side, splat(stiff_static.impulse_scale), splat(stiff_soft.impulse_scale)), impulse_scale);
  }
  const int points = max_points(g);
  Slot slots[4];
  for (int i = 0; i < points; ++i) load_slot(c, x, g, i, reverse, slots[i]);
  Pairs& v = g.v;
  for (int i = 0; i < points; ++i) {
    Slot& p = slots[i];
    const F sep = p.separation;
    const M speculative = sep > zero;
    F bias = sel(speculative, sep * splat(inv_h), zero), ms = one, is = zero;
    if (use_bias) {
      bias = sel(speculative, bias, vmax(bias_rate * sep, splat(-kMaxPushOut)));
      ms = sel(speculative, one, mass_scale);
      is = sel(speculative, zero, impulse_scale);
    }
    const F vn = dot(v.vb - v.va, g.n) + dot(v.wb, p.rnb) - dot(v.wa, p.rna);
    F impulse = -p.normal_mass * ms * (vn + bias) - is * p.normal_impulse;
    const F updated = vmax(p.normal_impulse + impulse, zero);
    impulse = updated - p.normal_impulse;
    p.normal_impulse = sel(p.used, updated, p.normal_impulse);
    if (x) p.max_impulse = vmax(p.max_impulse, impulse);
    // push_normal()
    const M m = p.used & (impulse != zero);
    const M ma = m & (v.ima > zero), mb = m & (v.imb > zero);
    v.va = sel(ma, v.va - (v.ima * impulse) * g.n, v.va);
    v.wa = sel(ma, v.wa - v.ia * (impulse * p.rna), v.wa);
    v.vb = sel(mb, v.vb + (v.imb * impulse) * g.n, v.vb);
    v.wb = sel(mb, v.wb + v.ib * (impulse * p.rnb), v.wb);
  }
  for (int i = 0; i < points; ++i) {
    Slot& p = slots[i];
    const M m = p.used & carries(p);
    if (!any(m)) continue;
    V3 dv = (v.vb + cross(v.wb, p.rb)) - (v.va + cross(v.wa, p.ra));
    if (x) {
      // belt_slip(): the belt's velocity at the anchor
      const V3 turn{-p.anchor.y, p.anchor.x, zero};
      dv = dv - (g.belt + g.belt_spin * turn);
    }
    F l1 = p.tangent_impulse1 - p.tangent_mass1 * dot(dv, g.t1);
    F l2 = p.tangent_impulse2 - p.tangent_mass2 * dot(dv, g.t2);
    const F limit = g.friction * p.normal_impulse;
    const F mag2 = l1 * l1 + l2 * l2;
    const M clamp = mag2 > limit * limit;
    const F scale = limit / vsqrt(sel(clamp, mag2, one));
    l1 = sel(clamp, l1 * scale, l1);
    l2 = sel(clamp, l2 * scale, l2);
    const V3 impulse = (l1 - p.tangent_impulse1) * g.t1 + (l2 - p.tangent_impulse2) * g.t2;
    p.tangent_impulse1 = sel(m, l1, p.tangent_impulse1);
    p.tangent_impulse2 = sel(m, l2, p.tangent_impulse2);
    push(v, p, impulse, m);
  }
  for (int i = 0; i < points; ++i) store_slot(c, x, g, slots[i]);
  store_bodies(g, c, s);
}

}  // namespace werk::wide

#endif
