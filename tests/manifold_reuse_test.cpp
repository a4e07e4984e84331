// Manifolds kept from one step to the next (kernels/manifold_reuse.h): a
// reused manifold is the one the narrowphase would make, for shapes that
// kept still relative to each other, moved together or sank in a little;
// beyond the limits the narrowphase runs again; and through the pipeline a
// resting pyramid reuses its manifolds while a sliding box does not.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "kernels/manifold_reuse.h"
#include "kernels/narrowphase.h"
#include "test_util.h"

using namespace werk;

namespace {

struct Pair {
  const char* name;
  ShapeType ta, tb;
  Vec3 sa, sb;
  Transform xa, xb;
  bool b_features;  // every point is a corner or edge of B (none made by clipping against A)
};

Quat turn(Vec3 axis, float angle) { return quat_axis_angle(normalize(axis), angle); }

// Resting contacts of the kinds a pile or a line holds: a box on a box
// half a box aside (a pyramid's), a box tilted on a box (an edge into a
// face), a box on the floor plane, a lying cylinder on a box, a sphere on
// a box.
std::vector<Pair> resting_pairs() {
  const Quat none{1, 0, 0, 0};
  return {
      {"box on box, half aside", ShapeType::Box, ShapeType::Box, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f},
       {{0, 0, 0.5f}, none}, {{0.5f, 0.1f, 1.499f}, turn({0, 0, 1}, 0.02f)}, false},
      {"tilted box on box", ShapeType::Box, ShapeType::Box, {0.3f, 0.3f, 0.3f}, {0.1f, 0.1f, 0.1f},
       {{0, 0, 0.3f}, none}, {{0.05f, 0, 0.6f + 0.1f * std::sqrt(2.0f) - 0.0005f}, turn({1, 0, 0}, 0.785398f)}, true},
      {"box on plane", ShapeType::Plane, ShapeType::Box, {0, 0, 0}, {0.05f, 0.04f, 0.03f},
       {{0, 0, 0}, none}, {{0.2f, -0.1f, 0.0298f}, turn({0, 0, 1}, 0.3f)}, true},
      {"cylinder lying on box", ShapeType::Box, ShapeType::Cylinder, {0.2f, 0.2f, 0.05f}, {0.035f, 0.025f, 0},
       {{0, 0, 0.05f}, none}, {{0.01f, 0.02f, 0.1349f}, turn({1, 0, 0}, 1.5707963f)}, false},
      {"sphere on box", ShapeType::Sphere, ShapeType::Box, {0.05f, 0, 0}, {0.2f, 0.2f, 0.05f},
       {{0.03f, 0, 0.0999f}, none}, {{0, 0, 0}, none}, false},
  };
}

struct Shapes {
  std::vector<ShapeType> type;
  std::vector<Vec3> size;
  std::vector<int32_t> data{-1, -1};
  GeometryData geo;
  GeometryView view() const { return geometry_view(geo, type.data(), size.data(), data.data()); }
};

Manifold collide_pair(const Pair& p, const Transform& xa, const Transform& xb) {
  Shapes s;
  s.type = {p.ta, p.tb};
  s.size = {p.sa, p.sb};
  Manifold m;
  collide(s.view(), 0, xa, 1, xb, 0.01f, m);
  return m;
}

Transform moved(const Transform& by, const Transform& x) { return compose(by, x); }

// Manifolds a and b alike: normal, and each point's place, separation and id.
void check_alike(const Manifold& a, const Manifold& b, float tol) {
  REQUIRE(a.count == b.count);
  CHECK(length(a.normal - b.normal) < tol);
  for (int i = 0; i < a.count; ++i) {
    INFO("point " << i);
    CHECK(length(a.points[i].point - b.points[i].point) < tol);
    CHECK(std::fabs(a.points[i].separation - b.points[i].separation) < tol);
    CHECK(a.points[i].id == b.points[i].id);
  }
}

}  // namespace

TEST_CASE("a manifold reused where the shapes kept still is the one made anew", "[narrowphase][reuse]") {
  for (const Pair& p : resting_pairs()) {
    INFO(p.name);
    const Manifold made = collide_pair(p, p.xa, p.xb);
    REQUIRE(made.count > 0);
    KeptManifold k;
    keep_manifold(made, p.xa, p.xb, k);
    Manifold again;
    REQUIRE(reuse_manifold(k, p.xa, p.xb, again));
    check_alike(again, made, 2e-6f);
  }
}

