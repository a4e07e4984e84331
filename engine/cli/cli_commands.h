// The CLI's subcommands, one function each.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "werk/process.h"

namespace werk::cli {

struct RunArgs {
  std::string scene;
  std::string out;                      // default: <scene name>.h5 in the current folder
  std::optional<double> duration;       // s; default: the scene's
  std::optional<double> record_every;   // s; default: the scene's record_interval
  std::string backend = "auto";
  int threads = 0;
  std::optional<int64_t> seed;
  bool quiet = false;
  process::RunOptions process;          // --replications, --kpis
  std::optional<double> checkpoint_every;  // wall seconds between checkpoints
  std::string resume;                   // a checkpoint to continue from
};

struct BenchArgs {
  std::string scene;
  int steps = 600;
  int warmup = 10;
  double settle = 0;  // simulated seconds run (and kept) before timing
  std::string backend = "auto";
  int threads = 0;
  bool json = false;
};

void add_run_options(CLI::App& run, RunArgs& a);
void add_bench_options(CLI::App& bench, BenchArgs& a);
int run_command(const RunArgs& a);
int validate_command(const std::string& scene);
int info_command(const std::string& file);
int bench_command(const BenchArgs& a);

// A one-line progress display on a terminal; silent elsewhere.
class Progress {
 public:
  explicit Progress(bool enabled);
  // Redraws at most a few times a second.
  void update(double sim_time, double sim_end);
  void finish();
  double elapsed() const;

 private:
  bool enabled_;
  double start_, last_ = -1;
  bool drawn_ = false;
};

}  // namespace werk::cli
