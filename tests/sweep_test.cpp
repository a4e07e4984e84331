// What-if sweeps (werk sweep): designs, parameter paths and their errors,
// a queueing sweep against theory, physics variants batched as worlds
// against one-by-one runs, MPI, resume after SIGKILL and failing variants.
// The Slurm job array runs in tests/sweep_slurm_test.sh.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cmath>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "process/experiment.h"
#include "sweep/sweep.h"
#include "test_util.h"
#include "werk/error.h"

using namespace werk;
namespace fs = std::filesystem;

namespace {

// M/M/1/K with lambda = 1, mu = 1.25 (the process_queueing_test scene):
// K = queue capacity + 1 in the system, arrivals that find it full are lost.
const char* kMM1K =
    "werk: 1\nname: mm1k\nseed: 11\nprocess:\n  duration: 50000\n  warmup: 1000\n  event_log: false\n  replications: 2\n"
    "  objects:\n"
    "    arrivals: {type: source, interarrival: {dist: exponential, mean: 1}, when_blocked: lose, to: queue}\n"
    "    queue: {type: buffer, capacity: 4, to: server}\n"
    "    server: {type: station, process_time: {dist: exponential, mean: 0.8}, to: out}\n"
    "    out: {type: sink}\n";

const char* kMM1KSweep =
    "scene: mm1k.yaml\n"
    "parameters:\n"
    "  process.objects.queue.capacity: {values: [1, 2, 4, 8], name: queue, unit: parts}\n"
    "replications: 8\n"
    "seed: 5\n"
    "outputs: [arrivals.loss_probability, server.utilization]\n"
    "objective: {minimise: arrivals.loss_probability}\n"
    "constraints: {server.utilization: {max: 0.79}}\n";

// Boxes on a belt (per-world parameters only: belt speed, a box's start).
std::string belt_scene() {
  return test::scene_header("belt", 1.0 / 120, 2) + "duration: 1.5\n" +
         "materials:\n  rubber: {density: 500, friction: 0.8}\n"
         "static:\n  - {name: floor, shape: {type: plane}}\n"
         "  - {name: zone, shape: {type: box, size: [0.5, 1, 0.5]}, position: [0.75, 0, 1.5]}\n"
         "conveyors:\n  - {name: belt, from: [0, 0, 0.5], to: [3, 0, 0.5], width: 0.6, speed: 0.5, material: rubber}\n"
         "bodies:\n"
         "  - {name: a, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: rubber, position: [0.2, 0, 0.56]}\n"
         "  - {name: b, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: rubber, position: [0.5, 0.1, 0.56], velocity: [0, 0, 0]}\n";
}

std::string write_pair(const fs::path& dir, const std::string& scene_name, const std::string& scene,
                       const std::string& sweep_name, const std::string& sweep) {
  test::write_file(dir / scene_name, scene);
  return test::write_file(dir / sweep_name, sweep);
}

// The located error a sweep file gives.
InputError load_error(const std::string& path) {
  try {
    sweep::load(path);
  } catch (const InputError& e) {
    return e;
  }
  FAIL("no InputError for " << path);
  return InputError("", 0, 0, "");
}

// Results files equal value for value (wall times aside).
void require_same_results(const sweep::Spec& spec, const std::string& a, const std::string& b) {
  sweep::Results x = sweep::read_results(a, spec), y = sweep::read_results(b, spec);
  REQUIRE(x.records.size() == y.records.size());
  for (size_t v = 0; v < x.records.size(); ++v) {
    INFO("variant " << v);
    CHECK(x.records[v].variant == y.records[v].variant);
    CHECK(x.records[v].ok == y.records[v].ok);
    CHECK(x.records[v].message == y.records[v].message);
    CHECK(x.records[v].state_hash == y.records[v].state_hash);
    REQUIRE(x.records[v].values.size() == y.records[v].values.size());
    for (size_t k = 0; k < x.records[v].values.size(); ++k)
      for (size_t r = 0; r < x.records[v].values[k].size(); ++r) {
        double p = x.records[v].values[k][r], q = y.records[v].values[k][r];
        CHECK(((std::isnan(p) && std::isnan(q)) || p == q));
      }
  }
}

}  // namespace

