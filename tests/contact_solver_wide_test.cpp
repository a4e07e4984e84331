// The CPU backend's four- and eight-lane contact passes against the scalar kernels:
// the same bits, for every mix of lanes, point counts, static sides,
// bodies of equal moments (turned by a scalar) and others,
// speculative points, idle points, visiting orders, belts and bounces, the
// hand-over of groups with rolling friction to the scalar kernels, and
// passes limited to some worlds or stiffened in some (mixed masses).
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "test_util.h"
#include "kernels/contact_solver_wide.h"

using namespace werk;
using test::same_bytes;

namespace {

struct Bodies {
  std::vector<Vec3> vel, angvel, pos;
  std::vector<BodyDelta> delta;
  std::vector<Quat> quat0;
  std::vector<float> inv_mass;
  std::vector<Mat3> inv_inertia;
  SolverBodies view() {
    return {vel.data(), angvel.data(), delta.data(), quat0.data(), pos.data(), quat0.data(),
            inv_mass.data(), inv_inertia.data()};
  }
};

// 2m dynamic bodies (0 .. 2m - 1), a static one (2m) and a sleeping one
// (2m + 1), with random motion; m manifolds that share no moving body (as
// in one colour), the static and sleeping bodies on several of them.
struct Case {
  Bodies bodies;
  std::vector<Contact> contacts;
  std::vector<ContactExtra> extras;  // belts (straight and turning), bounce; now and then rolling friction
};

Case random_case(std::mt19937& rng, int m) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f), pos(0.0f, 1.0f);
  auto v3 = [&](float s) { return Vec3{s * u(rng), s * u(rng), s * u(rng)}; };
  Case k;
  Bodies& b = k.bodies;
  const int n = 2 * m + 2, fixed = 2 * m, sleeping = 2 * m + 1;
  for (int i = 0; i < n; ++i) {
    b.vel.push_back(v3(2.0f));
    b.angvel.push_back(v3(3.0f));
    b.pos.push_back(v3(1.0f));
    b.delta.push_back({v3(0.01f), v3(0.02f)});
    b.quat0.push_back(quat_normalize(Quat{1.0f + pos(rng), 0.3f * u(rng), 0.3f * u(rng), 0.3f * u(rng)}));
    const bool moves = i < fixed;
    b.inv_mass.push_back(moves ? 0.1f + 10.0f * pos(rng) : 0.0f);
    // A symmetric, positive inverse inertia (diagonal plus small coupling),
    // or for half the bodies one of equal moments (world_inv_inertia's).
    const float d0 = 1 + 50 * pos(rng), d1 = 1 + 50 * pos(rng), d2 = 1 + 50 * pos(rng);
    const float o01 = 0.2f * u(rng), o02 = 0.2f * u(rng), o12 = 0.2f * u(rng);
    const Mat3 full{{d0, o01, o02}, {o01, d1, o12}, {o02, o12, d2}}, equal = world_inv_inertia(Quat{1, 0, 0, 0}, Vec3{d0, d0, d0});
    b.inv_inertia.push_back(moves ? (rng() % 2 ? equal : full) : Mat3{});
  }
  const uint16_t follows[3] = {kFollowHalf, kFollowFull, 0};
  for (int j = 0; j < m; ++j) {
    // Pairs of moving bodies, and every fourth lane from the second one
    // with the static body, from the third with the sleeping one.
    Contact c{};
    c.a = 2 * j, c.b = 2 * j + 1;
    if (j % 4 == 1) c.b = fixed;
    if (j % 4 == 2) c.a = sleeping;
    if (rng() % 2) std::swap(c.a, c.b);
    // Normals near the tangent basis's switch at |n.x| = 0.57735 too.
    c.normal = rng() % 4 == 0 ? normalize(Vec3{0.57735f + 1e-6f * u(rng), 0.5f * u(rng), 0.8f}) : normalize(v3(1.0f));
    c.friction = 0.8f * pos(rng);
    c.count = int16_t(1 + rng() % 4);
    c.follow = follows[rng() % 3];
    for (int p = 0; p < 4; ++p) {
      ContactPoint& q = c.p[p];
      q.ra = v3(0.1f);
      q.separation = 0.004f * u(rng);  // overlapping and speculative
      q.normal_mass = 0.05f + pos(rng);
      q.tangent_mass1 = 0.05f + pos(rng);
      q.tangent_mass2 = 0.05f + pos(rng);
      const bool idle = rng() % 3 == 0;  // carries no impulse
      q.normal_impulse = idle ? 0.0f : 2.0f * pos(rng);
      q.tangent_impulse1 = idle ? 0.0f : 0.5f * u(rng);
      q.tangent_impulse2 = idle ? 0.0f : 0.5f * u(rng);
      c.id[p] = uint32_t(p);
    }
    k.contacts.push_back(c);
  }
  // Sometimes a manifold between two bodies that do not move.
  if (rng() % 5 == 0) k.contacts[2].a = fixed, k.contacts[2].b = sleeping;
  for (int j = 0; j < m; ++j) {
    ContactExtra e{};
    if (rng() % 2) e.belt = Vec3{u(rng), u(rng), 0.0f};
    if (rng() % 3 == 0) e.belt_spin = u(rng);
    e.restitution = rng() % 2 ? 0.5f * pos(rng) : 0.0f;
    for (int p = 0; p < 4; ++p) e.max_normal_impulse[p] = rng() % 2 ? 0.0f : pos(rng);
    if (rng() % 8 == 0) e.rolling = 0.01f * pos(rng), e.spinning = 0.01f * pos(rng);
    k.extras.push_back(e);
  }
  return k;
}


