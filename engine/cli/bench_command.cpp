// `werk bench`: steps a scene without recording; prints speed and the state hash.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli_commands.h"
#include "werk/scene.h"
#include "werk/simulation.h"
#include "blowup.h"

namespace werk::cli {

void add_bench_options(CLI::App& bench, BenchArgs& a) {
  bench.add_option("SCENE", a.scene, "Scene file (YAML)")->required();
  bench.add_option("--steps", a.steps, "Steps to time (default 600)")->check(CLI::PositiveNumber);
  bench.add_option("--warmup", a.warmup, "Untimed steps first (default 10; the state is reset after them)")
      ->check(CLI::NonNegativeNumber);
  bench.add_option("--backend", a.backend, "auto | cpu | cuda");
  bench.add_option("--threads", a.threads, "CPU backend threads (0: all cores)");
  bench.add_flag("--json", a.json, "Also print one JSON line");
}

int bench_command(const BenchArgs& a) {
  Model model = load_scene(a.scene);
  SimulationOptions so;
  so.backend = a.backend;
  so.threads = a.threads;
  Simulation sim(model, so);
  // Warm up (first-touch allocations, caches), then restart from t = 0.
  State initial = sim.state();
  if (a.warmup > 0) {
    sim.step(a.warmup);
    sim.state();
    sim.set_state(initial);
  }
  auto t0 = std::chrono::steady_clock::now();
  sim.step(a.steps);
  const State& s = sim.state();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
  double top = 0;
  for (int b = 0; b < model.nbody(); ++b)
    if (model.body_kind[b] == BodyKind::Dynamic) top = std::max(top, double(s.body_pos[b].z));
  const long long manifolds = sim.last_manifold_count(), points = sim.last_contact_count();
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
  // Engine memory: the simulation's arrays at their capacity (on a GPU,
  // device memory); peak RSS adds the process, the model and the scene.
  const double engine_bytes = double(sim.device_bytes());
  std::printf("%s: %d bodies (%d dynamic), %d steps in %.3f s: %.1f steps/s, %.0f body-steps/s, peak RSS %.1f MB, "
              "engine memory %.1f MB (%.0f B per dynamic body), max penetration %.2f mm, %lld manifolds with %lld points "
              "at the end, state hash %016llx [%s]; blow-up check %.3f ms (%.2f%% of a step)\n",
              model.name.c_str(), model.nbody(), dynamic, a.steps, wall, steps_per_s, body_steps, ru.ru_maxrss / 1024.0,
              engine_bytes / 1e6, engine_bytes / std::max(dynamic, 1), penetration * 1e3, manifolds, points,
              (unsigned long long)hash, sim.backend_name().c_str(), check_s * 1e3, 100.0 * check_s * steps_per_s);
  if (a.json)
    std::printf("{\"scene\":\"%s\",\"bodies\":%d,\"dynamic\":%d,\"steps\":%d,\"seconds\":%.6f,\"steps_per_s\":%.3f,"
                "\"body_steps_per_s\":%.1f,\"peak_rss_kb\":%ld,\"device_bytes\":%zu,\"max_penetration_m\":%.6f,"
                "\"manifolds\":%lld,\"contact_points\":%lld,\"top_z_m\":%.6f,\"hash\":\"%016llx\",\"backend\":\"%s\"}\n",
                model.name.c_str(), model.nbody(), dynamic, a.steps, wall, steps_per_s, body_steps, ru.ru_maxrss,
                sim.device_bytes(), double(penetration), manifolds, points, top, (unsigned long long)hash,
                sim.backend_name().c_str());
  return 0;
}

}  // namespace werk::cli
