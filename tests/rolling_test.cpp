// Round parts rolling against analytic answers: sliding into rolling,
// rolling down inclines (and slipping above the no-slip limit), energy,
// rolling and spinning friction, and a ball on a running belt.
//
// For a round body of mass m, radius r and moment of inertia I about its
// rolling axis, with k = I / (m r^2) (solid sphere 2/5, solid cylinder
// 1/2): launched sliding at v0 on a level floor with friction mu, it slides
// until v = v0 / (1 + k), after t = (v0 - v) / (mu g), and then rolls on at
// that speed; down an incline of angle a it rolls without slipping at
// g sin a / (1 + k) while tan a <= mu (1 + k) / k, and above that slips
// with g (sin a - mu cos a).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "test_util.h"

using namespace werk;

namespace {

constexpr double kG = 9.81;

// One body has nothing to share among threads: one CPU thread.
Simulation make_sim(const Model& m, const std::string& backend) {
  SimulationOptions o;
  o.backend = backend;
  o.threads = 1;
  return Simulation(m, o);
}

// A round part: its scene shape, the rotation that lays it on its side
// (rolling axis along y) and k = I / (m r^2) about that axis from its
// geometry.
struct Round {
  const char* name;
  std::string shape, rotation;
  double r, k;
};

std::vector<Round> round_parts() {
  const std::string lying = ", rotation: {axis: [1, 0, 0], angle_deg: 90}";
  // Capsule of radius r and segment L: a cylinder (I = m r^2 / 2) and two
  // hemispheres making a sphere (I = 2/5 m r^2), masses by volume.
  const double r = 0.05, L = 0.2;
  const double vc = M_PI * r * r * L, vs = 4.0 / 3.0 * M_PI * r * r * r;
  const double k_capsule = (vc * 0.5 + vs * 0.4) / (vc + vs);
  return {{"sphere", "{type: sphere, radius: 0.05}", "", 0.05, 0.4},
          {"cylinder", "{type: cylinder, radius: 0.1, height: 0.2}", lying, 0.1, 0.5},
          {"capsule", "{type: capsule, radius: 0.05, length: 0.2}", lying, r, k_capsule}};
}

std::string materials(double mu, double rolling = 0, double spinning = 0) {
  return "materials:\n  m: {density: 1000, friction: " + test::num(mu) + ", rolling_friction: " + test::num(rolling) +
         ", spinning_friction: " + test::num(spinning) + "}\n";
}

// Level floors with their top at z = 0: a plane, a static box and a static
// hull slab (40 m long, ahead of a part moving along +x), which round parts
// meet through different contact routines.
const char* const kFloors[] = {
    "{name: floor, shape: {type: plane}, material: m}",
    "{name: floor, shape: {type: box, size: [40, 2, 0.1]}, position: [18, 0, -0.05], material: m}",
    "{name: floor, shape: {type: hull, points: [[-2, -1, -0.1], [38, -1, -0.1], [-2, 1, -0.1], [38, 1, -0.1], [-2, -1, 0],"
    " [38, -1, 0], [-2, 1, 0], [38, 1, 0]]}, material: m}"};

// One part on a level floor, centre at its radius, moving along +x.
Model floor_scene(const Round& p, double dt, int substeps, const std::string& mats, double v0, double w0 = 0,
                  const std::string& floor = kFloors[0]) {
  std::string header = test::scene_header("roll", dt, substeps);
  if (substeps == 0) header = "werk: 1\nname: roll\ndt: " + test::num(dt) + "\nsleep: false\n";  // default sub-steps
  return compile_scene(header + mats + "static:\n  - " + floor + "\n" +
                           "bodies:\n  - {name: part, shape: " + p.shape + ", material: m, position: [0, 0, " + test::num(p.r) +
                           "], velocity: [" + test::num(v0) + ", 0, 0], angular_velocity: [0, " + test::num(w0) + ", 0]" +
                           p.rotation + "}\n",
                       "roll.yaml");
}

// Speed of the touching point relative to the floor (along x) of a part
// rolling along +x about +y.
double slip(const State& s, double r) { return s.body_vel[1].x - s.body_angvel[1].y * r; }

TEST_CASE("round parts launched sliding roll on at v0 / (1 + k) after (v0 - v) / (mu g) and keep that speed",
          "[contact][rolling]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // The engine's default step (1/240 s, its default sub-steps) and a coarse
  // 1/60 s step with its default sub-steps.
  for (double dt : {1.0 / 240, 1.0 / 60}) {
    for (const std::string floor : kFloors) {
      for (const Round& p : round_parts()) {
        INFO(p.name << ", dt " << dt << " on " << floor);
        const double mu = 0.5, v0 = p.name == std::string("cylinder") ? 2.0 : 1.0;
        Model m = floor_scene(p, dt, 0, materials(mu), v0, 0, floor);
        Simulation sim = make_sim(m, backend);
        const double v_roll = v0 / (1 + p.k), t_roll = (v0 - v_roll) / (mu * kG);
        // The slip closes at mu g (1 + 1/k) m/s per second, several cm/s per
        // step: the first step without slip marks the transition.
        int steps = 0;
        while (std::fabs(slip(sim.state(), p.r)) > 1e-3 * v0 && steps < int(1.0 / dt)) sim.step(1), ++steps;
        CHECK(std::fabs(steps * dt - t_roll) <= 2 * dt);
        const double v1 = sim.state().body_vel[1].x;
        CHECK(v1 == Approx(v_roll).epsilon(0.01));
        // Rolling on a level floor without rolling friction: nothing slows it.
        sim.step(int(std::lround(10.0 / dt)));
        const State& s = sim.state();
        CHECK(std::fabs(s.body_vel[1].x - v1) < 0.005 * v1);
        CHECK(std::fabs(slip(s, p.r)) < 1e-3 * v0);
        CHECK(std::fabs(s.body_vel[1].y) < 1e-3 * v0);          // straight on
        CHECK(std::fabs(s.body_pos[1].z - p.r) < 0.002 * p.r);  // on the floor, not sinking or hopping
      }
    }
  }
}

TEST_CASE("a ball rolling down a fixed sphere, or a cylinder down a fixed cylinder, reaches the speed energy gives",
          "[contact][rolling]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // Two round surfaces: rolling without slipping on a round body of radius
  // R, the part's centre moves on a circle of radius R + r and it spins at
  // v / r, so energy gives v^2 = 2 g (R + r) (cos a0 - cos a) / (1 + k).
  // At 30 degrees friction needs F / N = 0.21 (ball) and 0.24 (cylinder) of
  // mu 1: still rolling.
  const double R = 0.5, a0 = 0.05;
  const std::string lying = ", rotation: {axis: [1, 0, 0], angle_deg: 90}";
  struct Case {
    const char* name;
    std::string dome, part;
    double r, k;
  };
  for (const Case& c : {Case{"ball on a sphere", "{type: sphere, radius: 0.5}", "{type: sphere, radius: 0.05}", 0.05, 0.4},
                        Case{"cylinder on a cylinder", "{type: cylinder, radius: 0.5, height: 0.4}" + lying,
                             "{type: cylinder, radius: 0.05, height: 0.2}" + lying, 0.05, 0.5}}) {
    INFO(c.name);
    const double d = R + c.r;
    Model m = compile_scene(test::scene_header("dome", 1.0 / 240, 2) + materials(1.0) +
                                "static:\n  - {name: dome, shape: " + c.dome + ", material: m}\n"
                                "bodies:\n  - {name: part, shape: " + c.part + ", material: m, position: [" +
                                test::num(d * std::sin(a0)) + ", 0, " + test::num(d * std::cos(a0)) + "]}\n",
                            "dome.yaml");
    Simulation sim = make_sim(m, backend);
    const double a_end = 30 * M_PI / 180;
    double a_prev = a0, v_prev = 0;
    bool reached = false;
    for (int k_step = 0; k_step < int(3.0 / m.dt) && !reached; ++k_step) {
      sim.step(1);
      const Vec3 x = sim.state().body_pos[1];
      const double a = std::atan2(x.x, x.z), v = length(sim.state().body_vel[1]);
      if (a >= a_end) {
        reached = true;
        const double v_at = v_prev + (v - v_prev) * (a_end - a_prev) / (a - a_prev);
        // Speed within 1%, as for the other rolling speeds. What remains
        // (under 0.5% low) is the step's fixed normal on a curved surface.
        CHECK(v_at == Approx(std::sqrt(2 * kG * d * (std::cos(a0) - std::cos(a_end)) / (1 + c.k))).epsilon(0.01));
        CHECK(std::hypot(x.x, x.z) == Approx(d).epsilon(0.002));  // on the dome
      }
      a_prev = a, v_prev = v;
    }
    CHECK(reached);
  }
}

// A part on a plane tilted by `deg` about y, starting at rest. Down the
// slope is -(cos a, 0, sin a).
struct Incline {
  Model model;
  Vec3 down;
};
Incline incline_scene(const Round& p, double mu, double deg, double rolling = 0, double dt = 1.0 / 240) {
  const double a = deg * M_PI / 180;
  const std::string rot = "{axis: [0, 1, 0], angle_deg: " + test::num(-deg) + "}";
  // The part's rolling axis is y, which the tilt about y keeps.
  const std::string header = "werk: 1\nname: incline\ndt: " + test::num(dt) + "\nsleep: false\n";  // default sub-steps
  Model m = compile_scene(header + materials(mu, rolling) +
                              "static:\n  - {name: ramp, shape: {type: plane}, rotation: " + rot + ", material: m}\n"
                              "bodies:\n  - {name: part, shape: " + p.shape + ", material: m, position: [" +
                              test::num(-std::sin(a) * p.r) + ", 0, " + test::num(std::cos(a) * p.r) + "]" + p.rotation + "}\n",
                          "incline.yaml");
  return {std::move(m), Vec3{float(-std::cos(a)), 0, float(-std::sin(a))}};
}

TEST_CASE("round parts roll down inclines at g sin a / (1 + k) and slip at g (sin a - mu cos a) above the limit",
          "[contact][rolling]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  for (const Round& p : round_parts()) {
    // Below the no-slip limit tan a <= mu (1 + k) / k (at mu 0.6: 61 to 64 degrees).
    // At the default step and at dt = 1/60.
    const double mu = 0.6;
    for (auto [deg, dt] : {std::pair{10.0, 1.0 / 240}, {30.0, 1.0 / 240}, {10.0, 1.0 / 60}, {30.0, 1.0 / 60}}) {
      INFO(p.name << " rolling down " << deg << " degrees, dt " << dt);
      REQUIRE(std::tan(deg * M_PI / 180) < mu * (1 + p.k) / p.k);
      Incline in = incline_scene(p, mu, deg, 0, dt);
      Simulation sim = make_sim(in.model, backend);
      const int per_s = int(std::lround(1 / in.model.dt));
      sim.step(per_s / 2);
      const double v1 = dot(sim.state().body_vel[1], in.down);
      sim.step(per_s);
      const double v2 = dot(sim.state().body_vel[1], in.down);
      const double expected = kG * std::sin(deg * M_PI / 180) / (1 + p.k);
      CHECK(v2 - v1 == Approx(expected).epsilon(0.01));
      // Rolling: the touching point rests on the ramp, to 1% of the speed
      // as for the speeds (slipping would gain metres per second per second).
      CHECK(std::fabs(v2 + sim.state().body_angvel[1].y * p.r) < 0.01 * v2);
    }
    // Above the limit (mu 0.1: 15 to 19 degrees): friction-limited slip,
    // mu m g cos a spinning the part up about its axis.
    const double deg = 40, a = deg * M_PI / 180, mu_low = 0.1;
    INFO(p.name << " slipping down " << deg << " degrees");
    REQUIRE(std::tan(a) > mu_low * (1 + p.k) / p.k);
    Incline in = incline_scene(p, mu_low, deg);
    Simulation sim = make_sim(in.model, backend);
    const int per_s = int(std::lround(1 / in.model.dt));
    sim.step(per_s / 2);
    const double v1 = dot(sim.state().body_vel[1], in.down), w1 = -sim.state().body_angvel[1].y;
    sim.step(per_s);
    const double v2 = dot(sim.state().body_vel[1], in.down), w2 = -sim.state().body_angvel[1].y;
    CHECK(v2 - v1 == Approx(kG * (std::sin(a) - mu_low * std::cos(a))).epsilon(0.01));
    CHECK(w2 - w1 == Approx(mu_low * kG * std::cos(a) / (p.k * p.r)).epsilon(0.01));
  }
}