TEST_CASE("sweep designs: grid product, cases, LHS strata, Sobol points, seeded", "[sweep]") {
  auto dir = test::temp_dir("sweep_design");
  test::write_file(dir / "mm1k.yaml", kMM1K);
  SECTION("a grid is the full product, first parameter slowest") {
    auto f = test::write_file(dir / "g.yaml",
                              "scene: mm1k.yaml\nparameters:\n  process.objects.queue.capacity: [2, 3, 4]\n"
                              "  process.objects.server.process_time.mean: {from: 0.5, to: 0.7, step: 0.1}\n"
                              "outputs: [arrivals.loss_probability]\n");
    sweep::Spec s = sweep::load(f);
    REQUIRE(s.nvariant() == 9);
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& v : s.variants) seen.insert({v[0].text, v[1].text});
    CHECK(seen.size() == 9);
    CHECK(s.variants[0][0].text == "2");
    CHECK(s.variants[1][0].text == "2");
    CHECK(s.variants[3][0].text == "3");
    // The range reaches its end despite 0.1's rounding and keeps exact text.
    CHECK(s.variants[2][1].number == Approx(0.7).epsilon(1e-12));
    CHECK(s.variants[1][1].text == "0.6");
    CHECK(s.replications == 2);  // the scene's process.replications
    CHECK(s.seed == 11);         // the scene's seed
    // The variant scene holds the values.
    YAML::Node doc = sweep::variant_document(s, 5);
    CHECK(doc["process"]["objects"]["queue"]["capacity"].as<int>() == 3);
    CHECK(doc["process"]["objects"]["server"]["process_time"]["mean"].as<double>() == Approx(0.7));
  }
  SECTION("cases are the rows as written") {
    auto f = test::write_file(dir / "c.yaml",
                              "scene: mm1k.yaml\ndesign: {type: cases, rows: [[2, 0.5], [9, 0.6]]}\nparameters:\n"
                              "  process.objects.queue.capacity:\n  process.objects.server.process_time.mean:\n"
                              "outputs: [arrivals.loss_probability]\n");
    sweep::Spec s = sweep::load(f);
    REQUIRE(s.nvariant() == 2);
    CHECK(s.variants[1][0].text == "9");
    CHECK(s.variants[1][1].text == "0.6");
  }
  SECTION("a Latin hypercube has one sample in each of N strata per parameter") {
    const int n = 17, d = 4;
    auto pts = sweep::latin_hypercube(n, d, 99);
    for (int k = 0; k < d; ++k) {
      std::set<int> strata;
      for (const auto& p : pts) {
        REQUIRE(p[k] >= 0.0);
        REQUIRE(p[k] < 1.0);
        strata.insert(int(std::floor(p[k] * n)));
      }
      CHECK(strata.size() == size_t(n));
    }
    CHECK(sweep::latin_hypercube(n, d, 99) == pts);
    CHECK(sweep::latin_hypercube(n, d, 100) != pts);
  }
  SECTION("Sobol points match the published sequence; scrambling is a seeded digital shift") {
    // The first 8 points of the 3-dimensional Sobol sequence with Joe and
    // Kuo's direction numbers (as listed by Joe and Kuo and by scipy's
    // Sobol(d=3, scramble=False)).
    const double published[8][3] = {{0, 0, 0},           {0.5, 0.5, 0.5},     {0.75, 0.25, 0.25},  {0.25, 0.75, 0.75},
                                    {0.375, 0.375, 0.625}, {0.875, 0.875, 0.125}, {0.625, 0.125, 0.875}, {0.125, 0.625, 0.375}};
    auto pts = sweep::sobol_points(8, 3, false, 0);
    for (int i = 0; i < 8; ++i)
      for (int k = 0; k < 3; ++k) CHECK(pts[i][k] == published[i][k]);
    // A digital shift keeps the net property: the first 8 points still fall
    // one in each eighth of every axis.
    auto scr = sweep::sobol_points(8, 3, true, 42);
    for (int k = 0; k < 3; ++k) {
      std::set<int> cells;
      for (const auto& p : scr) cells.insert(int(std::floor(p[k] * 8)));
      CHECK(cells.size() == 8);
    }
    CHECK(sweep::sobol_points(8, 3, true, 42) == scr);
    CHECK(sweep::sobol_points(8, 3, true, 43) != scr);
  }
  SECTION("the same sweep file gives the same sampled variants; another seed others") {
    std::string body =
        "scene: mm1k.yaml\ndesign: {type: lhs, samples: 6}\nparameters:\n"
        "  process.objects.queue.capacity: {min: 1, max: 10, integer: true}\n"
        "  process.objects.server.process_time.mean: {min: 0.5, max: 0.9}\noutputs: [arrivals.loss_probability]\n";
    sweep::Spec a = sweep::load(test::write_file(dir / "l1.yaml", body + "seed: 3\n"));
    sweep::Spec b = sweep::load(test::write_file(dir / "l2.yaml", body + "seed: 3\n"));
    sweep::Spec c = sweep::load(test::write_file(dir / "l3.yaml", body + "seed: 4\n"));
    REQUIRE(a.nvariant() == 6);
    bool same = true, differ = false;
    for (int v = 0; v < 6; ++v)
      for (int k = 0; k < 2; ++k) {
        same &= a.variants[v][k].text == b.variants[v][k].text;
        differ |= a.variants[v][k].text != c.variants[v][k].text;
        if (k == 0) CHECK(a.variants[v][k].number == std::floor(a.variants[v][k].number));
      }
    CHECK(same);
    CHECK(differ);
  }
  fs::remove_all(dir);
}

