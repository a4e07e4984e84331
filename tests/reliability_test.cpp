// Reliability guarantees of `werk run` (docs/reliability.md): bad input
// never touches an existing result, a killed run never leaves a damaged
// file at the output path, overrides take part in every check, blow-ups
// stop the run with finite frames only, and limits give clear errors.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <regex>
#include <thread>

#include "test_util.h"
#include "werk/error.h"
#include "werk/recorder.h"
#include "werk_limits.h"

using namespace werk;

namespace {

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A physics scene of `n` falling boxes on a floor, with a process section
// when `process` (an M/M/1 queue with the given warm-up).
std::string scene_text(int n, double duration, const std::string& process = "") {
  return test::scene_header("boxes", 1.0 / 240, 2) + "duration: " + test::num(duration) +
         "\nrecord_interval: 0.05\n"
         "static:\n  - name: floor\n    shape: {type: plane}\n"
         "bodies:\n  - name: box\n    shape: {type: box, size: [0.1, 0.1, 0.1]}\n    position: [0, 0, 0.2]\n"
         "    grid: {count: [" + std::to_string(n) + ", 1, 1], spacing: [0.3, 0, 0]}\n" + process;
}

std::string mm1(double warmup, const std::string& extra = "") {
  return "process:\n  warmup: " + test::num(warmup) + "\n  event_log: false\n" + extra +
         "  objects:\n"
         "    arrivals: {type: source, interarrival: {dist: exponential, mean: 1.25}, to: server}\n"
         "    server: {type: station, process_time: {dist: exponential, mean: 1.0}, to: done}\n"
         "    done: {type: sink}\n";
}

// "file:line:col: " or "command line: " at the start of some line of the output.
bool located(const std::string& out, const std::string& file) {
  std::regex with_line("(^|\n)" + std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                       ":[0-9]+:[0-9]+: ");
  if (file == "command line") return out.find("command line: ") != std::string::npos;
  return std::regex_search(out, with_line);
}

// Opens a result file the way any HDF5 tool does (no SWMR, no repair) and
// returns the number of recorded frames; -1 when it cannot be opened.
long frames_in(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  long frames = 0;
  if (H5Lexists(f, "particles", H5P_DEFAULT) > 0) {
    hid_t d = H5Dopen2(f, "particles/bodies/position/value", H5P_DEFAULT);
    if (d < 0) {
      H5Fclose(f);
      return -1;
    }
    hid_t s = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    H5Sget_simple_extent_dims(s, dims, nullptr);
    frames = long(dims[0]);
    H5Sclose(s), H5Dclose(d);
  }
  H5Fclose(f);
  return frames;
}

// Every recorded position and velocity value is a finite number.
bool all_finite(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return false;
  bool ok = true;
  for (const char* name : {"particles/bodies/position/value", "particles/bodies/velocity/value",
                           "particles/bodies/angular_velocity/value", "particles/bodies/orientation/value"}) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    std::vector<float> v(size_t(H5Sget_simple_extent_npoints(s)));
    if (!v.empty()) H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    for (float x : v) ok = ok && std::isfinite(x);
    H5Sclose(s), H5Dclose(d);
  }
  H5Fclose(f);
  return ok;
}

}  // namespace

