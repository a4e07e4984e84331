// The `werk` command line.
//
// Exit codes: 0 success, 1 runtime failure, 2 bad input or usage,
// 128 + signal when a run was interrupted (130 for Ctrl-C, 143 for SIGTERM)
// after writing everything recorded so far.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cli_commands.h"
#include "werk/error.h"
#include "werk/version.h"

int main(int argc, char** argv) {
  CLI::App app{"werk: digital-twin physics and process simulation of production lines"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version and the compiled backends");

  werk::cli::RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "Simulate a scene and record the result as HDF5 (H5MD)");
  werk::cli::add_run_options(*run, run_args);

  std::string validate_scene;
  CLI::App* validate = app.add_subcommand("validate", "Check a scene file; report the first problem with its file:line:column");
  validate->add_option("SCENE", validate_scene, "Scene file (YAML)")->required();

  std::string info_file;
  CLI::App* info = app.add_subcommand("info", "Describe a result file: bodies, frames, time span, scene hash");
  info->add_option("FILE", info_file, "Result file (.h5)")->required();

  werk::cli::BenchArgs bench_args;
  CLI::App* bench = app.add_subcommand("bench", "Run a scene without recording and print steps/s and the state hash");
  werk::cli::add_bench_options(*bench, bench_args);

  werk::cli::SweepArgs sweep_args;
  CLI::App* sweep = werk::cli::add_sweep_command(app, sweep_args);
  std::vector<werk::cli::Command> commands;
  commands.push_back(werk::cli::add_export_command(app));
  commands.push_back(werk::cli::add_render_command(app));
  commands.push_back(werk::cli::add_report_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (show_version) {
      std::cout << "werk " << werk::version() << "\nbackends: " << werk::compiled_backends() << "\n"
                << werk::cli::parallel_support() << "\n";
      return 0;
    }
    if (*run) return werk::cli::run_command(run_args);
    if (*validate) return werk::cli::validate_command(validate_scene);
    if (*info) return werk::cli::info_command(info_file);
    if (*bench) return werk::cli::bench_command(bench_args);
    if (*sweep) return werk::cli::sweep_command(sweep_args);
    for (const auto& c : commands)
      if (*c.app) return c.run();
    std::cout << app.help();
    return 2;
  } catch (const werk::InputError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "werk: error: " << e.what() << "\n";
    return 1;
  }
}
