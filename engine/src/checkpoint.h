// Checkpoints of `werk run`: everything needed to continue an interrupted
// run so that its results are bit-identical to an uninterrupted run's.
//
// A checkpoint is a small HDF5 file (OUT.checkpoint beside the output
// OUT) that goes with the run's running file (OUT.partial.h5, see
// werk/recorder.h), which holds the frames recorded so far:
//   /                  format "werk checkpoint", format_version, engine_version,
//                      scene_file, scene_sha256, settings (the run's duration,
//                      seed, record stride, ...), output, frames, process_done,
//                      content_sha256 (of every value below)
//   /state             the State: scalars as attributes, arrays as datasets
//                      (written and read through for_each_field)
//   /solver_memory     the backend's carried memory (SolverMemory), bytes
//   /process_state     the paused process phase (event lists, random
//                      streams, statistics, trace rows), bytes
//   /line_state        a physical line's coupling state (LineRun: pools,
//                      sensors, belt rules, each world's process, trace
//                      rows), bytes; empty for other scenes
// It is written under a temporary name and renamed, so a kill while
// writing leaves the previous checkpoint whole.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "werk/state.h"

namespace werk {

struct Checkpoint {
  std::string scene_file;
  std::string scene_sha256;  // of the scene text: a checkpoint of another scene is refused
  std::string settings;      // what else fixes the run's results, as text; must match to resume
  std::string output;        // the output the run writes
  int64_t frames = 0;        // frames in the running file at the checkpoint
  bool process_done = false; // the process phase has run and its results are in the running file
  std::string process_state; // before that: the paused process phase (empty: not started)
  std::string line_state;    // a physical line's coupling state (empty: not a line)
  State state;
  SolverMemory memory;
};

// The checkpoint of output `out`: OUT.checkpoint.
std::string checkpoint_path(const std::string& out);

// Writes `c` to `path` through a temporary file and a rename. Throws
// RuntimeError when it cannot.
void write_checkpoint(const std::string& path, const Checkpoint& c);

// Reads a checkpoint whose State has the shape of `like` (the same worlds,
// bodies and array sizes). Anything else (not a checkpoint, damaged,
// truncated, another shape) throws InputError naming `path`. `check_run`,
// when given, sees the scene, settings and output (the State not yet
// read) and may refuse them by throwing.
Checkpoint read_checkpoint(const std::string& path, const State& like,
                           const std::function<void(const Checkpoint&)>& check_run = {});

}  // namespace werk
