// The CPU backend's pose phase in lanes against move_body(), body by body:
// the same bits for parts at rest and turning, up to exp_rotation's series
// bound, and the lanes decline (leaving every body as it was) a block
// with a body asleep, kinematic, of unequal moments or turning faster.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "test_util.h"
#include "kernels/pose_phase_wide.h"

using namespace werk;
using test::same_bytes;

namespace {

// n bodies of one world, awake dynamic parts of equal moments turning up
// to about max_turn radians in a sub-step of h (a third of them at rest).
struct Bodies {
  std::vector<uint8_t> kind, asleep;
  std::vector<float> inv_mass;
  std::vector<Vec3> inertia, inv_inertia, pos0, vel0, angvel0, pos, vel, angvel, start_pos;
  std::vector<Quat> quat0, quat, start_quat;
  std::vector<Mat3> world_inv_inertia;
  std::vector<BodyDelta> delta;
  float h = 1.0f / 480;

  Bodies(std::mt19937& rng, int n, float max_turn) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f), pos_u(0.0f, 1.0f);
    auto v3 = [&](float s) { return Vec3{s * u(rng), s * u(rng), s * u(rng)}; };
    for (int i = 0; i < n; ++i) {
      kind.push_back(1), asleep.push_back(0), inv_mass.push_back(1.0f);
      const float m = 0.01f + pos_u(rng);
      inertia.push_back({m, m, m}), inv_inertia.push_back({1 / m, 1 / m, 1 / m});
      pos0.push_back({}), vel0.push_back({}), angvel0.push_back({}), quat0.push_back({1, 0, 0, 0});
      pos.push_back(v3(5.0f)), vel.push_back(v3(2.0f));
      // Angular speeds up to the bound's: a = speed h / 2 < max_turn / 2.
      angvel.push_back(i % 3 == 0 ? Vec3{0, 0, 0} : (max_turn / h / 1.8f) * v3(1.0f));
      quat.push_back(quat_normalize(Quat{u(rng), u(rng), u(rng), u(rng)}));
      start_pos.push_back(pos.back() + v3(0.01f));
      start_quat.push_back(quat_normalize(quat.back() * Quat{1.0f, 0.01f * u(rng), 0.01f * u(rng), 0.0f}));
      world_inv_inertia.push_back(Mat3{{1 / m, 0, 0}, {0, 1 / m, 0}, {0, 0, 1 / m}});
      delta.push_back({v3(1.0f), v3(1.0f)});
    }
  }
  PosePhase phase() {
    return {BodyParams{kind.data(), inv_mass.data(), inertia.data(), inv_inertia.data(), pos0.data(), quat0.data(),
                       vel0.data(), angvel0.data()},
            BodyState{pos.data(), quat.data(), vel.data(), angvel.data()},
            int(kind.size()), h, asleep.data(), start_pos.data(), start_quat.data(), world_inv_inertia.data(),
            delta.data()};
  }
};

void require_same(const Bodies& a, const Bodies& b) {
  REQUIRE(same_bytes(a.pos, b.pos));
  REQUIRE(same_bytes(a.quat, b.quat));
  REQUIRE(same_bytes(a.delta, b.delta));
  REQUIRE(same_bytes(a.world_inv_inertia, b.world_inv_inertia));
}

template <int W, class Lanes>
void compare(Lanes move_lanes, int trials) {
  std::mt19937 rng(4242 + W);
  int moved = 0, declined = 0;
  for (int trial = 0; trial < trials; ++trial) {
    // Turning up to 0.45 rad in a sub-step: some blocks pass the series
    // bound (half angle 0.25) and go body by body.
    const Bodies start(rng, 4 * W, trial % 2 ? 0.45f : 0.1f);
    Bodies scalar = start, wide = start;
    // A block with one body asleep, kinematic or of unequal moments.
    const int odd = int(rng() % (4 * W)), what = trial % 4;
    for (Bodies* b : {&scalar, &wide}) {
      if (what == 1) b->asleep[size_t(odd)] = 1;
      if (what == 2) b->kind[size_t(odd)] = 2;
      if (what == 3) b->inertia[size_t(odd)].x *= 2.0f, b->inv_inertia[size_t(odd)].x *= 0.5f;
    }
    const PosePhase fs = scalar.phase(), fw = wide.phase();
    for (int i = 0; i < 4 * W; ++i) move_body(fs, i);
    for (int first = 0; first < 4 * W; first += W) {
      const Bodies before = wide;
      if (move_lanes(fw, first)) {
        ++moved;
        continue;
      }
      ++declined;
      require_same(before, wide);  // nothing done
      for (int i = first; i < first + W; ++i) move_body(fw, i);
    }
    INFO("width " << W << ", trial " << trial);
    require_same(scalar, wide);
  }
  CHECK(moved > trials);        // most blocks go in lanes
  CHECK(declined > trials / 4);  // and the others were met
}

}  // namespace

TEST_CASE("the pose phase in four lanes gives move_body's results bit for bit", "[integrate][wide]") {
  compare<4>([](const PosePhase& f, int first) { return wide::move_bodies(f, first); }, 400);
}

TEST_CASE("the pose phase in eight lanes (AVX2) gives move_body's results bit for bit", "[integrate][wide]") {
  if (!has_wide8()) {
    WARN("this processor has no AVX2: the eight-lane pose phase is not used here");
    return;
  }
  compare<8>([](const PosePhase& f, int first) { return wide8::move_bodies(f, first); }, 400);
}