TEST_CASE("a part rolling down an incline for 10 s keeps its energy", "[contact][rolling]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  for (const Round& p : round_parts()) {
    INFO(p.name);
    Incline in = incline_scene(p, 0.6, 5);
    const Model& m = in.model;
    Simulation sim = make_sim(m, backend);
    auto energy = [&](const State& s) {
      const Vec3 v = s.body_vel[1], wb = rotate_inv(s.body_quat[1], s.body_angvel[1]);
      return 0.5 * m.body_mass[1] * dot(v, v) + 0.5 * dot(wb, mul(m.body_inertia[1], wb)) +
             m.body_mass[1] * kG * s.body_pos[1].z;
    };
    const double e0 = energy(sim.state());
    double worst = 0;
    for (int k = 0; k < 10; ++k) {
      sim.step(int(std::lround(1 / m.dt)));
      worst = std::max(worst, std::fabs(energy(sim.state()) - e0));
    }
    // Against the energy that changed form: the kinetic energy at 10 s
    // (about 30 m down the slope).
    const Vec3 v = sim.state().body_vel[1];
    const double kinetic = 0.5 * m.body_mass[1] * dot(v, v) * (1 + p.k);
    CHECK(kinetic > 0.5 * m.body_mass[1] * 25);  // it did roll: over 5 m/s
    CHECK(worst < 0.005 * kinetic);
  }
}