TEST_CASE("sweep parameter paths resolve every kind, bad ones give located errors", "[sweep]") {
  auto dir = test::temp_dir("sweep_paths");
  test::write_file(dir / "belt.yaml", belt_scene());
  test::write_file(dir / "mm1k.yaml", kMM1K);
  // Map keys, a list entry by name, by index, and an element of a vector.
  auto f = test::write_file(dir / "p.yaml",
                            "scene: belt.yaml\nparameters:\n"
                            "  materials.rubber.friction: [0.6]\n"
                            "  conveyors[belt].speed: [0.25]\n"
                            "  bodies[1].position[1]: [-0.1]\n"
                            "  static[zone].position[2]: [2]\n"
                            "outputs: [{name: n, figure: bodies_inside, inside: zone}]\n");
  sweep::Spec s = sweep::load(f);
  Model m = compile_scene(sweep::variant_text(s, 0), s.scene_file);
  CHECK(m.material_friction[1] == 0.6f);
  CHECK(m.conveyor_speed[0] == 0.25f);
  CHECK(m.body_pos0[m.body_index("b")].y == -0.1f);
  CHECK(m.body_pos0[m.body_index("zone")].z == 2.0f);

  auto err = [&](const std::string& name, const std::string& text) {
    return load_error(test::write_file(dir / name, text));
  };
  // A key that is not there: located at the parameter, naming the keys there are.
  InputError e = err("e1.yaml", "scene: belt.yaml\nparameters:\n  materials.rubber.frction: [0.6]\noutputs: [wall_time]\n");
  CHECK(e.line() == 3);
  CHECK(e.column() == 3);
  CHECK_THAT(e.message(), Catch::Contains("no key 'frction'") && Catch::Contains("friction"));
  // A list entry that is not there.
  e = err("e2.yaml", "scene: belt.yaml\nparameters:\n  x: [1]\n  conveyors[outfeed].speed: [0.6]\noutputs: [wall_time]\n");
  CHECK(e.line() == 3);  // 'x' comes first and is wrong too
  e = err("e3.yaml", "scene: belt.yaml\nparameters:\n  conveyors[outfeed].speed: [0.6]\noutputs: [wall_time]\n");
  CHECK(e.line() == 3);
  CHECK_THAT(e.message(), Catch::Contains("no entry named 'outfeed'") && Catch::Contains("belt"));
  // A value of the wrong type.
  e = err("e4.yaml", "scene: belt.yaml\nparameters:\n  conveyors[belt].speed: [0.5, fast]\noutputs: [wall_time]\n");
  CHECK(e.line() == 3);
  CHECK_THAT(e.message(), Catch::Contains("expected a number") && Catch::Contains("fast"));
  // A fraction for an integer parameter, at the value.
  e = err("e5.yaml", "scene: mm1k.yaml\nparameters:\n  process.objects.queue.capacity: {values: [2, 2.5], integer: true}\n"
                     "outputs: [arrivals.loss_probability]\n");
  CHECK(e.line() == 3);
  CHECK(e.column() == 48);  // at 2.5
  // A variant whose scene is invalid: the parameter's location and the scene's message.
  e = err("e6.yaml", "scene: mm1k.yaml\nparameters:\n  process.objects.server.process_time.mean: [0.8]\n"
                     "  process.objects.queue.capacity: [4, -3]\noutputs: [arrivals.loss_probability]\n");
  CHECK(e.line() == 4);
  CHECK_THAT(e.message(), Catch::Contains("variant 1") && Catch::Contains("capacity"));
  // An unknown KPI, an unknown key of the sweep file, a figure on a process scene.
  e = err("e7.yaml", "scene: mm1k.yaml\nparameters:\n  process.objects.queue.capacity: [4]\noutputs: [throughputt]\n");
  CHECK(e.line() == 4);
  CHECK_THAT(e.message(), Catch::Contains("arrivals.loss_probability"));
  e = err("e8.yaml", "scene: mm1k.yaml\nparameters:\n  process.objects.queue.capacity: [4]\noutputs: [arrivals.lost]\nreplicatons: 3\n");
  CHECK(e.line() == 5);
  // The command line: exit 2, the location on stderr, nothing written.
  std::string out;
  CHECK(test::run_werk("sweep " + (dir / "e6.yaml").string() + " -o " + (dir / "e6.h5").string(), &out) == 2);
  CHECK_THAT(out, Catch::Contains("e6.yaml:4:3:"));
  CHECK(!fs::exists(dir / "e6.h5"));
  fs::remove_all(dir);
}

