// The broadphase keeps its pairs from step to step (engine/src/pipeline.inl,
// broadphase()): found with boxes grown by a slack, they hold while every
// box stays within its grown box. A box that leaves it, by its own motion
// or by being placed from outside, makes the grid search run again, so no
// contact is missed.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/broadphase.h"
#include "test_util.h"

using namespace werk;

TEST_CASE("a box lies within a grown box until it moves past the slack on any side", "[broadphase]") {
  const Aabb box{{0, 0, 0}, {1, 2, 3}};
  const Aabb fat = grown(box, 0.25f);
  CHECK(contains(fat, box));
  CHECK_FALSE(contains(box, fat));
  for (int axis = 0; axis < 3; ++axis) {
    for (float sign : {-1.0f, 1.0f}) {
      INFO("axis " << axis << " sign " << sign);
      Vec3 shift{0, 0, 0};
      (axis == 0 ? shift.x : axis == 1 ? shift.y : shift.z) = sign;
      CHECK(contains(fat, Aabb{box.lo + 0.2f * shift, box.hi + 0.2f * shift}));
      CHECK_FALSE(contains(fat, Aabb{box.lo + 0.3f * shift, box.hi + 0.3f * shift}));
    }
  }
  // A shape that leaves collision (its box empty) drops its pairs, one
  // that comes back finds them; one out of collision all along keeps none.
  CHECK_FALSE(contains(fat, empty_box()));
  CHECK_FALSE(contains(grown(empty_box(), 0.25f), box));
  CHECK(contains(grown(empty_box(), 0.25f), empty_box()));
}

TEST_CASE("a pair box holds the box moved by any part of the motion ahead, and no more", "[broadphase]") {
  const Aabb box{{0, 0, 0}, {1, 1, 1}};
  const Vec3 ahead{0.5f, -0.3f, 0.0f};
  const Aabb fat = pair_box(box, 0.1f, ahead);
  for (float t : {0.0f, 0.25f, 0.5f, 1.0f}) CHECK(contains(fat, Aabb{box.lo + t * ahead, box.hi + t * ahead}));
  // Past the motion by more than the slack, or against it: outside.
  CHECK_FALSE(contains(fat, Aabb{box.lo + 1.3f * ahead, box.hi + 1.3f * ahead}));
  CHECK_FALSE(contains(fat, Aabb{box.lo - 0.5f * ahead, box.hi - 0.5f * ahead}));
  CHECK(is_empty(pair_box(empty_box(), 0.1f, ahead)));
}

TEST_CASE("kept pairs miss no contact of a body placed or thrown", "[broadphase][contact]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // Five 0.1 m boxes 0.3 m apart on the floor: once they rest, their
  // pairs are kept.
  std::string text = test::scene_header("row", 1.0 / 60, 8) +
                     "materials:\n  m: {density: 500, friction: 0.5}\nstatic:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                     "bodies:\n  - name: box\n    shape: {type: box, size: [0.1, 0.1, 0.1]}\n    material: m\n"
                     "    position: [0, 0, 0.05]\n    grid: {count: [5, 1, 1], spacing: [0.3, 0, 0]}\n";
  Simulation sim(compile_scene(text, "row.yaml"), SimulationOptions{backend, 1});
  sim.step(30);
  REQUIRE(sim.last_manifold_count() == 5);
  const Model& m = sim.model();
  const int b0 = m.body("box_0").index, b2 = m.body("box_2").index, b3 = m.body("box_3").index,
            b4 = m.body("box_4").index;
  const float rest = sim.positions()[b0].z;
  const float x4 = sim.positions()[b4].x;

  // Box 0 placed on box 4 (up and along +x) touches it in the very next
  // step, and stays on it.
  sim.set_body_pose(BodyId{b0}, Vec3{x4, 0, 3 * rest}, Quat{1, 0, 0, 0});
  sim.step(1);
  CHECK(sim.last_manifold_count() == 5);  // four on the floor, one box on another
  sim.step(60);
  CHECK(std::abs(sim.positions()[b0].z - 3 * rest) < 1e-3f);
  CHECK(std::abs(sim.positions()[b0].x - x4) < 1e-3f);

  // Box 3, thrown back at box 2 at 3 m/s (5 cm a step, past the slack
  // at once), stops against it rather than passing through.
  sim.set_body_velocity(BodyId{b3}, Vec3{-3, 0, 0}, Vec3{0, 0, 0});
  sim.step(60);
  CHECK(sim.positions()[b3].x > sim.positions()[b2].x + 0.099f);
}

TEST_CASE("pairs are found with a slack: near boxes are a pair, far ones not, touching ones a manifold", "[broadphase]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // 0.1 m boxes: the grid's cell is a part plus four speculative margins
  // (4 mm each) = 0.116 m, the slack a quarter of it (29 mm) on every side;
  // a resting box's own box reaches 4 mm beyond it. Boxes 30 mm apart
  // are no pair of the grid on their own boxes but one of grown boxes;
  // 200 mm apart, none. Either way they do not touch.
  for (const double gap : {0.03, 0.2}) {
    INFO("gap " << gap);
    std::string text = test::scene_header("near", 1.0 / 60, 8) +
                       "materials:\n  m: {density: 500, friction: 0.5}\nstatic:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                       "bodies:\n  - name: box\n    shape: {type: box, size: [0.1, 0.1, 0.1]}\n    material: m\n"
                       "    position: [0, 0, 0.05]\n    grid: {count: [2, 1, 1], spacing: [" + test::num(0.1 + gap) + ", 0, 0]}\n";
    Simulation sim(compile_scene(text, "near.yaml"), SimulationOptions{backend, 1});
    sim.step(10);
    CHECK(sim.last_manifold_count() == 2);  // each box on the floor
    CHECK(sim.last_pair_count() == (gap < 0.05 ? 3 : 2));
  }
}
