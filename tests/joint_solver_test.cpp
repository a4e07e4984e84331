// Joints against analytic answers: pendulum period, motors, limits,
// sliders and welds.
#include <catch2/catch.hpp>

#include <cmath>

#include "test_util.h"

using namespace werk;

namespace {

constexpr double kG = 9.81;

// Rotation angle of body b about world +y since t = 0 (a bar along +x
// falling under gravity turns positive).
double angle_about_y(const State& s, const Model& m, int b) {
  Quat q = s.body_quat[b] * conj(m.body_quat0[b]);
  Vec3 x = rotate(q, Vec3{1, 0, 0});
  return std::atan2(-double(x.z), double(x.x));
}

TEST_CASE("a pendulum on a hinge swings with period 2 pi sqrt(L / g)", "[joint]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  const double L = 1.0, r = 0.02, theta0 = 5 * M_PI / 180;
  std::string text = test::scene_header("pendulum", 1.0 / 240, 4) +
                     "bodies:\n  - name: bob\n    shape: {type: sphere, radius: " + test::num(r) + "}\n"
                     "    position: [" + test::num(L * std::sin(theta0)) + ", 0, " + test::num(-L * std::cos(theta0)) + "]\n"
                     "joints:\n  - {name: pivot, type: revolute, body_b: bob, anchor: [0, 0, 0], axis: [0, 1, 0]}\n";
  Model m = compile_scene(text, "pendulum.yaml");
  Simulation sim(m, SimulationOptions{backend});
  // Upward zero crossings of x, interpolated within a step.
  std::vector<double> crossings;
  double prev_x = sim.state().body_pos[0].x, prev_t = 0;
  while (sim.time() < 12.0) {
    sim.step(1);
    double x = sim.state().body_pos[0].x, t = sim.time();
    if (prev_x < 0 && x >= 0) crossings.push_back(prev_t + (t - prev_t) * (-prev_x) / (x - prev_x));
    prev_x = x, prev_t = t;
  }
  REQUIRE(crossings.size() >= 4);
  const double period = (crossings.back() - crossings.front()) / double(crossings.size() - 1);
  // A sphere's own inertia and the 5-degree amplitude shift the ideal period.
  const double ideal = 2 * M_PI * std::sqrt(L / kG);
  const double expected = ideal * std::sqrt(1 + 0.4 * r * r / (L * L)) * (1 + theta0 * theta0 / 16);
  CHECK(period == Approx(expected).epsilon(0.01));
  // The rod length holds.
  CHECK(length(sim.state().body_pos[0]) == Approx(L).epsilon(1e-3));
}

// A 1 m, 10 kg bar hinged at one end about y; gravity loads the hinge.
std::string bar_scene(const std::string& joint_extra) {
  return test::scene_header("bar", 1.0 / 120, 4) +
         "materials:\n  steel: {density: 1000}\n"
         "bodies:\n  - {name: bar, shape: {type: box, size: [1, 0.1, 0.1]}, material: steel, position: [0.5, 0, 0]}\n"
         "joints:\n  - {name: hinge, type: revolute, body_b: bar, anchor: [0, 0, 0], axis: [0, 1, 0]" + joint_extra + "}\n";
}

TEST_CASE("a motorised hinge holds its target speed under load", "[joint]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  Model m = compile_scene(bar_scene(", motor: {type: velocity, target: 1.0, max_force: 500}"), "bar.yaml");
  Simulation sim(m, SimulationOptions{backend});
  sim.step(120);
  // A full turn: the gravity torque on the hinge changes sign twice.
  for (int k = 0; k < 80; ++k) {
    sim.step(10);
    Vec3 w = sim.state().body_angvel[0];
    CHECK(w.y == Approx(1.0).epsilon(0.01));
    CHECK(std::hypot(w.x, w.z) < 1e-3);
    CHECK(length(sim.state().body_pos[0]) == Approx(0.5).epsilon(1e-3));
  }
  // A weak motor stalls: 10 N m cannot lift a bar that needs 49 N m.
  Model weak = compile_scene(bar_scene(", motor: {type: velocity, target: -1.0, max_force: 10}"), "bar.yaml");
  Simulation stall(weak, SimulationOptions{backend});
  stall.step(240);
  CHECK(angle_about_y(stall.state(), weak, 0) > 0.5);  // it fell instead of rising
}

TEST_CASE("hinge limits hold", "[joint]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  Model m = compile_scene(bar_scene(", limits: [-0.3, 0.3]"), "bar.yaml");
  Simulation sim(m, SimulationOptions{backend});
  double highest = 0;
  for (int k = 0; k < 240; ++k) {
    sim.step(1);
    double a = angle_about_y(sim.state(), m, 0);
    highest = std::max(highest, a);
    CHECK(a > -0.3 - 0.01);
    CHECK(a < 0.3 + 0.01);
  }
  CHECK(highest > 0.28);  // it did fall onto the limit
}

TEST_CASE("a slider motor moves at its speed and stops at its limit", "[joint]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  std::string text = test::scene_header("slider", 1.0 / 120, 4) +
                     "bodies:\n  - {name: carriage, shape: {type: box, size: [0.2, 0.2, 0.2]}, position: [0, 0, 1]}\n"
                     "joints:\n  - {name: rail, type: prismatic, body_b: carriage, anchor: [0, 0, 1], axis: [1, 0, 0],"
                     " limits: [0, 1], motor: {type: velocity, target: 0.5, max_force: 200}}\n";
  Model m = compile_scene(text, "slider.yaml");
  Simulation sim(m, SimulationOptions{backend});
  sim.step(120);
  Vec3 p = sim.state().body_pos[0];
  CHECK(p.x == Approx(0.5).epsilon(0.02));
  CHECK(p.z == Approx(1.0).margin(1e-3));  // held against gravity across the axis
  CHECK(sim.state().body_vel[0].x == Approx(0.5).epsilon(0.01));
  sim.step(240);
  CHECK(sim.state().body_pos[0].x == Approx(1.0).margin(5e-3));
  Quat q = sim.state().body_quat[0];
  CHECK(std::fabs(q.w) == Approx(1.0).margin(1e-4));  // no rotation
}

TEST_CASE("a fixed joint welds two bodies", "[joint]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  std::string text = test::scene_header("weld", 1.0 / 120, 4) +
                     "bodies:\n"
                     "  - {name: arm, shape: {type: box, size: [1, 0.1, 0.1]}, position: [0.5, 0, 0]}\n"
                     "  - {name: tool, shape: {type: box, size: [0.1, 0.1, 0.4]}, position: [1.05, 0, -0.15]}\n"
                     "joints:\n"
                     "  - {name: shoulder, type: revolute, body_b: arm, anchor: [0, 0, 0], axis: [0, 1, 0]}\n"
                     "  - {name: weld, type: fixed, body_a: arm, body_b: tool, anchor: [1.0, 0, 0]}\n";
  Model m = compile_scene(text, "weld.yaml");
  Simulation sim(m, SimulationOptions{backend});
  for (int k = 0; k < 120; ++k) {
    sim.step(1);
    const State& s = sim.state();
    // The tool's pose in the arm's frame stays as welded.
    Vec3 rel = rotate_inv(s.body_quat[0], s.body_pos[1] - s.body_pos[0]);
    Vec3 rel0 = rotate_inv(m.body_quat0[0], m.body_pos0[1] - m.body_pos0[0]);
    CHECK(length(rel - rel0) < 2e-3);
  }
  // And the pair swung down together.
  CHECK(angle_about_y(sim.state(), m, 0) > 0.5);
}

TEST_CASE("a kinematic body drives a joint", "[joint]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // A kinematic carriage moving at 0.5 m/s carries a hinged 1 m pendulum.
  std::string text = test::scene_header("drive", 1.0 / 240, 4) +
                     "bodies:\n"
                     "  - {name: carriage, kind: kinematic, shape: {type: box, size: [0.2, 0.2, 0.2]}, position: [0, 0, 1], velocity: [0.5, 0, 0]}\n"
                     "  - {name: bob, shape: {type: sphere, radius: 0.05}, position: [0, 0, 0]}\n"
                     "joints:\n  - {name: pin, type: revolute, body_a: carriage, body_b: bob, anchor: [0, 0, 1], axis: [0, 1, 0]}\n";
  Model m = compile_scene(text, "drive.yaml");
  Simulation sim(m, SimulationOptions{backend});
  for (int k = 0; k < 20; ++k) {
    sim.step(24);
    const State& s = sim.state();
    // The carriage keeps its path; the bob hangs 1 m from the moving pivot.
    CHECK(s.body_pos[0].x == Approx(0.5 * sim.time()).margin(1e-4));
    CHECK(length(s.body_pos[1] - s.body_pos[0]) == Approx(1.0).epsilon(2e-3));
  }
  // Dragged along, the bob has the carriage's mean speed.
  CHECK(sim.state().body_pos[1].x == Approx(0.5 * sim.time()).margin(0.25));
}

}  // namespace
