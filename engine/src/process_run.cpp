// Process simulation as a library (werk/process_run.h): a thin layer over
// the process compiler and run_experiment, returning the KPIs as values.
#include "werk/process_run.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "process/experiment.h"
#include "werk/error.h"
#include "werk/process.h"
#include "yaml_read.h"

namespace werk {

struct ProcessModel::Impl {
  process::Model model;
  uint64_t seed = 0;  // the scene's seed
};

ProcessModel::ProcessModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProcessModel::~ProcessModel() = default;
ProcessModel::ProcessModel(ProcessModel&&) noexcept = default;
ProcessModel& ProcessModel::operator=(ProcessModel&&) noexcept = default;

ProcessModel ProcessModel::from_text(const std::string& text, const std::string& name) {
  yaml::Source src{name};
  YAML::Node root = yaml::load_string(src, text);
  if (!process::has_process(root))
    throw InputError(name, 0, 0, "expected a top-level 'process:' section (see docs/process.md), found none");
  double duration;
  auto impl = std::make_unique<Impl>();
  process::scene_defaults(src, root, duration, impl->seed);
  impl->model = process::compile_model(src, root["process"], duration, impl->seed);
  return ProcessModel(std::move(impl));
}

ProcessModel ProcessModel::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, 0, "cannot open scene file (does it exist and is it readable?)");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_text(ss.str(), path);
}

ProcessResult ProcessModel::run(const ProcessOptions& o) const {
  if (o.threads < 0) throw InputError("argument", 0, 0, "threads: expected a number >= 0, found " + std::to_string(o.threads));
  const process::Model& m = impl_->model;
  const uint64_t seed = o.seed_set ? o.seed : impl_->seed;
  const int reps = o.replications > 0 ? o.replications : m.replications;
  process::Experiment e = process::run_experiment(m, seed, reps, o.threads);
  ProcessResult r;
  for (const process::KpiStat& s : e.kpis) {
    Kpi k;
    k.name = s.name;
    k.unit = s.unit;
    k.mean = s.mean;
    k.ci95_low = std::isfinite(s.half_width) ? s.low() : std::numeric_limits<double>::quiet_NaN();
    k.ci95_high = std::isfinite(s.half_width) ? s.high() : std::numeric_limits<double>::quiet_NaN();
    k.values = s.values;
    r.kpis.push_back(std::move(k));
  }
  if (e.bottleneck >= 0) r.bottleneck = m.nodes[e.bottleneck].name;
  r.replications = int(e.runs.size());
  r.seed = seed;
  r.events = e.events;
  r.window_seconds = e.runs.empty() ? 0.0 : e.runs[0].window_seconds;
  r.warmup_seconds = process::to_seconds(m.warmup);
  r.interrupted = e.interrupted;
  r.json = process::kpis_json(m, e, seed);
  return r;
}

std::vector<std::string> ProcessModel::node_names() const {
  std::vector<std::string> names;
  for (const auto& n : impl_->model.nodes) names.push_back(n.name);
  return names;
}
double ProcessModel::duration_seconds() const { return process::to_seconds(impl_->model.duration); }
int ProcessModel::default_replications() const { return impl_->model.replications; }

const Kpi& ProcessResult::kpi(const std::string& name) const {
  for (const Kpi& k : kpis)
    if (k.name == name) return k;
  std::string known;
  for (size_t i = 0; i < kpis.size(); ++i) known += (i ? ", " : "") + kpis[i].name;
  throw NameError("kpis", 0, 0, "no KPI named '" + name + "'; expected one of: " + known);
}

ProcessResult run_process(const std::string& path, const ProcessOptions& options) {
  return ProcessModel::from_file(path).run(options);
}

}  // namespace werk
