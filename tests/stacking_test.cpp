// Stacks of mixed masses and the energy of impacts with restitution 0,
// against the soft contact's stiffness law and the conservation of energy.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "kernels/contact_solver.h"
#include "test_util.h"

using namespace werk;

namespace {

constexpr double kG = 9.81;

// Boxes of 10 cm, the light ones of density 100 kg/m^3 (0.1 kg),
// the heavy ones `ratio` times denser, on a floor; dt 1/60 s with the
// default sub-steps (8), or the default dt (1/240 s, 2 sub-steps).
std::string mixed_scene(double ratio, bool default_dt) {
  std::string text = "werk: 1\nname: mixed\ngravity: [0, 0, -9.81]\n";
  if (!default_dt) text += "dt: " + test::num(1.0 / 60) + "\n";
  return text + "sleep: false\nmaterials:\n  light: {density: 100, friction: 0.6}\n  heavy: {density: " +
         test::num(100 * ratio) + ", friction: 0.6}\nstatic:\n  - {name: floor, shape: {type: plane}, material: light}\nbodies:\n";
}
std::string box(const std::string& name, const std::string& material, double z) {
  return "  - {name: " + name + ", shape: {type: box, size: [0.1, 0.1, 0.1]}, material: " + material +
         ", position: [0, 0, " + test::num(z) + "]}\n";
}

// Kinetic plus potential energy (above z = 0) of the dynamic bodies.
double mechanical_energy(const Model& m, const State& s) {
  double e = 0;
  for (int b = 0; b < m.nbody(); ++b) {
    if (m.body_kind[b] != BodyKind::Dynamic) continue;
    const double mass = m.body_mass[b];
    const Vec3 v = s.body_vel[b], wb = rotate_inv(s.body_quat[b], s.body_angvel[b]);
    const Vec3 i = m.body_inertia[b];
    e += 0.5 * mass * dot(v, v) + 0.5 * (i.x * wb.x * wb.x + i.y * wb.y * wb.y + i.z * wb.z * wb.z) +
         mass * kG * s.body_pos[b].z;
  }
  return e;
}

TEST_CASE("six boxes alternating light and heavy stand still up to a density ratio of 100", "[contact][stack][mixed]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // 10: below kMixedMassRatio; 30 and 100 fell with a light box at the
  // bottom before mixed worlds solved stiffer and more often.
  const double ratio = GENERATE(10.0, 30.0, 100.0);
  for (bool default_dt : {false, true}) {
    for (bool light_first : {true, false}) {
      std::string text = mixed_scene(ratio, default_dt);
      for (int i = 0; i < 6; ++i) text += box("b" + std::to_string(i), (i % 2 == 0) == light_first ? "light" : "heavy", 0.05 + 0.1 * i);
      Model m = compile_scene(text, "mixed.yaml");
      INFO("density ratio " << ratio << ", default dt " << default_dt << ", light box at the bottom " << light_first);
      Simulation sim(m, SimulationOptions{backend});
      const int top = m.nbody() - 1;
      sim.step(int(std::lround(1.0 / m.dt)));
      const Vec3 top1 = sim.state().body_pos[top];
      sim.step(int(std::lround(9.0 / m.dt)));
      const Vec3 top10 = sim.state().body_pos[top];
      // Standing still: the top box moves less than 1 mm from 1 s to 10 s
      // (a fallen stack leaves it below 0.3 m).
      CHECK(length(top10 - top1) < 1e-3);
      CHECK(top10.z > 0.5f);
    }
  }
}

TEST_CASE("a heavy box on a light one sinks in no deeper than the contact stiffness allows, at most 2 mm", "[contact][stack][mixed]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  for (bool default_dt : {false, true}) {
    for (double ratio : {1.0, 90.0, 300.0}) {
      Model m = compile_scene(mixed_scene(ratio, default_dt) + box("light", "light", 0.05) + box("heavy", "heavy", 0.15),
                              "pair.yaml");
      INFO("default dt " << default_dt << ", mass ratio " << ratio);
      Simulation sim(m, SimulationOptions{backend});
      // A contact is a spring of m omega^2 over the contact's effective
      // mass m, omega = 2 pi kContactHertzPerRate x the sub-step rate, and
      // kMixedHertzScale times that where masses kMixedMassRatio apart
      // touch. The light box (mass m) carries the heavy one (r m) on a
      // contact of reduced mass r m / (1 + r): it sinks in by
      // (1 + r) g / omega^2, and into the floor by the same (load
      // (1 + r) m g on mass m).
      const double scale = ratio >= kMixedMassRatio ? kMixedHertzScale : 1.0;
      const double omega = 2 * M_PI * scale * kContactHertzPerRate * m.substeps / m.dt;
      const double law = (1 + ratio) * kG / (omega * omega);
      double worst = 0;
      for (int k = 0; k < int(std::lround(3.0 / m.dt)); ++k) {
        sim.step(1);
        const State& s = sim.state();
        if (sim.time() < 1.0) continue;  // settled after the first second
        worst = std::max(worst, 0.1 - double(s.body_pos[2].z - s.body_pos[1].z));
        worst = std::max(worst, 0.05 - double(s.body_pos[1].z));
      }
      // 5%: the corners' effective masses and the settling residue.
      CHECK(worst <= law * 1.05);
      CHECK(worst <= 2e-3);  // at most 2 mm up to a mass ratio of 300
      CHECK(sim.state().body_pos[2].z > 0.1f);  // still on top
      // The world solves mixed masses in every step (the boxes start
      // touching), or in none.
      const int64_t steps = int64_t(std::lround(3.0 / m.dt));
      CHECK(sim.device_work().mixed_steps == (ratio >= kMixedMassRatio ? steps : 0));
    }
  }
}