TEST_CASE("bad input leaves an existing result byte-identical, exit 2, located", "[reliability]") {
  auto dir = test::temp_dir("badinput");
  const std::string good = test::write_file(dir / "good.yaml", scene_text(2, 0.5, mm1(0.1)));
  const std::string out = (dir / "result.h5").string();
  std::string log;
  REQUIRE(test::run_werk("run " + good + " -q --threads 1 -o " + out, &log) == 0);
  REQUIRE(log.empty());  // -q: nothing on success
  const std::string h5 = read_bytes(out);
  REQUIRE(h5.size() > 1000);

  struct Case {
    std::string name, scene, args, file;
  };
  auto scene = [&](const std::string& name, const std::string& text) { return test::write_file(dir / name, text); };
  std::vector<Case> cases = {
      {"unknown key", scene("typo.yaml", scene_text(2, 0.5) + "frction: 3\n"), "", "typo.yaml"},
      {"negative mass", scene("mass.yaml", test::scene_header("m", 0.01, 1) +
                                               "bodies:\n  - name: a\n    shape: {type: sphere, radius: 1}\n    mass: -1\n"),
       "", "mass.yaml"},
      {"dangling material", scene("mat.yaml", test::scene_header("m", 0.01, 1) +
                                                  "bodies:\n  - name: a\n    shape: {type: sphere, radius: 1}\n    "
                                                  "material: steel\n"),
       "", "mat.yaml"},
      {"YAML syntax", scene("syntax.yaml", "werk: 1\nname: [x\n"), "", "syntax.yaml"},
      {"process error", scene("proc.yaml", scene_text(2, 100, mm1(10, "  replications: 0\n"))), "", "proc.yaml"},
      {"warmup >= --duration", good, "--duration 0.05", "good.yaml"},
      {"huge initial velocity", scene("fast.yaml", test::scene_header("f", 0.01, 1) +
                                                       "bodies:\n  - name: a\n    shape: {type: sphere, radius: 1}\n"
                                                       "    velocity: [1e30, 0, 0]\n"),
       "", "fast.yaml"},
      {"negative --duration", good, "--duration -1", "command line"},
      {"huge --duration", good, "--duration 1e300", "command line"},
      {"negative --seed", good, "--seed -3", "command line"},
      {"zero --record-every", good, "--record-every 0", "command line"},
      {"--record-every below dt", good, "--record-every 0.0001", "command line"},
      {"--replications 0", good, "--replications 0", "--replications"},
      {"--replications without a process", scene("phys.yaml", scene_text(2, 0.5)), "--replications 3", "command line"},
      {"--kpis without a process", dir / "phys.yaml", "--kpis " + (dir / "k.json").string(), "command line"},
      {"--kpis into a missing folder", good, "--kpis " + (dir / "no/such/k.json").string(), "command line"},
      {"unknown backend", good, "--backend quantum", "command line"},
      {"a binary file as the scene", out, "", out},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    std::string msg;
    const int status = test::run_werk("run " + c.scene + " --threads 1 -o " + out + " " + c.args, &msg);
    INFO(msg);
    CHECK(status == 2);
    if (c.file == "--replications" || c.file == out)  // CLI11's own message; the file as a whole
      CHECK(msg.find(c.file) != std::string::npos);
    else
      CHECK(located(msg, c.file == "command line" ? c.file : (dir / c.file).string()));
    CHECK(read_bytes(out) == h5);
    CHECK_FALSE(std::filesystem::exists(running_path(out)));
  }
  // The scene given as its own output is refused, and stays as it was.
  const std::string before = read_bytes(good);
  CHECK(test::run_werk("run " + good + " -o " + good, &log) == 2);
  CHECK(log.find("the scene itself") != std::string::npos);
  CHECK(read_bytes(good) == before);
  std::filesystem::remove_all(dir);
}

