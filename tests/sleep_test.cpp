// Sleeping: settled bodies stop, and moving ones wake them.
#include <catch2/catch.hpp>

#include "test_util.h"

using namespace werk;

namespace {

// 18 boxes dropped in a loose heap, and a ball far above that arrives after
// the heap has gone to sleep (a 45 m fall takes about 3 s).
std::string heap_scene() {
  return "werk: 1\nname: heap\ndt: 0.016666666666666666\nsleep: true\n"
         "materials:\n  m: {density: 500, friction: 0.6}\n"
         "static:\n  - {name: floor, shape: {type: plane}, material: m}\n"
         "bodies:\n"
         "  - {name: box, shape: {type: box, size: [0.2, 0.2, 0.2]}, material: m, position: [-0.25, -0.12, 0.15],"
         " grid: {count: [3, 2, 3], spacing: [0.25, 0.25, 0.25]}}\n"
         "  - {name: ball, shape: {type: sphere, radius: 0.1}, material: m, position: [0.0, 0.0, 45]}\n";
}

TEST_CASE("a settled heap falls asleep and a falling ball wakes it", "[sleep]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  Model m = compile_scene(heap_scene(), "heap.yaml");
  Simulation sim(m, SimulationOptions{backend});
  const int ball = m.body_index("ball");
  sim.step(120);  // 2 s: settled and asleep, the ball still falling
  State before = sim.state();
  sim.step(30);
  const State& after = sim.state();
  for (int b = 1; b < m.nbody(); ++b) {
    if (b == ball) continue;
    // Asleep: exactly still, not merely slow.
    CHECK(after.body_vel[b].x == 0.0f);
    CHECK(after.body_vel[b].z == 0.0f);
    CHECK(after.body_pos[b].z == before.body_pos[b].z);
  }
  CHECK(after.body_pos[ball].z > 5.0f);  // not there yet
  // The ball lands on the heap (about t = 3 s) and wakes what it hits.
  double moved = 0;
  State asleep = sim.state();
  for (int k = 0; k < 90; ++k) {
    sim.step(1);
    for (int b = 1; b < m.nbody(); ++b)
      if (b != ball) moved = std::max(moved, double(length(sim.state().body_pos[b] - asleep.body_pos[b])));
  }
  CHECK(moved > 1e-3);
  CHECK(sim.state().body_pos[ball].z < 1.0f);  // resting on the heap, not through it
}

}  // namespace
