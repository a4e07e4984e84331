// The lane code of the CPU's contact passes, included by
// contact_solver_wide.h once per lane width: the includer defines kLanes,
// the vector types F (floats) and M (lane masks), vsqrt, any, and the
// loads gather (a Vec3 per lane), gather4 and gather2 (rows of four and two
// floats per lane) and gather1 (a float per lane).

inline F splat(float v) {
  F r;
  for (int l = 0; l < kLanes; ++l) r[l] = v;
  return r;
}
inline M to_mask(const int* v) {
  M r;
  for (int l = 0; l < kLanes; ++l) r[l] = v[l];
  return r;
}
inline F sel(M m, F a, F b) { return m ? a : b; }
inline F vmax(F a, F b) { return sel(a > b, a, b); }  // maxf, lane by lane

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

// The two bodies of the lanes' manifolds (PairVelocities, lane by lane).
struct Pairs {
  V3 va, wa, vb, wb;
  F ima, imb;
  M3 ia, ib;  // unless kTurnScalar
  F ka, kb;   // ia.r0.x, ib.r0.x
  M scalar;   // kTurnEach: the lanes whose pair turns by ka and kb
};

// is_scalar_inertia(), lane by lane.
inline M scalar_inertia(const M3& m) {
  const F zero = splat(0.0f);
  return (m.r0.y == zero) & (m.r0.z == zero) & (m.r1.x == zero) & (m.r1.z == zero) & (m.r2.x == zero) &
         (m.r2.y == zero) & (m.r0.x == m.r1.y) & (m.r1.y == m.r2.z);
}

// turn(): the angular velocity an angular impulse l gives one side.
template <int kTurn>
inline V3 turn(const M3& m, F k, M scalar, V3 l) {
  if constexpr (kTurn == kTurnScalar) return k * l;
  else if constexpr (kTurn == kTurnMatrix) return m * l;
  else return sel(scalar, k * l, m * l);
}