TEST_CASE("rolling friction slows a rolling part at (b / r) g / (1 + k) and stops it without reversing",
          "[contact][rolling]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  const double b = 0.002;  // lever arm (m), set on both materials at the contact: combined sqrt(b b) = b
  for (const Round& p : round_parts()) {
    INFO(p.name);
    // Launched rolling (no slip), so the only loss is rolling friction:
    // torque b N opposes the rotation, and friction at the floor keeps it
    // rolling, so m a (1 + k) = -b m g / r.
    const double v0 = 0.5, decel = (b / p.r) * kG / (1 + p.k);
    Model m = floor_scene(p, 1.0 / 240, 0, materials(0.5, b), v0, v0 / p.r);
    Simulation sim = make_sim(m, backend);
    const int per_s = int(std::lround(1 / m.dt));
    sim.step(per_s / 10);
    const double v1 = sim.state().body_vel[1].x;
    const double span = 0.5 * v0 / decel;  // half way to the stop
    sim.step(int(std::lround(span * per_s)));
    const double v2 = sim.state().body_vel[1].x;
    CHECK((v1 - v2) / span == Approx(decel).epsilon(0.02));
    // It stops after v0 / decel and stays stopped: its rotation never turns
    // back and it does not roll back. (In the step it stops, the sliding
    // friction carried over from the step before may slide it back a few
    // micrometres; rolling back would take millimetres.)
    double lowest_spin = 1, farthest = 0, back = 0;
    for (int k = 0; k < int(v0 / decel * per_s); ++k) {
      sim.step(1);
      const double x = sim.state().body_pos[1].x;
      farthest = std::max(farthest, x);
      back = std::max(back, farthest - x);
      lowest_spin = std::min(lowest_spin, double(sim.state().body_angvel[1].y) * p.r);
    }
    CHECK(lowest_spin > -1e-6);
    CHECK(back < 1e-5);
    CHECK(std::fabs(sim.state().body_vel[1].x) < 1e-4);
    CHECK(std::fabs(sim.state().body_angvel[1].y) < 1e-4 / p.r);
  }
}

