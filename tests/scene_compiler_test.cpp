// Scene validation: every kind of bad input is reported at its place with
// what was expected and what was found; the CLI exits 2 and writes nothing.
#include <catch2/catch.hpp>

#include <filesystem>

#include "test_util.h"
#include "werk/error.h"

using namespace werk;

namespace {

const std::string kGood = R"(werk: 1
name: good
dt: 0.01
materials:
  steel: {density: 7850, friction: 0.5}
bodies:
  - name: a
    shape: {type: box, size: [1, 1, 1]}
    material: steel
)";

struct BadCase {
  const char* kind;
  std::string text;
  int line, column;
  std::vector<std::string> words;  // must all appear in the message
};

std::vector<BadCase> bad_cases() {
  return {
      {"unknown key", "werk: 1\nname: x\nbodies:\n  - name: a\n    frction: 0.3\n    shape: {type: sphere, radius: 1}\n", 5, 5,
       {"unknown key 'frction'", "expected one of"}},
      {"wrong type", "werk: 1\nname: x\ndt: fast\n", 3, 5, {"dt", "expected a number", "found 'fast'"}},
      {"negative mass", "werk: 1\nname: x\nbodies:\n  - name: a\n    mass: -2\n    shape: {type: sphere, radius: 1}\n", 5, 11,
       {"mass", "expected a positive mass", "-2"}},
      {"zero-length quaternion",
       "werk: 1\nname: x\nbodies:\n  - name: a\n    rotation: [0, 0, 0, 0]\n    shape: {type: sphere, radius: 1}\n", 5, 15,
       {"rotation", "non-zero quaternion", "length 0"}},
      {"non-finite number", "werk: 1\nname: x\ngravity: [0, 0, .inf]\n", 3, 17, {"gravity[2]", "finite number", ".inf"}},
      {"duplicate name",
       "werk: 1\nname: x\nbodies:\n  - name: a\n    shape: {type: sphere, radius: 1}\n  - name: a\n    shape: {type: sphere, radius: 1}\n",
       6, 11, {"body name", "unique", "'a' defined twice"}},
      {"dangling name", "werk: 1\nname: x\nbodies:\n  - name: a\n    material: unobtainium\n    shape: {type: sphere, radius: 1}\n", 5, 15,
       {"material", "expected a defined material", "unknown 'unobtainium'"}},
      {"missing key", "werk: 1\nname: x\nbodies:\n  - name: a\n", 4, 5, {"missing required key 'shape'"}},
      {"bad choice", "werk: 1\nname: x\nbodies:\n  - name: a\n    shape: {type: cube}\n", 5, 19,
       {"expected one of sphere, box", "found 'cube'"}},
      {"duplicate key", "werk: 1\nname: x\ndt: 0.1\ndt: 0.2\n", 4, 1, {"duplicate key 'dt'"}},
      {"syntax error", "werk: 1\nname: [x\n", 3, 1, {"YAML syntax error"}},
      {"wrong version", "werk: 2\nname: x\n", 1, 7, {"format version 1", "found 2"}},
      {"negative dimension", "werk: 1\nname: x\nbodies:\n  - name: a\n    shape: {type: box, size: [1, -1, 1]}\n", 5, 30,
       {"size", "positive edge lengths"}},
  };
}

TEST_CASE("a valid scene compiles into a model", "[scene]") {
  Model m = compile_scene(kGood, "good.yaml");
  REQUIRE(m.nbody() == 1);
  CHECK(m.body_mass[0] == Approx(7850.0));
  CHECK(m.body_inertia[0].x == Approx(7850.0 / 6.0));
  CHECK(m.dt == 0.01);
}

TEST_CASE("each kind of bad input is reported at its line and column", "[scene]") {
  for (const auto& c : bad_cases()) {
    INFO(c.kind);
    try {
      compile_scene(c.text, "bad.yaml");
      FAIL("no error for " << c.kind);
    } catch (const InputError& e) {
      INFO(e.what());
      CHECK(e.file() == "bad.yaml");
      CHECK(e.line() == c.line);
      CHECK(e.column() == c.column);
      const std::string prefix = "bad.yaml:" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ";
      CHECK(std::string(e.what()).rfind(prefix, 0) == 0);
      for (const auto& w : c.words) CHECK(std::string(e.what()).find(w) != std::string::npos);
    }
  }
}

TEST_CASE("the CLI exits 2 on bad input and writes nothing", "[scene][cli]") {
  auto dir = test::temp_dir("bad_input");
  for (const auto& c : bad_cases()) {
    INFO(c.kind);
    std::string scene = test::write_file(dir / "bad.yaml", c.text);
    std::string out = (dir / "out.h5").string(), output;
    CHECK(test::run_werk("run " + scene + " -o " + out, &output) == 2);
    CHECK(output.find(scene + ":" + std::to_string(c.line) + ":" + std::to_string(c.column) + ":") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK(test::run_werk("validate " + scene) == 2);
  }
  // Usage errors are exit 2 as well.
  std::string good = test::write_file(dir / "good.yaml", kGood);
  CHECK(test::run_werk("run " + good + " --duration -1 -o " + (dir / "x.h5").string()) == 2);
  CHECK(test::run_werk("run " + good + " --backend quantum -o " + (dir / "x.h5").string()) == 2);
  CHECK(test::run_werk("run " + (dir / "missing.yaml").string()) == 2);
  CHECK(test::run_werk("frobnicate") == 2);
  CHECK(test::run_werk("validate " + good) == 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
