// `werk bench`: steps a scene without recording; prints speed and the state hash.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "cli_commands.h"
#include "kernels/math.h"
#include "werk/scene.h"
#include "blowup.h"
#include "checkpoint.h"
#include "werk/simulation.h"

namespace werk::cli {

void add_bench_options(CLI::App& bench, BenchArgs& a) {
  bench.add_option("SCENE", a.scene, "Scene file (YAML)")->required();
  bench.add_option("--steps", a.steps, "Steps to time (default 600)")->check(CLI::PositiveNumber);
  bench.add_option("--warmup", a.warmup, "Untimed steps first (default 10; the state is reset after them)")
      ->check(CLI::NonNegativeNumber);
  bench.add_option("--settle", a.settle,
                   "Simulated seconds to run before timing, kept (default 0): time a settled scene")
      ->check(CLI::NonNegativeNumber);
  bench.add_option("--backend", a.backend, "auto | cpu | cuda | emulated-cuda");
  bench.add_option("--threads", a.threads, "CPU backend threads (0: all cores)");
  bench.add_flag("--all-threads", a.all_threads,
                 "Run every step on all the threads (by default each step runs on one or all, whichever has lately been faster)");
  bench.add_flag("--json", a.json, "Also print one JSON line");
}

int bench_command(const BenchArgs& a) {
  SimulationOptions so;
  so.backend = a.backend;
  so.threads = a.threads;
  so.adaptive_threads = !a.all_threads;
  Simulation sim(load_scene(a.scene), so);  // owns the model: no copy
  const Model& model = sim.model();
  // Warm up (first-touch allocations, caches), then restart from t = 0.
  State initial = sim.state();
  if (a.warmup > 0) {
    sim.step(a.warmup);
    sim.state();
    sim.set_state(initial);
  }
  if (a.settle > 0) sim.step(int(std::lround(a.settle / model.dt)));
  const Simulation::DeviceWork work0 = sim.device_work();
  auto t0 = std::chrono::steady_clock::now();
  sim.step(a.steps);
  const State& s = sim.state();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Device work per timed step: launches, synchronisations, allocations.
  const Simulation::DeviceWork work1 = sim.device_work();
  const double launches = double(work1.launches - work0.launches) / a.steps;
  const double syncs = double(work1.syncs - work0.syncs) / a.steps;
  const double allocations = double(work1.allocations - work0.allocations) / a.steps;
  const double team_share = double(work1.team_steps - work0.team_steps) / a.steps;
  const double mixed_share = double(work1.mixed_steps - work0.mixed_steps) / a.steps;
  uint64_t hash = state_hash(s);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double steps_per_s = a.steps / wall;
  int dynamic = 0;
  for (auto k : model.body_kind) dynamic += k == BodyKind::Dynamic;
  double body_steps = steps_per_s * dynamic;
  // One more step measures the overlap and the contacts of the final state.
  sim.step(1);
  const float penetration = sim.last_max_penetration();
  // Highest dynamic body and the kinetic energy of all of them (J), from
  // the end of the timed steps: figures to compare backends by.
  double top = 0, kinetic = 0;
  for (int b = 0; b < model.nbody(); ++b) {
    if (model.body_kind[b] != BodyKind::Dynamic) continue;
    top = std::max(top, double(s.body_pos[b].z));
    const Vec3 v = s.body_vel[b], w = rotate_inv(s.body_quat[b], s.body_angvel[b]), I = model.body_inertia[b];
    kinetic += 0.5 * model.body_mass[b] * dot(v, v) + 0.5 * (I.x * w.x * w.x + I.y * w.y * w.y + I.z * w.z * w.z);
  }
  const long long manifolds = sim.last_manifold_count(), points = sim.last_contact_count();
  const long long reused = sim.last_reused_manifold_count();
  const int colors = sim.last_color_count();
  // What `werk run`'s blow-up check costs each time it runs (at each
  // recorded frame, at least every 240 steps): reading the state back
  // after a step plus one pass over it.
  double check_s = 0;
  {
    int reps = 5;
    for (int i = 0; i < reps; ++i) {
      sim.step(1);
      auto c0 = std::chrono::steady_clock::now();
      (void)find_blowup(model, sim.state());
      check_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    }
    check_s /= reps;
  }
  // What a checkpoint of `werk run` costs (--checkpoint-every, SIGTERM):
  // reading the state and the solver memory back, writing, syncing and
  // renaming the file; and its size.
  double checkpoint_s = 0, checkpoint_bytes = 0;
  {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("werk_bench_" + std::to_string(getpid()) + ".checkpoint")).string();
    sim.step(1);
    auto c0 = std::chrono::steady_clock::now();
    Checkpoint c;
    c.scene_file = a.scene;
    c.state = sim.state();
    c.memory = sim.solver_memory();
    write_checkpoint(path, c);
    checkpoint_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    std::error_code ec;
    checkpoint_bytes = double(std::filesystem::file_size(path, ec));
    std::filesystem::remove(path, ec);
  }
  // Engine memory: the simulation's arrays at their capacity (on a GPU,
  // device memory); peak RSS adds the process, the model and the scene.
  const double engine_bytes = double(sim.device_bytes());
  std::printf("%s: %d bodies (%d dynamic), %d steps in %.3f s: %.1f steps/s, %.0f body-steps/s, peak RSS %.1f MB, "
              "engine memory %.1f MB (%.0f B per dynamic body), max penetration %.2f mm, %lld manifolds (%.0f%% reused) with %lld points "
              "and %d colour%s at the end, per step %.1f launches, %.1f syncs, %.2f allocations, state hash %016llx [%s, %.0f%% "
              "of steps on more than one thread]; %.0f%% of steps with mixed masses; "
              "blow-up check %.3f ms (%.2f%% of a step); checkpoint %.1f ms, %.2f MB\n",
              model.name.c_str(), model.nbody(), dynamic, a.steps, wall, steps_per_s, body_steps, ru.ru_maxrss / 1024.0,
              engine_bytes / 1e6, engine_bytes / std::max(dynamic, 1), penetration * 1e3, manifolds, 100.0 * reused / std::max(manifolds, 1LL), points, colors,
              colors == 1 ? "" : "s", launches, syncs, allocations, (unsigned long long)hash, sim.backend_name().c_str(), 100.0 * team_share, 100.0 * mixed_share, check_s * 1e3,
              100.0 * check_s * steps_per_s, checkpoint_s * 1e3, checkpoint_bytes / 1e6);
  if (a.json)
    std::printf("{\"scene\":\"%s\",\"bodies\":%d,\"dynamic\":%d,\"steps\":%d,\"seconds\":%.6f,\"steps_per_s\":%.3f,"
                "\"body_steps_per_s\":%.1f,\"peak_rss_kb\":%ld,\"device_bytes\":%zu,\"max_penetration_m\":%.6f,"
                "\"manifolds\":%lld,\"reused_manifolds\":%lld,\"contact_points\":%lld,\"colors\":%d,\"launches_per_step\":%.2f,\"syncs_per_step\":%.2f,"
                "\"allocations_per_step\":%.3f,\"team_share\":%.3f,\"mixed_share\":%.3f,\"kinetic_energy_j\":%.6g,\"top_z_m\":%.6f,\"hash\":\"%016llx\",\"backend\":\"%s\"}\n",
                model.name.c_str(), model.nbody(), dynamic, a.steps, wall, steps_per_s, body_steps, ru.ru_maxrss,
                sim.device_bytes(), double(penetration), manifolds, reused, points, colors, launches, syncs, allocations, team_share, mixed_share, kinetic,
                top, (unsigned long long)hash,
                sim.backend_name().c_str());
  return 0;
}

}  // namespace werk::cli
