// Checkpoint and resume (docs/reliability.md, "Checkpoints"): a run
// stopped by SIGTERM, or killed after a periodic checkpoint, continues with
// --resume and ends with results bit-identical to an uninterrupted run's,
// whatever the thread counts; a checkpoint of another run, or a damaged
// one, is refused with exit 2.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "checkpoint.h"
#include "line/line.h"
#include "process/experiment.h"
#include "test_util.h"
#include "werk/recorder.h"
#include "werk/process.h"
#include "werk/scene.h"
#include "yaml_read.h"

using namespace werk;

namespace {

std::string read_bytes(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// The bytes of a dataset, read in its native type; "" when it is missing.
std::string dataset_bytes(const std::string& file, const std::string& name) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return "";
  std::string out;
  hid_t d = H5Lexists(f, name.c_str(), H5P_DEFAULT) > 0 ? H5Dopen2(f, name.c_str(), H5P_DEFAULT) : -1;
  if (d >= 0) {
    hid_t type = H5Dget_type(d), native = H5Tget_native_type(type, H5T_DIR_ASCEND), space = H5Dget_space(d);
    const size_t n = size_t(H5Sget_simple_extent_npoints(space));
    if (H5Tis_variable_str(type) > 0) {
      // Text of variable length: the strings, not their pointers.
      std::vector<char*> text(n, nullptr);
      if (n > 0) H5Dread(d, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data());
      for (char* t : text) out += std::string(t ? t : "") + '\0';
      if (n > 0) H5Dvlen_reclaim(native, space, H5P_DEFAULT, text.data());
    } else {
      out.assign(n * H5Tget_size(native), '\0');
      if (!out.empty()) H5Dread(d, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
    }
    H5Sclose(space), H5Tclose(native), H5Tclose(type), H5Dclose(d);
  }
  H5Fclose(f);
  return out;
}

// The names of every dataset in a file.
std::vector<std::string> all_datasets(const std::string& file) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::vector<std::string> names;
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return names;
  H5Ovisit(
      f, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t, const char* name, const H5O_info_t* info, void* out) -> herr_t {
        if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(out)->push_back(name);
        return 0;
      },
      &names);
  H5Fclose(f);
  return names;
}

// Every recorded trajectory value and every process KPI of a result.
const std::vector<std::string> kResultData = {
    "particles/bodies/position/value", "particles/bodies/position/step", "particles/bodies/position/time",
    "particles/bodies/orientation/value", "particles/bodies/velocity/value",
    "particles/bodies/angular_velocity/value", "process/kpis/mean", "process/kpis/values"};

