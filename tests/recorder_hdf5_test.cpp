// The H5MD recorder: values round-trip, thread count does not change a
// bit, and interrupted or killed runs leave readable files.
#include <catch2/catch.hpp>
#include <hdf5.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
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

// A cell with contacts, a joint and belts: boxes stacked two high on a
// straight belt against the floor, cylinders on a curved belt, a pendulum
// on a hinge swinging, and a ball falling onto the floor.
std::string cell_scene(double duration, double record) {
  return test::scene_header("cell", 1.0 / 240, 4) + "duration: " + test::num(duration) +
         "\nrecord_interval: " + test::num(record) +
         "\nmaterials:\n  rubber: {density: 500, friction: 0.8}\n  steel: {density: 7800, friction: 0.4, restitution: 0.3}\n"
         "static:\n  - {name: floor, shape: {type: plane}, material: steel}\n"
         "conveyors:\n  - {name: belt, from: [0, 0, 0.2], to: [3, 0, 0.2], width: 1.0, speed: 0.5, material: rubber}\n"
         "  - {name: turn, arc: {center: [0, 3, 0.2], radius: 1.0, start_deg: -90, end_deg: 0}, width: 0.5, speed: 0.4, material: rubber}\n"
         "bodies:\n"
         "  - {name: box, shape: {type: box, size: [0.12, 0.1, 0.08]}, material: rubber, position: [0.3, -0.3, 0.245],\n"
         "     grid: {count: [4, 3, 2], spacing: [0.2, 0.3, 0.085]}}\n"
         "  - {name: can, shape: {type: cylinder, radius: 0.05, height: 0.08}, material: steel, position: [0, 2.0, 0.245],\n"
         "     grid: {count: [2, 1, 1], spacing: [0.2, 0, 0]}}\n"
         "  - {name: bob, shape: {type: sphere, radius: 0.1}, material: steel, position: [5, 0.5, 1.5], velocity: [0, 0, 0]}\n"
         "  - {name: ball, shape: {type: sphere, radius: 0.05}, material: steel, position: [6, 0, 0.6], velocity: [0.3, 0.1, 0]}\n"
         "joints:\n  - {name: hinge, type: revolute, body_b: bob, anchor: [5, 0, 1.5], axis: [1, 0, 0]}\n";
}

std::vector<double> read_doubles(const std::string& file, const std::string& path) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
  hid_t s = H5Dget_space(d);
  std::vector<double> out(size_t(H5Sget_simple_extent_npoints(s)));
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
  H5Sclose(s), H5Dclose(d), H5Fclose(f);
  return out;
}

