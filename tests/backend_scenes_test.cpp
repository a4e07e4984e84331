// Hull, mesh and compound scenes on every backend (falling, stacking,
// resting in a mesh bin), the GPU path's colouring and memory layout, and
// its per-step device work: the paths a GPU takes, checked on any machine
// through the emulated-CUDA backend.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "arena.h"
#include "backend.h"
#include "kernels/constraint_graph.h"
#include "test_util.h"

using namespace werk;

namespace {

constexpr double kG = 9.81;

// A tetrahedron-like hull part: the corner of a 0.1 m cube and the far
// corner (five points, one of them inside the hull of the others is not).
const char* kSmallHull = "[[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1], [0.1, 0.1, 0.1]]";

std::string materials() { return "materials:\n  m: {density: 1000, friction: 0.6}\n"; }

// Lowest and highest z of a dynamic body's centre, and whether every value
// of the state is finite.
struct Figures {
  double min_z = 1e30, max_z = -1e30, max_speed = 0;
  bool finite = true;
};
Figures figures(const Model& m, const State& s) {
  Figures f;
  for (int b = 0; b < m.nbody(); ++b) {
    if (m.body_kind[b] != BodyKind::Dynamic) continue;
    const Vec3 p = s.body_pos[b], v = s.body_vel[b], w = s.body_angvel[b];
    for (float x : {p.x, p.y, p.z, v.x, v.y, v.z, w.x, w.y, w.z}) f.finite = f.finite && std::isfinite(x);
    f.min_z = std::min(f.min_z, double(p.z));
    f.max_z = std::max(f.max_z, double(p.z));
    f.max_speed = std::max(f.max_speed, double(std::sqrt(v.x * v.x + v.y * v.y + v.z * v.z)));
  }
  return f;
}

}  // namespace

TEST_CASE("32 convex-hull parts fall onto a floor and come to rest", "[hull][backend]") {
  // Regression: two or more dynamic hulls used to read freed geometry.
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  std::string text = test::scene_header("hulls", 1.0 / 120, 4) + materials() +
                     "static:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                     "bodies:\n  - name: h\n    shape: {type: hull, points: " + kSmallHull + "}\n    material: m\n"
                     "    position: [0, 0, 0.3]\n    grid: {count: [4, 4, 2], spacing: [0.25, 0.25, 0.25]}\n";
  Model m = compile_scene(text, "hulls.yaml");
  REQUIRE(m.geometry.hull_vertex_count.size() >= 1);
  Simulation sim(m, SimulationOptions{backend});
  sim.step(int(2.0 / m.dt));
  const Figures f = figures(m, sim.state());
  REQUIRE(f.finite);
  // Resting on the floor: the hull's centre of mass is between 0 (a point
  // touching) and its 0.1 m extent above the floor; nothing moves.
  CHECK(f.min_z > 0.0);
  CHECK(f.max_z < 0.1);
  CHECK(f.max_speed < 0.05);
  CHECK(sim.last_max_penetration() < 0.005);
}

TEST_CASE("a stack of three hull blocks stands", "[hull][backend]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // 0.2 x 0.2 x 0.1 blocks as hulls of their eight corners.
  std::string pts = "[[-0.1,-0.1,-0.05],[0.1,-0.1,-0.05],[0.1,0.1,-0.05],[-0.1,0.1,-0.05],"
                    "[-0.1,-0.1,0.05],[0.1,-0.1,0.05],[0.1,0.1,0.05],[-0.1,0.1,0.05]]";
  std::string text = test::scene_header("hull_stack", 1.0 / 120, 4) + materials() +
                     "static:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                     "bodies:\n  - name: block\n    shape: {type: hull, points: " + pts + "}\n    material: m\n"
                     "    position: [0, 0, 0.05]\n    grid: {count: [1, 1, 3], spacing: [0, 0, 0.1]}\n";
  Model m = compile_scene(text, "hull_stack.yaml");
  Simulation sim(m, SimulationOptions{backend});
  sim.step(int(1.0 / m.dt));
  const Vec3 top1 = sim.state().body_pos[m.nbody() - 1];
  sim.step(int(2.0 / m.dt));
  const Vec3 top3 = sim.state().body_pos[m.nbody() - 1];
  const Figures f = figures(m, sim.state());
  REQUIRE(f.finite);
  // The top block's centre at 2.5 heights, less the solver's small
  // resting overlap (a few mm at most over two contacts), and still.
  CHECK(top3.z == Approx(0.25).margin(0.006));
  CHECK(std::fabs(top3.x) < 1e-3);
  CHECK(std::fabs(top3.y) < 1e-3);
  CHECK(std::fabs(top3.z - top1.z) < 1e-3);
}