// Starts werk with arguments, stdout and stderr to `log`; returns its pid.
pid_t start_werk(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1), dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>(WERK_BINARY)};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(WERK_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs werk into `out` and sends `sig` `ms` milliseconds after the file
// `after` appears (by default its running file: its signal handlers are in
// place by then); returns the exit status.
int run_and_signal(const std::vector<std::string>& args, const std::string& out, int ms, int sig,
                   const std::string& log, std::string after = "") {
  if (after.empty()) after = running_path(out);
  pid_t pid = start_werk(args, log);
  int status = 0;
  for (int i = 0; i < 20000 && !std::filesystem::exists(after); ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(pid, sig);
  return wait_status(pid);
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Interrupts `args` (a run into `out`) with SIGTERM after each of the
// delays, resumes it and checks that the result equals `reference`'s, with
// the interrupted part on `threads_a` threads and the rest on `threads_b`.
// Returns how many stops landed mid-run.
// `names` are the datasets compared (by default kResultData).
int stop_and_resume(const std::vector<std::string>& args, const std::string& out, const std::string& reference,
                    const std::vector<int>& delays_ms, const std::string& threads_a, const std::string& threads_b,
                    const std::string& log, const std::vector<std::string>& names = kResultData) {
  int stopped = 0;
  for (int ms : delays_ms) {
    INFO("SIGTERM after " << ms << " ms, threads " << threads_a << " then " << threads_b);
    std::filesystem::remove(out);
    const int status = run_and_signal(with(args, {"--threads", threads_a}), out, ms, SIGTERM, log);
    INFO(read_bytes(log));
    if (status == 0) continue;  // it ended before the signal
    REQUIRE(status == 128 + SIGTERM);
    ++stopped;
    // Preempted: nothing at the output path, the running file and the
    // checkpoint beside it.
    CHECK_FALSE(std::filesystem::exists(out));
    REQUIRE(std::filesystem::exists(running_path(out)));
    REQUIRE(std::filesystem::exists(checkpoint_path(out)));
    CHECK(read_bytes(log).find("--resume " + checkpoint_path(out)) != std::string::npos);
    std::string resumed;
    REQUIRE(test::run_werk("run " + args[1] + " " + [&] {
              std::string s;
              for (size_t i = 2; i < args.size(); ++i) s += args[i] + " ";
              return s;
            }() + "--threads " + threads_b + " --resume " + checkpoint_path(out),
                           &resumed) == 0);
    INFO(resumed);
    CHECK(all_datasets(out) == all_datasets(reference));
    for (const auto& name : names) {
      INFO(name);
      CHECK(dataset_bytes(out, name) == dataset_bytes(reference, name));
    }
    // The run is complete: its running file and checkpoint are gone.
    CHECK_FALSE(std::filesystem::exists(running_path(out)));
    CHECK_FALSE(std::filesystem::exists(checkpoint_path(out)));
  }
  return stopped;
}

// A mixed scene: boxes falling onto a floor, and an M/M/1 line.
std::string mixed_scene(int n, double duration) {
  return test::scene_header("mixed", 1.0 / 240, 2) + "duration: " + test::num(duration) +
         "\nrecord_interval: 0.05\nseed: 3\n"
         "static:\n  - name: floor\n    shape: {type: plane}\n"
         "bodies:\n  - name: box\n    shape: {type: box, size: [0.1, 0.1, 0.1]}\n    position: [0, 0, 0.4]\n"
         "    angular_velocity: [1, 2, 0]\n"
         "    grid: {count: [" + std::to_string(n) + ", 2, 2], spacing: [0.3, 0.3, 0.12]}\n"
         "process:\n  warmup: 1\n  replications: 3\n  objects:\n"
         "    arrivals: {type: source, interarrival: {dist: exponential, mean: 1.25}, to: server}\n"
         "    server: {type: station, process_time: {dist: exponential, mean: 1.0}, to: done}\n"
         "    done: {type: sink}\n";
}

}  // namespace

TEST_CASE("state and solver memory through a checkpoint file continue a simulation bit for bit", "[checkpoint]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  auto dir = test::temp_dir("ckpt_memory");
  // The bundled line (contacts with warm starts, belts, sleep) and a
  // motorised hinge with a box resting on its bar (joint warm starts).
  std::string hinge = test::scene_header("hinge", 1.0 / 120, 4);
  hinge.replace(hinge.find("sleep: false"), 12, "sleep: true");
  hinge += "materials:\n  steel: {density: 1000, friction: 0.5}\n"
                            "static:\n  - {name: floor, shape: {type: plane}}\n"
                            "bodies:\n  - {name: bar, shape: {type: box, size: [1, 0.1, 0.1]}, material: steel, "
                            "position: [0.5, 0, 0.5]}\n"
                            "  - {name: load, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: steel, position: [0.8, 0, 0.65]}\n"
                            "joints:\n  - {name: hinge, type: revolute, body_b: bar, anchor: [0, 0, 0.5], axis: [0, 1, 0], "
                            "motor: {type: velocity, target: 0.2, max_force: 500}}\n";
  const std::vector<Model> models{load_scene(std::string(WERK_SCENES_DIR) + "/chute_to_bin.yaml"),
                                  compile_scene(hinge, "hinge.yaml")};
  for (const Model& m : models) {
    INFO(m.name << " on " << backend);
    // A reference run of 2 x 300 steps, one thread.
    Simulation ref(m, SimulationOptions{backend, 1});
    ref.step(300);
    const SolverMemory memory = ref.solver_memory();
    REQUIRE(memory.names.size() == 7);
    Checkpoint c;
    c.state = ref.state();
    c.memory = memory;
    const std::string path = (dir / "c.checkpoint").string();
    write_checkpoint(path, c);
    ref.step(300);
    // The same from the checkpoint, in a new simulation on two threads.
    Simulation resumed(m, SimulationOptions{backend, 2});
    const Checkpoint r = read_checkpoint(path, resumed.state());
    resumed.set_state(r.state);
    resumed.set_solver_memory(r.memory);
    resumed.step(300);
    CHECK(resumed.step_count() == 600);
    CHECK(resumed.hash() == ref.hash());
    // Without the solver memory the run differs: the memory matters.
    Simulation cold(m, SimulationOptions{backend, 1});
    cold.set_state(r.state);
    cold.step(300);
    CHECK(cold.hash() != ref.hash());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a physical line's state through a checkpoint file continues the line bit for bit", "[checkpoint][line]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  INFO(backend);
  auto dir = test::temp_dir("ckpt_line_api");
  // The main job for 10 s (1200 steps), cut after 700: parts on the belts,
  // in the station and in the bin, belt rules holding and ramping.
  const std::string path = std::string(WERK_SCENES_DIR) + "/parts_to_bin.yaml";
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const Model m = compile_scene(text, path);
  yaml::Source src{path};
  const YAML::Node root = yaml::load_string(src, text);
  process::Model pm = process::compile_model(src, root["process"], 10.0, m.seed);
  pm.duration = process::to_ticks(10.0);
  const line::LineSpec spec = line::compile_line(src, root, m, &pm);
  auto kpis = [](const process::Experiment& e) {
    std::vector<std::pair<std::string, std::vector<double>>> k;
    for (const auto& s : e.kpis) k.emplace_back(s.name, s.values);
    return k;
  };
  // Uninterrupted, one thread.
  Simulation ref(m, SimulationOptions{backend, 1});
  line::LineRun ref_line(ref, &pm, spec, m.seed);
  ref_line.step(1200);
  const auto ref_kpis = kpis(ref_line.finish());
  REQUIRE(ref_line.pool_count(0).spawned > 3);  // parts did flow
  // Cut after 700 steps on two threads, through a checkpoint file.
  Simulation first(m, SimulationOptions{backend, 2});
  line::LineRun first_line(first, &pm, spec, m.seed);
  first_line.step(700);
  Checkpoint c;
  c.state = first.state();
  c.memory = first.solver_memory();
  c.line_state = first_line.save();
  const std::string file = (dir / "c.checkpoint").string();
  write_checkpoint(file, c);
  // Continued in a new simulation and line, one thread.
  Simulation second(m, SimulationOptions{backend, 1});
  const Checkpoint r = read_checkpoint(file, second.state());
  second.set_state(r.state);
  second.set_solver_memory(r.memory);
  line::LineRun second_line(second, &pm, spec, m.seed, nullptr, &r.line_state);
  second_line.step(500);
  CHECK(second.step_count() == 1200);
  CHECK(second.hash() == ref.hash());
  for (int s = 0; s < int(spec.sensors.size()); ++s) {
    INFO("sensor " << spec.sensors[size_t(s)].name);
    CHECK(second_line.sensor_series(s).size() == ref_line.sensor_series(s).size());
    CHECK(second_line.sensor_value(s) == ref_line.sensor_value(s));
    CHECK(second_line.sensor_events(s) == ref_line.sensor_events(s));
  }
  CHECK(second_line.sensor_log().size() == ref_line.sensor_log().size());
  CHECK(kpis(second_line.finish()) == ref_kpis);
  // Without the line's state (the bodies and the solver memory restored,
  // the coupling started afresh) the run differs: the line state matters.
  Simulation cold(m, SimulationOptions{backend, 1});
  cold.set_state(r.state);
  cold.set_solver_memory(r.memory);
  line::LineRun cold_line(cold, &pm, spec, m.seed);
  cold_line.step(500);
  CHECK(kpis(cold_line.finish()) != ref_kpis);
  std::filesystem::remove_all(dir);
}

TEST_CASE("SIGTERM writes a checkpoint and the resumed physics run is bit-identical", "[checkpoint]") {
  auto dir = test::temp_dir("ckpt_physics");
  // The bundled line: chute, belts, a curve, sixty castings (contacts,
  // friction, warm starts, sleep); 6 s of it, so that the physics, not the
  // start and the output, takes most of the run's time.
  const std::string scene = std::string(WERK_SCENES_DIR) + "/chute_to_bin.yaml";
  const std::string ref = (dir / "ref.h5").string(), out = (dir / "out.h5").string(), log = (dir / "log").string();
  std::string msg;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(test::run_werk("run " + scene + " -q --duration 6 --threads 1 -o " + ref, &msg) == 0);
  // Stops at fractions of the reference run's wall time (it takes about a
  // second), so that they land mid-run on a fast machine as on a slow one.
  const int ms = int(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  const std::vector<std::string> args{"run", scene, "-q", "--duration", "6", "-o", out};
  int stopped = stop_and_resume(args, out, ref, {ms / 3, ms * 2 / 3}, "2", "1", log);
  stopped += stop_and_resume(args, out, ref, {ms / 2}, "1", "2", log);
  CHECK(stopped >= 2);  // most stops land mid-run
  std::filesystem::remove_all(dir);
}

TEST_CASE("a mixed run stopped in its physics phase resumes bit-identical, KPIs included", "[checkpoint]") {
  auto dir = test::temp_dir("ckpt_mixed");
  // 120 s of 24 boxes: long enough (about a second of physics on a fast
  // machine) for the stops to land in it.
  const std::string scene = test::write_file(dir / "mixed.yaml", mixed_scene(6, 120));
  const std::string ref = (dir / "ref.h5").string(), out = (dir / "out.h5").string(), log = (dir / "log").string();
  const std::string ref_kpis = (dir / "ref.json").string(), kpis = (dir / "out.json").string();
  std::string msg;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(test::run_werk("run " + scene + " -q --threads 1 -o " + ref + " --kpis " + ref_kpis, &msg) == 0);
  const int ms = int(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  REQUIRE_FALSE(dataset_bytes(ref, "process/kpis/values").empty());
  const std::vector<std::string> args{"run", scene, "-q", "-o", out, "--kpis", kpis};
  // At fractions of the reference run's wall time, as above.
  CHECK(stop_and_resume(args, out, ref, {ms / 3, ms * 2 / 3}, "2", "1", log) >= 1);
  CHECK(read_bytes(kpis) == read_bytes(ref_kpis));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a process run stopped by SIGTERM resumes to the same KPIs", "[checkpoint]") {
  auto dir = test::temp_dir("ckpt_process");
  const std::string scene = std::string(WERK_SCENES_DIR) + "/process_mm1.yaml";
  const std::string ref = (dir / "ref.h5").string(), out = (dir / "out.h5").string(), log = (dir / "log").string();
  const std::string ref_kpis = (dir / "ref.json").string(), kpis = (dir / "out.json").string();
  std::string msg;
  // Four replications of 3 x 10^5 s (about 270 000 customers each).
  REQUIRE(test::run_werk("run " + scene + " -q --threads 1 --duration 300000 --replications 4 -o " + ref + " --kpis " +
                             ref_kpis,
                         &msg) == 0);
  const std::vector<std::string> args{"run",          scene, "-q", "--duration", "300000", "--replications", "4",
                                      "-o",           out,   "--kpis", kpis};
  CHECK(stop_and_resume(args, out, ref, {100, 400}, "2", "1", log) >= 1);
  CHECK(read_bytes(kpis) == read_bytes(ref_kpis));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a run killed after a periodic checkpoint resumes from it, bit-identical", "[checkpoint]") {
  auto dir = test::temp_dir("ckpt_periodic");
  const std::string log = (dir / "log").string();
  // A physics run (SWMR running file), a process run (its series are
  // written outside SWMR mode) and a physical line (its process series are
  // written beside the trajectories in SWMR mode), each killed outright.
  struct Case {
    std::string scene;
    std::vector<std::string> options;
  };
  const std::vector<Case> cases{
      {std::string(WERK_SCENES_DIR) + "/chute_to_bin.yaml", {"--duration", "8"}},
      {std::string(WERK_SCENES_DIR) + "/process_mm1.yaml", {"--duration", "300000", "--replications", "4"}},
      {std::string(WERK_SCENES_DIR) + "/parts_to_bin.yaml", {"--duration", "45"}}};
  int killed = 0;
  for (const Case& c : cases) {
    INFO(c.scene);
    const std::string ref = (dir / "ref.h5").string(), out = (dir / "out.h5").string();
    std::string options, msg;
    for (auto& o : c.options) options += " " + o;
    REQUIRE(test::run_werk("run " + c.scene + " -q --threads 1 -o " + ref + options, &msg) == 0);
    // Checkpoints every 0.25 s of wall time; killed 150 ms after the first,
    // SIGKILL leaves rows recorded after the last one in the running file,
    // which the resumed run drops.
    const int status =
        run_and_signal(with({"run", c.scene, "-q", "--threads", "2", "--checkpoint-every", "0.25", "-o", out}, c.options),
                       out, 150, SIGKILL, log, checkpoint_path(out));
    INFO(read_bytes(log));
    if (status == 0) continue;  // it ended before the kill
    REQUIRE(status == 128 + SIGKILL);
    REQUIRE(std::filesystem::exists(checkpoint_path(out)));
    ++killed;
    const int resumed =
        test::run_werk("run " + c.scene + " -q --threads 1 -o " + out + options + " --resume " + checkpoint_path(out), &msg);
    INFO(msg);
    REQUIRE(resumed == 0);
    // Every dataset: trajectories, KPIs, the process series (and a line's
    // sensor series and event log).
    // Nothing is left beside the result, not even a checkpoint the kill
    // interrupted while it was being written.
    CHECK_FALSE(std::filesystem::exists(checkpoint_path(out)));
    CHECK_FALSE(std::filesystem::exists(checkpoint_path(out) + ".writing"));
    REQUIRE(all_datasets(out) == all_datasets(ref));
    for (const auto& name : all_datasets(ref)) {
      INFO(name);
      CHECK(dataset_bytes(out, name) == dataset_bytes(ref, name));
    }
  }
  CHECK(killed >= 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a run killed after its output was in place but before it removed its checkpoint resumes to nothing to do", "[checkpoint]") {
  // The last moment of a run: the running file is renamed to the output,
  // then the checkpoint is removed. A kill between the two leaves a
  // checkpoint whose running file is gone; a scheduler requeueing the job
  // resumes from it, which must end the run, not fail on every requeue.
  auto dir = test::temp_dir("ckpt_spent");
  const std::string scene = std::string(WERK_SCENES_DIR) + "/chute_to_bin.yaml";
  const std::string out = (dir / "out.h5").string(), log = (dir / "log").string(), spent = (dir / "spent").string();
  const std::vector<std::string> args{"run", scene, "-q", "--duration", "3", "--threads", "1", "-o", out};
  const int status = run_and_signal(args, out, 300, SIGTERM, log);
  if (status == 0) return;  // it ended before the stop
  REQUIRE(status == 128 + SIGTERM);
  const std::string ckpt = checkpoint_path(out);
  std::filesystem::copy_file(ckpt, spent);
  std::string msg;
  REQUIRE(test::run_werk("run " + scene + " -q --duration 3 --threads 1 -o " + out + " --resume " + ckpt, &msg) == 0);
  REQUIRE_FALSE(std::filesystem::exists(ckpt));
  const std::string result = read_bytes(out);
  // The spent checkpoint back, older than the output, as the kill left it.
  std::filesystem::copy_file(spent, ckpt);
  std::filesystem::last_write_time(ckpt, std::filesystem::last_write_time(out) - std::chrono::seconds(1));
  CHECK(test::run_werk("run " + scene + " --duration 3 --threads 1 -o " + out + " --resume " + ckpt, &msg) == 0);
  INFO(msg);
  CHECK(msg.find("already written") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(ckpt));
  CHECK(read_bytes(out) == result);
  // A checkpoint newer than the output, its running file gone, is a lost
  // run: that stays an error and touches nothing.
  std::filesystem::copy_file(spent, ckpt);
  CHECK(test::run_werk("run " + scene + " -q --duration 3 --threads 1 -o " + out + " --resume " + ckpt, &msg) == 1);
  CHECK(msg.find("running file") != std::string::npos);
  CHECK(read_bytes(out) == result);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a run killed after it completed its running file but before renaming it resumes bit-identical", "[checkpoint]") {
  // The end of a run: the running file is closed, completed (the wall
  // time; a line's sensor series and event log) and renamed to the output.
  // A kill between the completion and the rename leaves a running file
  // that holds what the completion wrote; the run resumed from its last
  // checkpoint writes those again and must not fail on them.
  auto dir = test::temp_dir("ckpt_completed");
  const std::string out = (dir / "out.h5").string(), log = (dir / "log").string();
  const std::string ckpt = checkpoint_path(out), saved = (dir / "saved").string();
  struct Case {
    std::string scene, options;
  };
  int stopped = 0;
  for (const Case& c : {Case{std::string(WERK_SCENES_DIR) + "/process_mm1.yaml", " --duration 300000 --replications 4"},
                        Case{std::string(WERK_SCENES_DIR) + "/parts_to_bin.yaml", " --duration 45"}}) {
    INFO(c.scene);
    std::filesystem::remove(out);
    std::vector<std::string> args{"run", c.scene, "-q", "--threads", "1", "-o", out};
    std::istringstream more(c.options);
    for (std::string o; more >> o;) args.push_back(o);
    const int status = run_and_signal(args, out, 100, SIGTERM, log);
    if (status == 0) continue;  // it ended before the stop
    REQUIRE(status == 128 + SIGTERM);
    ++stopped;
    std::filesystem::copy_file(ckpt, saved, std::filesystem::copy_options::overwrite_existing);
    const std::string resume = "run " + c.scene + " -q --threads 1 -o " + out + c.options + " --resume " + ckpt;
    std::string msg;
    REQUIRE(test::run_werk(resume, &msg) == 0);
    const std::vector<std::string> names = all_datasets(out);
    std::vector<std::string> bytes;
    for (const auto& name : names) bytes.push_back(dataset_bytes(out, name));
    // The completed file back under its running name, with the checkpoint
    // the run was resumed from, as a kill before the rename leaves them.
    std::filesystem::rename(out, running_path(out));
    std::filesystem::copy_file(saved, ckpt);
    REQUIRE(test::run_werk(resume, &msg) == 0);
    INFO(msg);
    REQUIRE(all_datasets(out) == names);
    for (size_t i = 0; i < names.size(); ++i) {
      INFO(names[i]);
      CHECK(dataset_bytes(out, names[i]) == bytes[i]);
    }
    CHECK_FALSE(std::filesystem::exists(ckpt));
  }
  CHECK(stopped >= 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a checkpoint of another run, or a damaged one, is refused with exit 2", "[checkpoint]") {
  auto dir = test::temp_dir("ckpt_refuse");
  // 600 s of eight boxes and a queue: about 2 s of wall time here, so that
  // the stop lands mid-run on a fast machine (60 s took 0.2 s).
  const std::string scene = test::write_file(dir / "a.yaml", mixed_scene(2, 600));
  const std::string other = test::write_file(dir / "b.yaml", mixed_scene(3, 600));
  const std::string out = (dir / "out.h5").string(), log = (dir / "log").string();
  const int status = run_and_signal({"run", scene, "-q", "--threads", "1", "-o", out}, out, 200, SIGTERM, log);
  REQUIRE(status == 128 + SIGTERM);
  const std::string ckpt = checkpoint_path(out);
  REQUIRE(std::filesystem::exists(ckpt));
  const std::string good = read_bytes(ckpt);
  const std::string partial = read_bytes(running_path(out));
  std::string msg;
  // Another scene, another duration, another output.
  CHECK(test::run_werk("run " + other + " -q -o " + out + " --resume " + ckpt, &msg) == 2);
  CHECK(msg.find(ckpt + ": expected a checkpoint of the scene '" + other + "'") != std::string::npos);
  CHECK(test::run_werk("run " + scene + " -q --duration 30 -o " + out + " --resume " + ckpt, &msg) == 2);
  CHECK(msg.find("expected a checkpoint of a run with duration 30 s") != std::string::npos);
  CHECK(test::run_werk("run " + scene + " -q -o " + (dir / "elsewhere.h5").string() + " --resume " + ckpt, &msg) == 2);
  CHECK(msg.find("expected a checkpoint of the output") != std::string::npos);
  // Damaged: cut short at several lengths, one flipped byte in each part of
  // the file, not HDF5 at all, missing.
  std::vector<std::string> damaged;
  for (size_t len : {size_t(0), size_t(100), good.size() / 3, good.size() / 2, good.size() - 1}) damaged.push_back(good.substr(0, len));
  for (size_t at = 0; at < good.size(); at += good.size() / 9 + 1) {
    std::string d = good;
    d[at] = char(d[at] ^ 0x20);
    damaged.push_back(d);
  }
  damaged.push_back(std::string(4096, 'x'));
  const std::string bad = (dir / "bad.checkpoint").string();
  for (size_t i = 0; i < damaged.size(); ++i) {
    INFO("damaged checkpoint " << i << " of " << damaged.size());
    std::ofstream(bad, std::ios::binary) << damaged[i];
    const int s = test::run_werk("run " + scene + " -q --threads 1 -o " + out + " --resume " + bad, &msg);
    INFO(msg);
    // A flipped byte HDF5 never reads (padding) may leave a usable
    // checkpoint: then the run completes. Anything else is exit 2 with the
    // file named, never a crash.
    if (s == 0) {
      std::ofstream(running_path(out), std::ios::binary) << partial;
      continue;
    }
    CHECK(s == 2);
    CHECK(msg.find(bad + ": expected a") != std::string::npos);
    // The running file of the interrupted run is left for a good checkpoint.
    CHECK(read_bytes(running_path(out)) == partial);
  }
  CHECK(test::run_werk("run " + scene + " -q -o " + out + " --resume " + (dir / "none.checkpoint").string(), &msg) == 2);
  CHECK(msg.find("expected a checkpoint file, found none") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a physical line stopped by SIGTERM resumes bit-identical: trajectories, sensors, events, KPIs", "[checkpoint][line]") {
  auto dir = test::temp_dir("ckpt_line");
  // The main job: parts spawned from pools, photo-eye and zones, belt
  // rules with delays and ramps, a station taking and placing parts, the
  // bin as a sink zone; 30 s of it (about 30 parts through the line: long
  // enough that the physics, not the start and the output, takes most of
  // the run's time).
  const std::string scene = std::string(WERK_SCENES_DIR) + "/parts_to_bin.yaml";
  const std::string ref = (dir / "ref.h5").string(), out = (dir / "out.h5").string(), log = (dir / "log").string();
  const std::string ref_kpis = (dir / "ref.json").string(), kpis = (dir / "out.json").string();
  std::string msg;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(test::run_werk("run " + scene + " -q --duration 30 --threads 1 -o " + ref + " --kpis " + ref_kpis, &msg) == 0);
  // The stops come at fractions of the reference run's wall time, so that
  // they land mid-run on a fast machine as on a slow one.
  const int ms = int(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  // Every dataset is compared: the trajectories and activity flags, the
  // sensors' series and the line's event log, the process observables
  // written while the run goes, the process and line KPIs.
  const std::vector<std::string> names = all_datasets(ref);
  for (const char* must : {"particles/bodies/active/value", "line/events/step", "process/kpis/values"})
    REQUIRE(std::find(names.begin(), names.end(), must) != names.end());
  const std::vector<std::string> args{"run", scene, "-q", "--duration", "30", "-o", out, "--kpis", kpis};
  int stopped = stop_and_resume(args, out, ref, {ms / 4, ms / 2}, "2", "1", log, names);
  CHECK(read_bytes(kpis) == read_bytes(ref_kpis));
  stopped += stop_and_resume(args, out, ref, {ms * 2 / 5}, "1", "2", log, names);
  CHECK(read_bytes(kpis) == read_bytes(ref_kpis));
  CHECK(stopped >= 2);  // most stops land mid-run
  std::filesystem::remove_all(dir);
}