TEST_CASE("every recorded dataset reads back equal to the state it came from", "[recorder]") {
  auto dir = test::temp_dir("roundtrip");
  Model m = compile_scene(cell_scene(1, 0.1), "cell.yaml");
  Simulation sim(m, SimulationOptions{"cpu"});
  std::string path = (dir / "out.h5").string();
  std::vector<State> frames;
  {
    Recorder rec(m, path, RecorderOptions{});
    for (int k = 0; k < 6; ++k) {
      rec.record(sim.state());
      frames.push_back(sim.state());
      sim.step(24);
    }
  }
  const int n = m.nbody(), nf = int(frames.size());
  // The frames must show what the datasets are for: contacts pressing,
  // belts carrying, the pendulum swinging (all velocities differ).
  REQUIRE(frames.back().body_vel[m.body_index("bob")].y != 0);
  for (const char* series : {"position", "orientation", "velocity", "angular_velocity"}) {
    INFO(series);
    const int k = std::string(series) == "orientation" ? 4 : 3;
    std::vector<hsize_t> dims;
    auto v = read_floats(path, std::string("particles/bodies/") + series + "/value", &dims);
    REQUIRE(dims == std::vector<hsize_t>{hsize_t(nf), hsize_t(n), hsize_t(k)});
    auto step = read_doubles(path, std::string("particles/bodies/") + series + "/step");
    auto time = read_doubles(path, std::string("particles/bodies/") + series + "/time");
    REQUIRE(step.size() == size_t(nf));
    REQUIRE(time.size() == size_t(nf));
    for (int f = 0; f < nf; ++f) {
      const State& st = frames[f];
      CHECK(step[f] == double(st.step));
      CHECK(time[f] == st.time);
      for (int b = 0; b < n; ++b) {
        const float* x = &v[(size_t(f) * n + b) * k];
        float want[4];
        if (k == 4) {
          Quat q = st.body_quat[b];
          want[0] = q.w, want[1] = q.x, want[2] = q.y, want[3] = q.z;
        } else {
          Vec3 w = std::string(series) == "position" ? st.body_pos[b]
                   : std::string(series) == "velocity" ? st.body_vel[b] : st.body_angvel[b];
          want[0] = w.x, want[1] = w.y, want[2] = w.z;
        }
        for (int c = 0; c < k; ++c) {
          INFO("frame " << f << " body " << m.body_name[b] << " component " << c);
          CHECK(x[c] == want[c]);  // float32 written from float32: exact
        }
      }
    }
  }
  // Ids 0..n-1 and the names in /parameters, in body order.
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ids = H5Dopen2(file, "particles/bodies/id", H5P_DEFAULT);
  std::vector<int32_t> id(static_cast<size_t>(n));
  H5Dread(ids, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, id.data());
  for (int b = 0; b < n; ++b) CHECK(id[size_t(b)] == b);
  H5Dclose(ids);
  // Fixed-length, null-padded string datasets.
  auto strings = [&](const char* name) {
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t type = H5Dget_type(d), space = H5Dget_space(d);
    const size_t len = H5Tget_size(type), count = size_t(H5Sget_simple_extent_npoints(space));
    std::vector<char> buf(len * count);
    H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    std::vector<std::string> out;
    for (size_t i = 0; i < count; ++i) out.emplace_back(buf.data() + i * len, strnlen(buf.data() + i * len, len));
    H5Tclose(type), H5Sclose(space), H5Dclose(d);
    return out;
  };
  CHECK(strings("parameters/body_names") == m.body_name);
  CHECK(strings("parameters/scene") == std::vector<std::string>{m.source_text});
  H5Fclose(file);
  std::filesystem::remove_all(dir);
}