TEST_CASE("hulls and a compound part come to rest in a mesh bin", "[hull][mesh][backend]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // A 1 x 1 m bin, 0.3 m deep: floor and four walls, normals facing in.
  auto dir = test::temp_dir("mesh_bin");
  test::write_file(dir / "bin.obj",
                   "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 0.3\nv 1 0 0.3\nv 1 1 0.3\nv 0 1 0.3\n"
                   "f 1 2 3 4\n"          // floor, +z
                   "f 1 5 6 2\n"          // y = 0 wall, +y
                   "f 2 6 7 3\n"          // x = 1 wall, -x
                   "f 3 7 8 4\n"          // y = 1 wall, -y
                   "f 4 8 5 1\n");        // x = 0 wall, +x
  std::string text = test::scene_header("mesh_bin", 1.0 / 120, 4) + materials() +
                     "static:\n  - {name: bin, shape: {type: mesh, file: bin.obj}, material: m}\n"
                     "bodies:\n"
                     "  - name: h\n    shape: {type: hull, points: " + kSmallHull + "}\n    material: m\n"
                     "    position: [0.3, 0.3, 0.5]\n    grid: {count: [3, 3, 1], spacing: [0.2, 0.2, 0]}\n"
                     "  - name: bracket\n    material: m\n    position: [0.5, 0.5, 0.9]\n"
                     "    shapes:\n      - {type: box, size: [0.3, 0.05, 0.05]}\n"
                     "      - {type: box, size: [0.05, 0.3, 0.05], position: [0, 0, 0.05]}\n";
  Model m = compile_scene(text, (dir / "mesh_bin.yaml").string());
  Simulation sim(m, SimulationOptions{backend});
  sim.step(int(2.5 / m.dt));
  const State& s = sim.state();
  const Figures f = figures(m, s);
  REQUIRE(f.finite);
  // Every part inside the bin's walls and above its floor, at rest.
  for (int b = 0; b < m.nbody(); ++b) {
    if (m.body_kind[b] != BodyKind::Dynamic) continue;
    INFO("body " << m.body_name[b]);
    CHECK(s.body_pos[b].x > 0.0f);
    CHECK(s.body_pos[b].x < 1.0f);
    CHECK(s.body_pos[b].y > 0.0f);
    CHECK(s.body_pos[b].y < 1.0f);
    CHECK(s.body_pos[b].z > 0.0f);
    CHECK(s.body_pos[b].z < 0.3f);
  }
  CHECK(f.max_speed < 0.05);
  CHECK(sim.last_max_penetration() < 0.005);
}