// The same bytes in every manifold, extra and body velocity.
void require_same(const Case& scalar, const Case& wide) {
  REQUIRE(same_bytes(scalar.contacts, wide.contacts));
  REQUIRE(same_bytes(scalar.extras, wide.extras));
  REQUIRE(same_bytes(scalar.bodies.vel, wide.bodies.vel));
  REQUIRE(same_bytes(scalar.bodies.angvel, wide.bodies.angvel));
}

// The solver's softnesses at a 480 Hz sub-step: plain, static, and both
// stiffened for mixed masses.
struct Softnesses {
  float h = 1.0f / 480, inv_h = 1.0f / h;
  Softness soft = make_soft(kContactHertzPerRate * inv_h, kContactDampingRatio, h);
  Softness static_soft = make_soft(kStaticHertzPerRate * inv_h, kContactDampingRatio, h);
  Softness stiff_soft = make_soft(kMixedHertzScale * kContactHertzPerRate * inv_h, kContactDampingRatio, h);
  Softness stiff_static = make_soft(kMixedHertzScale * kStaticHertzPerRate * inv_h, kContactDampingRatio, h);
};

// Every mix of 1 .. W real lanes of random manifolds, through passes of W
// lanes (warm start, solve, relax, with and without extras, filtered and
// stiffened), against the scalar kernels one manifold after another.
template <int W, class Warm, class Solve>
void compare_lanes(Warm warm_lanes, Solve solve_lanes, int trials) {
  std::mt19937 rng(12345 + W);
  const Softnesses k;
  const float inv_h = k.inv_h;
  const Softness soft = k.soft, static_soft = k.static_soft, stiff_soft = k.stiff_soft, stiff_static = k.stiff_static;
  int compared = 0, mixed_turns = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const Case k = random_case(rng, W);
    int scalar_pairs = 0;
    for (const Contact& c : k.contacts)
      scalar_pairs += is_scalar_inertia(k.bodies.inv_inertia[c.a]) && is_scalar_inertia(k.bodies.inv_inertia[c.b]);
    mixed_turns += scalar_pairs > 0 && scalar_pairs < W ? 1 : 0;
    for (int lanes = 1; lanes <= W; ++lanes) {
      // Worlds for the filtered passes: with nbody 2, body b is in world b / 2.
      int32_t only[W + 1], stiff[W + 1];
      for (int w = 0; w <= W; ++w) only[w] = int32_t(rng() % 2);
      // Worlds with mixed masses (stiffer contacts), in odd trials.
      for (int w = 0; w <= W; ++w) stiff[w] = int32_t(rng() % 2);
      const bool stiffened = trial % 2 == 1;
      // Warm start; solve and relax, each in both orders; without and with
      // extras; and with extras, only the manifolds of some worlds.
      for (int pass = 0; pass < 15; ++pass) {
        const int kind = pass % 5;
        const bool warm = kind == 0, use_bias = kind == 1 || kind == 2, reverse = kind == 2 || kind == 4, extras = pass >= 5;
        const bool filtered = pass >= 10;
        if (filtered && warm) continue;
        Case scalar = k, wide = k;
        SolverBodies s = scalar.bodies.view(), w = wide.bodies.view();
        ContactExtra* xs = extras ? scalar.extras.data() : nullptr;
        ContactExtra* xw = extras ? wide.extras.data() : nullptr;
        for (int i = 0; i < lanes; ++i) {
          if (filtered && only[scalar.contacts[i].a / 2] <= 0) continue;
          if (warm) warm_start_contact(scalar.contacts[i], xs ? &xs[i] : nullptr, s);
          else {
            const bool st = stiffened && stiff[scalar.contacts[i].a / 2] > 0;
            solve_contact(scalar.contacts[i], xs ? &xs[i] : nullptr, s, inv_h, st ? stiff_soft : soft,
                          st ? stiff_static : static_soft, use_bias, reverse);
          }
        }
        if (warm) warm_lanes(wide.contacts.data(), xw, 0, lanes, w);
        else solve_lanes(wide.contacts.data(), xw, 0, lanes, w, inv_h, soft, static_soft, use_bias, reverse,
                         filtered ? only : nullptr, 2, stiffened ? stiff : nullptr, stiff_soft, stiff_static);
        INFO("width " << W << ", trial " << trial << ", lanes " << lanes << ", pass " << pass);
        require_same(scalar, wide);
        ++compared;
      }
    }
  }
  CHECK(compared == trials * W * 14);
  CHECK(mixed_turns > 0);  // groups whose lanes turn some by scalars, some by matrices
}