TEST_CASE("one and two threads write bit-identical datasets", "[recorder][determinism]") {
  auto dir = test::temp_dir("threads");
  // Contacts (a stack on a belt, a ball on the floor), a curved belt and a
  // joint: the parallel parts of the step all at work.
  std::string scene = test::write_file(dir / "s.yaml", cell_scene(2, 0.05));
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
  // 24 boxes, 2 cans, the bob and the ball, the floor and the two belts.
  CHECK(info.find("bodies:         31") != std::string::npos);
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
    // Ctrl-C ends the run at the output path; SIGTERM (a preemption)
    // keeps it in its running file beside a checkpoint for --resume.
    const std::string file = sig == SIGTERM ? running_path(out) : out;
    CHECK(std::filesystem::exists(out) == (sig == SIGINT));
    CHECK(std::filesystem::exists(out + ".checkpoint") == (sig == SIGTERM));
    std::vector<hsize_t> dims;
    auto pos = read_floats(file, "particles/bodies/position/value", &dims);
    REQUIRE(dims.size() == 3);
    CHECK(dims[0] > 1);
    CHECK(dims[1] == 2000);
    // Every frame has its step, one record interval (one step here) after
    // the last, and its time is step x dt.
    auto step = read_floats(file, "particles/bodies/position/step", nullptr);
    auto t = read_floats(file, "particles/bodies/position/time", nullptr);
    REQUIRE(step.size() == dims[0]);
    REQUIRE(t.size() == dims[0]);
    for (size_t f = 0; f < step.size(); ++f) {
      CHECK(step[f] == float(f));
      CHECK(t[f] == Approx(f / 240.0).epsilon(1e-6));  // float32 of a double
    }
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

TEST_CASE("the scene's shapes are recorded in /geometry as the scene gives them", "[recorder]") {
  auto dir = test::temp_dir("geometry");
  // The cell, with a hull body added before its joints.
  std::string text = cell_scene(0.05, 0.05);
  text.insert(text.find("joints:"),
              "  - name: wedge\n    shape: {type: hull, points: [[0,0,0],[0.4,0,0],[0,0.3,0],[0,0,0.2],[0.1,0.1,0.05]]}\n"
              "    position: [8, 0, 1]\n");
  const std::string scene = test::write_file(dir / "g.yaml", text);
  const std::string out = (dir / "g.h5").string();
  REQUIRE(test::run_werk("run " + scene + " -q --threads 1 -o " + out) == 0);
  Model m = load_scene(scene);
  // Sizes as written in the scene: box [0.12, 0.1, 0.08] has half extents
  // [0.06, 0.05, 0.04]; the can radius 0.05 and half height 0.04.
  std::vector<hsize_t> dims;
  std::vector<float> size = read_floats(out, "geometry/shape_size", &dims);
  REQUIRE(dims == std::vector<hsize_t>{hsize_t(m.nshape()), 3});
  const int box = m.body_shape_begin[m.body_index("box_0")], can = m.body_shape_begin[m.body_index("can_0")];
  CHECK(size[3 * box] == Approx(0.06f));
  CHECK(size[3 * box + 1] == Approx(0.05f));
  CHECK(size[3 * box + 2] == Approx(0.04f));
  CHECK(size[3 * can] == Approx(0.05f));
  CHECK(size[3 * can + 1] == Approx(0.04f));
  // The hull of five points, one inside the tetrahedron of the other four:
  // its four corners, moved rigidly (shape frame), so the six distances
  // between them are the scene's: 0.2, 0.3, 0.4, sqrt(0.13), sqrt(0.2), 0.5.
  std::vector<float> hv = read_floats(out, "geometry/hull_vertex", &dims);
  REQUIRE(dims == std::vector<hsize_t>{4, 3});
  std::vector<double> dist;
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j)
      dist.push_back(std::hypot(hv[3 * i] - hv[3 * j], hv[3 * i + 1] - hv[3 * j + 1], hv[3 * i + 2] - hv[3 * j + 2]));
  std::sort(dist.begin(), dist.end());
  const double want[6] = {0.2, 0.3, std::sqrt(0.13), 0.4, std::sqrt(0.2), 0.5};
  for (int i = 0; i < 6; ++i) CHECK(dist[size_t(i)] == Approx(want[i]).epsilon(1e-5));  // float32 coordinates
  // Body kinds: the floor and the belts static, the parts dynamic.
  hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "geometry/body_kind", H5P_DEFAULT);
  std::vector<uint8_t> kind(size_t(m.nbody()));
  H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, kind.data());
  H5Dclose(d);
  CHECK(kind[size_t(m.body_index("floor"))] == 0);
  CHECK(kind[size_t(m.body_index("wedge"))] == 1);
  // The run's wall time, written at the end.
  hid_t p = H5Gopen2(f, "parameters", H5P_DEFAULT);
  double wall = -1;
  REQUIRE(H5Aexists(p, "wall_seconds") > 0);
  hid_t a = H5Aopen(p, "wall_seconds", H5P_DEFAULT);
  H5Aread(a, H5T_NATIVE_DOUBLE, &wall);
  H5Aclose(a), H5Gclose(p), H5Fclose(f);
  CHECK(wall > 0);
  CHECK(wall < 600);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a result is renamed into place only once HDF5 has really closed it", "[recorder][interrupt]") {
  // HDF5 keeps a file open while any of its objects is. Renamed then, the
  // output would be marked as still being written until that object
  // closed, and a kill in between would leave it unreadable.
  auto dir = test::temp_dir("close_open");
  Model m = compile_scene(tumbling_scene(3, 1, 0.1), "t.yaml");
  Simulation sim(m, SimulationOptions{"cpu"});
  const std::string out = (dir / "out.h5").string();
  test::write_file(dir / "out.h5", "the previous result");
  {
    Recorder rec(m, out, RecorderOptions{});
    hid_t held = H5Gcreate2(hid_t(rec.file_id()), "held", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(held >= 0);
    rec.record(sim.state());
    CHECK_THROWS_WITH(rec.close(), Catch::Contains("still open"));
    H5Gclose(held);
  }
  std::ifstream previous(out);
  CHECK(std::string(std::istreambuf_iterator<char>(previous), {}) == "the previous result");
  CHECK(std::filesystem::exists(running_path(out)));
  // What could not be written in SWMR mode goes in before the rename: the
  // output opens without SWMR and has it.
  {
    Recorder rec(m, out, RecorderOptions{});
    rec.record(sim.state());
    rec.close([](int64_t file) {
      hid_t g = H5Gcreate2(hid_t(file), "appended", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      REQUIRE(g >= 0);
      H5Gclose(g);
    });
  }
  CHECK_FALSE(std::filesystem::exists(running_path(out)));
  hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  CHECK(H5Lexists(f, "appended", H5P_DEFAULT) > 0);
  H5Fclose(f);
  std::filesystem::remove_all(dir);
}
