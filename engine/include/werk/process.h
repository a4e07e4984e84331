// Process simulation of production lines: the public entry points.
//
// A scene's top-level `process:` map (see docs/process.md) describes
// sources, buffers, stations, conveyors, routers, sinks, worker pools and
// shift calendars. run_scene compiles it, runs the replications and
// reports KPIs with confidence intervals.
#pragma once

#include <cstdint>
#include <ostream>
#include <functional>
#include <string>

namespace YAML {
class Node;
}
namespace CLI {
class App;
}

namespace werk::yaml {
struct Source;
}

namespace werk::process {

struct RunOptions {
  double duration = -1;   // <0: process.duration, else the scene's duration
  uint64_t seed = 0;
  bool seed_set = false;  // false: the scene's seed (or 0)
  int replications = 0;   // <=0: process.replications (default 1)
  int threads = 0;        // 0: all cores
  std::string kpis_json;  // write every KPI as JSON here when not empty
  bool progress = false;
  // Checkpoints (werk run --checkpoint-every, SIGTERM): `checkpoint_due` is
  // polled while the replications run (from several threads); when it
  // returns true they pause and `checkpoint` receives the process phase's
  // whole state (event lists, random streams, statistics, how far the
  // trace in the output file has got). `resume_state` continues from such
  // a state, in the output file of the interrupted run.
  std::function<bool()> checkpoint_due;
  std::function<void(const std::string& state)> checkpoint;
  std::string resume_state;
};

struct Outcome {
  bool interrupted = false;
  int replications = 0;
  uint64_t events = 0;
  std::string bottleneck;
};

// True when the scene has a top-level `process:` section.
bool has_process(const YAML::Node& root);

// The scene's top-level duration and seed (-1 and 0 when absent): the
// defaults of process:.
void scene_defaults(const yaml::Source& src, const YAML::Node& root, double& duration, uint64_t& seed);

// Compiles root["process"] only (for `werk validate`); throws InputError.
void validate(const yaml::Source& src, const YAML::Node& root);

// Compiles root["process"] (throws werk::InputError with file:line:col),
// runs the replications, prints the KPI table to `out`, writes the
// observables of replication 0, the event log and the KPIs into the open
// HDF5 file `h5file` (an hid_t; skipped when < 0) and the KPI JSON.
Outcome run_scene(const yaml::Source& src, const YAML::Node& root, const RunOptions& options, int64_t h5file,
                  std::ostream& out);

}  // namespace werk::process

// Adds --replications and --kpis to `werk run` (engine/cli/process_command.cpp).
void add_process_options(CLI::App& run, werk::process::RunOptions& options);
