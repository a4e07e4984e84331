// The H5MD recorder: values round-trip, thread count does not change a
// bit, and interrupted or killed runs leave readable files.
#include <catch2/catch.hpp>
#include <hdf5.h>
#include <signal.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "test_util.h"
#include "werk/recorder.h"

using namespace werk;

namespace {

// Reads a float dataset whole; empty when it cannot be opened.
std::vector<float> read_floats(const std::string& file, const std::string& path, std::vector<hsize_t>* dims = nullptr,
                               bool swmr = false) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY | (swmr ? H5F_ACC_SWMR_READ : 0), H5P_DEFAULT);
  if (f < 0) return {};
  hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
  hid_t s = H5Dget_space(d);
  int rank = H5Sget_simple_extent_ndims(s);
  std::vector<hsize_t> dd(rank);
  H5Sget_simple_extent_dims(s, dd.data(), nullptr);
  size_t n = 1;
  for (auto v : dd) n *= v;
  std::vector<float> out(n);
  if (n) H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
  H5Sclose(s), H5Dclose(d), H5Fclose(f);
  if (dims) *dims = dd;
  return out;
}

std::string tumbling_scene(int n, double duration, double record) {
  return test::scene_header("tumblers", 1.0 / 240, 4) + "duration: " + test::num(duration) +
         "\nrecord_interval: " + test::num(record) +
         "\nbodies:\n  - name: part\n    shape: {type: box, size: [0.3, 0.2, 0.1]}\n"
         "    angular_velocity: [0.1, 4, 0.2]\n    velocity: [1, 0, 3]\n"
         "    grid: {count: [" + std::to_string(n) + ", 1, 1], spacing: [1, 0, 0]}\n";
}

TEST_CASE("recorded frames read back equal to the state", "[recorder]") {
  auto dir = test::temp_dir("roundtrip");
  Model m = compile_scene(tumbling_scene(5, 1, 0.1), "t.yaml");
  Simulation sim(m);
  std::string path = (dir / "out.h5").string();
  std::vector<State> frames;
  {
    Recorder rec(m, path, RecorderOptions{});
    for (int k = 0; k < 4; ++k) {
      rec.record(sim.state());
      frames.push_back(sim.state());
      sim.step(24);
    }
  }
  std::vector<hsize_t> dims;
  auto pos = read_floats(path, "particles/bodies/position/value", &dims);
  REQUIRE(dims == std::vector<hsize_t>{4, 5, 3});
  auto quat = read_floats(path, "particles/bodies/orientation/value", &dims);
  REQUIRE(dims == std::vector<hsize_t>{4, 5, 4});
  for (int f = 0; f < 4; ++f)
    for (int b = 0; b < 5; ++b) {
      CHECK(pos[(f * 5 + b) * 3 + 2] == frames[f].body_pos[b].z);
      CHECK(quat[(f * 5 + b) * 4 + 0] == frames[f].body_quat[b].w);
      CHECK(quat[(f * 5 + b) * 4 + 3] == frames[f].body_quat[b].z);
    }
  std::filesystem::remove_all(dir);
}

TEST_CASE("one and two threads write bit-identical datasets", "[recorder][determinism]") {
  auto dir = test::temp_dir("threads");
  std::string scene = test::write_file(dir / "s.yaml", tumbling_scene(64, 2, 0.05));
  std::string a = (dir / "a.h5").string(), b = (dir / "b.h5").string();
  REQUIRE(test::run_werk("run " + scene + " -q --backend cpu --threads 1 -o " + a) == 0);
  REQUIRE(test::run_werk("run " + scene + " -q --backend cpu --threads 2 -o " + b) == 0);
  for (const char* d : {"position", "orientation", "velocity", "angular_velocity"}) {
    std::string path = std::string("particles/bodies/") + d + "/value";
    auto x = read_floats(a, path), y = read_floats(b, path);
    REQUIRE(!x.empty());
    CHECK(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
  }
  std::string info;
  CHECK(test::run_werk("info " + a, &info) == 0);
  CHECK(info.find("frames:         41") != std::string::npos);
  CHECK(info.find("bodies:         64") != std::string::npos);
  std::filesystem::remove_all(dir);
}

// Starts `werk run` in the background, waits until it has written frames,
// then sends `sig`; returns the exit status.
int interrupt_run(const std::string& scene, const std::string& out, int sig) {
  pid_t pid = fork();
  if (pid == 0) {
    execl(WERK_BINARY, WERK_BINARY, "run", scene.c_str(), "-q", "--threads", "1", "-o", out.c_str(), (char*)nullptr);
    _exit(127);
  }
  // Wait for at least one flush (every 2 s of wall time), then stop it.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_CASE("an interrupted run closes a valid file with every frame so far", "[recorder][interrupt]") {
  auto dir = test::temp_dir("interrupt");
  // Long enough that it is still running when interrupted.
  std::string scene = test::write_file(dir / "s.yaml", tumbling_scene(2000, 1e6, 1.0 / 240));
  for (int sig : {SIGINT, SIGTERM}) {
    std::string out = (dir / ("int" + std::to_string(sig) + ".h5")).string();
    CHECK(interrupt_run(scene, out, sig) == 128 + sig);
    std::vector<hsize_t> dims;
    auto pos = read_floats(out, "particles/bodies/position/value", &dims);
    REQUIRE(dims.size() == 3);
    CHECK(dims[0] > 1);
    CHECK(dims[1] == 2000);
    // Time stamps of all frames are present and increasing.
    auto t = read_floats(out, "particles/bodies/position/step", nullptr);
    CHECK(t.size() == dims[0]);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a killed run leaves its running file readable with every flushed frame", "[recorder][interrupt]") {
  auto dir = test::temp_dir("kill");
  std::string scene = test::write_file(dir / "s.yaml", tumbling_scene(2000, 1e6, 1.0 / 240));
  std::string out = (dir / "killed.h5").string();
  CHECK(interrupt_run(scene, out, SIGKILL) == 128 + SIGKILL);
  // Nothing at the output path: the run never completed. The running file
  // beside it is an SWMR file, which opens for reading without repair.
  CHECK_FALSE(std::filesystem::exists(out));
  std::vector<hsize_t> dims;
  auto pos = read_floats(running_path(out), "particles/bodies/position/value", &dims, true);
  REQUIRE(dims.size() == 3);
  CHECK(dims[0] >= 1);
  CHECK(dims[1] == 2000);
  std::filesystem::remove_all(dir);
}

}  // namespace