TEST_CASE("the CPU and emulated-CUDA backends agree on a falling hull pile", "[hull][backend]") {
  // Different colourings order the solver's updates differently, so the
  // two runs differ in the last bits and then chaotically; what must agree
  // is the physics: free fall to the first impact, and the rest state.
  std::string text = test::scene_header("hull_pile", 1.0 / 120, 4) + materials() +
                     "static:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                     "bodies:\n  - name: h\n    shape: {type: hull, points: " + kSmallHull + "}\n    material: m\n"
                     "    position: [0, 0, 0.5]\n    grid: {count: [3, 3, 3], spacing: [0.12, 0.12, 0.12]}\n";
  Model m = compile_scene(text, "hull_pile.yaml");
  Simulation cpu(m, SimulationOptions{"cpu"});
  Simulation gpu(m, SimulationOptions{"emulated-cuda"});
  // Free fall for 0.2 s: every body drops g t^2 / 2 = 0.196 m, on both.
  cpu.step(24);
  gpu.step(24);
  for (int b = 1; b < m.nbody(); ++b) {
    // Symplectic Euler over sub-steps h is off by g t h / 2 at most.
    CHECK(cpu.state().body_pos[b].z == Approx(m.body_pos0[b].z - 0.5 * kG * 0.04).margin(kG * 0.2 / 480));
    CHECK(gpu.state().body_pos[b].z == Approx(cpu.state().body_pos[b].z).margin(1e-5));
  }
  cpu.step(int(3.0 / m.dt));
  gpu.step(int(3.0 / m.dt));
  const Figures a = figures(m, cpu.state()), b = figures(m, gpu.state());
  REQUIRE(a.finite);
  REQUIRE(b.finite);
  // Both at rest on the floor, the pile no taller than 3 parts and with
  // overlaps of a few millimetres at most.
  CHECK(a.max_speed < 0.05);
  CHECK(b.max_speed < 0.05);
  CHECK(a.max_z < 0.3);
  CHECK(b.max_z < 0.3);
  CHECK(cpu.last_max_penetration() < 0.005);
  CHECK(gpu.last_max_penetration() < 0.005);
}

TEST_CASE("parallel colouring rounds are conflict-free, deterministic and close to greedy", "[contact][graph]") {
  // The rounds of constraint_graph.h run here one contact at a time per
  // step, which is one of the orders a GPU may take; any order gives the
  // same result because claims are integer minima.
  std::mt19937 rng(11);
  const int nbody = 2000;
  std::vector<float> inv_mass(nbody, 1.0f);
  inv_mass[0] = 0.0f;  // a floor every contact may share
  // A pile-like graph: each body touches a few near neighbours (by index)
  // and the floor.
  std::vector<BodyPair> pairs;
  std::uniform_int_distribution<int> near(1, 12);
  for (int b = 1; b < nbody; ++b) {
    pairs.push_back({0, b});
    for (int k = 0; k < 4; ++k) {
      const int o = b + near(rng);
      if (o < nbody) pairs.push_back({b, o});
    }
  }
  const int n = int(pairs.size());
  auto rounds = [&](std::vector<int32_t>& color, bool reverse) {
    color.assign(size_t(n), -1);
    std::vector<unsigned long long> tentative(static_cast<size_t>(n)), claim(static_cast<size_t>(nbody));
    std::vector<uint64_t> mask(size_t(nbody), 0);
    int round = 0;
    for (; round < kMaxColorRounds && std::count(color.begin(), color.end(), -1) > 0; ++round) {
      std::fill(claim.begin(), claim.end(), kNoClaim);
      for (int j = 0; j < n; ++j) {
        const int i = reverse ? n - 1 - j : j;
        claim_lowest_color(i, pairs[size_t(i)], inv_mass.data(), mask.data(), color.data(), tentative.data(), claim.data());
      }
      for (int j = 0; j < n; ++j) {
        const int i = reverse ? n - 1 - j : j;
        take_lowest_color(i, pairs[size_t(i)], inv_mass.data(), tentative.data(), claim.data(), color.data(), mask.data());
      }
    }
    return round;
  };
  std::vector<int32_t> forward, backward;
  const int nround = rounds(forward, false);
  rounds(backward, true);
  CHECK(forward == backward);
  CHECK(nround < kMaxColorRounds);
  // No two contacts of a colour share a dynamic body.
  const int ncolor = *std::max_element(forward.begin(), forward.end()) + 1;
  for (int k = 0; k < ncolor; ++k) {
    std::vector<int> owner(size_t(nbody), -1);
    for (int i = 0; i < n; ++i) {
      if (forward[size_t(i)] != k) continue;
      for (int b : {pairs[size_t(i)].a, pairs[size_t(i)].b}) {
        if (inv_mass[size_t(b)] == 0.0f) continue;
        CHECK(owner[size_t(b)] == -1);
        owner[size_t(b)] = i;
      }
    }
  }
  // Greedy in index order on the same graph.
  std::vector<uint64_t> masks;
  std::vector<uint8_t> colors;
  std::vector<int32_t> order(static_cast<size_t>(n)), offsets;
  greedy_colors(n, [&](int i) { return pairs[size_t(i)]; }, inv_mass.data(), nbody, masks, colors, order.data(), offsets);
  const int greedy = int(offsets.size()) - 1;
  INFO("rounds " << ncolor << " colours, greedy " << greedy);
  CHECK(ncolor <= int(std::ceil(1.2 * greedy)));
}