// The same passes on manifolds held in lane form for a whole step: packed
// once, a warm start and four solve and relax passes in both orders (with
// and without extras, filtered and stiffened, with and without a fixed
// side, with the bodies moving between two of them), unpacked once,
// against the scalar kernels.
template <int W, class Group, class Pack, class Unpack, class Warm, class Solve>
void compare_packed(Pack pack, Unpack unpack, Warm warm_packed, Solve solve_packed, int trials) {
  std::mt19937 rng(777 + W);
  const Softnesses k;
  const float inv_h = k.inv_h;
  const Softness soft = k.soft, static_soft = k.static_soft, stiff_soft = k.stiff_soft, stiff_static = k.stiff_static;
  int compared = 0, uneven = 0, fixed_groups = 0, scalar_groups = 0;
  for (int trial = 0; trial < trials; ++trial) {
    Case k = random_case(rng, W);
    // A group's pairs all turn by scalars or none does (the planner sorts
    // them so): every other pair of trials, bodies of equal moments only.
    const bool equal = trial / 2 % 2 == 1;
    for (int i = 0; i < 2 * W; ++i) {
      Mat3& m = k.bodies.inv_inertia[size_t(i)];
      m = equal ? world_inv_inertia(Quat{1, 0, 0, 0}, Vec3{m.r0.x, m.r0.x, m.r0.x})
                : Mat3{m.r0, {m.r1.x, m.r1.y + 1.0f, m.r1.z}, m.r2};
    }
    const int turn = equal ? kTurnScalar : kTurnMatrix;
    // Half the trials with every manifold of four points (the common case
    // of boxes on faces, loaded whole), half with mixed counts.
    if (trial % 2 == 0)
      for (Contact& c : k.contacts) c.count = 4;
    // A third of the trials with every manifold on the static body, as b
    // or as a, at rest (a group with a fixed side, whose values the lanes
    // do not gather): zero velocity and translation, a turn of zero size
    // that may carry a sign.
    const int fixed = trial % 3, body = 2 * W;
    if (fixed != kNoneFixed) {
      for (int j = 0; j < W; ++j) {
        Contact& c = k.contacts[size_t(j)];
        c.a = fixed == kAFixed ? body : 2 * j;
        c.b = fixed == kBFixed ? body : 2 * j;
      }
      k.bodies.vel[body] = k.bodies.angvel[body] = Vec3{0, 0, 0};
      k.bodies.delta[body] = {Vec3{0, 0, 0}, Vec3{-0.0f, 0.0f, -0.0f}};
    }
    for (int lanes = 1; lanes <= W; ++lanes) {
      int32_t only[W + 1], stiff[W + 1];
      for (int w = 0; w <= W; ++w) only[w] = int32_t(rng() % 2), stiff[w] = int32_t(rng() % 2);
      for (int variant = 0; variant < 4; ++variant) {
        const bool extras = variant & 1, filtered = variant & 2, stiffened = trial % 4 >= 2;
        Case scalar = k, wide = k;
        SolverBodies s = scalar.bodies.view(), w = wide.bodies.view();
        ContactExtra* xs = extras ? scalar.extras.data() : nullptr;
        ContactExtra* xw = extras ? wide.extras.data() : nullptr;
        const int32_t* o = filtered ? only : nullptr;
        const int32_t* st = stiffened ? stiff : nullptr;
        auto is_stiff = [&](const Contact& c) { return st && st[c.a / 2] > 0; };
        Group g;
        int32_t index[W];
        for (int l = 0; l < W; ++l) index[l] = l;
        pack(wide.contacts.data(), xw, index, lanes, fixed, turn, g);
        scalar_groups += g.turn == kTurnScalar && !g.scalar ? 1 : 0;
        uneven += g.same_count ? 0 : 1;
        fixed_groups += g.fixed != kNoneFixed && !g.scalar ? 1 : 0;
        for (int pass = 0; pass < 5; ++pass) {
          const bool warm = pass == 0, use_bias = pass == 1 || pass == 3, reverse = pass >= 2 && pass <= 3;
          // The moving bodies move before the third pass (as in a
          // sub-step's integration), which is told so; the others are not,
          // and keep the points' geometry of the pass before.
          const bool moved = pass == 0 || pass == 2;
          if (pass == 2) {
            std::uniform_real_distribution<float> u(-0.01f, 0.01f);
            for (int i = 0; i < 2 * W; ++i) {
              const Vec3 dp{u(rng), u(rng), u(rng)}, dtheta{u(rng), u(rng), u(rng)};
              for (Case* c : {&scalar, &wide}) {
                c->bodies.delta[size_t(i)].dp = c->bodies.delta[size_t(i)].dp + dp;
                c->bodies.delta[size_t(i)].dtheta = c->bodies.delta[size_t(i)].dtheta + dtheta;
                c->bodies.pos[size_t(i)] = c->bodies.pos[size_t(i)] + dp;
              }
            }
          }
          for (int i = 0; i < lanes; ++i) {
            Contact& c = scalar.contacts[i];
            if (o && o[c.a / 2] <= 0) continue;
            if (warm) warm_start_contact(c, xs ? &xs[i] : nullptr, s);
            else
              solve_contact(c, xs ? &xs[i] : nullptr, s, inv_h, is_stiff(c) ? stiff_soft : soft,
                            is_stiff(c) ? stiff_static : static_soft, use_bias, reverse);
          }
          if (warm) warm_packed(g, wide.contacts.data(), xw, w, moved, o, 2);
          else solve_packed(g, wide.contacts.data(), xw, w, moved, inv_h, soft, static_soft, use_bias, reverse, o, 2, st,
                            stiff_soft, stiff_static);
        }
        unpack(g, wide.contacts.data(), xw);
        INFO("width " << W << ", trial " << trial << ", lanes " << lanes << ", variant " << variant);
        require_same(scalar, wide);
        ++compared;
      }
    }
  }
  CHECK(compared == trials * W * 4);
  CHECK(uneven > 0);  // the mixed counts were met, point by point
  CHECK(fixed_groups > 0);
  CHECK(scalar_groups > 0);
}

}  // namespace