TEST_CASE("sweep of M/M/1/K buffer sizes reproduces the analytic loss probability", "[sweep][process]") {
  auto dir = test::temp_dir("sweep_mm1k");
  auto f = write_pair(dir, "mm1k.yaml", kMM1K, "mm1k_sweep.yaml", kMM1KSweep);
  const std::string out = (dir / "r.h5").string(), csv = (dir / "r.csv").string();
  std::string text;
  REQUIRE(test::run_werk("sweep " + f + " -o " + out + " --csv " + csv + " --jobs 2", &text) == 0);
  sweep::Spec spec = sweep::load(f);
  sweep::Results res = sweep::read_results(out, spec);
  const double rho = 1.0 / 1.25;
  for (int v = 0; v < 4; ++v) {
    const int K = int(spec.variants[v][0].number) + 1;  // queue places plus the server
    const double loss = (1 - rho) * std::pow(rho, K) / (1 - std::pow(rho, K + 1));
    REQUIRE(res.records[v].ok);
    const auto& x = res.records[v].values[0];
    REQUIRE(x.size() == 8);
    // 99% Student-t interval over 8 independent replications (four
    // assertions at 99% keep a false alarm for a given seed unlikely; the
    // file's own 95% interval is checked to be the same computation).
    double mean, half;
    process::confidence_interval(x, 0.99, mean, half);
    INFO("K = " << K << ": loss " << mean << " +- " << half << ", theory " << loss);
    CHECK(std::abs(mean - loss) <= half);
    sweep::Stat st = sweep::stat(x);
    double m95, h95;
    process::confidence_interval(x, 0.95, m95, h95);
    CHECK(st.low == Approx(m95 - h95).epsilon(1e-12));
  }
  // The ranked table: the smallest loss first, the utilisation constraint
  // (<= 0.79; the server is busy rho(1 - P_loss), above 0.79 only for K >= 9)
  // marks none of these.
  CHECK_THAT(text, Catch::Contains("min arrivals.loss_probability"));
  const size_t first = text.find("\n1  "), second = text.find("\n2  ");
  REQUIRE(first != std::string::npos);
  INFO(text);
  CHECK(text.substr(first, 12).find(" 3 ") != std::string::npos);  // variant 3: queue 8, the least loss
  CHECK(second > first);
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  CHECK_THAT(header, Catch::StartsWith("rank,variant,status,feasible,queue,arrivals.loss_probability_mean"));
  // werk info describes the file.
  REQUIRE(test::run_werk("info " + out, &text) == 0);
  CHECK_THAT(text, Catch::Contains("4 (4 ok, 0 failed, 0 not run)") && Catch::Contains("arrivals.loss_probability"));
  fs::remove_all(dir);
}

