// The lane code of the pose phase, included by pose_phase_wide.h once per
// lane width, inside the namespace of contact_solver_wide.h's lane types.
// Each lane performs move_body()'s float operations in its order, so the
// results are the scalar kernel's, bit for bit.

// A Quat per lane (w, x, y, z).
struct Q4 {
  F w, x, y, z;
};
inline Q4 operator*(const Q4& a, const Q4& b) {  // math.h's operator*(Quat, Quat)
  return {a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z, a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
          a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x, a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};
}

// move_body() of bodies first .. first + kLanes - 1, when every one is an
// awake dynamic body of equal moments turning by less than exp_rotation's
// series bound; false, with nothing done, otherwise (the caller then
// moves them one by one).
inline bool move_bodies(const PosePhase& f, int first) {
  for (int l = 0; l < kLanes; ++l) {
    const int i = first + l, b = model_body(i, f.nbody);
    if (f.asleep[i] || f.p.kind[b] != 1 || !equal_moments(f.p.inertia[b]) || !equal_moments(f.p.inv_inertia[b]))
      return false;
  }
  const F zero = splat(0.0f), one = splat(1.0f), h = splat(f.h);
  const V3 w = gather([&](int l) -> const Vec3& { return f.s.angvel[first + l]; });
  // exp_rotation(w, h)
  const F speed = vsqrt(dot(w, w));
  const M still = speed * h < splat(1e-12f);
  const F a = splat(0.5f) * speed * h;
  if (any(~still & (a >= splat(0.25f)))) return false;
  const F a2 = a * a;
  const F c = one + a2 * (splat(-1.0f / 2) + a2 * (splat(1.0f / 24) + a2 * (splat(-1.0f / 720) + a2 * splat(1.0f / 40320))));
  const F sa = a * (one + a2 * (splat(-1.0f / 6) +
                                a2 * (splat(1.0f / 120) + a2 * (splat(-1.0f / 5040) + a2 * splat(1.0f / 362880)))));
  const F k = sa / sel(still, one, speed);
  const Q4 e{sel(still, one, c), sel(still, zero, k * w.x), sel(still, zero, k * w.y), sel(still, zero, k * w.z)};
  Q4 q;
  gather4([&](int l) { return &f.s.quat[first + l].w; }, q.w, q.x, q.y, q.z);
  // quat_normalize(e * q)
  Q4 r = e * q;
  const F len = vsqrt(r.w * r.w + r.x * r.x + r.y * r.y + r.z * r.z);
  const F s = sel(len > zero, one / sel(len > zero, len, one), zero);
  r = Q4{r.w * s, r.x * s, r.y * s, r.z * s};
  const V3 pos = gather([&](int l) -> const Vec3& { return f.s.pos[first + l]; }) +
                 h * gather([&](int l) -> const Vec3& { return f.s.vel[first + l]; });
  const V3 dp = pos - gather([&](int l) -> const Vec3& { return f.pos0[first + l]; });
  Q4 q0;
  gather4([&](int l) { return &f.quat0[first + l].w; }, q0.w, q0.x, q0.y, q0.z);
  // small_rotation_vector(r * conj(q0))
  const Q4 dq = r * Q4{q0.w, -q0.x, -q0.y, -q0.z};
  const F two = sel(dq.w < zero, splat(-2.0f), splat(2.0f));
  const V3 dtheta{two * dq.x, two * dq.y, two * dq.z};
  for (int l = 0; l < kLanes; ++l) {
    const int i = first + l;
    f.s.pos[i] = get(pos, l);
    f.s.quat[i] = Quat{r.w[l], r.x[l], r.y[l], r.z[l]};
    f.delta[i] = BodyDelta{get(dp, l), get(dtheta, l)};
  }
  return true;
}
