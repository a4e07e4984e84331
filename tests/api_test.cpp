// The embedding C++ API: a Simulation that owns its model, lookups by
// name, in-place setters, state views, and process simulation as values.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "test_util.h"
#include "werk/error.h"
#include "werk/process_run.h"

using namespace werk;

namespace {

const std::string kApiScene = std::string(WERK_TEST_DATA_DIR) + "/../embedding/api_scene.yaml";

// M/M/1 at rho = 0.5 (see the file).
const std::string kMM1 = std::string(WERK_TEST_DATA_DIR) + "/../embedding/mm1_short.yaml";

SimulationOptions on(const std::string& backend) {
  SimulationOptions o;
  o.backend = backend;
  o.threads = 1;
  return o;
}

}  // namespace

TEST_CASE("a simulation owns the model it was given as a temporary", "[api]") {
  const std::string backend = GENERATE(from_range(test::backends()));
  Simulation sim(load_scene(kApiScene), on(backend));
  REQUIRE(sim.model().name == "api_test");
  REQUIRE(sim.shared_model().use_count() == 1);
  sim.step(24);
  CHECK(sim.time() == Approx(0.1).epsilon(1e-12));
  // A shared model is shared, not copied.
  auto shared = std::make_shared<const Model>(load_scene(kApiScene));
  Simulation a(shared, on(backend)), b(shared, on(backend));
  CHECK(&a.model() == shared.get());
  CHECK(shared.use_count() == 3);
}

TEST_CASE("lookups by name return typed ids or a NameError listing the names", "[api]") {
  Model m = load_scene(kApiScene);
  CHECK(m.body_name[m.body("carriage").index] == "carriage");
  CHECK(m.conveyor_name[m.conveyor("belt").index] == "belt");
  CHECK(m.joint_name[m.joint("rail").index] == "rail");
  try {
    m.conveyor("infeed");
    FAIL("no NameError");
  } catch (const NameError& e) {
    CHECK(e.file() == kApiScene);
    CHECK(e.message() == "no conveyor named 'infeed'; expected one of: belt");
  }
  CHECK_THROWS_AS(m.joint("hinge"), InputError);  // a NameError is an InputError
}

TEST_CASE("setters change the simulation in place", "[api]") {
  const std::string backend = GENERATE(from_range(test::backends()));
  Simulation sim(load_scene(kApiScene), on(backend));
  const Model& m = sim.model();
  const BodyId box = m.body("box"), carriage = m.body("carriage"), ball = m.body("ball");
  // Friction (mu g = 7.85 m/s^2) brings the box to the belt's 0.5 m/s in
  // 0.07 s; the motor (200 N on 1 kg) holds the carriage at its target.
  // 2% of the speed covers the iterative solver's residual slip.
  sim.step(240);
  CHECK(sim.velocities()[box.index].x == Approx(0.5).margin(0.01));
  CHECK(sim.velocities()[carriage.index].x == Approx(0.5).margin(0.01));
  sim.set_conveyor_speed(m.conveyor("belt"), 1.0f);
  sim.set_motor_target(m.joint("rail"), -0.2f);
  CHECK(sim.conveyor_speed(m.conveyor("belt")) == 1.0f);
  CHECK(sim.state().joint_motor_target[0] == -0.2f);  // the host copy follows
  sim.step(120);
  CHECK(sim.velocities()[box.index].x == Approx(1.0).margin(0.02));
  CHECK(sim.velocities()[carriage.index].x == Approx(-0.2).margin(0.01));
  // At rest at (5, 5, 20), then 1 s of free fall: z = 20 - g/2, within the
  // first-order integrator's error g dt t.
  sim.set_body_velocity(ball, {0, 0, 0}, {0, 0, 0});
  sim.set_body_pose(ball, {5, 5, 20}, {1, 0, 0, 0});
  sim.step(240);
  const Vec3 p = sim.positions()[ball.index];
  CHECK(p.x == 5.0f);
  CHECK(p.y == 5.0f);
  CHECK(p.z == Approx(20 - 9.81 / 2).margin(9.81 / 240));
  CHECK_THROWS_AS(sim.set_conveyor_speed(ConveyorId{3}, 1.0f), std::out_of_range);
  CHECK_THROWS_AS(sim.set_body_pose(ball, {0, 0, 0}, {1, 0, 0, 0}, 1), std::out_of_range);
}

