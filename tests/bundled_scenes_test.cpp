// The bundled scenes do what README.md and the scenes' own comments say,
// and curved belts turn the parts they carry.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_util.h"

using namespace werk;

namespace {

std::string bundled(const std::string& name) { return std::string(WERK_SCENES_DIR) + "/" + name; }

// Heading of a body's x axis in the horizontal plane (rad).
double yaw(Quat q) {
  Vec3 x = rotate(q, Vec3{1, 0, 0});
  return std::atan2(x.y, x.x);
}

double wrap(double a) { return std::remainder(a, 2 * M_PI); }

// The dynamic bodies of a model (the parts), in body order.
std::vector<int> dynamic_bodies(const Model& m) {
  std::vector<int> out;
  for (int b = 0; b < m.nbody(); ++b)
    if (m.body_kind[size_t(b)] == BodyKind::Dynamic) out.push_back(b);
  return out;
}

}  // namespace

TEST_CASE("a part on a curved belt turns with it like a disc", "[contact][conveyor][scenes]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // An arc turns its load like a rigid disc about its centre at speed /
  // radius: a part riding it without slip changes heading by the angle it
  // goes round. A 0.1 m box starts at rest on a 1 m radius quarter turn at
  // 0.5 m/s; it gets up to speed in v / (mu g) = 0.06 s, lagging the belt by
  // v^2 / (2 mu g) = 16 mm of arc (0.016 rad), and its spin catches up in
  // about the same time, so after 2.5 s heading and polar angle have both
  // turned by about 1.2 rad and differ by a few hundredths of a radian.
  Model m = compile_scene(test::curved_belt_scene(), "curve.yaml");
  Simulation sim(m, SimulationOptions{backend});
  const int part = m.body_index("part");
  const Vec3 p0 = sim.state().body_pos[part];
  const double yaw0 = yaw(sim.state().body_quat[part]), polar0 = std::atan2(p0.y, p0.x);
  sim.step(300);
  const Vec3 p = sim.state().body_pos[part];
  const double turned = wrap(yaw(sim.state().body_quat[part]) - yaw0), went_round = std::atan2(p.y, p.x) - polar0;
  INFO("heading turned " << turned << " rad, went round " << went_round << " rad");
  CHECK(went_round > 1.0);
  CHECK(std::fabs(turned - went_round) < 0.05);
  // Spin about z at the disc's rate, speed / radius.
  CHECK(sim.state().body_angvel[part].z == Approx(0.5).epsilon(0.03));
}

TEST_CASE("chute_to_bin: every one of the sixty parts ends in the bin", "[scenes][slow]") {
  // README: sixty castings and hubs slide down the chute, ride both belts
  // around the curve and drop into the bin, in the scene's 40 s. Sixty
  // parts in a flood take paths that any change of the last bit sends
  // elsewhere, so the line must work for more than one of them: gravity
  // changed by 1e-5 relative gives other paths (it lost 2 to 13 parts of
  // a line with its curve's outer guide stepping into the path).
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  const std::string gravity = GENERATE(as<std::string>{}, "-9.81", "-9.8101", "-9.8099");
  INFO("gravity " << gravity);
  std::ifstream in(bundled("chute_to_bin.yaml"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string from = "gravity: [0, 0, -9.81]";
  REQUIRE(text.find(from) != std::string::npos);
  text.replace(text.find(from), from.size(), "gravity: [0, 0, " + gravity + "]");
  Model m = compile_scene(text, bundled("chute_to_bin.yaml"));
  const std::vector<int> parts = dynamic_bodies(m);
  REQUIRE(parts.size() == 60);
  Simulation sim(m, SimulationOptions{backend, 1});  // bit-identical for any thread count
  sim.step(int(std::lround(m.duration / m.dt)));
  int in_bin = 0;
  for (int b : parts) {
    Vec3 p = sim.state().body_pos[b];
    // Inside the bin's walls (inner faces x 2.32..3.08, y 2.22..2.98) and
    // below their top (0.5 m).
    bool inside = p.x > 2.32 && p.x < 3.08 && p.y > 2.22 && p.y < 2.98 && p.z > 0.04 && p.z < 0.5;
    if (!inside) UNSCOPED_INFO(m.body_name[size_t(b)] << " ends at (" << p.x << ", " << p.y << ", " << p.z << ")");
    in_bin += inside;
  }
  CHECK(in_bin == 60);
}

TEST_CASE("pallet_stack: the three interlocked layers stand", "[scenes]") {
  // The scene checks stacking stability. Each layer starts 2 mm above its
  // support (pallet top 0.144 m, cartons 0.25 m high), so at rest layer k
  // has dropped 2 (k + 1) mm; beyond that the cartons must not slide, tilt
  // or keep moving. 1 mm covers the solver's contact overlap (a fraction of
  // a millimetre per contact here); a slide or topple moves centimetres.
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  Model m = load_scene(bundled("pallet_stack.yaml"));
  const std::vector<int> cartons = dynamic_bodies(m);
  REQUIRE(cartons.size() == 20);
  Simulation sim(m, SimulationOptions{backend});
  std::vector<Vec3> start(sim.state().body_pos.begin(), sim.state().body_pos.begin() + m.nbody());
  sim.step(int(std::lround(m.duration / m.dt)));
  for (int b : cartons) {
    const std::string& name = m.body_name[size_t(b)];
    INFO(name);
    const int layer = name[5] - '0';  // layerK_i
    const Vec3 p = sim.state().body_pos[b], p0 = start[size_t(b)];
    CHECK(std::hypot(p.x - p0.x, p.y - p0.y) < 0.001);
    CHECK(p.z == Approx(p0.z - 0.002 * (layer + 1)).margin(0.001));
    CHECK(rotate(sim.state().body_quat[b], Vec3{0, 0, 1}).z > std::cos(0.01));  // upright within 0.6 degrees
    CHECK(length(sim.state().body_vel[b]) < 0.01);
  }
}

TEST_CASE("drop_test: the crate lands, the bolt lies on the floor, the plate flips", "[scenes]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  Model m = load_scene(bundled("drop_test.yaml"));
  Simulation sim(m, SimulationOptions{backend});
  const int crate = m.body_index("crate"), bolt = m.body_index("bolt"), plate = m.body_index("plate");
  // The plate spins at 6 rad/s about its intermediate axis (body y), 0.5
  // rad/s about each of the others: a free body's rotation about that axis
  // is unstable, and the spin axis turns over (its body-y component changes
  // sign) while the plate falls from 8 m, before any point of it (at most
  // 0.181 m from its centre) can touch the floor.
  bool flipped = false;
  while (sim.state().body_pos[plate].z > 0.19) {
    sim.step(1);
    Vec3 w_body = rotate(conj(sim.state().body_quat[plate]), sim.state().body_angvel[plate]);
    flipped |= w_body.y < 0;
  }
  CHECK(flipped);
  sim.step(int(std::lround((m.duration - sim.time()) / m.dt)));
  // At rest on the floor: the crate (0.25 m high) on its face, the bolt
  // (a 10 mm radius capsule) lying down; both within the solver's few
  // millimetres of allowed overlap.
  CHECK(sim.state().body_pos[crate].z == Approx(0.125).margin(0.003));
  CHECK(sim.state().body_pos[bolt].z == Approx(0.01).margin(0.003));
  CHECK(length(sim.state().body_vel[crate]) < 0.01);
  CHECK(length(sim.state().body_vel[bolt]) < 0.05);
}
