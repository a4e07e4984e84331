// Shock propagation: heavy parts landing on light ones.
//
// Gauss-Seidel passes carry an impulse through a light part slowly: a part
// of mass M landing on one of mass m << M, which rests on the floor, loses
// only about m / M of its speed per pass (each pass shares its momentum
// with the light part, which the floor then stops). A steel block dropped
// onto a cardboard box needs hundreds of passes; with fewer, it sinks into
// the box or squeezes it out, and pushing the overlap out afterwards adds
// energy.
//
// In worlds of mixed masses (kMixedMassRatio), after the solve passes and
// after the relax passes, each contact whose lower side is supported (it
// rests, through a chain of touching contacts, on something that does not
// move) and whose points the passes left approaching faster than
// kShockSpeed is solved once more with the lower side held still, from
// the bottom of each stack to its top (Guendelman, Bridson and Fedkiw's
// shock propagation, kept to impacts). Held against a support that cannot
// give, the heavy part stops at once, as it would on the real, stiff box;
// the impulse acts on it alone and is not kept for warm starting, so it
// changes no contact force: it only takes out the approach that the
// passes could not. It only stops approach, never pushes apart, so it
// adds no energy. Resting contacts are left to the passes: a one-sided
// impulse at a resting box's corners tilts it with no friction to hold
// it, and stacks shocked in every sub-step slid apart.
//
// "Lower" is along gravity: a contact whose normal is within 60 degrees
// of the vertical. Each world orders its own contacts on one thread: the
// result does not depend on the thread count.
#pragma once

#include "contact_solver.h"