TEST_CASE("physics variants batched as worlds equal the same variants run one by one", "[sweep][physics]") {
  const std::string backend = GENERATE(from_range(test::backends()));
  auto dir = test::temp_dir("sweep_worlds");
  auto f = write_pair(dir, "belt.yaml", belt_scene(), "s.yaml",
                      "scene: belt.yaml\nparameters:\n  conveyors[belt].speed: [0.2, 0.5, 1.0]\n"
                      "  bodies[a].position[0]: [0.2, 0.35]\n  bodies[b].velocity[1]: [0, 0.2]\n"
                      "outputs:\n  - {name: in_zone, figure: bodies_inside, inside: zone}\n"
                      "  - {name: moving_until, figure: last_motion, speed: 0.05}\n");
  sweep::Spec spec = sweep::load(f);
  REQUIRE(spec.nvariant() == 12);
  std::vector<int> all;
  for (int v = 0; v < 12; ++v) all.push_back(v);
  auto batches = sweep::plan_batches(spec, all, 64);
  REQUIRE(batches.size() == 1);  // every parameter is per world: one Model
  sweep::RunOptions o;
  o.backend = backend;
  o.threads = 1;
  std::vector<sweep::Record> batched = sweep::run_variants(spec, batches[0], o);
  for (int v = 0; v < 12; ++v) {
    INFO("variant " << v << " on " << backend);
    REQUIRE(batched[v].ok);
    std::vector<sweep::Record> alone = sweep::run_variants(spec, {v}, o);
    CHECK(alone[0].state_hash == batched[v].state_hash);
    CHECK(alone[0].values == batched[v].values);
    // And a plain simulation of the variant's scene, as `werk run` compiles it.
    SimulationOptions so;
    so.backend = backend;
    so.threads = 1;
    Simulation sim(compile_scene(sweep::variant_text(spec, v), spec.scene_file), so);
    sim.step(180);  // 1.5 s at 1/120 s
    CHECK(sim.hash() == batched[v].state_hash);
  }
  // The zone floats above the belt: no part centre is ever inside it.
  for (const auto& r : batched) CHECK(r.values[0][0] == 0);
  // Parts ride the belt the whole time, faster than 0.05 m/s until the end.
  for (const auto& r : batched) CHECK(r.values[1][0] == Approx(1.5));
  fs::remove_all(dir);
}