TEST_CASE("rolling friction holds a ball on a slope up to tan a = b / r and slows its roll down a steeper one",
          "[contact][rolling]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // Rolling without slipping down a slope with rolling friction b: the
  // torque b N = b m g cos a opposes the roll, so
  // m a (1 + k) = m g (sin a - (b / r) cos a) while that is positive, and
  // the ball stays put while tan a <= b / r (here 2.29 degrees).
  const Round ball = round_parts()[0];
  const double b = 0.002;
  for (double deg : {2.0, 5.0}) {
    INFO(deg << " degrees");
    const double a = deg * M_PI / 180;
    Incline in = incline_scene(ball, 0.6, deg, b);
    Simulation sim = make_sim(in.model, backend);
    const int per_s = int(std::lround(1 / in.model.dt));
    sim.step(per_s / 2);
    const double v1 = dot(sim.state().body_vel[1], in.down);
    const Vec3 x1 = sim.state().body_pos[1];
    sim.step(per_s);
    const double v2 = dot(sim.state().body_vel[1], in.down);
    const double accel = kG * (std::sin(a) - (b / ball.r) * std::cos(a)) / (1 + ball.k);
    if (accel <= 0) {
      CHECK(length(sim.state().body_pos[1] - x1) < 1e-4);
      CHECK(std::fabs(v2) < 1e-4);
    } else {
      CHECK(v2 - v1 == Approx(accel).epsilon(0.02));
    }
  }
}

