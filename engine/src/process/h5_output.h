// HDF5 output of the process simulation.
//
// Design: H5Trace receives the time series of replication 0 and appends
// them to chunked, deflated, extendable datasets through small in-memory
// buffers (4096 rows), so memory stays bounded however long the run.
// Station states and buffer lengths follow H5MD's time-series layout
// (/observables/<object>/{state,length}/{step,time,value}); the event log
// is a parallel-array table under /process/events.
#pragma once

#include <hdf5.h>

#include <memory>
#include <string>
#include <vector>

#include "experiment.h"

namespace werk::process {

class H5Trace : public Trace {
 public:
  // Creates the groups and datasets; with `resume`, the rows sync() gave
  // at a checkpoint, opens those of an interrupted run instead and cuts
  // each series back to its rows.
  H5Trace(hid_t file, const Model& model, const std::vector<int64_t>* resume = nullptr);
  ~H5Trace() override;
  std::vector<int64_t> sync() override;
  void state(int node, Tick t, State s) override;
  void length(int node, Tick t, int64_t n) override;
  void event(Tick t, int node, LogEvent e, uint64_t part) override;
  // Writes what is buffered and closes the datasets.
  void close();

 private:
  struct Series;
  struct Table;
  hid_t file_;
  const Model& model_;
  std::vector<std::unique_ptr<Series>> series_;  // per node (null when none)
  std::unique_ptr<Table> events_;
};

// Writes /process/kpis: names, units, mean, ci_low, ci_high and the
// per-replication values.
void write_kpis_h5(hid_t file, const Model& model, const Experiment& e, uint64_t seed);

}  // namespace werk::process