TEST_CASE("sweep batches only variants that differ in per-world quantities", "[sweep][physics]") {
  auto dir = test::temp_dir("sweep_plan");
  // A carriage on a driven rail (its motor target is per world) and a
  // loose box; the box's friction is a material, compiled into the Model.
  std::string scene = test::scene_header("rail", 1.0 / 120, 2) + "duration: 0.25\n" +
                      "materials:\n  steel: {density: 1000, friction: 0.5}\n"
                      "static:\n  - {name: floor, shape: {type: plane}, material: steel}\n"
                      "bodies:\n"
                      "  - {name: carriage, shape: {type: box, size: [0.2, 0.2, 0.1]}, position: [0, 0, 1]}\n"
                      "  - {name: box, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: steel, position: [2, 0, 0.05]}\n"
                      "joints:\n  - {name: rail, type: prismatic, body_b: carriage, anchor: [0, 0, 1], axis: [1, 0, 0],"
                      " motor: {type: velocity, target: 0.5, max_force: 200}}\n";
  test::write_file(dir / "rail.yaml", scene);
  auto plan = [&](const std::string& params) {
    auto f = test::write_file(dir / "s.yaml", "scene: rail.yaml\nparameters:\n" + params +
                                                  "outputs: [{name: t, figure: last_motion, speed: 0.1}]\n");
    sweep::Spec spec = sweep::load(f);
    std::vector<int> all;
    for (int v = 0; v < spec.nvariant(); ++v) all.push_back(v);
    auto batches = sweep::plan_batches(spec, all, 64);
    // Whatever the plan, each variant's result is its own run's.
    sweep::RunOptions o;
    for (const auto& b : batches) {
      auto recs = sweep::run_variants(spec, b, o);
      for (size_t i = 0; i < b.size(); ++i) {
        Simulation sim(compile_scene(sweep::variant_text(spec, b[i]), spec.scene_file), SimulationOptions{"cpu", 1, 1});
        sim.step(30);
        CHECK(recs[i].state_hash == sim.hash());
      }
    }
    return batches.size();
  };
  // Motor targets and a loose body's start: one Model, one batch.
  CHECK(plan("  joints[rail].motor.target: [0.1, 0.5, 1.0]\n  bodies[box].position[0]: [2, 3]\n") == 1);
  // The carriage's start moves the joint's anchor in its frame: its own Model each.
  CHECK(plan("  bodies[carriage].position[2]: [1.0, 1.2]\n") == 2);
  // A material: one Model per value; the motor targets batch within each.
  CHECK(plan("  materials.steel.friction: [0.3, 0.6]\n  joints[rail].motor.target: [0.1, 0.5]\n") == 2);
  fs::remove_all(dir);
}

TEST_CASE("sweep physics figures: parts in a bin, settling time", "[sweep][physics]") {
  auto dir = test::temp_dir("sweep_figures");
  // Two boxes dropped from 0.5 m above the floor; the bin's floor and walls
  // are static boxes around x in [-0.3, 0.3]. Box b drops inside, box a
  // inside or beside it.
  std::string scene = test::scene_header("drop", 1.0 / 240, 4) + "duration: 1.0\n" +
                      "materials:\n  felt: {density: 300, friction: 0.9, restitution: 0}\n"
                      "static:\n  - {name: floor, shape: {type: plane}, material: felt}\n"
                      "  - {name: bin_floor, shape: {type: box, size: [0.6, 0.6, 0.02]}, position: [0, 0, 0.01], material: felt}\n"
                      "  - {name: bin_wall, shape: {type: box, size: [0.02, 0.6, 0.3]}, position: [0.3, 0, 0.15], material: felt}\n"
                      "bodies:\n"
                      "  - {name: a, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: felt, position: [0, 0.1, 0.55]}\n"
                      "  - {name: b, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: felt, position: [0, -0.1, 0.55]}\n";
  auto f = write_pair(dir, "drop.yaml", scene, "s.yaml",
                      "scene: drop.yaml\nparameters:\n  bodies[a].position[0]: [0.1, 1.0]\n"
                      "outputs:\n  - {name: in_bin, figure: bodies_inside, inside: 'bin_*'}\n"
                      "  - {name: settled, figure: last_motion, speed: 0.05}\n  - max_overlap\n");
  sweep::Spec spec = sweep::load(f);
  sweep::RunOptions o;
  auto r = sweep::run_variants(spec, {0, 1}, o);
  REQUIRE(r[0].ok);
  REQUIRE(r[1].ok);
  CHECK(r[0].values[0][0] == 2);  // both in the bin
  CHECK(r[1].values[0][0] == 1);  // a fell beside it
  // A fall of 0.45 m (centre 0.55 to 0.1 over the bin floor) takes
  // sqrt(2 h / g) = 0.303 s; with no restitution the box stops within a few
  // steps of landing: the last time above 0.05 m/s is within 0.05 s after.
  const double t_fall = std::sqrt(2 * 0.45 / 9.81);
  CHECK(r[0].values[1][0] >= t_fall - 0.01);
  CHECK(r[0].values[1][0] <= t_fall + 0.05);
  // Overlap stays at the contact solver's slop (millimetres).
  CHECK(r[0].values[2][0] >= 0);
  CHECK(r[0].values[2][0] < 0.005);
  fs::remove_all(dir);
}

