// Reading result files for drawing: shapes from /geometry, poses per frame,
// and bodies flagged inactive left out.
#include <hdf5.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "result_file.h"
#include "tessellate.h"

using namespace werk;
using namespace werk::viz;

namespace {

std::string run_werk(const std::string& args) {
  std::string cmd = std::string(WERK_BINARY) + " " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  REQUIRE(pclose(f) == 0);
  return out;
}

// Two boxes falling freely from rest: z(t) = z0 - g t^2 / 2.
const char* kScene =
    "werk: 1\nname: drop\ndt: 0.01\nduration: 0.2\nrecord_interval: 0.1\nsleep: false\n"
    "bodies:\n  - {name: a, shape: {type: box, size: [0.2, 0.2, 0.2]}, position: [0, 0, 5], mass: 1}\n"
    "  - {name: b, shape: {type: sphere, radius: 0.1}, position: [1, 0, 5], mass: 1}\n";

}  // namespace

TEST_CASE("a result file gives the recorded shapes and poses, and inactive bodies are left out", "[viz]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("werk_viz_result_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "drop.yaml") << kScene;
  const std::string h5 = (dir / "drop.h5").string();
  run_werk("run " + (dir / "drop.yaml").string() + " -q --threads 1 -o " + h5);
  {
    ResultFile r(h5);
    CHECK(r.scene_name == "drop");
    REQUIRE(r.nbody() == 2);
    REQUIRE(r.frames() == 3);
    CHECK(r.model().shape_type[0] == ShapeType::Box);
    CHECK(r.model().shape_size[0].x == Approx(0.1f));
    CHECK(r.frame_at(0.15) == 1);
    // Free fall over 0.2 s: z0 - g t^2 / 2, within semi-implicit Euler's
    // g h t / 2 (h <= dt = 0.01 s) of it.
    ResultFile::Poses p = r.poses(2);
    CHECK(p.position[0].z == Approx(5 - 9.81 * 0.2 * 0.2 / 2).margin(9.81 * 0.01 * 0.2 / 2 + 1e-5));
    CHECK(p.position[1].x == Approx(1.0f));
    CHECK(p.active[0] == 1);
    CHECK(p.active[1] == 1);
  }
  // An "active" series marks body b out of the scene at frame 1.
  hid_t f = H5Fopen(h5.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(f >= 0);
  hid_t g = H5Gcreate2(f, "particles/bodies/active", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {3, 2};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t d = H5Dcreate2(g, "value", H5T_NATIVE_UINT8, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const uint8_t active[6] = {1, 1, 1, 0, 1, 1};
  H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, active);
  H5Dclose(d), H5Sclose(space), H5Gclose(g), H5Fclose(f);
  ResultFile r(h5);
  CHECK(r.poses(0).active == std::vector<uint8_t>{1, 1});
  CHECK(r.poses(1).active == std::vector<uint8_t>{1, 0});
  Scene sc = tessellate_scene(r, 12);
  auto moving = {DrawKind::Dynamic, DrawKind::Kinematic};
  vtkIdType both = frame_polydata(sc, r.poses(0), moving)->GetNumberOfCells();
  vtkIdType one = frame_polydata(sc, r.poses(1), moving)->GetNumberOfCells();
  CHECK(both == sc.body[0]->GetNumberOfCells() + sc.body[1]->GetNumberOfCells());
  CHECK(one == sc.body[0]->GetNumberOfCells());
  fs::remove_all(dir);
}
