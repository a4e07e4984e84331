// Process simulation as a library: compile a scene's `process:` section
// (see docs/process.md), run replications, get the KPIs back as values.
//
//   werk::ProcessModel line = werk::ProcessModel::from_file("scenes/process_mm1.yaml");
//   werk::ProcessResult r = line.run({/*replications*/ 10});
//   const werk::Kpi& th = r.kpi("line.throughput");
//   std::printf("%g %s, 95%% CI [%g, %g]; bottleneck %s\n", th.mean, th.unit.c_str(),
//               th.ci95_low, th.ci95_high, r.bottleneck.c_str());
//
// The numbers are those of `werk run --kpis` for the same scene, seed and
// replications (ProcessResult::json() is that file's text). Replications
// run in parallel; results do not depend on the thread count.
//
// Errors: InputError (file, line, column) for a bad scene or a scene with
// no process: section; NameError from kpi() for an unknown KPI name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "werk/export.h"

namespace werk {

struct ProcessOptions {
  int replications = 0;    // <= 0: the scene's process.replications (default 1)
  uint64_t seed = 0;       // used when seed_set; otherwise the scene's seed
  bool seed_set = false;
  int threads = 0;         // replications run in parallel on this many threads; 0: all cores
};

// One KPI across replications.
struct Kpi {
  std::string name;            // e.g. "line.throughput", "press.utilization"
  std::string unit;            // e.g. "good parts/h", "fraction", "s"
  double mean = 0;             // mean over replications
  double ci95_low = 0;         // 95% Student-t confidence interval of the mean;
  double ci95_high = 0;        //   NaN for a single replication
  std::vector<double> values;  // one value per replication, in replication order
};

struct ProcessResult {
  std::vector<Kpi> kpis;  // in the order the CLI prints them
  std::string bottleneck;  // the station that limits throughput, or empty
  int replications = 0;
  uint64_t seed = 0;
  uint64_t events = 0;     // events simulated in all replications
  double window_seconds = 0;  // the statistics window of each replication (after warm-up)
  double warmup_seconds = 0;
  bool interrupted = false;   // a stop was requested (SIGINT) before the end

  // The KPI with this name; throws NameError listing the names there are.
  WERK_API const Kpi& kpi(const std::string& name) const;
  // Every KPI as JSON: the same text `werk run --kpis FILE` writes.
  std::string json;
};

class WERK_API ProcessModel {
 public:
  // Compiles the scene file's process: section. Throws InputError.
  static ProcessModel from_file(const std::string& path);
  // The same from scene text; `name` stands for the file in messages.
  static ProcessModel from_text(const std::string& text, const std::string& name = "scene");

  // Runs the replications; the model can be run again (e.g. other seeds).
  ProcessResult run(const ProcessOptions& options = {}) const;

  // Names of the model's nodes (sources, buffers, stations, ...), in scene order.
  std::vector<std::string> node_names() const;
  double duration_seconds() const;  // simulated time per replication
  int default_replications() const;

  ~ProcessModel();
  ProcessModel(ProcessModel&&) noexcept;
  ProcessModel& operator=(ProcessModel&&) noexcept;

 private:
  struct Impl;
  explicit ProcessModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Shorthand: ProcessModel::from_file(path).run(options).
WERK_API ProcessResult run_process(const std::string& path, const ProcessOptions& options = {});

}  // namespace werk