// The largest rise of mechanical energy from one step to the next, as a
// fraction of the energy then, over `steps` steps.
double worst_energy_rise(Simulation& sim, int steps) {
  const Model& m = sim.model();
  double before = mechanical_energy(m, sim.state()), worst = 0;
  for (int k = 0; k < steps; ++k) {
    sim.step(1);
    const double now = mechanical_energy(m, sim.state());
    worst = std::max(worst, (now - before) / now);
    before = now;
  }
  return worst;
}

TEST_CASE("a falling pile with restitution 0 never gains energy from one step to the next", "[contact][energy]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // PILE-1000: ten layers of 10 cm boxes with 2 cm gaps land on each other
  // between steps 19 and 30; the pile is settling by step 60.
  Model m = load_scene(std::string(WERK_BENCH_SCENES_DIR) + "/pile_1000.yaml");
  Simulation sim(m, SimulationOptions{backend});
  // Nothing in the model adds energy: contacts only take it away. 0.1%
  // allows the push-out of the impacts' overlap (a few mm) lifting the pile.
  CHECK(worst_energy_rise(sim, 60) < 1e-3);
}

TEST_CASE("a falling pile of mixed masses never gains energy from one step to the next", "[contact][energy][mixed]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // PILE-1000 with its upper five layers 20 times denser: heavy boxes land
  // on light ones. Without shock propagation it gained 1.8% in a step.
  std::ifstream in(std::string(WERK_BENCH_SCENES_DIR) + "/pile_1000.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  replace("  box: {density: 1000, friction: 0.6, restitution: 0}\n",
          "  box: {density: 1000, friction: 0.6, restitution: 0}\n  heavy: {density: 20000, friction: 0.6, restitution: 0}\n");
  replace("count: [10, 10, 10]", "count: [10, 10, 5]");
  text += "  - {name: heavy, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: heavy, position: [-0.54, -0.54, 1.15],\n"
          "     grid: {count: [10, 10, 5], spacing: [0.12, 0.12, 0.12]}}\n";
  Model m = compile_scene(text, "pile_mixed.yaml");
  Simulation sim(m, SimulationOptions{backend});
  CHECK(worst_energy_rise(sim, 90) < 1e-3);
}

TEST_CASE("a pyramid set down on the floor never gains energy from one step to the next", "[contact][energy]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // PYRAMID-20: 210 boxes of 1 m set down exactly touching; the contacts'
  // softness lets the rows settle onto each other by a fraction of a mm.
  Model m = load_scene(std::string(WERK_BENCH_SCENES_DIR) + "/pyramid_20.yaml");
  Simulation sim(m, SimulationOptions{backend});
  CHECK(worst_energy_rise(sim, 120) < 1e-3);
}