TEST_CASE("arrays at the end of an arena are aligned for any arena size", "[memory]") {
  // The contact buffer's size is a multiple of a manifold's (not of 8).
  alignas(16) static uint8_t storage[4096 + 16];
  for (size_t capacity = 1000; capacity < 1100; ++capacity) {
    for (size_t n : {0, 1, 7, 33}) {
      const size_t offset = tail_offset(capacity, n * 8 + 8, 8);
      CHECK(offset % 8 == 0);
      CHECK(offset + n * 8 <= capacity);
      CHECK(offset + 8 * n + 16 > capacity);  // no more than the 8 spare bytes lost
      uint64_t* keys = aligned_at<uint64_t>(storage, offset);
      CHECK(reinterpret_cast<uintptr_t>(keys) % alignof(uint64_t) == 0);
    }
  }
}

TEST_CASE("a steady GPU-path step allocates nothing and waits for the device a bounded number of times", "[backend][gpu]") {
  // A settled pile of 200 boxes on the emulated-CUDA backend: the same
  // launches, read-backs and allocations a GPU step makes.
  std::string text = test::scene_header("pile", 1.0 / 60, 8) + materials() +
                     "static:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                     "bodies:\n  - name: box\n    shape: {type: box, size: [0.1, 0.1, 0.1]}\n    material: m\n"
                     "    position: [0, 0, 0.06]\n    grid: {count: [10, 10, 2], spacing: [0.11, 0.11, 0.11]}\n";
  Model m = compile_scene(text, "pile.yaml");
  State s = make_state(m, 1);
  auto backend = emulated::make_backend(0);
  backend->load(m, s);
  backend->step(120);  // settle; scratch grows to its working size
  int64_t allocations = 0, max_syncs = 0;
  for (int k = 0; k < 20; ++k) {
    backend->step(1);
    const StepStats st = backend->stats();
    allocations += st.allocations;
    max_syncs = std::max(max_syncs, st.syncs);
    CHECK(st.launches > 0);
  }
  CHECK(allocations == 0);
  CHECK(max_syncs <= 40);
}

TEST_CASE("the GPU path gives the same state for 1 and 2 threads, run after run", "[backend][determinism]") {
  // Claims are integer minima, so colours, and with them every update,
  // do not depend on which thread comes first.
  Model m = load_scene(std::string(WERK_BENCH_SCENES_DIR) + "/pile_1000.yaml");
  uint64_t hash[3];
  int k = 0;
  for (int threads : {1, 2, 2}) {
    Simulation sim(m, SimulationOptions{"emulated-cuda", threads});
    sim.step(300);
    hash[k++] = state_hash(sim.state());
  }
  CHECK(hash[0] == hash[1]);
  CHECK(hash[1] == hash[2]);
}
