// Replications, KPIs and their confidence intervals.
//
// Design: a replication's Results are flattened into a fixed list of named
// KPIs (the same names and order for every replication of a model), so
// statistics across replications are plain per-column means and Student-t
// intervals. Replications run in parallel, each on its own Simulator;
// results are stored by replication index, so the numbers do not depend on
// the thread count or on which thread finished first.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "simulator.h"

namespace werk::process {

struct KpiStat {
  std::string name, unit;
  double mean = 0, half_width = 0;  // half_width: 95% CI (NaN for one replication)
  std::vector<double> values;       // per replication
  double low() const { return mean - half_width; }
  double high() const { return mean + half_width; }
};

struct Experiment {
  std::vector<KpiStat> kpis;
  std::vector<Results> runs;  // per replication (lead-time samples dropped)
  int bottleneck = -1;        // node index of the bottleneck station
  bool interrupted = false;
  bool paused = false;  // stopped at a checkpoint, which holds the state: no results
  uint64_t events = 0;
  const KpiStat& kpi(const std::string& name) const;  // throws std::out_of_range
};

// Checkpoints of a running experiment. `pause` is polled by every running
// replication (every 4096 events, from several threads); when it returns
// true, the replications pause, `save` receives the experiment's whole
// state (replications done, paused and not started) and, unless a stop was
// requested, they go on. A state given as `resume` continues an experiment
// of the same model, seed and replications from where it was saved.
struct ExperimentCheckpoints {
  std::function<bool()> pause;
  std::function<void(const std::string& state)> save;
  std::string resume;
};

// Runs `replications` replications (0..R-1) of `model` on up to `threads`
// threads (0: all cores); replication 0 reports to `trace`.
Experiment run_experiment(const Model& model, uint64_t seed, int replications, int threads = 0,
                          Trace* trace = nullptr, bool progress = false,
                          const ExperimentCheckpoints* checkpoints = nullptr);

// The KPIs of replications run elsewhere (a physical line's worlds):
// runs[i] is replication i.
Experiment summarize(const Model& model, std::vector<Results> runs);

// Student-t quantile t_{p, df} (p in (0.5, 1)).
double t_quantile(double p, int df);
// Mean and half-width of a confidence interval at level `level`.
void confidence_interval(const std::vector<double>& x, double level, double& mean, double& half_width);

// The readable KPI table printed at the end of `werk run`.
void print_kpi_table(const Model& model, const Experiment& e, std::ostream& out);
// Every KPI as JSON (mean, ci95, per-replication values).
std::string kpis_json(const Model& model, const Experiment& e, uint64_t seed);

}  // namespace werk::process
