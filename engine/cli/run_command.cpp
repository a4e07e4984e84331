// `werk run` and `werk validate`.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_commands.h"
#include "werk/error.h"
#include "werk/interrupt.h"
#include "werk/recorder.h"
#include "werk/scene.h"
#include "werk/simulation.h"
#include "yaml_read.h"

namespace werk::cli {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

InputError usage(const std::string& message) { return InputError("command line", 0, 0, message); }

}  // namespace

Progress::Progress(bool enabled) : enabled_(enabled), start_(now_seconds()) {}
double Progress::elapsed() const { return now_seconds() - start_; }

void Progress::update(double t, double end) {
  if (!enabled_) return;
  double now = now_seconds();
  if (last_ >= 0 && now - last_ < 0.25) return;
  last_ = now;
  double wall = now - start_;
  double rtf = wall > 0 ? t / wall : 0;
  double eta = rtf > 0 ? (end - t) / rtf : 0;
  std::fprintf(stderr, "\r  t = %.2f / %.2f s   %5.1f%%   real-time factor %.2f   ETA %.0f s   ", t, end,
               end > 0 ? 100.0 * t / end : 100.0, rtf, eta);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::fprintf(stderr, "\r%80s\r", "");
}

void add_run_options(CLI::App& run, RunArgs& a) {
  run.add_option("SCENE", a.scene, "Scene file (YAML)")->required();
  run.add_option("-o,--output", a.out, "Output file (default: <scene name>.h5 in the current folder)");
  run.add_option("--duration", a.duration, "Simulated time to run (s; default: the scene's duration)");
  run.add_option("--record-every", a.record_every, "Time between recorded frames (s; default: the scene's record_interval)");
  run.add_option("--backend", a.backend, "auto | cpu | cuda | emulated-cuda (auto: CUDA when a device is present)");
  run.add_option("--threads", a.threads, "CPU backend threads (0: all cores)");
  run.add_option("--seed", a.seed, "Random seed (default: the scene's seed)");
  run.add_flag("-q,--quiet", a.quiet, "No progress line and no summary");
  add_process_options(run, a.process);
}

// The scene's YAML document again, for the process section.
YAML::Node scene_root(const Model& m, const yaml::Source& src) { return yaml::load_string(src, m.source_text); }

int validate_command(const std::string& scene) {
  Model m = load_scene(scene);
  yaml::Source src{scene};
  YAML::Node root = scene_root(m, src);
  if (process::has_process(root)) process::validate(src, root);
  std::cout << scene << ": ok (" << m.nbody() << " bodies, " << m.nshape() << " shapes, " << m.nconveyor()
            << " conveyors)\n";
  return 0;
}

int run_command(const RunArgs& a) {
  // Everything is checked before anything is written.
  Model model = load_scene(a.scene);
  if (a.duration && !(*a.duration >= 0 && std::isfinite(*a.duration)))
    throw usage("--duration: expected a number of seconds >= 0, found " + std::to_string(*a.duration));
  if (a.record_every && !(*a.record_every > 0 && std::isfinite(*a.record_every)))
    throw usage("--record-every: expected a positive number of seconds, found " + std::to_string(*a.record_every));
  if (a.seed && *a.seed < 0) throw usage("--seed: expected an integer >= 0, found " + std::to_string(*a.seed));
  if (a.seed) model.seed = uint64_t(*a.seed);
  const double duration = a.duration.value_or(model.duration);
  const double record_every = a.record_every.value_or(model.record_interval);
  const int64_t total_steps = int64_t(std::llround(duration / model.dt));
  const int64_t record_stride = std::max<int64_t>(1, std::llround(record_every / model.dt));
  std::string out = a.out.empty() ? model.name + ".h5" : a.out;
  yaml::Source src{a.scene};
  YAML::Node root = scene_root(model, src);
  const bool has_process = process::has_process(root);
  if (has_process) process::validate(src, root);

  SimulationOptions so;
  so.backend = a.backend;
  so.threads = a.threads;
  Simulation sim(model, so);
  RecorderOptions ro;
  ro.backend = sim.backend_name();
  ro.seed = model.seed;
  Recorder rec(model, out, ro);
  install_stop_handlers();

  // Process simulation first: it is fast, and its groups must exist
  // before the trajectory recording switches the file to SWMR mode.
  process::Outcome outcome;
  if (has_process) {
    process::RunOptions po = a.process;
    if (a.duration) po.duration = *a.duration;
    if (a.seed) po.seed = uint64_t(*a.seed), po.seed_set = true;
    po.threads = a.threads;
    po.progress = !a.quiet && isatty(STDERR_FILENO);
    outcome = process::run_scene(src, root, po, rec.file_id(), std::cout);
  }
  if (model.nbody() == 0) {  // a process-only scene: no physics at all
    rec.close();
    return outcome.interrupted ? 128 + (stop_signal() ? stop_signal() : 2) : 0;
  }

  Progress progress(!a.quiet && isatty(STDERR_FILENO));
  rec.record(sim.state());
  for (int64_t done = 0; done < total_steps && !stop_requested();) {
    int64_t n = std::min(record_stride - done % record_stride, total_steps - done);
    sim.step(int(n));
    done += n;
    if (done % record_stride == 0 || done == total_steps) rec.record(sim.state());
    progress.update(sim.time(), duration);
  }
  progress.finish();
  rec.close();
  const double wall = progress.elapsed();
  const bool interrupted = stop_requested();
  if (!a.quiet) {
    std::fprintf(stderr, "werk: %s: %s%lld steps, %.3f s simulated in %.2f s (real-time factor %.1f), %lld frames -> %s [%s]\n",
                 model.name.c_str(), interrupted ? "interrupted after " : "", (long long)sim.step_count(), sim.time(),
                 wall, wall > 0 ? sim.time() / wall : 0.0, (long long)rec.frames(), out.c_str(),
                 sim.backend_name().c_str());
  }
  return interrupted ? 128 + (stop_signal() ? stop_signal() : 2) : 0;
}

}  // namespace werk::cli