TEST_CASE("setters keep the run bit-identical to one that never called them needlessly", "[api]") {
  // Setting a belt to the speed it already has must not disturb anything
  // (no state copy, no lost contact history): the same hash as not setting it.
  Simulation a(load_scene(kApiScene), on("cpu")), b(load_scene(kApiScene), on("cpu"));
  a.step(100);
  b.step(100);
  b.set_conveyor_speed(b.model().conveyor("belt"), 0.5f);
  a.step(100);
  b.step(100);
  CHECK(a.hash() == b.hash());
}

TEST_CASE("state views read the CPU backend's memory without a copy", "[api]") {
  Simulation sim(load_scene(kApiScene), on("cpu"));
  REQUIRE(sim.views_are_zero_copy());
  View<const Vec3> before = sim.positions();
  sim.step(24);
  View<const Vec3> after = sim.positions();
  CHECK(after.data() == before.data());
  CHECK(after.size() == size_t(sim.model().nbody()));
  const State& s = sim.state();
  for (size_t i = 0; i < after.size(); ++i) CHECK(std::memcmp(&after[i], &s.body_pos[i], sizeof(Vec3)) == 0);
}

TEST_CASE("process simulation returns KPIs as values, equal to the CLI's", "[api][process]") {
  ProcessOptions o;
  o.replications = 4;
  o.threads = 1;
  std::ifstream text_in(kMM1);
  std::stringstream text;
  text << text_in.rdbuf();
  ProcessResult r = ProcessModel::from_text(text.str(), "mm1.yaml").run(o);
  // The server is busy rho = 0.5 of the time; over ~40000 arrivals the
  // estimate's standard error is below 0.01.
  const Kpi& u = r.kpi("server.utilization");
  CHECK(u.mean == Approx(0.5).margin(0.03));
  CHECK(u.values.size() == 4);
  CHECK(u.ci95_low < u.mean);
  CHECK(u.mean < u.ci95_high);
  CHECK(r.bottleneck == "server");
  CHECK_THROWS_AS(r.kpi("server.speed"), NameError);

  auto dir = test::temp_dir("api_process");
  const std::string scene = kMM1;
  REQUIRE(test::run_werk("run " + scene + " --replications 4 -q --kpis " + (dir / "k.json").string() + " -o " +
                         (dir / "k.h5").string()) == 0);
  std::ifstream in(dir / "k.json");
  std::stringstream cli;
  cli << in.rdbuf();
  CHECK(cli.str() == r.json + "\n");
  CHECK(run_process(scene, o).json == r.json);
}

TEST_CASE("process scene errors carry their location", "[api][process]") {
  try {
    ProcessModel::from_text("werk: 1\nname: x\nduration: 100\nprocess:\n  objects:\n    a: {type: sorce}\n", "bad.yaml");
    FAIL("no InputError");
  } catch (const InputError& e) {
    CHECK(e.file() == "bad.yaml");
    CHECK(e.line() == 6);  // the misspelt type
    CHECK(e.column() > 0);
  }
  CHECK_THROWS_AS(ProcessModel::from_text("werk: 1\nname: x\n", "none.yaml"), InputError);
}

TEST_CASE("setters and views address one world of several", "[api]") {
  const std::string backend = GENERATE(from_range(test::backends()));
  SimulationOptions o = on(backend);
  o.nworld = 3;
  Simulation sim(load_scene(kApiScene), o);
  const BodyId box = sim.model().body("box");
  sim.set_conveyor_speed(sim.model().conveyor("belt"), 1.0f, 1);
  sim.set_conveyor_speed(sim.model().conveyor("belt"), -0.5f, 2);
  sim.step(240);
  // Each box rides its own world's belt (friction reaches the belt speed in
  // under 0.15 s; 2% covers the solver's residual slip).
  CHECK(sim.velocities(0)[box.index].x == Approx(0.5).margin(0.01));
  CHECK(sim.velocities(1)[box.index].x == Approx(1.0).margin(0.02));
  CHECK(sim.velocities(2)[box.index].x == Approx(-0.5).margin(0.01));
  CHECK(sim.positions(2).data() == sim.positions(0).data() + 2 * sim.model().nbody());
  CHECK(sim.conveyor_speed(sim.model().conveyor("belt"), 0) == 0.5f);
  CHECK_THROWS_AS(sim.positions(3), std::out_of_range);
}