namespace werk {

constexpr float kShockCosine = 0.5f;       // normals within 60 degrees of the vertical
constexpr float kSupportGap = 1e-3f;       // a support touches: a point within 1 mm (m)
constexpr int kShockPointPasses = 4;       // passes over a manifold's points
constexpr float kShockSpeed = 0.1f;        // approach left by the passes that counts as an impact (m/s)
constexpr uint8_t kUnsupported = 255;      // support depth of a body resting on nothing
constexpr int kMaxSupportDepth = 64;       // deeper bodies count as unsupported

// Which side of a contact is below the other: 0 (a), 1 (b) or -1 (the
// normal is too far from the vertical). `up` is against gravity.
WERK_HD inline int lower_side(const Contact& c, Vec3 up) {
  const float d = dot(c.normal, up);
  return d >= kShockCosine ? 0 : d <= -kShockCosine ? 1 : -1;
}

// Whether some point of the manifold touches (a support, not a contact
// about to be made).
WERK_HD inline bool touches(const Contact& c) {
  for (int k = 0; k < c.count; ++k)
    if (c.p[k].separation <= kSupportGap) return true;
  return false;
}

// The support depth of a shock contact's lower side, or -1 for a contact
// that takes no shock passes: its normal is too far from the vertical, its
// lower side is unsupported, its upper side does not move, or it bounces
// (that is the restitution pass's).
WERK_HD inline int shock_depth(const Contact& c, const ContactExtra* x, const float* inv_mass, const uint8_t* depth,
                               Vec3 up) {
  const int side = lower_side(c, up);
  if (side < 0 || (x && x->restitution != 0.0f)) return -1;
  const int lower = side == 0 ? c.a : c.b, upper = side == 0 ? c.b : c.a;
  return depth[lower] < kMaxSupportDepth && inv_mass[upper] > 0.0f ? int(depth[lower]) : -1;
}

// One world's shock contacts in the order the passes visit them. On entry
// idx[begin, end) lists the world's contacts with a near-vertical normal
// (any order); on exit its first returned-count entries are the shock
// contacts, ordered by the support depth of their lower side and, within
// a depth, as they were; `supports` (per global body) counts the shock
// contacts each of their bodies rests on. `depth` (per global body) and
// `scratch` (beside idx) are working space; bodies [body_begin,
// body_begin + nbody) are the world's.
WERK_HD inline int order_shocks(int32_t* idx, int32_t* scratch, int begin, int end, const Contact* c,
                                const ContactExtra* x, const float* inv_mass, uint8_t* depth, uint8_t* supports,
                                int body_begin, int nbody, Vec3 up) {
  for (int b = body_begin; b < body_begin + nbody; ++b) depth[b] = inv_mass[b] > 0.0f ? kUnsupported : 0;
  // Support depths: 0 for what does not move, 1 + the lowest depth below
  // a body otherwise (sweeps until nothing changes).
  for (int sweep = 0; sweep < kMaxSupportDepth; ++sweep) {
    bool changed = false;
    for (int j = begin; j < end; ++j) {
      const Contact& ci = c[idx[j]];
      const int side = lower_side(ci, up);
      if (side < 0 || !touches(ci)) continue;
      const int lower = side == 0 ? ci.a : ci.b, upper = side == 0 ? ci.b : ci.a;
      if (depth[lower] >= kMaxSupportDepth || depth[upper] <= depth[lower] + 1) continue;
      depth[upper] = uint8_t(depth[lower] + 1);
      changed = true;
    }
    if (!changed) break;
  }
  // Counting sort of the shock contacts by their lower side's depth.
  int count[kMaxSupportDepth + 1] = {};
  int n = 0;
  for (int j = begin; j < end; ++j) {
    const int d = shock_depth(c[idx[j]], x ? &x[idx[j]] : nullptr, inv_mass, depth, up);
    if (d < 0) continue;
    ++count[d + 1];
    ++n;
  }
  for (int d = 1; d <= kMaxSupportDepth; ++d) count[d] += count[d - 1];
  for (int j = begin; j < end; ++j) {
    const int d = shock_depth(c[idx[j]], x ? &x[idx[j]] : nullptr, inv_mass, depth, up);
    if (d >= 0) scratch[begin + count[d]++] = idx[j];
  }
  for (int j = 0; j < n; ++j) idx[begin + j] = scratch[begin + j];
  // How many shock contacts each body rests on (see cap_shocks).
  for (int j = begin; j < begin + n; ++j) supports[c[idx[j]].a] = supports[c[idx[j]].b] = 0;
  for (int j = begin; j < begin + n; ++j) {
    const Contact& ci = c[idx[j]];
    const int upper = lower_side(ci, up) == 0 ? ci.b : ci.a;
    if (supports[upper] < 255) ++supports[upper];
  }
  return n;
}

// Warm starting re-applies a contact's last impulse, which is right for a
// resting load; after an impact it would throw the heavy part up again,
// and the passes cannot take that back across a light part either. So
// after each sub-step, from the top of each stack down, a shock contact
// keeps at most kShockLoadCap times the impulse its upper side passes
// down in a sub-step: its own weight's (`weight_impulse` is |g| h times
// its mass) and what the contacts above it kept, shared evenly among the
// contacts it rests on (`supports`). Friction scales with the normal
// impulse, within its cone. `carried` is per-body working space.
constexpr float kShockLoadCap = 1.0f;
WERK_HD inline void cap_shocks(Contact* c, const int32_t* idx, int begin, int n, const float* inv_mass,
                               const uint8_t* supports, float* carried, Vec3 up, float weight_impulse) {
  for (int j = begin; j < begin + n; ++j)
    for (int b : {c[idx[j]].a, c[idx[j]].b}) carried[b] = inv_mass[b] > 0.0f ? weight_impulse / inv_mass[b] : 0.0f;
  for (int j = begin + n - 1; j >= begin; --j) {
    Contact& ci = c[idx[j]];
    const bool a_lower = lower_side(ci, up) == 0;
    const int lower = a_lower ? ci.a : ci.b, upper = a_lower ? ci.b : ci.a;
    const float cap = kShockLoadCap * carried[upper] / float(supports[upper]);
    float total = 0.0f;
    for (int k = 0; k < ci.count; ++k) total += ci.p[k].normal_impulse;
    if (total > cap) {
      const float scale = cap / total;
      for (int k = 0; k < ci.count; ++k) {
        ci.p[k].normal_impulse *= scale;
        ci.p[k].tangent_impulse1 *= scale;
        ci.p[k].tangent_impulse2 *= scale;
      }
      total = cap;
    }
    carried[lower] += total;
  }
}

// The shock pass over one manifold: its lower side held still, the upper
// one's approach taken out (it may close a gap, no more). It pushes
// nothing out: that stays the solve's. Nothing is accumulated in the
// contact.
WERK_HD inline bool shock_contact(const Contact& c, const SolverBodies& s, float inv_h, Vec3 up, bool reverse) {
  const int side = lower_side(c, up);
  if (side < 0) return false;
  PairVelocities v = load_pair(c, s);
  // The lower side cannot move in this pass.
  if (side == 0) v.ima = 0.0f, v.ia = Mat3{};
  else v.imb = 0.0f, v.ib = Mat3{};
  const PairMotion m = pair_motion(c, s);
  const Vec3 n = c.normal;
  PointNow nows[4];
  float mass[4], bias[4], total[4];
  for (int k = 0; k < c.count; ++k) {
    const PointNow now = point_now(c, c.p[k], m);
    nows[k] = now;
    mass[k] = side == 0 ? effective_mass(0.0f, Mat3{}, now.ra, v.imb, v.ib, now.rb, n)
                        : effective_mass(v.ima, v.ia, now.ra, 0.0f, Mat3{}, now.rb, n);
    bias[k] = now.separation > 0.0f ? now.separation * inv_h : 0.0f;  // close a gap, no more
    total[k] = 0.0f;
  }
  // Only what the passes left approaching fast: an impact.
  float fastest = 0.0f;
  for (int k = 0; k < c.count; ++k) {
    const PointNow& now = nows[k];
    const float vn = dot(v.vb - v.va, n) + dot(v.wb, now.rnb) - dot(v.wa, now.rna);
    fastest = maxf(fastest, -(vn + bias[k]));
  }
  if (fastest <= kShockSpeed) return false;
  // Points forward and backward in turn, starting as the sub-step's
  // passes do: a fixed order would leave a one-sided twist.
  for (int pass = 0; pass < kShockPointPasses; ++pass) {
    const bool backward = ((pass & 1) != 0) != reverse;
    for (int i = 0; i < c.count; ++i) {
      const int k = backward ? c.count - 1 - i : i;
      const PointNow& now = nows[k];
      const float vn = dot(v.vb - v.va, n) + dot(v.wb, now.rnb) - dot(v.wa, now.rna);
      const float updated = maxf(total[k] - mass[k] * (vn + bias[k]), 0.0f);
      const float impulse = updated - total[k];
      total[k] = updated;
      if (impulse != 0.0f) push_normal(v, now, n, impulse);
    }
  }
  store_pair(c, s, v);
  return true;
}

}  // namespace werk
