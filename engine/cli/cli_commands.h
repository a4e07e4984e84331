// The CLI's subcommands, one function each.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

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
  bool all_threads = false;  // no tuning: every step on all threads
  bool json = false;
};

struct SweepArgs {
  std::string file;
  std::string out;          // default: <sweep name>.h5 (parts: <name>-sweep/parts/part-I.h5)
  bool quiet = false;
  int jobs = 0;             // local worker processes; 0: all cores
  int threads = 1;          // threads per worker
  std::string backend = "cpu";
  int batch = 64;           // most physics variants per simulation (worlds)
  bool list = false;
  int scene_of = -1;
  std::string csv;
  bool keep_trajectories = false;
  bool slurm = false, submit = false, merge = false, worker = false;
  int array_size = 0;
  std::string partition, time;
  int task = -1, tasks = 0;
  std::string trajectory_dir;
};

void add_run_options(CLI::App& run, RunArgs& a);
void add_bench_options(CLI::App& bench, BenchArgs& a);
int run_command(const RunArgs& a);
int validate_command(const std::string& scene);
int info_command(const std::string& file);
int bench_command(const BenchArgs& a);
CLI::App* add_sweep_command(CLI::App& app, SweepArgs& a);
int sweep_command(const SweepArgs& a);
// `werk info` on a sweep results file; false when `path` is not one.
bool describe_sweep_results(const std::string& path);
// "mpi: Open MPI 4.1.4" or that it was not built, for `werk --version`.
std::string parallel_support();

// A subcommand that registers itself from its own file: its parser and
// what runs it (the exit status).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
Command add_export_command(CLI::App& app);
Command add_render_command(CLI::App& app);
Command add_report_command(CLI::App& app);
// Runs a program without a shell (report_command.cpp); its exit status.
int run_program(const std::vector<std::string>& argv);

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