TEST_CASE("a box dropped flat, on an edge or on a corner from 1 m never gains energy", "[contact][energy]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  struct Drop {
    const char* name;
    std::string rotation;
    double low;  // lowest point below the centre (m)
  };
  const Drop drops[] = {{"flat", "{axis: [0, 0, 1], angle_deg: 0}", 0.05},
                        {"edge", "{axis: [1, 0, 0], angle_deg: 45}", 0.05 * std::sqrt(2.0)},
                        {"corner", "{axis: [0.70710678, -0.70710678, 0], angle_deg: 54.7356103}", 0.05 * std::sqrt(3.0)}};
  for (const Drop& d : drops) {
    INFO(d.name);
    std::string text = test::scene_header("drop", 1.0 / 60, 8) +
                       "materials:\n  m: {density: 1000, friction: 0.6}\nstatic:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                       "bodies:\n  - {name: box, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: m, rotation: " + d.rotation +
                       ", position: [0, 0, " + test::num(1.0 + d.low) + "]}\n";
    Model m = compile_scene(text, "drop.yaml");
    Simulation sim(m, SimulationOptions{backend});
    // It lands after 0.45 s at 4.4 m/s and comes to rest within 2 s (on
    // the edge or corner it landed on: the drop is symmetric).
    CHECK(worst_energy_rise(sim, 120) < 1e-3);
    CHECK(sim.state().body_pos[1].z < d.low + 1e-3);
    CHECK(length(sim.state().body_vel[1]) < 1e-3);
  }
}

// Six 10 cm boxes stacked on the floor and a seventh (the hammer) above
// them, coming down at 10 m/s: it meets the top of the stack within the
// first step.
std::string hammer_scene() {
  return test::scene_header("impact", 1.0 / 60, 8) +
         "materials:\n  m: {density: 1000, friction: 0.6}\nstatic:\n  - {name: floor, shape: {type: plane}, material: m}\n"
         "bodies:\n  - {name: stack, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: m, position: [0, 0, 0.05],"
         " grid: {count: [1, 1, 6], spacing: [0.1, 0.1, 0.1]}}\n"
         "  - {name: hammer, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: m, position: [0, 0, 0.8],"
         " velocity: [0, 0, -10]}\n";
}

TEST_CASE("a box hitting a stack at 10 m/s never adds energy", "[contact][energy]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  Model m = compile_scene(hammer_scene(), "impact.yaml");
  Simulation sim(m, SimulationOptions{backend});
  CHECK(worst_energy_rise(sim, 120) < 1e-3);
}

TEST_CASE("a stack of mixed masses set down never gains energy from one step to the next", "[contact][energy][mixed]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // The six-box stack of density ratio 100, light box at the bottom, set
  // down exactly touching: its contacts solve stiffer and more often
  // (kMixedMassRatio). With the single pass of like masses it gained 0.55%.
  std::string text = mixed_scene(100, false);
  for (int i = 0; i < 6; ++i) text += box("b" + std::to_string(i), i % 2 == 0 ? "light" : "heavy", 0.05 + 0.1 * i);
  Model m = compile_scene(text, "mixed.yaml");
  Simulation sim(m, SimulationOptions{backend});
  CHECK(worst_energy_rise(sim, 180) < 1e-3);
}

// Bit-for-bit equality of every body's pose and velocity in one world.
bool same_world(Simulation& a, int wa, Simulation& b, int wb) {
  const int n = a.model().nbody();
  auto same = [n](auto x, auto y) { return std::memcmp(x.data(), y.data(), n * sizeof(x[0])) == 0; };
  return same(a.positions(wa), b.positions(wb)) && same(a.orientations(wa), b.orientations(wb)) &&
         same(a.velocities(wa), b.velocities(wb)) && same(a.angular_velocities(wa), b.angular_velocities(wb));
}

// On the CPU backend a world's contacts are coloured from its own contacts
// alone. The CUDA backend's parallel colouring ranks claims by the global
// contact index, so there a world's colours (and its bits) depend on how
// many contacts the worlds before it have, impact or not.
TEST_CASE("an impact in one world of a batch changes nothing in another", "[contact][energy]") {
  const std::string backend = "cpu";
  Model m = compile_scene(hammer_scene(), "impact.yaml");
  const BodyId hammer = m.body("hammer");
  // World 0: the hammer hits at 10 m/s in the first step (more relax
  // passes follow there); world 1: it is let go at rest and lands about
  // ten steps later at 1.7 m/s. Each must match the same world run alone.
  Simulation batch(m, SimulationOptions{backend, 0, 2});
  batch.set_body_velocity(hammer, Vec3{0, 0, 0}, Vec3{0, 0, 0}, 1);
  Simulation hit(m, SimulationOptions{backend});
  Simulation drop(m, SimulationOptions{backend});
  drop.set_body_velocity(hammer, Vec3{0, 0, 0}, Vec3{0, 0, 0});
  for (int k = 0; k < 60; ++k) {
    batch.step(1), hit.step(1), drop.step(1);
    INFO("step " << k + 1);
    REQUIRE(same_world(batch, 0, hit, 0));
    REQUIRE(same_world(batch, 1, drop, 0));
  }
}