// kLanes manifolds c[first ..], of which `lanes` are real; the rest repeat
// the last and are masked off.
struct Group {
  int index[kLanes];
  int a[kLanes], b[kLanes];
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

// The lanes whose manifolds are real and have a body that moves, and (when
// only is given) lie in worlds w with only[w] > 0 (a manifold's world is
// a / nbody).
inline M live_lanes(const int* a, const int* b, int lanes, const SolverBodies& s, const int32_t* only, int nbody) {
  int live[kLanes];
  for (int l = 0; l < kLanes; ++l)
    live[l] = l < lanes && (s.inv_mass[a[l]] > 0.0f || s.inv_mass[b[l]] > 0.0f) && (!only || only[a[l] / nbody] > 0) ? -1 : 0;
  return to_mask(live);
}

// tangents(): any_perpendicular(n), then n x t1.
inline void lane_tangents(V3 n, V3& t1, V3& t2) {
  const F one = splat(1.0f), zero = splat(0.0f);
  const M use_x = (n.x < splat(0.57735f)) & (n.x > splat(-0.57735f));  // fabsf(n.x) < 0.57735
  const V3 axis{sel(use_x, one, zero), sel(use_x, zero, one), zero};
  const V3 c1 = cross(n, axis);
  const F len = vsqrt(dot(c1, c1));
  const M positive = len > zero;
  const F inv = one / sel(positive, len, one);
  t1 = sel(positive, inv * c1, V3{zero, zero, zero});
  t2 = cross(n, t1);
}

// The bodies' velocities, masses and motion since the step's start
// (PairVelocities, pair_motion()), given g.a, g.b and g.n. A fixed side's
// zeros are the values it holds, so the arithmetic is the same.
template <int kFixed = kNoneFixed, bool kMotion = true, int kTurn = kTurnEach>
inline void load_bodies(const SolverBodies& s, F share, Group& g) {
  const int* a = g.a;
  const int* b = g.b;
  Pairs& v = g.v;
  const F zero = splat(0.0f);
  const V3 none{zero, zero, zero};
  auto rows = [&](const int* i, M3& m, F& k) {
    if constexpr (kTurn == kTurnScalar) {
      k = gather1([&](int l) { return s.inv_inertia[i[l]].r0.x; });
      return;
    }
    m.r0 = gather([&](int l) -> const Vec3& { return s.inv_inertia[i[l]].r0; });
    m.r1 = gather([&](int l) -> const Vec3& { return s.inv_inertia[i[l]].r1; });
    m.r2 = gather([&](int l) -> const Vec3& { return s.inv_inertia[i[l]].r2; });
    k = m.r0.x;
  };
  V3 dpa = none, dpb = none;
  if constexpr (kFixed != kAFixed) {
    v.va = gather([&](int l) -> const Vec3& { return s.vel[a[l]]; });
    v.wa = gather([&](int l) -> const Vec3& { return s.angvel[a[l]]; });
    v.ima = gather1([&](int l) { return s.inv_mass[a[l]]; });
    rows(a, v.ia, v.ka);
    if (kMotion) dpa = gather([&](int l) -> const Vec3& { return s.delta[a[l]].dp; });
  } else {
    v.va = v.wa = none, v.ima = zero, v.ia = M3{none, none, none}, v.ka = zero;
  }
  if constexpr (kFixed != kBFixed) {
    v.vb = gather([&](int l) -> const Vec3& { return s.vel[b[l]]; });
    v.wb = gather([&](int l) -> const Vec3& { return s.angvel[b[l]]; });
    v.imb = gather1([&](int l) { return s.inv_mass[b[l]]; });
    rows(b, v.ib, v.kb);
    if (kMotion) dpb = gather([&](int l) -> const Vec3& { return s.delta[b[l]].dp; });
  } else {
    v.vb = v.wb = none, v.imb = zero, v.ib = M3{none, none, none}, v.kb = zero;
  }
  if constexpr (kTurn == kTurnEach) v.scalar = scalar_inertia(v.ia) & scalar_inertia(v.ib);
  // pair_motion(), unless the caller has the points' geometry already
  if (!kMotion) return;
  const V3 dd = dpb - dpa;
  g.shift = share * dd;
  g.ab = gather([&](int l) -> const Vec3& { return s.pos[b[l]]; }) - gather([&](int l) -> const Vec3& { return s.pos[a[l]]; });
  g.closing = dot(dd, g.n);
  g.dtheta_a = gather([&](int l) -> const Vec3& { return s.delta[a[l]].dtheta; });
  g.dtheta_b = gather([&](int l) -> const Vec3& { return s.delta[b[l]].dtheta; });
}

// Lanes of manifolds in worlds w with only[w] <= 0 (when only is given;
// a manifold's world is c.a / nbody) are masked off like inactive ones.
inline void load_group(const Contact* c, const ContactExtra* x, int first, int lanes, const SolverBodies& s, Group& g,
                       const int32_t* only = nullptr, int nbody = 0) {
  const Contact* k[kLanes];
  float share[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    g.index[l] = first + (l < lanes ? l : lanes - 1);
    k[l] = &c[g.index[l]];
    g.count[l] = k[l]->count;
    g.a[l] = k[l]->a, g.b[l] = k[l]->b;
    share[l] = float(k[l]->follow) * (1.0f / float(kFollowFull));
  }
  g.live = live_lanes(g.a, g.b, lanes, s, only, nbody);
  // normal and friction: 16 contiguous bytes
  gather4([&](int l) { return &k[l]->normal.x; }, g.n.x, g.n.y, g.n.z, g.friction);
  load_bodies(s, gather1([&](int l) { return share[l]; }), g);
  lane_tangents(g.n, g.t1, g.t2);
  if (x) {
    gather4([&](int l) { return &x[g.index[l]].belt.x; }, g.belt.x, g.belt.y, g.belt.z, g.belt_spin);
  }
}

template <int kFixed = kNoneFixed>
inline void store_bodies(const Group& g, const SolverBodies& s) {
  for (int l = 0; l < kLanes; ++l) {
    if (!g.live[l]) continue;
    if (kFixed != kAFixed && g.v.ima[l] > 0.0f) s.vel[g.a[l]] = get(g.v.va, l), s.angvel[g.a[l]] = get(g.v.wa, l);
    if (kFixed != kBFixed && g.v.imb[l] > 0.0f) s.vel[g.b[l]] = get(g.v.vb, l), s.angvel[g.b[l]] = get(g.v.wb, l);
  }
}

// One point slot of the lanes' manifolds: point k of lane l, where k is the
// slot's place in the lane's visiting order.
struct Slot {
  int point[kLanes];  // the point's index in its manifold, or -1
  int row;            // in a packed group: the row all lanes' points are in, or -1
  M points;           // in a packed group: each lane's point (row), or -1
  M used;
  V3 anchor;            // ContactPoint::ra
  V3 ra, rb, rna, rnb;  // PointNow
  F separation;
  F max_impulse;        // ContactExtra::max_normal_impulse
  F normal_mass, tangent_mass1, tangent_mass2;
  F normal_impulse, tangent_impulse1, tangent_impulse2;
};

// point_now(): the slot's anchors and separation now, from its anchor and
// separation at the step's start.
inline void point_now(const Group& g, V3 anchor, F separation, Slot& p) {
  p.anchor = anchor;
  p.ra = anchor + g.shift;
  p.rb = p.ra - g.ab;
  p.rna = cross(p.ra, g.n);
  p.rnb = cross(p.rb, g.n);
  p.separation = separation + g.closing + dot(g.dtheta_b, p.rnb) - dot(g.dtheta_a, p.rna);
}

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
  p.used = to_mask(used);
  // ra, separation | normal_mass, tangent masses, normal_impulse | tangent impulses
  V3 ra0;
  F sep0;
  gather4([&](int l) { return &q[l]->ra.x; }, ra0.x, ra0.y, ra0.z, sep0);
  gather4([&](int l) { return &q[l]->normal_mass; }, p.normal_mass, p.tangent_mass1, p.tangent_mass2, p.normal_impulse);
  gather2([&](int l) { return &q[l]->tangent_impulse1; }, p.tangent_impulse1, p.tangent_impulse2);
  if (x) {
    float m[kLanes];
    for (int l = 0; l < kLanes; ++l) m[l] = x[g.index[l]].max_normal_impulse[p.point[l] >= 0 ? p.point[l] : 0];
    p.max_impulse = gather1([&](int l) { return m[l]; });
  }
  point_now(g, ra0, sep0, p);
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
template <int kFixed = kNoneFixed, int kTurn = kTurnEach>
inline void push(Pairs& v, const Slot& p, V3 impulse, M m) {
  const F zero = splat(0.0f);
  if constexpr (kFixed != kAFixed) {
    const M ma = m & (v.ima > zero);
    v.va = sel(ma, v.va - v.ima * impulse, v.va);
    v.wa = sel(ma, v.wa - turn<kTurn>(v.ia, v.ka, v.scalar, cross(p.ra, impulse)), v.wa);
  }
  if constexpr (kFixed != kBFixed) {
    const M mb = m & (v.imb > zero);
    v.vb = sel(mb, v.vb + v.imb * impulse, v.vb);
    v.wb = sel(mb, v.wb + turn<kTurn>(v.ib, v.kb, v.scalar, cross(p.rb, impulse)), v.wb);
  }
}

// The most points among the group's live manifolds.
inline int max_points(const Group& g) {
  int n = 0;
  for (int l = 0; l < kLanes; ++l)
    if (g.live[l] && g.count[l] > n) n = g.count[l];
  return n;
}

// The warm start's pushes of a loaded group's slots.
template <int kFixed = kNoneFixed, int kTurn = kTurnEach>
inline void warm_start_slots(Group& g, const Slot* slots, int points) {
  for (int i = 0; i < points; ++i) {
    const Slot& p = slots[i];
    const M m = p.used & carries(p);
    if (!any(m)) continue;
    push<kFixed, kTurn>(g.v, p, p.normal_impulse * g.n + p.tangent_impulse1 * g.t1 + p.tangent_impulse2 * g.t2, m);
  }
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
  Slot slots[4];
  for (int i = 0; i < points; ++i) load_slot(c, nullptr, g, i, false, slots[i]);
  warm_start_slots(g, slots, points);
  store_bodies(g, s);
}

// The softness of each lane's manifold (solve_contact's choice): static
// where one side cannot move, stiffer in worlds w with stiff[w] > 0.
struct LaneSoftness {
  F bias_rate, mass_scale, impulse_scale;
};
inline LaneSoftness lane_softness(const Group& g, Softness soft, Softness static_soft, bool use_bias,
                                  const int32_t* stiff, int nbody, Softness stiff_soft, Softness stiff_static) {
  const F zero = splat(0.0f);
  const M fixed_side = (g.v.ima == zero) | (g.v.imb == zero);
  LaneSoftness k;
  k.bias_rate = sel(fixed_side, splat(static_soft.bias_rate), splat(soft.bias_rate));
  k.mass_scale = sel(fixed_side, splat(static_soft.mass_scale), splat(soft.mass_scale));
  k.impulse_scale = sel(fixed_side, splat(static_soft.impulse_scale), splat(soft.impulse_scale));
  if (stiff && use_bias) {
    int stiff_lane[kLanes];
    for (int l = 0; l < kLanes; ++l) stiff_lane[l] = stiff[g.a[l] / nbody] > 0 ? -1 : 0;
    const M st = to_mask(stiff_lane);
    k.bias_rate = sel(st, sel(fixed_side, splat(stiff_static.bias_rate), splat(stiff_soft.bias_rate)), k.bias_rate);
    k.mass_scale = sel(st, sel(fixed_side, splat(stiff_static.mass_scale), splat(stiff_soft.mass_scale)), k.mass_scale);
    k.impulse_scale =
        sel(st, sel(fixed_side, splat(stiff_static.impulse_scale), splat(stiff_soft.impulse_scale)), k.impulse_scale);
  }
  return k;
}

// solve_contact()'s normal and friction updates of a loaded group's slots
// (belt: whether the manifolds have extras).
template <int kFixed = kNoneFixed, int kTurn = kTurnEach>
inline void solve_slots(Group& g, Slot* slots, int points, const LaneSoftness& k, float inv_h, bool use_bias,
                        bool belt) {
  const F zero = splat(0.0f), one = splat(1.0f);
  Pairs& v = g.v;
  for (int i = 0; i < points; ++i) {
    Slot& p = slots[i];
    const F sep = p.separation;
    const M speculative = sep > zero;
    F bias = sel(speculative, sep * splat(inv_h), zero), ms = one, is = zero;
    if (use_bias) {
      bias = sel(speculative, bias, vmax(k.bias_rate * sep, splat(-kMaxPushOut)));
      ms = sel(speculative, one, k.mass_scale);
      is = sel(speculative, zero, k.impulse_scale);
    }
    const F vn = dot(v.vb - v.va, g.n) + dot(v.wb, p.rnb) - dot(v.wa, p.rna);
    F impulse = -p.normal_mass * ms * (vn + bias) - is * p.normal_impulse;
    const F updated = vmax(p.normal_impulse + impulse, zero);
    impulse = updated - p.normal_impulse;
    p.normal_impulse = sel(p.used, updated, p.normal_impulse);
    if (belt) p.max_impulse = vmax(p.max_impulse, impulse);
    // push_normal()
    const M m = p.used & (impulse != zero);
    if constexpr (kFixed != kAFixed) {
      const M ma = m & (v.ima > zero);
      v.va = sel(ma, v.va - (v.ima * impulse) * g.n, v.va);
      v.wa = sel(ma, v.wa - turn<kTurn>(v.ia, v.ka, v.scalar, impulse * p.rna), v.wa);
    }
    if constexpr (kFixed != kBFixed) {
      const M mb = m & (v.imb > zero);
      v.vb = sel(mb, v.vb + (v.imb * impulse) * g.n, v.vb);
      v.wb = sel(mb, v.wb + turn<kTurn>(v.ib, v.kb, v.scalar, impulse * p.rnb), v.wb);
    }
  }
  for (int i = 0; i < points; ++i) {
    Slot& p = slots[i];
    const M m = p.used & carries(p);
    if (!any(m)) continue;
    V3 dv = (v.vb + cross(v.wb, p.rb)) - (v.va + cross(v.wa, p.ra));
    if (belt) {
      // belt_slip(): the belt's velocity at the anchor
      const V3 turn{-p.anchor.y, p.anchor.x, zero};
      dv = dv - (g.belt + g.belt_spin * turn);
    }
    F l1 = p.tangent_impulse1 - p.tangent_mass1 * dot(dv, g.t1);
    F l2 = p.tangent_impulse2 - p.tangent_mass2 * dot(dv, g.t2);
    const F limit = g.friction * p.normal_impulse;
    const F mag2 = l1 * l1 + l2 * l2;
    const M clamp = mag2 > limit * limit;
    if (any(clamp & m)) {  // most points of a resting pile hold inside the cone
      const F scale = limit / vsqrt(sel(clamp, mag2, one));
      l1 = sel(clamp, l1 * scale, l1);
      l2 = sel(clamp, l2 * scale, l2);
    }
    const V3 impulse = (l1 - p.tangent_impulse1) * g.t1 + (l2 - p.tangent_impulse2) * g.t2;
    p.tangent_impulse1 = sel(m, l1, p.tangent_impulse1);
    p.tangent_impulse2 = sel(m, l2, p.tangent_impulse2);
    push<kFixed, kTurn>(v, p, impulse, m);
  }
}

// solve_contact() of c[first], ..., c[first + lanes - 1] (x: their
// extras, or null); given `only`, of those in worlds w with only[w] > 0.
inline void solve_contacts(Contact* c, ContactExtra* x, int first, int lanes, const SolverBodies& s, float inv_h,
                           Softness soft, Softness static_soft, bool use_bias, bool reverse,
                           const int32_t* only = nullptr, int nbody = 0, const int32_t* stiff = nullptr,
                           Softness stiff_soft = {}, Softness stiff_static = {}) {
  if (needs_scalar(x, first, lanes)) {
    for (int i = first; i < first + lanes; ++i) {
      if (only && only[c[i].a / nbody] <= 0) continue;
      const bool st = stiff && stiff[c[i].a / nbody] > 0;
      solve_contact(c[i], &x[i], s, inv_h, st ? stiff_soft : soft, st ? stiff_static : static_soft, use_bias, reverse);
    }
    return;
  }
  Group g;
  load_group(c, x, first, lanes, s, g, only, nbody);
  if (!any(g.live)) return;
  const LaneSoftness k = lane_softness(g, soft, static_soft, use_bias, stiff, nbody, stiff_soft, stiff_static);
  const int points = max_points(g);
  Slot slots[4];
  for (int i = 0; i < points; ++i) load_slot(c, x, g, i, reverse, slots[i]);
  solve_slots(g, slots, points, k, inv_h, use_bias, x != nullptr);
  for (int i = 0; i < points; ++i) store_slot(c, x, g, slots[i]);
  store_bodies(g, s);
}

// ---- Manifolds held in lane form for a whole step ------------------------
//
// What the passes read of a group's manifolds and do not change within a
// step (normals, tangents, anchors, effective masses, belts) is laid out
// once, lane by lane, with the impulses the passes update: each pass then
// loads and stores them whole instead of gathering them from the
// manifolds. Only the bodies are gathered. The impulses go back to the
// manifolds once, after the step's sub-steps (unpack_group). Same
// arithmetic, so the same bits.

// Point k of each lane's manifold (zeros where the manifold has fewer).
struct alignas(sizeof(F)) PackedPoint {
  V3 anchor;  // ContactPoint::ra
  F separation, normal_mass, tangent_mass1, tangent_mass2;
  F normal_impulse, tangent_impulse1, tangent_impulse2;
  F max_impulse;  // ContactExtra::max_normal_impulse (zero without extras)
};
// Where point k of each lane is now (point_now()): the same in every pass
// until the bodies move again, so computed once per sub-step.
struct alignas(sizeof(F)) PackedGeometry {
  V3 ra, rb, rna, rnb;
  F separation;
};
struct alignas(sizeof(F)) PackedGroup {
  V3 n, t1, t2;
  F friction, share;
  V3 belt;  // ContactExtra (zero without extras)
  F belt_spin;
  PackedPoint p[4];
  PackedGeometry geo[4];  // of p, as of the last pass that moved (see solve_packed)
  M counts;         // count, as a vector
  int index[kLanes], a[kLanes], b[kLanes], count[kLanes];
  int lanes;
  int max_count;    // the most points of a lane
  int fixed;        // Fixed: a side fixed in every lane
  int turn;         // Turn: kTurnScalar when every lane's pair turns by scalars, else kTurnMatrix
  bool scalar;      // rolling or spinning friction: solved by the scalar kernels from the manifolds
  bool same_count;  // every lane's manifold has count points
};

// Packs manifolds c[index[0]], ..., c[index[lanes - 1]] (of one colour, in
// any order) into a group; fixed: a side fixed in all of them (Fixed);
// turn: kTurnScalar if all of them are pairs of scalar inertias, else
// kTurnMatrix (Turn).
inline void pack_group(const Contact* c, const ContactExtra* x, const int32_t* index, int lanes, int fixed, int turn,
                       PackedGroup& pg) {
  pg.lanes = lanes;
  pg.fixed = fixed;
  pg.turn = turn;
  pg.scalar = false;
  for (int l = 0; l < lanes; ++l) pg.scalar = pg.scalar || needs_scalar(x, index[l], 1);
  pg.same_count = true;
  pg.max_count = 0;
  const F zero = splat(0.0f);
  pg.belt = V3{zero, zero, zero}, pg.belt_spin = zero;
  for (int l = 0; l < kLanes; ++l) {
    const int i = index[l < lanes ? l : lanes - 1];
    const Contact& k = c[i];
    pg.index[l] = i, pg.a[l] = k.a, pg.b[l] = k.b, pg.count[l] = k.count;
    pg.same_count = pg.same_count && k.count == c[index[0]].count;
    pg.max_count = k.count > pg.max_count ? k.count : pg.max_count;
    pg.counts[l] = k.count;
    pg.n.x[l] = k.normal.x, pg.n.y[l] = k.normal.y, pg.n.z[l] = k.normal.z;
    pg.friction[l] = k.friction;
    pg.share[l] = float(k.follow) * (1.0f / float(kFollowFull));
    if (x) {
      pg.belt.x[l] = x[i].belt.x, pg.belt.y[l] = x[i].belt.y, pg.belt.z[l] = x[i].belt.z;
      pg.belt_spin[l] = x[i].belt_spin;
    }
    for (int j = 0; j < 4; ++j) {
      const bool has = j < k.count;
      const ContactPoint& q = k.p[has ? j : 0];
      PackedPoint& P = pg.p[j];
      P.anchor.x[l] = has ? q.ra.x : 0.0f, P.anchor.y[l] = has ? q.ra.y : 0.0f, P.anchor.z[l] = has ? q.ra.z : 0.0f;
      P.separation[l] = has ? q.separation : 0.0f;
      P.normal_mass[l] = has ? q.normal_mass : 0.0f;
      P.tangent_mass1[l] = has ? q.tangent_mass1 : 0.0f;
      P.tangent_mass2[l] = has ? q.tangent_mass2 : 0.0f;
      P.normal_impulse[l] = has ? q.normal_impulse : 0.0f;
      P.tangent_impulse1[l] = has ? q.tangent_impulse1 : 0.0f;
      P.tangent_impulse2[l] = has ? q.tangent_impulse2 : 0.0f;
      P.max_impulse[l] = has && x ? x[i].max_normal_impulse[j] : 0.0f;
    }
  }
  lane_tangents(pg.n, pg.t1, pg.t2);
}

// The passes' impulses back into the real lanes' manifolds.
inline void unpack_group(const PackedGroup& pg, Contact* c, ContactExtra* x) {
  if (pg.scalar) return;
  for (int l = 0; l < pg.lanes; ++l) {
    Contact& k = c[pg.index[l]];
    for (int j = 0; j < k.count; ++j) {
      const PackedPoint& P = pg.p[j];
      k.p[j].normal_impulse = P.normal_impulse[l];
      k.p[j].tangent_impulse1 = P.tangent_impulse1[l];
      k.p[j].tangent_impulse2 = P.tangent_impulse2[l];
      if (x) x[pg.index[l]].max_normal_impulse[j] = P.max_impulse[l];
    }
  }
}

inline void load_packed(const PackedGroup& pg, const SolverBodies& s, const int32_t* only, int nbody, Group& g) {
  for (int l = 0; l < kLanes; ++l) g.index[l] = pg.index[l], g.a[l] = pg.a[l], g.b[l] = pg.b[l], g.count[l] = pg.count[l];
  g.live = live_lanes(g.a, g.b, pg.lanes, s, only, nbody);
  g.n = pg.n, g.t1 = pg.t1, g.t2 = pg.t2;
  g.friction = pg.friction;
  g.belt = pg.belt, g.belt_spin = pg.belt_spin;
}

// v in every lane of a mask vector.
inline M splat_mask(int v) {
  M r;
  for (int l = 0; l < kLanes; ++l) r[l] = v;
  return r;
}

inline void load_packed_slot(const PackedGroup& pg, const Group& g, int slot, bool reverse, Slot& p) {
  // The point each lane visits (the slot-th, or the slot-th from the end
  // when reverse), used where it exists and the lane is live.
  const M count = pg.counts, at = splat_mask(slot);
  p.points = reverse ? count - splat_mask(1) - at : at;
  p.used = (p.points >= splat_mask(0)) & (p.points < count) & g.live;
  // Forward, every lane's slot-th point is row `slot` (lanes with fewer
  // points are not used there); backward too when every lane has as many.
  p.row = !reverse ? slot : pg.same_count ? g.count[0] - 1 - slot : -1;
  if (p.row >= 0) {
    const PackedPoint& P = pg.p[p.row];
    const PackedGeometry& G = pg.geo[p.row];
    p.normal_mass = P.normal_mass, p.tangent_mass1 = P.tangent_mass1, p.tangent_mass2 = P.tangent_mass2;
    p.normal_impulse = P.normal_impulse, p.tangent_impulse1 = P.tangent_impulse1, p.tangent_impulse2 = P.tangent_impulse2;
    p.max_impulse = P.max_impulse;
    p.anchor = P.anchor;
    p.ra = G.ra, p.rb = G.rb, p.rna = G.rna, p.rnb = G.rnb, p.separation = G.separation;
    return;
  }
  // Backward over lanes with different counts: each lane's row, by masks.
  const M m0 = p.points == splat_mask(0), m1 = p.points == splat_mask(1), m2 = p.points == splat_mask(2);
  auto pick = [&](auto PackedPoint::*field) {
    return sel(m0, pg.p[0].*field, sel(m1, pg.p[1].*field, sel(m2, pg.p[2].*field, pg.p[3].*field)));
  };
  p.normal_mass = pick(&PackedPoint::normal_mass);
  p.tangent_mass1 = pick(&PackedPoint::tangent_mass1);
  p.tangent_mass2 = pick(&PackedPoint::tangent_mass2);
  p.normal_impulse = pick(&PackedPoint::normal_impulse);
  p.tangent_impulse1 = pick(&PackedPoint::tangent_impulse1);
  p.tangent_impulse2 = pick(&PackedPoint::tangent_impulse2);
  p.max_impulse = pick(&PackedPoint::max_impulse);
  p.anchor = pick(&PackedPoint::anchor);
  auto geo = [&](auto PackedGeometry::*field) {
    return sel(m0, pg.geo[0].*field, sel(m1, pg.geo[1].*field, sel(m2, pg.geo[2].*field, pg.geo[3].*field)));
  };
  p.ra = geo(&PackedGeometry::ra), p.rb = geo(&PackedGeometry::rb);
  p.rna = geo(&PackedGeometry::rna), p.rnb = geo(&PackedGeometry::rnb);
  p.separation = geo(&PackedGeometry::separation);
}

// point_now() of every row of the group's points, after the bodies moved
// (g: loaded with their motion).
inline void update_geometry(PackedGroup& pg, const Group& g) {
  for (int j = 0; j < pg.max_count; ++j) {
    Slot p;
    point_now(g, pg.p[j].anchor, pg.p[j].separation, p);
    pg.geo[j] = PackedGeometry{p.ra, p.rb, p.rna, p.rnb, p.separation};
  }
}

inline void store_packed_slot(PackedGroup& pg, const Slot& p) {
  if (p.row >= 0) {
    // Lanes not used kept their values: whole rows go back.
    PackedPoint& P = pg.p[p.row];
    P.normal_impulse = p.normal_impulse, P.tangent_impulse1 = p.tangent_impulse1, P.tangent_impulse2 = p.tangent_impulse2;
    P.max_impulse = sel(p.used, p.max_impulse, P.max_impulse);
    return;
  }
  for (int j = 0; j < 4; ++j) {
    const M m = p.used & (p.points == splat_mask(j));
    PackedPoint& P = pg.p[j];
    P.normal_impulse = sel(m, p.normal_impulse, P.normal_impulse);
    P.tangent_impulse1 = sel(m, p.tangent_impulse1, P.tangent_impulse1);
    P.tangent_impulse2 = sel(m, p.tangent_impulse2, P.tangent_impulse2);
    P.max_impulse = sel(m, p.max_impulse, P.max_impulse);
  }
}

// The scalar kernels over a scalar group's manifolds (those of worlds w
// with only[w] > 0, given only).
template <class F1>
inline void each_scalar(const PackedGroup& pg, const Contact* c, const int32_t* only, int nbody, F1 f) {
  for (int l = 0; l < pg.lanes; ++l)
    if (!only || only[c[pg.index[l]].a / nbody] > 0) f(pg.index[l]);
}

// The bodies of a packed group, and when they moved since the last pass
// over it, the points' geometry anew.
template <int kFixed, int kTurn>
inline void load_packed_bodies(PackedGroup& pg, const SolverBodies& s, bool moved, Group& g) {
  if (moved) {
    load_bodies<kFixed, true, kTurn>(s, pg.share, g);
    update_geometry(pg, g);
  } else {
    load_bodies<kFixed, false, kTurn>(s, pg.share, g);
  }
}

// f(fixed, turn) with the group's Fixed and Turn as types.
template <class F1>
inline void by_kind(const PackedGroup& pg, F1 f) {
  using A = std::integral_constant<int, kAFixed>;
  using B = std::integral_constant<int, kBFixed>;
  using N = std::integral_constant<int, kNoneFixed>;
  auto with_fixed = [&](auto turn) {
    if (pg.fixed == kAFixed) f(A{}, turn);
    else if (pg.fixed == kBFixed) f(B{}, turn);
    else f(N{}, turn);
  };
  if (pg.turn == kTurnScalar) with_fixed(std::integral_constant<int, kTurnScalar>{});
  else with_fixed(std::integral_constant<int, kTurnMatrix>{});
}

template <int kFixed, int kTurn>
inline void warm_start_packed_as(PackedGroup& pg, const SolverBodies& s, bool moved, const int32_t* only, int nbody) {
  Group g;
  load_packed(pg, s, only, nbody, g);
  if (!any(g.live)) return;
  load_packed_bodies<kFixed, kTurn>(pg, s, moved, g);
  const int points = max_points(g);
  Slot slots[4];
  for (int i = 0; i < points; ++i) load_packed_slot(pg, g, i, false, slots[i]);
  warm_start_slots<kFixed, kTurn>(g, slots, points);
  store_bodies<kFixed>(g, s);
}

// warm_start_contacts() of a packed group (c, x: the manifolds, for a
// group the scalar kernels solve); given `only`, of the manifolds in worlds
// w with only[w] > 0. moved: whether the bodies moved (in position) since
// the last pass over the group, or this is the first; if not, the points'
// geometry of that pass holds. A group none of whose manifolds is live in
// a pass leaves its geometry as it was: it is not live in any pass of the
// step (without `only`).
inline void warm_start_packed(PackedGroup& pg, const Contact* c, const ContactExtra* x, const SolverBodies& s,
                              bool moved, const int32_t* only, int nbody) {
  if (pg.scalar) {
    each_scalar(pg, c, only, nbody, [&](int i) { warm_start_contact(c[i], &x[i], s); });
    return;
  }
  by_kind(pg, [&](auto fixed, auto turn) {
    warm_start_packed_as<decltype(fixed)::value, decltype(turn)::value>(pg, s, moved, only, nbody);
  });
}

template <int kFixed, int kTurn>
inline void solve_packed_as(PackedGroup& pg, bool belt, const SolverBodies& s, bool moved, float inv_h, Softness soft,
                            Softness static_soft, bool use_bias, bool reverse, const int32_t* only, int nbody,
                            const int32_t* stiff, Softness stiff_soft, Softness stiff_static) {
  Group g;
  load_packed(pg, s, only, nbody, g);
  if (!any(g.live)) return;
  load_packed_bodies<kFixed, kTurn>(pg, s, moved, g);
  const LaneSoftness k = lane_softness(g, soft, static_soft, use_bias, stiff, nbody, stiff_soft, stiff_static);
  const int points = max_points(g);
  Slot slots[4];
  for (int i = 0; i < points; ++i) load_packed_slot(pg, g, i, reverse, slots[i]);
  solve_slots<kFixed, kTurn>(g, slots, points, k, inv_h, use_bias, belt);
  for (int i = 0; i < points; ++i) store_packed_slot(pg, slots[i]);
  store_bodies<kFixed>(g, s);
}

// solve_contacts() of a packed group (moved: as for warm_start_packed).
inline void solve_packed(PackedGroup& pg, Contact* c, ContactExtra* x, const SolverBodies& s, bool moved, float inv_h,
                         Softness soft, Softness static_soft, bool use_bias, bool reverse, const int32_t* only,
                         int nbody, const int32_t* stiff, Softness stiff_soft, Softness stiff_static) {
  if (pg.scalar) {
    each_scalar(pg, c, only, nbody, [&](int i) {
      const bool st = stiff && stiff[c[i].a / nbody] > 0;
      solve_contact(c[i], &x[i], s, inv_h, st ? stiff_soft : soft, st ? stiff_static : static_soft, use_bias, reverse);
    });
    return;
  }
  by_kind(pg, [&](auto fixed, auto turn) {
    solve_packed_as<decltype(fixed)::value, decltype(turn)::value>(pg, x != nullptr, s, moved, inv_h, soft,
                                                                   static_soft, use_bias, reverse, only, nbody, stiff,
                                                                   stiff_soft, stiff_static);
  });
}