TEST_CASE("overrides take part in validation as if written in the scene", "[reliability]") {
  auto dir = test::temp_dir("overrides");
  // Scene duration 100 s and warm-up 3600 s: invalid as written...
  const std::string s = test::write_file(dir / "s.yaml", "werk: 1\nname: line\nduration: 100\n" + mm1(3600));
  std::string log;
  CHECK(test::run_werk("validate " + s, &log) == 2);
  CHECK(log.find("process.warmup: expected less than the duration (100 s)") != std::string::npos);
  // ...valid with --duration 7200, which the process run then uses.
  const std::string out = (dir / "o.h5").string(), kpis = (dir / "k.json").string();
  CHECK(test::run_werk("run " + s + " --threads 1 -o " + out + " --duration 7200 --kpis " + kpis, &log) == 0);
  INFO(log);
  // Every run says which files it wrote.
  CHECK(log.find("werk: wrote " + out + " and " + kpis) != std::string::npos);
  CHECK(frames_in(out) == 0);
  // --replications enters the same checks as process.replications.
  CHECK(test::run_werk("run " + s + " -q -o " + out + " --duration 7200 --replications 2000000", &log) == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("messages: quiet runs print nothing, numbers and plurals read naturally", "[reliability]") {
  auto dir = test::temp_dir("messages");
  const std::string s = test::write_file(dir / "one.yaml", scene_text(1, 0.1));
  const std::string out = (dir / "one.h5").string();
  std::string log;
  CHECK(test::run_werk("run " + s + " -q --threads 1 -o " + out, &log) == 0);
  CHECK(log.empty());
  CHECK(test::run_werk("run " + s + " --threads 1 -o " + out, &log) == 0);
  // 0.1 s at dt = 1/240: 24 steps, frames at 0, 0.05 and 0.1 s.
  CHECK(log.find("24 steps, 0.1 s simulated") != std::string::npos);
  CHECK(log.find("3 frames") != std::string::npos);
  CHECK(log.find("werk: wrote " + out + "\n") != std::string::npos);
  CHECK(test::run_werk("validate " + s, &log) == 0);
  CHECK(log.find("(2 bodies, 2 shapes, 0 conveyors)") != std::string::npos);
  std::string conveyor = scene_text(1, 0.1) +
                         "conveyors:\n  - {name: belt, width: 0.5, from: [0, 0, 0], to: [1, 0, 0], speed: 1}\n";
  CHECK(test::run_werk("validate " + test::write_file(dir / "c.yaml", conveyor), &log) == 0);
  CHECK(log.find(", 1 conveyor)") != std::string::npos);
  // Numbers in errors as a person writes them: 400, not 400.000000.
  std::string arc = scene_text(1, 0.1) +
                    "conveyors:\n  - {name: belt, width: 0.5, arc: {center: [0, 0, 0], radius: 1, start_deg: 0, "
                    "end_deg: 400}, speed: 1}\n";
  CHECK(test::run_werk("validate " + test::write_file(dir / "arc.yaml", arc), &log) == 2);
  CHECK(log.find("<= 360, found 400\n") != std::string::npos);
  // A process-only run says which files it wrote, and nothing with -q.
  const std::string p = test::write_file(dir / "p.yaml", "werk: 1\nname: p\nduration: 100\n" + mm1(10));
  const std::string kpis = (dir / "p.json").string();
  CHECK(test::run_werk("run " + p + " -q --threads 1 -o " + out + " --kpis " + kpis, &log) == 0);
  CHECK(log.empty());
  CHECK(test::run_werk("run " + p + " --threads 1 -o " + out + " --kpis " + kpis, &log) == 0);
  CHECK(log.find("werk: wrote " + out + " and " + kpis + "\n") != std::string::npos);
  CHECK(log.find("Process KPIs (1 replication;") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("SIGKILL at any moment never damages the file at the output path", "[reliability][interrupt]") {
  auto dir = test::temp_dir("killloop");
  // About a second of work with one thread; kills land before, during and after it.
  const std::string s = test::write_file(dir / "s.yaml", scene_text(50, 1.5));
  const std::string out = (dir / "r.h5").string();
  std::string log;
  REQUIRE(test::run_werk("run " + s + " -q --threads 1 -o " + out, &log) == 0);
  const long full = frames_in(out);
  REQUIRE(full == 31);  // 1.5 s at 0.05 s per frame, plus the initial frame
  std::string previous = read_bytes(out);
  int replaced = 0, kept = 0;
  const int kKills = 20;
  for (int i = 0; i < kKills; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1), dup2(null, 2);
      execl(WERK_BINARY, WERK_BINARY, "run", s.c_str(), "-q", "--threads", "1", "-o", out.c_str(), (char*)nullptr);
      _exit(127);
    }
    // Moments spread from the process start to past the run's end.
    std::this_thread::sleep_for(std::chrono::microseconds(1000 + i * 40000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    INFO("kill " << i);
    // The output path holds either the previous result, unchanged, or a
    // complete new one that any HDF5 tool opens.
    const std::string now = read_bytes(out);
    if (now == previous) {
      ++kept;
    } else {
      CHECK(frames_in(out) == full);
      ++replaced;
      previous = now;
    }
    REQUIRE(frames_in(out) == full);
  }
  INFO("kept " << kept << ", replaced " << replaced);
  CHECK(kept + replaced == kKills);
  CHECK(kept > 0);  // some kills landed mid-run
  std::filesystem::remove_all(dir);
}

TEST_CASE("a blow-up stops the run with exit 1 and finite frames only", "[reliability][blowup]") {
  auto dir = test::temp_dir("blowup");
  // A rod spinning about its axis of tiny inertia (1e-9 kg m^2 against 1)
  // with a cross spin: the gyroscopic coupling grows the spin by orders of
  // magnitude within a few steps, far past 10^5 rad/s.
  const std::string s = test::write_file(
      dir / "spin.yaml", test::scene_header("spin", 1.0 / 240, 2, "[0, 0, 0]") +
                             "duration: 3\nrecord_interval: 0.01\nbodies:\n  - name: needle\n"
                             "    shape: {type: box, size: [0.2, 0.02, 0.02]}\n    inertia: [1e-9, 1, 1]\n"
                             "    angular_velocity: [1000, 100, 0]\n");
  const std::string out = (dir / "spin.h5").string();
  for (const auto& backend : test::backends()) {
    INFO(backend);
    std::filesystem::remove(out);
    std::string log;
    CHECK(test::run_werk("run " + s + " -q --threads 1 --backend " + backend + " -o " + out, &log) == 1);
    INFO(log);
    CHECK(log.find("werk: error: the simulation blew up: body 'needle' reached an angular speed of ") != std::string::npos);
    CHECK(log.find("(the limit is 100000 rad/s) at t = ") != std::string::npos);
    CHECK(log.find("Likely cause: a tiny inertia: its radius of gyration is 0.000111803 m") != std::string::npos);
    // The result is complete at the output path, with the good frames only.
    const long frames = frames_in(out);
    CHECK(frames >= 1);
    CHECK(frames < 300);
    CHECK(all_finite(out));
    CHECK_FALSE(std::filesystem::exists(running_path(out)));
  }
  // A start beyond the limits is bad input, located at the value.
  std::string log;
  const std::string fast = test::write_file(dir / "fast.yaml", test::scene_header("f", 0.01, 1) +
                                                                   "bodies:\n  - name: a\n    shape: {type: sphere, radius: 1}\n"
                                                                   "    velocity: [1e30, 0, 0]\n");
  CHECK(test::run_werk("run " + fast + " -o " + out, &log) == 2);
  CHECK(log.find("fast.yaml:10:15: bodies[0].velocity: expected a speed of at most 10000 m/s, found 1e+30 m/s") !=
        std::string::npos);
  const std::string light = test::write_file(dir / "light.yaml", test::scene_header("l", 0.01, 1) +
                                                                     "bodies:\n  - name: a\n    shape: {type: sphere, radius: 1}\n"
                                                                     "    mass: 1e-40\n");
  CHECK(test::run_werk("validate " + light, &log) == 2);
  CHECK(log.find("bodies[0].mass: expected a mass of at least 1e-09 kg, found 1e-40") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("limits: counts beyond the documented limits give located errors", "[reliability][limits]") {
  auto dir = test::temp_dir("limits");
  std::string log;
  auto validate = [&](const std::string& name, const std::string& text) {
    return test::run_werk("validate " + test::write_file(dir / name, text), &log);
  };
  // The grid of the issue: 4096^3 copies (an int overflow before).
  CHECK(validate("grid.yaml", test::scene_header("g", 0.01, 1) +
                                  "bodies:\n  - name: a\n    shape: {type: sphere, radius: 0.1}\n"
                                  "    grid: {count: [4096, 4096, 4096], spacing: [1, 1, 1]}\n") == 2);
  CHECK(log.find("grid.count: expected at most 16777216 copies in a grid, found 4096 x 4096 x 4096 = 68719476736") !=
        std::string::npos);
  CHECK(located(log, (dir / "grid.yaml").string()));
  // Shapes: a mesh of 8 triangles on 4096 x 4096 copies is 2^27 shapes.
  {
    std::string stl(80, ' ');
    uint32_t n = 8;
    stl.append(reinterpret_cast<const char*>(&n), 4);
    const float tri[12] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    for (uint32_t t = 0; t < n; ++t) {
      float shifted[12];
      std::memcpy(shifted, tri, sizeof tri);
      shifted[3] += float(t);
      stl.append(reinterpret_cast<const char*>(shifted), 48);
      stl.append(2, '\0');
    }
    test::write_file(dir / "eight.stl", stl);
    CHECK(validate("shapes.yaml", test::scene_header("s", 0.01, 1) +
                                      "static:\n  - name: a\n    shape: {type: mesh, file: eight.stl}\n"
                                      "    grid: {count: [4096, 4096, 1], spacing: [1, 1, 1]}\n") == 2);
    CHECK(log.find("expected at most 67108864 shapes in a scene") != std::string::npos);
  }
  // Hull points.
  {
    std::string pts;
    for (int i = 0; i <= limits::kHullPoints; ++i) pts += (i ? ", [" : "[") + std::to_string(i % 7) + ", " +
                                                           std::to_string(i % 11) + ", " + std::to_string(i % 13) + "]";
    CHECK(validate("hull.yaml", test::scene_header("h", 0.01, 1) + "bodies:\n  - name: a\n    shape: {type: hull, points: [" +
                                    pts + "]}\n") == 2);
    CHECK(located(log, (dir / "hull.yaml").string()));
    CHECK(log.find("points: expected at most 65536 points, found 65537") != std::string::npos);
  }
  // Mesh files: 10^7 triangles (a sparse file of the right size: 500 MB on
  // paper, nothing on disk), and a count above the limit in a smaller file.
  auto sparse_stl = [&](const std::string& name, uint32_t n) {
    std::string path = (dir / name).string();
    std::string head(80, ' ');
    head.append(reinterpret_cast<const char*>(&n), 4);
    test::write_file(path, head);
    REQUIRE(truncate(path.c_str(), off_t(84 + 50 * uint64_t(n))) == 0);
    return path;
  };
  sparse_stl("huge.stl", 10000000);
  CHECK(validate("huge.yaml", test::scene_header("m", 0.01, 1) + "static:\n  - name: a\n    shape: {type: mesh, file: huge.stl}\n") == 2);
  CHECK(located(log, (dir / "huge.yaml").string()));
  CHECK(log.find("expected a file of at most 256 MB, found 476 MB") != std::string::npos);
  sparse_stl("many.stl", 5000000);
  CHECK(validate("many.yaml", test::scene_header("m", 0.01, 1) + "static:\n  - name: a\n    shape: {type: mesh, file: many.stl}\n") == 2);
  CHECK(log.find("expected at most 4194304 triangles, found 5000000") != std::string::npos);
  // A 100 MB scene file (sparse: zeros on paper) and a 10^6-deep nesting.
  {
    std::string big = (dir / "big.yaml").string();
    test::write_file(big, "werk: 1\n");
    REQUIRE(truncate(big.c_str(), off_t(100) << 20) == 0);
    CHECK(test::run_werk("validate " + big, &log) == 2);
    CHECK(log.find("big.yaml: expected a scene file of at most 64 MB, found 100 MB") != std::string::npos);
  }
  CHECK(validate("deep.yaml", "werk: 1\nname: d\nx: " + std::string(1000000, '[') + "\n") == 2);
  CHECK(located(log, (dir / "deep.yaml").string()));
  CHECK(log.find("expected YAML nested at most 2000 levels deep") != std::string::npos);
  // Replications: in the scene and on the command line.
  CHECK(validate("reps.yaml", "werk: 1\nname: r\nduration: 100\n" + mm1(1, "  replications: 99999999999\n")) == 2);
  CHECK(located(log, (dir / "reps.yaml").string()));
  CHECK(log.find("process.replications: expected an integer in [1, 1000000], found 99999999999") != std::string::npos);
  CHECK(test::run_werk("run " + (dir / "reps.yaml").string() + " --replications 1000001", &log) == 2);
  // Process objects.
  {
    std::string objects = "werk: 1\nname: p\nduration: 100\nprocess:\n  objects:\n";
    for (int64_t i = 0; i <= limits::kProcessObjects; ++i) objects += "    o" + std::to_string(i) + ": {type: sink}\n";
    CHECK(validate("objects.yaml", objects) == 2);
    CHECK(located(log, (dir / "objects.yaml").string()));
    CHECK(log.find("process.objects: expected at most 100000 objects, found 100001") != std::string::npos);
  }
  // A binary file given as the scene.
  {
    std::string bin = (dir / "image.yaml").string();
    test::write_file(bin, std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
    CHECK(test::run_werk("validate " + bin, &log) == 2);
    CHECK(log.find("expected a YAML text file, found a binary file") != std::string::npos);
    // A device that never ends is refused at its first block, not read
    // up to the size limit.
    CHECK(test::run_werk("validate /dev/zero", &log) == 2);
    CHECK(log.find("/dev/zero: expected a YAML text file, found a binary file (a zero byte at offset 0)") !=
          std::string::npos);
  }
  std::filesystem::remove_all(dir);
}