TEST_CASE("a run resumed from the state and solver memory just after an impact continues bit for bit", "[contact][energy]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  Model m = compile_scene(hammer_scene(), "impact.yaml");
  Simulation ref(m, SimulationOptions{backend});
  ref.step(3);  // the impact's extra relax passes go on for 0.25 s
  const State state = ref.state();
  const SolverMemory memory = ref.solver_memory();
  ref.step(30);
  Simulation resumed(m, SimulationOptions{backend});
  resumed.set_state(state);
  resumed.set_solver_memory(memory);
  resumed.step(30);
  CHECK(resumed.hash() == ref.hash());
}

}  // namespace

TEST_CASE("a heavy box dropped onto a light one stops on it without gaining energy", "[contact][energy][mixed]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // Dropped from 0.5 m (3.1 m/s at impact) onto a box 30 to 300 times
  // lighter resting on the floor. The solve passes alone stopped it only
  // m / M of its speed per pass: at 300 it gained 14% of its energy in the
  // step of the impact and squeezed the light box out. Shock propagation
  // (kernels/shock_propagation.h) stops it on the light box.
  for (bool default_dt : {false, true}) {
    for (double ratio : {30.0, 100.0, 300.0}) {
      Model m = compile_scene(mixed_scene(ratio, default_dt) + box("light", "light", 0.05) + box("heavy", "heavy", 0.65),
                              "drop.yaml");
      INFO("default dt " << default_dt << ", mass ratio " << ratio);
      Simulation sim(m, SimulationOptions{backend});
      double worst_sink = 0;
      const int steps = int(std::lround(2.0 / m.dt));
      double before = mechanical_energy(m, sim.state()), worst_rise = 0;
      for (int k = 0; k < steps; ++k) {
        sim.step(1);
        const State& s = sim.state();
        const double now = mechanical_energy(m, s);
        worst_rise = std::max(worst_rise, (now - before) / now);
        before = now;
        worst_sink = std::max(worst_sink, 0.1 - double(s.body_pos[2].z - s.body_pos[1].z));
      }
      CHECK(worst_rise < 1e-3);
      // No deeper than the resting heavy box sinks in (the 2 mm of the
      // stacking test), and the light box is still under it.
      CHECK(worst_sink <= 2e-3);
      const State& s = sim.state();
      CHECK(std::abs(s.body_pos[1].x) < 2e-3);
      CHECK(std::abs(s.body_pos[1].y) < 2e-3);
      CHECK(s.body_pos[2].z > 0.145f);
    }
  }
}

TEST_CASE("shock propagation gives the same bits on one thread and on two", "[contact][mixed][determinism]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // Two columns of alternating boxes, heavy ones dropped onto light ones,
  // in a batch of worlds (enough for two threads to share them): every
  // world orders and runs its shocks on one thread.
  std::string text = mixed_scene(100, false);
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 4; ++i)
      text += "  - {name: c" + std::to_string(c) + "b" + std::to_string(i) +
              ", shape: {type: box, size: [0.1, 0.1, 0.1]}, material: " + (i % 2 == 0 ? "light" : "heavy") +
              ", position: [" + test::num(0.3 * c) + ", 0, " + test::num(0.05 + 0.2 * i) + "]}\n";
  Model m = compile_scene(text, "columns.yaml");
  auto run = [&](int threads) {
    SimulationOptions o{backend, threads};
    o.nworld = 128;
    o.adaptive_threads = false;
    Simulation sim(m, o);
    sim.step(90);
    return sim.state();
  };
  const State one = run(1), two = run(2);
  REQUIRE(one.body_pos.size() == two.body_pos.size());
  CHECK(std::memcmp(one.body_pos.data(), two.body_pos.data(), one.body_pos.size() * sizeof(Vec3)) == 0);
  CHECK(std::memcmp(one.body_vel.data(), two.body_vel.data(), one.body_vel.size() * sizeof(Vec3)) == 0);
}
