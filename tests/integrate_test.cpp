// Free rigid-body motion against closed-form answers.
#include <catch2/catch.hpp>

#include <cmath>

#include "test_util.h"

using namespace werk;

namespace {

// Semi-implicit Euler with step h gives z_n = z0 + vz t - g h^2 n (n + 1) / 2,
// i.e. the exact parabola shifted by -g h t / 2: first-order accurate.
TEST_CASE("free fall and projectile follow the closed form at several time steps", "[integrate]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  const double g = 9.81, z0 = 10, vx = 3, vz = 12, T = 2.0;
  double previous_error = 1e9;
  for (double dt : {1.0 / 60, 1.0 / 120, 1.0 / 240}) {
    for (int substeps : {1, 4}) {
      std::string text = test::scene_header("fall", dt, substeps) +
                         "bodies:\n  - name: ball\n    shape: {type: sphere, radius: 0.1}\n"
                         "    position: [0, 0, 10]\n    velocity: [3, 0, 12]\n";
      Model m = compile_scene(text, "fall.yaml");
      SimulationOptions o;
      o.backend = backend;
      Simulation sim(m, o);
      const int steps = int(std::lround(T / m.dt));
      sim.step(steps);
      const double t = steps * m.dt, h = m.dt / substeps;
      Vec3 p = sim.state().body_pos[0];
      Vec3 v = sim.state().body_vel[0];
      const double exact_z = z0 + vz * t - 0.5 * g * t * t;
      // The discrete solution, to float precision: at most half an ulp of
      // rounding per sub-step (|z| < 32 m, |v| < 16 m/s).
      const double n = steps * substeps;
      const double z_round = n * 0.5 * std::ldexp(1.0, 5 - 24), v_round = n * 0.5 * std::ldexp(1.0, 4 - 24);
      CHECK(p.z == Approx(exact_z - 0.5 * g * h * t).margin(z_round));
      CHECK(p.x == Approx(vx * t).margin(z_round));
      CHECK(v.z == Approx(vz - g * t).margin(v_round));
      // And its distance from the true parabola is the first-order term.
      const double error = std::fabs(p.z - exact_z);
      CHECK(error <= 0.5 * g * h * t + z_round);
      if (substeps == 4) {
        CHECK(error < previous_error);
        previous_error = error;
      }
    }
  }
}

// World-frame angular momentum and kinetic energy of body 0.
void momentum_energy(const Model& m, const State& s, Vec3& L, double& E) {
  Quat q = s.body_quat[0];
  Vec3 w = s.body_angvel[0];
  Vec3 wb = rotate_inv(q, w);
  Vec3 Lb = mul(m.body_inertia[0], wb);
  L = rotate(q, Lb);
  E = 0.5 * dot(wb, Lb);
}

TEST_CASE("torque-free tumbling conserves angular momentum and energy and flips about the intermediate axis",
          "[integrate]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  // A 0.4 x 0.2 x 0.05 m plate: distinct principal moments, y is intermediate.
  std::string text = test::scene_header("tumble", 1.0 / 240, 4, "[0, 0, 0]") +
                     "bodies:\n  - name: plate\n    shape: {type: box, size: [0.4, 0.2, 0.05]}\n"
                     "    angular_velocity: [0.01, 5.0, 0.01]\n";
  Model m = compile_scene(text, "tumble.yaml");
  SimulationOptions o;
  o.backend = backend;
  Simulation sim(m, o);
  Vec3 L0;
  double E0;
  momentum_energy(m, sim.state(), L0, E0);
  Vec3 axis0 = rotate(sim.state().body_quat[0], Vec3{0, 1, 0});
  double min_alignment = 1;
  double max_L_error = 0, max_E_error = 0;
  for (int k = 0; k < 20 * 60; ++k) {  // 20 s, checked every 4 steps
    sim.step(4);
    Vec3 L;
    double E;
    momentum_energy(m, sim.state(), L, E);
    max_L_error = std::max(max_L_error, double(length(L - L0) / length(L0)));
    max_E_error = std::max(max_E_error, std::fabs(E - E0) / E0);
    min_alignment = std::min(min_alignment, double(dot(rotate(sim.state().body_quat[0], Vec3{0, 1, 0}), axis0)));
  }
  CHECK(max_L_error < 1e-4);
  CHECK(max_E_error < 2e-3);
  // The Dzhanibekov effect: the intermediate axis turns over.
  CHECK(min_alignment < -0.95);
}

TEST_CASE("kinematic body follows its prescribed path exactly", "[integrate]") {
  const std::string backend = GENERATE_COPY(from_range(test::backends()));
  std::string text = test::scene_header("kin", 1.0 / 240, 4) +
                     "bodies:\n  - name: slider\n    kind: kinematic\n    shape: {type: box, size: [1, 0.5, 0.1]}\n"
                     "    position: [1, 2, 3]\n    velocity: [0.5, -0.25, 0]\n    angular_velocity: [0, 0, 0.7]\n";
  Model m = compile_scene(text, "kin.yaml");
  SimulationOptions o;
  o.backend = backend;
  Simulation sim(m, o);
  for (int k = 1; k <= 10; ++k) {
    sim.step(240);
    const double t = sim.time();
    Vec3 p = sim.state().body_pos[0];
    CHECK(p.x == Approx(1 + 0.5 * t).margin(1e-5));
    CHECK(p.y == Approx(2 - 0.25 * t).margin(1e-5));
    CHECK(p.z == Approx(3).margin(1e-6));
    Quat q = sim.state().body_quat[0];
    const double angle = 2 * std::atan2(double(q.z), double(q.w));
    CHECK(std::remainder(angle - 0.7 * t, 2 * M_PI) == Approx(0).margin(1e-5));
  }
}

}  // namespace