TEST_CASE("spinning friction stops a spinning ball at c m g / I per second without reversing", "[contact][rolling]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // A ball spinning about the vertical: torque c N = c m g, so the spin
  // falls at c g / (k r^2).
  const Round ball = round_parts()[0];
  const double c = 0.001, w0 = 20, decel = c * kG / (ball.k * ball.r * ball.r);
  Model m = compile_scene(test::scene_header("spin", 1.0 / 240, 2) + materials(0.5, 0, c) +
                              "static:\n  - {name: floor, shape: {type: plane}, material: m}\n"
                              "bodies:\n  - {name: ball, shape: " + ball.shape + ", material: m, position: [0, 0, " +
                              test::num(ball.r) + "], angular_velocity: [0, 0, " + test::num(w0) + "]}\n",
                          "spin.yaml");
  Simulation sim = make_sim(m, backend);
  const int per_s = int(std::lround(1 / m.dt));
  sim.step(per_s / 10);
  const double w1 = sim.state().body_angvel[1].z;
  const double span = 0.5 * w0 / decel;
  sim.step(int(std::lround(span * per_s)));
  CHECK((w1 - sim.state().body_angvel[1].z) / span == Approx(decel).epsilon(0.02));
  double lowest = w0;
  for (int k = 0; k < int(w0 / decel * per_s); ++k) {
    sim.step(1);
    lowest = std::min(lowest, double(sim.state().body_angvel[1].z));
  }
  CHECK(lowest > -1e-3);
  CHECK(std::fabs(sim.state().body_angvel[1].z) < 1e-3);
}

TEST_CASE("a ball or cylinder set on a running belt ends rolling at k / (1 + k) of the belt's speed",
          "[contact][rolling][conveyor]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // Friction at the touching point drives it to the belt's speed u: the
  // part gains m v = J forward and spins back with I w = J r, so
  // v + w r = u ends it at v = u k / (1 + k), w = u / ((1 + k) r), after
  // u / (mu g (1 + 1/k)) (under 0.03 s); then it rolls on unchanged.
  const double u = 0.5, mu = 0.8;
  for (const Round& p : round_parts()) {
    if (p.name == std::string("capsule")) continue;
    INFO(p.name);
    std::string text = test::scene_header("on_belt", 1.0 / 240, 2) + materials(mu) +
                       "conveyors:\n  - {name: belt, from: [0, 0, 0], to: [3, 0, 0], width: 0.4, speed: " + test::num(u) +
                       ", material: m}\n"
                       "bodies:\n  - {name: part, shape: " + p.shape + ", material: m, position: [0.2, 0, " + test::num(p.r) + "]" +
                       p.rotation + "}\n";
    Model m = compile_scene(text, "on_belt.yaml");
    Simulation sim = make_sim(m, backend);
    const int part = m.body_index("part");
    sim.step(int(std::lround(2.0 / m.dt)));  // then 2 s of rolling, under 0.4 m along the belt
    const State& s = sim.state();
    CHECK(s.body_vel[part].x == Approx(u * p.k / (1 + p.k)).epsilon(0.01));
    CHECK(-s.body_angvel[part].y == Approx(u / ((1 + p.k) * p.r)).epsilon(0.01));
    CHECK(std::fabs(s.body_vel[part].y) < 1e-3 * u);
    CHECK(s.body_pos[part].z == Approx(p.r).epsilon(0.002));
  }
}

TEST_CASE("rolling and spinning friction must not be negative", "[scene][rolling]") {
  for (const char* key : {"rolling_friction", "spinning_friction"}) {
    const std::string text = "werk: 1\nname: x\nmaterials:\n  m: {" + std::string(key) + ": -0.01}\n";
    try {
      compile_scene(text, "bad.yaml");
      FAIL("accepted a negative " << key);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find("bad.yaml:4:") != std::string::npos);
      CHECK(what.find(key) != std::string::npos);
      CHECK(what.find("-0.01") != std::string::npos);
    }
  }
}

}  // namespace