namespace {

pid_t spawn_werk(const std::string& args) {
  std::vector<std::string> argv_s{WERK_BINARY};
  std::istringstream in(args);
  std::string a;
  while (in >> a) argv_s.push_back(a);
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  posix_spawn(&pid, WERK_BINARY, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int done_variants(const sweep::Spec& spec, const std::string& path) {
  if (!sweep::is_results_file(path)) return 0;
  int n = 0;
  for (const auto& r : sweep::read_results(path, spec).records) n += r.variant >= 0;
  return n;
}

}  // namespace

TEST_CASE("a sweep killed halfway resumes to the uninterrupted result", "[sweep][process]") {
  auto dir = test::temp_dir("sweep_resume");
  // 24 variants of about 0.1 s each on one worker.
  std::string sweep_text =
      "scene: mm1k.yaml\nparameters:\n  process.objects.queue.capacity: {from: 1, to: 12, step: 1}\n"
      "  process.objects.server.process_time.mean: [0.7, 0.8]\nreplications: 3\n"
      "outputs: [arrivals.loss_probability, line.throughput]\n";
  auto f = write_pair(dir, "mm1k.yaml", kMM1K, "s.yaml", sweep_text);
  sweep::Spec spec = sweep::load(f);
  const std::string full = (dir / "full.h5").string(), cut = (dir / "cut.h5").string();
  REQUIRE(test::run_werk("sweep " + f + " -q --jobs 2 -o " + full) == 0);
  pid_t pid = spawn_werk("sweep " + f + " -q --jobs 1 -o " + cut);
  int done = 0;
  // Wait (up to a minute) for some variants to be in the file, then kill.
  for (int i = 0; i < 600 && done == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    done = done_variants(spec, cut);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(done > 0);
  const int kept = done_variants(spec, cut);
  INFO("variants complete when killed: " << kept);
  CHECK(kept < spec.nvariant());  // killed halfway, not after the end
  std::string text;
  REQUIRE(test::run_werk("sweep " + f + " --jobs 2 -o " + cut, &text) == 0);
  CHECK_THAT(text, Catch::Contains("already complete"));
  require_same_results(spec, full, cut);
  // SIGTERM stops cleanly: status 143, the file holds what was complete.
  const std::string term = (dir / "term.h5").string();
  pid = spawn_werk("sweep " + f + " -q --jobs 1 -o " + term);
  for (int i = 0; i < 600 && done_variants(spec, term) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGTERM);
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  CHECK(done_variants(spec, term) > 0);
  REQUIRE(test::run_werk("sweep " + f + " -q -o " + term) == 0);
  require_same_results(spec, full, term);
  fs::remove_all(dir);
}

TEST_CASE("a sweep with one bad variant finishes the others and exits non-zero", "[sweep][physics]") {
  auto dir = test::temp_dir("sweep_bad");
  // Variant 1 starts a box at 9999.999 m/s sideways: gravity adds the
  // speed that takes it past the blow-up check's 10^4 m/s after 0.46 s.
  auto f = write_pair(dir, "belt.yaml", belt_scene(), "s.yaml",
                      "scene: belt.yaml\nparameters:\n  bodies[b].velocity[1]: [0.1, 9999.999, 0.2]\n"
                      "outputs: [{name: settle, figure: last_motion, speed: 0.05}]\n");
  const std::string out = (dir / "r.h5").string();
  std::string text;
  CHECK(test::run_werk("sweep " + f + " --jobs 2 -o " + out, &text) == 1);
  CHECK_THAT(text, Catch::Contains("variant 1 failed") && Catch::Contains("10000"));
  sweep::Spec spec = sweep::load(f);
  sweep::Results res = sweep::read_results(out, spec);
  CHECK(res.records[0].ok);
  CHECK(!res.records[1].ok);
  CHECK(res.records[2].ok);
  CHECK_THAT(res.records[1].message, Catch::Contains("b"));
  fs::remove_all(dir);
}

TEST_CASE("a worker process that crashes fails only its own variant", "[sweep][process]") {
  auto dir = test::temp_dir("sweep_crash");
  // Four variants of about half a second each (a fast machine runs the
  // plain M/M/1/K scene's in 40 ms), one worker: the first is in flight
  // from the moment the worker starts until well after the kill.
  std::string scene = kMM1K;
  const std::string from = "duration: 50000", to = "duration: 1000000";
  REQUIRE(scene.find(from) != std::string::npos);
  scene.replace(scene.find(from), from.size(), to);
  std::string sweep_text =
      "scene: mm1k.yaml\nparameters:\n  process.objects.queue.capacity: [1, 2, 3, 4]\nreplications: 4\n"
      "outputs: [arrivals.loss_probability]\n";
  auto f = write_pair(dir, "mm1k.yaml", scene, "s.yaml", sweep_text);
  const std::string out = (dir / "r.h5").string();
  pid_t pid = spawn_werk("sweep " + f + " -q --jobs 1 -o " + out);
  // The worker is the coordinator's child process.
  const std::string children = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  pid_t worker = 0;
  for (int i = 0; i < 1000 && worker == 0; ++i) {
    std::ifstream in(children);
    in >> worker;
    if (worker == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(worker > 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(worker, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);  // not every variant succeeded
  sweep::Spec spec = sweep::load(f);
  sweep::Results res = sweep::read_results(out, spec);
  CHECK(!res.records[0].ok);
  CHECK_THAT(res.records[0].message, Catch::Contains("worker process") && Catch::Contains("signal 9"));
  for (int v = 1; v < 4; ++v) CHECK(res.records[v].ok);  // a new worker ran the rest
  // A rerun runs the failed variant again and completes the sweep.
  CHECK(test::run_werk("sweep " + f + " -q -o " + out) == 0);
  CHECK(sweep::read_results(out, spec).records[0].ok);
  fs::remove_all(dir);
}

TEST_CASE("a sweep under mpirun -np 3 writes the same results as a local run", "[sweep][mpi]") {
  std::string version;
  test::run_werk("--version", &version);
  if (version.find("mpi: not built") != std::string::npos || std::system("command -v mpirun >/dev/null 2>&1") != 0) {
    WARN("skipped: this build has no MPI support or mpirun is not installed (apt-get install libopenmpi-dev openmpi-bin)");
    return;
  }
  auto dir = test::temp_dir("sweep_mpi");
  auto f = write_pair(dir, "mm1k.yaml", kMM1K, "s.yaml", kMM1KSweep);
  const std::string local = (dir / "local.h5").string(), mpi = (dir / "mpi.h5").string();
  REQUIRE(test::run_werk("sweep " + f + " -q --jobs 2 -o " + local) == 0);
  std::string cmd = "mpirun --allow-run-as-root --oversubscribe -np 3 ";
#if defined(WERK_TEST_SANITIZED)
  // Open MPI's components leak at MPI_Finalize and are unloaded before
  // LeakSanitizer runs, so their reports name no module a suppression could
  // match: the ranks of the sanitizer build run without leak checking
  // (address and undefined-behaviour checks stay on).
  cmd += "-x ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 ";
#endif
  cmd += std::string(WERK_BINARY) + " sweep " + f + " -q -o " + mpi + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string text;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  INFO(text);
  REQUIRE(pclose(p) == 0);
  require_same_results(sweep::load(f), local, mpi);
  fs::remove_all(dir);
}
