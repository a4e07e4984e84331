// Command-line options of process simulation, added to `werk run`.
#include <CLI/CLI.hpp>

#include "werk/process.h"

void add_process_options(CLI::App& run, werk::process::RunOptions& o) {
  run.add_option("--replications", o.replications,
                 "Independent replications of the process simulation, run in parallel (default: process.replications or 1)")
      ->check(CLI::Range(1, 1000000));
  run.add_option("--kpis", o.kpis_json, "Also write every process KPI (mean, 95% CI, per replication) to this JSON file");
}