TEST_CASE("a kept manifold moves with two shapes moved together", "[narrowphase][reuse]") {
  // A part and what it rests on, carried together (on a pallet, a turning
  // platform): the kept manifold is the narrowphase's at the new poses.
  const Transform by{{1.5f, -2.0f, 0.7f}, turn({0.3f, 1.0f, 0.2f}, 0.9f)};
  for (const Pair& p : resting_pairs()) {
    if (p.ta == ShapeType::Plane) continue;  // a plane has no place to move to
    INFO(p.name);
    KeptManifold k;
    keep_manifold(collide_pair(p, p.xa, p.xb), p.xa, p.xb, k);
    const Transform xa = moved(by, p.xa), xb = moved(by, p.xb);
    Manifold reused;
    REQUIRE(reuse_manifold(k, xa, xb, reused));
    check_alike(reused, collide_pair(p, xa, xb), 1e-5f);
  }
}

TEST_CASE("a kept manifold measures a pair sinking in by less than the limit", "[narrowphase][reuse]") {
  // B sinks into A by three quarters of the limit along the normal: each
  // point's overlap grows by as much, as the narrowphase finds it.
  for (const Pair& p : resting_pairs()) {
    INFO(p.name);
    const Manifold made = collide_pair(p, p.xa, p.xb);
    KeptManifold k;
    keep_manifold(made, p.xa, p.xb, k);
    const float sink = 0.75f * kReuseDistance;
    Transform xb = p.xb;
    xb.p = xb.p - sink * made.normal;
    Manifold reused;
    REQUIRE(reuse_manifold(k, p.xa, xb, reused));
    const Manifold fresh = collide_pair(p, p.xa, xb);
    check_alike(reused, fresh, 2e-6f);
    for (int i = 0; i < made.count; ++i)
      CHECK(reused.points[i].separation == Approx(made.points[i].separation - sink).margin(2e-6));
  }
}

TEST_CASE("a kept manifold's points go with B's corners as B slides a little", "[narrowphase][reuse]") {
  // Where the points are B's own corners and edges, the narrowphase puts
  // them midway between B's feature and A's surface: so does a reuse.
  for (const Pair& p : resting_pairs()) {
    if (!p.b_features) continue;
    INFO(p.name);
    const Manifold made = collide_pair(p, p.xa, p.xb);
    KeptManifold k;
    keep_manifold(made, p.xa, p.xb, k);
    Transform xb = p.xb;
    xb.p = xb.p + 0.75f * kReuseDistance * normalize(cross(made.normal, Vec3{0.3f, 0.4f, 0.5f}));
    Manifold reused;
    REQUIRE(reuse_manifold(k, p.xa, xb, reused));
    check_alike(reused, collide_pair(p, p.xa, xb), 2e-6f);
  }
}

TEST_CASE("beyond the limits of motion the manifold is made anew", "[narrowphase][reuse]") {
  for (const Pair& p : resting_pairs()) {
    INFO(p.name);
    KeptManifold k;
    keep_manifold(collide_pair(p, p.xa, p.xb), p.xa, p.xb, k);
    Manifold m;
    m.count = -1;
    // Slid sideways by 1.5 times the distance limit.
    Transform xb = p.xb;
    xb.p = xb.p + Vec3{1.5f * kReuseDistance, 0, 0};
    CHECK_FALSE(reuse_manifold(k, p.xa, xb, m));
    // Turned by 1.5 times the angle limit about a horizontal axis.
    xb = p.xb;
    xb.q = turn({0, 1, 0}, 3.0f * kReuseHalfAngle) * xb.q;
    CHECK_FALSE(reuse_manifold(k, p.xa, xb, m));
    // A refused reuse leaves the manifold as it was.
    CHECK(m.count == -1);
    // Within both limits it is reused.
    xb = p.xb;
    xb.p = xb.p + Vec3{0.5f * kReuseDistance, 0, 0};
    xb.q = turn({0, 1, 0}, kReuseHalfAngle) * xb.q;
    CHECK(reuse_manifold(k, p.xa, xb, m));
  }
}

