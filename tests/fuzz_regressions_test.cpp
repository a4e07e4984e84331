// Every input the fuzzers (tests/fuzz) ever found a problem with, run
// through the same readers in the normal build: each must end in a clear
// error (or succeed), never a crash or another exception.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "mesh_import.h"
#include "sweep/sweep.h"
#include "test_util.h"
#include "werk/error.h"
#include "werk/process.h"
#include "werk/scene.h"
#include "yaml_read.h"

namespace {

std::vector<std::filesystem::path> inputs(const std::string& kind) {
  std::vector<std::filesystem::path> out;
  const std::filesystem::path dir = std::filesystem::path(WERK_TEST_DATA_DIR) / "../fuzz/regressions" / kind;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  return out;
}

std::string bytes(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST_CASE("fuzz findings: scene texts end in a located error or compile", "[fuzz][regression]") {
  for (const auto& p : inputs("scene")) {
    INFO(p.string());
    const std::string text = bytes(p);
    std::string error;
    try {
      werk::Model m = werk::compile_scene(text, "/nonexistent/fuzz.yaml");
      werk::yaml::Source src{"fuzz.yaml"};
      YAML::Node root = werk::yaml::load_string(src, text);
      if (werk::process::has_process(root)) werk::process::validate(src, root);
    } catch (const werk::InputError& e) {
      error = e.what();
    }
    // An error names the scene (and a line and column when it has one).
    if (!error.empty()) CHECK((error.rfind("/nonexistent/fuzz.yaml", 0) == 0 || error.rfind("fuzz.yaml", 0) == 0));
  }
}

TEST_CASE("fuzz findings: mesh files end in a message or load", "[fuzz][regression]") {
  auto dir = werk::test::temp_dir("fuzzmesh");
  for (const auto& p : inputs("mesh")) {
    INFO(p.string());
    // As in the fuzz target: the first byte picks the extension.
    const std::string data = bytes(p);
    if (data.empty()) continue;
    const std::string path = (dir / (std::string("m") + (data[0] % 2 ? ".obj" : ".stl"))).string();
    werk::test::write_file(path, data.substr(1));
    werk::MeshData mesh;
    std::string error = werk::load_mesh(path, 1.0f, mesh);
    if (!error.empty()) CHECK(error.rfind("cannot load mesh '" + path + "'", 0) == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("fuzz findings: werk info on damaged files exits 1 or 2 with a message", "[fuzz][regression]") {
  for (const auto& p : inputs("info")) {
    INFO(p.string());
    std::string log;
    const int status = werk::test::run_werk("info " + p.string(), &log);
    CHECK((status == 0 || status == 1 || status == 2));
    if (status != 0) CHECK(log.find(p.string()) != std::string::npos);
  }
}

TEST_CASE("fuzz findings: sweep files end in a located error or load", "[fuzz][regression][sweep]") {
  // As in the fuzz target: each text is read as scenes/sweeps/fuzz.yaml.
  const std::string path = std::string(WERK_SCENES_DIR) + "/sweeps/fuzz.yaml";
  for (const auto& p : inputs("sweep")) {
    INFO(p.string());
    std::string error;
    try {
      werk::sweep::Spec s = werk::sweep::load_text(path, bytes(p));
      for (int v = 0; v < s.nvariant(); ++v) (void)werk::sweep::variant_document(s, v);
    } catch (const werk::InputError& e) {
      error = e.what();
    }
    // An error names the sweep file (with a line and column when it has one).
    if (!error.empty()) CHECK(error.rfind(path, 0) == 0);
    // A scene that is a device never ends: its first block shows it is no
    // text file.
    if (p.filename() == "scene_from_a_device.yaml")
      CHECK(error.find("expected a YAML text file, found a binary file") != std::string::npos);
    // A list index of 65 digits is past the end of the list, not a crash.
    if (p.filename() == "index_past_size_t.yaml")
      CHECK(error.find("has 3 entries, found index 2333333") != std::string::npos);
  }
}
