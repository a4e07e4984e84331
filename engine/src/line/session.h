// A physical line run by `werk run`: compiles the line and its process,
// couples them to the Simulation, and reports the KPIs at the end.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "line.h"
#include "werk/process.h"

namespace werk::line {

class Session {
 public:
  // Compiles the process (when there is one) and the line. The process
  // runs for the physics' `duration`; `seed` is the run's seed.
  Session(const yaml::Source& src, const YAML::Node& root, const Model& model, const process::RunOptions& options,
          double duration, uint64_t seed);
  ~Session();
  // Replications, run as worlds of one Simulation.
  int worlds() const { return worlds_; }
  // Couples the simulation; `h5file` (an hid_t, or < 0) gets the process
  // observables and event log while the run goes (call before the first
  // frame is recorded: the recorder then switches to SWMR mode).
  void start(Simulation& sim, int64_t h5file);
  // The same for a run continued from a checkpoint: `state` is what save()
  // gave; the process series in `h5file` are cut back to the rows it counts.
  void resume(Simulation& sim, int64_t h5file, const std::string& state);
  void step(int n);
  // The coupling's whole state for a checkpoint (the process series are
  // flushed into the file first; with the Simulation's State and memory).
  std::string save();
  LineRun& run() { return *run_; }
  // Ends the run: the process series are written out and their datasets
  // closed (before the recorder closes the file). Call once.
  void end();
  // Writes the KPIs, the sensors' series and the line's event log into the
  // result file (an hid_t, reopened outside SWMR mode), after end().
  void write_h5(int64_t file) const;
  // Prints the KPI tables to `out` and writes the KPI JSON (when asked
  // for), after end().
  void report(std::ostream& out, const std::string& kpis_json) const;

 private:
  std::unique_ptr<process::Model> pm_;
  LineSpec spec_;
  const Model& model_;
  uint64_t seed_;
  int worlds_ = 1;
  std::unique_ptr<process::Trace> trace_;
  std::unique_ptr<LineRun> run_;
  process::Experiment outcome_;  // what end() gave
};

}  // namespace werk::line