TEST_CASE("a resting pyramid and a sliding box reuse their manifolds, a turning box makes them anew", "[contact][reuse]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // The pyramids settle within a second; then every manifold is reused.
  // PYRAMID-40's pairs are too many to keep a step's first narrowphase
  // pass on the CPU: its second pass reuses what the first found.
  for (const char* scene : {"pyramid_20", "pyramid_40"}) {
    INFO(scene);
    Model m = load_scene(std::string(WERK_BENCH_SCENES_DIR) + "/" + scene + ".yaml");
    Simulation sim(m, SimulationOptions{backend, 1});
    sim.step(90);
    CHECK(sim.last_manifold_count() > 500);
    CHECK(sim.last_reused_manifold_count() == sim.last_manifold_count());
  }
  {
    // A box sliding across the floor at 1 m/s (about 17 mm a step) keeps
    // its manifold after the first step: its corners on the floor. Turning
    // as well (1 rad/s, 17 mrad a step, far past the angle limit), it is
    // made anew every step.
    for (const float spin : {0.0f, 1.0f}) {
      INFO("spin " << spin);
      std::string text = test::scene_header("slide", 1.0 / 60, 8) +
                         "materials:\n  m: {density: 1000, friction: 0.1}\nstatic:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                         "bodies:\n  - {name: box, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: m, position: [0, 0, 0.05], "
                         "velocity: [1, 0, 0], angular_velocity: [0, 0, " + std::to_string(spin) + "]}\n";
      Simulation sim(compile_scene(text, "slide.yaml"), SimulationOptions{backend, 1});
      sim.step(1);
      for (int i = 0; i < 20; ++i) {
        sim.step(1);
        CHECK(sim.last_manifold_count() == 1);
        CHECK(sim.last_reused_manifold_count() == (spin == 0.0f ? 1 : 0));
      }
    }
  }
}

TEST_CASE("a box sliding over a face keeps its manifold until it nears the face's edge", "[narrowphase][reuse]") {
  // A part riding a belt moves far past the limits every step, but it is
  // the same manifold: the part's corners on the belt's top face. Reused,
  // it is the narrowphase's at the new pose, whichever shape is A.
  const Quat none{1, 0, 0, 0};
  const Vec3 belt{1.0f, 0.2f, 0.005f}, part{0.04f, 0.04f, 0.04f};
  const Transform at_belt{{0, 0, 0}, none}, at_part{{-0.5f, 0.02f, 0.005f + 0.04f - 0.0003f}, turn({0, 0, 1}, 0.3f)};
  struct Case {
    const char* name;
    Pair pair;
    int part_side;  // 0: the part is A, 1: B
  };
  const Case cases[] = {
      {"part on a belt", {"", ShapeType::Box, ShapeType::Box, belt, part, at_belt, at_part, true}, 1},
      {"belt under a part", {"", ShapeType::Box, ShapeType::Box, part, belt, at_part, at_belt, false}, 0},
      {"box on the floor", {"", ShapeType::Plane, ShapeType::Box, {0, 0, 0}, part, at_belt, {{0.3f, -0.2f, 0.0397f}, none}, true}, 1},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Pair& p = c.pair;
    const PairShapes shapes{p.ta, p.tb, p.sa, p.sb};
    const Manifold made = collide_pair(p, p.xa, p.xb);
    REQUIRE(made.count == 4);
    KeptManifold k;
    keep_manifold(made, p.xa, p.xb, k);
    auto slid = [&](Vec3 by, float lift) {
      Transform xa = p.xa, xb = p.xb;
      Transform& moving = c.part_side == 0 ? xa : xb;
      moving.p = moving.p + by + Vec3{0, 0, lift};
      return std::make_pair(xa, xb);
    };
    // 0.3 m along the belt and 5 cm across, in several steps.
    for (Vec3 by : {Vec3{0.02f, 0, 0}, Vec3{0.3f, 0.05f, 0}}) {
      const auto [xa, xb] = slid(by, 0.0f);
      Manifold reused;
      REQUIRE(reuse_manifold(k, xa, xb, reused, &shapes));
      check_alike(reused, collide_pair(p, xa, xb), 1e-5f);
      // Without the shapes, only the small limits hold.
      CHECK_FALSE(reuse_manifold(k, xa, xb, reused));
    }
    Manifold m;
    // Lifted or sunk along the normal past the limit: made anew.
    CHECK_FALSE(reuse_manifold(k, slid({0.3f, 0, 0}, 1.5f * kReuseDistance).first,
                               slid({0.3f, 0, 0}, 1.5f * kReuseDistance).second, m, &shapes));
    // Turned past the limit: made anew.
    auto [xa, xb] = slid({0.3f, 0, 0}, 0.0f);
    Transform& moving = c.part_side == 0 ? xa : xb;
    moving.q = turn({0, 0, 1}, 3.0f * kReuseHalfAngle) * moving.q;
    CHECK_FALSE(reuse_manifold(k, xa, xb, m, &shapes));
    // Over the belt's end (the part's corners 1.45 m along, past 1.0 m):
    // its edge may meet the part, made anew. A floor has no edge.
    const auto [ea, eb] = slid({1.45f, 0, 0}, 0.0f);
    if (p.ta == ShapeType::Plane) CHECK(reuse_manifold(k, ea, eb, m, &shapes));
    else CHECK_FALSE(reuse_manifold(k, ea, eb, m, &shapes));
  }
  // A lying cylinder's points are not box corners: it does not slide.
  for (const Pair& p : resting_pairs()) {
    if (p.tb != ShapeType::Cylinder) continue;
    KeptManifold k;
    keep_manifold(collide_pair(p, p.xa, p.xb), p.xa, p.xb, k);
    Transform xb = p.xb;
    xb.p = xb.p + Vec3{0.01f, 0, 0};
    Manifold m;
    const PairShapes shapes{p.ta, p.tb, p.sa, p.sb};
    CHECK_FALSE(reuse_manifold(k, p.xa, xb, m, &shapes));
  }
}
