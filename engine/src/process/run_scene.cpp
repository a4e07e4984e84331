// The public entry points (werk/process.h).
#include <chrono>
#include <cstdio>
#include <fstream>

#include "werk/error.h"
#include "werk/process.h"
#include "../werk_limits.h"
#include "archive.h"
#include "h5_output.h"

namespace werk::process {

bool has_process(const YAML::Node& root) { return root.IsMap() && root["process"].IsDefined(); }

// The scene's top-level duration and seed: defaults for process:.
void scene_defaults(const yaml::Source& src, const YAML::Node& root, double& duration, uint64_t& seed) {
  duration = -1;
  seed = 0;
  if (root["duration"]) duration = yaml::as_number(src, root["duration"], "duration");
  if (root["seed"]) seed = uint64_t(yaml::as_integer(src, root["seed"], "seed"));
}

void validate(const yaml::Source& src, const YAML::Node& root) {
  double duration;
  uint64_t seed;
  scene_defaults(src, root, duration, seed);
  compile_model(src, root["process"], duration, seed);
}

Outcome run_scene(const yaml::Source& src, const YAML::Node& root, const RunOptions& o, int64_t h5file,
                  std::ostream& out) {
  double scene_duration;
  uint64_t seed;
  scene_defaults(src, root, scene_duration, seed);
  if (o.seed_set) seed = o.seed;
  Model model = compile_model(src, root["process"], o.duration > 0 ? o.duration : scene_duration, seed);
  if (o.duration > 0) {
    model.duration = to_ticks(o.duration);
    if (model.warmup >= model.duration)
      throw InputError(src.file, 0, 0, "--duration " + format_number(o.duration) + " s is not longer than process.warmup");
  }
  int reps = o.replications > 0 ? o.replications : model.replications;

  // A checkpoint's state: the experiment's, and how far the trace has got.
  std::string experiment_state;
  std::vector<int64_t> trace_rows;
  if (!o.resume_state.empty()) {
    archive::Load a{o.resume_state};
    archive::all(a, experiment_state, trace_rows);
    if (a.left() != 0) throw RuntimeError("process state: bytes left over (damaged)");
  }
  std::unique_ptr<H5Trace> trace;
  if (h5file >= 0)
    trace = std::make_unique<H5Trace>(hid_t(h5file), model, o.resume_state.empty() ? nullptr : &trace_rows);
  ExperimentCheckpoints checkpoints;
  if (o.checkpoint) {
    checkpoints.pause = o.checkpoint_due;
    checkpoints.resume = experiment_state;
    checkpoints.save = [&](const std::string& state) {
      archive::Save a;
      std::string s = state;
      std::vector<int64_t> rows = trace ? trace->sync() : std::vector<int64_t>{};
      archive::all(a, s, rows);
      o.checkpoint(a.bytes);
    };
  }
  auto t0 = std::chrono::steady_clock::now();
  Experiment e = run_experiment(model, seed, reps, o.threads, trace.get(), o.progress, o.checkpoint ? &checkpoints : nullptr);
  if (e.paused) {
    // Paused for good (a checkpoint holds the state): no results to write.
    Outcome r;
    r.interrupted = true;
    r.replications = reps;
    return r;
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (trace) trace->close();

  print_kpi_table(model, e, out);
  out << "(" << e.events << " events in " << wall << " s wall, seed " << seed << ")\n";
  if (h5file >= 0) write_kpis_h5(hid_t(h5file), model, e, seed);
  if (!o.kpis_json.empty()) {
    // Through a temporary name and a rename: an earlier file stays whole until the new one is.
    const std::string tmp = o.kpis_json + ".partial";
    std::ofstream f(tmp);
    f << kpis_json(model, e, seed) << "\n";
    f.close();
    if (!f || std::rename(tmp.c_str(), o.kpis_json.c_str()) != 0) throw RuntimeError("cannot write " + o.kpis_json);
  }
  Outcome r;
  r.interrupted = e.interrupted;
  r.replications = reps;
  r.events = e.events;
  if (e.bottleneck >= 0) r.bottleneck = model.nodes[e.bottleneck].name;
  return r;
}

}  // namespace werk::process