TEST_CASE("four-lane contact passes give the scalar kernels' results bit for bit", "[contact][wide]") {
  compare_lanes<4>([](auto... a) { wide::warm_start_contacts(a...); }, [](auto... a) { wide::solve_contacts(a...); }, 400);
}

TEST_CASE("eight-lane (AVX2) contact passes give the scalar kernels' results bit for bit", "[contact][wide]") {
  if (!has_wide8()) {
    WARN("this processor has no AVX2: the eight-lane passes are not used here");
    return;
  }
  compare_lanes<8>([](auto... a) { wide8::warm_start_contacts(a...); }, [](auto... a) { wide8::solve_contacts(a...); },
                   200);
}

TEST_CASE("contact passes on manifolds packed for the step give the scalar kernels' results bit for bit", "[contact][wide]") {
  compare_packed<4, wide::PackedGroup>([](auto&&... a) { wide::pack_group(a...); }, [](auto&&... a) { wide::unpack_group(a...); },
                                       [](auto&&... a) { wide::warm_start_packed(a...); },
                                       [](auto&&... a) { wide::solve_packed(a...); }, 200);
  if (!has_wide8()) {
    WARN("this processor has no AVX2: the eight-lane passes are not used here");
    return;
  }
  compare_packed<8, wide8::PackedGroup>(
      [](auto&&... a) { wide8::pack_group(a...); }, [](auto&&... a) { wide8::unpack_group(a...); },
      [](auto&&... a) { wide8::warm_start_packed(a...); }, [](auto&&... a) { wide8::solve_packed(a...); }, 100);
}
